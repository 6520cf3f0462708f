"""Reads for rounds and submissions."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from survey.extensions import db
from survey.queries import get_or_404  # noqa: F401  (re-exported for the views)
from survey.models import (Questionnaire, QuestionnaireVersion, Round, RoundUnit, Submission, Unit,
                           User, VersionState)
from survey.permissions import group_ids




def published_versions(kind: str) -> list[QuestionnaireVersion]:
    stmt = (select(QuestionnaireVersion).join(Questionnaire)
            .where(Questionnaire.kind == kind, QuestionnaireVersion.state == VersionState.PUBLISHED.value)
            .order_by(Questionnaire.id, QuestionnaireVersion.number.desc()))
    return list(db.session.scalars(stmt))


def rounds_for(user: User) -> list[Round]:
    stmt = select(Round).order_by(Round.starts_on.desc(), Round.id.desc())
    if user.is_liaison:
        stmt = stmt.join(RoundUnit).where(RoundUnit.unit_id == user.unit_id)
    elif user.is_inspector:
        stmt = stmt.join(RoundUnit).where(RoundUnit.group_id.in_(group_ids(user))).distinct()
    return list(db.session.scalars(stmt))


def round_board(rnd: Round, user: User, show: str = "") -> list[dict]:
    """One line per unit in scope the user may see: its self-check and visit state; show=
    not_submitted / not_visited keeps the units still to do."""
    stmt = (select(RoundUnit).where(RoundUnit.round_id == rnd.id)
            .options(selectinload(RoundUnit.unit), selectinload(RoundUnit.group)))
    if user.is_inspector:
        stmt = stmt.where(RoundUnit.group_id.in_(group_ids(user)))
    elif user.is_liaison:
        stmt = stmt.where(RoundUnit.unit_id == user.unit_id)
    scope = sorted(db.session.scalars(stmt), key=lambda s: s.unit_id)
    subs = {(s.unit_id, s.kind): s for s in db.session.scalars(
        select(Submission).where(Submission.round_id == rnd.id))}
    rows = [{"scope": s, "unit": s.unit, "group": s.group, "self_check": subs.get((s.unit_id, "self_check")),
             "visit": subs.get((s.unit_id, "visit"))} for s in scope]
    pending = {"not_submitted": "self_check", "not_visited": "visit"}.get(show)
    if pending:
        rows = [r for r in rows if not (r[pending] and r[pending].is_submitted)]
    return rows


def units_for_scope(scope: str, categories: list[str], unit_ids: list[int]) -> list[Unit]:
    stmt = select(Unit).where(Unit.is_disabled.is_(False)).order_by(Unit.id)
    if scope == "category":
        stmt = stmt.where(Unit.category.in_(categories or ["__none__"]))
    elif scope == "picked":
        stmt = stmt.where(Unit.id.in_(unit_ids or [0]))
    return list(db.session.scalars(stmt))


def pending_self_checks(user: User) -> list[dict]:
    """A liaison's rounds with the unit's self-check state (for the home page)."""
    rows = []
    for rnd in rounds_for(user):
        sub = db.session.scalar(select(Submission).where(
            Submission.round_id == rnd.id, Submission.unit_id == user.unit_id, Submission.kind == "self_check"))
        rows.append({"round": rnd, "submission": sub})
    return rows


def self_check_beside(visit: Submission) -> dict[str, str]:
    """For a visit: the unit's own self-check answer to each item of the same name, as text."""
    if visit.kind != "visit":
        return {}
    own = db.session.scalar(select(Submission).where(
        Submission.round_id == visit.round_id, Submission.unit_id == visit.unit_id,
        Submission.kind == "self_check"))
    if own is None or not own.is_submitted:
        return {}
    names = {q.name for q in visit.version.questions}
    result = {}
    for q in own.version.questions:
        if q.name in names:
            value = own.answers.get(q.name)
            labels = {o["name"]: o["label"] for o in q.options(own.version)}
            result[q.name] = "" if value in (None, "", []) else (
                "、".join(labels.get(v, v) for v in value) if isinstance(value, list) else labels.get(str(value), str(value)))
    return result
