"""Helpers for the benchmarks: a seeded temp instance, gunicorn servers, a keep-alive HTTP client.

All traffic goes to 127.0.0.1. Nothing here touches the app's code or the real instance/ folder.
"""
from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
USER, PASSWORD = "liaison-nyncj", "Demo@2026"
ROUND = "压测检查批次"  # bench/bench_round.py
UA = "survey-bench/1"  # one User-Agent for every client: Flask-Login ties the session to it


def make_instance() -> tuple[Path, dict]:
    """A temp instance folder with a migrated SQLite database holding the demo data."""
    tmp = Path(tempfile.mkdtemp(prefix="survey-bench-"))
    env = dict(os.environ, INSTANCE_PATH=str(tmp), DATABASE_URL=f"sqlite:///{tmp / 'bench.db'}",
               FLASK_APP="app", PYTHONPATH=str(ROOT))
    env.pop("SECRET_KEY", None)
    try:
        for cmd in (["flask", "--app", "app", "db", "upgrade"], ["flask", "--app", "app", "seed-demo", "--empty"],
                    ["python", "-m", "bench.bench_round"]):
            subprocess.run([str(BIN / cmd[0]), *cmd[1:]], cwd=ROOT, env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
    except BaseException:
        remove_instance(tmp)
        raise
    return tmp, env


def remove_instance(tmp: Path) -> None:
    shutil.rmtree(tmp, ignore_errors=True)


def round_id(tmp: Path) -> int:
    with sqlite3.connect(tmp / "bench.db") as con:
        return con.execute("SELECT id FROM rounds WHERE name = ?", (ROUND,)).fetchone()[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """gunicorn -c gunicorn.conf.py APP on a free local port: 2 workers x 1 thread unless told."""

    def __init__(self, app: str, env: dict, log: Path, extra_env: dict | None = None, *, workers: int = 2,
                 threads: int = 1, start_timeout: float = 30, append_log: bool = False) -> None:
        self.port = free_port()
        env = dict(env, HOST="127.0.0.1", PORT=str(self.port), WEB_CONCURRENCY=str(workers),
                   GUNICORN_THREADS=str(threads), **(extra_env or {}))
        self.log = open(log, "ab" if append_log else "wb")
        self.proc = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", app], cwd=ROOT,
                                     env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn {app} exited; see {log}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn {app} did not start within {start_timeout:.0f} s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # our own session: the master and its workers
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self.log.close()


def worker_cpu_seconds(srv: Gunicorn) -> float:
    """User + system CPU seconds used so far by the server's worker processes (Linux /proc)."""
    kids = subprocess.run(["pgrep", "-P", str(srv.proc.pid)], capture_output=True, text=True).stdout.split()
    total = 0
    for pid in kids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (after the command name)
    return total / os.sysconf("SC_CLK_TCK")


class Client:
    """One keep-alive connection to 127.0.0.1 with a tiny cookie jar."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        hdrs = {"User-Agent": UA, **(headers or {})}
        if self.cookies:
            hdrs["Cookie"] = self.cookie_header()
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=hdrs)
                resp = self.conn.getresponse()
                data = resp.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                if attempt == 2:  # the server closed an idle keep-alive connection: reconnect once
                    raise
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        for value in resp.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return resp, data

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def close(self) -> None:
        self.conn.close()


CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_from_login(html: str) -> str:
    m = CSRF_INPUT.search(html)
    if not m:
        raise RuntimeError("no csrf_token on the login page")
    return m.group(1) or m.group(2)


def login_and_open(client: Client, rid: int) -> tuple[int, str]:
    """Log the liaison in, open the round's self-check; return (submission id, page CSRF token)."""
    _, html = client.request("GET", "/login")
    body = urlencode({"username": USER, "password": PASSWORD, "csrf_token": csrf_from_login(html.decode())})
    resp, _ = client.request("POST", "/login", body.encode(),
                             {"Content-Type": "application/x-www-form-urlencoded"})
    if resp.status != 302:
        raise RuntimeError(f"login failed: HTTP {resp.status}")
    resp, _ = client.request("GET", f"/rounds/{rid}/self-check")
    m = re.search(r"/submissions/(\d+)", resp.headers.get("Location", ""))
    if resp.status != 302 or not m:
        raise RuntimeError(f"self-check did not redirect to a submission: HTTP {resp.status}")
    sid = int(m.group(1))
    resp, html = client.request("GET", f"/submissions/{sid}")
    token = CSRF_META.search(html.decode())
    if resp.status != 200 or not token:
        raise RuntimeError(f"fill page: HTTP {resp.status}, csrf meta {'found' if token else 'missing'}")
    return sid, token.group(1)


class Refs(HTMLParser):
    """Stylesheets, scripts, icons and every other URL a page references."""

    def __init__(self) -> None:
        super().__init__()
        self.assets: list[tuple[str, str]] = []  # (kind, url) fetched before any photo
        self.urls: list[str] = []  # every href/src/action, to look for other hosts

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("href", "src", "action", "poster", "srcset"):
            if a.get(key):
                self.urls.append(a[key])
        rel = (a.get("rel") or "").lower().split()
        if tag == "link" and "stylesheet" in rel:
            self.assets.append(("css", a["href"]))
        elif tag == "link" and ("icon" in rel or "apple-touch-icon" in rel):
            self.assets.append(("icon", a["href"]))
        elif tag == "script" and a.get("src"):
            self.assets.append(("js", a["src"]))
        elif tag == "use" and a.get("href"):
            url = a["href"].split("#", 1)[0]
            if url and ("icon", url) not in self.assets:
                self.assets.append(("icon", url))


def is_other_host(url: str) -> bool:
    u = url.strip().lower()
    local = re.match(r"(https?:)?//(127\.0\.0\.1|localhost)[:/]", u)
    return u.startswith(("http:", "https:", "//")) and not local


def median_p95(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(round(0.95 * len(ordered))) - 1)]


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"
