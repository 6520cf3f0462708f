"""China dates for what was dated by the UTC clock: 问诊日期 and the 发现时间 of problems raised by a
self-check or a visit.

Until clock.today(), a new visit's default 问诊日期 and a self-check problem's 发现时间 were the UTC
date, so work done between 00:00 and 08:00 China time was dated the day before. A date is corrected
only where its event time shows it came from that clock:
- a visit whose facts.visit_date is the UTC date of its creation (submissions.created_at) while the
  China date of that moment is the next day: visit_date becomes the China date, and its problems
  whose found_on was that visit_date follow it;
- a problem raised by a self-check whose found_on is the UTC date of its 'create' event while that
  event's China date is the next day: found_on becomes the China date.
Problems of a visit are dated by the visit (never by their event: a visit recorded at 06:00 the next
morning keeps its day); problems entered by hand or imported always used the China date.

Revision ID: f3c8a1d6b9e2
Revises: e7a9c3b1d5f0
Create Date: 2026-12-02 02:10:00
"""
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import op

revision = 'f3c8a1d6b9e2'
down_revision = 'e7a9c3b1d5f0'
branch_labels = None
depends_on = None

CHINA = timezone(timedelta(hours=8))
submissions = sa.table("submissions", sa.column("id", sa.Integer), sa.column("kind", sa.String),
                       sa.column("facts", sa.JSON), sa.column("created_at", sa.DateTime(timezone=True)))
problems = sa.table("problems", sa.column("id", sa.Integer), sa.column("submission_id", sa.Integer),
                    sa.column("found_on", sa.Date))
events = sa.table("problem_events", sa.column("problem_id", sa.Integer), sa.column("action", sa.String),
                  sa.column("created_at", sa.DateTime(timezone=True)))


def shifted(moment):
    """(UTC date, China date) of a stored moment if they differ (00:00-08:00 China), else None."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    moment = moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment
    utc_day, china_day = moment.astimezone(timezone.utc).date(), moment.astimezone(CHINA).date()
    return (utc_day, china_day) if utc_day != china_day else None


def as_date(value):
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def fix_visits(bind) -> dict:
    """Correct visit_date; return {submission id: (old date, new date)}."""
    moved = {}
    rows = bind.execute(sa.select(submissions.c.id, submissions.c.facts, submissions.c.created_at)
                        .where(submissions.c.kind == "visit")).all()
    for sub_id, facts, created_at in rows:
        days = shifted(created_at)
        if not days or not isinstance(facts, dict) or as_date(facts.get("visit_date")) != days[0]:
            continue
        bind.execute(submissions.update().where(submissions.c.id == sub_id)
                     .values(facts={**facts, "visit_date": days[1].isoformat()}))
        moved[sub_id] = days
    return moved


def fix_problems(bind, moved: dict) -> None:
    created = (sa.select(events.c.problem_id, sa.func.min(events.c.created_at).label("at"))
               .where(events.c.action == "create").group_by(events.c.problem_id).subquery())
    rows = bind.execute(
        sa.select(problems.c.id, problems.c.found_on, submissions.c.id, submissions.c.kind, created.c.at)
        .join(submissions, submissions.c.id == problems.c.submission_id)
        .outerjoin(created, created.c.problem_id == problems.c.id)).all()
    changes = []
    for problem_id, found_on, sub_id, kind, created_at in rows:
        days = moved.get(sub_id) if kind == "visit" else shifted(created_at) if kind == "self_check" else None
        if days and as_date(found_on) == days[0]:
            changes.append({"pid": problem_id, "day": days[1]})
    if changes:
        bind.execute(problems.update().where(problems.c.id == sa.bindparam("pid"))
                     .values(found_on=sa.bindparam("day")), changes)


def upgrade():
    bind = op.get_bind()
    fix_problems(bind, fix_visits(bind))


def downgrade():
    # Data only: the corrected dates are the true ones, and which rows were moved is not recorded,
    # so going back leaves them as they are.
    pass
