"""What each role sees first."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select

from survey.clock import today, utcnow
from survey.extensions import db
from survey.models import SupervisionGroup, Unit, User
from survey.filling.queries import pending_self_checks, rounds_for
from survey.home.work import admin_todo, inspector_work
from survey.ledger.queries import todo_count
from survey.dashboard.queries import make_scope, status_figures


def home_context(user: User) -> dict:
    todo = todo_count(user, today())
    if user.is_admin:
        stats = admin_stats()
        return {"stats": stats, "rounds": rounds_for(user)[:5], "todo": todo,
                "pending": admin_todo(user, today(), stats["units_without_group"])}
    if user.is_inspector:
        return {"groups": user.groups, "rounds": rounds_for(user), "todo": todo,
                "work": inspector_work(user, today())}
    return {"unit": user.unit, "self_checks": pending_self_checks(user), "todo": todo, "figures": unit_figures(user)}


def unit_figures(user: User):
    """A liaison's own unit, every round: status split, 整改率, 逾期/临期 with the lists."""
    return status_figures(make_scope(user, None), today(),
                          int(current_app.config.get("NEAR_DEADLINE_DAYS", 7)))


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
