"""The problem state machine, who may act, and the derived 三色预警. No I/O here."""
from __future__ import annotations

from datetime import date

from survey.clock import china_date
from survey.ledger.transitions import TRANSITIONS
from survey.models import FINAL, Problem, RoundUnit, User
from survey.models.problem import status_label
from survey.permissions import roles_of


def refusal(action: str, user: User, problem: Problem, scope: RoundUnit | None) -> str | None:
    """Why user may not take action now (Chinese), or None when allowed."""
    t = TRANSITIONS.get(action)
    if t is None:
        return "不支持的操作"
    if not roles_of(user, problem, scope) & t.who:
        return f"您无权对该问题执行“{t.label}”"
    if problem.status not in t.sources:
        return f"问题当前为“{status_label(problem.status)}”，不能{t.label}"
    return t.guard(problem) if t.guard else None


def allowed_actions(user: User, problem: Problem, scope: RoundUnit | None) -> list[str]:
    return [name for name in TRANSITIONS if refusal(name, user, problem, scope) is None]


def warning(problem: Problem, today: date, near_days: int = 7) -> str:
    """三色预警: red 逾期, yellow 临期, green on time; '' when closed, cancelled or without deadline."""
    if problem.status in FINAL or problem.deadline is None:
        return ""
    if today > problem.deadline:
        return "red"
    return "yellow" if (problem.deadline - today).days <= near_days else "green"


WARNING_LABELS = {"red": "逾期", "yellow": "临期", "green": "正常", "": ""}


def days_overdue(problem: Problem, today: date) -> int:
    return max(0, (today - problem.deadline).days) if warning(problem, today) == "red" else 0


def days_open(problem: Problem, today: date) -> int:
    """Days from finding to close-out (its China date, as the dashboard counts) or to today."""
    end = china_date(problem.closed_at) if problem.closed_at else today
    return max(0, (end - problem.found_on).days)
