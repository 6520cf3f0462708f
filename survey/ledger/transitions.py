"""Every change a person can make to a problem, in one table: its label, the statuses it starts
from, the status it leads to, who may take it, whether a reason is needed, the form fields it
asks for and any further guard. Rules, operations, views and templates all read this table."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from survey.models import FINAL, OPEN, Problem
from survey.models import ProblemStatus as S
from survey.permissions import ADMIN, CHECKER, UNIT  # who may act: the roles the access policy assigns

Guard = Callable[[Problem], "str | None"]


def pending_extension(problem: Problem) -> str | None:
    return None if problem.extension_deadline is not None else "该问题没有待审批的延期申请"


def no_pending_extension(problem: Problem) -> str | None:
    return "已有待审批的延期申请" if problem.extension_deadline is not None else None


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset[S]
    target: S | None                 # None: the status does not change
    who: frozenset[str]
    needs_comment: bool = False
    fields: tuple[str, ...] = ()     # ProblemActionForm fields the action asks for, in order
    guard: Guard | None = None       # a further condition: the Chinese reason it fails, or None


_LIVE = frozenset({S.OPEN, S.IN_PROGRESS})
_UNFINISHED, _FINAL = frozenset(OPEN), frozenset(FINAL)
_UNIT, _CHECKERS, _ADMIN = frozenset({UNIT}), frozenset({CHECKER, ADMIN}), frozenset({ADMIN})
_COMMENT = ("comment",)

TRANSITIONS: dict[str, Transition] = {t.name: t for t in (
    Transition("accept", "接收整改", frozenset({S.OPEN}), S.IN_PROGRESS, _UNIT,
               fields=("measures", "responsible_person", "planned_on")),
    Transition("update_progress", "更新进展", frozenset({S.IN_PROGRESS}), None, _UNIT, fields=("progress",)),
    Transition("report", "报告完成", frozenset({S.IN_PROGRESS}), S.PENDING_REVIEW, _UNIT, fields=("result",)),
    Transition("verify", "核验销号", frozenset({S.PENDING_REVIEW}), S.CLOSED, _CHECKERS, fields=_COMMENT),
    Transition("return", "退回", frozenset({S.PENDING_REVIEW}), S.IN_PROGRESS, _CHECKERS, True, _COMMENT),
    Transition("request_extension", "申请延期", _LIVE, None, _UNIT, True, ("new_deadline", "comment"),
               no_pending_extension),
    Transition("approve_extension", "批准延期", _LIVE, None, _ADMIN, False, _COMMENT, pending_extension),
    Transition("refuse_extension", "不予延期", _LIVE, None, _ADMIN, True, _COMMENT, pending_extension),
    Transition("cancel", "撤销", _UNFINISHED, S.CANCELLED, _ADMIN, True, _COMMENT),
    Transition("reopen", "重新打开", _FINAL, S.IN_PROGRESS, _ADMIN, True, _COMMENT),
    Transition("set_deadline", "设定整改时限", _UNFINISHED, None, _ADMIN, fields=("deadline",)),
    Transition("set_category", "调整问题类别", _UNFINISHED | {S.CLOSED}, None, _ADMIN, fields=("category",)),
)}

# What an administrator may apply to many problems at once from the ledger list (the harmless first).
BULK_ACTIONS = ("set_deadline", "set_category", "verify")

# What the history shows for events that are not transitions someone takes on the problem's page.
EVENT_LABELS = {"create": "登记问题", "close_on_site": "立行立改", "import": "导入",
                "add_evidence": "上传佐证材料", "remove_evidence": "删除佐证材料",
                # the reminder scan (survey/reminders/scan.py): a ladder step reached people, with or without a notice
                "remind": "督办提醒", "notice": "印发督办文书"}
ACTION_LABELS = {**{t.name: t.label for t in TRANSITIONS.values()}, **EVENT_LABELS}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)
