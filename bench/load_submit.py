"""150 users (86 liaisons, 64 inspectors) each submit one questionnaire within 60 s against gunicorn
as in production (4 workers x 8 threads, gthread), on SQLite and/or PostgreSQL.

    .venv/bin/python bench/load_submit.py [--engine sqlite|postgresql|both] [--window 60]

Phase 1 logs every user in (not timed: phones are logged in before the meeting). Phase 2 spreads
the 150 start times over the window; each user opens the form, saves a draft and submits with a
token, resending with the same token on a lost answer or a 5xx as the phone's queue does. Then the
database is checked: submitted forms = 2xx answers, no duplicate problems, one audit row per
submit, the audit chain whole; the server log: no "database is locked", no traceback, no worker
timeout. Prints PASS/FAIL per target and exits 0 (a measurement, not a test).
"""
from __future__ import annotations

import argparse
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from load_common import (PG_DEFAULT, Phone, Stats, cleanup, db_checks, log_findings, prepare, server,  # noqa: I001
                         summary)


def run(engine: str, window: float, pg_url: str) -> dict:
    print(f"\n=== {engine}: preparing the demo district (86 liaisons + 64 inspectors) ...", flush=True)
    tmp, env, plan = prepare(engine, pg_url)
    log = tmp / "gunicorn.log"
    srv = server(env, log, workers=4, threads=8)
    stats, results, lock = Stats(), {}, threading.Lock()
    try:
        phones = [Phone(srv.port, user, stats) for user in plan["users"]]
        t = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda p: p.login(), phones))
        print(f"  phase 1: {len(phones)} logins in {time.perf_counter() - t:.1f} s "
              f"(login {summary(stats.of('login'))})")
        stats.rows.clear()
        rng = random.Random(8)
        starts = sorted(rng.uniform(0, window - 10) for _ in phones)

        def user(i: int, phone: Phone, start: float, t0: float) -> None:
            time.sleep(max(0.0, t0 + start - time.perf_counter()))
            try:
                phone.open_form()
                status, body = phone.save_and_submit(plan["answers"][phone.user["kind"]], f"load-{i}")
            except Exception as exc:  # noqa: BLE001 - counted as a failed user
                status, body = None, {"error": repr(exc)}
            with lock:
                results[phone.user["username"]] = (status, body, time.perf_counter() - t0)

        t0 = time.perf_counter()
        threads = [threading.Thread(target=user, args=(i, p, s, t0)) for i, (p, s) in enumerate(zip(phones, starts))]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        elapsed = time.perf_counter() - t0
    finally:
        srv.stop()
    db = db_checks(env)
    found = log_findings(log)
    ok2xx = sum(1 for s, _, _ in results.values() if s in (200, 201))
    created = sum(1 for s, _, _ in results.values() if s == 201)
    fivexx = stats.count(lambda st, status: status is not None and status >= 500)
    neterr = stats.count(lambda st, status: status is None)
    last = max(t for _, _, t in results.values())
    print(f"  phase 2: {len(results)} users in {elapsed:.1f} s (last answer at {last:.1f} s)")
    for step in ("open", "form_page", "draft", "submit"):
        print(f"    {step:9} {summary(stats.of(step))}")
    print(f"    all       {summary(stats.of())}")
    print(f"  submits: {ok2xx} answered 2xx ({created} created), {fivexx} 5xx responses, {neterr} network errors")
    print(f"  database: {db}")
    print(f"  server log: {found}")
    checks = {
        "150 users answered 2xx": ok2xx == len(plan["users"]),
        "0 responses 5xx": fivexx == 0,
        "0 'database is locked'": found["database is locked"] == 0,
        "stored = 2xx answers": db["submitted"] == ok2xx,
        "0 duplicates": db["duplicate_problems"] == 0 and db["submit_audit_rows"] == db["submitted"],
        "audit chain whole": db["audit_chain_ok"],
        "no traceback / worker timeout": found["Traceback"] == 0 and found["WORKER TIMEOUT"] == 0,
        f"all within {window:.0f} s": last <= window,
    }
    for name, good in checks.items():
        print(f"  => {name}: {'PASS' if good else 'FAIL'}")
    for err in stats.errors[:10]:
        print(f"     error: {err}")
    cleanup(tmp, env)
    return {"engine": engine, "p50": summary(stats.of("submit")), "checks": checks}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--pg-url", default=PG_DEFAULT, help="scratch database, dropped and re-created")
    args = parser.parse_args()
    engines = ("sqlite", "postgresql") if args.engine == "both" else (args.engine,)
    for engine in engines:
        run(engine, args.window, args.pg_url)


if __name__ == "__main__":
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
