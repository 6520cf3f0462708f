"""Work that happens exactly once, even when a worker is killed half way (issue 14).

- once(key): True the first time; it records the key in job_runs inside the caller's transaction,
  so the mark and the work it guards commit together or not at all. A re-run (a retried task, a
  second scan) finds the mark and does nothing. Use one key per message, e.g.
  f"reminder:{problem_id}:{step_id}".
- durable_task(name) + submit(task, key, *args): a one-off task recorded in job_runs with the
  caller's transaction and put on the queue when it commits. One worker claims it (queued →
  running, claimed_by host:pid), the work and the "done" mark share the last transaction.
  recover() — at worker start-up and every minute — hands out again what a dead process of this
  host held (kill -9), what has run longer than JOB_LEASE_MINUTES anywhere, and what was never
  picked up (a message lost with the queue). A failure is retried after JOB_RETRY_SECONDS (10), 20, 40, 80 s: MAX_ATTEMPTS in all.
The claim makes a second delivery harmless: it finds the row running or done and returns."""
from __future__ import annotations

import logging
from contextlib import nullcontext
from contextvars import ContextVar
from datetime import timedelta

from flask import current_app
from sqlalchemy import event, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from survey.clock import utcnow
from survey.database import writing
from survey.extensions import db
from survey.jobs.queue import current_owner, owner_is_dead, task
from survey.models import JobRun, JobStatus

log = logging.getLogger("survey.jobs")
MAX_ATTEMPTS = 5
LOST_AFTER_S = 60           # queued this long without a claim: the message is sent again
ONCE = "once"               # job_runs.task of a completion mark
TO_ENQUEUE = "jobs_to_enqueue"  # session.info: (task name, key, delay) sent when the transaction commits
QUEUED, RUNNING, DONE, FAILED = (s.value for s in JobStatus)

_tasks: dict = {}           # name -> the Huey task of a durable task
_attempt: ContextVar[int] = ContextVar("job_attempt", default=0)


def once(key: str) -> bool:
    """True (and the key recorded in this transaction) the first time; False when the key was done.
    Call it inside the write transaction of the work it guards, before the work; the caller commits.
    Two workers at once: the second waits on the unique key and gets False when the first commits."""
    if db.session.scalar(select(JobRun.id).where(JobRun.key == key)) is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(JobRun(key=key, task=ONCE, status=DONE, attempts=1, finished_at=utcnow()))
    except IntegrityError:
        return False
    return True


def attempt() -> int:
    """Inside a durable task: 1 on its first run, 2 after a worker died or it failed once, …"""
    return _attempt.get()


def durable_task(name: str, writes: bool = True):
    """@durable_task("feature.what") def work(*args): … — run by submit(work, key, *args). The work
    writes through db.session and flushes; the wrapper marks the key done and commits once, in one
    write transaction. writes=False: the work ends its own transactions (a long read that must not
    hold SQLite's write lock, as the export's) and the done mark follows in a transaction of its own."""
    def decorator(fn):
        @task(name)
        def run(key: str):
            _run(key, fn, writes)
        run.work = fn
        _tasks[name] = run
        return run
    return decorator


def submit(durable, key: str, *args, delay: float = 0) -> bool:
    """Record a durable task under its dedupe key in the current transaction (flush only; the caller
    commits); it is enqueued when that transaction commits. False when the key exists already."""
    if _tasks.get(durable.name) is not durable:
        raise ValueError(f"{durable.name} is not a durable task (declare it with @durable_task)")
    if db.session.scalar(select(JobRun.id).where(JobRun.key == key)) is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(JobRun(key=key, task=durable.name, args=list(args), status=QUEUED,
                                  enqueued_at=utcnow() + timedelta(seconds=delay)))
    except IntegrityError:
        return False
    db.session.info.setdefault(TO_ENQUEUE, []).append((durable.name, key, delay))
    return True


@event.listens_for(Session, "after_commit")
def _send_after_commit(session) -> None:
    for name, key, delay in session.info.pop(TO_ENQUEUE, ()):
        _send(name, key, delay)


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session) -> None:
    session.info.pop(TO_ENQUEUE, None)


def _send(name: str, key: str, delay: float = 0) -> None:
    wrapper = _tasks.get(name)
    if wrapper is None:
        log.error("durable task %s is not registered; %s waits for a worker that knows it", name, key)
        return
    try:
        if delay:
            wrapper.schedule(args=(key,), delay=delay)
        else:
            wrapper(key)
    except Exception:  # noqa: BLE001 — the queue is down: recover() sends it again once it is back
        log.exception("could not enqueue %s %s", name, key)


def _claim(key: str) -> JobRun | None:
    with writing(), db.engine.begin() as conn:
        claimed = conn.execute(update(JobRun).where(JobRun.key == key, JobRun.status == QUEUED).values(
            status=RUNNING, claimed_by=current_owner(), started_at=utcnow(), attempts=JobRun.attempts + 1))
        if claimed.rowcount != 1:
            return None
    row = db.session.scalar(select(JobRun).where(JobRun.key == key))
    db.session.expunge(row)
    db.session.rollback()
    return row


def _run(key: str, fn, writes: bool) -> None:
    row = _claim(key)
    if row is None:
        log.info("%s: already claimed or done", key)
        return
    token = _attempt.set(row.attempts)
    try:
        with writing() if writes else nullcontext():
            fn(*row.args)
        if not writes:
            db.session.rollback()
        with writing():
            db.session.execute(update(JobRun).where(JobRun.key == key, JobRun.claimed_by == row.claimed_by)
                               .values(status=DONE, finished_at=utcnow(), error=""))
            db.session.commit()
    except Exception as exc:  # noqa: BLE001 — recorded on the row and retried with backoff
        db.session.rollback()
        log.exception("%s failed (attempt %s)", key, row.attempts)
        again = row.attempts < MAX_ATTEMPTS
        delay = int(current_app.config.get("JOB_RETRY_SECONDS", 10)) * 2 ** (row.attempts - 1)
        with writing(), db.engine.begin() as conn:
            conn.execute(update(JobRun).where(JobRun.key == key, JobRun.status == RUNNING).values(
                status=QUEUED if again else FAILED, claimed_by="", error=repr(exc)[:2000],
                enqueued_at=utcnow() + timedelta(seconds=delay), finished_at=None if again else utcnow()))
        if again:
            _send(row.task, key, delay)
    finally:
        _attempt.reset(token)


def recover(now=None) -> int:
    """Hand out again what no live worker holds (see the module's text). Flush only; the caller
    commits, and the messages go when it does. Returns how many were sent again."""
    now = now or utcnow()
    lease = timedelta(minutes=int(current_app.config.get("JOB_LEASE_MINUTES", 30)))
    sent = 0
    rows = db.session.scalars(select(JobRun).where(JobRun.task != ONCE, JobRun.status.in_((QUEUED, RUNNING)))).all()
    for row in rows:
        if row.status == RUNNING:
            if not (owner_is_dead(row.claimed_by) or (row.started_at and now - row.started_at > lease)):
                continue
            failed = row.attempts >= MAX_ATTEMPTS
            changed = db.session.execute(update(JobRun).where(
                JobRun.id == row.id, JobRun.status == RUNNING, JobRun.claimed_by == row.claimed_by).values(
                status=FAILED if failed else QUEUED, claimed_by="", enqueued_at=now,
                error=f"worker {row.claimed_by} stopped mid-task", finished_at=now if failed else None)
                .execution_options(synchronize_session=False)).rowcount
            if changed and not failed:
                log.warning("%s: its worker %s is gone; sent again", row.key, row.claimed_by)
                db.session.info.setdefault(TO_ENQUEUE, []).append((row.task, row.key, 0))
                sent += 1
        elif row.enqueued_at and now - row.enqueued_at > timedelta(seconds=LOST_AFTER_S):
            changed = db.session.execute(update(JobRun).where(JobRun.id == row.id, JobRun.status == QUEUED)
                                         .values(enqueued_at=now).execution_options(synchronize_session=False))
            if changed.rowcount:
                db.session.info.setdefault(TO_ENQUEUE, []).append((row.task, row.key, 0))
                sent += 1
    return sent
