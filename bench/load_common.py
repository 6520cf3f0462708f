"""Shared by the load, fault and soak scripts: a seeded district on SQLite or PostgreSQL with 86
liaisons and 64 inspectors (each inspector visits one unit of their group), gunicorn as in
production, a phone-like client, and the checks run on the database afterwards.

PostgreSQL runs use their own scratch database (default bench_reliability on 127.0.0.1:5432),
dropped and created by the script: never the test databases others use. All traffic is loopback.
"""
from __future__ import annotations

import atexit
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import BIN, ROOT, Client, Gunicorn, csrf_from_login, remove_instance  # noqa: E402

PASSWORD = "Demo@2026"
PG_DEFAULT = "postgresql+psycopg://127.0.0.1:5432/bench_reliability"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')

SETUP = r'''
import json, sys
from sqlalchemy import select
from survey import create_app
from survey.database import writing
from survey.extensions import db
from survey.models import Round, RoundUnit, SupervisionGroup, User
from survey.passwords import hash_password
from survey.questionnaires.cache import version_view
from survey.filling.answers import clean_answers
from bench.render import demo_answers

app = create_app()
with app.app_context(), writing():
    rnd = db.session.scalar(select(Round))
    groups = list(db.session.scalars(select(SupervisionGroup).order_by(SupervisionGroup.id)))
    pw = hash_password("Demo@2026")
    inspectors = list(db.session.scalars(select(User).where(User.role == "inspector").order_by(User.id)))
    for i in range(len(inspectors), 64):
        user = User(username=f"load-insp{i}", display_name=f"督导员{i}", role="inspector", password_hash=pw)
        user.groups = [groups[i % len(groups)]]
        db.session.add(user)
        inspectors.append(user)
    db.session.commit()
    scope = {g.id: [ru.unit_id for ru in db.session.scalars(select(RoundUnit).where(
        RoundUnit.round_id == rnd.id, RoundUnit.group_id == g.id).order_by(RoundUnit.unit_id))] for g in groups}
    users = [{"username": u.username, "open": f"/rounds/{rnd.id}/self-check", "kind": "self_check"}
             for u in db.session.scalars(select(User).where(User.role == "unit").order_by(User.id))]
    taken = {g.id: 0 for g in groups}
    for insp in inspectors:
        gid = insp.groups[0].id
        unit_id = scope[gid][taken[gid]]
        taken[gid] += 1
        users.append({"username": insp.username, "open": f"/rounds/{rnd.id}/units/{unit_id}/visit", "kind": "visit"})
    answers = {}
    for kind, vid in (("self_check", rnd.self_check_version_id), ("visit", rnd.onsite_version_id)):
        view = version_view(vid)
        raw = demo_answers(view)
        for _ in range(10):  # drop answers to questions the answers themselves hide
            _, errors = clean_answers(view, raw, final=True, photo_counts={})
            hidden = {e.name for e in errors if "不应作答" in e.message}
            if not hidden:
                break
            raw = {k: v for k, v in raw.items() if k not in hidden}
        answers[kind] = raw
    json.dump({"round": rnd.id, "users": users, "answers": answers}, sys.stdout, ensure_ascii=False)
'''


def prepare(engine: str, pg_url: str = PG_DEFAULT) -> tuple[Path, dict, dict]:
    """A temp instance with a migrated, seeded database; returns (folder, env, plan)."""
    tmp = Path(tempfile.mkdtemp(prefix="survey-load-"))
    url = f"sqlite:///{tmp / 'load.db'}" if engine == "sqlite" else pg_url
    if engine == "postgresql":
        recreate_pg(pg_url)
    env = dict(os.environ, INSTANCE_PATH=str(tmp), DATABASE_URL=url, FLASK_APP="app", PYTHONPATH=str(ROOT))
    env.pop("SECRET_KEY", None)
    for cmd in (["flask", "--app", "app", "db", "upgrade"], ["flask", "--app", "app", "seed-demo", "--empty"],
                ["python", "-m", "bench.bench_round"]):  # a blank round: every unit's forms still to fill
        subprocess.run([str(BIN / cmd[0]), *cmd[1:]], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=300)
    atexit.register(cleanup, tmp, env)  # also when the run fails half way
    out = subprocess.run([str(BIN / "python"), "-c", SETUP], cwd=ROOT, env=env, check=True, capture_output=True,
                         text=True, timeout=300).stdout
    return tmp, env, json.loads(out)


def recreate_pg(url: str, drop_only: bool = False) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        if not drop_only:
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def cleanup(tmp: Path, env: dict) -> None:
    """Drop the scratch database and the temp folder (twice is harmless)."""
    if not tmp.exists():
        return
    if env["DATABASE_URL"].startswith("postgresql"):
        recreate_pg(env["DATABASE_URL"], drop_only=True)
    remove_instance(tmp)


class Server(Gunicorn):
    """bench.common.Gunicorn with its own workers x threads and extra settings."""

    def __init__(self, env: dict, log: Path, workers: int, threads: int, extra: dict) -> None:
        super().__init__("app:app", env, log, {k: str(v) for k, v in extra.items()}, workers=workers,
                         threads=threads, start_timeout=60, append_log=True)

    def workers(self) -> list[int]:
        """The live worker processes' pids (children of the master; a killed one not yet reaped is not)."""
        out = subprocess.run(["ps", "-o", "pid=,stat=", "--ppid", str(self.proc.pid)], capture_output=True,
                             text=True).stdout
        return [int(pid) for pid, stat in (line.split() for line in out.splitlines() if line.strip())
                if not stat.startswith("Z")]

    def kill_workers(self) -> list[int]:
        """SIGKILL every live worker; return their pids."""
        import signal
        pids = self.workers()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return pids

    def wait_for_new_worker(self, old: list[int], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if set(self.workers()) - set(old):
                return
            time.sleep(0.05)
        raise RuntimeError("gunicorn started no new worker")


def server(env: dict, log: Path, workers: int = 4, threads: int = 8, **extra) -> Server:
    """gunicorn -c gunicorn.conf.py app:app with the given workers x threads (production settings)."""
    return Server(env, log, workers, threads, extra)


class Phone:
    """One user's keep-alive connection: log in, open the form, save a draft, submit with a token."""

    def __init__(self, port: int, user: dict, record) -> None:
        self.client, self.user, self.record = Client(port), user, record
        self.sid: int | None = None
        self.token = ""

    def timed(self, step: str, method: str, path: str, body=None, headers=None):
        t = time.perf_counter()
        try:
            resp, data = self.client.request(method, path, body, headers)
        except OSError as exc:
            self.record(step, None, time.perf_counter() - t, repr(exc))
            raise
        self.record(step, resp.status, time.perf_counter() - t, data[:300] if resp.status >= 500 else b"")
        return resp, data

    def login(self) -> None:
        _, html = self.timed("login_page", "GET", "/login")
        body = urlencode({"username": self.user["username"], "password": PASSWORD,
                          "csrf_token": csrf_from_login(html.decode())}).encode()
        resp, _ = self.timed("login", "POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded"})
        if resp.status != 302:
            raise RuntimeError(f"login {self.user['username']}: HTTP {resp.status}")

    def open_form(self) -> None:
        resp, _ = self.timed("open", "GET", self.user["open"])
        match = re.search(r"/submissions/(\d+)", resp.headers.get("Location", ""))
        if not match:
            raise RuntimeError(f"open {self.user['open']}: HTTP {resp.status}")
        self.sid = int(match.group(1))
        _, html = self.timed("form_page", "GET", f"/submissions/{self.sid}")
        self.token = CSRF_META.search(html.decode()).group(1)
        self.lock = int(re.search(rb'"lock_version": ?(\d+)', html).group(1)) if b"lock_version" in html else 1

    def json(self, step: str, path: str, payload: dict):
        headers = {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": self.token}
        return self.timed(step, "POST", path, json.dumps(payload, ensure_ascii=False).encode(), headers)

    def reconnect(self) -> None:
        cookies, port = self.client.cookies, self.client.port
        self.client.close()
        self.client = Client(port)
        self.client.cookies = cookies

    def submit(self, answers: dict, submit_token: str, retries: int = 5) -> tuple[int | None, dict]:
        """Submit; resend with the same token (as the phone's queue does) after a lost answer or a 5xx."""
        for attempt in range(retries + 1):
            try:
                resp, data = self.json("submit", f"/submissions/{self.sid}/submit",
                                       {"answers": answers, "token": submit_token})
            except OSError:
                self.reconnect()
                time.sleep(0.2 * (attempt + 1))
                continue
            if resp.status < 500:
                return resp.status, (json.loads(data) if data[:1] == b"{" else {})
            time.sleep(0.5 * (attempt + 1))
        return None, {}

    def save_and_submit(self, answers: dict, submit_token: str) -> tuple[int | None, dict]:
        self.json("draft", f"/submissions/{self.sid}/draft", {"answers": answers, "lock_version": self.lock})
        return self.submit(answers, submit_token)


class Stats:
    """Thread-safe (step, status, seconds) records with percentiles."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, int | None, float]] = []
        self.errors: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, step: str, status, seconds: float, detail=b"") -> None:
        with self.lock:
            self.rows.append((step, status, seconds))
            if status is None or status >= 500:
                self.errors.append(f"{step} {status} {detail!r}"[:300])

    def of(self, step: str | None = None) -> list[float]:
        return [s for st, _, s in self.rows if step is None or st == step]

    def count(self, pred) -> int:
        return sum(1 for st, status, _ in self.rows if pred(st, status))


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered))) - 1))] * 1000


def summary(values: list[float]) -> str:
    if not values:
        return "no samples"
    return (f"n={len(values)}  p50 {pct(values, 0.5):.0f} ms  p95 {pct(values, 0.95):.0f} ms  "
            f"max {max(values) * 1000:.0f} ms  mean {statistics.mean(values) * 1000:.0f} ms")


def db_checks(env: dict) -> dict:
    """What the database holds afterwards: submitted forms, duplicate problems, audit chain."""
    code = r'''
import json, sys
from sqlalchemy import func, select, text
from survey import create_app
from survey.audit_chain import verify_chain
from survey.extensions import db
from survey.models import AuditLog, Problem, Submission
app = create_app()
with app.app_context():
    dup = db.session.execute(text("SELECT count(*) FROM (SELECT submission_id, question_name, description, count(*) "
        "FROM problems GROUP BY submission_id, question_name, description HAVING count(*) > 1) d")).scalar()
    report = verify_chain(db.session)
    out = {"submitted": db.session.scalar(select(func.count(Submission.id)).where(Submission.state == "submitted")),
           "submissions": db.session.scalar(select(func.count(Submission.id))),
           "problems": db.session.scalar(select(func.count(Problem.id))), "duplicate_problems": dup,
           "submit_audit_rows": db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.event == "submission_submit")),
           "audit_rows": report.rows, "audit_chain_ok": report.ok, "audit_broken_at": report.broken_id}
    json.dump(out, sys.stdout)
'''
    out = subprocess.run([str(BIN / "python"), "-c", code], cwd=ROOT, env=env, check=True, capture_output=True,
                         text=True, timeout=300).stdout
    return json.loads(out)


def log_findings(log: Path) -> dict:
    text = log.read_text(errors="replace")
    return {"database is locked": text.count("database is locked"), "Traceback": text.count("Traceback"),
            "WORKER TIMEOUT": text.count("WORKER TIMEOUT"), "5xx in access log": len(re.findall(r'" 5\d\d ', text))}
