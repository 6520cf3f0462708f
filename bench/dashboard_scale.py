#!/usr/bin/env python
"""The dashboard (统计看板) for a round of 100,000 problems, on SQLite and PostgreSQL.

Target (issue 6, Speed): the dashboard for a round with 100,000 problems renders with a median under
100 ms on SQLite and on PostgreSQL.

    .venv/bin/python bench/dashboard_scale.py [--engine sqlite|postgresql|both] [--problems 100000]
        [--requests 20] [--revision REV] [--explain slow|all|none]

The data comes from bench/ledger_scale.py's builder (imported, not copied): the migrated schema up to
--revision (default head; give the revision before the dashboard indexes to measure "before"), the demo
district and the generated ledger, all in the demo round. PostgreSQL uses its own database
`bench_dashboard` (dropped at the end, also after an error); SQLite a temp file. Then, in process with
the Flask test client, interleaved, after 3 warm-ups each:
  - GET /dashboard?round=<id> and ?round=all as admin and inspector1, and GET / as liaison-nyncj (the
    unit's own figures), each against two baselines measured in the same run: the same dashboard page
    rendered from figures computed beforehand (template + SVG charts, no SQL: the floor of the page),
    and /account (the layout and the to-do badge, no dashboard at all);
  - each dashboard query function alone (median of 15), so the SQL is attributed to a figure;
  - EXPLAIN (QUERY PLAN / ANALYZE) of the dashboard statements (slow: median >= 5 ms).
A measurement, not a test: every figure is printed with its target and PASS/FAIL; the script exits 0.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import ledger_scale as ls  # noqa: E402  (the data builder and the request helpers)

TARGET_MS = 100.0
PG_DB = "bench_dashboard"
WARMUPS = 3


def log(msg: str = "") -> None:
    print(msg, flush=True)


def ids(app) -> dict:
    from survey.extensions import db
    from survey.seed import demo_round_id
    with app.app_context():
        round_id = demo_round_id()
        db.session.remove()
    return {"round": round_id}


def bare_render(app, username: str, query: str):
    """The dashboard page rendered from figures computed beforehand: no SQL inside the timing. Returns
    a callable that renders it in a fresh request context, logged in, with the to-do badge given."""
    from flask import g, render_template
    from flask_login import login_user
    from sqlalchemy import select
    from survey.dashboard import present, queries, views
    from survey.extensions import db
    from survey.ledger.queries import todo_count
    from survey.models import User

    with app.test_request_context("/dashboard" + query):
        user = db.session.scalar(select(User).where(User.username == username))
        rounds = queries.rounds_for_picker(user)
        rnd = views.picked_round(query.split("=", 1)[1], rounds)
        day, near = views.today(), views.near_days()
        figures = queries.dashboard(user, rnd, day, near)
        badge = todo_count(user, day)
        rows = present.breakdown_rows(figures)       # reads the category order: one small query
    base = {"round": rnd.id} if rnd else {}

    def render() -> str:
        with app.test_request_context("/dashboard" + query):
            login_user(user)
            g.todo_count = badge
            link = present.ledger_link(base)
            return render_template("dashboard/index.html", figures=figures, rounds=rounds, round=rnd, link=link,
                                   rows=rows, charts=present.dashboard_charts(figures, rows, link), today=day,
                                   near=near, percent=present.percent)
    return render


def measure_pages(app, requests: int) -> list[dict]:
    round_id = ids(app)["round"]
    cases = []   # (user, label, callable)
    for username in ("admin", "inspector1"):
        client = ls.login(app, username)
        for q in (f"?round={round_id}", "?round=all"):
            cases.append((username, f"/dashboard{q}", lambda c=client, u=f"/dashboard{q}": _get(c, u)))
            cases.append((username, f"/dashboard{q} cached", lambda c=client, u=f"/dashboard{q}": _cached(app, c, u)))
            cases.append((username, f"  bare render {q}", bare_render(app, username, q)))
        cases.append((username, "  /account", lambda c=client: _get(c, "/account")))
    liaison = ls.login(app, "liaison-nyncj")
    cases += [("liaison-nyncj", "/ (home)", lambda c=liaison: _get(c, "/")),
              ("liaison-nyncj", "  /account", lambda c=liaison: _get(c, "/account"))]
    times = {i: [] for i in range(len(cases))}
    for n in range(WARMUPS + requests):
        for i, (_, label, fn) in enumerate(cases):
            t0 = time.perf_counter()
            ls.isolated(fn)
            if n >= WARMUPS:
                times[i].append((time.perf_counter() - t0) * 1000)
    rows = []
    for i, (user, label, _) in enumerate(cases):
        med, p95 = statistics.median(times[i]), ls.pct(times[i], 95)
        rows.append({"user": user, "page": label, "n": len(times[i]), "median": med, "p95": p95})
        log(f"    {user:<14} {label:<28} median {med:7.1f} ms  p95 {p95:7.1f} ms")
    return rows


def _cached(app, client, url: str):
    """The page as served outside tests: DASHBOARD_CACHE on, the data unchanged since the last view
    (survey/dashboard/cache.py); the uncached rows above are what the first view after a change costs."""
    app.config["DASHBOARD_CACHE"] = True
    try:
        return _get(client, url)
    finally:
        app.config["DASHBOARD_CACHE"] = False


def _get(client, url: str):
    resp = ls.isolated(client.get, url)
    if resp.status_code != 200:
        raise RuntimeError(f"GET {url}: {resp.status_code}")
    return resp


def measure_queries(app, username: str, round_id: int | None) -> list[tuple[str, float, list]]:
    """Each dashboard query function alone, median of 15 after 2 warm-ups, with its statements."""
    from sqlalchemy import event, select, text
    from survey.dashboard import queries
    from survey.extensions import db
    from survey.models import Round, User
    from survey.dashboard.views import today

    out = []
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.username == username))
        rnd = db.session.get(Round, round_id) if round_id else None
        day = today()
        scope = queries.make_scope(user, rnd)
        fns = {"make_scope": lambda: queries.make_scope(user, rnd),
               "scope_figures (units, submissions)": lambda: queries.scope_figures(user, rnd),
               "by_unit_and_status (+ 逾期/临期)": lambda: queries.by_unit_and_status(scope, day, 7),
               "breakdown (category, severity, source)": lambda: queries.breakdown(scope),
               "weekly (opened / closed)": lambda: queries.weekly(scope, day),
               "close_days (avg, p90)": lambda: queries.close_days(scope),
               "warning_lists (逾期, 临期)": lambda: queries.warning_lists(scope, day, 7),
               "unit_names": lambda: queries.unit_names(range(1, 100))}
        serial = db.engine.dialect.name == "postgresql"   # as dashboard() does for its transaction
        for name, call in fns.items():
            def fn(call=call):
                if serial:
                    db.session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
                return call()
            seen: list = []
            listener = lambda conn, cur, st, params, ctx, many: seen.append((st, params))  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            fn()
            event.remove(db.engine, "before_cursor_execute", listener)
            ts = []
            for n in range(17):
                t0 = time.perf_counter()
                fn()
                ts.append((time.perf_counter() - t0) * 1000)
                db.session.rollback()
            out.append((name, statistics.median(ts[2:]), seen))
        db.session.remove()
    return out


def explain(app, measured, mode: str) -> None:
    if mode == "none":
        return
    from survey.extensions import db
    with app.app_context():
        pg = db.engine.dialect.name == "postgresql"
        with db.engine.connect() as conn:
            for name, med, statements in measured:
                if mode == "slow" and med < 5:
                    continue
                for statement, params in statements:
                    if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                        continue
                    log(f"\n  -- {name} (median {med:.1f} ms)")
                    log("  " + " ".join(statement.split())[:500])
                    if pg:
                        plan = [r[0] for r in conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS OFF) " + statement, params)]
                    else:
                        plan = ls.sqlite_plan(conn, "EXPLAIN QUERY PLAN " + statement, params)
                    for line in plan:
                        log("    " + line)
            conn.rollback()
        db.session.remove()


def run_engine(engine: str, tmp: Path, args) -> dict:
    log(f"\n=== {engine} === (load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, "
        f"{os.cpu_count()} CPUs)")
    ls.PG_DB = PG_DB   # ledger_scale's database_url() creates this database, not bench_ledger
    url = ls.database_url(engine, tmp)
    app = None
    try:
        # SQLite gets ANALYZE, as the app does within the hour (survey/database.py)
        app = ls.build(url, SimpleNamespace(revision=args.revision, problems=args.problems,
                                            events_per_problem=args.events_per_problem, analyze_sqlite=True,
                                            no_analyze_sqlite=False))
        log(f"  pages (median of {args.requests} after {WARMUPS} warm-ups, interleaved):")
        pages = measure_pages(app, args.requests)
        round_id = ids(app)["round"]
        measured = {}
        for username, rid in (("admin", round_id), ("inspector1", round_id)):
            log(f"  query functions, {username}, round {rid}:")
            measured[username] = measure_queries(app, username, rid)
            for name, med, statements in measured[username]:
                log(f"    {name:<40} {med:6.1f} ms  ({len(statements)} statements)")
        for username in measured:
            explain(app, measured[username], args.explain)
        return [{"engine": engine, "pages": pages, "queries": measured, "load": os.getloadavg()}]
    finally:
        if app is not None:
            ls.dispose(app)
        if engine == "postgresql":
            ls.pg_admin(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')


def report(results: list[dict], args) -> None:
    log(f"\n## Results: {args.problems:,} problems in one round, schema at {args.revision}")
    log(f"\nTarget: the dashboard's median under {TARGET_MS:.0f} ms. Ratios against the baselines of the same user "
        "and round in the same run: the bare render (same page from precomputed figures: template + charts) "
        "and /account (layout and badge only).\n")
    log("| engine | user | page | n | median ms | p95 ms | × bare render | × /account | |")
    log("|---|---|---|---:|---:|---:|---:|---:|---|")
    for res in results:
        pages = res["pages"]
        for i, r in enumerate(pages):
            if r["page"].startswith("  "):
                continue
            bare = next((p for p in pages[i + 1:i + 3] if p["page"].startswith("  bare")), None)
            account = next(p for p in pages[i:] if p["page"] == "  /account" and p["user"] == r["user"])
            ratio = f"{r['median'] / bare['median']:.1f}" if bare else "–"
            log(f"| {res['engine']} | {r['user']} | {r['page']} | {r['n']} | {r['median']:.1f} | {r['p95']:.1f} | "
                f"{ratio} | {r['median'] / account['median']:.1f} | {ls.verdict(r['median'], TARGET_MS)} |")
        for r in pages:
            if r["page"].startswith("  "):
                log(f"| {res['engine']} | {r['user']} | {r['page'].strip()} (baseline) | {r['n']} | {r['median']:.1f} | "
                    f"{r['p95']:.1f} | | | |")
    log("\nSummary (load average at the end of each engine's run):")
    for res in results:
        dash = [r for r in res["pages"] if not r["page"].startswith("  ")]
        worst = max(dash, key=lambda r: r["median"])
        load = " ".join(f"{x:.1f}" for x in res["load"])
        log(f"  {res['engine']:<11} [load {load}] {sum(r['median'] < TARGET_MS for r in dash)}/{len(dash)} pages "
            f"under {TARGET_MS:.0f} ms; worst median {worst['median']:.1f} ms ({worst['user']} {worst['page']}) "
            f"{ls.verdict(worst['median'], TARGET_MS)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--problems", type=int, default=100_000)
    parser.add_argument("--events-per-problem", type=int, default=1, help="the dashboard reads no events (1)")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page (20)")
    parser.add_argument("--revision", default="head", help="migrate to this revision (before the indexes: 'before')")
    parser.add_argument("--explain", choices=("slow", "all", "none"), default="slow")
    args = parser.parse_args()
    return ls.run_engines(args, "survey-dashboard-bench-", run_engine, report)


if __name__ == "__main__":
    sys.exit(main())
