"""Reads of what the ladder fired, for other pages (the administrator's 待办)."""
from __future__ import annotations

from sqlalchemy import exists

from survey.models import OPEN, LadderFiring, LadderStep, Problem


def flagged_clause():
    """Open problems whose ladder reached a step flagged to the administrator (约谈/通报) for their
    current deadline: they wait for the administrator to arrange the 约谈 or issue the 通报."""
    return Problem.status.in_(OPEN) & exists().where(
        LadderFiring.problem_id == Problem.id, LadderFiring.deadline == Problem.deadline,
        LadderFiring.skipped.is_(False), LadderStep.id == LadderFiring.step_id, LadderStep.flag_admin.is_(True))
