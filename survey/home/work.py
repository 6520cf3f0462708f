"""What waits for a person, first on the home page: an inspector's visits to do, the problems
waiting for 核验 and the overdue ones; an administrator's every kind of pending decision."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from survey.extensions import db
from survey.filling.queries import progress_board, round_board, rounds_for
from survey.ledger.queries import pending_clause, visible_to
from survey.models import OPEN, Problem, ProblemStatus, Round, User
from survey.notify.queries import count_failed
from survey.reminders.queries import flagged_clause

SHOWN = 5  # items listed under each count; the count links to all of them


def open_rounds(user: User, today: date) -> list[Round]:
    """The user's rounds that have not ended (the ones where work can still be done)."""
    return [r for r in rounds_for(user) if r.ends_on >= today]


def problem_block(user: User, where, order) -> dict:
    """How many problems the user may see match where, and the first SHOWN of them by order."""
    count = db.session.scalar(visible_to(select(func.count(Problem.id)), user).where(where)) or 0
    first = db.session.scalars(visible_to(select(Problem), user).where(where).options(selectinload(Problem.unit))
                               .order_by(*order, Problem.id).limit(SHOWN)) if count else []
    return {"count": count, "problems": list(first)}


def pending_review(user: User) -> dict:
    return problem_block(user, Problem.status == ProblemStatus.PENDING_REVIEW, (Problem.deadline.asc().nulls_last(),))


def overdue(user: User, today: date) -> dict:
    return problem_block(user, Problem.status.in_(OPEN) & (Problem.deadline < today), (Problem.deadline,))


def visits_to_do(user: User, today: date) -> dict:
    """Per open round, the units the user's groups cover whose visit is not submitted (a draft
    visit is 问诊中); the total and the first SHOWN overall."""
    rounds, units = [], []
    for rnd in open_rounds(user, today):
        rows = round_board(rnd, user, "not_visited")
        if rows:
            rounds.append({"round": rnd, "count": len(rows)})
            units += [{"round": rnd, **row} for row in rows]
    return {"count": len(units), "rounds": rounds, "units": units[:SHOWN]}


def inspector_work(user: User, today: date) -> dict:
    return {"visits": visits_to_do(user, today), "review": pending_review(user), "overdue": overdue(user, today)}


def late_self_checks(user: User, today: date) -> list[dict]:
    """Open rounds past their self-check deadline (Round.self_check_late, the one definition of
    逾期) with units that have not submitted (count) or that submitted late (submitted_late)."""
    late = []
    for rnd in open_rounds(user, today):
        if rnd.self_check_late(today):
            totals = progress_board(rnd, user, today)["totals"]
            missing = totals["units"] - totals["submitted"]
            if missing or totals["late"]:
                late.append({"round": rnd, "count": missing, "submitted_late": totals["late"]})
    return late


def admin_todo(user: User, today: date, ungrouped: int) -> dict:
    """Every kind of decision waiting for an administrator: 延期 requests, problems to verify,
    overdue ones, unfinished ones without a deadline, late self-checks, the ungrouped units
    (counted by home.queries.admin_stats) and the messages a channel failed to carry (发送失败).
    total is 0 only when nothing waits."""
    blocks = {
        "extension": problem_block(user, pending_clause("extension"), (Problem.extension_deadline,)),
        "review": pending_review(user),
        "overdue": overdue(user, today),
        "no_deadline": problem_block(user, pending_clause("no_deadline"), (Problem.found_on,)),
        # the ladder reached 约谈/通报 (a flag_admin step): the administrator acts
        "flagged": problem_block(user, flagged_clause(), (Problem.deadline,)),
    }
    late = late_self_checks(user, today)
    # a late submission is shown (逾期提交, to look at) but waits for no decision: not in the total
    failed = count_failed()
    total = sum(b["count"] for b in blocks.values()) + sum(r["count"] for r in late) + ungrouped + failed
    return {**blocks, "late_self_checks": late, "units_without_group": ungrouped, "failed_deliveries": failed,
            "total": total}
