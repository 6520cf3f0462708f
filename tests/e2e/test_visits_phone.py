"""The visit tools in Chromium: the comparison and the 问诊 pack at 360 px (screenshots), and the
问诊报告 printed to PDF from a phone and from a desktop: the title on page one, every problem on one page."""
from __future__ import annotations

import io

from PIL import Image
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from survey.filling import photos
from survey.models import Problem
from tests.e2e.conftest import WECHAT_UA
from tests.e2e.test_phone_flows import assert_fits_phone, login
from tests.test_filling import compliant_answers
from tests.test_visits import onsite_answers, open_visit, submit_self_check, submit_visit, world  # noqa: F401

FINDINGS = [f"第{i}项：{'干部学习笔记内容雷同，部分心得体会为复制粘贴，未体现个人思考与工作结合；' * 3}"
            for i in range(1, 9)]


def visited(app, world, db) -> list[Problem]:  # noqa: F811
    own = compliant_answers(world["self_check"])
    own["p3"] = "no"
    submit_self_check(world, world["unit_a"], own, db)
    visit, inspector = open_visit(world, world["unit_a"], db)
    buf = io.BytesIO()
    Image.new("RGB", (400, 300), (30, 120, 60)).save(buf, "JPEG")
    photos.store_photo(inspector, visit, "ob_photos", "e2e-photo-1", buf.getvalue(), "会议室.jpg",
                       10 * 1024 * 1024)
    db.session.commit()
    answers = onsite_answers(world["onsite"])
    answers.update({"p1": "no", "p3": "no", "l1": "no", "ob_spirit": "no", "f_learning": "\n".join(FINDINGS)})
    found = [{"key": "p1", "deadline": "2023-07-31"}, {"key": "l1", "deadline": "2023-08-15"}] + [
        {"key": f"f_learning#{i}", "deadline": f"2023-09-{i:02d}"} for i in range(1, 9)]
    sub = submit_visit(world, world["unit_a"], answers, db, found=found)
    stmt = select(Problem).where(Problem.submission_id == sub.id).order_by(Problem.code)
    return list(db.session.scalars(stmt))


def pdf_pages(page) -> list[str]:
    data = page.pdf(format="A4", print_background=True)
    return [p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages]


def compact(text: str) -> str:
    return "".join(text.split())


def check_report_pdf(page, problems, label):
    pages = [compact(t) for t in pdf_pages(page)]
    assert len(pages) >= 2, f"{label}: the report should run over pages, got {len(pages)}"
    assert "农业农村局上门问诊报告" in pages[0], f"{label}: no title on page one"
    assert "督导组成员签字" in pages[-1] and "台账" not in pages[0], f"{label}: print shows the menus or no signatures"
    assert pages[-1].index("督导组成员签字") >= 20, f"{label}: the signatures stand alone on the last page"
    for p in problems:
        holding = [i for i, text in enumerate(pages) if p.code in text]
        assert holding, f"{label}: {p.code} missing from the PDF"
        tail = compact(p.description)[-12:]
        assert any(tail in pages[i] and f"整改时限{p.deadline or '未设定'}" in pages[i] for i in holding), \
            f"{label}: {p.code} is cut across pages"


def test_comparison_pack_and_report_on_a_phone(app, live_server, browser, world, db,  # noqa: F811
                                               artifacts_dir):
    problems = visited(app, world, db)
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, locale="zh-CN", user_agent=WECHAT_UA)
    phone = context.new_page()
    login(phone, live_server, "insp-a")
    phone.wait_for_url(live_server + "/")
    rid, uid = world["round"].id, world["unit_a"].id
    phone.goto(f"{live_server}/rounds/{rid}")
    phone.get_by_role("link", name="自查与督导比对 · 按单位排名").tap()
    phone.wait_for_url(f"{live_server}/rounds/{rid}/comparison")
    expect(phone.locator(".rank-row").first).to_contain_text("农业农村局")
    assert_fits_phone(phone)
    phone.screenshot(path=str(artifacts_dir / "visits-ranking-360.png"), full_page=True)
    phone.go_back()
    phone.screenshot(path=str(artifacts_dir / "visits-round-360.png"), full_page=True)
    phone.locator(".card", has_text="农业农村局").get_by_role("link", name="比对").tap()
    phone.wait_for_url(f"{live_server}/rounds/{rid}/units/{uid}/comparison")
    # hidden: items p1 and l1, the eight 学习型机关 findings, 作风建设 (ob_spirit); p3 the unit said 否 itself
    expect(phone.locator("#hidden-count")).to_have_text("11")
    assert phone.locator(".cmp-hidden").count() == 4
    assert_fits_phone(phone)
    phone.screenshot(path=str(artifacts_dir / "visits-comparison-360.png"), full_page=True)
    phone.get_by_role("link", name="问诊包").first.tap()
    phone.wait_for_url(f"{live_server}/rounds/{rid}/units/{uid}/pack")
    expect(phone.locator("#contact")).to_contain_text("13900000001")
    expect(phone.locator("#gaps")).to_contain_text("是否第一时间传达学习党的二十大精神")
    assert_fits_phone(phone)
    phone.screenshot(path=str(artifacts_dir / "visits-pack-360.png"), full_page=True)
    pack_pages = pdf_pages(phone)
    assert len(pack_pages) <= 2 and "农业农村局" in pack_pages[0], f"the pack prints on {len(pack_pages)} pages"
    phone.get_by_role("link", name="问诊报告").first.tap()
    phone.wait_for_url(f"{live_server}/rounds/{rid}/units/{uid}/report")
    expect(phone.locator(".doc-thumbs img")).to_have_count(1)
    phone.wait_for_function("() => [...document.images].every(img => img.complete && img.naturalWidth > 0)")
    assert_fits_phone(phone)
    phone.screenshot(path=str(artifacts_dir / "visits-report-360.png"), full_page=True)
    check_report_pdf(phone, problems, "phone")
    context.close()

    desktop = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", has_touch=True)
    page = desktop.new_page()
    login(page, live_server, "boss")
    page.wait_for_url(live_server + "/")
    page.goto(f"{live_server}/rounds/{rid}/units/{uid}/report")
    page.wait_for_function("() => [...document.images].every(img => img.complete && img.naturalWidth > 0)")
    check_report_pdf(page, problems, "desktop")
    (artifacts_dir / "visits-report.pdf").write_bytes(page.pdf(format="A4", print_background=True))
    page.set_viewport_size({"width": 794, "height": 1123})      # A4 at 96 dpi: how the print looks
    page.emulate_media(media="print")
    page.screenshot(path=str(artifacts_dir / "visits-report-print.png"), full_page=True)
    page.goto(f"{live_server}/rounds/{rid}/units/{uid}/pack")
    page.screenshot(path=str(artifacts_dir / "visits-pack-print.png"), full_page=True)
    desktop.close()
