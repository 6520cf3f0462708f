"""Reads for the administration pages."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from survey.extensions import db
from survey.queries import get_or_404  # noqa: F401  (re-exported for the views)
from survey.models import AuditLog, Role, SupervisionGroup, Unit, User
from survey.clock import CHINA

PAGE_SIZE = 50



def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def query_units(q: str = "", category: str = "") -> list[Unit]:
    stmt = select(Unit).options(selectinload(Unit.group), selectinload(Unit.liaisons)).order_by(Unit.id)
    if q:
        stmt = stmt.where(or_(Unit.name.like(_like(q), escape="\\"),
                              Unit.contact_name.like(_like(q), escape="\\")))
    if category:
        stmt = stmt.where(Unit.category == category)
    return list(db.session.scalars(stmt))


def query_groups() -> list[SupervisionGroup]:
    stmt = select(SupervisionGroup).options(
        selectinload(SupervisionGroup.members), selectinload(SupervisionGroup.units)
    ).order_by(SupervisionGroup.id)
    return list(db.session.scalars(stmt))


def query_users(q: str = "", role: str = "") -> list[User]:
    stmt = select(User).options(selectinload(User.unit), selectinload(User.groups)).order_by(
        User.role, User.username)
    if q:
        stmt = stmt.where(or_(User.username.like(_like(q), escape="\\"),
                              User.display_name.like(_like(q), escape="\\")))
    if role in {r.value for r in Role}:
        stmt = stmt.where(User.role == role)
    return list(db.session.scalars(stmt))


def inspectors() -> list[User]:
    return list(db.session.scalars(
        select(User).where(User.role == Role.INSPECTOR.value, User.is_disabled.is_(False))
        .order_by(User.username)))


def all_units() -> list[Unit]:
    return list(db.session.scalars(select(Unit).options(selectinload(Unit.group)).order_by(Unit.id)))


def all_groups() -> list[SupervisionGroup]:
    return list(db.session.scalars(select(SupervisionGroup).order_by(SupervisionGroup.id)))


def _audit_filters(stmt: Select, filters: dict) -> Select:
    if filters.get("event"):
        stmt = stmt.where(AuditLog.event == filters["event"])
    if filters.get("user"):
        stmt = stmt.where(AuditLog.actor_username.like(_like(filters["user"]), escape="\\"))
    if filters.get("success") in ("0", "1"):
        stmt = stmt.where(AuditLog.success.is_(filters["success"] == "1"))
    if isinstance(filters.get("date_from"), date):
        start = datetime.combine(filters["date_from"], time.min, CHINA)
        stmt = stmt.where(AuditLog.created_at >= start)
    if isinstance(filters.get("date_to"), date):
        end = datetime.combine(filters["date_to"] + timedelta(days=1), time.min, CHINA)
        stmt = stmt.where(AuditLog.created_at < end)
    return stmt


def query_audit(filters: dict, page: int) -> tuple[list[AuditLog], int]:
    base = _audit_filters(select(AuditLog), filters)
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = db.session.scalars(
        base.order_by(AuditLog.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    return list(rows), total
