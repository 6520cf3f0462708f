"""Signed unit links (免密链接): issue, use, expiry, revocation, tampering, and a link session that
reaches its unit's self-check and problems in its round and nothing else. Every use audited."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import func, select

from survey.errors import DomainError, NotAllowed
from survey.filling import operations as filling
from survey.filling.problems import create_problems
from survey.links import operations, queries
from survey.permissions.link_session import RULES
from survey.links.tokens import SALT, make_token, read_token
from survey.models import AuditLog, Evidence, ProblemEvent, Submission, UnitLink, User
from tests.conftest import csrf_from
from tests.factories import make_ledger_world, make_unit

DURING = datetime(2023, 6, 1, 2, 0, tzinfo=timezone.utc)   # the world's round runs through 2023
AFTER = datetime(2023, 12, 31, 16, 0, tzinfo=timezone.utc)  # 2024-01-01 00:00 in Shanghai


@pytest.fixture()
def world(app, db, frozen_clock):
    frozen_clock.set(DURING)
    w = make_ledger_world(db)
    [w["problem"]] = create_problems(w["submission"], [{"description": "学习记录不全", "category": "政治机关",
                                                         "deadline": "2023-07-01"}], w["admin"], date(2023, 5, 1))
    other = filling.open_submission(w["round"], w["users"]["other_unit"].unit, "self_check", w["admin"])
    db.session.flush()
    [w["other_problem"]] = create_problems(other, [{"description": "别的单位的问题", "category": "其他"}],
                                           w["admin"], date(2023, 5, 1))
    w["other_submission"] = other
    db.session.commit()
    return w


def issue(db, world, unit=None) -> UnitLink:
    link = operations.issue_link(world["admin"], world["round"], unit or world["unit"])
    db.session.commit()
    return link


def url_of(link: UnitLink) -> str:
    return f"/l/{make_token(link.id, link.nonce)}"


def uses(db) -> list[AuditLog]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditLog).where(AuditLog.event == "link_use").order_by(AuditLog.id)))


def open_link(client, link):
    resp = client.get(url_of(link))
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    return resp


# Issuing and revoking


def test_issue_sets_expiry_at_the_end_of_the_rounds_last_day_in_shanghai(db, world):
    link = issue(db, world)
    assert link.expires_at == AFTER
    assert link.revoked_at is None and link.use_count == 0 and len(link.nonce) >= 20
    row = db.session.scalar(select(AuditLog).where(AuditLog.event == "link_issue"))
    assert row.actor_id == world["admin"].id and row.target_label == "农业农村局"


def test_a_unit_without_a_liaison_gets_no_link(db, world):
    lonely = make_unit("统计局")
    world["round"].scope.append(type(world["round"].scope[0])(unit=lonely))
    db.session.commit()
    with pytest.raises(DomainError, match="没有可用的联络员账号"):
        operations.issue_link(world["admin"], world["round"], lonely)


def test_only_an_admin_issues_and_no_link_after_the_round(db, world, frozen_clock):
    with pytest.raises(NotAllowed):
        operations.issue_link(world["users"]["checker"], world["round"], world["unit"])
    frozen_clock.set(AFTER)
    with pytest.raises(DomainError, match="已于 2023-12-31 结束"):
        operations.issue_link(world["admin"], world["round"], world["unit"])


def test_issue_again_draws_a_new_nonce_and_revoke_sets_revoked_at(db, world):
    first = issue(db, world)
    old_nonce, link_id = first.nonce, first.id
    operations.revoke_link(world["admin"], world["round"], world["unit"])
    db.session.commit()
    assert first.revoked_at == DURING
    again = issue(db, world)
    assert again.id == link_id and again.nonce != old_nonce and again.revoked_at is None
    with pytest.raises(DomainError):
        operations.revoke_link(world["admin"], world["round"], world["users"]["other_unit"].unit)


def test_issue_all_skips_units_without_a_liaison(db, world):
    lonely = make_unit("统计局")
    world["round"].scope.append(type(world["round"].scope[0])(unit=lonely))
    db.session.commit()
    issued, skipped = operations.issue_all(world["admin"], world["round"])
    db.session.commit()
    assert (issued, skipped) == (2, ["统计局"])
    assert operations.issue_all(world["admin"], world["round"]) == (0, ["统计局"])  # active ones are kept


# Tokens


def test_tokens_round_trip_and_refuse_anything_else(app, db):
    token = make_token(7, "abc")
    assert read_token(token) == (7, "abc")
    forged = URLSafeSerializer("another-secret", salt=SALT).dumps([7, "abc"])
    other_salt = URLSafeSerializer(app.secret_key, salt="other").dumps([7, "abc"])
    shapes = [URLSafeSerializer(app.secret_key, salt=SALT).dumps(v) for v in ({"id": 7}, [True, "x"], [7, ""], [7])]
    for bad in [token[:-2], token + "x", forged, other_salt, "", "x" * 500, *shapes]:
        assert read_token(bad) is None, bad


# Using a link


def test_a_valid_link_opens_the_units_self_check_without_a_password(client, db, world):
    link = issue(db, world)
    resp = open_link(client, link)
    assert resp.headers["Location"] == f"/rounds/{world['round'].id}/self-check"
    page = client.get(resp.headers["Location"], follow_redirects=True)
    assert page.status_code == 200 and page.request.path == f"/submissions/{world['submission'].id}"
    html = page.get_data(as_text=True)
    assert "农业农村局 · 单位自查" in html and 'class="survey-form"' in html
    [row] = uses(db)
    assert row.success and row.actor_id == world["users"]["unit"].id and row.details["link_id"] == link.id
    link = db.session.get(UnitLink, link.id)
    assert link.use_count == 1 and link.last_used_at == DURING


def test_a_link_session_fills_the_self_check_and_works_the_units_problems(client, db, world):
    link = issue(db, world)
    open_link(client, link)
    sub, problem = world["submission"], world["problem"]
    token = csrf_from(client.get(f"/ledger/{problem.id}").get_data(as_text=True))
    resp = client.post(f"/submissions/{sub.id}/draft", json={"answers": {"q1": "yes"}, "lock_version": 1},
                       headers={"X-CSRFToken": token})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    listing = client.get("/ledger")
    assert listing.status_code == 302 and f"round={world['round'].id}" in listing.headers["Location"]
    html = client.get(listing.headers["Location"]).get_data(as_text=True)
    assert problem.code in html and world["other_problem"].code not in html
    resp = client.post(f"/ledger/{problem.id}/accept", data={
        "csrf_token": token, "lock_version": "1", "measures": "补齐学习记录", "responsible_person": "王五",
        "planned_on": "2023-06-20"})
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    db.session.rollback()
    event = db.session.scalar(select(ProblemEvent).where(ProblemEvent.problem_id == problem.id,
                                                         ProblemEvent.action == "accept"))
    assert event.actor_id == world["users"]["unit"].id  # the unit's liaison acts
    assert db.session.get(Submission, sub.id).answers == {"q1": "yes"}
    actions = [r.details.get("endpoint") for r in uses(db) if r.success]
    assert actions == [None, "ledger.act"]  # the opening, then the action; autosaves are not logged


def test_the_liaison_must_not_change_a_password_to_use_a_link(client, db, world):
    liaison = world["users"]["unit"]
    liaison.must_change_password = True
    db.session.commit()
    open_link(client, issue(db, world))
    assert client.get(f"/submissions/{world['submission'].id}").status_code == 200


@pytest.mark.parametrize("case, reason, status", [
    ("expired", "expired", 403), ("revoked", "revoked", 403), ("reissued", "replaced", 403),
    ("tampered", "tampered", 404), ("disabled", "no_liaison", 403), ("unknown", "unknown", 404)])
def test_a_bad_link_is_refused_in_chinese_and_audited(client, db, world, frozen_clock, case, reason, status):
    link = issue(db, world)
    url = url_of(link)
    if case == "expired":
        frozen_clock.set(AFTER)
    elif case == "revoked":
        operations.revoke_link(world["admin"], world["round"], world["unit"])
    elif case == "reissued":
        issue(db, world)
    elif case == "tampered":
        url = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
    elif case == "disabled":
        world["users"]["unit"].is_disabled = True
    elif case == "unknown":
        url = f"/l/{make_token(link.id + 100, link.nonce)}"
    db.session.commit()
    resp = client.get(url)
    assert resp.status_code == status
    html = resp.get_data(as_text=True)
    assert "链接" in html and re.search(r"[\u4e00-\u9fff]{6,}", html)
    assert client.get("/").status_code == 302  # no session was opened
    [row] = uses(db)
    assert not row.success and row.details["reason"] == reason
    assert db.session.get(UnitLink, link.id).use_count == 0


@pytest.mark.parametrize("change", ["expire", "revoke", "reissue"])
def test_a_link_session_ends_at_once_when_its_link_stops(client, db, world, frozen_clock, change):
    link = issue(db, world)
    open_link(client, link)
    assert client.get(f"/submissions/{world['submission'].id}").status_code == 200
    if change == "expire":
        frozen_clock.set(AFTER)
    elif change == "revoke":
        operations.revoke_link(world["admin"], world["round"], world["unit"])
        db.session.commit()
    else:
        issue(db, world)
    resp = client.get(f"/submissions/{world['submission'].id}")
    assert resp.status_code == 403 and ("已过期" in resp.get_data(as_text=True) or "撤销" in resp.get_data(as_text=True)
                                        or "重新生成" in resp.get_data(as_text=True))
    nxt = client.get(f"/submissions/{world['submission'].id}")
    assert nxt.status_code == 302 and nxt.headers["Location"].startswith("/login")  # the session is gone
    refused = [r for r in uses(db) if not r.success]
    assert [r.details["reason"] for r in refused] == [{"expire": "expired", "revoke": "revoked",
                                                        "reissue": "replaced"}[change]]


def test_another_units_pages_are_refused_and_audited(client, db, world, tmp_path):
    link = issue(db, world)
    open_link(client, link)
    other_sub, other_problem = world["other_submission"], world["other_problem"]
    evidence = Evidence(problem_id=other_problem.id, stored_name="x.jpg", kind="jpg", size=1, sha256="0" * 64)
    visit = filling.open_submission(world["round"], world["unit"], "visit", world["admin"])
    db.session.add(evidence)
    db.session.commit()
    token = csrf_from(client.get("/l").get_data(as_text=True))
    gets = [f"/submissions/{other_sub.id}", f"/ledger/{other_problem.id}", f"/ledger/evidence/{evidence.id}",
            f"/submissions/{visit.id}", f"/u/{world['round'].id}/{world['users']['other_unit'].unit_id}",
            f"/rounds/{world['round'].id + 1}/self-check"]
    posts = [f"/submissions/{other_sub.id}/submit", f"/ledger/{other_problem.id}/accept",
             f"/ledger/{other_problem.id}/evidence", f"/submissions/{other_sub.id}/photos"]
    for url in gets:
        resp = client.get(url)
        assert resp.status_code == 403, url
        assert "只能打开本单位在本批次" in resp.get_data(as_text=True)
    for url in posts:
        assert client.post(url, data={"csrf_token": token}).status_code == 403, url
    refused = [r for r in uses(db) if not r.success]
    assert len(refused) == len(gets) + len(posts)
    assert {r.details["reason"] for r in refused} == {"wrong_unit"}
    assert all(r.actor_id == world["users"]["unit"].id for r in refused)
    resp = client.post(f"/submissions/{other_sub.id}/draft", json={"answers": {}}, headers={"X-CSRFToken": token})
    assert resp.status_code == 403 and resp.get_json()["reason"] == "wrong_unit"  # the phone's autosave reads JSON
    assert client.get(f"/submissions/{world['submission'].id}").status_code == 200  # the session goes on


def _url(rule) -> str:
    url = re.sub(r"<any\(\s*([^,)]+)[^)]*\):\w+>", lambda m: m.group(1).strip(), rule.rule)  # the first choice
    url = re.sub(r"<int:[a-z_]+>", "1", url)
    return re.sub(r"<(path:)?[a-z_]+>", "x", url)


def test_a_link_session_reaches_nothing_else(app, client, db, world):
    """Every endpoint of the app that is neither public nor one of the link's own: refused (403),
    before its view runs; the three menu entries of a liaison lead back to the link's page."""
    link = issue(db, world)
    open_link(client, link)
    token = csrf_from(client.get("/l").get_data(as_text=True))
    to_home = {"home.index", "auth.account", "filling.rounds"}
    tried = 0
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if getattr(view, "access", None) == "public" or (rule.endpoint in RULES and rule.endpoint not in to_home):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            url = _url(rule)
            resp = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token})
            tried += 1
            if rule.endpoint in to_home:
                assert resp.status_code == 302 and resp.headers["Location"] == "/l", url
            else:
                assert resp.status_code == 403, (method, url, resp.status_code)
    assert tried > 80
    db.session.rollback()
    liaison = db.session.get(User, world["users"]["unit"].id)
    assert liaison.session_token == world["users"]["unit"].session_token  # /logout did not run for it
    refused = [r for r in uses(db) if not r.success]
    assert refused and {r.details["reason"] for r in refused} == {"out_of_scope"}
    assert client.get(f"/submissions/{world['submission'].id}").status_code == 200


def test_leaving_a_link_session_ends_it(client, db, world):
    open_link(client, issue(db, world))
    html = client.get("/l").get_data(as_text=True)
    assert "农业农村局" in html and "退出免密访问" in html
    resp = client.post("/l/leave", data={"csrf_token": csrf_from(html)})
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"
    assert client.get(f"/submissions/{world['submission'].id}").headers["Location"].startswith("/login")


def test_a_password_login_replaces_a_link_session(client, db, world):
    open_link(client, issue(db, world))
    assert client.get("/login").headers["Location"] == "/"  # then "/" leads to the link's page
    token = csrf_from(client.get("/l").get_data(as_text=True))
    resp = client.post("/login", data={"csrf_token": token, "username": "boss", "password": "Test@12345"})
    assert resp.status_code == 302
    assert client.get("/admin/users").status_code == 200
    assert client.get("/l").headers["Location"] == "/"  # no link session any more


def test_a_link_for_another_round_does_not_reach_this_one(client, db, world):
    """The same unit in a later round: a link of one round opens nothing of the other."""
    later = filling.create_round(world["admin"], name="2024年批次", code="2024", starts_on=date(2023, 1, 1),
                                 ends_on=date(2024, 12, 31), self_check_deadline=date(2024, 4, 30),
                                 self_check_version=world["round"].self_check_version,
                                 onsite_version=world["round"].onsite_version, units=[world["unit"]])
    db.session.commit()
    link = operations.issue_link(world["admin"], later, world["unit"])
    db.session.commit()
    open_link(client, link)
    assert client.get(f"/submissions/{world['submission'].id}").status_code == 403
    assert client.get(f"/ledger/{world['problem'].id}").status_code == 403
    assert client.get(f"/rounds/{world['round'].id}/self-check").status_code == 403
    assert client.get(f"/rounds/{later.id}/self-check").status_code == 302


# The administrator's pages, the QR sheet and the plain per-unit link


def test_admin_issues_and_revokes_from_the_links_page(client, db, world, login):
    login(world["admin"])
    rid, uid = world["round"].id, world["unit"].id
    page = client.get(f"/rounds/{rid}/links")
    assert page.status_code == 200 and "全部开通" in page.get_data(as_text=True)
    token = csrf_from(page.get_data(as_text=True))
    assert client.post(f"/rounds/{rid}/links/{uid}/issue", data={"csrf_token": token}).status_code == 303
    db.session.rollback()
    link = db.session.scalar(select(UnitLink).where(UnitLink.unit_id == uid))
    html = client.get(f"/rounds/{rid}/links").get_data(as_text=True)
    assert "http://localhost" + url_of(link) in html and "有效" in html
    assert client.post(f"/rounds/{rid}/links/{uid}/revoke", data={"csrf_token": token}).status_code == 303
    db.session.rollback()
    assert db.session.get(UnitLink, link.id).revoked_at is not None
    resp = client.post(f"/rounds/{rid}/links/{uid}/revoke", data={"csrf_token": token}, follow_redirects=True)
    assert "没有可撤销的免密链接" in resp.get_data(as_text=True)


def test_the_qr_sheet_has_an_svg_code_and_the_link_of_every_unit(client, db, world, login):
    link = issue(db, world)
    login(world["admin"])
    html = client.get(f"/rounds/{world['round'].id}/qr").get_data(as_text=True)
    assert html.count('<svg viewBox="0 0 ') == 2 and html.count('class="qr-line"') == 2
    signed = "http://localhost" + url_of(link)
    plain = f"http://localhost/u/{world['round'].id}/{world['users']['other_unit'].unit_id}"
    assert signed in html and plain in html
    assert 'data-signed="yes"' in html and 'data-signed="no"' in html
    one = client.get(f"/rounds/{world['round'].id}/qr?unit={world['unit'].id}").get_data(as_text=True)
    assert one.count("<svg viewBox") == 1


def test_an_inspector_sees_plain_links_of_the_groups_units_only(client, db, world, login):
    issue(db, world)
    login(world["users"]["checker"])
    html = client.get(f"/rounds/{world['round'].id}/qr").get_data(as_text=True)
    assert html.count("<svg viewBox") == 1 and "/l/" not in html
    assert f"/u/{world['round'].id}/{world['unit'].id}" in html
    assert client.get(f"/rounds/{world['round'].id}/links").status_code == 403


def test_the_svg_draws_the_qr_code_of_the_link(app, db, world):
    """segno cannot decode: compare the drawn modules with the code's own matrix instead."""
    import segno

    from survey.links.qr import qr_svg

    url = "http://localhost/u/1/2"
    svg = str(qr_svg(url))
    code = segno.make(url, error="m", micro=False)
    size = len(code.matrix) + 8
    assert f'viewBox="0 0 {size} {size}"' in svg
    drawn = [[0] * size for _ in range(size)]
    x = y = 0.0
    for op, a, b in re.findall(r"([Mmh])(-?\d+(?:\.\d+)?)(?: (-?\d+(?:\.\d+)?))?", re.search(r' d="([^"]+)"', svg)[1]):
        if op in "Mm":
            x, y = (float(a), float(b)) if op == "M" else (x + float(a), y + float(b))
        else:
            for i in range(int(float(a))):
                drawn[int(y)][int(x) + i] = 1
            x += float(a)
    expected = [[0] * size for _ in range(size)]
    for r, row in enumerate(code.matrix):
        for c, dark in enumerate(row):
            expected[r + 4][c + 4] = 1 if dark else 0
    assert drawn == expected


@pytest.mark.parametrize("who, where", [("unit", "/rounds/{r}/self-check"), ("other_unit", 403),
                                        ("checker", "/rounds/{r}"), ("admin", "/rounds/{r}")])
def test_the_plain_unit_link(client, db, world, login, who, where):
    login(world["users"][who])
    resp = client.get(f"/u/{world['round'].id}/{world['unit'].id}")
    if where == 403:
        assert resp.status_code == 403 and "农业农村局" in resp.get_data(as_text=True)
    else:
        assert resp.status_code == 302 and resp.headers["Location"] == where.format(r=world["round"].id)


def test_anonymous_plain_link_goes_through_login_and_back(client, db, world):
    from tests.conftest import get_csrf

    url = f"/u/{world['round'].id}/{world['unit'].id}"
    resp = client.get(url)
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    token = get_csrf(client, resp.headers["Location"])
    resp = client.post(resp.headers["Location"], data={"csrf_token": token, "username": "liaison",
                                                       "password": "Test@12345"})
    assert resp.headers["Location"] == url


def test_link_states(db, world, frozen_clock):
    link = issue(db, world)
    assert queries.link_state(link, DURING) == "active"
    assert queries.link_state(link, AFTER - timedelta(seconds=1)) == "active"
    assert queries.link_state(link, AFTER) == "expired"
    assert queries.refusal(link, "not-the-nonce", DURING) == "replaced"
    assert queries.refusal(None, link.nonce, DURING) == "unknown"


def test_the_badge_in_a_link_session_counts_the_links_round_only(client, db, world):
    """The unit also has a waiting problem in another round: a link session's 台账 badge leaves it out."""

    later = filling.create_round(world["admin"], name="2024年批次", code="2024", starts_on=date(2023, 1, 1),
                                 ends_on=date(2024, 12, 31), self_check_deadline=date(2024, 4, 30),
                                 self_check_version=world["round"].self_check_version,
                                 onsite_version=world["round"].onsite_version, units=[world["unit"]])
    sub = filling.open_submission(later, world["unit"], "self_check", world["admin"])
    db.session.flush()
    create_problems(sub, [{"description": "另一批次的问题", "category": "其他"}], world["admin"], date(2023, 5, 1))
    db.session.commit()
    open_link(client, issue(db, world))
    page = client.get(f"/ledger?round={world['round'].id}").get_data(as_text=True)
    badge = re.search(r'class="badge"[^>]*>(\d+)<', page)
    assert badge and badge.group(1) == "1", page[:2000] if not badge else badge.group(0)


def test_a_refusal_in_a_link_session_is_one_audit_row(client, db, world):
    open_link(client, issue(db, world))
    before = db.session.scalar(select(func.count()).select_from(AuditLog))
    assert client.get("/admin/units").status_code == 403
    db.session.rollback()
    rows = list(db.session.scalars(select(AuditLog).order_by(AuditLog.id).offset(before)))
    assert [(r.event, r.success, r.details.get("reason")) for r in rows] == [("link_use", False, "out_of_scope")]
