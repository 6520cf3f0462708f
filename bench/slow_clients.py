"""Slow clients against gunicorn as `make run` starts it (2 workers x 4 threads, gunicorn.conf.py):
/healthz latency while 0, 12 and 50 connections send their header one byte every 2 s, with the
plain gthread worker (before issue 12) and with survey.gunicorn_worker.HeadBufferingWorker (after).

    .venv/bin/python bench/slow_clients.py [--seconds 12]

Prints, per worker class and number of slow connections: /healthz p50, max and timeouts (3 s),
and how many slow connections the server had closed at the end (head timeout, 10 s)."""
from __future__ import annotations

import argparse
import http.client
import socket
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Gunicorn, make_instance, remove_instance  # noqa: E402

WORKERS = {"gthread (before)": "gthread", "HeadBufferingWorker (after)": "survey.gunicorn_worker.HeadBufferingWorker"}
TRICKLE = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * 200


def healthz(port: int) -> float:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
    try:
        conn.request("GET", "/healthz")
        conn.getresponse().read()
    except OSError:
        return float("inf")
    finally:
        conn.close()
    return time.perf_counter() - started


def run(port: int, slow: int, seconds: float) -> dict:
    socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(slow)]
    stop = threading.Event()

    def trickle():
        for i in range(len(TRICKLE)):
            for s in socks:
                try:
                    s.send(TRICKLE[i:i + 1])
                except OSError:
                    pass
            if stop.wait(2.0):
                return

    sender = threading.Thread(target=trickle, daemon=True)
    sender.start()
    time.sleep(1.0)
    timings, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        timings.append(healthz(port))
        time.sleep(0.25)
    stop.set()
    closed = 0
    for s in socks:
        s.settimeout(0.05)
        try:
            closed += s.recv(10) == b""
        except ConnectionResetError:
            closed += 1
        except OSError:
            pass
        s.close()
    done = [t for t in timings if t != float("inf")]
    return {"p50": statistics.median(done) if done else float("inf"), "max": max(timings),
            "timeouts": len(timings) - len(done), "n": len(timings), "closed": closed}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=12.0)
    args = parser.parse_args()
    tmp, env = make_instance()
    try:
        for label, worker in WORKERS.items():
            server = Gunicorn("app:app", env, tmp / f"{worker}.log", {"GUNICORN_WORKER_CLASS": worker},
                              workers=2, threads=4)
            try:
                time.sleep(1.0)
                print(f"{label}: 2 workers x 4 threads")
                for slow in (0, 12, 50):
                    r = run(server.port, slow, args.seconds)
                    print(f"  {slow:>2} slow connections: /healthz p50 {r['p50'] * 1000:6.1f} ms, "
                          f"max {r['max'] * 1000 if r['max'] != float('inf') else float('inf'):8.1f} ms, "
                          f"timeouts (3 s) {r['timeouts']}/{r['n']}, slow ones closed by the server {r['closed']}/{slow}")
            finally:
                server.stop()
    finally:
        remove_instance(tmp)


if __name__ == "__main__":
    main()
