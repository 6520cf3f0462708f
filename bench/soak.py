"""Soak: gunicorn as in production under a steady 20 requests/s, 80 % reads, for 30 minutes.

    .venv/bin/python bench/soak.py [--minutes 30] [--rate 20] [--engine sqlite|postgresql]
    make soak                      # the full 30 minutes on SQLite (SOAK_ARGS="--minutes 2" for a try)

40 logged-in users (liaisons and inspectors) on keep-alive connections. Every 1/rate s one of
them acts: 80 % reads (home, ledger list and filters, a problem, their form), 20 % writes (a draft
save with the lock version the previous save returned). Targets: error rate 0 (any 4xx/5xx or
network error), worker memory growth under 10 % (RSS of each worker, sampled every 10 s; growth
is last sample vs the first one after the warm-up, the first tenth of the run). Prints the
figures and PASS/FAIL, exits 0. Loopback only.
"""
from __future__ import annotations

import argparse
import json
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from load_common import PG_DEFAULT, Phone, Stats, cleanup, log_findings, prepare, server, summary  # noqa: I001


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def act(phone: Phone, rng: random.Random, plan: dict) -> None:
    if rng.random() < 0.8:
        path = rng.choice(["/", "/ledger", "/ledger?status=open", "/ledger?sort=-code&page=2",
                           f"/submissions/{phone.sid}", f"/rounds/{plan['round']}"])
        phone.timed("read", "GET", path)
        return
    answers = dict(plan["answers"][phone.user["kind"]])
    text_keys = [k for k, v in answers.items() if isinstance(v, str) and len(v) > 8]
    if text_keys:
        answers[text_keys[0]] = f"持续写入 {rng.random():.6f}"
    resp, body = phone.json("write", f"/submissions/{phone.sid}/draft", {"answers": answers, "lock_version": phone.lock})
    if resp.status == 200:
        phone.lock = json.loads(body)["lock_version"]


def run(engine: str, minutes: float, rate: float, pg_url: str) -> None:
    print(f"\n=== soak on {engine}: {minutes:g} min at {rate:g} req/s, 80 % reads", flush=True)
    tmp, env, plan = prepare(engine, pg_url)
    log = tmp / "gunicorn.log"
    srv = server(env, log, workers=4, threads=8)
    stats, samples = Stats(), []
    users = plan["users"][:30] + [u for u in plan["users"] if u["kind"] == "visit"][:10]
    try:
        phones = [Phone(srv.port, u, stats) for u in users]
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda p: (p.login(), p.open_form()), phones))
        stats.rows.clear()
        locks = {id(p): threading.Lock() for p in phones}  # one request at a time per phone, as on a phone
        rng = random.Random(20)
        duration, t0 = minutes * 60, time.monotonic()
        warmup = max(20.0, duration / 10)
        next_sample = t0

        def one(phone: Phone, seed: float) -> None:
            with locks[id(phone)]:
                try:
                    act(phone, random.Random(seed), plan)
                except OSError:
                    phone.reconnect()

        with ThreadPoolExecutor(16) as pool:
            n = 0
            while (now := time.monotonic()) - t0 < duration:
                if now >= next_sample:
                    samples.append((now - t0, {pid: rss_kb(pid) for pid in srv.workers()}))
                    next_sample += 10
                pool.submit(one, rng.choice(phones), rng.random())
                n += 1
                time.sleep(max(0.0, t0 + n / rate - time.monotonic()))
                if n % int(rate * 60) == 0:
                    bad = stats.count(lambda st, s: s is None or s >= 400)
                    print(f"    {(now - t0) / 60:4.1f} min  {n} requests  errors {bad}", flush=True)
        elapsed = time.monotonic() - t0
        samples.append((elapsed, {pid: rss_kb(pid) for pid in srv.workers()}))
    finally:
        srv.stop()
    total = len(stats.rows)
    errors = stats.count(lambda st, s: s is None or s >= 400)
    first = next((s for t, s in samples if t >= warmup), samples[0][1])
    last = samples[-1][1]
    growth = {pid: (last[pid] - first[pid]) / first[pid] for pid in last if first.get(pid)}
    restarted = set(last) != set(first)
    print(f"  {total} requests in {elapsed:.0f} s = {total / elapsed:.1f} req/s; reads {summary(stats.of('read'))}")
    print(f"  writes {summary(stats.of('write'))}")
    print(f"  errors: {errors} ({errors / max(1, total):.4%}); server log {log_findings(log)}")
    print("  worker RSS after warm-up -> end: " + ", ".join(
        f"{pid}: {first.get(pid, 0) / 1024:.0f} -> {last[pid] / 1024:.0f} MB ({g:+.1%})" for pid, g in growth.items()))
    checks = {"error rate 0": errors == 0, "worker memory growth < 10 %": bool(growth) and max(growth.values()) < 0.10
              and not restarted, f"rate held ({rate:g} req/s)": total / elapsed >= rate * 0.95}
    for stats_err in stats.errors[:5]:
        print(f"     error: {stats_err}")
    for name, good in checks.items():
        print(f"  => {name}: {'PASS' if good else 'FAIL'}")
    cleanup(tmp, env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-url", default=PG_DEFAULT)
    args = parser.parse_args()
    run(args.engine, args.minutes, args.rate, args.pg_url)


if __name__ == "__main__":
    main()
