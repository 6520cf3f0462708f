"""The rectification loop on phones: accept, report, return, report again, close out; the timeline."""
from __future__ import annotations

from datetime import date

from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from survey.filling.problems import create_problems
from survey.models import Problem, ProblemEvent
from tests.e2e.conftest import WECHAT_UA
from tests.e2e.test_phone_flows import assert_fits_phone, login
from tests.test_ledger import world  # noqa: F401  (the fixture: a unit, its liaison, a covering inspector)


def phone_page(browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                                  locale="zh-CN", user_agent=WECHAT_UA, device_scale_factor=2)
    return context, context.new_page()


def act(page, label, fields=None):
    page.tap(f"summary:text-is('{label}')")
    form = page.locator(f"details[open] form")
    for name, value in (fields or {}).items():
        form.locator(f"[name={name}]").fill(value)
    form.locator("button[type=submit]").tap()
    expect(page.locator(".flash-success")).to_contain_text(label)


def test_the_rectification_loop_on_phones(live_server, browser, world, db, artifacts_dir):  # noqa: F811
    [problem] = create_problems(world["submission"], [{"description": "第一议题学习记录不全", "category": "政治机关",
                                                        "deadline": "2023-07-01"}], world["admin"], date(2023, 5, 1))
    db.session.commit()
    url = f"{live_server}/ledger/{problem.id}"
    unit_ctx, unit = phone_page(browser)
    login(unit, live_server, "liaison")
    unit.wait_for_url(live_server + "/")
    assert "1" in unit.inner_text(".todo-card")
    unit.tap(".bottomnav a[href='/ledger']")
    unit.tap(f"text={problem.code}")
    unit.wait_for_url(url)
    assert_fits_phone(unit)
    act(unit, "接收整改", {"measures": "补齐2023年学习记录并建立台账", "responsible_person": "王五",
                        "planned_on": "2023-06-15"})
    photo = artifacts_dir / "evidence.jpg"
    Image.new("RGB", (800, 600), (200, 40, 40)).save(photo, "JPEG")
    unit.set_input_files("form.evidence-upload input[type=file]", str(photo))
    unit.locator("form.evidence-upload button[type=submit]").tap()
    expect(unit.locator("#evidence img")).to_have_count(1)
    act(unit, "报告完成", {"result": "已补齐记录"})
    insp_ctx, insp = phone_page(browser)
    login(insp, live_server, "checker")
    insp.wait_for_url(live_server + "/")
    insp.goto(url)
    act(insp, "退回", {"comment": "缺少会议记录照片"})
    unit.goto(url)
    act(unit, "报告完成", {"result": "已补充会议记录照片"})
    insp.goto(url)
    act(insp, "核验销号")
    expect(insp.locator("h1")).to_contain_text("已销号")
    timeline = insp.locator(".timeline li")
    expect(timeline).to_have_count(7)
    expect(insp.locator("#evidence img")).to_have_count(1)  # the inspector sees the evidence
    text = insp.inner_text(".timeline")
    for label in ("登记问题", "接收整改", "上传佐证材料", "报告完成", "退回", "缺少会议记录照片", "核验销号"):
        assert label in text
    assert_fits_phone(insp)
    insp.screenshot(path=str(artifacts_dir / "ledger-closed-360.png"), full_page=True)
    db.session.rollback()
    p = db.session.get(Problem, problem.id)
    assert p.status == "closed" and p.result == "已补充会议记录照片"
    actions = [e.action for e in db.session.scalars(select(ProblemEvent).where(ProblemEvent.problem_id == p.id)
                                                    .order_by(ProblemEvent.id))]
    assert actions == ["create", "accept", "add_evidence", "report", "return", "report", "verify"]
    unit_ctx.close()
    insp_ctx.close()
