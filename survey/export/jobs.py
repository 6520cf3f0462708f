"""Large exports in the background, on the job queue (survey/jobs). The request records an ExportJob
and, in the same transaction, a durable task keyed "export:<id>" that the queue delivers to a worker
once it commits; no thread is started in the web process. The worker claims the job
(UPDATE … WHERE status='queued': one claimant, however often the task is delivered), resolves the filter and the rights for the job's user as they are now, writes
the file under "exports/<random name>" in the storage (survey/storage), and reports progress every
PROGRESS_EVERY rows on its own short transactions (the export itself reads on another). Only the
job's owner may see or download it."""
from __future__ import annotations

import re
import time
import uuid
from datetime import datetime

from flask import Flask, abort, current_app
from sqlalchemy import update
from werkzeug.datastructures import MultiDict

from survey.clock import utcnow
from survey.database import writing
from survey import jobs as queue
from survey.export import ledger, operations
from survey.extensions import db
from survey.ledger.queries import LedgerFilter
from survey.models import ExportJob, JobStatus, User
from survey.storage import get_storage, key_for

STORED_NAME = re.compile(r"^[0-9a-f]{32}\.xlsx$")
KEEP_DAYS = 7


class JobRefused(Exception):
    """The job cannot run for its user any more (the account was disabled)."""


def queue_job(actor: User, kind: str, params: dict, file_name: str, now: datetime) -> ExportJob:
    """operations.queue_job, and its task on the queue when the caller commits (flush only)."""
    job = operations.queue_job(actor, kind, params, file_name, now)
    queue.submit(export_task, f"export:{job.id}", job.id)
    return job


@queue.durable_task("export.ledger", writes=False)
def export_task(job_id: int) -> None:
    """On the worker. A second attempt means the first one's worker died half way (kill -9): the job
    it left running is queued again and redone (the job_runs claim says no one else holds it)."""
    if queue.attempt() > 1:
        with writing(), db.engine.begin() as conn:
            conn.execute(update(ExportJob).where(ExportJob.id == job_id, ExportJob.status == JobStatus.RUNNING.value)
                         .values(status=JobStatus.QUEUED.value, progress=0))
    run(current_app._get_current_object(), job_id)


def run(app: Flask, job_id: int) -> None:
    """The job's body: its own app context and database session."""
    with app.app_context():
        try:
            if _claim(job_id):
                _work(job_id)
        except JobRefused as exc:
            _finish(job_id, JobStatus.FAILED, error=str(exc))
        except Exception:  # noqa: BLE001 — recorded on the job; the details go to the log
            app.logger.exception("export job %s failed", job_id)
            _finish(job_id, JobStatus.FAILED, error="导出失败，请稍后重试；如仍失败请联系管理员")
        finally:
            db.session.remove()


def _work(job_id: int) -> None:
    job = db.session.get(ExportJob, job_id)
    user = db.session.get(User, job.user_id)
    if user is None or user.is_disabled:
        raise JobRefused("账号已停用，导出未执行")
    args = MultiDict({k: str(v) for k, v in (job.params.get("filters") or {}).items()})
    spec = ledger.LedgerSpec.current(user, LedgerFilter.from_args(args))
    total = ledger.count_rows(spec)
    _set(job_id, total=total)
    stored = f"{uuid.uuid4().hex}.xlsx"
    with get_storage().writer(key_for("exports", stored)) as out:  # published whole, or not at all
        ledger.write_ledger(out, spec, progress=lambda n: _set(job_id, progress=min(n, total)))
    db.session.rollback()  # the export's read transaction ends before the job is marked done
    _finish(job_id, JobStatus.DONE, progress=total, stored_name=stored)


def _claim(job_id: int) -> bool:
    with writing(), db.engine.begin() as conn:
        claimed = conn.execute(update(ExportJob).where(
            ExportJob.id == job_id, ExportJob.status == JobStatus.QUEUED.value)
            .values(status=JobStatus.RUNNING.value, started_at=utcnow()))
        return claimed.rowcount == 1


def _set(job_id: int, **values) -> None:
    """Progress on its own connection and transaction: the export's cursor stays open meanwhile."""
    with writing(), db.engine.begin() as conn:
        conn.execute(update(ExportJob).where(ExportJob.id == job_id).values(**values))


def _finish(job_id: int, status: JobStatus, **values) -> None:
    _set(job_id, status=status.value, finished_at=utcnow(), **values)


def get_job_or_404(user: User, job_id: int) -> ExportJob:
    """Only the owner's jobs exist for a user (404 otherwise, administrators included)."""
    job = db.session.get(ExportJob, job_id)
    if job is None or job.user_id != user.id:
        abort(404)
    return job


def file_key(job: ExportJob) -> str | None:
    """The storage key of the finished file, or None (not done yet, or removed after KEEP_DAYS)."""
    if job.status != JobStatus.DONE.value or not STORED_NAME.match(job.stored_name or ""):
        return None
    key = key_for("exports", job.stored_name)
    return key if get_storage().exists(key) else None


def remove_old_files(now: float | None = None) -> int:
    """Files older than KEEP_DAYS are deleted; their jobs then say the file has expired. Writes
    abandoned that long ago (a worker killed mid-export) go too."""
    now = now or time.time()
    limit = now - KEEP_DAYS * 86400
    store = get_storage()
    removed = sum(store.delete(entry.key) for entry in list(store.list("exports/")) if entry.modified < limit)
    return removed + store.discard_partial(KEEP_DAYS * 86400, now)
