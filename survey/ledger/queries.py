"""The ledger's read side: what each user may see, filtered, sorted and paged."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import abort
from sqlalchemy import Integer, Select, column, func, or_, select, text
from sqlalchemy.orm import selectinload

from survey.extensions import db
from survey.ledger.transitions import TRANSITIONS
from survey.models import OPEN, Problem, ProblemStatus, Submission, Unit, User
from survey.permissions import covered_clause, covered_units_clause, scope_is_everything
from survey.questionnaires.cache import version_view
from survey.questionnaires.display import answer_text
from survey.clock import china_moment

PAGE_SIZE = 30
SORTS = {"code": Problem.code_key, "-code": Problem.code_key.desc(), "deadline": Problem.deadline,
         "-deadline": Problem.deadline.desc(), "found_on": Problem.found_on, "-found_on": Problem.found_on.desc(),
         "unit": Problem.unit_id, "status": Problem.status}


@dataclass
class LedgerFilter:
    round_id: int | None = None
    unit_id: int | None = None
    category: str = ""
    status: str = ""
    severity: str = ""
    source: str = ""
    warn: str = ""         # overdue | near
    pending: str = ""      # extension (a 延期 request awaits a decision) | no_deadline (no 整改时限 yet)
    q: str = ""
    sort: str = "-code"
    page: int = 1
    extra: dict = field(default_factory=dict)
    found_from: date | None = None   # 发现时间 from / to and 销号时间 (China date) from / to:
    found_to: date | None = None     # the dashboard's weekly figures link here
    closed_from: date | None = None
    closed_to: date | None = None

    @classmethod
    def from_args(cls, args) -> "LedgerFilter":
        def as_int(name):
            value = args.get(name, "")
            return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None
        page = as_int("page") or 1
        return cls(round_id=as_int("round"), unit_id=as_int("unit"), category=args.get("category", "")[:32],
                   status=args.get("status", "")[:16], severity=args.get("severity", "")[:8],
                   source=args.get("source", "")[:16], warn=args.get("warn", "")[:8],
                   pending=args.get("pending", "") if args.get("pending") in PENDING else "", q=args.get("q", "").strip()[:100],
                   sort=args.get("sort", "-code") if args.get("sort") in SORTS else "-code", page=min(page, 100000),
                   **{name: _as_date(args.get(name, "")) for name in DATE_ARGS})

    def args(self, **override) -> dict:
        values = {"round": self.round_id, "unit": self.unit_id, "category": self.category, "status": self.status,
                  "severity": self.severity, "source": self.source, "warn": self.warn, "pending": self.pending, "q": self.q,
                  "sort": self.sort if self.sort != "-code" else None, "page": self.page if self.page > 1 else None,
                  **{name: getattr(self, name) and getattr(self, name).isoformat() for name in DATE_ARGS}}
        values.update(override)
        return {k: v for k, v in values.items() if v not in (None, "")}


DATE_ARGS = ("found_from", "found_to", "closed_from", "closed_to")
# What waits for an administrator's decision, as a ledger filter (the home page's 待办 links here).
PENDING = {"extension": "延期待审批", "no_deadline": "未设整改时限"}


def pending_clause(kind: str):
    """The problems waiting for kind of decision: a 延期 request the administrator can still decide
    (the statuses approve_extension starts from), or an unfinished problem without a deadline."""
    if kind == "extension":
        return Problem.extension_deadline.is_not(None) & Problem.status.in_(TRANSITIONS["approve_extension"].sources)
    return Problem.deadline.is_(None) & Problem.status.in_(OPEN)


def _as_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def local_midnight(day: date) -> datetime:
    """The start of a China-time day as the UTC moment closed_at stores."""
    return china_moment(day)


def visible_to(stmt: Select, user: User) -> Select:
    """The problems user may see: the access policy's coverage rule (survey.permissions.coverage)."""
    if scope_is_everything(user):
        return stmt
    return stmt.where(covered_clause(user, Problem.round_id, Problem.unit_id))


def apply_filter(stmt: Select, f: LedgerFilter, today: date, near_days: int) -> Select:
    for column, value in ((Problem.round_id, f.round_id), (Problem.unit_id, f.unit_id),
                          (Problem.category, f.category), (Problem.status, f.status),
                          (Problem.severity, f.severity), (Problem.source, f.source)):
        if value:
            stmt = stmt.where(column == value)
    if f.warn == "overdue":
        stmt = stmt.where(Problem.status.in_(OPEN), Problem.deadline < today)
    elif f.warn == "near":
        stmt = stmt.where(Problem.status.in_(OPEN), Problem.deadline >= today,
                          Problem.deadline <= today + timedelta(days=near_days))
    if f.pending:
        stmt = stmt.where(pending_clause(f.pending))
    if f.found_from:
        stmt = stmt.where(Problem.found_on >= f.found_from)
    if f.found_to:
        stmt = stmt.where(Problem.found_on <= f.found_to)
    if f.closed_from:
        stmt = stmt.where(Problem.closed_at >= local_midnight(f.closed_from))
    if f.closed_to:
        stmt = stmt.where(Problem.closed_at < local_midnight(f.closed_to + timedelta(days=1)))
    if f.q:
        stmt = stmt.where(text_match(f.q))
    return stmt


CODE_CHARS = re.compile(r"[0-9A-Za-z]")


def text_match(q: str):
    """问题描述 contains q, or 编号 does when q has digits or letters; letters in any case. Three or more
    characters are found through a trigram index (SQLite FTS5, PostgreSQL pg_trgm: migration c41f0e9a7d2b)."""
    like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    if db.engine.dialect.name == "sqlite" and len(q) >= 3:
        phrase = '"' + q.replace('"', '""') + '"'
        matched = text("SELECT rowid FROM problems_fts WHERE problems_fts MATCH :phrase").bindparams(phrase=phrase)
        description = Problem.id.in_(matched.columns(column("rowid", Integer)))
    else:
        description = Problem.description.ilike(like, escape="\\")
    if CODE_CHARS.search(q):
        return or_(description, Problem.code.ilike(like, escape="\\"))
    return description


COUNT_CAP = 10000  # past this the list says "10000+": counting 100,000 rows on every page costs ~100 ms


def query_ledger(user: User, f: LedgerFilter, today: date, near_days: int) -> tuple[list[Problem], int]:
    """The page of problems and how many match (at most COUNT_CAP + 1, meaning "more than the cap")."""
    base = apply_filter(visible_to(select(Problem), user), f, today, near_days)
    capped = base.order_by(None).with_only_columns(Problem.id).limit(COUNT_CAP + 1).subquery()
    total = db.session.scalar(select(func.count()).select_from(capped)) or 0
    rows = db.session.scalars(base.options(selectinload(Problem.unit)).order_by(SORTS[f.sort], Problem.id)
                              .offset((f.page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    return list(rows), total


def get_problem_or_404(user: User, problem_id: int) -> Problem:
    """Only problems the user may see; the others do not exist for them (404), by URL guessing too."""
    problem = db.session.scalar(visible_to(select(Problem), user).where(Problem.id == problem_id))
    if problem is None:
        abort(404)
    return problem


def todo_count(user: User, today: date, round_id: int | None = None) -> int:
    """Home and bottom-bar badge: liaison — waiting for the unit; inspector — waiting for
    verification; administrator — overdue. round_id narrows it (a signed-link session's round)."""
    stmt = visible_to(select(func.count(Problem.id)), user)
    if round_id is not None:
        stmt = stmt.where(Problem.round_id == round_id)
    if user.is_liaison:
        stmt = stmt.where(Problem.status.in_((ProblemStatus.OPEN, ProblemStatus.IN_PROGRESS)))
    elif user.is_inspector:
        stmt = stmt.where(Problem.status == ProblemStatus.PENDING_REVIEW)
    else:
        stmt = stmt.where(Problem.status.in_(OPEN), Problem.deadline < today)
    return db.session.scalar(stmt) or 0


def visible_units_stmt(user: User) -> Select:
    """Units the user may file problems for or filter by (covered in some round or outside rounds)."""
    stmt = select(Unit).where(Unit.is_disabled.is_(False)).order_by(Unit.id)
    return stmt if scope_is_everything(user) else stmt.where(covered_units_clause(user, Unit.id))


def source_answer(problem: Problem) -> dict | None:
    """The question and answer a problem was raised from, as text (None when it was not)."""
    if not problem.submission_id or not problem.question_name:
        return None
    submission = db.session.get(Submission, problem.submission_id)
    version = version_view(submission.version_id)
    question = next((q for q in version.questions if q.name == problem.question_name), None)
    if question is None:
        return None
    text = answer_text(question, submission.answers.get(question.name))
    return {"label": question.label, "answer": text or "（未作答）"}
