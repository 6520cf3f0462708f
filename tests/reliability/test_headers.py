"""Security headers on every kind of response: pages, JSON, redirects, downloads (photos, evidence,
Excel exports), static files, and errors 400/403/404/405/413/500/503; no-store on everything a
logged-in user gets except the files it may cache privately; HSTS behind HTTPS; no debug, no
version banner."""
from __future__ import annotations

import io

import pytest

from survey import create_app
from survey.config import TestConfig
from tests.conftest import csrf_from, database_url, do_login

PRIVATE_FILES = ("/photos/", "/ledger/evidence/", "/static/")


def check(resp, what: str, logged_in: bool) -> None:
    h = resp.headers
    csp = h.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, what
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0], what
    assert "object-src 'none'" in csp, what
    assert h.get("X-Content-Type-Options") == "nosniff", what
    assert h.get("X-Frame-Options") == "DENY", what
    assert h.get("Referrer-Policy") == "strict-origin-when-cross-origin", what
    assert h.get("X-Request-ID"), what
    assert "Server" not in h and "X-Powered-By" not in h, what
    a_file = any(p in what for p in PRIVATE_FILES) and resp.status_code == 200
    if logged_in and not a_file:
        assert h.get("Cache-Control") == "no-store", f"{what}: {h.get('Cache-Control')}"
    if a_file and "/static/" not in what:
        assert "private" in h.get("Cache-Control", ""), what
    body = resp.get_data()
    assert b"Traceback" not in body and b"Werkzeug" not in body and b"werkzeug" not in body, what


def test_every_response_kind_carries_the_headers(app, db, world, monkeypatch):
    assert not app.debug
    u = world.units[0]
    anon = app.test_client()
    for url in ("/login", "/healthz", "/sw.js", "/static/css/app.css", "/no/such/page", "/", "/admin/units"):
        check(anon.get(url), f"anonymous GET {url}", logged_in=False)
    check(anon.post("/login", data={"username": "x"}), "anonymous POST /login without CSRF (400)", False)

    admin = app.test_client()
    do_login(admin, "rel-admin")
    token = csrf_from(admin.get("/account").get_data(as_text=True))
    urls = ["/", "/ledger", f"/ledger/{u.ids['problem'][0]}", f"/submissions/{u.ids['submission'][0]}",
            f"/photos/{u.ids['photo'][0]}", f"/ledger/evidence/{u.ids['evidence'][0]}", "/ledger/export.xlsx",
            f"/rounds/{world.round_id}/answers.xlsx", "/admin/units/import-template.xlsx", "/admin/audit",
            "/ledger/999999", "/photos/999999"]
    for url in urls:
        resp = admin.get(url)
        assert resp.status_code < 500, url
        check(resp, f"admin GET {url} ({resp.status_code}, {resp.mimetype})", logged_in=True)
    check(admin.delete("/"), "admin DELETE / (405)", True)
    check(admin.post("/ledger/bulk", data={"csrf_token": "forged"}), "admin POST with a forged token", True)
    big = admin.post(f"/ledger/{u.ids['problem'][0]}/evidence", headers={"X-CSRFToken": token},
                     data={"files": (io.BytesIO(bytes(app.config["MAX_CONTENT_LENGTH"] + 10)), "x.pdf")},
                     content_type="multipart/form-data")
    assert big.status_code == 413
    check(big, "admin upload over the limit (413)", True)
    draft = admin.post(f"/submissions/{u.ids['submission'][0]}/draft", json={"answers": {}},
                       headers={"X-CSRFToken": token, "Accept": "application/json"})
    check(draft, f"admin JSON POST ({draft.status_code})", True)

    liaison = app.test_client()
    do_login(liaison, u.liaison.username)
    check(liaison.get("/admin/users"), "liaison GET /admin/users (403)", True)

    def boom():
        raise RuntimeError("secret internals")
    monkeypatch.setitem(app.view_functions, "ledger.index", getattr(boom, "__func__", boom))
    boom.access = "logged_in"
    crash = admin.get("/ledger")
    assert crash.status_code == 500 and b"secret internals" not in crash.get_data()
    check(crash, "admin GET /ledger that crashes (500)", True)


def test_the_database_down_page_carries_the_headers():
    bad = ("sqlite:////nonexistent-dir/never/x.db" if database_url().startswith("sqlite")
           else "postgresql+psycopg://127.0.0.1:1/test?connect_timeout=2")
    resp = create_app(TestConfig(bad)).test_client().get("/healthz")
    assert resp.status_code == 503
    check(resp, "healthz with the database down (503)", logged_in=False)


@pytest.mark.parametrize("proto, hsts", [("https", True), ("http", False)])
def test_hsts_only_behind_https(db, proto, hsts):
    config = TestConfig(database_url())
    config.TRUST_PROXY = 1
    resp = create_app(config).test_client().get("/login", headers={"X-Forwarded-Proto": proto})
    assert ("max-age=31536000" in resp.headers.get("Strict-Transport-Security", "")) is hsts
    cookie = resp.headers.get("Set-Cookie", "")
    assert ("Secure" in cookie) is hsts and "HttpOnly" in cookie and "SameSite=Lax" in cookie
