"""Reads for rounds and submissions."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from survey.extensions import db
from survey.queries import get_or_404  # noqa: F401  (re-exported for the views)
from survey.models import (Questionnaire, QuestionnaireVersion, Round, RoundUnit, Submission, Unit,
                           User, VersionState)
from survey.permissions import covered_clause, scope_is_everything
from survey.questionnaires.display import answer_text
from survey.models import OPEN, Problem, ProblemStatus




def published_versions(kind: str) -> list[QuestionnaireVersion]:
    stmt = (select(QuestionnaireVersion).join(Questionnaire)
            .where(Questionnaire.kind == kind, QuestionnaireVersion.state == VersionState.PUBLISHED.value)
            .order_by(Questionnaire.id, QuestionnaireVersion.number.desc()))
    return list(db.session.scalars(stmt))


def rounds_for(user: User) -> list[Round]:
    stmt = select(Round).order_by(Round.starts_on.desc(), Round.id.desc())
    if not scope_is_everything(user):  # the rounds in which the user covers a unit
        stmt = stmt.join(RoundUnit).where(covered_clause(user, RoundUnit.round_id, RoundUnit.unit_id)).distinct()
    return list(db.session.scalars(stmt))


def round_board(rnd: Round, user: User, show: str = "") -> list[dict]:
    """One line per unit in scope the user may see: its self-check and visit state; show=
    not_submitted / not_visited keeps the units still to do."""
    stmt = (select(RoundUnit).where(RoundUnit.round_id == rnd.id)
            .options(selectinload(RoundUnit.unit), selectinload(RoundUnit.group)))
    if not scope_is_everything(user):
        stmt = stmt.where(covered_clause(user, RoundUnit.round_id, RoundUnit.unit_id))
    scope = sorted(db.session.scalars(stmt), key=lambda s: s.unit_id)
    subs = {(s.unit_id, s.kind): s for s in db.session.scalars(
        select(Submission).where(Submission.round_id == rnd.id))}
    rows = [{"scope": s, "unit": s.unit, "group": s.group, "self_check": subs.get((s.unit_id, "self_check")),
             "visit": subs.get((s.unit_id, "visit"))} for s in scope]
    pending = {"not_submitted": "self_check", "not_visited": "visit"}.get(show)
    if pending:
        rows = [r for r in rows if not (r[pending] and r[pending].is_submitted)]
    return rows


# The round page's search and filters (query arguments), on top of round_board's show=.
VISIT_STATES = {"none": "待问诊", "draft": "问诊中", "submitted": "已问诊"}


@dataclass
class BoardFilter:
    q: str = ""                  # part of the unit's name
    self_check: str = ""         # a SELF_CHECK_STATES key
    visit: str = ""              # a VISIT_STATES key
    group_id: int | None = None  # the group the round assigns; 0: none assigned
    show: str = ""               # not_submitted | not_visited (the board's quick filters)

    @classmethod
    def from_args(cls, args) -> "BoardFilter":
        group = args.get("group", "")
        return cls(q=args.get("q", "").strip()[:50],
                   self_check=args.get("self_check", "") if args.get("self_check") in SELF_CHECK_STATES else "",
                   visit=args.get("visit", "") if args.get("visit") in VISIT_STATES else "",
                   group_id=int(group) if group.isascii() and group.isdigit() and len(group) <= 9 else None,
                   show=args.get("show", "") if args.get("show") in ("not_submitted", "not_visited") else "")

    @property
    def searches(self) -> bool:
        """A search or filter of the folded panel is on (the quick filters live outside it)."""
        return bool(self.q or self.self_check or self.visit or self.group_id is not None)

    @property
    def is_active(self) -> bool:
        return self.searches or bool(self.show)

    def keeps(self, row: dict) -> bool:
        pending = {"not_submitted": "self_check", "not_visited": "visit"}.get(self.show)
        return ((not pending or state_of(row[pending]) != "submitted")
                and (not self.q or self.q.casefold() in row["unit"].name.casefold())
                and (not self.self_check or state_of(row["self_check"]) == self.self_check)
                and (not self.visit or state_of(row["visit"]) == self.visit)
                and (self.group_id is None or (row["scope"].group_id or 0) == self.group_id))


def state_of(submission: Submission | None) -> str:
    """none / draft / submitted: the keys of SELF_CHECK_STATES and VISIT_STATES."""
    return "submitted" if submission and submission.is_submitted else ("draft" if submission else "none")


def round_page(rnd: Round, user: User, f: BoardFilter) -> dict:
    """The round page: the units kept by f (and by f.show), the totals over every unit the user
    may see, and the groups to filter by."""
    rows = round_board(rnd, user)
    shown = [r for r in rows if f.keeps(r)]
    groups = {r["group"].id: r["group"].name for r in rows if r["group"] is not None}
    return {"rows": shown, "groups": sorted(groups.items(), key=lambda g: g[1]),
            "has_ungrouped": any(r["group"] is None for r in rows),
            "totals": {"units": len(rows), "submitted": sum(state_of(r["self_check"]) == "submitted" for r in rows),
                       "visited": sum(state_of(r["visit"]) == "submitted" for r in rows)}}


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
            result[q.name] = answer_text(q, own.answers.get(q.name), own.version)
    return result


# The progress board (进度看板): per unit, the self-check, the visit, the problems and whom to remind.

SELF_CHECK_STATES = {"none": "未提交", "draft": "草稿", "submitted": "已提交"}


def liaisons_by_unit(unit_ids) -> dict[int, User]:
    """Each unit's liaison account: the first enabled one, by id."""
    found: dict[int, User] = {}
    for user in db.session.scalars(select(User).where(
            User.role == "unit", User.unit_id.in_(list(unit_ids) or [0]), User.is_disabled.is_(False))
            .order_by(User.id)):
        found.setdefault(user.unit_id, user)
    return found


def problem_counts(round_id: int, unit_ids, today) -> dict[int, dict[str, int]]:
    """Per unit, the round's problems not closed (open), past their deadline (overdue), closed."""
    from sqlalchemy import and_, case, func

    is_open = Problem.status.in_(OPEN)
    stmt = (select(Problem.unit_id, func.sum(case((is_open, 1), else_=0)),
                   func.sum(case((and_(is_open, Problem.deadline < today), 1), else_=0)),
                   func.sum(case((Problem.status == ProblemStatus.CLOSED, 1), else_=0)))
            .where(Problem.round_id == round_id, Problem.unit_id.in_(list(unit_ids) or [0]))
            .group_by(Problem.unit_id))
    return {unit_id: {"open": int(o or 0), "overdue": int(d or 0), "closed": int(c or 0)}
            for unit_id, o, d, c in db.session.execute(stmt)}


def progress_board(rnd: Round, user: User, today, show: str = "") -> dict:
    """The board of the units user may see (round_board), each with its self-check state, visit
    state, problem counts and liaison; totals over all of them; the reminder text for those whose
    self-check is not submitted. show= not_submitted / not_visited keeps the units still to do,
    late the self-checks submitted after the deadline (逾期提交)."""
    rows = round_board(rnd, user)
    ids = [r["unit"].id for r in rows]
    liaisons, counts = liaisons_by_unit(ids), problem_counts(rnd.id, ids, today)
    for row in rows:
        sc, vi, unit = row["self_check"], row["visit"], row["unit"]
        row["self_check_state"] = "submitted" if sc and sc.is_submitted else ("draft" if sc else "none")
        row["visited"] = bool(vi and vi.is_submitted)
        row["late"] = bool(sc and sc.is_late)       # 逾期提交
        row["liaison"] = liaison = liaisons.get(unit.id)
        row["contact_name"] = (liaison.display_name if liaison else "") or unit.contact_name
        row["contact_phone"] = (liaison.phone if liaison else "") or unit.contact_phone
        row["problems"] = counts.get(unit.id, {"open": 0, "overdue": 0, "closed": 0})
    totals = {"units": len(rows), "visited": sum(r["visited"] for r in rows), "late": sum(r["late"] for r in rows),
              **{state: sum(r["self_check_state"] == state for r in rows) for state in SELF_CHECK_STATES},
              **{k: sum(r["problems"][k] for r in rows) for k in ("open", "overdue", "closed")}}
    shown = [r for r in rows if not (show == "not_submitted" and r["self_check_state"] == "submitted")
             and not (show == "not_visited" and r["visited"]) and not (show == "late" and not r["late"])]
    return {"rows": shown, "totals": totals, "reminder": reminder_text(rnd, rows, today)}


def reminder_text(rnd: Round, rows: list[dict], today) -> str:
    """A message for a WeChat group naming the units whose self-check is not submitted, and the
    deadline; '' when every unit has submitted."""
    pending = [r for r in rows if r["self_check_state"] != "submitted"]
    if not pending:
        return ""
    d = rnd.self_check_deadline
    deadline, days = f"{d.year}年{d.month}月{d.day}日", (d - today).days
    when = (f"自查截止时间为{deadline}（还剩{days}天）" if days > 0 else
            f"今天（{deadline}）是自查截止日" if days == 0 else f"自查已于{deadline}截止")
    lines = [f"【自查提醒】“{rnd.name}”{when}。以下{len(pending)}个单位尚未提交自查表，请联络员抓紧填写并提交："]
    for i, row in enumerate(pending, 1):
        notes = [f"联络员{row['contact_name']}"] if row["contact_name"] else []
        if row["self_check_state"] == "draft":
            notes.append("已填草稿，尚未提交")
        lines.append(f"{i}. {row['unit'].name}" + (f"（{'，'.join(notes)}）" if notes else ""))
    lines.append("已提交的单位请忽略。")
    return "\n".join(lines)
