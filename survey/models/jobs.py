"""Background jobs (large exports), recorded in the database so every worker sees them."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.clock import utcnow
from survey.models.base import Base, UTCDateTime
from survey.models.user import User


class JobStatus(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


JOB_STATUS_LABELS = {"queued": "排队中", "running": "生成中", "done": "已完成", "failed": "失败"}


class ExportJob(Base):
    """One export asked for by one user: its parameters, progress and, when done, the file."""

    __tablename__ = "export_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))          # e.g. "ledger", "answers"
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED.value, index=True)
    progress: Mapped[int] = mapped_column(default=0)       # rows written so far
    total: Mapped[int] = mapped_column(default=0)          # rows to write
    file_name: Mapped[str] = mapped_column(String(255), default="")   # the download's name
    stored_name: Mapped[str] = mapped_column(String(64), default="")  # the file under the export dir
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @property
    def status_label(self) -> str:
        return JOB_STATUS_LABELS.get(self.status, self.status)


class JobRun(Base):
    """A unit of queued work by its dedupe key (survey/jobs). Two uses:
    - a durable task (jobs.submit): the row is written with the caller's transaction, claimed by one
      worker (pending → running, claimed_by host:pid) and marked done in the work's own transaction;
      a worker killed half way leaves it running under a dead pid, and recovery hands it out again;
    - a completion mark (jobs.once(key)): written done in the transaction of the work it guards, so
      a re-run finds it and does nothing."""

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    task: Mapped[str] = mapped_column(String(100), default="")
    args: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED.value, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_by: Mapped[str] = mapped_column(String(120), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    enqueued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
