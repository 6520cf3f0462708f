"""Exports on record: one audit row per export, and large ones queued as background jobs.
Flush only; the caller commits."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update

from survey import audit
from survey.errors import Conflict
from survey.extensions import db
from survey.models import ExportJob, JobStatus, User

ACTIVE = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)
MAX_ACTIVE_PER_USER = 2
INTERRUPTED = "导出中断（服务重启或超时），请重新导出"


def record_export(actor: User | None, kind: str, details: dict) -> None:
    audit.record("export", actor=actor, actor_username=None if actor is not None else "cli",
                 details={"kind": kind, **details})


def queue_job(actor: User, kind: str, params: dict, file_name: str, now: datetime) -> ExportJob:
    """A job for this export; the user's same export already queued or running is reused, not doubled,
    and a user has at most MAX_ACTIVE_PER_USER at a time (each is a thread writing a large file)."""
    fail_stale_jobs(now)
    active = list(db.session.scalars(select(ExportJob).where(
        ExportJob.user_id == actor.id, ExportJob.status.in_(ACTIVE))))
    for job in active:
        if job.kind == kind and job.params == params:
            return job
    if len(active) >= MAX_ACTIVE_PER_USER:
        raise Conflict(f"您已有 {len(active)} 个导出正在生成，请等其完成后再导出")
    job = ExportJob(user_id=actor.id, kind=kind, params=params, file_name=file_name)
    db.session.add(job)
    db.session.flush()
    record_export(actor, kind, {"job": job.id, **params})
    return job


def stale_after() -> timedelta:
    return timedelta(minutes=int(current_app.config.get("EXPORT_JOB_STALE_MINUTES", 30)))


def is_stale(job: ExportJob, now: datetime) -> bool:
    """Queued or running for longer than any export takes: its worker is gone (restarted, killed)."""
    since = job.started_at if job.status == JobStatus.RUNNING.value else job.created_at
    return job.status in ACTIVE and since is not None and now - since > stale_after()


def fail_stale_jobs(now: datetime) -> int:
    limit = now - stale_after()
    result = db.session.execute(
        update(ExportJob).where(or_(
            and_(ExportJob.status == JobStatus.RUNNING.value, ExportJob.started_at < limit),
            and_(ExportJob.status == JobStatus.QUEUED.value, ExportJob.created_at < limit)))
        .values(status=JobStatus.FAILED.value, error=INTERRUPTED, finished_at=now)
        .execution_options(synchronize_session=False))
    return result.rowcount
