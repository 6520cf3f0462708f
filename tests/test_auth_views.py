"""Logging in and out, lockout, sessions and password changes, over HTTP."""
from __future__ import annotations

from datetime import timedelta

import itsdangerous.timed
import pytest
from sqlalchemy import select

from survey.models import AuditLog, Role, User
from tests.conftest import csrf_from, do_login, get_csrf
from tests.factories import DEFAULT_PASSWORD, make_user


def audit_events(db, username=None):
    stmt = select(AuditLog).order_by(AuditLog.id)
    if username:
        stmt = stmt.where(AuditLog.actor_username == username)
    return [row.event for row in db.session.scalars(stmt)]


def test_login_page_is_a_form_with_the_contract_fields(client):
    html = client.get("/login").get_data(as_text=True)
    for name in ("username", "password", "csrf_token"):
        assert f'name="{name}"' in html


def test_login_succeeds_and_lands_on_home(client, db):
    user = make_user(Role.ADMIN, username="boss")
    resp = do_login(client, "boss")
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    assert "boss" in client.get("/account").get_data(as_text=True)
    assert audit_events(db, "boss") == ["login"]
    assert db.session.get(User, user.id).last_login_at is not None


def test_wrong_password_says_so_in_chinese_and_counts(client, db):
    make_user(Role.ADMIN, username="boss")
    resp = do_login(client, "boss", "Wrong@1234")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 401
    assert "用户名或密码错误" in body and "再错" not in body
    assert 'value="boss"' in body  # what was typed is kept
    assert audit_events(db, "boss") == ["login_failed"]


def test_unknown_user_gets_the_same_message_and_an_audit_row(client, db):
    resp = do_login(client, "nobody", "Wrong@1234")
    assert resp.status_code == 401 and "用户名或密码错误" in resp.get_data(as_text=True)
    row = db.session.scalar(select(AuditLog))
    assert (row.event, row.actor_username, row.success) == ("login_failed", "nobody", False)
    assert row.ip == "127.0.0.1"


def test_five_failures_lock_for_fifteen_minutes_then_unlock(client, db, frozen_clock):
    make_user(Role.INSPECTOR, username="insp")
    for _ in range(4):
        assert do_login(client, "insp", "Wrong@1234").status_code == 401
    resp = do_login(client, "insp", "Wrong@1234")
    assert "已锁定 15 分钟" in resp.get_data(as_text=True)
    # Even the right password is refused while locked.
    resp = do_login(client, "insp")
    assert resp.status_code == 401 and "账号已锁定" in resp.get_data(as_text=True)
    frozen_clock.advance(timedelta(minutes=14, seconds=59))
    assert do_login(client, "insp").status_code == 401
    frozen_clock.advance(timedelta(seconds=2))
    assert do_login(client, "insp").status_code == 302
    events = audit_events(db, "insp")
    assert events.count("lockout") == 1 and events[-1] == "login"


def test_success_resets_the_failure_counter(client, db):
    make_user(Role.ADMIN, username="boss")
    for _ in range(4):
        do_login(client, "boss", "Wrong@1234")
    assert do_login(client, "boss").status_code == 302
    client.post("/logout", data={"csrf_token": get_csrf(client, "/account")})
    for _ in range(4):
        assert "账号已锁定" not in do_login(client, "boss", "Wrong@1234").get_data(as_text=True)


def test_disabled_account_is_refused(client, db):
    make_user(Role.ADMIN, username="gone", is_disabled=True)
    resp = do_login(client, "gone")
    assert resp.status_code == 401 and "账号已停用" in resp.get_data(as_text=True)


def test_per_ip_limit_is_high_enough_for_a_shared_nat(app, client, db):
    users = [make_user(Role.UNIT, username=f"unit{i}") for i in range(30)]
    for user in users:  # 30 units behind one address each mistype once
        do_login(client, user.username, "Wrong@1234")
    assert do_login(client, users[0].username).status_code == 302


def test_per_ip_limit_stops_a_spray(app, client, db):
    make_user(Role.ADMIN, username="boss")
    app.config["IP_FAILURE_LIMIT"] = 3
    try:
        for i in range(3):
            do_login(client, f"guess{i}", "Wrong@1234")
        resp = do_login(client, "boss")
        assert resp.status_code == 401 and "此网络登录失败次数过多" in resp.get_data(as_text=True)
    finally:
        app.config["IP_FAILURE_LIMIT"] = 300


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example",
                                    "javascript:alert(1)"])
def test_login_never_redirects_off_site(client, db, target):
    make_user(Role.ADMIN, username="boss")
    token = get_csrf(client)
    resp = client.post("/login?next=" + target, data={
        "csrf_token": token, "username": "boss", "password": DEFAULT_PASSWORD})
    assert resp.status_code == 302 and resp.headers["Location"] == "/"


def test_login_follows_a_local_next(client, db):
    make_user(Role.ADMIN, username="boss")
    token = get_csrf(client)
    resp = client.post("/login?next=/admin/units", data={
        "csrf_token": token, "username": "boss", "password": DEFAULT_PASSWORD})
    assert resp.headers["Location"] == "/admin/units"


def test_logout_invalidates_a_replayed_cookie(app, client, db):
    make_user(Role.ADMIN, username="boss")
    do_login(client, "boss")
    stolen = client.get_cookie("survey_session").value
    resp = client.post("/logout", data={"csrf_token": get_csrf(client, "/account")})
    assert resp.status_code == 302
    other = app.test_client()
    other.set_cookie("survey_session", stolen)
    assert other.get("/admin/units").status_code == 302  # back to login
    assert audit_events(db, "boss")[-1] == "logout"


def test_password_change_ends_other_sessions_but_not_this_one(app, client, db):
    make_user(Role.ADMIN, username="boss")
    other = app.test_client()
    do_login(other, "boss")
    do_login(client, "boss")
    token = get_csrf(client, "/account/password")
    resp = client.post("/account/password", data={
        "csrf_token": token, "current_password": DEFAULT_PASSWORD,
        "new_password": "Newpass#2026", "confirm": "Newpass#2026"})
    assert resp.status_code == 302
    assert client.get("/admin/units").status_code == 200
    assert other.get("/admin/units").status_code == 302
    assert "password_change" in audit_events(db, "boss")


@pytest.mark.parametrize("new, message", [
    ("short1A", "至少 8 位"),
    ("alllowercase", "至少三类"),
    ("lowerand123", "至少三类"),
    (DEFAULT_PASSWORD, "不能与当前密码相同"),
])
def test_password_change_enforces_the_policy(client, db, new, message):
    make_user(Role.ADMIN, username="boss")
    do_login(client, "boss")
    token = get_csrf(client, "/account/password")
    resp = client.post("/account/password", data={
        "csrf_token": token, "current_password": DEFAULT_PASSWORD, "new_password": new, "confirm": new})
    assert resp.status_code == 422 and message in resp.get_data(as_text=True)


def test_password_change_needs_the_current_password(client, db):
    make_user(Role.ADMIN, username="boss")
    do_login(client, "boss")
    token = get_csrf(client, "/account/password")
    resp = client.post("/account/password", data={
        "csrf_token": token, "current_password": "Nope@12345", "new_password": "Newpass#2026",
        "confirm": "Newpass#2026"})
    assert resp.status_code == 422 and "当前密码不正确" in resp.get_data(as_text=True)


def test_user_created_by_admin_must_change_password_first(client, db):
    make_user(Role.UNIT, username="fresh", must_change_password=True)
    resp = do_login(client, "fresh")
    assert resp.status_code == 302
    resp = client.get("/")
    assert resp.status_code == 302 and resp.headers["Location"] == "/account/password"
    token = get_csrf(client, "/account/password")
    client.post("/account/password", data={
        "csrf_token": token, "current_password": DEFAULT_PASSWORD,
        "new_password": "Mine#2026x", "confirm": "Mine#2026x"})
    assert client.get("/").status_code == 200


def test_idle_session_expires_after_thirty_minutes(client, db, monkeypatch):
    make_user(Role.ADMIN, username="boss")
    now = [1_800_000_000.0]

    class FakeTime:
        @staticmethod
        def time():
            return now[0]

    monkeypatch.setattr(itsdangerous.timed, "time", FakeTime)
    do_login(client, "boss")
    now[0] += 29 * 60
    assert client.get("/admin/units").status_code == 200  # activity refreshes the session
    now[0] += 29 * 60
    assert client.get("/admin/units").status_code == 200
    now[0] += 31 * 60
    resp = client.get("/admin/units")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")


def test_session_cookie_flags(app, client, db):
    make_user(Role.ADMIN, username="boss")
    resp = do_login(client, "boss")
    cookie = resp.headers.get("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    other = app.test_client()
    token = get_csrf(other)
    resp = other.post("/login", base_url="https://localhost", data={
        "csrf_token": token, "username": "boss", "password": DEFAULT_PASSWORD})
    assert "Secure" in resp.headers.get("Set-Cookie", "")


def test_csrf_token_survives_for_the_whole_session(client, db, frozen_clock):
    make_user(Role.ADMIN, username="boss")
    do_login(client, "boss")
    html = client.get("/admin/units/new").get_data(as_text=True)
    frozen_clock.advance(timedelta(hours=3))
    resp = client.post("/admin/units/new", data={"csrf_token": csrf_from(html), "name": "新单位",
                                                 "category": "其他"})
    assert resp.status_code == 302
