"""The ladder a new round starts with, from practice (江津's 预警函, 12345's 催办/通报, 五书制).
migrations/versions/20261202_73491319cd7f_supervision.py inserts a frozen copy for existing rounds."""
from __future__ import annotations

from survey.extensions import db
from survey.models import LadderStep, LadderTarget, Round

P, S = LadderTarget.PROBLEM.value, LadderTarget.SELF_CHECK.value

# (target, key, name, offset_days, working_days, audience, notice_kind, urgent, flag_admin)
DEFAULT_STEPS: tuple[tuple, ...] = (
    (P, "remind_10", "临期提醒", -10, True, ["liaison"], "", False, False),
    (P, "remind_3", "临期提醒", -3, True, ["liaison"], "", False, False),
    (P, "due", "到期督办", 0, True, ["liaison", "leader"], "duban", False, False),
    (P, "warn", "逾期告诫", 5, True, ["liaison", "leader", "head", "group"], "warn", True, False),
    (P, "report", "约谈通报", 10, True, ["head", "group", "admin"], "report", True, True),
    (S, "sc_remind_3", "自查提醒", -3, True, ["liaison"], "", False, False),
    (S, "sc_overdue", "自查催办", 1, True, ["liaison", "leader", "group"], "selfcheck", False, False),
)


def default_steps(round_id: int) -> list[LadderStep]:
    steps, position = [], {}
    for target, key, name, offset, working, audience, kind, urgent, flag in DEFAULT_STEPS:
        position[target] = position.get(target, 0) + 1
        steps.append(LadderStep(round_id=round_id, target=target, key=key, position=position[target], name=name,
                                offset_days=offset, working_days=working, audience=list(audience),
                                channels=[], notice_kind=kind, urgent=urgent, flag_admin=flag, enabled=True))
    return steps


def create_default_ladder(rnd: Round) -> list[LadderStep]:
    """Give a new round its default ladder (flushes)."""
    steps = default_steps(rnd.id)
    db.session.add_all(steps)
    db.session.flush()
    return steps
