#!/usr/bin/env python
"""The problem ledger at scale: 100,000 problems and 500,000 events on SQLite and PostgreSQL.

Targets (issue "The problem ledger", Scale): the ledger page with any one filter renders with a
median under 100 ms; a transition commits with a median under 20 ms.

    .venv/bin/python bench/ledger_scale.py [--engine sqlite|postgresql|both]
        [--problems 100000] [--events-per-problem 5] [--revision REV] [--explain slow|all|none]

For each engine: a new database (a temp SQLite file; the PostgreSQL database `bench_ledger`,
created and dropped here), schema by the migrations (`--revision`, default head: give the
revision before an index migration to measure "before"), the demo district, then the generated
ledger through Core executemany. Measures, in process with the Flask test client:
  1. GET /ledger?<one filter> as admin, inspector1 and liaison-nyncj: 3 warm-ups + 20 timed each,
     median and p95, split into the SQL time of the count, the page query, the badge (todo count)
     and the rest (other SQL, Jinja, Flask). EXPLAIN (QUERY PLAN / ANALYZE) of the slow statements.
  2. operations.accept() + commit on 200 open problems of 农业农村局 (liaison-nyncj), and
     POST /ledger/<id>/accept on 200 others.
It is a measurement, not a test: every figure is printed with its target and PASS/FAIL and the
script exits 0. It removes its temp folder and drops its PostgreSQL database, also on errors.
"""
from __future__ import annotations

import argparse
import contextvars
import math
import os
import random
import re
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, time as dtime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = "postgresql+psycopg://127.0.0.1:5432/postgres"
PG_DB = "bench_ledger"
PASSWORD = "Demo@2026"
USERS = ("admin", "inspector1", "liaison-nyncj")
LIAISON_UNIT = "农业农村局"
PAGE_TARGET_MS, TRANSITION_TARGET_MS = 100.0, 20.0
WARMUPS, REQUESTS, TRANSITIONS = 3, 20, 200
URL_BUDGET_S = 8.0
Q_WORD = "公务接待"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
TOTAL_RE = re.compile(r"问题台账 <small>(\d+)</small>")

STATUSES = (("open", 25), ("in_progress", 20), ("pending_review", 10), ("closed", 40), ("cancelled", 5))
SEVERITY_WEIGHTS = (("一般", 60), ("较重", 30), ("严重", 10))
SOURCES = (("self_check", 40), ("visit", 40), ("daily", 15), ("import", 5))
TOPICS = ("三重一大决策", "公务接待", "公车使用", "会议记录", "财务报销", "政府采购", "干部选拔任用",
          "意识形态工作", "党风廉政建设责任制", "谈心谈话", "档案管理", "固定资产管理", "差旅费报销",
          "办公用房", "政务公开")
ISSUES = ("记录不完整，缺少参会人员签字", "台账缺失，无法追溯", "执行不到位，存在先办后批",
          "审批程序不规范，个别事项未经集体研究", "未按时报送有关材料", "整改不彻底，问题反弹",
          "制度未及时修订，与上级要求不一致", "责任分工不明确，推诿扯皮")
TAILS = ("需进一步压实主体责任。", "建议对照清单逐项整改。", "经现场查阅资料发现。", "自查中发现并主动报告。",
         "督导组上门问诊时指出。")
# What happened to a problem before it reached each status (padded/trimmed to the event count).
PATHS = {
    "open": [("set_deadline", "open", "open"), ("request_extension", "open", "open"),
             ("refuse_extension", "open", "open"), ("set_category", "open", "open")],
    "in_progress": [("accept", "open", "in_progress"), ("update_progress", "in_progress", "in_progress")],
    "pending_review": [("accept", "open", "in_progress"), ("update_progress", "in_progress", "in_progress"),
                       ("report", "in_progress", "pending_review")],
    "closed": [("accept", "open", "in_progress"), ("update_progress", "in_progress", "in_progress"),
               ("report", "in_progress", "pending_review"), ("verify", "pending_review", "closed")],
    "cancelled": [("set_deadline", "open", "open"), ("cancel", "open", "cancelled")],
}


def log(msg: str) -> None:
    print(msg, flush=True)


def pick(rng: random.Random, weighted) -> str:
    values, weights = zip(*weighted)
    return rng.choices(values, weights)[0]


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(p / 100 * len(s)) - 1))]


def verdict(value: float, target: float) -> str:
    return "PASS" if value < target else "FAIL"


# ---------------------------------------------------------------------------------------------
# Databases
# ---------------------------------------------------------------------------------------------

def pg_admin(sql: str) -> None:
    from sqlalchemy import create_engine, text
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


def database_url(engine: str, tmp: Path) -> str:
    if engine == "sqlite":
        return f"sqlite:///{tmp / 'ledger.db'}"
    assert PG_DB != "test"  # the test suite's database is never touched
    pg_admin(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
    pg_admin(f'CREATE DATABASE "{PG_DB}"')
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + PG_DB


def make_app(url: str, pg_options: str = ""):
    """The app on url; pg_options (e.g. "-c jit=off") are passed to PostgreSQL at connect."""
    from survey import create_app
    from survey.config import TestConfig

    config = TestConfig(url)
    if pg_options:
        config.SQLALCHEMY_ENGINE_OPTIONS = dict(config.SQLALCHEMY_ENGINE_OPTIONS,
                                                connect_args={"options": pg_options})
    return create_app(config)


def dispose(app) -> None:
    from survey.extensions import db
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def build(url: str, args) -> object:
    """A migrated database with the demo district and the generated ledger; returns the app."""
    from flask_migrate import upgrade
    from survey.database import writing
    from survey.extensions import db
    from survey.seed import seed_demo

    app = make_app(url)
    with app.app_context():
        t0 = time.perf_counter()
        upgrade(revision=args.revision)
        with writing():
            seed_demo()
            db.session.commit()
        t1 = time.perf_counter()
        n_events = generate(args.problems, args.events_per_problem)
        t2 = time.perf_counter()
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does after a bulk load, done now so the plans do not depend on its timing.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        elif not args.no_analyze_sqlite:
            # What the app does within the hour (survey/database.py: ANALYZE on pool checkin, hourly).
            from survey.database import ANALYZE_ROWS
            with db.engine.begin() as conn:
                conn.exec_driver_sql(f"PRAGMA analysis_limit = {ANALYZE_ROWS}")
                conn.exec_driver_sql("ANALYZE")
        t3 = time.perf_counter()
        from sqlalchemy import inspect
        insp = inspect(db.engine)
        indexes = {t: sorted([i["name"] for i in insp.get_indexes(t) if not i.get("duplicates_constraint")]
                             + [f"{u['name']} (unique)" for u in insp.get_unique_constraints(t)])
                   for t in ("problems", "problem_events")}
        db.session.remove()
    stats = "VACUUM ANALYZE" if "postgresql" in url else ("no ANALYZE" if args.no_analyze_sqlite else "ANALYZE")
    log(f"  schema + demo district {t1 - t0:.1f} s; {args.problems:,} problems + {n_events:,} events "
        f"{t2 - t1:.1f} s; {stats} {t3 - t2:.1f} s")
    for table, names in indexes.items():
        log(f"  indexes on {table}: {', '.join(names) or '(none)'}")
    return app


def generate(n_problems: int, per_problem: int) -> int:
    """Bulk-insert the problems and their events with Core executemany, batches of 10,000."""
    from sqlalchemy import func, insert, select, text, update
    from survey.clock import utcnow
    from survey.extensions import db
    from survey.models import Problem, ProblemEvent, Round, Unit, User
    from survey.models import DEFAULT_CATEGORIES as PROBLEM_CATEGORIES
    from survey.models.problem import code_sort_key
    from survey.seed import demo_round_id
    from survey.templating import CHINA

    rng = random.Random(2026)
    today = utcnow().astimezone(CHINA).date()
    round_id, round_code = db.session.execute(
        select(Round.id, Round.code).where(Round.id == demo_round_id())).one()
    units = db.session.execute(select(Unit.id, Unit.name).order_by(Unit.id)).all()
    users = dict(db.session.execute(select(User.username, User.id)).all())
    liaisons = dict(db.session.execute(select(User.unit_id, User.id).where(User.unit_id.is_not(None))).all())
    admin_id, checker_id = users["admin"], users["inspector1"]
    # 农业农村局 has three times the average share, so its liaison has enough open problems to act on.
    unit_ids = [u.id for u in units]
    unit_weights = [3 if u.name == LIAISON_UNIT else 1 for u in units]
    first_id = (db.session.scalar(select(func.max(Problem.id))) or 0) + 1
    db.session.commit()

    problems, events, n_events = [], [], 0
    pt, et = Problem.__table__, ProblemEvent.__table__

    def flush(force: bool = False):
        """Problems first (the events refer to them), each batch in its own transaction."""
        nonlocal problems, events, n_events
        if not force and len(problems) < 10_000 and len(events) < 10_000:
            return
        with db.engine.begin() as conn:
            if problems:
                conn.execute(insert(pt), problems)
        with db.engine.begin() as conn:
            if events:
                conn.execute(insert(et), events)
        n_events += len(events)
        problems, events = [], []

    for i in range(n_problems):
        pid = first_id + i
        unit_id = rng.choices(unit_ids, unit_weights)[0]
        status = pick(rng, STATUSES)
        found_on = today - timedelta(days=rng.randint(0, 365))
        deadline = None if rng.random() < 0.05 else found_on + timedelta(days=rng.randint(30, 180))
        created = (datetime.combine(found_on, dtime(2, 0), timezone.utc)
                   + timedelta(minutes=rng.randint(0, 480)))
        topic = rng.choice(TOPICS)
        acted = status != "open"
        closed = status == "closed"
        problems.append({
            "id": pid, "code": f"{round_code}-{i + 1:06d}", "code_key": code_sort_key(f"{round_code}-{i + 1:06d}"),
            "round_id": round_id, "unit_id": unit_id,
            "category": rng.choice(PROBLEM_CATEGORIES),
            "description": f"{topic}方面{rng.choice(ISSUES)}，{rng.choice(TAILS)}（第{rng.randint(1, 99)}项）",
            "source": pick(rng, SOURCES), "found_on": found_on, "severity": pick(rng, SEVERITY_WEIGHTS),
            "deadline": deadline, "status": status, "submission_id": None, "question_name": "",
            "created_at": created, "created_by_id": admin_id,
            "responsible_person": "张三" if acted else "", "measures": f"对照{topic}制度逐项整改" if acted else "",
            "planned_on": (found_on + timedelta(days=60)) if acted else None,
            "progress": "已完成制度修订，正在组织学习" if acted else "", "result": "已整改到位" if closed else "",
            "closed_at": created + timedelta(days=40) if closed else None,
            "closed_by_id": checker_id if closed else None,
            "extension_deadline": None, "extension_reason": "", "lock_version": 1,
        })
        path = PATHS[status]
        steps = [("create", "", "open")]
        middle = max(0, per_problem - 1 - len(path))
        filler = (("update_progress", "in_progress", "in_progress") if acted
                  else ("set_deadline", "open", "open"))
        steps = (steps + path[:-1] + [filler] * middle + path[-1:])[:per_problem]
        for n, (action, before, after) in enumerate(steps):
            if action in ("accept", "update_progress", "report", "request_extension"):
                actor = liaisons.get(unit_id)
            else:
                actor = checker_id if action == "verify" else admin_id
            commented = action in ("request_extension", "refuse_extension", "cancel")
            events.append({"problem_id": pid, "created_at": created + timedelta(days=n * 7),
                           "actor_id": actor, "action": action, "from_status": before, "to_status": after,
                           "comment": "批量生成" if commented else "",
                           "changes": {"progress": ["", "已完成制度修订"]} if action == "update_progress" else {}})
        flush()
    flush(force=True)
    db.session.execute(update(Round).where(Round.id == round_id)
                       .values(problem_seq=Round.problem_seq + n_problems))
    if db.engine.dialect.name == "postgresql":  # explicit ids do not move the sequence
        db.session.execute(text("SELECT setval(pg_get_serial_sequence('problems', 'id'), "
                                "(SELECT max(id) FROM problems))"))
    db.session.commit()
    return n_events


# ---------------------------------------------------------------------------------------------
# The ledger page
# ---------------------------------------------------------------------------------------------

class SqlTimer:
    """Every statement the app runs, with its time, for the request being measured."""

    def __init__(self, engine) -> None:
        from sqlalchemy import event
        self.records: list[tuple[str, object, float]] = []
        self.on = False
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_t0"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        if self.on and not executemany:
            self.records.append((statement, parameters, time.perf_counter() - conn.info.pop("bench_t0")))

    def start(self) -> None:
        self.records, self.on = [], True

    def stop(self) -> list[tuple[str, object, float]]:
        self.on = False
        return self.records


def kind(statement: str) -> str:
    s = " ".join(statement.lower().split())
    if s.startswith("select count(*)") and "from (select" in s:
        return "count"
    if "count(problems.id)" in s:
        return "badge"
    if "from problems" in s and " limit " in s:
        return "page"
    return "other"


def isolated(fn, *a, **kw):
    """Each request in a fresh context, as in production (the app keeps request state in ContextVars)."""
    return contextvars.Context().run(fn, *a, **kw)


def login(app, username: str):
    client = app.test_client()
    page = isolated(client.get, "/login").get_data(as_text=True)
    token = CSRF_RE.search(page).group(1)
    resp = isolated(client.post, "/login",
                    data={"csrf_token": token, "username": username, "password": PASSWORD})
    if resp.status_code != 302:
        raise RuntimeError(f"login as {username} failed: {resp.status_code}")
    return client


def filters_for(app, username: str) -> list[tuple[str, dict]]:
    from sqlalchemy import select
    from survey.extensions import db
    from survey.ledger import queries
    from survey.models import Unit, User
    from survey.seed import demo_round_id

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        nyncj = db.session.scalar(select(Unit.id).where(Unit.name == LIAISON_UNIT))
        visible = list(db.session.scalars(queries.visible_units_stmt(user).with_only_columns(Unit.id)))
        unit = nyncj if nyncj in visible else visible[0]
        round_id = demo_round_id()
        db.session.remove()
    return [("(none)", {}), ("status=open", {"status": "open"}), ("category=政治机关", {"category": "政治机关"}),
            (f"unit={unit}", {"unit": unit}), ("severity=严重", {"severity": "严重"}),
            ("source=visit", {"source": "visit"}), ("warn=overdue", {"warn": "overdue"}),
            ("warn=near", {"warn": "near"}), (f"q={Q_WORD}", {"q": Q_WORD}),
            (f"round={round_id}", {"round": round_id}), ("sort=deadline", {"sort": "deadline"})]


def measure_pages(app, timer: SqlTimer, requests: int) -> list[dict]:
    """Per user: 3 warm-ups of every URL, then `requests` rounds over all of them (interleaved, so
    background load hits every filter alike). /account is the baseline: the same layout and badge,
    no ledger query. A URL whose warm-ups take over URL_BUDGET_S / requests each gets fewer timed
    requests (at least 5; n is shown), which keeps the run bounded when a query is very slow."""
    rows = []
    for username in USERS:
        client = login(app, username)
        cases = [("baseline /account", "/account")] + [
            (label, "/ledger" + ("?" + urlencode(params) if params else ""))
            for label, params in filters_for(app, username)]
        totals, times, parts, samples, count = {}, {}, {}, {}, {}
        for label, url in cases:
            t0 = time.perf_counter()
            for _ in range(WARMUPS):
                resp = isolated(client.get, url)
                if resp.status_code != 200:
                    raise RuntimeError(f"GET {url} as {username}: {resp.status_code}")
            each = (time.perf_counter() - t0) / WARMUPS
            count[label] = max(min(requests, 5), min(requests, int(URL_BUDGET_S / max(each, 1e-3))))
            match = TOTAL_RE.search(resp.get_data(as_text=True))
            totals[label] = int(match.group(1)) if match else None
            times[label], parts[label], samples[label] = [], {"count": [], "page": [], "badge": []}, {}
        for n in range(requests):
            for label, url in cases:
                if n >= count[label]:
                    continue
                timer.start()
                t0 = time.perf_counter()
                resp = isolated(client.get, url)
                elapsed = time.perf_counter() - t0
                records = timer.stop()
                assert resp.status_code == 200
                times[label].append(elapsed * 1000)
                sums = {"count": 0.0, "page": 0.0, "badge": 0.0}
                for statement, parameters, took in records:
                    k = kind(statement)
                    if k in sums:
                        sums[k] += took * 1000
                        samples[label].setdefault(k, (statement, parameters))
                for k, v in sums.items():
                    parts[label][k].append(v)
        for label, _ in cases:
            sql_med = {k: statistics.median(v) for k, v in parts[label].items()}
            med, p95 = statistics.median(times[label]), pct(times[label], 95)
            rows.append({"user": username, "filter": label, "rows": totals[label], "n": len(times[label]),
                         "median": med, "p95": p95,
                         **sql_med, "rest": med - sum(sql_med.values()), "samples": samples[label]})
            shown = totals[label] if totals[label] is not None else "–"
            log(f"    {username:<14} {label:<18} rows {shown:>6}  median {med:7.1f} ms  p95 {p95:7.1f} ms  "
                f"(count {sql_med['count']:.1f}, page {sql_med['page']:.1f}, badge {sql_med['badge']:.1f})")
    return rows


def explain(app, rows: list[dict], mode: str) -> None:
    """EXPLAIN the count, page and badge statements (slow ones: median >= 10 ms)."""
    if mode == "none":
        return
    from survey.extensions import db
    seen = set()
    with app.app_context():
        pg = db.engine.dialect.name == "postgresql"
        prefix = "EXPLAIN (ANALYZE, BUFFERS OFF) " if pg else "EXPLAIN QUERY PLAN "
        with db.engine.connect() as conn:
            for row in rows:
                for k in ("count", "page", "badge"):
                    if k not in row["samples"] or (mode == "slow" and row[k] < 10):
                        continue
                    statement, parameters = row["samples"][k]
                    key = (statement, repr(parameters))
                    if key in seen:
                        continue
                    seen.add(key)
                    if pg:
                        plan = [r[0] for r in conn.exec_driver_sql(prefix + statement, parameters)]
                    else:
                        plan = sqlite_plan(conn, prefix + statement, parameters)
                    log(f"\n  -- {k} query, {row['user']} {row['filter']} (median {row[k]:.1f} ms)")
                    log("  " + " ".join(statement.split())[:400] + ("…" if len(statement) > 400 else ""))
                    log(f"  params: {parameters!r}"[:300])
                    for line in plan:
                        log("    " + line)
            conn.rollback()
        db.session.remove()


def sqlite_plan(conn, sql: str, parameters) -> list[str]:
    rows = conn.exec_driver_sql(sql, parameters).all()
    level = {0: -1}
    out = []
    for node_id, parent, _, detail in rows:
        level[node_id] = level.get(parent, -1) + 1
        out.append("  " * level[node_id] + detail)
    return out


# ---------------------------------------------------------------------------------------------
# Transitions
# ---------------------------------------------------------------------------------------------

def open_problem_ids(app, count: int) -> list[int]:
    from sqlalchemy import select
    from survey.extensions import db
    from survey.models import Problem, Unit
    with app.app_context():
        unit = db.session.scalar(select(Unit.id).where(Unit.name == LIAISON_UNIT))
        ids = list(db.session.scalars(
            select(Problem.id).where(Problem.unit_id == unit, Problem.status == "open")
            .order_by(Problem.id).limit(count)))
        db.session.remove()
    return ids


def measure_accept_in_process(app, ids: list[int]) -> tuple[list[float], list[float]]:
    """operations.accept() + commit (timed), as the view does after loading the problem; also
    timed with the load (user refresh + get_problem_or_404) included."""
    from sqlalchemy import select
    from survey.database import writing
    from survey.extensions import db
    from survey.ledger import operations, queries
    from survey.models import User
    from survey.templating import CHINA
    from survey.clock import utcnow

    planned = utcnow().astimezone(CHINA).date() + timedelta(days=30)
    domain, with_load = [], []
    with app.app_context():
        liaison = db.session.scalar(select(User).where(User.username == "liaison-nyncj"))
        db.session.commit()
        for n, pid in enumerate(ids):
            with writing():
                t0 = time.perf_counter()
                _ = liaison.unit_id                      # the request's user loader
                problem = queries.get_problem_or_404(liaison, pid)
                t1 = time.perf_counter()
                operations.accept(liaison, problem, problem.lock_version, measures="按要求逐项整改",
                                  responsible_person="王五", planned_on=planned)
                db.session.commit()
                t2 = time.perf_counter()
            if n >= WARMUPS:
                domain.append((t2 - t1) * 1000)
                with_load.append((t2 - t0) * 1000)
        db.session.remove()
    return domain, with_load


def measure_accept_http(app, ids: list[int]) -> list[float]:
    client = login(app, "liaison-nyncj")
    token = CSRF_RE.search(isolated(client.get, "/account").get_data(as_text=True)).group(1)
    planned = (date.today() + timedelta(days=30)).isoformat()
    times = []
    for n, pid in enumerate(ids):
        data = {"csrf_token": token, "lock_version": "1", "measures": "按要求逐项整改", "responsible_person": "王五",
                "planned_on": planned}
        t0 = time.perf_counter()
        resp = isolated(client.post, f"/ledger/{pid}/accept", data=data)
        elapsed = (time.perf_counter() - t0) * 1000
        if resp.status_code != 303:
            raise RuntimeError(f"POST /ledger/{pid}/accept: {resp.status_code} "
                               f"{resp.get_data(as_text=True)[:300]}")
        if n >= WARMUPS:
            times.append(elapsed)
    return times


# ---------------------------------------------------------------------------------------------
# One engine, the report
# ---------------------------------------------------------------------------------------------

def pg_jit(app) -> str:
    from survey.extensions import db
    with app.app_context():
        with db.engine.connect() as conn:
            value = conn.exec_driver_sql("SHOW jit").scalar()
        db.session.remove()
    return value


def run_engine(engine: str, tmp: Path, args) -> list[dict]:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    log(f"\n=== {engine} === (load average {load}, {os.cpu_count()} CPUs)")
    started = time.perf_counter()
    url = database_url(engine, tmp)
    apps = []
    try:
        app = build(url, args)
        apps.append(app)
        from survey.extensions import db
        label = engine
        if engine == "postgresql":
            label = f"postgresql (jit={pg_jit(app)})"
        with app.app_context():
            timer = SqlTimer(db.engine)
        log(f"  GET /ledger as {label} (median of {args.requests} after {WARMUPS} warm-ups):")
        rows = measure_pages(app, timer, args.requests)
        explain(app, rows, args.explain)
        results = []
        if engine == "postgresql" and pg_jit(app) == "on" and not args.skip_jit_off:
            # The server compiles expensive-looking plans (the inspector's scope) with JIT; the same
            # pages once more with jit=off for these connections only, to show what that costs.
            app2 = make_app(url, "-c jit=off")
            apps.append(app2)
            with app2.app_context():
                timer2 = SqlTimer(db.engine)
            log("  GET /ledger as postgresql (jit=off for the app's connections):")
            rows2 = measure_pages(app2, timer2, args.requests)
            results.append({"engine": "postgresql (jit=off)", "rows": rows2, "domain": [], "with_load": [],
                            "http": [], "load": os.getloadavg()})
            dispose(app2)
        need = WARMUPS + args.transitions
        ids = open_problem_ids(app, 2 * need)
        half = len(ids) // 2
        log(f"  transitions: accept on {max(0, half - WARMUPS)} + {max(0, len(ids) - half - WARMUPS)} "
            f"open problems of {LIAISON_UNIT} (after {WARMUPS} warm-ups each)")
        domain, with_load = measure_accept_in_process(app, ids[:half])
        http = measure_accept_http(app, ids[half:])
        results.insert(0, {"engine": label, "rows": rows, "domain": domain, "with_load": with_load,
                           "http": http, "load": os.getloadavg()})
        log(f"  {engine} done in {time.perf_counter() - started:.0f} s")
        return results
    finally:
        for app in apps:
            dispose(app)
        if engine == "postgresql":
            pg_admin(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')


def report(results: list[dict], args) -> None:
    log(f"\n## Results: {args.problems:,} problems, {args.problems * args.events_per_problem:,} events, "
        f"schema at {args.revision}")
    log(f"\nLedger page, GET /ledger?<filter> — target: median < {PAGE_TARGET_MS:.0f} ms. "
        "SQL columns: median ms inside the count / page / badge statements; rest = median − those.\n")
    log("| engine | user | filter | rows | n | median ms | p95 ms | count | page | badge | rest | |")
    log("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for res in results:
        for r in res["rows"]:
            matched = "" if r["rows"] is None else r["rows"]
            mark = "(reference)" if r["rows"] is None else verdict(r["median"], PAGE_TARGET_MS)
            log(f"| {res['engine']} | {r['user']} | {r['filter']} | {matched} | {r['n']} | "
                f"{r['median']:.1f} | {r['p95']:.1f} | {r['count']:.1f} | {r['page']:.1f} | "
                f"{r['badge']:.1f} | {r['rest']:.1f} | "
                f"{mark} |")
    log(f"\nTransition accept — target: median < {TRANSITION_TARGET_MS:.0f} ms.\n")
    log("| engine | measured | n | median ms | p95 ms | |")
    log("|---|---|---:|---:|---:|---|")
    for res in results:
        if "jit=off" in res["engine"]:
            continue
        for label, values in (("accept() + commit", res["domain"]),
                              ("load + accept() + commit", res["with_load"]),
                              ("HTTP POST /ledger/<id>/accept", res["http"])):
            if values:
                med = statistics.median(values)
                log(f"| {res['engine']} | {label} | {len(values)} | {med:.1f} | {pct(values, 95):.1f} | "
                    f"{verdict(med, TRANSITION_TARGET_MS)} |")
            else:
                log(f"| {res['engine']} | {label} | 0 | – | – | not enough open problems |")
    log("\nSummary (load average 1/5/15 min at the end of each engine's run shown: the machine's other work "
        "moves absolute figures; the /account baseline rows move with it):")
    for res in results:
        pages = [r for r in res["rows"] if r["rows"] is not None]
        worst = max(pages, key=lambda r: r["median"])
        passed = sum(r["median"] < PAGE_TARGET_MS for r in pages)
        load = " ".join(f"{x:.1f}" for x in res["load"])
        line = (f"  {res['engine']:<22} [load {load}] ledger page: {passed}/{len(pages)} pass, worst median "
                f"{worst['median']:.1f} ms ({worst['user']}, {worst['filter']}) "
                f"{verdict(worst['median'], PAGE_TARGET_MS)}")
        if res["domain"]:
            med = statistics.median(res["domain"])
            line += f"; accept() + commit median {med:.1f} ms {verdict(med, TRANSITION_TARGET_MS)}"
        if res["http"]:
            med = statistics.median(res["http"])
            line += f"; HTTP accept median {med:.1f} ms {verdict(med, TRANSITION_TARGET_MS)}"
        log(line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--problems", type=int, default=100_000)
    parser.add_argument("--events-per-problem", type=int, default=5)
    parser.add_argument("--requests", type=int, default=REQUESTS, help="timed requests per filter (20)")
    parser.add_argument("--transitions", type=int, default=TRANSITIONS,
                        help="timed transitions of each kind (200)")
    parser.add_argument("--revision", default="head",
                        help="migrate to this revision instead of head (the one before an index migration "
                             "measures 'before')")
    parser.add_argument("--explain", choices=("slow", "all", "none"), default="slow",
                        help="EXPLAIN the count/page/badge statements: median >= 10 ms (slow), all, none")
    parser.add_argument("--skip-jit-off", action="store_true",
                        help="when the PostgreSQL server has jit=on, do not measure the pages again "
                             "with jit=off")
    parser.add_argument("--no-analyze-sqlite", action="store_true",
                        help="measure SQLite without planner statistics (the app refreshes them hourly on its "
                             "own; before 2026-11-28 it never did)")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    return run_engines(args, "survey-ledger-bench-", run_engine, report)


def run_engines(args, prefix: str, run_engine, report) -> int:
    """A temp instance folder, then run_engine(engine, tmp, args) for each engine asked for (a failure is
    reported and the other engine still runs), report(results, args), and the folder removed."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["INSTANCE_PATH"] = str(tmp / "instance")
    os.environ.setdefault("SECRET_KEY", secrets.token_hex(16))
    os.environ.pop("DATABASE_URL", None)
    started, results = time.perf_counter(), []
    try:
        for engine in (("sqlite", "postgresql") if args.engine == "both" else (args.engine,)):
            try:
                results.extend(run_engine(engine, tmp, args))
            except Exception as exc:  # noqa: BLE001 — report and go on with the other engine
                import traceback
                traceback.print_exc()
                log(f"  {engine}: FAILED to run ({str(exc)[:300]})")
        if results:
            report(results, args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log(f"\nTotal run time {time.perf_counter() - started:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
