#!/usr/bin/env python
"""The ledger export at scale: 100,000 problems and 500,000 events, styled vs a bare dump.

Targets (issue 6, Speed and memory): the styled ledger export takes at most 1.3× a bare dump of the
same rows and columns by XlsxWriter constant_memory, measured in the same run, with peak memory
under 100 MB; exports up to 10,000 rows answer within the request (about 1–2 s).

    .venv/bin/python bench/ledger_export.py [--engine sqlite|postgresql|both] [--problems 100000]
        [--events-per-problem 5] [--runs 3] [--sync-rows 10000] [--tracemalloc]

For each engine: a database built by bench/ledger_scale.py's own builder (migrations, the demo
district, the generated ledger), then each variant in a fresh child process (so its peak RSS is its
own), `--runs` times, interleaved:
  styled         survey.export.ledger.write_ledger: the four sheets the app serves
  bare           the same two queries (problems, events) written with worksheet.write_row, no formats
  styled-ledger  the ledger sheet alone (the summaries still counted, 流转记录 left empty)
  bare-ledger    the problem rows alone, bare
Each child reports its time, its peak RSS (getrusage) and how much its resident size grew during the
export (sampled from /proc every 20 ms); --tracemalloc adds a run of `styled` under tracemalloc (the
Python heap's peak; slower, so not timed). Last, a database of --sync-rows rows (problems and their
events) and GET /ledger/export.xlsx through the Flask test client as admin: the request path the app
takes up to EXPORT_SYNC_MAX_ROWS. A measurement, not a test: it
prints each figure with its target and PASS/FAIL and exits 0. Temp files and the PostgreSQL
database `bench_export` are removed at the end, also on errors.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from argparse import Namespace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import ledger_scale  # noqa: E402  (the data builder: reused, not copied)

PG_DB = "bench_export"
RATIO_TARGET, MEMORY_TARGET_MB, SYNC_TARGET_S = 1.3, 100.0, 2.0
VARIANTS = ("styled", "bare", "styled-ledger", "bare-ledger")


def log(msg: str) -> None:
    print(msg, flush=True)


# ---------------------------------------------------------------------------------------------
# Child: one export in a fresh process
# ---------------------------------------------------------------------------------------------

def rss_mb() -> float:
    """Peak resident size of this process so far (getrusage maxrss)."""
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class RssSampler:
    """The resident size now and then (from /proc every 20 ms) while the export runs: maxrss alone
    cannot tell the export's own growth when starting the app peaked higher."""

    def __init__(self) -> None:
        import threading
        self.page = os.sysconf("SC_PAGE_SIZE")
        self.start = self.peak = self.now()
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def now(self) -> float:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * self.page / 2**20

    def _run(self) -> None:
        while self.running:
            self.peak = max(self.peak, self.now())
            time.sleep(0.02)

    def stop(self) -> float:
        self.running = False
        self.thread.join()
        return max(self.peak, self.now()) - self.start


def bare(out: Path, events: bool) -> int:
    """The same statements as the styled export, every column as it comes, write_row, no format."""
    import xlsxwriter
    from survey.export import queries
    from survey.export.ledger import LedgerSpec
    from survey.ledger.queries import LedgerFilter

    spec = LedgerSpec.current(None, LedgerFilter())
    wb = xlsxwriter.Workbook(str(out), {"constant_memory": True, "remove_timezone": True})
    ws, n = wb.add_worksheet("problems"), 0
    for n, r in enumerate(queries.stream(queries.ledger_rows(*spec.args)), 1):
        ws.write_row(n, 0, (n, *r))                 # 18 columns, as the styled sheet has
    if events:
        ws = wb.add_worksheet("events")
        for i, r in enumerate(queries.stream(queries.event_rows(*spec.args)), 1):
            ws.write_row(i, 0, tuple(r))
    wb.close()
    return n


def child(args) -> None:
    from survey.extensions import db
    app = ledger_scale.make_app(args.url)
    with app.app_context():
        db.session.execute(db.text("SELECT count(*) FROM problems")).scalar()  # connected, warm
        db.session.rollback()
        before = rss_mb()
        sampler = RssSampler()
        if args.trace:
            import tracemalloc
            tracemalloc.start()
        t0, c0 = time.perf_counter(), time.process_time()
        if args.child.startswith("styled"):
            from survey.export.ledger import LedgerSpec, write_ledger
            from survey.ledger.queries import LedgerFilter
            n = write_ledger(str(args.out), LedgerSpec.current(None, LedgerFilter()), events=args.child == "styled")
        else:
            n = bare(args.out, events=args.child == "bare")
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        growth = sampler.stop()
        traced = tracemalloc.get_traced_memory()[1] / 2**20 if args.trace else None
        db.session.remove()
        db.engine.dispose()
    print(json.dumps({"variant": args.child, "seconds": seconds, "cpu": cpu, "problems": n, "rss_before_mb": before,
                      "rss_peak_mb": rss_mb(), "rss_growth_mb": growth, "traced_peak_mb": traced, "bytes": args.out.stat().st_size}))


def run_child(variant: str, url: str, tmp: Path, trace: bool = False) -> dict:
    out = tmp / f"{variant}.xlsx"
    cmd = [sys.executable, __file__, "--child", variant, "--url", url, "--out", str(out)] + (["--trace"] if trace else [])
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, env=dict(os.environ))
    if done.returncode != 0:
        raise RuntimeError(f"{variant}: {done.stderr[-2000:]}")
    out.unlink(missing_ok=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------
# Parent
# ---------------------------------------------------------------------------------------------

def build(engine: str, tmp: Path, problems: int, per_problem: int) -> str:
    ledger_scale.PG_DB = PG_DB
    (tmp / engine).mkdir(exist_ok=True)
    url = ledger_scale.database_url(engine, tmp / engine)
    options = Namespace(revision="head", problems=problems, events_per_problem=per_problem,
                        no_analyze_sqlite=False, analyze_sqlite=True)  # ledger_scale's defaults, old and new
    app = ledger_scale.build(url, options)
    ledger_scale.dispose(app)
    return url


def measure_engine(engine: str, tmp: Path, args) -> dict:
    log(f"\n=== {engine}: {args.problems:,} problems × {args.events_per_problem} events ===")
    url = build(engine, tmp, args.problems, args.events_per_problem)
    runs: dict[str, list[dict]] = {v: [] for v in VARIANTS}
    for i in range(args.runs):
        for variant in (VARIANTS if i % 2 == 0 else tuple(reversed(VARIANTS))):
            res = run_child(variant, url, tmp)
            runs[variant].append(res)
            log(f"  run {i + 1} {variant:<14} {res['seconds']:6.1f} s (CPU {res['cpu']:5.1f} s)  peak RSS {res['rss_peak_mb']:6.1f} MB, "
                f"grew {res['rss_growth_mb']:.1f} MB during the export  {res['bytes'] / 2**20:.1f} MiB")
    traced = None
    if args.tracemalloc:
        traced = run_child("styled", url, tmp, trace=True)
        log(f"  styled under tracemalloc: Python heap peak {traced['traced_peak_mb']:.1f} MB")
    return {"engine": engine, "runs": runs, "traced": traced}


def measure_sync(tmp: Path, args) -> list[float]:
    """GET /ledger/export.xlsx as admin on --sync-rows rows (problems and their events): the in-request
    path, at the most it takes."""
    problems = args.sync_rows // (1 + args.events_per_problem)
    log(f"\n=== request path: GET /ledger/export.xlsx, {problems:,} problems + events = "
        f"{problems * (1 + args.events_per_problem):,} rows (SQLite) ===")
    (tmp / "sync").mkdir()
    url = build("sqlite", tmp / "sync", problems, args.events_per_problem)
    app = ledger_scale.make_app(url)
    app.config["EXPORT_SYNC_MAX_ROWS"] = args.sync_rows
    client = ledger_scale.login(app, "admin")
    times = []
    for i in range(4):
        t0 = time.perf_counter()
        resp = ledger_scale.isolated(client.get, "/ledger/export.xlsx")
        elapsed = time.perf_counter() - t0
        if resp.status_code != 200:
            raise RuntimeError(f"GET /ledger/export.xlsx: {resp.status_code}")
        if i:
            times.append(elapsed)
        log(f"  {'warm-up' if not i else f'run {i}'}: {elapsed:.2f} s, {len(resp.data) / 2**20:.1f} MiB")
    ledger_scale.dispose(app)
    return times


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(results: list[dict], sync: list[float], args) -> None:
    log(f"\n## Results ({args.problems:,} problems, {args.problems * args.events_per_problem:,} events, "
        f"median of {args.runs} runs, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())})\n")
    log("Wall time moves with the machine's other work; CPU time (this process's own) is the steadier "
        "measure of the work done, on a shared machine.\n")
    log("| engine | export | wall s | CPU s | ratio (wall) | ratio (CPU) | process peak RSS MB | grew during export MB "
        "| file MiB | |")
    log("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for res in results:
        wall = {v: statistics.median(r["seconds"] for r in res["runs"][v]) for v in VARIANTS}
        cpu = {v: statistics.median(r["cpu"] for r in res["runs"][v]) for v in VARIANTS}
        for variant, base in (("bare", None), ("styled", "bare"), ("bare-ledger", None),
                              ("styled-ledger", "bare-ledger")):
            rows = res["runs"][variant]
            peak = max(r["rss_peak_mb"] for r in rows)
            growth = max(r["rss_growth_mb"] for r in rows)
            ratio_wall = wall[variant] / wall[base] if base else 1.0
            ratio_cpu = cpu[variant] / cpu[base] if base else 1.0
            mark = "(baseline)" if base is None else (
                f"{verdict(ratio_wall <= RATIO_TARGET)} wall, {verdict(ratio_cpu <= RATIO_TARGET)} CPU, "
                f"{verdict(growth < MEMORY_TARGET_MB)} memory")
            log(f"| {res['engine']} | {variant} | {wall[variant]:.1f} | {cpu[variant]:.1f} | {ratio_wall:.2f}× | "
                f"{ratio_cpu:.2f}× | {peak:.1f} | {growth:.1f} | {rows[0]['bytes'] / 2**20:.1f} | {mark} |")
        if res["traced"]:
            log(f"| {res['engine']} | styled, tracemalloc | – | – | – | – | – | Python heap peak "
                f"{res['traced']['traced_peak_mb']:.1f} | – | |")
    if sync:
        med = statistics.median(sync)
        log(f"\nGET /ledger/export.xlsx, {args.sync_rows:,} rows (problems and their events), in the request: "
            f"median {med:.2f} s of {len(sync)} — target about {SYNC_TARGET_S:.0f} s: {verdict(med <= SYNC_TARGET_S)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--problems", type=int, default=100_000)
    parser.add_argument("--events-per-problem", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sync-rows", type=int, default=10_000,
                        help="rows of the request-path export (EXPORT_SYNC_MAX_ROWS); 0 leaves it out")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="once more under tracemalloc: the Python heap's peak (slow)")
    parser.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return 0

    tmp = Path(tempfile.mkdtemp(prefix="survey-export-bench-"))
    os.environ["INSTANCE_PATH"] = str(tmp / "instance")
    os.environ.setdefault("SECRET_KEY", secrets.token_hex(16))
    os.environ.pop("DATABASE_URL", None)
    started = time.perf_counter()
    results, sync = [], []
    try:
        for engine in (("sqlite", "postgresql") if args.engine == "both" else (args.engine,)):
            try:
                results.append(measure_engine(engine, tmp, args))
            finally:
                if engine == "postgresql":
                    ledger_scale.pg_admin(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
        if args.sync_rows:
            sync = measure_sync(tmp, args)
        report(results, sync, args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log(f"\nTotal run time {time.perf_counter() - started:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
