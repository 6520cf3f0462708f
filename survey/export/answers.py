"""A round's raw answers: one row per submitted self-check (or visit), one column per question, under
two header rows — the questions' labels, then their stable `name`s (what analyses match on)."""
from __future__ import annotations

import io
import re
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import aliased

from survey.export.rows import Column
from survey.export.xlsx import Book
from survey.extensions import db
from survey.models import Round, RoundUnit, Submission, SubmissionState, Unit, User
from survey.permissions import covered_clause, scope_is_everything
from survey.questionnaires.cache import version_view
from survey.questionnaires.display import answer_text, is_empty
from survey.clock import CHINA

KINDS = {"self_check": "单位自查表", "visit": "上门问诊记录"}
FIXED = (Column("序号", "int", 6, 6), Column("单位", "text", 12, 24), Column("提交时间", "datetime", 17, 17),
         Column("提交人", "text", 8, 16))
FIXED_NAMES = ["seq", "unit", "submitted_at", "submitted_by"]
VISIT_FIXED = (Column("问诊日期", "date", 12, 12), Column("问诊地点", "text", 10, 24),
               Column("督导组成员", "text", 12, 30), Column("单位参加人员", "long", 24, 24))
VISIT_NAMES = ["visit_date", "place", "members", "attendees"]
CELL_KINDS = {"integer": "num", "decimal": "num", "score": "num", "photo": "int", "date": "date",
              "textarea": "long"}
UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\s]+')


def visible_unit_ids(user: User, rnd: Round) -> set[int] | None:
    """None: every unit (an administrator); else the units of the round the user covers."""
    if scope_is_everything(user):
        return None
    return set(db.session.scalars(select(RoundUnit.unit_id).where(
        RoundUnit.round_id == rnd.id, covered_clause(user, RoundUnit.round_id, RoundUnit.unit_id))))


def file_name(rnd: Round, kind: str, today: date) -> str:
    return f"{UNSAFE_NAME.sub('_', rnd.name)}_{KINDS[kind]}_{today:%Y%m%d}.xlsx"


def _submissions(rnd: Round, kind: str, units: set[int] | None) -> list:
    submitter = aliased(User)
    stmt = (select(Submission.version_id, Submission.answers, Submission.facts, Submission.submitted_at,
                   Unit.name.label("unit_name"), submitter.display_name.label("submitted_by"))
            .join(Unit, Unit.id == Submission.unit_id).outerjoin(submitter, submitter.id == Submission.submitted_by_id)
            .where(Submission.round_id == rnd.id, Submission.kind == kind,
                   Submission.state == SubmissionState.SUBMITTED.value)
            .order_by(Unit.id))
    if units is not None:
        stmt = stmt.where(Submission.unit_id.in_(units or {0}))
    return list(db.session.execute(stmt))


def _questions(version_ids: list[int]) -> list:
    """The questions of every version used, in order, each name once (notes have no answer)."""
    seen, questions = set(), []
    for version_id in version_ids:
        for q in version_view(version_id).questions:
            if q.type != "note" and q.name not in seen:
                seen.add(q.name)
                questions.append(q)
    return questions


def cell(q, value):
    """An answer as a cell value: choices by their labels, numbers as numbers, dates as dates."""
    if is_empty(value):
        return None
    if q.type in ("integer", "decimal", "score", "photo") and isinstance(value, (int, float)):
        return value
    if q.type == "date":
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            return str(value)
    return answer_text(q, value)


def _visit_cells(facts: dict, members: dict[int, str]) -> tuple:
    try:
        visited = date.fromisoformat(facts.get("visit_date", ""))
    except (TypeError, ValueError):
        visited = facts.get("visit_date") or None
    names = "、".join(members.get(i, "") for i in facts.get("member_ids") or [] if i in members)
    return visited, facts.get("place", ""), names, facts.get("attendees", "")


def write_answers(target, rnd: Round, kind: str, user: User, now: datetime) -> int:
    """Write the round's submitted answers of this kind that the user may see; return how many."""
    subs = _submissions(rnd, kind, visible_unit_ids(user, rnd))
    versions = [rnd.self_check_version_id if kind == "self_check" else rnd.onsite_version_id]
    questions = _questions(versions + sorted({s.version_id for s in subs} - set(versions)))
    fixed, fixed_names = (FIXED + VISIT_FIXED, FIXED_NAMES + VISIT_NAMES) if kind == "visit" else (FIXED, FIXED_NAMES)
    columns = fixed + tuple(Column(q.label or q.name, CELL_KINDS.get(q.type, "text"), 10, 30) for q in questions)
    member_ids = {i for s in subs for i in (s.facts or {}).get("member_ids") or [] if isinstance(i, int)}
    members = dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(member_ids or {0}))).all())
    book = Book(target)
    sheet = book.sheet("自查答卷" if kind == "self_check" else "问诊记录", columns)
    sheet.banner(f"{rnd.name}·{KINDS[kind]}答卷汇总")
    sheet.banner(f"导出时间：{now.astimezone(CHINA):%Y-%m-%d %H:%M}　导出人：{user.display_name}　"
                 f"已提交 {len(subs)} 份", "meta", 20)
    sheet.header()
    sheet.header(fixed_names + [q.name for q in questions])
    for n, s in enumerate(subs, 1):
        submitted = s.submitted_at.astimezone(CHINA).replace(tzinfo=None) if s.submitted_at else None
        head = (n, s.unit_name, submitted, s.submitted_by or "")
        if kind == "visit":
            head += _visit_cells(s.facts or {}, members)
        answers = s.answers or {}
        sheet.write(head + tuple(cell(q, answers.get(q.name)) for q in questions))
    sheet.finish(freeze_cols=2)
    book.close()
    return len(subs)


def to_bytes(rnd: Round, kind: str, user: User, now: datetime) -> tuple[bytes, int]:
    out = io.BytesIO()
    count = write_answers(out, rnd, kind, user, now)
    return out.getvalue(), count
