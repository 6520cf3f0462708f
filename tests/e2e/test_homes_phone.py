"""At 360×740 in the WeChat browser: an inspector's first screen holds the visits to do; the ledger
shows its list first, the filters behind 筛选 and the active ones as chips that remove themselves."""
from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from survey.clock import today
from survey.extensions import db as _db
from survey.filling import operations as filling
from survey.filling.problems import create_problems
from survey.models import ProblemStatus, Role
from tests.e2e.test_phone_flows import assert_fits_phone, login, small_tap_targets
from tests.factories import make_forms, make_group, make_unit, make_user

FOLD = 740 - 60  # the viewport less the bottom bar


def small_links(page, selector: str) -> list[str]:
    return page.evaluate("""(sel) => [...document.querySelectorAll(sel)]
        .filter(el => el.offsetParent !== null)
        .map(el => [el, el.getBoundingClientRect()])
        .filter(([el, r]) => r.height < 44 || r.width < 44)
        .map(([el, r]) => el.textContent.trim().slice(0, 20) + ' ' + Math.round(r.width) + 'x' + Math.round(r.height))""",
                         selector)


def district(units: int = 43):
    """An open round around today: one group covering all units, problems waiting and overdue."""
    admin = make_user(Role.ADMIN, username="admin")
    inspector = make_user(Role.INSPECTOR, username="inspector1", display_name="督导员")
    rows = [make_unit(f"区直单位{i:02d}", contact_name="联络员", contact_phone=f"1380000{i:04d}") for i in range(units)]
    make_group("第一督导组", members=[inspector], units=rows)
    versions = make_forms(admin)
    day = today()
    rnd = filling.create_round(admin, name="本年度上门问诊", code="R1", starts_on=day - timedelta(days=20),
                               ends_on=day + timedelta(days=60), self_check_deadline=day + timedelta(days=10),
                               self_check_version=versions[0], onsite_version=versions[1], units=rows)
    liaison = make_user(Role.UNIT, username="liaison", unit=rows[0])
    sub = filling.open_submission(rnd, rows[0], "self_check", admin)
    _db.session.commit()
    items = [{"description": f"问题{i}：台账记录不全", "category": "政治机关" if i % 2 else "其他",
              "deadline": (day - timedelta(days=3) if i < 6 else day + timedelta(days=30)).isoformat()}
             for i in range(17)]
    problems = create_problems(sub, items, admin, day - timedelta(days=10))
    for p in problems[10:12]:
        p.status = ProblemStatus.PENDING_REVIEW.value
    _db.session.commit()
    return {"round": rnd, "liaison": liaison, "inspector": inspector}


def test_inspector_first_screen_holds_the_visits_to_do(live_server, phone, db, artifacts_dir):
    district()
    login(phone, live_server, "inspector1")
    phone.wait_for_url(live_server + "/")
    visits = phone.locator("#visits-to-do").bounding_box()
    assert visits["y"] + 44 < FOLD, visits  # the count line is on the first screen
    first = phone.locator("#visits-to-do .work-item").first.bounding_box()
    assert first["y"] + first["height"] <= FOLD, first
    expect(phone.locator("#visits-to-do .work-count b")).to_have_text("43")
    expect(phone.locator(".work-count", has_text="待核验")).to_contain_text("2")
    expect(phone.locator(".work-count", has_text="逾期")).to_contain_text("6")
    assert_fits_phone(phone)
    assert small_tap_targets(phone) == []
    assert small_links(phone, ".work a, .crumbs a") == []
    phone.screenshot(path=str(artifacts_dir / "home-inspector-360.png"))
    phone.tap("details.group-units summary")
    assert small_links(phone, ".unit-list a.tel") == []
    assert_fits_phone(phone)
    phone.screenshot(path=str(artifacts_dir / "home-inspector-full-360.png"), full_page=True)
    phone.tap("#visits-to-do .work-count")
    assert not phone.locator("input[name=q]").is_visible()  # folded behind one button
    phone.tap("summary:has-text('查找单位')")
    phone.fill("input[name=q]", "单位07")
    phone.locator("form.board-search button").tap()
    expect(phone.locator(".card.item .item-title")).to_have_text(["区直单位07"])
    expect(phone.locator("input[name=q]")).to_be_visible()  # open while a search is on
    assert_fits_phone(phone)
    phone.screenshot(path=str(artifacts_dir / "round-search-360.png"), full_page=True)


def test_ledger_list_first_filters_behind_one_button_chips_remove_themselves(live_server, phone, db, artifacts_dir):
    district(units=3)
    login(phone, live_server, "liaison")
    phone.wait_for_url(live_server + "/")
    phone.goto(live_server + "/ledger?warn=overdue&category=政治机关")
    cards = phone.locator(".cards.ledger .card.item")
    expect(cards).to_have_count(3)  # 问题1, 3, 5: overdue and 政治机关
    assert cards.first.bounding_box()["y"] < FOLD - 100  # the first problem is on the first screen
    assert not phone.locator("select[name=status]").is_visible()
    chips = phone.locator("a.chip:not(.chip-clear)")
    expect(chips).to_have_text(["逾期×", "类别：政治机关×"])
    assert small_links(phone, "a.chip") == []
    assert_fits_phone(phone)
    assert small_tap_targets(phone) == []
    phone.screenshot(path=str(artifacts_dir / "ledger-chips-360.png"))
    phone.tap("summary.filter-toggle")
    expect(phone.locator("select[name=status]")).to_be_visible()
    assert_fits_phone(phone)
    phone.screenshot(path=str(artifacts_dir / "ledger-filters-open-360.png"), full_page=True)
    phone.tap("a.chip:has-text('逾期')")
    phone.wait_for_url("**/ledger?category=*")
    expect(phone.locator("a.chip:not(.chip-clear)")).to_have_text(["类别：政治机关×"])
    expect(cards).to_have_count(8)  # every 政治机关 problem, overdue or not
    phone.tap("a.chip:has-text('类别')")
    phone.wait_for_url(live_server + "/ledger")
    expect(cards).to_have_count(17)
    expect(phone.locator("a.chip")).to_have_count(0)
