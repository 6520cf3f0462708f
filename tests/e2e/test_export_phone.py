"""导出Excel on a 360 px phone: the file as it downloads, and a large export's progress page."""
from __future__ import annotations

import io
import re
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.e2e.test_phone_flows import assert_fits_phone, login
from tests.test_export import data_rows, world  # noqa: F401  (the ledger world, the clock at 2026-03-02)
from tests.test_export_jobs import running_worker, worker  # noqa: F401  (a real `flask worker` runs big exports)


def test_liaison_exports_from_a_phone(live_server, phone, app, db, world, artifacts_dir, monkeypatch,  # noqa: F811
                                      worker):  # noqa: F811
    login(phone, live_server, "liaison")
    phone.wait_for_url(live_server + "/")
    phone.goto(live_server + "/ledger?status=open")
    assert_fits_phone(phone)
    button = phone.get_by_role("link", name="导出Excel")
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box["height"] >= 40 and box["x"] + box["width"] <= 360
    phone.screenshot(path=str(artifacts_dir / "ledger-export-360.png"))
    with phone.expect_download() as info:
        button.tap()
    download = info.value
    assert download.suggested_filename == "问题台账_20260302.xlsx"
    wb = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    assert [r[1] for r in data_rows(wb["问题台账"])] == ["2023-003", "2023-001"]   # the unit's open ones
    assert "状态 待整改" in wb["问题台账"]["A2"].value

    monkeypatch.setitem(app.config, "EXPORT_SYNC_MAX_ROWS", 2)   # now it goes to the background
    phone.goto(live_server + "/ledger")
    phone.get_by_role("link", name="导出Excel").tap()
    phone.wait_for_url(re.compile(r"/exports/\d+$"))
    get = phone.get_by_role("link", name=re.compile("下载"))
    expect(get).to_be_visible(timeout=30000)      # the page refreshes itself until the file is ready
    assert_fits_phone(phone)
    phone.screenshot(path=str(artifacts_dir / "export-job-360.png"), full_page=True)
    with phone.expect_download() as info:
        get.tap()
    assert len(data_rows(load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))["问题台账"])) == 5


def test_a_running_export_shows_its_progress(live_server, phone, db, world, artifacts_dir, frozen_clock):  # noqa: F811
    from survey.models import ExportJob

    job = ExportJob(user_id=world["users"]["unit"].id, kind="ledger", params={"filters": {}}, status="running",
                    file_name="问题台账_20260302.xlsx", total=120000, progress=48000, started_at=frozen_clock.now)
    db.session.add(job)
    db.session.commit()
    login(phone, live_server, "liaison")
    phone.wait_for_url(live_server + "/")
    phone.goto(f"{live_server}/exports/{job.id}")
    expect(phone.locator("progress")).to_have_attribute("value", "48000")
    expect(phone.get_by_text("40%")).to_be_visible()
    assert_fits_phone(phone)
    phone.screenshot(path=str(artifacts_dir / "export-job-running-360.png"), full_page=True)
    job.status, job.progress = "done", 120000    # the page refreshes itself; no file: it says so
    db.session.commit()
    expect(phone.get_by_text("文件已超过保存期限")).to_be_visible(timeout=10000)
