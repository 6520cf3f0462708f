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
    """Open rounds past their self-check deadline with units that have not submitted."""
    late = []
    for rnd in open_rounds(user, today):
        if rnd.self_check_deadline < today:
            board = progress_board(rnd, user, today)
            missing = board["totals"]["units"] - board["totals"]["submitted"]
            if missing:
                late.append({"round": rnd, "count": missing})
    return late


def admin_todo(user: User, today: date, ungrouped: int) -> dict:
    """Every kind of decision waiting for an administrator: 延期 requests, problems to verify,
    overdue ones, unfinished ones without a deadline, late self-checks, and the ungrouped units
    (counted by home.queries.admin_stats). total is 0 only when nothing waits."""
    blocks = {
        "extension": problem_block(user, pending_clause("extension"), (Problem.extension_deadline,)),
        "review": pending_review(user),
        "overdue": overdue(user, today),
        "no_deadline": problem_block(user, pending_clause("no_deadline"), (Problem.found_on,)),
        # the ladder reached 约谈/通报 (a flag_admin step): the administrator acts
        "flagged": problem_block(user, flagged_clause(), (Problem.deadline,)),
    }
    late = late_self_checks(user, today)
    total = sum(b["count"] for b in blocks.values()) + sum(r["count"] for r in late) + ungrouped
    return {**blocks, "late_self_checks": late, "units_without_group": ungrouped, "total": total}
