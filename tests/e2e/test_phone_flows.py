"""Real Chromium at 360×740: log in, look, manage, and change a first password."""
from __future__ import annotations

from survey.models import Role
from tests.factories import DEFAULT_PASSWORD, make_unit, make_user


def assert_fits_phone(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"horizontal scroll: page is {width}px wide"


def small_tap_targets(page) -> list[str]:
    return page.evaluate("""() => [...document.querySelectorAll(
        '.bottomnav a, button, .btn, input:not([type=hidden]), select')]
        .filter(el => el.offsetParent !== null)
        .map(el => [el, el.getBoundingClientRect()])
        .filter(([el, r]) => r.height < 44)
        .map(([el, r]) => (el.textContent || el.name || el.tagName).trim() + ' ' + Math.round(r.height))""")


def login(page, base, username, password=DEFAULT_PASSWORD):
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.tap("button[type=submit]")


def test_admin_logs_in_on_a_phone(live_server, phone, db, artifacts_dir):
    make_user(Role.ADMIN, username="admin", display_name="区直工委管理员")
    phone.goto(live_server + "/login")
    assert_fits_phone(phone)
    assert small_tap_targets(phone) == []
    phone.screenshot(path=str(artifacts_dir / "login-360.png"), full_page=True)
    login(phone, live_server, "admin", "Wrong#0000")
    assert "用户名或密码错误" in phone.inner_text(".has-error .error")
    login(phone, live_server, "admin")
    phone.wait_for_url(live_server + "/")
    assert "区直工委管理员，您好" in phone.inner_text("h1")
    nav = phone.locator(".bottomnav")
    assert nav.is_visible() and nav.locator("a").all_inner_texts() == ["首页", "批次", "台账", "管理", "消息", "我的"]
    assert_fits_phone(phone)
    assert small_tap_targets(phone) == []
    phone.screenshot(path=str(artifacts_dir / "home-admin-360.png"), full_page=True)
    phone.tap(".bottomnav a[href='/admin']")
    phone.wait_for_url(live_server + "/admin")
    phone.tap("main a[href='/admin/units']")
    phone.wait_for_url(live_server + "/admin/units")
    assert_fits_phone(phone)
    # Chinese actually renders: the heading has a real width, not tofu boxes of zero glyphs.
    assert phone.locator("h1").bounding_box()["width"] > 30


def test_admin_creates_a_liaison_who_then_sets_a_password(live_server, phone, db, browser, artifacts_dir):
    make_user(Role.ADMIN, username="admin")
    make_unit("农业农村局")
    login(phone, live_server, "admin")
    phone.wait_for_url(live_server + "/")
    phone.goto(live_server + "/admin/users/new")
    phone.fill("#username", "liaison-new")
    phone.fill("#display_name", "新联络员")
    phone.select_option("#role", "unit")
    phone.select_option("#unit_id", label="农业农村局")
    phone.fill("#password", "Temp#2026a")
    assert_fits_phone(phone)
    phone.screenshot(path=str(artifacts_dir / "user-new-360.png"), full_page=True)
    phone.locator("form button[type=submit]").first.tap()
    phone.wait_for_url(live_server + "/admin/users")
    assert "首次登录须修改密码" in phone.inner_text(".flash")

    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                                  locale="zh-CN")
    liaison = context.new_page()
    login(liaison, live_server, "liaison-new", "Temp#2026a")
    liaison.wait_for_url(live_server + "/account/password")
    liaison.fill("#current_password", "Temp#2026a")
    liaison.fill("#new_password", "weak")
    liaison.fill("#confirm", "weak")
    liaison.tap("button[type=submit]")
    assert "至少 8 位" in liaison.inner_text(".has-error")
    liaison.fill("#current_password", "Temp#2026a")
    liaison.fill("#new_password", "Mine#2026xy")
    liaison.fill("#confirm", "Mine#2026xy")
    liaison.tap("button[type=submit]")
    liaison.wait_for_url(live_server + "/")
    assert "农业农村局" in liaison.inner_text("main")
    liaison.screenshot(path=str(artifacts_dir / "home-liaison-360.png"), full_page=True)
    context.close()
