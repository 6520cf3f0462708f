"""An administrator edits the 问题类别 list on a phone; the ledger's picker follows."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.test_phone_flows import assert_fits_phone, login
from tests.factories import make_ledger_world


def test_admin_adds_and_retires_a_category_on_a_phone(live_server, phone, db, artifacts_dir):
    make_ledger_world(db)
    login(phone, live_server, "boss")
    phone.wait_for_url(live_server + "/")
    phone.goto(live_server + "/admin")
    phone.tap("text=问题类别")
    phone.fill("input[name=name] >> nth=0", "选人用人")
    phone.tap("button:text-is('新增')")
    expect(phone.locator(".flash-success")).to_contain_text("选人用人")
    assert_fits_phone(phone)
    phone.screenshot(path=str(artifacts_dir / "categories-360.png"), full_page=True)
    phone.goto(live_server + "/ledger/new")
    expect(phone.locator("select[name=category] option", has_text="选人用人")).to_have_count(1)
    phone.goto(live_server + "/admin/categories")
    card = phone.locator("li.card", has=phone.locator("input[value='选人用人']"))
    card.locator("button:text-is('停用')").tap()
    expect(phone.locator("li.card.is-muted")).to_have_count(1)
    phone.goto(live_server + "/ledger/new")
    expect(phone.locator("select[name=category] option", has_text="选人用人")).to_have_count(0)
