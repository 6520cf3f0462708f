"""What each role sees first."""
from __future__ import annotations

from sqlalchemy import func, select

from survey.clock import utcnow
from survey.extensions import db
from survey.models import SupervisionGroup, Unit, User


def home_context(user: User) -> dict:
    if user.is_admin:
        return {"stats": admin_stats()}
    if user.is_inspector:
        return {"groups": user.groups}
    return {"unit": user.unit}


def admin_stats() -> dict:
    now = utcnow()
    return {
        "units": db.session.scalar(select(func.count(Unit.id)).where(Unit.is_disabled.is_(False))),
        "units_without_group": db.session.scalar(
            select(func.count(Unit.id)).where(Unit.group_id.is_(None), Unit.is_disabled.is_(False))),
        "groups": db.session.scalar(select(func.count(SupervisionGroup.id))),
        "users": db.session.scalar(select(func.count(User.id)).where(User.is_disabled.is_(False))),
        "locked": db.session.scalar(select(func.count(User.id)).where(User.locked_until > now)),
    }
