"""Reads for the comparison, the 问诊 pack and the 问诊报告."""
from __future__ import annotations

from flask import abort
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, selectinload

from survey.extensions import db
from survey.ledger.queries import OPEN, visible_to
from survey.models import Problem, Role, Round, RoundUnit, Submission, User
from survey.permissions import covered_clause, scope_is_everything


def scope_or_404(round_id: int, unit_id: int) -> RoundUnit:
    """The unit in the round's scope (with its unit, group and round), or 404."""
    scope = db.session.get(RoundUnit, (round_id, unit_id), options=[
        joinedload(RoundUnit.unit), joinedload(RoundUnit.group), joinedload(RoundUnit.round)])
    if scope is None:
        abort(404)
    return scope


def visible_scope(rnd: Round, user: User) -> list[RoundUnit]:
    """The units of the round an administrator (all) or an inspector (those covered) may compare."""
    stmt = (select(RoundUnit).where(RoundUnit.round_id == rnd.id)
            .options(selectinload(RoundUnit.unit), selectinload(RoundUnit.group)).order_by(RoundUnit.unit_id))
    if not scope_is_everything(user):
        stmt = stmt.where(covered_clause(user, RoundUnit.round_id, RoundUnit.unit_id))
    return list(db.session.scalars(stmt))


def submissions(round_id: int, unit_ids: list[int]) -> dict[tuple[int, str], Submission]:
    stmt = select(Submission).where(Submission.round_id == round_id, Submission.unit_id.in_(unit_ids or [0]))
    return {(s.unit_id, s.kind): s for s in db.session.scalars(stmt)}


def problems_of(submission_ids: list[int]) -> list[Problem]:
    if not submission_ids:
        return []
    stmt = select(Problem).where(Problem.submission_id.in_(submission_ids)).order_by(Problem.code, Problem.id)
    return list(db.session.scalars(stmt))


def earlier_open_problems(unit_id: int, round_id: int) -> list[Problem]:
    """The unit's problems not closed, from other rounds or outside any round, by deadline."""
    stmt = (select(Problem).options(joinedload(Problem.round))
            .where(Problem.unit_id == unit_id, Problem.status.in_(OPEN),
                   or_(Problem.round_id.is_(None), Problem.round_id != round_id))
            .order_by(Problem.deadline.is_(None), Problem.deadline, Problem.code))
    return list(db.session.scalars(stmt))


def last_visit(rnd: Round, unit_id: int) -> Submission | None:
    """The unit's latest submitted visit in an earlier round (by the rounds' start dates)."""
    stmt = (select(Submission).join(Round, Submission.round_id == Round.id)
            .options(joinedload(Submission.round))
            .where(Submission.unit_id == unit_id, Submission.kind == "visit", Submission.state == "submitted",
                   Submission.round_id != rnd.id,
                   or_(Round.starts_on < rnd.starts_on,
                       (Round.starts_on == rnd.starts_on) & (Round.id < rnd.id)))
            .order_by(Round.starts_on.desc(), Round.id.desc()).limit(1))
    return db.session.scalar(stmt)


def liaisons(unit_id: int) -> list[User]:
    stmt = (select(User).where(User.unit_id == unit_id, User.role == Role.UNIT.value,
                               User.is_disabled.is_(False)).order_by(User.id))
    return list(db.session.scalars(stmt))


def users_by_ids(ids: list) -> list[User]:
    wanted = [int(i) for i in ids or [] if str(i).isdigit()]
    if not wanted:
        return []
    return list(db.session.scalars(select(User).where(User.id.in_(wanted)).order_by(User.id)))


def visible_problem_ids(user: User, problems: list[Problem]) -> set[int]:
    """Which of these problems the user may open in the ledger (the others are shown without a link)."""
    ids = [p.id for p in problems]
    if not ids:
        return set()
    return set(db.session.scalars(visible_to(select(Problem.id), user).where(Problem.id.in_(ids))))
