"""The inbox on a 360 px phone: the liaison taps the 消息 badge in the bottom bar, sees the unread
message, follows it to its problem (it is then read); the inbox, the channel pages and the failures
page pass axe (no critical/serious), the 44 px tap targets and have no repeated ids."""
from __future__ import annotations

from datetime import date

import pytest

from survey.clock import utcnow
from survey.filling.problems import create_problems
from survey.models import Channel, Delivery, Message
from tests.e2e.accessibility import AXE, audit, failures
from tests.e2e.conftest import WECHAT_UA
from tests.e2e.test_phone_flows import login
from tests.factories import make_ledger_world


@pytest.fixture()
def phone(browser):
    """A 360 px WeChat phone; bypass_csp lets the audit inject axe under the app's CSP."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                                  locale="zh-CN", user_agent=WECHAT_UA, bypass_csp=True)
    yield context.new_page()
    context.close()


@pytest.fixture()
def world(db):
    w = make_ledger_world(db)
    [problem] = create_problems(w["submission"], [{"description": "学习记录不全", "category": "政治机关",
                                                    "deadline": "2023-07-01"}], w["admin"], date(2023, 5, 1))
    db.session.flush()
    msg = Message(dedupe_key="e2e-1", user_id=w["users"]["unit"].id, unit_id=w["unit"].id, round_id=w["round"].id,
                  problem_id=problem.id, subject="到期督办：学习记录不全", body="该问题今天到期，请尽快整改并上传佐证。",
                  link=f"/ledger/{problem.id}", urgent=True)
    db.session.add_all([msg, Message(dedupe_key="e2e-2", user_id=w["users"]["unit"].id, unit_id=w["unit"].id,
                                     subject="临期提醒：自查表", body="距自查截止还有 3 个工作日。", read_at=utcnow())])
    channel = Channel(owner_kind="unit", owner_id=w["unit"].id, kind="wecom", label="办公室工作群",
                      url="wxbots://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=e2e-secret-key",
                      last_test_at=utcnow(), last_test_error="企业微信机器人 返回 HTTP 500")
    db.session.add(channel)
    db.session.flush()
    db.session.add(Delivery(message_id=msg.id, channel_id=channel.id, status="dead", attempts=5,
                            last_error="企业微信机器人 返回 HTTP 500", last_attempt_at=utcnow()))
    db.session.commit()
    return {**w, "problem": problem, "message": msg, "channel": channel}


def test_the_liaison_opens_the_inbox_from_the_badge_and_follows_a_message(live_server, phone, world, db,
                                                                          artifacts_dir):
    login(phone, live_server, "liaison")
    phone.wait_for_url(lambda url: "/login" not in url)
    badge = phone.locator(".bottomnav a[href='/inbox'] .badge")
    assert badge.inner_text() == "1"
    phone.locator(".bottomnav a[href='/inbox']").tap()
    phone.wait_for_url("**/inbox")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    unread = phone.locator(".inbox-list .is-unread")
    assert unread.count() == 1 and "到期督办：学习记录不全" in unread.inner_text()
    phone.screenshot(path=str(artifacts_dir / "inbox-360.png"), full_page=True)
    if AXE.exists():
        assert failures(audit(phone)) == []
    unread.locator("a", has_text="到期督办").tap()
    phone.wait_for_url(f"**/ledger/{world['problem'].id}")
    assert "学习记录不全" in phone.content()
    assert phone.locator(".bottomnav a[href='/inbox'] .badge").count() == 0
    db.session.rollback()
    assert db.session.get(Message, world["message"].id).read_at is not None


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed (npm ci --prefix tests/e2e/axe)")
def test_the_channel_pages_pass_the_accessibility_audit(live_server, phone, world, artifacts_dir):
    login(phone, live_server, "boss")
    phone.wait_for_url(lambda url: "/login" not in url)
    problems = []
    for name, path in (("channels", f"/admin/channels/unit/{world['unit'].id}"),
                       ("channel-edit", f"/admin/channels/{world['channel'].id}/edit"),
                       ("failed", "/admin/deliveries/failed"), ("inbox-admin", "/inbox"), ("home-admin", "/")):
        phone.goto(live_server + path)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360, path
        phone.screenshot(path=str(artifacts_dir / f"{name}-360.png"), full_page=True)
        problems += [f"{path}: {f}" for f in failures(audit(phone))]
        assert "e2e-secret-key" not in phone.content()
    assert problems == []
