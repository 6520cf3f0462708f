"""Tasks only the tests run (the test worker loads them through SURVEY_TASK_MODULES)."""
from __future__ import annotations

import os
import time
from pathlib import Path

from survey import audit, jobs
from survey.database import writing
from survey.extensions import db


@jobs.durable_task("tests.halfway")
def halfway(marker_dir: str, label: str) -> None:
    """Writes its mark and an audit row, says it got half way, and waits for the test's "go" file
    (the test kills the worker while it waits, its transaction open)."""
    assert jobs.once(f"halfway-mark:{label}")
    audit.record("queue_test", actor_username="worker", details={"label": label, "attempt": jobs.attempt()})
    db.session.flush()
    Path(marker_dir, f"started-{os.getpid()}-{jobs.attempt()}").touch()
    while not Path(marker_dir, "go").exists():
        time.sleep(0.05)


@jobs.durable_task("tests.fails_once")
def fails_once(label: str) -> None:
    audit.record("queue_test", actor_username="worker", details={"label": label, "attempt": jobs.attempt()})
    if jobs.attempt() == 1:
        raise RuntimeError("the first attempt fails")


@jobs.task("tests.mark_once")
def mark_once(key: str) -> bool:
    """A plain task that does its action once per key, however often it is enqueued."""
    with writing():
        fresh = jobs.once(key)
        if fresh:
            audit.record("queue_test", actor_username="worker", details={"label": key})
        db.session.commit()
    return fresh


@jobs.durable_task("tests.record")
def record(label: str) -> None:
    """One audit row: the smallest durable work (bench/queue_latency.py)."""
    audit.record("queue_test", actor_username="worker", details={"label": label})
