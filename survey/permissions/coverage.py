"""THE coverage rule: which units, in which rounds, a viewer reaches. Written once as a Python check
(covers) and once as the matching SQL clause (covered_clause); tests/test_policy.py holds them to
agreeing row for row. No other module decides scope.

The group that covers a unit in a round is the round's assignment (round_units.group_id); when the
round assigns no group (the unit is not in the round's scope, or its row has no group) and for
problems outside any round, it is the unit's current group (units.group_id). An inspector reaches
what the groups cover; a liaison the unit (in a signed-link session: the link's round of it only);
an administrator everything; anyone else nothing."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, false, func, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from survey.extensions import db
from survey.models import RoundUnit, Unit
from survey.permissions.viewer import Viewer, viewer_of


def covering_group_id(round_id: int | None, unit_id: int, round_unit: RoundUnit | None = None) -> int | None:
    """The group covering unit_id in round_id (None: outside rounds): the round's assignment, else
    the unit's current group. round_unit: the (round, unit) row when the caller holds it already."""
    if round_id is not None:
        if round_unit is None or (round_unit.round_id, round_unit.unit_id) != (round_id, unit_id):
            round_unit = db.session.get(RoundUnit, (round_id, unit_id))
        if round_unit is not None and round_unit.group_id is not None:
            return round_unit.group_id
    unit = db.session.get(Unit, unit_id)
    return unit.group_id if unit is not None else None


def covering_group_column(round_col, unit_col) -> ColumnElement:
    """The SQL form of covering_group_id, for set-based work over many (round, unit) rows (the
    reminder scan): the round's assignment, else the unit's current group."""
    assigned = (select(RoundUnit.group_id).where(RoundUnit.round_id == round_col, RoundUnit.unit_id == unit_col)
                .correlate_except(RoundUnit).scalar_subquery())
    own = select(Unit.group_id).where(Unit.id == unit_col).correlate_except(Unit).scalar_subquery()
    return func.coalesce(assigned, own)


def covers(user, round_id: int | None, unit_id: int, round_unit: RoundUnit | None = None) -> bool:
    """May user see and work on unit_id's records of round_id (None: records outside rounds)?"""
    viewer = viewer_of(user)
    if viewer.is_admin:
        return True
    if viewer.link is not None:
        return (round_id, unit_id) == (viewer.link.round_id, viewer.link.unit_id)
    if viewer.is_liaison:
        return unit_id == viewer.unit_id
    if viewer.is_inspector:
        return covering_group_id(round_id, unit_id, round_unit) in viewer.group_ids
    return False


@dataclass(frozen=True)
class Reach:
    """An inspector's coverage as sets, for SQL: the units whose current group is one of the
    viewer's (own), the rounds that assign such a unit to another group (taken: unit -> rounds),
    and the units other groups own that a round assigns to the viewer's groups (extra: round -> units)."""
    own: frozenset[int]
    taken: dict[int, frozenset[int]]
    extra: dict[int, frozenset[int]]


def reach_of(viewer: Viewer) -> Reach:
    if "reach" not in viewer.cache:
        groups = viewer.group_ids
        own = set(db.session.scalars(select(Unit.id).where(Unit.group_id.in_(groups or {0}))))
        taken: dict[int, set[int]] = {}
        extra: dict[int, set[int]] = {}
        rows = db.session.execute(select(RoundUnit.round_id, RoundUnit.unit_id, RoundUnit.group_id).where(
            RoundUnit.group_id.is_not(None), or_(RoundUnit.group_id.in_(groups or {0}),
                                                 RoundUnit.unit_id.in_(own or {0}))))
        for round_id, unit_id, group_id in rows:
            if group_id in groups and unit_id not in own:
                extra.setdefault(round_id, set()).add(unit_id)
            elif group_id not in groups and unit_id in own:
                taken.setdefault(unit_id, set()).add(round_id)
        viewer.cache["reach"] = Reach(frozenset(own), {u: frozenset(r) for u, r in taken.items()},
                                      {r: frozenset(u) for r, u in extra.items()})
    return viewer.cache["reach"]


def _inspector_clause(reach: Reach, round_col, unit_col) -> ColumnElement:
    """Own units in every round that does not give them to another group, plus the extra pairs.
    Spelled out as literal ids so that the database filters with its indexes."""
    by_taken: dict[frozenset[int], list[int]] = {}
    for unit_id in sorted(reach.own):
        by_taken.setdefault(reach.taken.get(unit_id, frozenset()), []).append(unit_id)
    parts = []
    for rounds, units in by_taken.items():
        in_units = unit_col.in_(units)
        parts.append(in_units if not rounds else
                     and_(in_units, or_(round_col.is_(None), round_col.not_in(sorted(rounds)))))
    parts += [and_(round_col == r, unit_col.in_(sorted(units))) for r, units in sorted(reach.extra.items())]
    return or_(*parts) if parts else false()


def covered_clause(user, round_col, unit_col) -> ColumnElement:
    """The SQL form of covers(user, round_col, unit_col), for any table with a round and a unit
    column (problems, round_units, submissions)."""
    viewer = viewer_of(user)
    if viewer.is_admin:
        return true()
    if viewer.link is not None:
        return and_(round_col == viewer.link.round_id, unit_col == viewer.link.unit_id)
    if viewer.is_liaison:
        return unit_col == viewer.unit_id
    if viewer.is_inspector:
        return _inspector_clause(reach_of(viewer), round_col, unit_col)
    return false()


def covered_units_clause(user, unit_col) -> ColumnElement:
    """Units user covers in some round or outside rounds (what a unit picker may offer)."""
    viewer = viewer_of(user)
    if viewer.is_admin:
        return true()
    if viewer.is_liaison:
        return unit_col == viewer.unit_id
    if viewer.is_inspector:
        reach = reach_of(viewer)
        units = reach.own.union(*reach.extra.values())
        return unit_col.in_(sorted(units)) if units else false()
    return false()


def covered_round_ids(user) -> list[int]:
    """The rounds in which user covers at least one unit of the round's scope."""
    stmt = select(RoundUnit.round_id).where(covered_clause(user, RoundUnit.round_id, RoundUnit.unit_id))
    return list(db.session.scalars(stmt.distinct().order_by(RoundUnit.round_id)))


def scope_is_everything(user) -> bool:
    return viewer_of(user).is_admin
