"""The problem state machine, who may act, and the derived 三色预警. No I/O here."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from survey.clock import CHINA
from survey.models import Problem, RoundUnit, User
from survey.permissions import ADMIN, CHECKER, UNIT, roles_of  # noqa: F401  (re-exported)

STATUS_LABELS = {"open": "待整改", "in_progress": "整改中", "pending_review": "待核验", "closed": "已销号",
                 "cancelled": "已撤销"}
ACTION_LABELS = {
    "create": "登记问题", "accept": "接收整改", "update_progress": "更新进展", "report": "报告完成",
    "verify": "核验销号", "return": "退回", "request_extension": "申请延期", "approve_extension": "批准延期",
    "refuse_extension": "不予延期", "cancel": "撤销", "reopen": "重新打开", "close_on_site": "立行立改",
    "set_deadline": "设定时限", "set_category": "调整类别", "import": "导入",
    "add_evidence": "上传佐证材料", "remove_evidence": "删除佐证材料",
}
# who may act (Transition.who): the unit's liaison, an inspector covering the unit, an administrator;
# roles_of (the access policy) says which of these a user is for a problem.


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset
    target: str | None          # None: the status does not change
    who: frozenset              # UNIT (the unit's liaison), CHECKER (an inspector covering the unit), ADMIN
    needs_comment: bool = False


TRANSITIONS = {t.name: t for t in (
    Transition("accept", frozenset({"open"}), "in_progress", frozenset({UNIT})),
    Transition("update_progress", frozenset({"in_progress"}), None, frozenset({UNIT})),
    Transition("report", frozenset({"in_progress"}), "pending_review", frozenset({UNIT})),
    Transition("verify", frozenset({"pending_review"}), "closed", frozenset({CHECKER, ADMIN})),
    Transition("return", frozenset({"pending_review"}), "in_progress", frozenset({CHECKER, ADMIN}), True),
    Transition("request_extension", frozenset({"open", "in_progress"}), None, frozenset({UNIT}), True),
    Transition("approve_extension", frozenset({"open", "in_progress"}), None, frozenset({ADMIN})),
    Transition("refuse_extension", frozenset({"open", "in_progress"}), None, frozenset({ADMIN}), True),
    Transition("cancel", frozenset({"open", "in_progress", "pending_review"}), "cancelled", frozenset({ADMIN}), True),
    Transition("reopen", frozenset({"closed", "cancelled"}), "in_progress", frozenset({ADMIN}), True),
    Transition("set_deadline", frozenset({"open", "in_progress", "pending_review"}), None, frozenset({ADMIN})),
    Transition("set_category", frozenset({"open", "in_progress", "pending_review", "closed"}), None,
               frozenset({ADMIN})),
)}


def refusal(action: str, user: User, problem: Problem, scope: RoundUnit | None) -> str | None:
    """Why user may not take action now (Chinese), or None when allowed."""
    t = TRANSITIONS.get(action)
    if t is None:
        return "不支持的操作"
    if not roles_of(user, problem, scope) & t.who:
        return f"您无权对该问题执行“{ACTION_LABELS[action]}”"
    if problem.status not in t.sources:
        return f"问题当前为“{STATUS_LABELS[problem.status]}”，不能{ACTION_LABELS[action]}"
    if action in ("approve_extension", "refuse_extension") and problem.extension_deadline is None:
        return "该问题没有待审批的延期申请"
    if action == "request_extension" and problem.extension_deadline is not None:
        return "已有待审批的延期申请"
    return None


def allowed_actions(user: User, problem: Problem, scope: RoundUnit | None) -> list[str]:
    return [name for name in TRANSITIONS if refusal(name, user, problem, scope) is None]


def warning(problem: Problem, today: date, near_days: int = 7) -> str:
    """三色预警: red 逾期, yellow 临期, green on time; '' when closed, cancelled or without deadline."""
    if problem.status in ("closed", "cancelled") or problem.deadline is None:
        return ""
    if today > problem.deadline:
        return "red"
    return "yellow" if (problem.deadline - today).days <= near_days else "green"


WARNING_LABELS = {"red": "逾期", "yellow": "临期", "green": "正常", "": ""}


def days_overdue(problem: Problem, today: date) -> int:
    return max(0, (today - problem.deadline).days) if warning(problem, today) == "red" else 0


def days_open(problem: Problem, today: date) -> int:
    """Days from finding to close-out (its China date, as the dashboard counts) or to today."""
    end = problem.closed_at.astimezone(CHINA).date() if problem.closed_at else today
    return max(0, (end - problem.found_on).days)
