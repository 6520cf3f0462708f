"""The first screen of each role: an inspector's visits to do, problems waiting for 核验 and
overdue ones; an administrator's every pending decision (延期 first), never 「暂无待办事项」 while
something waits."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest

from survey.extensions import db as _db
from survey.filling import operations as filling
from survey.filling.problems import create_problems
from survey.ledger import operations
from survey.models import ProblemStatus
from tests.factories import make_ledger_world, make_unit

MAY_10 = datetime(2023, 5, 10, 2, 0, tzinfo=timezone.utc)  # 10:00 China time, inside the 2023 round


@pytest.fixture()
def home_world(db, frozen_clock):
    frozen_clock.set(MAY_10)
    world = make_ledger_world(db)
    problems = create_problems(world["submission"], [
        {"description": "第一议题学习记录不全", "category": "政治机关", "deadline": "2023-05-01"},   # overdue
        {"description": "廉政风险点未更新", "category": "法治型机关", "deadline": "2023-06-30"},
        {"description": "警示教育未开展", "category": "廉洁型机关", "deadline": "2023-06-30"},
        {"description": "无时限的问题", "category": "其他"},
    ], world["admin"], date(2023, 5, 2))
    problems[3].deadline = None  # a self-check problem takes the round's default: cleared, as by an import
    db.session.commit()
    world["problems"] = problems
    return world


def _pending_review(problem):
    problem.status = ProblemStatus.PENDING_REVIEW.value
    _db.session.commit()


def _section(html: str, marker: str) -> str:
    start = html.index(marker)
    return html[start:html.index("</section>", start)]


def test_inspector_home_puts_visits_review_and_overdue_first(home_world, login):
    overdue, to_review = home_world["problems"][0], home_world["problems"][1]
    _pending_review(to_review)
    rnd, unit = home_world["round"], home_world["unit"]
    html = login(home_world["users"]["checker"]).get("/").get_data(as_text=True)
    work = _section(html, 'id="work-title"')
    assert html.index('id="work-title"') < html.index("我的督导组")
    visits = work[work.index('id="visits-to-do"'):]
    assert re.search(r"<b>1</b><span>个单位待上门问诊", visits)  # its own unit only, not the other group's
    assert f'href="/rounds/{rnd.id}/units/{unit.id}/visit"' in visits and "财政局" not in visits
    assert f'href="/rounds/{rnd.id}?show=not_visited"' in visits
    assert re.search(r'href="/ledger\?status=pending_review"><b>1</b><span>个问题待核验销号', work)
    assert f'href="/ledger/{to_review.id}"' in work
    assert re.search(r'href="/ledger\?warn=overdue"><b>1</b><span>个问题逾期未销号', work)
    assert f'href="/ledger/{overdue.id}"' in work and "逾期 9 天" in work


def test_a_submitted_visit_leaves_the_list_and_an_ended_round_shows_none(home_world, login, frozen_clock):
    rnd, unit, checker = home_world["round"], home_world["unit"], home_world["users"]["checker"]
    visit = filling.open_submission(rnd, unit, "visit", checker)
    _db.session.commit()
    client = login(checker)
    assert "问诊中（已保存草稿）" in _section(client.get("/").get_data(as_text=True), 'id="visits-to-do"')
    visit.state = "submitted"
    _db.session.commit()
    assert re.search(r"<b>0</b><span>个单位待上门问诊", client.get("/").get_data(as_text=True))
    visit.state = "draft"
    _db.session.commit()
    frozen_clock.set(datetime(2024, 1, 2, 2, 0, tzinfo=timezone.utc))  # the round has ended
    assert re.search(r"<b>0</b><span>个单位待上门问诊", client.get("/").get_data(as_text=True))


def test_inspector_phone_links_are_tap_sized_and_below_the_work(home_world, login):
    unit = home_world["unit"]
    unit.contact_phone = "13800000000"
    _db.session.commit()
    html = login(home_world["users"]["checker"]).get("/").get_data(as_text=True)
    assert html.index('class="tel" href="tel:13800000000"') > html.index('id="work-title"')
    assert 'details class="group-units"' in html


def test_admin_todo_lists_a_pending_extension(home_world, login):
    problem = home_world["problems"][1]
    operations.ACTIONS["request_extension"](home_world["users"]["unit"], problem, None,
                                            new_deadline=date(2023, 8, 31), comment="需协调上级部门")
    _db.session.commit()
    client = login(home_world["admin"])
    todo = _section(client.get("/").get_data(as_text=True), 'id="todo-title"')
    assert "暂无待办事项" not in todo
    assert re.search(r'href="/ledger\?pending=extension"><b>1</b><span>个延期申请待审批', todo)
    assert f'href="/ledger/{problem.id}"' in todo and "申请延期至 2023-08-31" in todo
    assert re.search(r'href="/ledger\?warn=overdue"><b>1</b><span>个问题逾期未销号', todo)
    assert re.search(r'href="/ledger\?pending=no_deadline"><b>1</b><span>个问题未设整改时限', todo)
    listed = client.get("/ledger?pending=extension").get_data(as_text=True)
    assert problem.code in listed and home_world["problems"][0].code not in listed
    assert "延期待审批" in listed  # its chip


def test_admin_todo_lists_late_self_checks_and_units_without_group(home_world, login, frozen_clock):
    frozen_clock.set(datetime(2023, 5, 2, 2, 0, tzinfo=timezone.utc))  # past the 2023-04-30 self-check deadline
    make_unit("统计局")
    html = login(home_world["admin"]).get("/").get_data(as_text=True)
    todo = _section(html, 'id="todo-title"')
    rnd = home_world["round"]
    assert re.search(rf'href="/rounds/{rnd.id}/progress\?show=not_submitted"><b>2</b><span>个单位自查逾期未提交', todo)
    assert re.search(r'href="/admin/groups"><b>1</b><span>个单位尚未分配督导组', todo)


def test_admin_todo_is_empty_only_when_nothing_waits(db, login, frozen_clock):
    from tests.factories import make_user

    admin = make_user(username="quiet-admin")
    html = login(admin).get("/").get_data(as_text=True)
    assert "暂无待办事项" in _section(html, 'id="todo-title"')
