"""The job queue for real (issue 14): `flask worker` in a subprocess on the test database, with the
queue in the SQLite file and in Redis db 2; a worker killed with -9 half way through a task, and the
task done exactly once after the restart; periodic tasks under their locks."""
from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta

import pytest
from huey.constants import EmptyData
from sqlalchemy import select

from survey import jobs, worker as worker_tasks
from survey.database import writing
from survey.jobs import queue as jobs_queue
from survey.models import AuditLog, JobRun
from tests import queue_tasks
from tests.conftest import database_url
from tests.queue_worker import Worker, point_queue_at, redis_queue, sqlite_queue


@pytest.fixture(params=["sqlite", "redis"])
def queue(request, app):
    url = sqlite_queue() if request.param == "sqlite" else redis_queue()
    point_queue_at(url)
    yield url
    jobs.huey.flush()
    point_queue_at(sqlite_queue())


@pytest.fixture()
def start_worker(queue, tmp_path):
    started = []

    def _start(*args: str) -> Worker:
        w = Worker(database_url(), queue, tmp_path / "worker.log", *args).start()
        started.append(w)
        return w

    yield _start
    for w in started:
        w.stop()


def wait_until(predicate, db, timeout: float = 60, what: str = ""):
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()
        value = predicate()
        if value or time.monotonic() > deadline:
            assert value, f"timed out waiting for {what}"
            return value
        time.sleep(0.05)


def run_row(db, key: str) -> JobRun | None:
    return db.session.scalar(select(JobRun).where(JobRun.key == key))


def queue_records(db, label: str) -> list[dict]:
    rows = db.session.scalars(select(AuditLog).where(AuditLog.event == "queue_test")).all()
    return [r.details for r in rows if r.details.get("label") == label]




def test_a_task_killed_half_way_runs_again_and_its_work_is_done_once(app, db, start_worker, tmp_path):
    first = start_worker()
    with writing():
        assert jobs.submit(queue_tasks.halfway, "t:kill", str(tmp_path), "kill")
        db.session.commit()
    wait_until(lambda: (tmp_path / f"started-{first.pid}-1").exists(), db, what="the task to get half way")
    row = run_row(db, "t:kill")
    assert (row.status, row.attempts) == ("running", 1) and row.claimed_by.endswith(f":{first.pid}")
    first.kill()                                     # kill -9 with its transaction open
    db.session.rollback()
    assert run_row(db, "halfway-mark:kill") is None  # its half-done work went with it
    (tmp_path / "go").touch()
    second = start_worker()                          # start-up finds the dead worker's task
    done = wait_until(lambda: (r := run_row(db, "t:kill")) is not None and r.status == "done" and r, db,
                      what="the task to finish after the restart")
    assert done.attempts == 2 and done.claimed_by.endswith(f":{second.pid}")
    assert [d["attempt"] for d in queue_records(db, "kill")] == [2]
    assert len(db.session.scalars(select(JobRun).where(JobRun.key.like("halfway-mark:%"))).all()) == 1
    assert (tmp_path / f"started-{second.pid}-2").exists()
    assert "sent again 1 task" in second.text()
    # the same key again, and the same message delivered twice more: nothing is done again
    with writing():
        assert not jobs.submit(queue_tasks.halfway, "t:kill", str(tmp_path), "kill")
        db.session.commit()
    queue_tasks.halfway("t:kill")
    queue_tasks.halfway("t:kill")
    wait_until(lambda: jobs.huey.pending_count() == 0, db, what="the queue to drain")
    time.sleep(0.5)
    db.session.rollback()
    assert [d["attempt"] for d in queue_records(db, "kill")] == [2] and run_row(db, "t:kill").attempts == 2


def test_a_failing_task_is_retried_and_recorded(app, db, start_worker):
    start_worker()
    with writing():
        jobs.submit(queue_tasks.fails_once, "t:retry", "retry")
        db.session.commit()
    done = wait_until(lambda: (r := run_row(db, "t:retry")) is not None and r.status == "done" and r, db,
                      what="the retry")
    assert done.attempts == 2 and done.error == ""
    assert [d["attempt"] for d in queue_records(db, "retry")] == [2]   # the failed attempt left nothing


def test_once_per_key_however_often_the_task_is_enqueued(app, db, start_worker):
    start_worker()
    results = [queue_tasks.mark_once("msg:1") for _ in range(5)] + [queue_tasks.mark_once("msg:2")]
    values = [r.get(blocking=True, timeout=60) for r in results]
    assert sorted(values) == [False] * 4 + [True] * 2
    assert len(queue_records(db, "msg:1")) == 1 and len(queue_records(db, "msg:2")) == 1


def test_a_lost_message_is_sent_again(app, db, queue, frozen_clock):
    """A row queued long ago whose message never reached a worker (the queue was flushed)."""
    with writing():
        jobs.submit(queue_tasks.fails_once, "t:lost", "lost")
        with pytest.raises(ValueError, match="not a durable task"):
            jobs.submit(queue_tasks.mark_once, "t:plain", "x")
        db.session.commit()
    jobs.huey.flush()
    frozen_clock.advance(timedelta(minutes=5))
    with writing():
        assert jobs.recover() == 1
        db.session.commit()
    assert jobs.huey.pending_count() == 1


def test_once_commits_with_the_work_or_not_at_all(db):
    with writing():
        assert jobs.once("k:1") and not jobs.once("k:1")
        db.session.rollback()
        assert jobs.once("k:1")
        db.session.commit()
        assert not jobs.once("k:1")


def test_periodic_tasks_take_their_lock_and_run_once_per_slot(app, db, queue):
    run = worker_tasks.sweep_orphans.func        # the periodic wrapper, as a worker calls it
    slot = "survey.last-slot.sweep_orphans"
    lock = jobs.huey.lock_task("sweep_orphans")
    lock.acquire()                               # another worker runs it now
    assert run() is None and jobs.huey.storage.peek_data(slot) is EmptyData
    lock.clear()
    assert isinstance(run(), int)                # it runs (and takes this minute's slot)
    assert run() is None                         # a second copy of the same tick: skipped
    assert jobs.huey.storage.peek_data(slot) is not EmptyData and not jobs.huey.is_locked("sweep_orphans")


def test_the_lock_of_a_worker_that_died_is_released_at_start_up(app, queue):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    jobs.huey.lock_task("prune_audit").acquire()
    jobs.huey.storage.put_data("survey.lock-owner.prune_audit", f"{jobs_queue.socket.gethostname()}:{dead.pid}".encode())
    jobs.huey.lock_task("sweep_orphans").acquire()
    jobs.huey.storage.put_data("survey.lock-owner.sweep_orphans", jobs_queue.current_owner().encode())
    assert jobs.release_dead_locks() == ["prune_audit"]
    assert not jobs.huey.is_locked("prune_audit") and jobs.huey.is_locked("sweep_orphans")


def test_the_schedule_holds_every_periodic_task():
    assert set(jobs_queue.PERIODIC) == set(jobs.SCHEDULE) >= {
        "recover_jobs", "reminder_scan", "deliver_pending", "sweep_orphans", "prune_audit",
        "fail_stale_exports", "remove_old_exports", "analyze_sqlite"}


def test_the_scan_and_delivery_wait_for_their_modules(app, db):
    """survey.reminders.scan and survey.notify.delivery come from other work: skipped until then."""
    for name, module in (("reminder_scan", "survey.reminders.scan"), ("deliver_pending", "survey.notify.delivery")):
        try:
            __import__(module)
        except ImportError:
            assert jobs.run_periodic_now(name) is None


def test_the_queue_storage_follows_the_settings(tmp_path):
    assert jobs.queue_url({"QUEUE_URL": "", "REDIS_URL": "", "INSTANCE_PATH": str(tmp_path)}) \
        == f"sqlite:///{tmp_path / 'queue.db'}"
    assert jobs.queue_url({"QUEUE_URL": "", "REDIS_URL": "redis://h:6379/0", "INSTANCE_PATH": "x"}) == "redis://h:6379/0"
    assert jobs.queue_url({"QUEUE_URL": "redis://q/3", "REDIS_URL": "redis://h/0", "INSTANCE_PATH": "x"}) == "redis://q/3"
    with pytest.raises(ValueError):
        jobs.use_storage("postgresql://nope")
