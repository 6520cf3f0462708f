"""The one place problems and their events are written, and problem numbers given out.

Self-check and visit submissions (filling), a problem registered by hand or fixed on site
(operations), and the ledger importer all create problems through create_problems; every
ProblemEvent of the application is built by record_event. Flush only: the caller commits."""
from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select, update

from survey.extensions import db
from survey.models import Problem, ProblemEvent, ProblemStatus, Round


def next_codes(round_id: int, count: int) -> list[str]:
    """Reserve count problem numbers in the round: 2023-001, 2023-002, ... never reused."""
    if count <= 0:
        return []
    db.session.execute(update(Round).where(Round.id == round_id)
                       .values(problem_seq=Round.problem_seq + count))
    rnd = db.session.execute(select(Round.code, Round.problem_seq).where(Round.id == round_id)).one()
    first = rnd.problem_seq - count + 1
    return [f"{rnd.code}-{n:03d}" for n in range(first, rnd.problem_seq + 1)]


def next_code(round_id: int) -> str:
    return next_codes(round_id, 1)[0]


def highest_in_pattern(rnd: Round, codes: Sequence[str | None]) -> int:
    """The highest sequence number among codes written in the round's own pattern (2023-045)."""
    pattern = re.compile(rf"{re.escape(rnd.code)}-(\d{{1,9}})")
    return max((int(m.group(1)) for c in codes if c and (m := pattern.fullmatch(c))), default=0)


def reserve_given_codes(rnd: Round, codes: Sequence[str | None]) -> None:
    """Numbers given from outside in the round's pattern move its sequence past them, so numbers
    given out later never collide with them."""
    highest = highest_in_pattern(rnd, codes)
    if highest:
        db.session.execute(update(Round).where(Round.id == rnd.id, Round.problem_seq < highest)
                           .values(problem_seq=highest))


def record_event(problem: Problem, action: str, actor_id: int | None, *, before: str = "", comment: str = "",
                 changes: dict | None = None) -> ProblemEvent:
    """One line of a problem's history, to its current status (added to the session, not flushed)."""
    event = ProblemEvent(problem_id=problem.id, actor_id=actor_id, action=action, from_status=str(before or ""),
                         to_status=str(problem.status), comment=(comment or "").strip()[:2000],
                         changes=changes or {})
    db.session.add(event)
    return event


def create_problems(rnd: Round, rows: Sequence[dict], *, actor_id: int | None, action: str = "create",
                    comment: str = "", changes: Sequence[dict] | None = None) -> list[Problem]:
    """Create one problem per dict of column values in the round, each with its creation event
    (action, comment, and changes[i]). A row's own "code" is kept (and reserved); the others get
    the round's next numbers in order. Status defaults to 待整改; flushes (IntegrityError on a taken
    number reaches the caller)."""
    if not rows:
        return []
    given = [row.get("code") for row in rows]
    reserve_given_codes(rnd, given)
    numbers = iter(next_codes(rnd.id, sum(1 for c in given if not c)))
    problems = []
    for row in rows:
        values = {"status": ProblemStatus.OPEN, "created_by_id": actor_id, **row, "round_id": rnd.id}
        values["code"], values["status"] = values.get("code") or next(numbers), str(values["status"])
        problems.append(Problem(**values))
    db.session.add_all(problems)
    db.session.flush()
    for i, problem in enumerate(problems):
        record_event(problem, action, actor_id, comment=comment, changes=changes[i] if changes else None)
    return problems


def create_problem(rnd: Round, *, actor_id: int | None, comment: str = "", changes: dict | None = None,
                   **values) -> Problem:
    """One problem with its creation event (see create_problems)."""
    [problem] = create_problems(rnd, [values], actor_id=actor_id, comment=comment,
                                changes=[changes] if changes else None)
    return problem
