"""The 问诊包 and the 问诊报告 of the living demo printed by Chromium (page.pdf, A4), read back with
pypdf: a pack on at most two pages, a report whose last page holds more than the signature lines.

The units are the demo's heaviest packs (the most HTML) and a spread of the earlier round's reports
(that round's reports end with one problem, where the signatures used to fall onto a page of their
own). The PDFs are kept in tests/artifacts/print/ to look at."""
from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from survey.models import Submission
from survey.seed import seed_demo
from survey.seed_data import DEMO_PASSWORD
from tests.e2e.test_phone_flows import login

SIGNATURES = "督导组成员签字：被督导单位负责人签字：日期："


@pytest.fixture()
def demo(app, db, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "instance"))
    seed_demo()
    db.session.commit()
    visits = list(db.session.scalars(select(Submission).where(Submission.kind == "visit")
                                     .order_by(Submission.round_id, Submission.unit_id)))
    return [(v.round_id, v.unit_id) for v in visits]


def printed(page, url: str, artifacts, name: str) -> list[str]:
    page.goto(url)
    page.wait_for_function("() => [...document.images].every(img => img.complete)")
    data = page.pdf(format="A4", print_background=True)
    (artifacts / name).write_bytes(data)
    return ["".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(data)).pages]


def test_the_demo_prints_packs_on_two_pages_and_reports_with_signed_content(app, live_server, browser, demo,
                                                                            artifacts_dir):
    artifacts = artifacts_dir / "print"
    artifacts.mkdir(exist_ok=True)
    client = app.test_client()
    from tests.conftest import do_login
    assert do_login(client, "admin", DEMO_PASSWORD).status_code == 302
    sizes = {(r, u): len(client.get(f"/rounds/{r}/units/{u}/pack").data) for r, u in demo}
    heaviest = sorted(sizes, key=lambda k: (-sizes[k], k))[:4]
    earlier_round = min(r for r, _ in demo)
    reports = [k for k in demo if k[0] == earlier_round][::6] + heaviest

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", has_touch=True)
    page = context.new_page()
    login(page, live_server, "admin", DEMO_PASSWORD)
    page.wait_for_url(live_server + "/")
    failures = []
    for r, u in heaviest:
        pages = printed(page, f"{live_server}/rounds/{r}/units/{u}/pack", artifacts, f"pack-{r}-{u}.pdf")
        if len(pages) > 2 or "问诊包" not in pages[0]:
            failures.append(f"pack {r}/{u}: {len(pages)} pages")
    for r, u in reports:
        pages = printed(page, f"{live_server}/rounds/{r}/units/{u}/report", artifacts, f"report-{r}-{u}.pdf")
        last = pages[-1]
        if SIGNATURES not in last or len(last.replace(SIGNATURES, "")) < 20:
            failures.append(f"report {r}/{u}: last of {len(pages)} pages is {last[:80]!r}")
    context.close()
    assert len(reports) >= 12 and not failures, "\n".join(failures)
