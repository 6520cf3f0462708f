"""Hostile text: XSS payloads in every free-text field rendered inert on every page (admin,
ledger, forms, reports, audit log, errors); control characters and 40,000-character texts; SQL
fragments in search, filter and sort parameters; extra fields that try to set status, unit or
closer; open redirects through next=. Each: a Chinese message or a safe result, never a 500,
nothing changed that should not be."""
from __future__ import annotations

import html
import re
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from survey import audit
from survey.database import writing
from survey.models import Problem, ProblemEvent, Submission, SupervisionGroup, Unit, User
from survey.questionnaires import editing
from survey.questionnaires import operations as qops
from tests.conftest import csrf_from, do_login
from tests.reliability.inert import problems
from tests.reliability.test_cross_unit import OWNED, PARAM, body_text, fingerprint

PAYLOADS = [
    '<script>alert("x1")</script>',
    '"><img src=x onerror=alert(2)>',
    "'><svg onload=alert(3)>",
    "javascript:alert(4)",
    '<a href="javascript:alert(5)">点我</a>',
    "</textarea><script>alert(6)</script>",
    '<iframe src="//evil.example"></iframe>',
    '<meta http-equiv="refresh" content="0;url=//evil.example">',
    "{{7*7}}${7*7}<%= 7*7 %>",
    '<base href="//evil.example/">',
    "\u202e<b onmouseover=alert(7)>x</b>",
    " javascript:alert(8)",
]
CJK = re.compile(r"[\u4e00-\u9fff]")


def admin_object_ids(db) -> dict[str, int]:
    from survey.models import (Channel, Delivery, ProblemCategory, Question, Questionnaire, QuestionnaireVersion,
                               Section)
    models = {"group_id": SupervisionGroup, "user_id": User, "questionnaire_id": Questionnaire,
              "version_id": QuestionnaireVersion, "section_id": Section, "question_id": Question,
              "category_id": ProblemCategory, "channel_id": Channel, "delivery_id": Delivery, "owner_id": Unit}
    return {k: db.session.scalar(select(func.max(m.id))) or 1 for k, m in models.items()}


def get_pages(app, db, world) -> list[str]:
    """Every GET route, its ids filled with unit 0's objects (visible to liaison 0 and group 0)."""
    ids = {**{k: world.units[0].ids[v][0] for k, v in OWNED.items()}, "round_id": world.round_id,
           **admin_object_ids(db)}
    pages = []
    for rule in app.url_map.iter_rules():
        params = PARAM.findall(rule.rule)
        if "GET" not in rule.methods or any(conv in ("path", "") or name == "token" for conv, _, name in params):
            continue
        url = rule.rule
        for conv, args, name in params:
            value = str(ids[name]) if name in ids else args.split(",")[0].strip()
            url = re.sub(PARAM.pattern.replace(r"(\w+)>", f"({name})>", 1), value, url, count=1)
        pages.append(url)
    return sorted(pages)


def poison(db, world) -> None:
    """Put a payload in every free-text field a page shows."""
    u = world.units[0]
    unit = db.session.get(Unit, u.unit.id)
    unit.name, unit.contact_name = PAYLOADS[0] + "单位", PAYLOADS[1][:64]
    db.session.get(User, u.liaison.id).display_name = PAYLOADS[2]
    db.session.get(User, world.inspectors[0].id).display_name = PAYLOADS[9]
    group = db.session.scalars(select(SupervisionGroup).order_by(SupervisionGroup.id)).first()
    group.name = PAYLOADS[3] + "组"
    problem = db.session.get(Problem, u.ids["problem"][0])
    problem.description, problem.measures, problem.result = PAYLOADS[4], PAYLOADS[5], PAYLOADS[6]
    problem.progress, problem.responsible_person = PAYLOADS[7], PAYLOADS[11]
    db.session.add(ProblemEvent(problem_id=problem.id, actor_id=world.admin.id, action="return",
                                from_status="pending_review", to_status="in_progress", comment=PAYLOADS[8]))
    for sid in u.ids["submission"]:
        sub = db.session.get(Submission, sid)
        sub.answers = {**sub.answers, "txt": PAYLOADS[10]}
        sub.facts = {**(sub.facts or {}), "place": PAYLOADS[0], "attendees": PAYLOADS[1]}
    from survey.models import Evidence, Photo, Round
    db.session.get(Photo, u.ids["photo"][0]).original_name = PAYLOADS[1]
    db.session.get(Evidence, u.ids["evidence"][0]).original_name = PAYLOADS[2] + ".png"
    db.session.get(Round, world.round_id).name = PAYLOADS[5][:90] + "批次"
    from survey.models import Channel, Delivery, Message
    for mid in u.ids["message"]:
        msg = db.session.get(Message, mid)
        msg.subject, msg.body, msg.link = PAYLOADS[3][:190], PAYLOADS[4], PAYLOADS[12 % len(PAYLOADS)]
    channel = Channel(owner_kind="unit", owner_id=u.unit.id, kind="webhook", label=PAYLOADS[2][:60],
                      url="jsons://gateway.example.gov.cn/x", last_test_error=PAYLOADS[6])
    db.session.add(channel)
    db.session.flush()
    db.session.add(Delivery(message_id=u.ids["message"][0], channel_id=channel.id, status="dead",
                            last_error=PAYLOADS[7]))
    version = qops.create_questionnaire(world.admin, PAYLOADS[0] + "问卷", "general")
    editing.save_question(version.sections[0], None, {"name": "x1", "type": "text", "label": PAYLOADS[1],
                                                      "hint": PAYLOADS[6]}, "")
    with writing():
        audit.record("user_update", actor_username=PAYLOADS[2], target=unit, details={"name": [PAYLOADS[3], PAYLOADS[4]]})
    db.session.commit()


def logged_in(app, username):
    client = app.test_client()
    assert do_login(client, username).status_code == 302
    return client


def test_payloads_are_inert_on_every_page_for_every_role(app, db, world):
    poison(db, world)
    pages = get_pages(app, db, world)
    shown = set()
    for username in ("rel-admin", "rel-insp0", "rel-liaison0"):
        client = logged_in(app, username)
        for url in pages:
            resp = client.get(url)
            assert resp.status_code < 500, f"{username} {url}: {resp.status_code}"
            if resp.mimetype == "text/html":
                body = resp.get_data(as_text=True)
                assert problems(body) == [], f"{username} {url}: {problems(body)}"
                shown |= {p for p in PAYLOADS if p in html.unescape(body)}
    assert shown == set(PAYLOADS), f"never rendered: {set(PAYLOADS) - shown}"  # each one was on a page


def test_payloads_in_urls_forms_and_errors_are_inert(app, db, world):
    client = app.test_client()
    for payload in PAYLOADS:
        token = csrf_from(client.get("/login?next=" + quote(payload)).get_data(as_text=True))
        resp = client.post("/login?next=" + quote(payload),
                           data={"csrf_token": token, "username": payload, "password": payload})
        body = resp.get_data(as_text=True)
        assert resp.status_code == 401 and problems(body) == [] and CJK.search(body)
        resp = client.get("/" + quote(payload, safe=""))
        assert resp.status_code == 404 and problems(resp.get_data(as_text=True)) == []
    admin = logged_in(app, "rel-admin")
    for payload in PAYLOADS:
        for url in ("/ledger?q=", "/admin/units?q=", "/admin/users?q=", "/admin/audit?user=", "/ledger?unit="):
            resp = admin.get(url + quote(payload))
            assert resp.status_code < 500 and problems(resp.get_data(as_text=True)) == [], url


# --- control characters and very long texts ---------------------------------------------------------

NASTY = ["\x00", "a\x00b", "\x0b\x0c\x1b[31m红\x7f", "\ufeff\u200b\u00a0\u3000", "\ud7ff\ue000", "第一行\r\n第二行\r",
         "长" * 40000]


def act(client, problem_id, action, **data):
    token = csrf_from(client.get(f"/ledger/{problem_id}").get_data(as_text=True))
    return client.post(f"/ledger/{problem_id}/{action}", data={"csrf_token": token, **data})


def assert_safe(resp, what):
    assert resp.status_code < 500, f"{what}: {resp.status_code}"
    if resp.status_code >= 400 and resp.mimetype in ("text/html", "application/json"):
        assert CJK.search(resp.get_data(as_text=True)), f"{what}: no Chinese message"


@pytest.mark.parametrize("text", NASTY, ids=["nul", "inner-nul", "controls", "invisible", "bmp-edges", "crlf", "40k"])
def test_control_characters_and_long_texts_never_break_anything(app, db, world, text):
    u = world.units[0]
    liaison = logged_in(app, u.liaison.username)
    problem_id = u.ids["problem"][0]
    assert_safe(act(liaison, problem_id, "accept", measures=text, responsible_person=text[:100]), "accept")
    token = csrf_from(liaison.get("/account").get_data(as_text=True))
    sub = db.session.get(Submission, u.ids["submission"][0])
    draft = liaison.post(f"/submissions/{sub.id}/draft", json={"answers": {"txt": text}, "lock_version": sub.lock_version},
                         headers={"X-CSRFToken": token, "Accept": "application/json"})
    assert_safe(draft, "draft")
    admin = logged_in(app, "rel-admin")
    token = csrf_from(admin.get("/admin/units/new").get_data(as_text=True))
    assert_safe(admin.post("/admin/units/new", data={"csrf_token": token, "name": text, "category": "其他"}), "unit")
    assert_safe(admin.get("/ledger?q=" + quote(text[:2000])), "search")
    for export in ("/ledger/export.xlsx", f"/rounds/{world.round_id}/answers.xlsx"):
        assert_safe(admin.get(export), export)
    anon = app.test_client()
    token = csrf_from(anon.get("/login").get_data(as_text=True))
    assert_safe(anon.post("/login", data={"csrf_token": token, "username": text, "password": text}), "login")
    db.session.rollback()
    stored = [p.measures for p in db.session.scalars(select(Problem))] + \
             [str(s.answers) for s in db.session.scalars(select(Submission))] + \
             [n for n in db.session.scalars(select(Unit.name))]
    assert not any("\x00" in s for s in stored)


# --- SQL fragments in search, filter and sort parameters --------------------------------------------

SQL = ["' OR '1'='1", "1; DROP TABLE users; --", "1 UNION SELECT password_hash FROM users --", "id desc; delete from problems",
       "\" OR \"\"=\"", "%", "_", "\\", "-1", "99999999999999999999999", "0x41", "1e309", "NaN", "[]", "status,password_hash", "²", "١٢", "１２"]
PARAMS = ["q", "category", "event", "kind", "page", "role", "round", "show", "success", "unit", "user", "status",
          "severity", "source", "sort", "order", "warning", "from", "to", "start", "end", "per_page", "group", "state"]


def test_sql_fragments_in_every_list_parameter_change_nothing(app, db, world):
    before = fingerprint(db)
    users_before = db.session.scalar(select(func.count(User.id)))
    admin = logged_in(app, "rel-admin")
    lists = [p for p in get_pages(app, db, world) if not re.search(r"/\d", p)]
    for fragment in SQL:
        query = "&".join(f"{name}={quote(fragment)}" for name in PARAMS)
        for url in lists:
            resp = admin.get(f"{url}?{query}")
            assert resp.status_code < 500, f"{url}?{query}"
            assert "pbkdf2" not in body_text(resp) and "scrypt:" not in body_text(resp)
        for name in PARAMS:
            assert admin.get(f"/ledger?{name}={quote(fragment)}").status_code < 500, (name, fragment)
    assert fingerprint(db) == before and db.session.scalar(select(func.count(User.id))) == users_before


# --- extra fields -----------------------------------------------------------------------------------

def test_extra_fields_cannot_set_status_unit_or_closer(app, db, world):
    u, other = world.units[0], world.units[1]
    problem_id = u.ids["problem"][0]
    code = db.session.get(Problem, problem_id).code
    liaison = logged_in(app, u.liaison.username)
    resp = act(liaison, problem_id, "accept", measures="整改措施", responsible_person="张三", status="closed",
               unit_id=other.unit.id, closed_by_id=world.admin.id, closed_by=world.admin.id, code="X-999",
               lock_version=999, round_id=999, created_by_id=world.admin.id)
    assert resp.status_code in (302, 303, 409), resp.status_code
    problem = db.session.get(Problem, problem_id)
    assert (problem.unit_id, problem.closed_by_id, problem.code) == (u.unit.id, None, code)
    assert problem.status in ("open", "in_progress")
    token = csrf_from(liaison.get("/account").get_data(as_text=True))
    sub = db.session.get(Submission, u.ids["submission"][0])
    state, unit_id = sub.state, sub.unit_id
    liaison.post(f"/submissions/{sub.id}/draft", headers={"X-CSRFToken": token, "Accept": "application/json"},
                 json={"answers": {"txt": "x"}, "lock_version": sub.lock_version, "state": "submitted",
                       "unit_id": other.unit.id, "submitted_by_id": world.admin.id, "submit_token": "t"})
    db.session.rollback()
    sub = db.session.get(Submission, u.ids["submission"][0])
    assert (sub.state, sub.unit_id, sub.submitted_by_id) == (state, unit_id, None if state == "draft" else sub.submitted_by_id)
    token = csrf_from(liaison.get("/account/password").get_data(as_text=True))
    liaison.post("/account/password", data={"csrf_token": token, "current_password": "x", "new_password": "x",
                                            "role": "admin", "unit_id": other.unit.id, "is_disabled": "1"})
    user = db.session.get(User, u.liaison.id)
    assert (user.role, user.unit_id, user.is_disabled) == ("unit", u.unit.id, False)


# --- open redirects ---------------------------------------------------------------------------------

REDIRECTS = ["//evil.example", "///evil.example", "////evil.example", "/\\evil.example", "\\\\evil.example",
             "https:evil.example", "http://evil.example", "HTTPS://evil.example", "/%2F%2Fevil.example",
             "%2F%2Fevil.example", "\t//evil.example", " //evil.example", "/\t/evil.example", "/\r\n/evil.example",
             "//evil.example@good", "javascript:alert(1)", "data:text/html,<script>alert(1)</script>",
             "/\u3000/evil.example", "/.//evil.example", "evil.example"]


@pytest.mark.parametrize("target", REDIRECTS)
def test_next_never_leaves_the_site(app, db, world, target):
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    resp = client.post("/login?next=" + quote(target, safe="/%:"),
                       data={"csrf_token": token, "username": "rel-admin", "password": "Test@12345"})
    assert resp.status_code == 302
    location = re.sub(r"[\x00-\x20\u3000\\]", "/", resp.headers["Location"])
    assert location.startswith("/") and not location.startswith("//"), resp.headers["Location"]
