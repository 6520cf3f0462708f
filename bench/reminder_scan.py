#!/usr/bin/env python
"""The daily reminder scan (survey.reminders.scan.run_scan) over 100,000 and 1,000,000 problems, 30% open,
on PostgreSQL.

Target (issue 14, Speed): the daily scan over 1,000,000 problems (300,000 open) finishes within 60 s,
and its cost grows linearly (100k and 1M shown).

    .venv/bin/python bench/reminder_scan.py [--sizes 100000,1000000] [--keep]

For each size: a database of its own (`bench_reminders`, dropped at the end), migrated, the demo district
(86 units with liaisons and contacts, 2 groups, the demo rounds and their default ladders), then the
problems generated in SQL (generate_series), spread over the demo's current round, every unit, and
deadlines from 300 days ago to 100 days ahead; 30% open. Then, with the clock frozen:
  - the first scan (day 0): every open problem already past a step gets its latest due step (a notice
    for those past the deadline: issue_notice one by one), the earlier ones recorded as skipped;
  - the daily scans of the next 3 days: what a day brings (the problems whose deadline crosses a
    step) — the figure the target is about;
  - a repeat of the last day (nothing to send: the cost of looking).
Printed: seconds, rows written, and the cost per problem (µs) of each, and the ratio between sizes.
A measurement, not a test: exits 0.
"""
from __future__ import annotations

import argparse
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ledger_scale import PG_ADMIN_URL, dispose, make_app, pg_admin  # noqa: E402

PG_DB = "bench_reminders"
TARGET_S = 60.0


def log(msg: str = "") -> None:
    print(msg, flush=True)


def build(n: int):
    from flask_migrate import upgrade
    from sqlalchemy import select, text

    from survey import clock
    from survey.database import writing
    from survey.extensions import db
    from survey.models import Round
    from survey.seed import seed_demo

    assert PG_DB != "test"
    pg_admin(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
    pg_admin(f'CREATE DATABASE "{PG_DB}"')
    app = make_app(PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + PG_DB)
    with app.app_context():
        t0 = time.perf_counter()
        upgrade()
        with writing():
            seed_demo()
            db.session.commit()
        rnd = db.session.scalar(select(Round).order_by(Round.starts_on.desc()).limit(1))
        today = clock.today()
        t1 = time.perf_counter()
        db.session.execute(text("DELETE FROM problem_events WHERE problem_id IN (SELECT id FROM problems)"))
        for table in ("evidence",):
            db.session.execute(text(f"DELETE FROM {table}"))
        db.session.execute(text("DELETE FROM problems"))
        db.session.execute(text("""
            INSERT INTO problems (code, code_key, round_id, unit_id, category, description, source, found_on,
                                  severity, deadline, status, question_name, created_at, responsible_person,
                                  measures, progress, result, extension_reason, lock_version)
            WITH u AS (SELECT array_agg(id ORDER BY id) AS ids, count(*) AS n FROM units)
            SELECT 'B-' || g, 'B-' || lpad(g::text, 10, '0'), :round_id, u.ids[1 + g % u.n],
                   '其他', '生成的问题 ' || g, 'daily', :today - 400, '一般',
                   :today + ((g::bigint * 7919) % 400 - 300)::int,
                   CASE WHEN (g / 400) % 10 < 3 THEN (ARRAY['open','in_progress','pending_review'])[1 + g % 3]
                        ELSE 'closed' END,
                   '', now(), '', '', '', '', '', 1
            FROM generate_series(1, :n) AS g, u"""), {"round_id": rnd.id, "today": today, "n": n})
        db.session.commit()
        t2 = time.perf_counter()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
        t3 = time.perf_counter()
        db.session.remove()
    log(f"  schema + demo {t1 - t0:.1f} s; {n:,} problems {t2 - t1:.1f} s; VACUUM ANALYZE {t3 - t2:.1f} s")
    return app, today


def counts() -> dict:
    from sqlalchemy import func, select

    from survey.extensions import db
    from survey.models import LadderFiring, Message, Notice, ProblemEvent
    return {t.__tablename__: db.session.scalar(select(func.count()).select_from(t))
            for t in (LadderFiring, Message, Notice, ProblemEvent)}


def timed_scan(day: date) -> tuple[float, object, dict]:
    from survey import clock
    from survey.reminders.scan import run_scan
    before = counts()
    with clock.frozen_at(clock.china_moment(day, 6)):
        t = time.perf_counter()
        report = run_scan()
        elapsed = time.perf_counter() - t
    after = counts()
    return elapsed, report, {k: after[k] - before[k] for k in after}


def run_size(n: int, keep: bool, profile: bool = False) -> dict:
    log(f"\n== {n:,} problems ({int(n * 0.3):,} open) ==")
    app, today = build(n)
    out = {"n": n}
    try:
        with app.app_context():
            if profile:
                import cProfile
                import pstats
                from survey import clock
                from survey.reminders.scan import run_scan
                with clock.frozen_at(clock.china_moment(today, 6)):
                    prof = cProfile.Profile()
                    t = time.perf_counter()
                    prof.runcall(run_scan, dry_run=True)
                    log(f"  first scan, dry run, profiled: {time.perf_counter() - t:.1f} s")
                pstats.Stats(prof).sort_stats("cumulative").print_stats(30)
            for label, day in [("first scan", today)] + [(f"daily scan +{i}", today + timedelta(days=i))
                                                          for i in (1, 2, 3)] + [("repeat", today + timedelta(days=3))]:
                elapsed, report, written = timed_scan(day)
                out[label] = elapsed
                log(f"  {label:<14} {day}  {elapsed:7.2f} s  {elapsed / n * 1e6:7.2f} µs/problem  "
                    f"fired {report.fired:,} skipped {report.skipped:,} notices {report.notices:,} "
                    f"messages {report.messages:,} (rows: {written})")
    finally:
        dispose(app)
        if not keep:
            pg_admin(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--keep", action="store_true", help="keep the last database")
    parser.add_argument("--profile", action="store_true", help="profile a dry run of the first scan first")
    args = parser.parse_args()
    results = [run_size(int(s), args.keep, args.profile) for s in args.sizes.split(",")]
    log("\n== summary ==")
    base = results[0]
    for r in results:
        daily = max(r[k] for k in r if k.startswith("daily"))
        log(f"  {r['n']:>9,} problems: first scan {r['first scan']:.2f} s, slowest daily scan {daily:.2f} s "
            f"({daily / r['n'] * 1e6:.2f} µs/problem), repeat {r['repeat']:.2f} s; "
            f"daily vs {base['n']:,}: x{daily / max(base['daily scan +1'], 1e-9):.1f} for x{r['n'] / base['n']:.0f} rows; "
            f"target daily < {TARGET_S:.0f} s at 1M: {'PASS' if daily < TARGET_S else 'FAIL'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
