"""Uploads cut off half way, and workers killed right after an upload's body arrived.

    .venv/bin/python bench/faults_upload_cut.py [--engine sqlite|postgresql] [--cuts 20] [--kills 10]

1. `--cuts` evidence uploads and as many photo uploads send half their body and close the socket.
2. `--kills` evidence uploads send their whole body; the (single) worker is killed with SIGKILL
   0-80 ms later, while it checks, writes or commits.
Then: no row may point to a missing file; files no row points to (an upload whose worker died
between writing the file and committing its row) are counted and `flask sweep-orphans
--min-age 0` removes exactly those; a normal upload still works. Loopback only; exits 0.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

from load_common import BIN, PG_DEFAULT, ROOT, Phone, Stats, cleanup, log_findings, prepare, server  # noqa: I001
from load_uploads import PROBLEMS, multipart, open_ledger, photo, upload

FILES = r'''
import json, sys
from pathlib import Path
from flask import current_app
from sqlalchemy import select
from survey import create_app
from survey.extensions import db
from survey.models import Evidence, Photo
app = create_app()
with app.app_context():
    root = Path(current_app.instance_path)
    rows = {("evidence", n) for n in db.session.scalars(select(Evidence.stored_name))}
    rows |= {("uploads", n) for n in db.session.scalars(select(Photo.stored_name))}
    on_disk = {(d, p.name) for d in ("evidence", "uploads") if (root / d).is_dir() for p in (root / d).iterdir()}
    json.dump({"rows": len(rows), "missing": sorted(map(list, rows - on_disk)),
               "orphans": sorted(map(list, on_disk - rows))}, sys.stdout)
'''


def files_state(env) -> dict:
    return json.loads(subprocess.run([str(BIN / "python"), "-c", FILES], cwd=ROOT, env=env, check=True,
                                     capture_output=True, text=True, timeout=120).stdout)


def raw_post(port: int, phone: Phone, path: str, body: bytes, ctype: str, send: int, wait: float = 0.05):
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: survey-bench/1\r\n"
            f"Cookie: {phone.client.cookie_header()}\r\nX-CSRFToken: {phone.token}\r\nAccept: application/json\r\n"
            f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(head + body[:send])
    if wait is None:
        return sock  # the caller closes it
    time.sleep(wait)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST, as a lost signal
    sock.close()
    return None


def run(engine: str, cuts: int, kills: int, pg_url: str) -> None:
    print(f"\n=== {engine}: preparing ...", flush=True)
    tmp, env, plan = prepare(engine, pg_url)
    problems = json.loads(subprocess.run([str(BIN / "python"), "-c", PROBLEMS], cwd=ROOT, env=env, check=True,
                                         capture_output=True, text=True, timeout=300).stdout)
    log = tmp / "gunicorn.log"
    srv = server(env, log, workers=1, threads=4)
    stats, rng = Stats(), random.Random(3)
    data = photo(1, 1024 * 1024)
    try:
        phones = [Phone(srv.port, u, stats) for u in plan["users"][:max(cuts, kills) + 1]]
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda p: (p.login(), open_ledger(p)), phones))
        for i in range(cuts):
            phone = phones[i]
            body, ctype = multipart([(data, "半截.jpg")])
            raw_post(srv.port, phone, f"/ledger/{problems[phone.user['username']]}/evidence", body, ctype, len(body) // 2)
            phone.open_form()
            boundary = "----cut" + os.urandom(6).hex()
            body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"question\"\r\n\r\nq\r\n"
                    f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n"
                    f"Content-Type: image/jpeg\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
            raw_post(srv.port, phone, f"/submissions/{phone.sid}/photos", body,
                     f"multipart/form-data; boundary={boundary}", len(body) // 2)
        print(f"  1. {cuts} evidence and {cuts} photo uploads cut at half their body")
        for i in range(kills):
            phone = phones[i]
            open_ledger(phone)
            body, ctype = multipart([(photo(10 + i, 1024 * 1024), f"被打断{i}.jpg")])
            sock = raw_post(srv.port, phone, f"/ledger/{problems[phone.user['username']]}/evidence", body, ctype,
                            len(body), wait=None)
            time.sleep(rng.uniform(0, 0.08))
            killed = srv.kill_workers()
            sock.close()
            srv.wait_for_new_worker(killed)
        print(f"  2. {kills} uploads whose worker was killed 0-80 ms after the body was sent")
        time.sleep(2)
        state = files_state(env)
        last = phones[-1]
        open_ledger(last)
        status, _ = upload(last, problems[last.user["username"]], [(data, "正常.jpg")])
    finally:
        srv.stop()
    swept = subprocess.run([str(BIN / "flask"), "--app", "app", "sweep-orphans", "--min-age", "0"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=120).stdout.strip()
    after = files_state(env)
    print(f"  rows with a file: {state['rows']}; rows whose file is missing: {state['missing']}")
    print(f"  orphan files before the sweep: {len(state['orphans'])}; sweep-orphans said: {swept}; after: {after['orphans']}")
    print(f"  a normal upload afterwards: HTTP {status}; server log {log_findings(log)}")
    checks = {"no row points to a missing file": not state["missing"] and not after["missing"],
              "orphans swept, rows kept": not after["orphans"] and after["rows"] == state["rows"] + 1,
              "every killed upload stored whole or not at all": state["rows"] <= kills,
              "the server still takes uploads": status == 201}
    for name, good in checks.items():
        print(f"  => {name}: {'PASS' if good else 'FAIL'}")
    cleanup(tmp, env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--cuts", type=int, default=20)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--pg-url", default=PG_DEFAULT)
    args = parser.parse_args()
    for engine in (("sqlite", "postgresql") if args.engine == "both" else (args.engine,)):
        run(engine, args.cuts, args.kills, args.pg_url)


if __name__ == "__main__":
    main()
