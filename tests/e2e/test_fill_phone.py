"""A liaison fills the self-check on a phone through a lost signal; an inspector records a visit."""
from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from survey import clock
from survey.filling import operations as filling
from survey.models import Problem, Role, Submission
from survey.seed import load_builtin_questionnaires
from tests.e2e.conftest import CHROMIUM_ARGS, WECHAT_UA
from tests.e2e.test_phone_flows import assert_fits_phone, login
from tests.factories import still_open, make_group, make_unit, make_user


@pytest.fixture()
def district(db):
    admin = make_user(Role.ADMIN, username="admin")
    unit = make_unit("农业农村局")
    inspector = make_user(Role.INSPECTOR, username="inspector1", display_name="周督导")
    make_group("第一督导组", members=[inspector], units=[unit])
    make_user(Role.UNIT, username="liaison-nyncj", unit=unit)
    self_check, onsite = load_builtin_questionnaires(admin)
    rnd = filling.create_round(admin, name="2023年廉洁机关建设上门问诊", code="2023", starts_on=date(2023, 3, 1),
                               ends_on=still_open(date(2023, 12, 31)), self_check_deadline=date(2023, 4, 30),
                               self_check_version=self_check, onsite_version=onsite, units=[unit])
    db.session.commit()
    return {"round": rnd.id, "unit": unit.id, "self_check": self_check}


def answer_all_required(page, version):
    for q in version.questions:
        sel = f"#q-{q.name}"
        if not q.required or page.locator(sel).is_hidden() or page.locator(f"{sel} input:checked").count():
            continue
        if q.type == "check":
            page.tap(f"{sel} .opt:nth-child(1)")
        elif q.type in ("single", "score"):
            page.tap(f"{sel} .opt:last-child" if q.type == "score" else f"{sel} .opt:nth-child(1)")
        elif q.type == "integer":
            page.fill(f"{sel} input", "6")
        elif q.type == "date":
            page.fill(f"{sel} input", "2023-04-01")
        elif q.type in ("text", "textarea"):
            page.fill(f"{sel} input, {sel} textarea", "张三")


def record_posts(context) -> list[str]:
    """The paths of the POSTs the pages make, in order (service-worker traffic included)."""
    posts: list[str] = []
    context.on("request", lambda req: posts.append(urlsplit(req.url).path) if req.method == "POST" else None)
    return posts


def assert_no_draft_after_submit(posts: list[str]) -> None:
    submits = [i for i, path in enumerate(posts) if path.endswith("/submit")]
    assert submits, posts
    assert [p for p in posts[submits[0]:] if p.endswith("/draft")] == [], posts


def test_self_check_reloads_offline_after_one_visit_and_is_stored_once(live_server, browser, district, db,
                                                                        artifacts_dir):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                                  locale="zh-CN", user_agent=WECHAT_UA, device_scale_factor=2)
    posts = record_posts(context)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # 确定提交自查表？ (tests/e2e/test_submit_confirm_phone.py)
    login(page, live_server, "liaison-nyncj")
    page.wait_for_url(live_server + "/")
    page.tap("text=开始填写自查表")
    page.wait_for_url("**/submissions/*")
    url = page.url
    # The first load of the form, then the signal drops: no second online load.
    page.wait_for_selector("html[data-offline=ready]", state="attached", timeout=10000)
    context.set_offline(True)
    page.tap("#q-p1 .opt:nth-child(1)")
    page.fill("#q-p2 input", "2023-03-15")
    page.tap("#q-p3 .opt:nth-child(2)")           # 否: the explanation box appears
    page.fill("#q-p_note textarea", "传达学习记录不完整，下周补齐")
    assert "离线" in page.inner_text("[data-save-status]")
    page.reload()                                 # offline reload: the cached page, then the local copy
    assert "尚未缓存" not in page.inner_text("body")
    assert page.is_checked("#q-p3 input[value=no]")
    assert page.input_value("#q-p_note textarea") == "传达学习记录不完整，下周补齐"
    assert page.input_value("#q-p2 input") == "2023-03-15"
    stale = page.content()                        # the form as it stands before the submit
    page.goto(live_server + "/")                  # the home page, visited once online, opens offline too
    assert "尚未缓存" not in page.inner_text("body") and "开始填写自查表" in page.inner_text("main")
    page.goto(url)
    answer_all_required(page, district["self_check"])
    assert_fits_phone(page)
    page.tap("[data-submit]")
    expect(page.locator("[data-save-status]")).to_contain_text("待发送")
    page.screenshot(path=str(artifacts_dir / "self-check-offline-queued-360.png"))
    db.session.rollback()
    assert db.session.scalar(select(func.count(Submission.id)).where(Submission.state == "submitted")) == 0

    context.set_offline(False)
    expect(page.locator("[data-submit]")).to_have_count(0, timeout=20000)  # the read-only view
    assert "已提交" in page.inner_text("main")
    page.wait_for_timeout(2500)                   # longer than the autosave delay
    assert_no_draft_after_submit(posts)
    context.set_offline(True)                     # offline again: the submitted view was kept
    page.reload()
    assert "已提交" in page.inner_text("main") and page.locator("[data-submit]").count() == 0
    # Had the view not reached the cache, the old form would come back: it stays read-only.
    page.evaluate("""([url, html]) => caches.open("survey-pages-v1").then(c => c.put(url,
        new Response(html, {headers: {"Content-Type": "text/html; charset=utf-8"}})))""", [url, stale])
    page.reload()
    expect(page.locator("[data-save-status]")).to_contain_text("已提交")
    assert page.locator("[data-submit]").is_disabled()
    page.tap("#q-p1 .opt:nth-child(2)")
    context.set_offline(False)
    page.wait_for_timeout(2500)
    assert_no_draft_after_submit(posts)
    second = context.new_page()                   # a second tab tries again
    second.goto(url)
    assert second.locator("[data-submit]").count() == 0
    db.session.rollback()
    subs = list(db.session.scalars(select(Submission)))
    assert len(subs) == 1 and subs[0].is_submitted
    assert subs[0].answers["p_note"] == "传达学习记录不完整，下周补齐"
    problems = list(db.session.scalars(select(Problem)))
    assert [p.question_name for p in problems] == ["p3"] and problems[0].status == "open"
    context.close()


def test_inspector_records_a_visit_with_problems(live_server, phone, district, db, artifacts_dir):
    posts = record_posts(phone.context)
    login(phone, live_server, "inspector1")
    phone.wait_for_url(live_server + "/")
    # the round's own link (the open round's visits to do, listed first, lead straight to the form)
    phone.tap(f"main a[href='/rounds/{district['round']}']")
    phone.tap('main a.btn-primary:text-is("上门问诊")')
    phone.wait_for_url("**/submissions/*")
    assert_fits_phone(phone)
    phone.fill("#facts-attendees", "局长、纪检组长")
    for q in ("ob_spirit", "ob_culture", "ob_window"):
        phone.tap(f"#q-{q} .opt:nth-child(1)")
    phone.fill("#q-q_record textarea", "询问第一议题落实情况，回答基本清楚")
    phone.tap("#q-q_score .opt:nth-child(9)")
    db.session.rollback()
    onsite = db.session.scalar(select(Submission)).version
    for q in onsite.questions:
        if q.type == "check" and q.section.name not in ("observe",):
            phone.tap(f"#q-{q.name} .opt:nth-child({2 if q.name == 'e3' else 1})")
    phone.fill("#q-f_integrity textarea", "廉洁承诺书未全覆盖")
    phone.tap("#q-s_overall .opt:nth-child(2)")
    expect(phone.locator("[data-save-status]")).to_contain_text("已保存 ")
    phone.screenshot(path=str(artifacts_dir / "visit-form-360.png"))
    phone.tap("[data-go-review]")
    phone.wait_for_url("**/review")
    items = phone.locator("[data-found-item]")
    assert items.count() == 2
    phone.tap("[data-add-found]")
    phone.locator("[data-found-item]").last.locator("[data-f=description]").fill("值班记录不全")
    due = (clock.today() + timedelta(days=45)).isoformat()   # typed over the round's default
    phone.locator("[data-found-item]").first.locator("[data-f=deadline]").fill(due)
    assert_fits_phone(phone)
    phone.screenshot(path=str(artifacts_dir / "visit-review-360.png"), full_page=True)
    phone.tap("[data-submit]")
    expect(phone.locator("[data-submit]")).to_have_count(0, timeout=20000)
    phone.wait_for_timeout(2500)
    assert_no_draft_after_submit(posts)
    db.session.rollback()
    problems = {p.description: p for p in db.session.scalars(select(Problem))}
    assert "廉洁承诺书未全覆盖" in problems and "值班记录不全" in problems
    assert any(p.question_name == "e3" for p in problems.values())
    assert all(p.source == "visit" and p.status == "open" for p in problems.values())
    assert sorted(str(p.deadline) for p in problems.values()).count(due) == 1 and all(p.deadline for p in problems.values())
    assert "由此发现的问题" in phone.inner_text("main")
