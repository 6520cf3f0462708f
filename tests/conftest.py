"""Fixtures: one migrated database per run (SQLite, or PostgreSQL with TEST_DATABASE_URL),
emptied after every test; a client, a login helper and a controllable clock."""
from __future__ import annotations

import contextvars
import os
import re
import secrets
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="survey-tests-"))
os.environ["INSTANCE_PATH"] = str(_TMP / "instance")
os.environ.setdefault("SECRET_KEY", secrets.token_hex(16))

from flask import has_app_context  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from survey.ledger.categories import restore_default_categories  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from survey import clock, create_app  # noqa: E402
from survey.config import TestConfig, normalize_database_url  # noqa: E402
from survey.extensions import db as _db  # noqa: E402
from survey.questionnaires import cache as version_cache  # noqa: E402

from tests.factories import DEFAULT_PASSWORD  # noqa: E402

ARTIFACTS = Path(__file__).parent / "artifacts"


def database_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return normalize_database_url(url)
    return f"sqlite:///{_TMP / 'test.db'}"


def reset_postgres(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def pytest_collection_modifyitems(config, items):
    if not database_url().startswith("sqlite"):
        return
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(pytest.mark.skip(reason="PostgreSQL only"))


class IsolatedClient(FlaskClient):
    """Each request runs in a fresh context, as in production: its own app context, g and
    database session, not the test's. Afterwards the test's session is rolled back so the
    test reads what the request committed."""

    def open(self, *args, **kwargs):
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():
            _db.session.rollback()
        return response


@pytest.fixture(scope="session")
def app():
    url = database_url()
    if url.startswith("postgresql"):
        reset_postgres(url)
    config = TestConfig(url)
    if os.environ.get("TEST_STORAGE") == "s3":  # the whole suite's files in a bucket of moto's S3 server
        from tests import s3peer
        config.STORAGE_URL = s3peer.storage_url(s3peer.new_bucket())
    application = create_app(config)
    application.test_client_class = IsolatedClient
    with application.app_context():
        upgrade()
    yield application
    with application.app_context():
        _db.engine.dispose()


@pytest.fixture()
def db(app):
    with app.app_context():
        yield _db
        _db.session.rollback()
        _db.session.remove()
        with _db.engine.begin() as conn:
            for table in reversed(_db.metadata.sorted_tables):
                conn.execute(table.delete())
            restore_default_categories(conn)  # as the migration leaves a new database
        version_cache.clear()  # ids are reused once the tables are emptied
        app.extensions["denial_throttle"].reset()  # each test starts with no anonymous denials counted


S3_SUITE = os.environ.get("TEST_STORAGE") == "s3"


def local_disk_only() -> None:
    """For a test that reads the instance folder itself: skipped when the suite's files are in S3."""
    if S3_SUITE:
        pytest.skip("reads the local instance folder (TEST_STORAGE=s3)")


@pytest.fixture(autouse=S3_SUITE)
def s3_prefix_per_test(request, monkeypatch):
    """TEST_STORAGE=s3: each test's files under a prefix of their own, as a test's own instance
    folder isolates them on the local disk."""
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        bucket = app.config["STORAGE_URL"].split("/")[2]
        from tests import s3peer
        monkeypatch.setitem(app.config, "STORAGE_URL", s3peer.storage_url(bucket, prefix=f"t{secrets.token_hex(6)}"))


@pytest.fixture()
def s3_storage(app, monkeypatch):
    """This test's files in a new bucket on moto's S3 server (tests/s3peer.py); returns its name."""
    from tests import s3peer
    bucket = s3peer.new_bucket()
    monkeypatch.setitem(app.config, "STORAGE_URL", s3peer.storage_url(bucket))
    return bucket


@pytest.fixture()
def client(app, db):
    return app.test_client()


@pytest.fixture()
def frozen_clock():
    """A clock the test moves by hand: frozen_clock.set(dt) / .advance(timedelta)."""

    class Clock:
        now = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)

        def set(self, moment: datetime) -> None:
            self.now = moment
            clock.freeze(moment)

        def advance(self, delta) -> None:
            self.set(self.now + delta)

    c = Clock()
    clock.freeze(c.now)
    yield c
    clock.freeze(None)


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no csrf_token field"
    return match.group(1)


def get_csrf(client, url: str = "/login") -> str:
    return csrf_from(client.get(url).get_data(as_text=True))


def do_login(client, username: str, password: str = DEFAULT_PASSWORD, follow: bool = False):
    token = get_csrf(client, "/login")
    return client.post("/login", data={"csrf_token": token, "username": username,
                                       "password": password}, follow_redirects=follow)


class UserClient:
    """A test client of its own, logged in as user (anonymous without one), with the CSRF token
    its pages carry; headers() adds the token and, for a phone in the background, JSON."""

    def __init__(self, app, user=None):
        self.client = app.test_client()
        if user is not None:
            assert do_login(self.client, user.username).status_code == 302
            self.token = get_csrf(self.client, "/account")
        else:
            self.token = get_csrf(self.client, "/login")

    def headers(self, json: bool = True, token: str | None = None) -> dict:
        return {"X-CSRFToken": self.token if token is None else token,
                **({"Accept": "application/json"} if json else {})}


@pytest.fixture()
def login(client):
    """login(user) logs the test client in as user and returns the client."""

    def _login(user, password: str = DEFAULT_PASSWORD):
        resp = do_login(client, user.username, password)
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        return client

    return _login


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium through Playwright, one per run: the browser tests (tests/e2e) and the
    served-routes phone test share it (Playwright's sync API runs one loop per thread)."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()
