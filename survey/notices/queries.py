"""The notices' read side: one notice (its access checked), a problem's notices, the list with its
filters, and the dashboard's counts — every list over what the user covers (covered_clause)."""
from __future__ import annotations

from dataclasses import dataclass

from flask import abort
from sqlalchemy import and_, func, select
from sqlalchemy.orm import joinedload

from survey.extensions import db
from survey.models import Notice, Problem, ProblemStatus, Round, Unit
from survey.permissions import can_view_notice, covered_clause, scope_is_everything

PAGE_SIZE = 30


def get_notice_or_404(user, notice_id: int) -> tuple[Notice, Problem | None]:
    """The notice and its problem, if the user may see them; 404 otherwise (URL guessing too)."""
    notice = db.session.scalar(select(Notice).where(Notice.id == notice_id)
                               .options(joinedload(Notice.unit), joinedload(Notice.round)))
    if notice is None:
        abort(404)
    problem = db.session.get(Problem, notice.problem_id) if notice.problem_id else None
    if not can_view_notice(user, notice, problem):
        abort(404)
    return notice, problem


def notices_of_problem(problem_id: int) -> list[Notice]:
    """A problem's notices, oldest first (the problem page shows them to whoever sees the problem)."""
    return list(db.session.scalars(select(Notice).where(Notice.problem_id == problem_id)
                                   .order_by(Notice.issued_at, Notice.id)))


def _scoped(stmt, user):
    return stmt if scope_is_everything(user) else stmt.where(covered_clause(user, Notice.round_id, Notice.unit_id))


@dataclass
class NoticeFilter:
    round_id: int | None = None
    kind: str = ""
    unit_id: int | None = None
    page: int = 1

    def where(self) -> list:
        out = []
        if self.round_id:
            out.append(Notice.round_id == self.round_id)
        if self.kind:
            out.append(Notice.kind == self.kind)
        if self.unit_id:
            out.append(Notice.unit_id == self.unit_id)
        return out


def query_notices(user, f: NoticeFilter) -> tuple[list[Notice], int]:
    """A page of the notices the user covers, newest first, and how many match in all."""
    where = f.where()
    total = db.session.scalar(_scoped(select(func.count(Notice.id)), user).where(*where)) or 0
    rows = db.session.scalars(_scoped(select(Notice), user).where(*where)
                              .options(joinedload(Notice.unit), joinedload(Notice.round))
                              .order_by(Notice.issued_at.desc(), Notice.id.desc())
                              .offset((f.page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    return list(rows), total


def problem_codes(notices: list[Notice]) -> dict[int, str]:
    ids = {n.problem_id for n in notices if n.problem_id}
    if not ids:
        return {}
    return dict(db.session.execute(select(Problem.id, Problem.code).where(Problem.id.in_(ids))).all())


def filter_units(user) -> list[tuple[int, str]]:
    """The units with a notice the user covers (the list's unit filter)."""
    stmt = _scoped(select(Unit.id, Unit.name).join(Notice, Notice.unit_id == Unit.id), user)
    return [tuple(r) for r in db.session.execute(stmt.distinct().order_by(Unit.name))]


def filter_rounds(user) -> list[tuple[int, str]]:
    stmt = _scoped(select(Round.id, Round.name).join(Notice, Notice.round_id == Round.id), user)
    return [tuple(r) for r in db.session.execute(stmt.distinct().order_by(Round.id.desc()))]


@dataclass
class NoticeCounts:
    by_kind: dict[str, int]                 # notices per kind (the ladder's steps)
    closed_after: dict[str, int]            # problems closed after a notice of that kind was issued
    with_problem: dict[str, int]            # problems that received a notice of that kind
    by_unit: list[tuple[int, str, int]]     # (unit id, name, notices), most first

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())


def notice_counts(user, round_id: int | None) -> NoticeCounts:
    """The dashboard's notice figures over what the user covers: three grouped reads."""
    where = [Notice.round_id == round_id] if round_id else []
    by_kind = dict(db.session.execute(_scoped(select(Notice.kind, func.count()), user)
                                      .where(*where).group_by(Notice.kind)).all())
    first = (_scoped(select(Notice.kind, Notice.problem_id, func.min(Notice.issued_at).label("at")), user)
             .where(*where, Notice.problem_id.is_not(None)).group_by(Notice.kind, Notice.problem_id).subquery())
    closed = and_(Problem.status == ProblemStatus.CLOSED, Problem.closed_at > first.c.at)
    rows = db.session.execute(select(first.c.kind, func.count(), func.count(Problem.id).filter(closed))
                              .join(Problem, Problem.id == first.c.problem_id).group_by(first.c.kind)).all()
    by_unit = db.session.execute(_scoped(select(Notice.unit_id, Unit.name, func.count(Notice.id)), user)
                                 .join(Unit, Unit.id == Notice.unit_id).where(*where)
                                 .group_by(Notice.unit_id, Unit.name)
                                 .order_by(func.count(Notice.id).desc(), Unit.name)).all()
    return NoticeCounts(by_kind=by_kind, with_problem={r[0]: r[1] for r in rows},
                        closed_after={r[0]: r[2] for r in rows}, by_unit=[tuple(r) for r in by_unit])
