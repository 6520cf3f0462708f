"""The built-in questionnaires on a 360 px phone: render, relevance, constraints; authoring a question."""
from __future__ import annotations

from survey.models import Role
from survey.seed import load_builtin_questionnaires
from tests.factories import make_user
from tests.e2e.test_phone_flows import assert_fits_phone, login


def test_builtin_forms_render_and_react_at_360px(live_server, phone, db, artifacts_dir):
    admin = make_user(Role.ADMIN, username="admin")
    self_check, onsite = load_builtin_questionnaires(admin)
    db.session.commit()
    login(phone, live_server, "admin")
    phone.wait_for_url(live_server + "/")
    phone.goto(f"{live_server}/questionnaires/versions/{self_check.id}/preview")
    assert_fits_phone(phone)
    assert phone.locator(".form-section").count() == 7
    assert phone.locator("#q-p2").is_hidden() and phone.locator("#q-p_note").is_hidden()
    total = int(phone.inner_text("[data-total]"))
    phone.tap("#q-p1 .opt:nth-child(1)")          # 是 → the date of the last study appears
    assert phone.locator("#q-p2").is_visible()
    phone.tap("#q-p3 .opt:nth-child(2)")          # 否 → the explanation box appears
    assert phone.locator("#q-p_note").is_visible()
    assert int(phone.inner_text("[data-answered]")) == 2
    assert int(phone.inner_text("[data-total]")) == total + 2
    phone.fill("#q-l5 input", "900")
    phone.dispatch_event("#q-l5 input", "change")
    assert "0 到 500" in phone.inner_text("#q-l5 [data-error]")
    phone.tap("#q-r3 .opt:nth-child(3)")          # 未排查 → the risk-point count disappears
    assert phone.locator("#q-r4").is_hidden()
    phone.screenshot(path=str(artifacts_dir / "self-check-preview-360.png"), full_page=False)
    phone.goto(f"{live_server}/questionnaires/versions/{onsite.id}/preview")
    assert_fits_phone(phone)
    assert phone.locator("#q-ob_photos input[type=file]").get_attribute("accept") == "image/*"
    phone.screenshot(path=str(artifacts_dir / "onsite-preview-360.png"), full_page=False)


def test_admin_adds_a_question_on_a_phone(live_server, phone, db, artifacts_dir):
    make_user(Role.ADMIN, username="admin")
    login(phone, live_server, "admin")
    phone.wait_for_url(live_server + "/")
    phone.tap(".bottomnav a[href='/admin']")
    phone.tap("main a[href='/questionnaires']")
    phone.tap("main a[href='/questionnaires/new']")
    phone.fill("#title", "手机上新建的问卷")
    phone.tap("main button[type=submit]")
    phone.wait_for_url("**/questionnaires/versions/*")
    phone.tap("text=＋ 添加题目")
    phone.select_option("#type", "single")
    assert phone.locator("#choices").is_visible() and phone.locator("#max_photos").is_hidden()
    phone.fill("#name", "scan")
    phone.fill("#label", "廉政风险点排查情况")
    phone.fill("#choices", "full=已全面排查\n部分排查")
    assert_fits_phone(phone)
    phone.screenshot(path=str(artifacts_dir / "question-form-360.png"), full_page=True)
    phone.tap("main form button[type=submit]")
    phone.wait_for_url("**/questionnaires/versions/*")
    assert "廉政风险点排查情况" in phone.inner_text("main")
    phone.once("dialog", lambda d: d.accept())
    phone.tap("main button:has-text('发布')")
    phone.wait_for_selector(".flash-success")
    assert "已发布第 1 版" in phone.inner_text(".flash-success")
    assert phone.locator("text=＋ 添加题目").count() == 0
