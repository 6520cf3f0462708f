"""The job queue (issue 14): a real `flask worker` (2 threads) on a temp SQLite database, N durable
tasks submitted at once, time until all are done, on each queue storage (the SQLite file, Redis db 2).
Prints tasks/s and the Redis/SQLite ratio of the same run. A measurement, not a test.

    .venv/bin/python bench/queue_latency.py [--tasks 200]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TMP = Path(tempfile.mkdtemp(prefix="bench-queue-"))
os.environ["INSTANCE_PATH"] = str(TMP / "instance")
os.environ.setdefault("SECRET_KEY", "bench")
os.environ["DATABASE_URL"] = f"sqlite:///{TMP / 'bench.db'}"
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from survey import create_app, jobs  # noqa: E402
from survey.database import writing  # noqa: E402
from survey.extensions import db  # noqa: E402
from survey.models import JobRun  # noqa: E402
from tests import queue_tasks  # noqa: E402
from tests.queue_worker import REDIS_QUEUE, Worker  # noqa: E402


def one(url: str, n: int, app) -> float:
    jobs.use_storage(url)
    jobs.huey.flush()
    worker = Worker(os.environ["DATABASE_URL"], url, TMP / "worker.log").start()
    try:
        with app.app_context():
            db.session.execute(JobRun.__table__.delete())
            db.session.commit()
            started = time.perf_counter()
            with writing():
                for i in range(n):
                    jobs.submit(queue_tasks.record, f"bench:{url}:{i}", "bench")
                db.session.commit()
            while True:
                done = db.session.scalar(select(func.count()).select_from(JobRun).where(JobRun.status == "done"))
                db.session.rollback()
                if done >= n:
                    return time.perf_counter() - started
                time.sleep(0.05)
    finally:
        worker.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=200)
    args = parser.parse_args()
    app = create_app()
    with app.app_context():
        upgrade()
    results = {}
    for name, url in (("sqlite", f"sqlite:///{TMP / 'instance' / 'queue.db'}"), ("redis", REDIS_QUEUE)):
        seconds = one(url, args.tasks, app)
        results[name] = seconds
        print(f"{name:6} {args.tasks} durable tasks (one audit row each): {seconds:6.2f} s, "
              f"{args.tasks / seconds:6.1f} tasks/s")
    print(f"redis/sqlite time ratio: {results['redis'] / results['sqlite']:.2f}")


if __name__ == "__main__":
    main()
