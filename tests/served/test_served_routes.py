"""Every GET route, for every role, through the real gunicorn as `make run` starts it (issue 17).

Flask's test client accepts any header; gunicorn refuses some (a raw Chinese file name in
Content-Disposition answered 500 in production while every test passed). So this test migrates
and seeds a database of the current engine, adds the reliability suite's miniature district so
every download has something to serve, starts gunicorn with the project's gunicorn.conf.py once,
and requests every GET rule of app.url_map (routes added later are covered without anyone listing
them) as anonymous, the administrator, the demo inspector and liaison, the miniature district's
inspector and liaison, and a signed-link session. Any 5xx, any response gunicorn could not send
and any error in gunicorn's log fails it."""
from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import unquote, urlencode

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import database_url
from survey.seed_data import DEMO_PASSWORD
from tests.factories import DEFAULT_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
PARAM = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# Requested last by each role: they end the session the other requests need.
SESSION_ENDERS = {"auth.logout"}
ADMIN_TABLES = {"group_id": "supervision_groups", "user_id": "users", "questionnaire_id": "questionnaires",
                "version_id": "questionnaire_versions", "section_id": "questionnaire_sections", "question_id": "questions",
                "category_id": "problem_categories", "channel_id": "channels", "delivery_id": "deliveries",
                "owner_id": "units"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def served_database(tmp: Path) -> str:
    """A database of the suite's engine that the suite's own fixtures never empty."""
    url = database_url()
    if url.startswith("sqlite"):
        return f"sqlite:///{tmp / 'served.db'}"
    parsed = make_url(url)
    name = f"{parsed.database}_served"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


class Browser:
    """A cookie-keeping HTTP client on http.client: every response is read as gunicorn sent it,
    redirects are not followed."""

    def __init__(self, port: int):
        self.port, self.cookies = port, {}

    def request(self, method: str, url: str, body: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
                   "User-Agent": "served-routes-test"}
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, url, body=data, headers=headers)
            resp = conn.getresponse()
            payload = resp.read()
        finally:
            conn.close()
        for header in resp.headers.get_all("Set-Cookie") or []:
            for key, morsel in SimpleCookie(header).items():
                self.cookies[key] = morsel.value
        return resp, payload

    def login(self, username: str, password: str) -> None:
        _, page = self.request("GET", "/login")
        token = CSRF.search(page.decode()).group(1)
        resp, _ = self.request("POST", "/login", {"csrf_token": token, "username": username,
                                                  "password": password})
        assert resp.status == 302 and "/login" not in resp.headers.get("Location", ""), \
            f"login as {username}: {resp.status}"


@pytest.fixture(scope="module")
def served(app, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("served")
    port = free_port()
    env = {**os.environ, "DATABASE_URL": served_database(tmp), "INSTANCE_PATH": str(tmp / "instance"),
           "PORT": str(port), "HOST": "127.0.0.1", "FLASK_APP": "app", "PYTHONPATH": str(ROOT)}
    env.pop("TEST_DATABASE_URL", None)
    setup = subprocess.run([sys.executable, "-m", "tests.served.setup_world"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=300)
    assert setup.returncode == 0, setup.stderr[-3000:]
    world = json.loads(setup.stdout.strip().splitlines()[-1])
    log = open(tmp / "gunicorn.log", "w+")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "app:app"],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (tmp / "gunicorn.log").read_text()[-3000:]
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        world.update(port=port, log=tmp / "gunicorn.log", database=env["DATABASE_URL"])
        yield world
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def admin_ids(database: str) -> dict[str, int]:
    engine = create_engine(database)
    with engine.connect() as conn:
        ids = {param: conn.scalar(text(f"SELECT min(id) FROM {table}")) for param, table in ADMIN_TABLES.items()}
    engine.dispose()
    return ids


def get_urls(app, served, token: str) -> list[tuple[str, str]]:
    """(endpoint, url) for every GET rule, each id parameter filled from the miniature district."""
    ids = {**admin_ids(served["database"]), "round_id": served["round_id"],
           **{f"{k}_id": v for k, v in served["ids"].items()}}
    static = "css/app.css"
    out = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods:
            continue
        urls = [rule.rule]
        for conv, args, name in PARAM.findall(rule.rule):
            if conv == "any":
                values = [a.strip().strip("'\"") for a in args.split(",")]
            elif conv == "path":
                values = [static]
            elif conv == "int":
                assert name in ids, f"{rule.rule}: teach tests/served which id <{name}> takes"
                values = [str(ids[name])]
            else:
                values = [token]
            pattern = re.compile(r"<(?:\w+(?:\([^)]*\))?:)?" + name + ">")
            urls = [pattern.sub(v, u, count=1) for u in urls for v in values]
        out += [(rule.endpoint, u) for u in urls]
    if any(rule.endpoint == "filling.round_detail" for rule in app.url_map.iter_rules()):
        out.append(("filling.round_detail", f"/rounds/{served['demo_round_id']}"))
    return sorted(out, key=lambda pair: pair[0] in SESSION_ENDERS)


ROLES = ["anonymous", "admin", "inspector1", "liaison-nyncj", "world-inspector", "world-liaison", "link"]


@pytest.mark.parametrize("role", ROLES)
def test_every_get_route_is_served_by_gunicorn(app, served, role):
    browser = Browser(served["port"])
    token = "junk-token"
    if role == "link":
        resp, _ = browser.request("GET", served["link"])
        assert resp.status == 302, resp.status
        token = served["link"].rsplit("/", 1)[1]
    elif role.startswith("world-"):
        browser.login(served[role.split("-")[1]], DEFAULT_PASSWORD)
    elif role != "anonymous":
        browser.login(role, DEMO_PASSWORD)
    failures, seen = [], 0
    log_start = served["log"].stat().st_size
    for endpoint, url in get_urls(app, served, token):
        try:
            resp, _ = browser.request("GET", url)
        except (http.client.HTTPException, OSError) as exc:
            failures.append(f"{url} ({endpoint}): no response: {exc!r}")
            continue
        seen += 1
        if resp.status >= 500:
            failures.append(f"{url} ({endpoint}): {resp.status}")
        if endpoint == "questionnaires.export" and role == "admin":
            assert resp.status == 200
            assert "filename*=UTF-8''" in resp.headers["Content-Disposition"]
    with open(served["log"], encoding="utf-8", errors="replace") as f:
        f.seek(log_start)
        log = f.read()
    refused = [line for line in log.splitlines() if "Error handling request" in line or "Invalid" in line]
    assert not failures and not refused, "\n".join(failures + refused[:20])
    assert seen > 40


def test_chinese_file_names_survive_gunicorn(app, served):
    """The questionnaire export keeps its Chinese title (RFC 5987 filename*) with an ASCII fallback."""
    browser = Browser(served["port"])
    browser.login("admin", DEMO_PASSWORD)
    ids = admin_ids(served["database"])
    resp, body = browser.request("GET", f"/questionnaires/versions/{ids['version_id']}/export.xlsx")
    assert resp.status == 200 and body[:2] == b"PK"
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert re.search(r'filename="?[\x20-\x7e]+\.xlsx"?', disposition), disposition
    encoded = re.search(r"filename\*=UTF-8''([^;]+)", disposition).group(1)
    assert unquote(encoded).endswith(".xlsx") and re.search(r"[\u4e00-\u9fff]", unquote(encoded))


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian chromium is not installed (make test installs it)")
def test_an_administrator_downloads_the_questionnaire_on_a_phone(served, browser, tmp_path):
    """As in the issue: log in as admin on a 360 px phone, 问卷 → 廉洁机关建设自查表 → 下载 Excel, through
    gunicorn; the file keeps its Chinese name and opens."""
    from openpyxl import load_workbook

    from tests.e2e.conftest import WECHAT_UA

    base = f"http://127.0.0.1:{served['port']}"
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                                  locale="zh-CN", user_agent=WECHAT_UA, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{base}/questionnaires")
    page.click("text=廉洁机关建设自查表")
    with page.expect_download() as info:
        page.click("text=下载 Excel")
    download = info.value
    name = download.suggested_filename
    saved = tmp_path / "download.xlsx"
    download.save_as(saved)
    context.close()
    assert name.startswith("廉洁机关建设自查表") and name.endswith(".xlsx"), name
    assert "survey" in load_workbook(saved).sheetnames
