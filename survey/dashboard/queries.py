"""The dashboard's read side: a round's (or every round's) figures over the problems the user may
see. Every figure comes from a GROUP BY in the database, each reading one index in order (migration
b3e0c2d4f6a8); a few hundred grouped rows come back, never the problems themselves, except the few
shown in the 逾期/临期 lists.

The scope is the ledger's own (survey.ledger.queries.visible_to), never wider: see make_scope.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Date, Integer, and_, case, cast, func, literal, select, text, type_coerce, union_all
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.elements import ColumnElement

from survey.extensions import db
from survey.ledger.queries import OPEN, local_midnight, visible_to
from survey.models import Problem, ProblemStatus, Round, RoundUnit, Submission, Unit, User, close_rate
from survey.permissions import covered_clause, covered_round_ids, scope_is_everything
from survey.clock import china_date
from survey.dashboard.cache import cached_figures
from survey.filling.queries import rounds_for
from survey.notices.queries import NoticeCounts, notice_counts

EPOCH = date(1970, 1, 1)
JULIAN_EPOCH = 2440587.5        # julianday('1970-01-01')
WEEKS = 26                      # the opened/closed chart: at most half a year of weeks
LIST_SIZE = 5                   # problems shown in each of the 逾期 / 临期 lists


@dataclass
class Scope:
    user: User
    round: Round | None
    where: list[ColumnElement]
    parts: list[list[ColumnElement]] = field(default_factory=lambda: [[]])


@dataclass
class UnitRow:
    unit_id: int
    name: str = ""
    total: int = 0
    by_status: dict = field(default_factory=dict)
    overdue: int = 0
    near: int = 0

    @property
    def closed(self) -> int:
        return self.by_status.get(ProblemStatus.CLOSED, 0)

    @property
    def unclosed(self) -> int:
        return sum(self.by_status.get(s, 0) for s in OPEN)

    @property
    def rate(self) -> float | None:
        return close_rate(self.by_status)


@dataclass
class Week:
    start: date
    opened: int = 0
    closed: int = 0

    @property
    def end(self) -> date:
        return self.start + timedelta(days=6)


def make_scope(user: User, rnd: Round | None) -> Scope:
    """The ledger's scope (visible_to) and the round. Across rounds, an inspector's scope is read in
    parts, one per round in which the groups cover a unit of its scope, one for problems outside
    rounds and one for the other rounds (where a unit outside a round's scope may still be covered
    by its own group), each still ANDed with visible_to: every part reads index ranges in order,
    where visible_to's OR over all the rounds would make the database merge several ranges and sort
    (30-50 ms more per figure)."""
    base = visible_to(select(Problem.id), user).whereclause
    where = [] if base is None else [base]
    if rnd is not None:
        return Scope(user, rnd, [*where, Problem.round_id == rnd.id])
    if not user.is_inspector:
        return Scope(user, None, where)
    rounds = covered_round_ids(user)
    others = sorted(set(db.session.scalars(select(Round.id))) - set(rounds))
    parts = [[Problem.round_id == r] for r in rounds] + [[Problem.round_id.is_(None)]]
    return Scope(user, None, where, parts + ([[Problem.round_id.in_(others)]] if others else []))


def _grouped(scope: Scope, keys: list, aggregates: list, extra=()) -> list:
    """GROUP BY keys over the scope; with parts, one grouped read per part (UNION ALL): callers add up
    the rows (read by name). round_id leads the keys so that reads across rounds follow the indexes;
    with one round it is dropped (a constant: ~2 ms less per 100,000 rows on SQLite)."""
    if scope.round is not None:
        keys = [k for k in keys if k is not Problem.round_id]
    reads = [select(*keys, *aggregates).where(*scope.where, *part, *extra).group_by(*keys) for part in scope.parts]
    return db.session.execute(reads[0] if len(reads) == 1 else union_all(*reads)).all()


def scope_figures(user: User, rnd: Round | None) -> dict:
    """Units in scope, self-checks submitted, units visited (per round; across rounds: units
    counted once, submissions summed)."""
    scope = select(RoundUnit.round_id, RoundUnit.unit_id)
    if rnd is not None:
        scope = scope.where(RoundUnit.round_id == rnd.id)
    if not scope_is_everything(user):
        scope = scope.where(covered_clause(user, RoundUnit.round_id, RoundUnit.unit_id))
    scope = scope.subquery()
    units = db.session.scalar(select(func.count(func.distinct(scope.c.unit_id))))
    subs = dict(db.session.execute(
        select(Submission.kind, func.count()).join(scope, and_(Submission.round_id == scope.c.round_id,
                                                               Submission.unit_id == scope.c.unit_id))
        .where(Submission.state == "submitted").group_by(Submission.kind)).all())
    return {"units": units or 0, "self_checks": subs.get("self_check", 0), "visits": subs.get("visit", 0)}


def by_unit_and_status(scope: Scope, today: date, near_days: int) -> dict[int, UnitRow]:
    """Counts per unit and status, with each unit's 逾期 (open, past the deadline) and 临期 (open, due
    within near_days), in one pass over (round, status, unit, deadline) in index order. Both warnings
    come from one CASE (1 per overdue, BIG per near; cheaper than two FILTERs or a second read on both
    engines), split again here; closed and cancelled rows' warnings are ignored."""
    big = 1_000_000
    warn = case((Problem.deadline < today, 1), (Problem.deadline <= today + timedelta(days=near_days), big),
                else_=0)
    units: dict[int, UnitRow] = {}
    for r in _grouped(scope, [Problem.round_id, Problem.status, Problem.unit_id],
                      [func.count().label("n"), func.sum(warn).label("w")]):
        row = units.setdefault(r.unit_id, UnitRow(r.unit_id))
        row.total += r.n
        row.by_status[r.status] = row.by_status.get(r.status, 0) + r.n
        if r.status in OPEN:
            row.overdue += int(r.w or 0) % big
            row.near += int(r.w or 0) // big
    return units


def breakdown(scope: Scope) -> dict[str, dict[str, int]]:
    """Counts by category, by severity and by source, from one pass over the four columns."""
    out: dict[str, dict[str, int]] = {"category": {}, "severity": {}, "source": {}}
    keys = [Problem.round_id, Problem.category, Problem.severity, Problem.source]
    for r in _grouped(scope, keys, [func.count().label("n")]):
        for key, value in (("category", r.category), ("severity", r.severity), ("source", r.source)):
            out[key][value] = out[key].get(value, 0) + r.n
    return out


def _day_number(column, local: bool):
    """Days since 1970-01-01 as an integer expression; for a UTC timestamp, of its China date."""
    if db.engine.dialect.name == "postgresql":
        day = cast(func.timezone("UTC", column) + timedelta(hours=8), Date) if local else column
        return type_coerce(day - literal(EPOCH, Date), Integer)
    args = (column, "+8 hours") if local else (column,)
    return cast(func.julianday(*args) - JULIAN_EPOCH, Integer)


def _closed():
    return (Problem.status == ProblemStatus.CLOSED, Problem.closed_at.is_not(None))


def weekly(scope: Scope, today: date) -> list[Week]:
    """Problems found and closed (China date of 销号时间) per Monday-to-Sunday week, for at most WEEKS
    weeks up to this week (a round: up to its latest activity, if that is earlier); only those weeks
    are read, by day. (Counting each week's index range instead was a few ms faster on SQLite for one
    round but slower on PostgreSQL, which plans 52 subqueries: not taken.)"""
    end = _last_activity(scope) if scope.round is not None else today
    if end is None:
        return []
    last = _monday(min(end, today))
    weeks = {last - timedelta(weeks=i): Week(last - timedelta(weeks=i)) for i in reversed(range(WEEKS))}
    start = min(weeks)
    for r in _grouped(scope, [Problem.round_id, Problem.found_on], [func.count().label("n")],
                      extra=(Problem.found_on >= start,)):
        if _monday(r.found_on) in weeks:
            weeks[_monday(r.found_on)].opened += r.n
    closed_day = _day_number(Problem.closed_at, local=True).label("closed_day")
    for r in _grouped(scope, [closed_day], [func.count().label("n")],
                      extra=(*_closed(), Problem.closed_at >= local_midnight(start))):
        week = weeks.get(_monday(EPOCH + timedelta(days=r.closed_day)))
        if week is not None:
            week.closed += r.n
    ordered = list(weeks.values())
    active = [i for i, w in enumerate(ordered) if w.opened or w.closed]
    return ordered[active[0]:] if active else []


def _last_activity(scope: Scope) -> date | None:
    """The round's latest 发现时间 or 销号 date: two seeks to the end of the round's index ranges."""
    last_found, last_closed = db.session.execute(select(
        select(func.max(Problem.found_on)).where(*scope.where).scalar_subquery(),
        select(func.max(Problem.closed_at)).where(*scope.where, *_closed()).scalar_subquery())).one()
    ends = [d for d in (last_found, last_closed and china_date(last_closed)) if d]
    return max(ends) if ends else None


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def close_days(scope: Scope) -> dict:
    """Days from 发现时间 to 销号 (China date) of the closed problems: how many, the average and the
    90th percentile (nearest rank), from a histogram of whole days, so both engines agree exactly."""
    days = (_day_number(Problem.closed_at, local=True) - _day_number(Problem.found_on, local=False)).label("d")
    histogram: dict[int, int] = {}
    for r in _grouped(scope, [days], [func.count().label("n")], extra=_closed()):
        d = max(0, int(r.d))                                   # as rules.days_open: never negative
        histogram[d] = histogram.get(d, 0) + r.n
    histogram = sorted(histogram.items())
    total = sum(n for _, n in histogram)
    if not total:
        return {"n": 0, "avg": None, "p90": None}
    rank, seen, p90 = math.ceil(0.9 * total), 0, None
    for d, n in histogram:
        seen += n
        if seen >= rank:
            p90 = d
            break
    return {"n": total, "avg": sum(d * n for d, n in histogram) / total, "p90": p90}


def warning_lists(scope: Scope, today: date, near_days: int) -> tuple[list[Problem], list[Problem]]:
    """The first LIST_SIZE 逾期 (longest overdue first) and 临期 (nearest deadline first) problems. Each
    open status is read on its own along (status, deadline), so every read stops after LIST_SIZE rows
    instead of sorting every overdue problem; the six reads go as one statement, the rows as another."""
    dues = {"overdue": (Problem.deadline < today,),
            "near": (Problem.deadline >= today, Problem.deadline <= today + timedelta(days=near_days))}
    firsts = [select(Problem.id, Problem.deadline, literal(kind).label("kind"))
              .where(*scope.where, Problem.status == status, *due)
              .order_by(Problem.deadline, Problem.id).limit(LIST_SIZE).subquery()
              for kind, due in dues.items() for status in OPEN]
    rows = db.session.execute(union_all(*(select(sub.c.id, sub.c.deadline, sub.c.kind) for sub in firsts))).all()
    picked = {kind: sorted((r for r in rows if r.kind == kind), key=lambda r: (r.deadline, r.id))[:LIST_SIZE]
              for kind in dues}
    ids = [r.id for chosen in picked.values() for r in chosen]
    loaded = {p.id: p for p in db.session.scalars(
        select(Problem).where(Problem.id.in_(ids or [0])).options(joinedload(Problem.unit)))}
    return tuple([loaded[r.id] for r in picked[kind]] for kind in dues)


def unit_names(ids) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(list(ids)))).all())


@dataclass
class Figures:
    round: Round | None
    units: list[UnitRow]                  # worst first: most problems, then most still open
    by_status: dict[str, int]
    overdue: int
    near: int
    overdue_list: list[Problem]
    near_list: list[Problem]
    scope: dict = field(default_factory=dict)        # units / self_checks / visits
    breakdown: dict = field(default_factory=dict)    # category / severity / source -> counts
    weeks: list[Week] = field(default_factory=list)
    close: dict = field(default_factory=lambda: {"n": 0, "avg": None, "p90": None})  # days to close
    notices: NoticeCounts | None = None              # numbered notices by step and unit (issue 14)

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def rate(self) -> float | None:
        return close_rate(self.by_status)


def status_figures(scope: Scope, today: date, near_days: int) -> Figures:
    """What both the dashboard and a liaison's home show: status split, 整改率, 逾期/临期 and lists."""
    units = by_unit_and_status(scope, today, near_days)
    names = unit_names(units)
    by_status: dict[str, int] = {}
    for row in units.values():
        row.name = names.get(row.unit_id, "")
        for status, n in row.by_status.items():
            by_status[status] = by_status.get(status, 0) + n
    ordered = sorted(units.values(), key=lambda r: (-r.total, -r.unclosed, -r.overdue, r.name))
    overdue, near = sum(r.overdue for r in ordered), sum(r.near for r in ordered)
    lists = warning_lists(scope, today, near_days) if overdue or near else ([], [])
    return Figures(round=scope.round, units=ordered, by_status=by_status, overdue=overdue, near=near,
                   overdue_list=lists[0], near_list=lists[1])


def dashboard(user: User, rnd: Round | None, today: date, near_days: int) -> Figures:
    """Every figure of the dashboard for a round (or every round when rnd is None); the numbers are
    reused while the data has not changed (survey.dashboard.cache)."""
    return cached_figures(user, rnd, today, near_days, lambda: compute_dashboard(user, rnd, today, near_days),
                          lambda hit: fill_lists(hit, user, rnd, today, near_days))


def fill_lists(figures: Figures, user: User, rnd: Round | None, today: date, near_days: int) -> Figures:
    """The 逾期/临期 lists (a few rows, read afresh) for cached numbers."""
    if figures.overdue or figures.near:
        figures.overdue_list, figures.near_list = warning_lists(make_scope(user, rnd), today, near_days)
    return figures


def compute_dashboard(user: User, rnd: Round | None, today: date, near_days: int) -> Figures:
    """Every figure, from the database."""
    if db.engine.dialect.name == "postgresql":
        # Each read below takes ~10 ms over an index in order; starting parallel workers for it cost
        # more than it saved (EXPLAIN ANALYZE: Gather Merge 23 ms before its first row; bench/README.md).
        db.session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    scope = make_scope(user, rnd)
    figures = status_figures(scope, today, near_days)
    figures.scope = scope_figures(user, rnd)
    figures.notices = notice_counts(user, rnd.id if rnd else None)
    if figures.units:
        figures.breakdown = breakdown(scope)
        figures.weeks = weekly(scope, today)
        figures.close = close_days(scope)
    return figures


def rounds_for_picker(user: User) -> list[Round]:
    """The rounds a user may pick: every round for administrators, the groups' rounds for inspectors."""
    return rounds_for(user)
