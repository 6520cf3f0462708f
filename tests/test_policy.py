"""The access policy's coverage rule, stated once as a table: for every kind of viewer and every
situation a unit can be in, whether the viewer reaches the unit's records there. The same table
holds the Python check (covers), the SQL clause (covered_clause, over problems and round_units)
and roles_of to agreeing, row for row. Then the live consequence: whoever may register a problem
for a unit in a round can always open it."""
from __future__ import annotations

from datetime import date

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from survey.extensions import db as _db
from survey.filling import operations as filling
from survey.models import Problem, Role, RoundUnit, Unit
from survey.permissions import (
    ADMIN, CHECKER, UNIT, LinkScope, Viewer, covered_clause, covered_units_clause, covers, roles_of, viewer_of)
from survey.permissions.viewer import UNIT_KIND
from tests.conftest import csrf_from
from tests.factories import make_forms, make_group, make_unit, make_user

# Situations: (round, unit). R is the round, R2 and R3 later ones; None: a problem outside rounds.
SITUATIONS = {
    "own group":             ("R", "own"),        # unit in group A now; R assigns it to A
    "own group, outside":    (None, "own"),       # no round: the unit's current group (A)
    "own group, other round": ("R2", "own"),      # R2 assigns it to A as well
    "reassigned unit":       ("R", "moved"),      # R assigns it to B; it is in group A now
    "reassigned, outside":   (None, "moved"),     # outside rounds its current group counts: A
    "round assigns no group": ("R", "unassigned"),  # in R's scope without a group; in group A now
    "unit not in the round": ("R", "outside"),    # not in R's scope at all; in group A
    "not in a round A has no unit in": ("R3", "outside"),  # R3's scope is unit b only
    "unit without a group":  ("R", "orphan"),     # no group in R, none now
    "no group, outside":     (None, "orphan"),
    "other group's unit":    ("R", "b"),          # group B, R assigns B
}
WHO = ("admin", "inspector A", "inspector B", "inspector no group", "disabled inspector A",
       "liaison own", "liaison B", "disabled liaison own", "link own R", "anonymous")
# One row per situation, one column per viewer in WHO order: 1 = reaches the unit's records there.
TABLE = {
    "own group":              (1, 1, 0, 0, 0, 1, 0, 0, 1, 0),
    "own group, outside":     (1, 1, 0, 0, 0, 1, 0, 0, 0, 0),
    "own group, other round": (1, 1, 0, 0, 0, 1, 0, 0, 0, 0),
    "reassigned unit":        (1, 0, 1, 0, 0, 0, 0, 0, 0, 0),
    "reassigned, outside":    (1, 1, 0, 0, 0, 0, 0, 0, 0, 0),
    "round assigns no group": (1, 1, 0, 0, 0, 0, 0, 0, 0, 0),
    "unit not in the round":  (1, 1, 0, 0, 0, 0, 0, 0, 0, 0),
    "not in a round A has no unit in": (1, 1, 0, 0, 0, 0, 0, 0, 0, 0),
    "unit without a group":   (1, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    "no group, outside":      (1, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    "other group's unit":     (1, 0, 1, 0, 0, 0, 1, 0, 0, 0),
}
ROLE = {"admin": ADMIN, "inspector A": CHECKER, "inspector B": CHECKER, "liaison own": UNIT,
        "liaison B": UNIT, "link own R": UNIT}


def _round(admin, forms, name, code, units, assigned):
    return filling.create_round(admin, name=name, code=code, starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31),
                                self_check_deadline=date(2026, 6, 30), self_check_version=forms[0],
                                onsite_version=forms[1], units=units, groups=assigned)


@pytest.fixture()
def world(db):
    admin = make_user(Role.ADMIN, username="p-admin")
    units = {k: make_unit(f"政策单位{k}") for k in ("own", "moved", "unassigned", "outside", "orphan", "b")}
    insp_a, insp_b = make_user(Role.INSPECTOR, username="p-a"), make_user(Role.INSPECTOR, username="p-b")
    disabled_a = make_user(Role.INSPECTOR, username="p-a-off", is_disabled=True)
    a = make_group("政策A组", members=[insp_a, disabled_a],
                   units=[units[k] for k in ("own", "moved", "unassigned", "outside")])
    b = make_group("政策B组", members=[insp_b], units=[units["b"]])
    forms = make_forms(admin)
    in_r = [units[k] for k in ("own", "moved", "unassigned", "orphan", "b")]
    rounds = {"R": _round(admin, forms, "政策批次", "P", in_r,
                          {units["moved"].id: b.id, units["unassigned"].id: None, units["orphan"].id: None}),
              "R2": _round(admin, forms, "政策批次二", "Q", [units["own"]], {}),
              "R3": _round(admin, forms, "政策批次三", "S", [units["b"]], {}), None: None}
    db.session.flush()
    problems = {}
    for n, (name, (r, u)) in enumerate(SITUATIONS.items()):
        rnd = rounds[r]
        problems[name] = Problem(code=f"POL-{n}", round_id=rnd.id if rnd else None, unit_id=units[u].id,
                                 category="其他", description=name, source="daily", found_on=date(2026, 3, 1))
        db.session.add(problems[name])
    liaison = make_user(Role.UNIT, username="p-liaison", unit=units["own"])
    who = {"admin": admin, "inspector A": insp_a, "inspector B": insp_b,
           "inspector no group": make_user(Role.INSPECTOR, username="p-none"), "disabled inspector A": disabled_a,
           "liaison own": liaison, "liaison B": make_user(Role.UNIT, username="p-liaison-b", unit=units["b"]),
           "disabled liaison own": make_user(Role.UNIT, username="p-off", unit=units["own"], is_disabled=True),
           "link own R": Viewer(UNIT_KIND, liaison.id, unit_id=units["own"].id,
                                link=LinkScope(1, rounds["R"].id, units["own"].id)),
           "anonymous": AnonymousUserMixin()}
    db.session.commit()
    return {"who": who, "problems": problems, "rounds": rounds, "units": units, "groups": {"A": a, "B": b}}


def test_the_table_names_every_situation_and_viewer():
    assert set(TABLE) == set(SITUATIONS) and all(len(row) == len(WHO) for row in TABLE.values())


@pytest.mark.parametrize("who", WHO)
def test_the_coverage_rule_in_python_and_in_sql_agrees_with_the_table(db, world, who):
    user = world["who"][who]
    sql_problems = set(db.session.scalars(
        select(Problem.id).where(covered_clause(user, Problem.round_id, Problem.unit_id))))
    sql_round_units = set(db.session.execute(select(RoundUnit.round_id, RoundUnit.unit_id).where(
        covered_clause(user, RoundUnit.round_id, RoundUnit.unit_id))).tuples())
    sql_units = set(db.session.scalars(select(Unit.id).where(covered_units_clause(user, Unit.id))))
    column = WHO.index(who)
    for situation, row in TABLE.items():
        problem, expected = world["problems"][situation], bool(row[column])
        where = f"{who} / {situation}"
        assert covers(user, problem.round_id, problem.unit_id) is expected, f"covers: {where}"
        assert (problem.id in sql_problems) is expected, f"covered_clause on problems: {where}"
        if problem.round_id is not None and _db.session.get(RoundUnit, (problem.round_id, problem.unit_id)):
            pair = (problem.round_id, problem.unit_id)
            assert (pair in sql_round_units) is expected, f"covered_clause on round_units: {where}"
        assert roles_of(user, problem) == ({ROLE[who]} if expected else set()), f"roles_of: {where}"
        if expected:  # a unit reached in some situation is one a unit picker offers
            assert problem.unit_id in sql_units, f"covered_units_clause: {where}"


@pytest.mark.parametrize("who", ("admin", "inspector A", "inspector B", "liaison own"))
def test_the_dashboard_counts_what_the_ledger_lists(db, world, who):
    """Across rounds the dashboard reads an inspector's scope in parts (per round, outside rounds,
    the other rounds): together they hold every problem of the scope, once."""
    from survey.dashboard.queries import make_scope, status_figures
    from survey.ledger.queries import LedgerFilter, query_ledger

    user = world["who"][who]
    expected = sum(row[WHO.index(who)] for row in TABLE.values())
    _, listed = query_ledger(user, LedgerFilter(), date(2026, 3, 2), 7)
    figures = status_figures(make_scope(user, None), date(2026, 3, 2), 7)
    assert listed == figures.total == expected


def test_a_viewer_is_computed_once_per_request(app, db, world):
    with app.test_request_context():
        user = world["who"]["inspector A"]
        assert viewer_of(user) is viewer_of(user)
        assert viewer_of(user).group_ids == {world["groups"]["A"].id}


# --- the live consequence: registered, then opened ---------------------------------------------

@pytest.mark.parametrize("situation,inspector", [
    ("reassigned unit", "inspector B"),        # the round's group, not the unit's current one
    ("round assigns no group", "inspector A"),  # the unit's current group
    ("unit not in the round", "inspector A"),
])
def test_an_inspector_who_registers_a_problem_can_open_it(client, db, login, world, situation, inspector):
    round_key, unit_key = SITUATIONS[situation]
    rnd, unit = world["rounds"][round_key], world["units"][unit_key]
    login(world["who"][inspector])
    token = csrf_from(client.get("/ledger/new").get_data(as_text=True))
    resp = client.post("/ledger/new", data={
        "csrf_token": token, "round_id": rnd.id, "unit_id": unit.id, "category": "其他", "severity": "一般",
        "description": f"登记后打开：{situation}", "found_on": "2026-03-02"})
    assert resp.status_code == 303, resp.get_data(as_text=True)[:300]
    opened = client.get(resp.headers["Location"])
    assert opened.status_code == 200 and f"登记后打开：{situation}" in opened.get_data(as_text=True)


def test_an_inspector_of_another_group_may_not_register_for_a_reassigned_unit(client, db, login, world):
    rnd, unit = world["rounds"]["R"], world["units"]["moved"]   # R gives it to B; it is in A now
    login(world["who"]["inspector A"])
    token = csrf_from(client.get("/ledger/new").get_data(as_text=True))
    resp = client.post("/ledger/new", data={
        "csrf_token": token, "round_id": rnd.id, "unit_id": unit.id, "category": "其他", "severity": "一般",
        "description": "不该登记", "found_on": "2026-03-02"})
    assert resp.status_code == 403 and "只有负责该单位的督导组成员或管理员可以登记问题" in resp.get_data(as_text=True)
    assert db.session.scalar(select(Problem.id).where(Problem.description == "不该登记")) is None


# --- the signed-link session is checked by its own hook ---------------------------------------

def test_enforce_access_refuses_a_link_session_its_hook_did_not_check(app, db):
    from flask import session
    from werkzeug.exceptions import Forbidden

    from survey.permissions import enforce_access
    from survey.permissions.link_session import enforce_link_session

    with app.test_request_context("/ledger"):
        session["_user_id"] = "link:1:nonce"
        with pytest.raises(Forbidden):
            enforce_access()         # without the link hook, a link session reaches nothing
    with app.test_request_context("/ledger"):
        session["_user_id"] = "link:1:nonce"   # an unknown link: the hook answers (refusal page)
        assert enforce_link_session()[1] == 403
