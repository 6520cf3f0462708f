"""kill -9 of the gunicorn worker at a random point of submit handling, 100 times.

    .venv/bin/python bench/faults_kill.py [--engine sqlite|postgresql] [--kills 100]

One worker (4 threads), so the kill always hits the request. Each round: a logged-in user with a
saved draft submits with a token; 0-120 ms later the worker is killed with SIGKILL; the phone
resends with the same token until it hears back (the master starts a new worker meanwhile).
Afterwards every submission must be complete (submitted, its problems, one audit row) - never
partial - stored once, and every answer must name the original record. Loopback only; prints
PASS/FAIL and exits 0.
"""
from __future__ import annotations

import argparse
import json
import random
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from load_common import BIN, PG_DEFAULT, ROOT, Phone, Stats, cleanup, log_findings, prepare, server  # noqa: I001

CHECK = r'''
import json, sys
from sqlalchemy import func, select
from survey import create_app
from survey.audit_chain import verify_chain
from survey.extensions import db
from survey.models import AuditLog, Problem, Submission
app = create_app()
with app.app_context():
    audit = {}
    for d in db.session.scalars(select(AuditLog.details).where(AuditLog.event == "submission_submit")):
        audit[d["submission_id"]] = audit.get(d["submission_id"], 0) + 1
    out = []
    for s in db.session.scalars(select(Submission)):
        n = db.session.scalar(select(func.count(Problem.id)).where(Problem.submission_id == s.id))
        out.append({"id": s.id, "kind": s.kind, "state": s.state, "problems": n, "audit": audit.get(s.id, 0),
                    "token": s.submit_token})
    json.dump({"subs": out, "chain": verify_chain(db.session).ok}, sys.stdout)
'''


def run(engine: str, kills: int, pg_url: str) -> None:
    print(f"\n=== {engine}: preparing ...", flush=True)
    tmp, env, plan = prepare(engine, pg_url)
    log = tmp / "gunicorn.log"
    srv = server(env, log, workers=1, threads=4)
    stats = Stats()
    users = plan["users"][:kills]
    answers: dict[int, tuple] = {}
    try:
        phones = [Phone(srv.port, u, stats) for u in users]
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda p: (p.login(), p.open_form(),
                                     p.json("draft", f"/submissions/{p.sid}/draft",
                                            {"answers": plan["answers"][p.user["kind"]], "lock_version": p.lock})),
                          phones))
        print(f"  {len(phones)} users with a saved draft; killing the worker {kills} times")
        rng = random.Random(9)
        for i, phone in enumerate(phones):
            result = {}
            th = threading.Thread(target=lambda: result.update(
                answer=phone.submit(plan["answers"][phone.user["kind"]], f"kill-{i}", retries=20)))
            th.start()
            time.sleep(rng.uniform(0, 0.12))
            killed = srv.kill_workers()
            th.join()
            answers[phone.sid] = result["answer"]
            srv.wait_for_new_worker(killed)  # the master replaces the worker
            if (i + 1) % 20 == 0:
                print(f"    {i + 1} kills", flush=True)
    finally:
        srv.stop()
    out = json.loads(subprocess.run([str(BIN / "python"), "-c", CHECK], cwd=ROOT, env=env, check=True,
                                    capture_output=True, text=True, timeout=300).stdout)
    subs = {s["id"]: s for s in out["subs"] if s["id"] in answers}
    expected = {}
    for s in subs.values():
        expected.setdefault(s["kind"], set()).add(s["problems"])
    partial = [s for s in subs.values() if s["state"] != "submitted" or s["audit"] != 1 or len(expected[s["kind"]]) > 1]
    statuses = [a[0] for a in answers.values()]
    wrong_id = [sid for sid, (status, body) in answers.items() if body.get("id") != sid]
    lost = stats.count(lambda st, status: st == "submit" and status is None)
    print(f"  answers: {statuses.count(201)} created, {statuses.count(200)} 'already stored' (a resend after a "
          f"commit whose answer died with the worker), other {[s for s in statuses if s not in (200, 201)]}")
    print(f"  submit attempts cut by the kill: {lost}; problems per form by kind: "
          f"{ {k: sorted(v) for k, v in expected.items()} }")
    print(f"  server log: {log_findings(log)}")
    checks = {"every record complete, none partial": not partial,
              "stored exactly once (one submit audit row each)": all(s["audit"] == 1 for s in subs.values()),
              "every answer names the original record": not wrong_id and len(answers) == kills,
              "audit chain whole": out["chain"]}
    for name, good in checks.items():
        print(f"  => {name}: {'PASS' if good else 'FAIL'}")
    for s in partial[:5]:
        print(f"     partial: {s}")
    cleanup(tmp, env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--pg-url", default=PG_DEFAULT)
    args = parser.parse_args()
    for engine in (("sqlite", "postgresql") if args.engine == "both" else (args.engine,)):
        run(engine, args.kills, args.pg_url)


if __name__ == "__main__":
    main()
