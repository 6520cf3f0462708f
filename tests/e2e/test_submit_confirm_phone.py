"""Submitting a self-check asks first: it lists what is unanswered and says that only an
administrator can reopen it; saying no sends nothing."""
from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from survey.models import Submission
from tests.e2e.test_fill_phone import answer_all_required, district  # noqa: F401  (the fixture)
from tests.e2e.test_phone_flows import login


def test_the_confirmation_lists_unanswered_questions_and_who_can_reopen(live_server, phone, district, db):  # noqa: F811
    login(phone, live_server, "liaison-nyncj")
    phone.wait_for_url(live_server + "/")
    phone.tap("text=开始填写自查表")
    phone.wait_for_url("**/submissions/*")
    answer_all_required(phone, district["self_check"])
    optional = [q for q in district["self_check"].questions if not q.required and q.type != "note"
                and phone.locator(f"#q-{q.name}").is_visible()]
    messages = []

    def say(answer):
        def handle(dialog):
            messages.append(dialog.message)
            dialog.accept() if answer else dialog.dismiss()
        return handle

    phone.once("dialog", say(False))
    phone.tap("[data-submit]")
    expect(phone.locator("[data-submit]")).to_be_enabled()
    assert messages and "只有管理员可以退回重新填写" in messages[0]
    if optional:
        assert f"尚有 {len(optional)} 题未作答" in messages[0]
        assert optional[0].label[:10] in messages[0]
    else:
        assert "所有题目均已作答" in messages[0]
    phone.wait_for_timeout(500)
    db.session.rollback()
    assert db.session.scalar(select(Submission)).state == "draft"  # no means nothing was sent

    phone.once("dialog", say(True))
    phone.tap("[data-submit]")
    expect(phone.locator("[data-submit]")).to_have_count(0, timeout=20000)  # the read-only view
    db.session.rollback()
    assert db.session.scalar(select(Submission)).is_submitted
