"""统计看板 on a 360 px phone and a 1280 px screen, and a liaison's own figures on the home page:
nothing overflows, chart labels stay inside their charts, numbers lead to the ledger."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.test_phone_flows import assert_fits_phone, login, small_tap_targets
from tests.test_dashboard import world  # noqa: F401  (the fixture: two rounds, four units, 120 problems)

# Every <text> of every chart inside its <svg>'s box (so no label is clipped); offenders listed.
CLIPPED = """() => [...document.querySelectorAll('svg.chart')].filter(s => s.getBoundingClientRect().width > 0)
  .flatMap(svg => { const box = svg.getBoundingClientRect();
    return [...svg.querySelectorAll('text')].map(t => [t.textContent, t.getBoundingClientRect()])
      .filter(([_, r]) => r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1
                          || r.bottom > box.bottom + 1)
      .map(([text, r]) => text + ' @' + Math.round(r.left) + '-' + Math.round(r.right)); })"""
SMALLEST_TEXT = """() => Math.min(...[...document.querySelectorAll('svg.chart text')]
  .filter(t => t.getBoundingClientRect().height > 0).map(t => t.getBoundingClientRect().height))"""


def test_dashboard_on_a_phone(live_server, phone, world, artifacts_dir):  # noqa: F811
    login(phone, live_server, "boss")
    phone.wait_for_url(live_server + "/")
    phone.locator("main a", has_text="统计看板").tap()
    phone.wait_for_url(re.compile(r".*/dashboard$"))
    expect(phone.locator("h1")).to_contain_text("统计看板")
    phone.select_option("select[name=round]", "all")
    phone.locator(".dash-picker button").tap()
    expect(phone.locator("h1 small")).to_have_text("全部批次")
    assert_fits_phone(phone)
    assert small_tap_targets(phone) == []
    assert phone.evaluate(CLIPPED) == []
    assert phone.evaluate(SMALLEST_TEXT) >= 9.5        # chart text stays readable when scaled down
    expect(phone.locator("svg.chart:visible")).to_have_count(6)
    phone.screenshot(path=str(artifacts_dir / "dashboard-360.png"), full_page=True)
    phone.locator("#h-cat ~ details summary").tap()
    expect(phone.locator("#h-cat ~ details table")).to_be_visible()
    assert_fits_phone(phone)
    overdue = int(phone.locator(".dash-tiles .stat", has_text="逾期").first.locator("b").inner_text())
    phone.locator(".dash-tiles .stat", has_text="逾期").first.tap()
    phone.wait_for_url(re.compile(r".*/ledger\?warn=overdue$"))
    expect(phone.locator("h1 small")).to_have_text(str(overdue))


def test_dashboard_on_a_wide_screen(live_server, browser, world, artifacts_dir):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", has_touch=True)
    page = context.new_page()
    login(page, live_server, "insp2")
    page.wait_for_url(live_server + "/")
    page.locator(".topnav a", has_text="看板").click()
    expect(page.locator(".dash-grid")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert page.evaluate(CLIPPED) == []
    assert page.evaluate(SMALLEST_TEXT) <= 20          # charts do not blow up on a wide screen
    expect(page.locator("svg.chart:visible")).to_have_count(6)
    page.screenshot(path=str(artifacts_dir / "dashboard-1280.png"), full_page=True)
    context.close()


def test_a_liaisons_home_shows_the_units_figures(live_server, phone, world, artifacts_dir):  # noqa: F811
    login(phone, live_server, "liaison")
    phone.wait_for_url(live_server + "/")
    expect(phone.locator("#h-status")).to_contain_text("本单位问题")
    expect(phone.locator(".bottomnav a", has_text="看板")).to_have_count(0)
    assert_fits_phone(phone)
    assert phone.evaluate(CLIPPED) == []
    for unit in ("财政局", "统计局", "区委办"):
        expect(phone.locator("main")).not_to_contain_text(unit)
    phone.screenshot(path=str(artifacts_dir / "home-liaison-360.png"), full_page=True)
