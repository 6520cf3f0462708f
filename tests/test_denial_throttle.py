"""Scanners cannot grow the audit log (issue 12): anonymous denials are aggregated per address and
minute and rate-limited with Flask-Limiter (its counters in Redis when REDIS_URL is set); a
logged-in user's denials stay one row each."""
from __future__ import annotations

import secrets

import pytest
from sqlalchemy import func, select

from survey import create_app
from survey.config import TestConfig
from survey.extensions import db as _db
from survey.models import AuditLog, Role
from survey.throttle import ANONYMOUS_DENIALS
from tests.conftest import IsolatedClient, database_url, do_login
from tests.factories import make_user

REDIS = "redis://127.0.0.1:6379/5"


def rows(db, event: str) -> list[AuditLog]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditLog).where(AuditLog.event == event).order_by(AuditLog.id)))


def _junk(client, n: int, ip: str) -> list[int]:
    return [client.get(f"/l/{secrets.token_urlsafe(24)}", environ_base={"REMOTE_ADDR": ip}).status_code
            for _ in range(n)]


def _csrf_less(client, n: int, ip: str) -> list[int]:
    """Posts without a CSRF token to the one form an anonymous visitor can post: the login."""
    return [client.post("/login", data={"username": "x", "password": "y"}, environ_base={"REMOTE_ADDR": ip}).status_code
            for _ in range(n)]


def test_150_junk_link_requests_give_a_handful_of_rows_then_429(client, db):
    codes = _junk(client, 150, "203.0.113.7")
    assert all(c < 500 for c in codes)
    assert codes.count(429) == 150 - ANONYMOUS_DENIALS and 429 not in codes[:ANONYMOUS_DENIALS]
    written = rows(db, "link_use")
    assert [r.details["count"] for r in written] == [1, 10, ANONYMOUS_DENIALS]
    assert all(r.ip == "203.0.113.7" and r.details["per"] == "ip_minute" and not r.success for r in written)
    # Another address is counted on its own.
    assert _junk(client, 1, "203.0.113.8") != [429]
    assert len(rows(db, "link_use")) == 4


def test_150_anonymous_csrf_failures_give_a_handful_of_rows(client, db):
    codes = _csrf_less(client, 150, "203.0.113.9")
    # The login stays open to that address (a shared NAT): aggregated, never refused with 429.
    assert set(codes) == {400}
    assert [r.details["count"] for r in rows(db, "csrf_failed")] == [1, 10, ANONYMOUS_DENIALS, 100]
    assert client.get("/login", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 200


def test_a_logged_in_users_denials_stay_one_row_each(client, db, login):
    liaison = make_user(Role.UNIT, username="liaison")
    login(liaison)
    for _ in range(3):
        assert client.get("/admin/units").status_code == 403
    denied = rows(db, "access_denied")
    assert len(denied) == 3 and all(r.actor_username == "liaison" and "count" not in r.details for r in denied)
    # Logged in, the user is never rate-limited by the anonymous limit either.
    _junk(client, ANONYMOUS_DENIALS + 5, "127.0.0.1")
    assert client.get("/").status_code == 200


@pytest.fixture()
def redis_hosts(app, db):
    """Two app instances (two hosts) sharing one database and Redis db 5."""
    redis = pytest.importorskip("redis").Redis.from_url(REDIS)
    try:
        redis.ping()
    except Exception:  # noqa: BLE001
        pytest.fail(f"Redis is not reachable at {REDIS}")
    prefix = f"survey-test-{secrets.token_hex(4)}"
    hosts = []
    for _ in range(2):
        config = TestConfig(database_url())
        config.REDIS_URL, config.RATELIMIT_KEY_PREFIX = REDIS, prefix
        host = create_app(config)
        host.test_client_class = IsolatedClient
        hosts.append(host)
    yield hosts, redis, prefix
    for key in redis.scan_iter(f"*{prefix}*"):
        redis.delete(key)
    for host in hosts:
        with host.app_context():
            _db.engine.dispose()


def test_with_redis_the_counters_are_shared_by_every_host(redis_hosts, db):
    (one, two), redis, prefix = redis_hosts
    with one.app_context():
        codes = _junk(one.test_client(), ANONYMOUS_DENIALS // 2, "198.51.100.4")
    with two.app_context():
        codes += _junk(two.test_client(), 150 - ANONYMOUS_DENIALS // 2, "198.51.100.4")
    assert codes.count(429) == 150 - ANONYMOUS_DENIALS
    assert [r.details["count"] for r in rows(db, "link_use")] == [1, 10, ANONYMOUS_DENIALS]
    assert any(prefix in key.decode() for key in redis.scan_iter(f"*{prefix}*"))
    with one.app_context():
        assert db.session.scalar(select(func.count(AuditLog.id))) == 3
