"""Every id-bearing route, read from app.url_map (so routes added later are tried too), by every
liaison and inspector and by anonymous visitors, with the ids of objects of units they may not
see: no response may carry another unit's marker (exports are unzipped first), no POST may change
anything, nothing may answer 500. A route with an id parameter this file does not know fails the
test until it is taught who owns that id."""
from __future__ import annotations

import hashlib
import io
import re
import zipfile

import pytest
from sqlalchemy import text

from tests.conftest import csrf_from, do_login
from tests.reliability.world import image_bytes

# id parameter -> key of UnitData.ids (the unit that owns the object)
OWNED = {"submission_id": "submission", "problem_id": "problem", "photo_id": "photo",
         "evidence_id": "evidence", "job_id": "job", "unit_id": "unit", "notice_id": "notice",
         "message_id": "message"}
SHARED = {"round_id"}  # the round spans all units: its pages must filter by unit themselves
# Ids of objects no unit owns, on administrator-only routes (the role matrix covers those).
ADMIN_OBJECTS = {"group_id", "user_id", "questionnaire_id", "version_id", "section_id", "question_id",
                 "category_id", "owner_id", "channel_id", "delivery_id"}
PARAM = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")
FINGERPRINT = {
    "problems": "id, status, lock_version, unit_id, closed_by_id, deadline, category, measures, result",
    "submissions": "id, state, lock_version, unit_id, submit_token",
    "photos": "id, submission_id", "evidence": "id, problem_id", "problem_events": "id",
    "export_jobs": "id, user_id, status", "unit_links": "id, unit_id, nonce, revoked_at",
    "notices": "id, number, unit_id",
    "messages": "id, read_at",
}


def fingerprint(db) -> str:
    db.session.rollback()
    digest = hashlib.sha256()
    for table, columns in FINGERPRINT.items():
        for row in db.session.execute(text(f"SELECT {columns} FROM {table} ORDER BY id")):
            digest.update(repr(tuple(row)).encode())
    db.session.rollback()
    return digest.hexdigest()


def id_routes(app) -> list[tuple[str, str, list[tuple[str, str, str]]]]:
    """(method, rule, params) for every rule with an owned id; unknown int params fail here."""
    found, unknown = [], []
    for rule in app.url_map.iter_rules():
        params = PARAM.findall(rule.rule)
        names = {name for _, _, name in params}
        if not names & set(OWNED):
            unknown += [f"{rule.rule} <{name}>" for conv, _, name in params
                        if conv == "int" and name not in SHARED | ADMIN_OBJECTS]
            if names & ADMIN_OBJECTS:
                access = getattr(app.view_functions[rule.endpoint], "access", None)
                assert access == frozenset({"admin"}), f"{rule.rule} takes an unowned id but is not admin-only"
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, rule.rule, params))
    assert not unknown, f"id parameters without an owner in tests/reliability/test_cross_unit.py: {unknown}"
    return found


def urls(rule: str, params, unit, world) -> list[str]:
    out = [rule]
    for conv, args, name in params:
        if name in OWNED:
            values = [str(v) for v in unit.ids[OWNED[name]]]
        elif name in SHARED:
            values = [str(world.round_id)]
        elif conv == "any":
            values = [a.strip() for a in args.split(",")]
        else:
            values = ["1"]
        pattern = PARAM.pattern.replace(r"(\w+)>", f"({name})>", 1)
        out = [re.sub(pattern, v, u, count=1) for u in out for v in values]
    return out


def body_text(resp) -> str:
    data = resp.get_data()
    if data[:2] == b"PK":  # an xlsx or other zip: the text is inside
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return " ".join(z.read(n).decode("utf-8", "ignore") for n in z.namelist())
    return data.decode("utf-8", "ignore")


def form_body(token: str) -> dict:
    fields = ("measures", "responsible_person", "result", "comment", "reason", "progress")
    return {"csrf_token": token, **{f: "越权写入" for f in fields}, "new_deadline": "2030-01-01",
            "deadline": "2030-01-01", "category": "其他", "question": "ph", "client_id": "rel-x",
            "file": (io.BytesIO(image_bytes()), "x.png"), "files": (io.BytesIO(image_bytes()), "x.png")}


JSON_BODY = {"answers": {"q1": "no", "txt": "越权写入"}, "token": "rel-cross", "lock_version": 1, "force": True}


def probe(app, db, world, user, units, routes, before) -> int:
    client = app.test_client()
    token = None
    if user is not None:
        assert do_login(client, user.username).status_code == 302
        token = csrf_from(client.get("/account").get_data(as_text=True))
    pairs = 0
    for unit in units:
        forbidden = [u.marker for u in world.units if user is None or u.index not in world.visible(user)]
        for method, rule, params in routes:
            for url in urls(rule, params, unit, world):
                pairs += 1
                if method == "GET":
                    responses = [client.get(url)]
                elif user is None:
                    responses = [client.post(url, data={})]
                else:
                    responses = [client.post(url, data=form_body(token), content_type="multipart/form-data"),
                                 client.post(url, json=JSON_BODY, headers={"X-CSRFToken": token,
                                                                             "Accept": "application/json"})]
                for resp in responses:
                    who = user.username if user else "anonymous"
                    assert resp.status_code < 500, f"{who} {method} {url}: {resp.status_code}"
                    leaked = [m for m in forbidden if m in body_text(resp)]
                    assert not leaked, f"{who} {method} {url} shows {leaked}"
                if method == "POST":
                    assert fingerprint(db) == before, f"{user.username if user else 'anonymous'} POST {url} changed data"
    return pairs


def test_no_role_reaches_another_units_objects_by_id(app, db, world):
    routes = id_routes(app)
    before = fingerprint(db)
    pairs = 0
    for liaison in [u.liaison for u in world.units[:3]]:
        foreign = [u for u in world.units if u.index not in world.visible(liaison)]
        pairs += probe(app, db, world, liaison, foreign, routes, before)
    for inspector in world.inspectors:
        foreign = [u for u in world.units if u.index not in world.visible(inspector)]
        pairs += probe(app, db, world, inspector, foreign, routes, before)
    get_routes = [r for r in routes if r[0] == "GET"]
    pairs += probe(app, db, world, None, world.units[:2], get_routes, before)
    print(f"cross-unit pairs tried: {pairs}")
    assert pairs >= 500, pairs


def test_the_probe_sees_a_leak_when_there_is_one(app, db, world):
    """The marker check is live: the unit's own liaison does see its marker on these pages."""
    own = world.units[1]
    client = app.test_client()
    do_login(client, own.liaison.username)
    for url in (f"/ledger/{own.ids['problem'][0]}", f"/submissions/{own.ids['submission'][0]}"):
        assert own.marker in body_text(client.get(url)), url
    world.visible = lambda user: set()  # pretend the liaison may not see its own unit
    with pytest.raises(AssertionError, match="shows"):
        probe(app, db, world, own.liaison, [own], [("GET", "/ledger/<int:problem_id>", [("int", "", "problem_id")])],
              fingerprint(db))
