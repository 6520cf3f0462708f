"""Checking and pruning the audit hash chain (see survey/audit.py for how rows are chained).

verify_chain() walks the rows in id order. Each row's row_hash must be sha256(prev_hash +
canonical fields) and its prev_hash the row_hash of the row before. The oldest row is the anchor:
its prev_hash is "" when the chain starts there, or, after prune_chain() removed older rows, the
anchor hash an audit_prune row (itself inside the chain) recorded. An oldest row with any other
prev_hash means rows were removed from the start behind the application's back. Removing the
newest rows cannot be seen from the chain alone: verify-audit prints the head hash, and every
backup's manifest keeps it, to compare against later.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from survey import audit
from survey.clock import utcnow
from survey.models import AuditLog

BATCH = 5000
MIN_RETENTION_DAYS = 190  # 等保 2.0: audit records kept at least six months
COLUMNS = [AuditLog.__table__.c[name] for name in ("id", "prev_hash", "row_hash", *audit.HASHED_FIELDS)]


@dataclass
class ChainReport:
    rows: int = 0
    legacy: int = 0             # rows written before the chain existed (no hash), oldest first
    head: str = ""              # row_hash of the newest row
    broken_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def _rows(session: Session):
    last = 0
    while True:
        batch = session.execute(select(*COLUMNS).where(AuditLog.id > last).order_by(AuditLog.id).limit(BATCH)).all()
        if not batch:
            return
        yield from batch
        last = batch[-1].id


def _anchors(session: Session) -> set[str]:
    details = session.scalars(select(AuditLog.details).where(AuditLog.event == "audit_prune"))
    return {d.get("anchor", "") for d in details if isinstance(d, dict)}


def verify_chain(session: Session) -> ChainReport:
    report = ChainReport()
    prev: str | None = None
    for row in _rows(session):
        report.rows += 1
        if not row.row_hash:
            if prev is None:
                report.legacy += 1
                continue
            return _broken(report, row.id, "该行没有哈希值（被直接插入或清空）")
        if prev is None and row.prev_hash and row.prev_hash not in _anchors(session):
            return _broken(report, row.id, "最早的行不是链的起点，也不是清理记录的锚点：较早的行被删除")
        if prev is not None and row.prev_hash != prev:
            return _broken(report, row.id, "prev_hash 与上一行的 row_hash 不符：上一行被删除或改动")
        if audit.row_digest(row.prev_hash, row) != row.row_hash:
            return _broken(report, row.id, "该行内容与其哈希不符：该行被改动")
        prev = report.head = row.row_hash
    return report


def _broken(report: ChainReport, row_id: int, reason: str) -> ChainReport:
    report.broken_id, report.reason = row_id, reason
    return report


def retention_cutoff(days: int, now: datetime | None = None) -> datetime:
    if days < MIN_RETENTION_DAYS:
        raise ValueError(f"审计日志至少保留 {MIN_RETENTION_DAYS} 天")
    return (now or utcnow()) - timedelta(days=days)


def prune_chain(session: Session, days: int) -> int:
    """Delete the rows older than `days` (only a run from the start, so the chain stays whole)
    and append an audit_prune row that records the new anchor. The caller commits."""
    cutoff = retention_cutoff(days)
    audit.lock_chain(session)
    boundary = session.scalar(select(func.min(AuditLog.id)).where(AuditLog.created_at >= cutoff))
    if boundary is None:
        boundary = (session.scalar(select(func.max(AuditLog.id))) or 0) + 1
    doomed = select(AuditLog.id).where(AuditLog.id < boundary, AuditLog.created_at < cutoff)
    count = session.scalar(select(func.count()).select_from(doomed.subquery())) or 0
    if not count:
        return 0
    last_doomed = session.scalar(select(func.max(AuditLog.id)).where(AuditLog.id < boundary))
    anchor = session.scalar(select(AuditLog.row_hash).where(AuditLog.id == last_doomed)) or ""
    session.execute(delete(AuditLog).where(AuditLog.id <= last_doomed).execution_options(synchronize_session=False))
    audit.record("audit_prune", actor_username="cli", session=session,
                 details={"deleted": count, "before": cutoff.isoformat(), "anchor": anchor,
                          "first_kept_id": boundary})
    return count
