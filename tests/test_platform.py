"""Health check, static assets, compression, security headers, error pages."""
from __future__ import annotations

import brotli
import gzip
import re

from survey import create_app
from survey.config import TestConfig
from survey.models import Role
from tests.conftest import database_url
from tests.factories import make_user


def test_healthz_reports_ok_after_a_real_query(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.get_json() == {"status": "ok", "db": "ok", "storage": "ok"}


def test_healthz_is_503_when_the_database_is_unreachable():
    bad = ("sqlite:////nonexistent-dir/never/x.db" if database_url().startswith("sqlite")
           else "postgresql+psycopg://127.0.0.1:1/test?connect_timeout=2")
    app = create_app(TestConfig(bad))
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503 and resp.get_json()["db"] == "unreachable"


def test_pages_are_503_without_a_stack_trace_when_the_database_is_down():
    bad = ("sqlite:////nonexistent-dir/never/x.db" if database_url().startswith("sqlite")
           else "postgresql+psycopg://127.0.0.1:1/test?connect_timeout=2")
    app = create_app(TestConfig(bad))
    client = app.test_client()
    resp = client.post("/login", data={"username": "a", "password": "b"})
    # The CSRF check fails first (no session token) and its audit write needs the database.
    body = resp.get_data(as_text=True)
    assert resp.status_code == 503 and "数据库暂时无法连接" in body and "Traceback" not in body


def test_a_logged_in_page_is_503_not_500_when_the_database_is_down():
    """The user's session names a user the database cannot load: the 503 page itself must not try again
    (Flask-Login's template context loads the user: found by bench/faults_db_down.py, 500s before)."""
    bad = ("sqlite:////nonexistent-dir/never/x.db" if database_url().startswith("sqlite")
           else "postgresql+psycopg://127.0.0.1:1/test?connect_timeout=2")
    client = create_app(TestConfig(bad)).test_client()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = "1:whatever", True
    for url in ("/", "/ledger", "/dashboard"):
        resp = client.get(url)
        body = resp.get_data(as_text=True)
        assert resp.status_code == 503 and "数据库暂时无法连接" in body and "Traceback" not in body, url


def test_static_files_have_hashed_names_and_long_cache(client):
    html = client.get("/login").get_data(as_text=True)
    css_url = re.search(r'href="(/static/css/app\.[0-9a-f]{10}\.css)"', html).group(1)
    resp = client.get(css_url)
    assert resp.status_code == 200 and resp.mimetype == "text/css"
    assert "max-age=31536000" in resp.headers["Cache-Control"]
    assert "immutable" in resp.headers["Cache-Control"]
    plain = client.get("/static/css/app.css")
    assert "max-age=300" in plain.headers["Cache-Control"]
    assert client.get("/static/css/app.0000000000.css").status_code == 200  # stale hash: short cache
    assert client.get("/static/../survey/config.py").status_code == 404


def test_assets_of_a_logged_in_page_stay_cached(client, db, login):
    """No session cookie on hashed assets: with it came "Vary: Cookie", and as the session cookie's
    signature changes every second a phone revalidated the CSS and JS on every page (one more round
    trip before the first paint, bench/phone_speed.py). The page itself still refreshes the session."""
    login(make_user(Role.UNIT))
    html = client.get("/").get_data(as_text=True)
    for url in re.findall(r'(?:href|src)="(/static/[^"]+\.[0-9a-f]{10}\.(?:css|js))"', html):
        resp = client.get(url)
        assert resp.status_code == 200 and "immutable" in resp.headers["Cache-Control"], url
        assert "Cookie" not in resp.headers.get("Vary", ""), (url, resp.headers.get("Vary"))
        assert "Set-Cookie" not in resp.headers, url
    page = client.get("/")
    assert "Set-Cookie" in page.headers and page.headers["Cache-Control"] == "no-store"


def test_responses_are_compressed_with_brotli_or_gzip(client):
    css = client.get("/static/css/app.css").data
    br = client.get("/static/css/app.css", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert br.headers["Content-Encoding"] == "br"
    assert brotli.decompress(br.data) == css and len(br.data) < len(css) / 2
    gz = client.get("/static/css/app.css", headers={"Accept-Encoding": "gzip"})
    assert gz.headers["Content-Encoding"] == "gzip" and gzip.decompress(gz.data) == css
    page = client.get("/login", headers={"Accept-Encoding": "br"})
    assert page.headers["Content-Encoding"] == "br"


def test_security_headers_on_pages_errors_and_assets(client, db, login):
    login(make_user(Role.UNIT))
    for url in ("/", "/admin/units", "/nope", "/static/css/app.css"):
        resp = client.get(url)
        h = resp.headers
        assert "frame-ancestors 'none'" in h["Content-Security-Policy"], url
        assert "script-src 'self'" in h["Content-Security-Policy"]
        assert h["X-Content-Type-Options"] == "nosniff"
        assert h["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert h["X-Request-ID"]
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_error_pages_speak_chinese(client, db, login):
    login(make_user(Role.UNIT))
    assert "页面不存在" in client.get("/no/such/page").get_data(as_text=True)
    assert "没有权限" in client.get("/admin/users").get_data(as_text=True)
    resp = client.delete("/")
    assert resp.status_code == 405 and "不支持的操作" in resp.get_data(as_text=True)


def test_pages_reference_no_outside_host(client, db, login):
    login(make_user(Role.ADMIN))
    for url in ("/login", "/", "/admin/units", "/admin/users/new", "/admin/audit"):
        html = client.get(url).get_data(as_text=True)
        assert not re.search(r'(src|href)="(https?:)?//', html), url
