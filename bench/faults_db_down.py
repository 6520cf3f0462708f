"""PostgreSQL stopped for 10 s under traffic, then started again: 503 pages without stack traces,
the phone's draft refused (and kept on the phone) meanwhile, recovery without restarting the app.

    .venv/bin/python bench/faults_db_down.py --yes-stop-postgres [--cluster "15 main"] [--down 10]

RUN BY HAND ONLY, on a machine where nobody else uses the local PostgreSQL: it runs
`pg_ctlcluster <cluster> stop -m fast` and `... start`. Never part of `make test` or `make soak`.
Loopback only; prints PASS/FAIL and exits 0.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import threading
import time

from load_common import PG_DEFAULT, Phone, Stats, cleanup, log_findings, prepare, server  # noqa: I001


def pg_ctl(cluster: str, action: str) -> None:
    version, name = cluster.split()
    subprocess.run(["pg_ctlcluster", version, name, action, *(["-m", "fast"] if action == "stop" else [])],
                   check=True, timeout=60)


def run(cluster: str, down: float, pg_url: str, keep_log: str = "") -> None:
    tmp, env, plan = prepare("postgresql", pg_url)
    log = tmp / "gunicorn.log"
    srv = server(env, log, workers=2, threads=4)
    stats, seen, stop = Stats(), [], threading.Event()
    try:
        phone = Phone(srv.port, plan["users"][0], stats)
        phone.login()
        phone.open_form()
        answers = plan["answers"]["self_check"]

        def traffic() -> None:
            while not stop.is_set():
                for path in ("/", "/ledger", "/healthz"):
                    t = time.monotonic()  # when this request was sent
                    resp, body = phone.timed("page", "GET", path)
                    seen.append((t, path, resp.status, b"Traceback" in body or b"psycopg" in body,
                                 "数据库暂时无法连接".encode() in body))
                t = time.monotonic()
                resp, body = phone.json("draft", f"/submissions/{phone.sid}/draft",
                                        {"answers": answers, "lock_version": phone.lock})
                if resp.status == 200:
                    import json
                    phone.lock = json.loads(body)["lock_version"]
                seen.append((t, "draft", resp.status, b"Traceback" in body, b"\\u6570" in body or "数据库".encode() in body))
                time.sleep(0.5)

        th = threading.Thread(target=traffic)
        t0 = time.monotonic()
        th.start()
        time.sleep(5)
        print(f"  stopping PostgreSQL ({cluster}) for {down:.0f} s", flush=True)
        pg_ctl(cluster, "stop")
        stopped = time.monotonic()          # down from here (stop -m fast has returned) ...
        time.sleep(down)
        starting = time.monotonic()         # ... until here: start may accept connections before it returns
        pg_ctl(cluster, "start")
        started = time.monotonic()
        time.sleep(20)
        stop.set()
        th.join()
    finally:
        srv.stop()
    during = [s for s in seen if stopped < s[0] < starting]
    after = [s for s in seen if s[0] > started]
    recovered = next((s[0] - started for s in after if s[2] == 200 and s[1] == "/ledger"), None)
    print(f"  during: statuses {sorted({s[2] for s in during})}; after: first 200 of /ledger "
          f"{recovered if recovered is None else f'{recovered:.1f} s'} after the start")
    print(f"  server log: {log_findings(log)}")
    checks = {"503 while down, with the Chinese page": during and all(s[2] == 503 for s in during)
              and all(s[4] for s in during if s[1] != "draft" and s[1] != "/healthz"),
              "no stack trace in any answer": not any(s[3] for s in seen),
              "recovered without restarting the app": recovered is not None and recovered < 15,
              "the draft saved again after recovery": any(s[1] == "draft" and s[2] == 200 for s in after)}
    for name, good in checks.items():
        print(f"  => {name}: {'PASS' if good else 'FAIL'}")
    print(f"  5xx other than 503 while down: {sorted({(s[1], s[2]) for s in during if s[2] != 503})}")
    if keep_log:
        import shutil
        shutil.copy(log, keep_log)
    cleanup(tmp, env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--yes-stop-postgres", action="store_true", help="required: this stops the local cluster")
    parser.add_argument("--cluster", default="15 main")
    parser.add_argument("--down", type=float, default=10)
    parser.add_argument("--pg-url", default=PG_DEFAULT)
    parser.add_argument("--keep-log", default="", help="copy gunicorn's log here before cleaning up")
    args = parser.parse_args()
    if not args.yes_stop_postgres:
        sys.exit("This stops the local PostgreSQL cluster. Run it by hand, alone, with --yes-stop-postgres.")
    run(args.cluster, args.down, args.pg_url, args.keep_log)


if __name__ == "__main__":
    main()
