"""The visit review on a 360 px phone (issue 13): 整改时限 pre-filled from the round's defaults and
following the severity until typed, 立行立改 ticked right there, the summary after submit with its
links; and a round that has ended says so instead of offering 提交. Screenshots in the artifacts."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from survey import clock
from survey.models import Problem, ProblemStatus
from tests.e2e.accessibility import audit, failures
from tests.e2e.conftest import WECHAT_UA
from tests.e2e.test_phone_flows import assert_fits_phone, login
from tests.test_visits import onsite_answers, open_visit, world  # noqa: F401


@pytest.fixture()
def phone(browser):
    """A 360×740 touch phone in WeChat's user agent; the CSP bypassed only so axe-core can be injected."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, locale="zh-CN", user_agent=WECHAT_UA,
                                  bypass_csp=True)
    yield context.new_page()
    context.close()


def test_review_defaults_on_site_fix_and_summary_on_a_phone(app, live_server, phone, world, db,  # noqa: F811
                                                             artifacts_dir):
    visit, inspector = open_visit(world, world["unit_a"], db)
    answers = onsite_answers(world["onsite"])
    answers.update({"ob_spirit": "no", "ob_culture": "no"})
    visit.answers = answers
    db.session.commit()
    day = date.fromisoformat(visit.facts["visit_date"])
    rnd = world["round"]
    login(phone, live_server, "insp-a")
    phone.wait_for_url(live_server + "/")
    phone.goto(f"{live_server}/submissions/{visit.id}/review")
    items = phone.locator("[data-found-item]")
    expect(items).to_have_count(2)
    first = items.nth(0)
    severity = first.locator("[data-f=severity]").input_value()
    expect(first.locator("[data-f=deadline]")).to_have_value(rnd.default_deadline(severity, day).isoformat())
    first.locator("[data-f=severity]").select_option("严重")           # the untyped deadline follows
    expect(first.locator("[data-f=deadline]")).to_have_value((day + timedelta(days=10)).isoformat())
    second = items.nth(1)
    second.locator("[data-f=deadline]").fill((day + timedelta(days=5)).isoformat())   # typed: kept
    second.locator("[data-f=severity]").select_option("一般")
    expect(second.locator("[data-f=deadline]")).to_have_value((day + timedelta(days=5)).isoformat())
    toggle = second.locator("label.toggle-on-site")
    box = toggle.bounding_box()
    assert box and box["height"] >= 44, f"立行立改 toggle is {box}"
    toggle.tap()
    result = second.locator("[data-f=on_site_result]")
    expect(result).to_be_visible()
    result.fill("现场更换宣传栏内容，已整改到位")
    assert_fits_phone(phone)
    phone.screenshot(path=str(artifacts_dir / "visit-review-defaults-360.png"), full_page=True)
    problems = audit(phone)
    assert failures(problems) == [], failures(problems)
    phone.locator("[data-submit]").tap()
    phone.wait_for_url(f"{live_server}/submissions/{visit.id}")
    expect(phone.locator("#visit-done-title")).to_have_text("已登记 2 个问题")
    expect(phone.locator(".visit-done")).to_contain_text("其中 1 个立行立改已销号")
    assert_fits_phone(phone)
    phone.screenshot(path=str(artifacts_dir / "visit-submitted-summary-360.png"), full_page=False)
    db.session.rollback()
    stored = list(db.session.scalars(select(Problem).where(Problem.submission_id == visit.id).order_by(Problem.id)))
    assert [(p.severity, p.deadline, p.status) for p in stored] == [
        ("严重", day + timedelta(days=10), ProblemStatus.OPEN),
        ("一般", day + timedelta(days=5), ProblemStatus.CLOSED)]
    phone.get_by_role("link", name="自查与督导比对").tap()
    phone.wait_for_url(f"{live_server}/rounds/{rnd.id}/units/{world['unit_a'].id}/comparison")
    phone.go_back()
    phone.get_by_role("link", name="问诊报告").tap()
    phone.wait_for_url(f"{live_server}/rounds/{rnd.id}/units/{world['unit_a'].id}/report")


def test_an_ended_round_says_so_on_a_phone(app, live_server, phone, world, db, artifacts_dir):  # noqa: F811
    visit, _ = open_visit(world, world["unit_a"], db)
    db.session.commit()
    rnd = world["round"]
    login(phone, live_server, "insp-a")
    phone.wait_for_url(live_server + "/")
    with clock.frozen_at(clock.china_moment(rnd.ends_on + timedelta(days=1), 9)):
        phone.goto(f"{live_server}/submissions/{visit.id}")
        expect(phone.locator(".round-ended")).to_contain_text(f"本批次已于 {rnd.ends_on} 结束")
        expect(phone.locator("[data-submit]")).to_have_count(0)
        assert_fits_phone(phone)
        phone.screenshot(path=str(artifacts_dir / "visit-round-ended-360.png"), full_page=False)
        phone.goto(f"{live_server}/rounds/{rnd.id}")
        expect(phone.locator(".round-ended")).to_contain_text("不再接收自查表和问诊记录")
        found = audit(phone)
        assert failures(found) == [], failures(found)
