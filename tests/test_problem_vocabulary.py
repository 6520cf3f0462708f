"""One vocabulary for a problem: the status and source enums with their labels, the OPEN and FINAL
sets, the transitions table that rules, operations, views and templates share, the close-out rate,
answers as text, and the one module that writes problems and their events."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select, text

from forms.ledger import BulkForm, ProblemActionForm
from survey.filling.problems import create_problems
from survey.ledger import operations, rules
from survey.ledger.transitions import ACTION_LABELS, BULK_ACTIONS, TRANSITIONS
from survey.models import FINAL, OPEN, Problem, ProblemSource, ProblemStatus, close_rate
from survey.questionnaires.cache import QuestionView
from survey.questionnaires.display import answer_text
from survey.permissions import ADMIN, CHECKER, UNIT
from tests.conftest import do_login
from tests.factories import make_ledger_world

ROOT = Path(__file__).resolve().parent.parent
# Written out independently of survey.models: the codes already stored in every database.
STORED_STATUSES = {"open": "待整改", "in_progress": "整改中", "pending_review": "待核验", "closed": "已销号",
                   "cancelled": "已撤销"}
STORED_SOURCES = {"self_check": "自查", "visit": "上门问诊", "daily": "日常监督", "import": "导入"}


def test_the_enums_are_the_stored_codes_with_their_labels():
    assert {s.value: s.label for s in ProblemStatus} == STORED_STATUSES
    assert {s.value: s.label for s in ProblemSource} == STORED_SOURCES
    assert ProblemStatus("closed") is ProblemStatus.CLOSED and ProblemStatus.CLOSED == "closed"
    assert f"{ProblemStatus.PENDING_REVIEW}" == "pending_review"     # as a template prints it


def test_open_and_final_split_every_status():
    assert set(OPEN) | set(FINAL) == set(ProblemStatus) and not set(OPEN) & set(FINAL)
    assert FINAL == (ProblemStatus.CLOSED, ProblemStatus.CANCELLED)


@pytest.fixture()
def world(app, db):
    return make_ledger_world(db)


def new_problem(world, status="open", **values) -> Problem:
    [problem] = create_problems(world["submission"], [{"description": "会议记录不全", "category": "其他"}],
                                world["admin"], date(2023, 5, 1))
    problem.status = status
    for key, value in values.items():
        setattr(problem, key, value)
    return problem


def test_statuses_and_sources_are_stored_as_plain_codes(db, world):
    p = new_problem(world)
    operations.accept(world["users"]["unit"], p, p.lock_version, measures="补齐", responsible_person="王五",
                      planned_on=None)
    db.session.commit()
    row = db.session.execute(text("SELECT status, source FROM problems WHERE id = :id"), {"id": p.id}).one()
    assert tuple(row) == ("in_progress", "self_check")
    events = db.session.execute(text("SELECT from_status, to_status FROM problem_events WHERE problem_id = :id "
                                     "ORDER BY id"), {"id": p.id}).all()
    assert [tuple(e) for e in events] == [("", "open"), ("open", "in_progress")]
    assert db.session.scalar(select(Problem.id).where(Problem.status == ProblemStatus.IN_PROGRESS)) == p.id


def test_every_transition_is_complete(app):
    form_fields = set(ProblemActionForm.__dict__) | {n for c in ProblemActionForm.__mro__ for n in vars(c)}
    assert set(operations.ACTIONS) == set(TRANSITIONS)
    for t in TRANSITIONS.values():
        assert t.label and ACTION_LABELS[t.name] == t.label
        assert t.sources and t.sources <= set(ProblemStatus)
        assert t.target is None or t.target in ProblemStatus
        assert t.who and t.who <= {UNIT, CHECKER, ADMIN}
        assert set(t.fields) <= form_fields, t.name
        assert not t.needs_comment or "comment" in t.fields, t.name
    assert set(BULK_ACTIONS) <= set(TRANSITIONS)


def test_the_bulk_form_offers_the_table_s_labels(app):
    with app.test_request_context():
        assert BulkForm(meta={"csrf": False}).action.choices == [(n, TRANSITIONS[n].label) for n in BULK_ACTIONS]


def test_the_action_route_takes_exactly_the_table_s_actions(app):
    [rule] = [r for r in app.url_map.iter_rules() if r.endpoint == "ledger.act"]
    assert set(rule._converters["action"].items) == set(TRANSITIONS)


def test_the_guards_need_and_refuse_a_pending_extension(db, world):
    admin, unit = world["admin"], world["users"]["unit"]
    p = new_problem(world)
    assert rules.refusal("approve_extension", admin, p, None) == "该问题没有待审批的延期申请"
    assert rules.refusal("request_extension", unit, p, operations.scope_of(p)) is None
    p.extension_deadline = date(2023, 9, 30)
    assert rules.refusal("approve_extension", admin, p, None) is None
    assert rules.refusal("request_extension", unit, p, operations.scope_of(p)) == "已有待审批的延期申请"


def page_actions(app, user, problem_id: int) -> tuple[list[str], str]:
    client = app.test_client()
    assert do_login(client, user.username).status_code == 302
    html = client.get(f"/ledger/{problem_id}").get_data(as_text=True)
    html = html.split('class="card actions-panel"', 1)[1].split("</section>", 1)[0] if "actions-panel" in html else ""
    return re.findall(rf'action="/ledger/{problem_id}/(\w+)"', html), html


@pytest.mark.parametrize("status", [s.value for s in ProblemStatus])
@pytest.mark.parametrize("role", ["unit", "checker", "admin"])
def test_the_page_shows_a_button_for_each_allowed_action_with_its_fields(app, db, world, status, role):
    p = new_problem(world, status)
    db.session.commit()
    user = world["users"][role]
    shown, html = page_actions(app, user, p.id)
    assert shown == rules.allowed_actions(user, p, operations.scope_of(p))
    for name in shown:
        t = TRANSITIONS[name]
        assert f"确认{t.label}" in html
        form = html.split(f'action="/ledger/{p.id}/{name}"', 1)[1].split("</form>", 1)[0]
        assert set(re.findall(r'name="(\w+)"', form)) - {"csrf_token", "lock_version"} == set(t.fields)


def test_close_rate_is_closed_over_all_but_cancelled():
    assert close_rate({"closed": 2, "cancelled": 1, "open": 1, "in_progress": 1}) == 0.5
    assert close_rate({ProblemStatus.CLOSED: 3}) == 1.0
    assert close_rate({"cancelled": 4}) is None and close_rate({}) is None


def question(type_: str, choices=()) -> QuestionView:
    return QuestionView(name="q", type=type_, label="题", hint="", required=False, required_message="",
                        appearance="", parameters={}, relevant_ast=None, constraint_ast=None, constraint_message="",
                        problem_if_ast=None, problem_category="", problem_severity="", choices=tuple(choices))


@pytest.mark.parametrize("type_, value, expected", [
    ("check", "no", "否"), ("multiple", ["a", "zz"], "甲、zz"), ("single", "a", "甲"), ("score", 7.0, "7 分"),
    ("decimal", 87.5, "87.5"), ("integer", 42.0, "42"), ("photo", 2, "2 张照片"), ("text", "记录不全", "记录不全"),
    ("single", None, ""), ("multiple", [], ""), ("text", "", "")])
def test_answer_text(type_, value, expected):
    choices = [{"name": "a", "label": "甲"}] if type_ != "check" else [{"name": "yes", "label": "是"},
                                                                        {"name": "no", "label": "否"}]
    assert answer_text(question(type_, choices), value) == expected


def sources(folder: str, suffix: str):
    return [(p.relative_to(ROOT).as_posix(), p.read_text(encoding="utf-8")) for p in (ROOT / folder).rglob(suffix)]


def test_only_ledger_creation_writes_events_and_numbers():
    for path, source in sources("survey", "*.py"):
        if path in ("survey/ledger/creation.py", "survey/models/problem.py"):
            continue
        assert "ProblemEvent(" not in source, path
        assert "values(problem_seq" not in source and "_next_codes" not in source, path


def test_every_event_action_written_has_a_label():
    written = set()
    for _, source in sources("survey", "*.py"):
        written |= set(re.findall(r'record_event\([^,]+,\s*"(\w+)"', source))
        written |= set(re.findall(r'action(?:: str)? ?= ?"(\w+)"', source))
        written |= set(re.findall(r'_event\(actor, problem, "(\w+)"', source))
    assert {"create", "import", "close_on_site", "add_evidence"} <= written
    assert written <= set(ACTION_LABELS), written - set(ACTION_LABELS)


def test_templates_do_not_retype_statuses_or_sources():
    codes = "|".join(list(STORED_STATUSES) + [s for s in STORED_SOURCES if s not in ("self_check", "visit")])
    labels = "|".join(list(STORED_STATUSES.values()) + ["日常监督"])
    retyped = re.compile(rf"""['"]({codes})['"]|({labels})(?![\u4e00-\u9fff])""")  # a label, not in a phrase
    for path, source in sources("templates", "*.html"):
        found = [m.group(0) for m in retyped.finditer(source)]
        assert not found, (path, found)
    for path, source in sources("templates", "*.html"):
        assert "'自查', 'visit'" not in source and "problem.source == '" not in source, path
