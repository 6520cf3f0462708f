"""photos.js in real Chromium at phone size: shrink, upload, wait offline, retry, delete."""
from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import func, select

from survey.models import Photo
from tests.e2e.test_phone_flows import assert_fits_phone, login
from tests.test_photos import build_world, image_bytes

INPUT = ".q-photo[data-name='ph'] input[type=file]"
THUMBS = ".q-photo[data-name='ph'] .thumb"


def photo_count(db) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(Photo.id)))


@pytest.fixture()
def filling(app, db, live_server, phone, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    world = build_world(db)
    login(phone, live_server, world.liaison.username)
    phone.wait_for_url(lambda url: "/login" not in url)
    phone.goto(f"{live_server}/submissions/{world.self_check}")
    phone.wait_for_selector(INPUT, state="attached")
    return world, tmp_path / "uploads"


def big_jpeg() -> dict:
    return {"name": "现场.jpg", "mimeType": "image/jpeg", "buffer": image_bytes("JPEG", size=(2400, 1800))}


def test_photo_is_shrunk_uploaded_and_counted(filling, phone, db, artifacts_dir):
    world, updir = filling
    phone.set_input_files(INPUT, files=[big_jpeg()])
    phone.wait_for_selector(f"{THUMBS}[data-state=done]")
    assert phone.inner_text(f"{THUMBS} .thumb-status") == "已上传"
    assert phone.get_attribute(".q-photo[data-name='ph']", "data-count") == "1"
    db.session.rollback()
    row = db.session.scalars(select(Photo)).one()
    assert (row.width, row.height, row.original_name) == (1600, 1200, "现场.jpg")
    with Image.open(io.BytesIO((updir / row.stored_name).read_bytes())) as im:
        assert im.format == "JPEG" and im.size == (1600, 1200)
    box = phone.locator(f"{THUMBS} .thumb-del").bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44
    assert_fits_phone(phone)
    phone.screenshot(path=str(artifacts_dir / "photos-360.png"), full_page=False)


def test_offline_upload_waits_and_goes_when_the_network_returns(filling, phone, db):
    phone.context.set_offline(True)
    phone.set_input_files(INPUT, files=[big_jpeg()])
    expect(phone.locator(f"{THUMBS} .thumb-status")).to_have_text("等待网络，稍后自动重试")
    assert phone.evaluate("SurveyPhotos.pending()") == 1
    assert photo_count(db) == 0
    phone.context.set_offline(False)
    # at once on the `online` event, not at the next retry (2 s after the failure)
    expect(phone.locator(f"{THUMBS}[data-state=done]")).to_have_count(1, timeout=1500)
    assert phone.evaluate("SurveyPhotos.pending()") == 0
    assert photo_count(db) == 1


def test_limit_server_refusal_and_delete(filling, phone, db):
    world, updir = filling
    phone.on("dialog", lambda d: d.accept())
    bad = {"name": "假.jpg", "mimeType": "image/jpeg", "buffer": b"not a picture at all"}
    phone.set_input_files(INPUT, files=[bad])
    phone.wait_for_selector(f"{THUMBS}[data-state=error]")
    assert phone.inner_text(f"{THUMBS} .thumb-status") == "文件不是有效的图片"
    assert phone.get_attribute(".q-photo[data-name='ph']", "data-count") in ("", None)
    phone.tap(f"{THUMBS}[data-state=error] .thumb-del")
    assert phone.locator(THUMBS).count() == 0

    phone.set_input_files(INPUT, files=[big_jpeg(), big_jpeg(), big_jpeg()])  # max=2
    expect(phone.locator(f"{THUMBS}[data-state=done]")).to_have_count(2)
    assert "本题最多上传 2 张照片" in phone.inner_text(".q-photo[data-name='ph'] [data-error]")
    assert photo_count(db) == 2 and len(list(updir.iterdir())) == 2

    phone.tap(f"{THUMBS} .thumb-del")
    expect(phone.locator(THUMBS)).to_have_count(1)
    assert photo_count(db) == 1 and len(list(updir.iterdir())) == 1
    assert phone.get_attribute(".q-photo[data-name='ph']", "data-count") == "1"


def test_existing_photos_are_shown(filling, phone, db):
    phone.evaluate("SurveyPhotos.addExisting('ph', [{id: 7, url: '/photos/7', name: '旧.jpg'}])")
    assert phone.locator(f"{THUMBS}[data-state=done]").count() == 1
    assert phone.get_attribute(".q-photo[data-name='ph']", "data-count") == "1"
