"""Uploads under load, gunicorn as in production (4 workers x 8 threads, gthread):

  A. 50 concurrent evidence uploads of 3 photos x ~4 MB: all stored, every stored SHA-256 (the
     server's answer, the database row and the file on disk) equal to the sender's.
  B. 20 slow uploads (30 KB/s, ~20 s each) while 50 users browse: browsing p95 under 500 ms,
     every slow upload stored, no worker timeout.

    .venv/bin/python bench/load_uploads.py [--engine sqlite|postgresql] [--slow-seconds 20]

Prints PASS/FAIL per target and exits 0 (a measurement, not a test). Loopback only.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import random
import socket
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from PIL import Image

from load_common import (BIN, PG_DEFAULT, ROOT, csrf_from_login, Phone, Stats, cleanup, log_findings, pct, prepare, server,  # noqa: I001
                         summary)

PROBLEMS = r'''
import json, sys
from datetime import date
from sqlalchemy import select
from survey import create_app
from survey.database import writing
from survey.extensions import db
from survey.ledger import operations
from survey.models import Round, Unit, User
app = create_app()
with app.app_context(), writing():
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    rnd = db.session.scalar(select(Round))
    out = {}
    for liaison in db.session.scalars(select(User).where(User.role == "unit").order_by(User.id)):
        unit = db.session.get(Unit, liaison.unit_id)
        p = operations.register_problem(admin, rnd=rnd, unit=unit, category="其他", description="佐证压测",
                                      severity="一般", deadline=None, found_on=date(2023, 5, 1))
        db.session.flush()
        out[liaison.username] = p.id
    db.session.commit()
    json.dump(out, sys.stdout)
'''
CHECK = r'''
import hashlib, json, sys
from pathlib import Path
from flask import current_app
from sqlalchemy import select
from survey import create_app
from survey.extensions import db
from survey.models import Evidence
app = create_app()
with app.app_context():
    folder = Path(current_app.instance_path) / "evidence"
    rows = {r.id: (r.sha256, r.stored_name) for r in db.session.scalars(select(Evidence))}
    bad = [i for i, (sha, name) in rows.items()
           if not (folder / name).is_file() or hashlib.sha256((folder / name).read_bytes()).hexdigest() != sha]
    json.dump({"rows": len(rows), "shas": sorted({s for s, _ in rows.values()}), "bad_files": bad}, sys.stdout)
'''


def photo(seed: int, target: int) -> bytes:
    """A plain JPEG of about target bytes (noise compresses badly), no metadata: stored byte for byte."""
    side = 900
    while True:
        raw = os.urandom(side * side * 3)  # seed: only to tell the calls apart
        buf = io.BytesIO()
        Image.frombytes("RGB", (side, side), raw).save(buf, "JPEG", quality=92)
        if buf.tell() >= target * 0.95:
            return buf.getvalue()
        side = int(side * (target / buf.tell()) ** 0.5) + 50


def multipart(files: list[tuple[bytes, str]]) -> tuple[bytes, str]:
    boundary = "----survey-bench-" + os.urandom(8).hex()
    parts = []
    for data, name in files:
        parts.append((f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n"
                      f"Content-Type: image/jpeg\r\n\r\n").encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def upload(phone: Phone, problem_id: int, files) -> tuple[int, dict]:
    body, ctype = multipart(files)
    resp, data = phone.timed("upload", "POST", f"/ledger/{problem_id}/evidence", body,
                             {"Content-Type": ctype, "Accept": "application/json", "X-CSRFToken": phone.token})
    return resp.status, (json.loads(data) if data[:1] == b"{" else {})


def slow_upload(port: int, phone: Phone, problem_id: int, data: bytes, rate: int, stats: Stats) -> int:
    """Send the body at `rate` bytes per second over a raw socket, as a phone on a weak signal."""
    body, ctype = multipart([(data, "慢速.jpg")])
    head = (f"POST /ledger/{problem_id}/evidence HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: survey-bench/1\r\n"
            f"Cookie: {phone.client.cookie_header()}\r\nX-CSRFToken: {phone.token}\r\nAccept: application/json\r\n"
            f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    t = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
        sock.sendall(head)
        chunk = max(1, rate // 10)
        for i in range(0, len(body), chunk):
            sock.sendall(body[i:i + chunk])
            time.sleep(0.1)
        answer = sock.recv(65536).split(b" ", 2)
    status = int(answer[1]) if len(answer) > 1 else 0
    stats("slow_upload", status, time.perf_counter() - t)
    return status


def open_ledger(phone: Phone) -> None:
    """The session's CSRF token, from the account page's logout form (one token per session)."""
    _, html = phone.timed("account", "GET", "/account")
    phone.token = csrf_from_login(html.decode())


def run(engine: str, slow_seconds: int, pg_url: str, threads: int = 8) -> None:
    print(f"\n=== {engine}: preparing the demo district ...", flush=True)
    tmp, env, plan = prepare(engine, pg_url)
    problems = json.loads(subprocess.run([str(BIN / "python"), "-c", PROBLEMS], cwd=ROOT, env=env, check=True,
                                         capture_output=True, text=True, timeout=300).stdout)
    log = tmp / "gunicorn.log"
    srv = server(env, log, workers=4, threads=threads)
    print(f"  gunicorn: 4 workers x {threads} threads (gthread)")
    stats = Stats()
    liaisons = [u for u in plan["users"] if u["kind"] == "self_check"]
    try:
        phones = [Phone(srv.port, u, stats) for u in liaisons[:70] + [u for u in plan["users"] if u["kind"] == "visit"][:30]]
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda p: (p.login(), open_ledger(p)), phones))
        print(f"  {len(phones)} users logged in")
        files = [photo(i, 4 * 1024 * 1024) for i in range(3)]
        sent = {hashlib.sha256(f).hexdigest() for f in files}
        print(f"  A. 50 concurrent uploads of 3 photos ({', '.join(f'{len(f) / 1048576:.1f} MB' for f in files)})")
        t = time.perf_counter()
        with ThreadPoolExecutor(50) as pool:
            answers = list(pool.map(lambda p: upload(p, problems[p.user["username"]],
                                                     [(f, f"现场{i}.jpg") for i, f in enumerate(files)]), phones[:50]))
        took = time.perf_counter() - t
        stored = subprocess.run([str(BIN / "python"), "-c", CHECK], cwd=ROOT, env=env, check=True,
                                capture_output=True, text=True, timeout=300).stdout
        stored = json.loads(stored)
        answered = {e["sha256"] for _, body in answers for e in body.get("evidence", [])}
        print(f"     {sum(s == 201 for s, _ in answers)}/50 answered 201 in {took:.1f} s; {summary(stats.of('upload'))}")
        print(f"     rows {stored['rows']}, distinct stored SHA-256 {len(stored['shas'])}, files not matching {stored['bad_files']}")
        a_ok = all(s == 201 for s, _ in answers) and stored["rows"] == 150 and answered == sent \
            and set(stored["shas"]) == sent and not stored["bad_files"]
        print(f"  => 150 photos stored, every SHA-256 the sender's: {'PASS' if a_ok else 'FAIL'}")

        stats.rows.clear()
        slow_bytes = 30 * 1024 * slow_seconds
        slow_data = photo(99, slow_bytes)
        browsers, slow = phones[50:100], phones[:20]
        stop = threading.Event()
        print(f"  B. 20 uploads of {len(slow_data) / 1024:.0f} KB at 30 KB/s while 50 users browse")

        def browse(phone: Phone) -> None:
            rng = random.Random(phone.user["username"])
            pages = ["/", "/ledger", f"/rounds/{plan['round']}", "/ledger?status=open"]
            while not stop.is_set():
                phone.timed("browse", "GET", rng.choice(pages))
                time.sleep(rng.uniform(0.3, 1.0))

        browsing = [threading.Thread(target=browse, args=(p,)) for p in browsers]
        for th in browsing:
            th.start()
        with ThreadPoolExecutor(20) as pool:
            slow_status = list(pool.map(lambda p: slow_upload(srv.port, p, problems[p.user["username"]], slow_data,
                                                              30 * 1024, stats), slow))
        stop.set()
        for th in browsing:
            th.join()
    finally:
        srv.stop()
    found = log_findings(log)
    browse_times = stats.of("browse")
    print(f"     browsing {summary(browse_times)}; errors {stats.count(lambda s, st: s == 'browse' and (st is None or st >= 400))}")
    print(f"     slow uploads {summary(stats.of('slow_upload'))}; statuses {sorted(set(slow_status))}")
    print(f"     server log {found}")
    b_ok = pct(browse_times, 0.95) < 500 and all(s == 201 for s in slow_status) and found["WORKER TIMEOUT"] == 0
    print(f"  => browsing p95 < 500 ms beside 20 slow uploads, all stored, no worker timeout: {'PASS' if b_ok else 'FAIL'}")
    cleanup(tmp, env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--slow-seconds", type=int, default=20)
    parser.add_argument("--pg-url", default=PG_DEFAULT)
    parser.add_argument("--threads", type=int, default=8, help="GUNICORN_THREADS per worker")
    args = parser.parse_args()
    for engine in (("sqlite", "postgresql") if args.engine == "both" else (args.engine,)):
        run(engine, args.slow_seconds, args.pg_url, args.threads)


if __name__ == "__main__":
    main()
