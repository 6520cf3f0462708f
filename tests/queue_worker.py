"""A real worker for the tests: `flask --app app worker` in a subprocess, on the test database and
on the queue storage the test names (the SQLite file under the test instance, or Redis db 2). It
runs no periodic tasks: the tests' rows carry a frozen clock's dates that the real clock would find
stale; a worker's start-up recovery (jobs.recover) runs as in production."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from survey import jobs

ROOT = Path(__file__).resolve().parents[1]
REDIS_QUEUE = "redis://127.0.0.1:6379/2"


def sqlite_queue() -> str:
    return f"sqlite:///{Path(os.environ['INSTANCE_PATH']) / 'queue.db'}"


def redis_queue() -> str:
    """Redis db 2, flushed of the queue's keys; a skip without Redis, a failure when CI=true."""
    import redis

    try:
        redis.Redis.from_url(REDIS_QUEUE).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is not reachable at {REDIS_QUEUE} (required when CI=true)")
        pytest.skip(f"Redis is not reachable at {REDIS_QUEUE}")
    return REDIS_QUEUE


class Worker:
    def __init__(self, database_url: str, queue_url: str, log: Path, *args: str):
        self.database_url, self.queue_url, self.log, self.args = database_url, queue_url, log, args
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> "Worker":
        env = {**os.environ, "DATABASE_URL": self.database_url, "QUEUE_URL": self.queue_url,
               "SURVEY_TASK_MODULES": "tests.queue_tasks", "PYTHONPATH": str(ROOT), "JOB_RETRY_SECONDS": "1"}
        env.pop("REDIS_URL", None)
        self.out = open(self.log, "ab")
        start = self.log.stat().st_size if self.log.exists() else 0
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "worker", "--workers", "2", "--max-delay", "0.2",
             "--no-scan-at-start", "--no-periodic", *self.args], cwd=ROOT, env=env, stdout=self.out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while b"consumer started" not in self.log.read_bytes()[start:].lower():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("the worker did not start:\n" + self.log.read_text(errors="replace")[-3000:])
            time.sleep(0.05)
        return self

    @property
    def pid(self) -> int:
        return self.proc.pid

    def kill(self) -> None:
        """kill -9: no clean-up of any kind."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> int:
        """Ctrl-C: Huey finishes what runs and exits."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(10)
        finally:
            self.out.close()

    def text(self) -> str:
        return self.log.read_text(errors="replace")


def point_queue_at(url: str) -> None:
    """This process enqueues where the worker reads (create_app of another test may have moved it)."""
    jobs.use_storage(url)
    jobs.huey.flush()
