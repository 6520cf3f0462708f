"""The export's reads: the ledger's rows and their events, as plain column tuples streamed from the
database (server-side cursor on PostgreSQL, incremental fetch on SQLite) — never 100,000 ORM objects.

The filter and the rights are the ledger page's own (survey.ledger.queries), so an export holds
exactly what the user's ledger list shows: a liaison's only the unit's rows, whatever the URL says."""
from __future__ import annotations

from datetime import date
from typing import Iterator

from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased

from survey.extensions import db
from survey.ledger.queries import SORTS, LedgerFilter, visible_to, visible_units_stmt
from survey.ledger.queries import apply_filter
from survey.models import Problem, ProblemEvent, Round, Unit, User

BATCH = 2000


def _scoped(stmt: Select, user: User | None, f: LedgerFilter, today: date, near_days: int) -> Select:
    """The ledger filter and, for a user, what the user may see (None: the command line, everything)."""
    if user is not None:
        stmt = visible_to(stmt, user)
    return apply_filter(stmt, f, today, near_days)


def ledger_rows(user: User | None, f: LedgerFilter, today: date, near_days: int) -> Select:
    closer = aliased(User)
    stmt = (select(Problem.id, Problem.code, Problem.unit_id, Unit.name.label("unit_name"), Problem.category,
                   Problem.description, Problem.source, Problem.found_on, Problem.severity, Problem.deadline,
                   Problem.responsible_person, Problem.measures, Problem.progress, Problem.result, Problem.status,
                   Problem.closed_at, closer.display_name.label("closed_by"))
            .join(Unit, Unit.id == Problem.unit_id).outerjoin(closer, closer.id == Problem.closed_by_id))
    return _scoped(stmt, user, f, today, near_days).order_by(SORTS[f.sort], Problem.id)


def event_rows(user: User | None, f: LedgerFilter, today: date, near_days: int) -> Select:
    """Every event of the exported problems, problem by problem in the ledger's order."""
    actor = aliased(User)
    stmt = (select(Problem.code, ProblemEvent.created_at, ProblemEvent.action, actor.display_name.label("actor_name"),
                   ProblemEvent.from_status, ProblemEvent.to_status, ProblemEvent.comment)
            .join(Problem, Problem.id == ProblemEvent.problem_id)
            .outerjoin(actor, actor.id == ProblemEvent.actor_id))
    return _scoped(stmt, user, f, today, near_days).order_by(SORTS[f.sort], Problem.id, ProblemEvent.id)


def count_problems(user: User | None, f: LedgerFilter, today: date, near_days: int, cap: int | None = None) -> int:
    """How many problems the export holds (at most cap + 1 with a cap: enough to choose the way)."""
    ids = _scoped(select(Problem.id), user, f, today, near_days)
    if cap is not None:
        ids = ids.limit(cap + 1)
    return db.session.scalar(select(func.count()).select_from(ids.subquery())) or 0


def count_events(user: User | None, f: LedgerFilter, today: date, near_days: int, cap: int | None = None) -> int:
    ids = _scoped(select(ProblemEvent.id).join(Problem, Problem.id == ProblemEvent.problem_id), user, f, today,
                  near_days)
    if cap is not None:
        ids = ids.limit(cap + 1)
    return db.session.scalar(select(func.count()).select_from(ids.subquery())) or 0


def stream(stmt: Select) -> Iterator:
    """The rows of stmt, fetched BATCH at a time."""
    yield from db.session.execute(stmt.execution_options(yield_per=BATCH))


def names_for(user: User | None, f: LedgerFilter) -> tuple[str | None, str | None]:
    """The round's and the unit's names for the title: a unit only when the user may see it."""
    round_name = db.session.scalar(select(Round.name).where(Round.id == f.round_id)) if f.round_id else None
    unit_name = None
    if f.unit_id:
        units = visible_units_stmt(user) if user is not None and not user.is_admin else select(Unit)
        unit_name = db.session.scalar(units.with_only_columns(Unit.name).where(Unit.id == f.unit_id))
    return round_name, unit_name
