"""Photo uploads: checked, cleaned of GPS data, stored under random names, idempotent, guarded."""
from __future__ import annotations

import hashlib
import io
import os
import struct
import time
import zlib
from datetime import date

import pytest
from openpyxl import Workbook
from PIL import Image, PngImagePlugin
from sqlalchemy import func, select

from survey import images
from survey.filling import operations, photos
from survey.models import Photo, Role, Submission
from survey.questionnaires.operations import import_questionnaire
from survey.storage import get_storage
from tests.conftest import UserClient, local_disk_only
from tests.storefolder import upload_folder
from tests.factories import still_open, make_group, make_unit, make_user

GPS_IFD = 0x8825


# --- images ---------------------------------------------------------------------------------

def image_bytes(fmt: str = "JPEG", size=(64, 48), mode: str = "RGB", **save) -> bytes:
    im = Image.new(mode, size)
    im.putdata([((x * 4) % 256, (y * 5) % 256, 90) if mode == "RGB" else (x + y) % 256
                for y in range(size[1]) for x in range(size[0])])
    buf = io.BytesIO()
    im.save(buf, fmt, **save)
    return buf.getvalue()


def jpeg_with_gps(orientation: int | None = None) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[GPS_IFD] = {1: "N", 2: (30.0, 15.0, 7.0), 3: "E", 4: (120.0, 9.0, 2.0)}
    if orientation:
        exif[0x0112] = orientation
    return image_bytes("JPEG", exif=exif)


def png_declaring(width: int, height: int) -> bytes:
    """A small PNG whose header claims width x height (a decompression bomb)."""
    data = image_bytes("PNG", size=(8, 8))
    ihdr = b"IHDR" + struct.pack(">II", width, height) + data[24:29]
    return data[:12] + ihdr + struct.pack(">I", zlib.crc32(ihdr)) + data[33:]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- a round with a photo question ----------------------------------------------------------

def workbook() -> bytes:
    wb = Workbook()
    survey = wb.active
    survey.title = "survey"
    for row in (["type", "name", "label", "parameters"], ["image", "ph", "现场照片", "max=2"],
                ["text", "txt", "备注", None]):
        survey.append(row)
    settings = wb.create_sheet("settings")
    settings.append(["form_title", "form_id"])
    settings.append(["照片测试表", "photo_test"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


class World:
    """Two units in a round; `unit`'s liaison fills its self-check, `inspector`'s group visits it."""


def build_world(db) -> World:
    admin = make_user(Role.ADMIN)
    unit, other_unit = make_unit(), make_unit()
    liaison = make_user(Role.UNIT, unit=unit)
    other_liaison = make_user(Role.UNIT, unit=other_unit)
    inspector, stranger = make_user(Role.INSPECTOR), make_user(Role.INSPECTOR)
    group = make_group(members=[inspector], units=[unit])
    other_group = make_group(members=[stranger], units=[other_unit])
    version, _ = import_questionnaire(admin, workbook(), "photos.xlsx", publish=True, kind="self_check")
    rnd = operations.create_round(
        admin, name="照片批次", code="2026", starts_on=date(2026, 3, 1), ends_on=still_open(date(2026, 6, 30)),
        self_check_deadline=date(2026, 4, 30), self_check_version=version, onsite_version=version,
        units=[unit, other_unit], groups={unit.id: group.id, other_unit.id: other_group.id})
    self_check = operations.open_submission(rnd, unit, "self_check", liaison)
    visit = operations.open_submission(rnd, unit, "visit", inspector)
    db.session.commit()
    w = World()
    w.__dict__.update(admin=admin, unit=unit, liaison=liaison, other_liaison=other_liaison,
                      inspector=inspector, stranger=stranger, self_check=self_check.id, visit=visit.id)
    return w


@pytest.fixture()
def world(db):
    return build_world(db)


@pytest.fixture()
def updir(app, tmp_path, monkeypatch):
    """Each test its own instance folder, so uploads are never shared."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return upload_folder(app, "photos", tmp_path / "uploads")


class Phone(UserClient):
    """A phone in the background: photo uploads as JSON."""

    def upload(self, submission_id: int, data: bytes, name: str = "现场.jpg", question: str = "ph",
               client_id: str | None = None, token: str | None = None):
        form = {"file": (io.BytesIO(data), name), "question": question,
                "client_id": client_id if client_id is not None else os.urandom(8).hex()}
        return self.client.post(f"/submissions/{submission_id}/photos", data=form,
                                content_type="multipart/form-data", headers=self.headers(token=token))

    def get(self, url: str):
        return self.client.get(url, headers={"Accept": "application/json"})

    def delete(self, photo_id: int):
        return self.client.post(f"/photos/{photo_id}/delete", headers=self.headers())


def count(db) -> int:
    return db.session.scalar(select(func.count(Photo.id)))


def files(updir) -> list[str]:
    return sorted(p.name for p in updir.iterdir()) if updir.exists() else []


# --- uploads that succeed -------------------------------------------------------------------

def test_jpeg_is_stored_byte_for_byte_under_a_random_name(app, db, world, updir):
    data = image_bytes("JPEG")
    resp = Phone(app, world.liaison).upload(world.self_check, data, name="门口.jpg")
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert (body["question"], body["name"]) == ("ph", "门口.jpg")
    assert (body["size"], body["sha256"]) == (len(data), sha(data))
    assert (body["width"], body["height"]) == (64, 48)
    assert body["url"] == f"/photos/{body['id']}"
    photo = db.session.get(Photo, body["id"])
    assert photo.uploaded_by_id == world.liaison.id and photo.stored_name.endswith(".jpg")
    assert len(photo.stored_name) == 36 and "门口" not in photo.stored_name
    assert files(updir) == [photo.stored_name]
    assert (updir / photo.stored_name).read_bytes() == data


def test_exif_gps_is_removed_and_size_kept(app, db, world, updir):
    data = jpeg_with_gps()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the sample has a position
    body = Phone(app, world.liaison).upload(world.self_check, data).get_json()
    stored = (updir / db.session.get(Photo, body["id"]).stored_name).read_bytes()
    assert body["sha256"] == sha(stored) != sha(data) and body["size"] == len(stored)
    with Image.open(io.BytesIO(stored)) as im:
        assert im.format == "JPEG" and im.size == (64, 48)
        assert not im.getexif().get_ifd(GPS_IFD) and not im.getexif()
        assert "exif" not in im.info and "xmp" not in im.info
    assert b"PhoneMaker" not in stored


def test_exif_orientation_is_applied_before_the_exif_is_dropped(app, db, world, updir):
    body = Phone(app, world.liaison).upload(world.self_check, jpeg_with_gps(orientation=6)).get_json()
    assert (body["width"], body["height"]) == (48, 64)
    with Image.open(updir / db.session.get(Photo, body["id"]).stored_name) as im:
        assert im.size == (48, 64) and not im.getexif()


def exif_of(tags: dict) -> Image.Exif:
    exif = Image.Exif()
    exif.update(tags)
    return exif


def png_with_text() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "张三 13800000000")
    return image_bytes("PNG", pnginfo=info)


@pytest.mark.parametrize("data, secret", [
    (image_bytes("JPEG", xmp=b"<x:xmpmeta>exif:GPSLatitude 30,15N</x:xmpmeta>"), b"GPSLatitude"),
    (image_bytes("JPEG", comment=b"taken at Room 301"), b"Room 301"),
    (png_with_text(), "张三".encode()),
    (image_bytes("WEBP", exif=exif_of({0x010F: "PhoneMaker"})), b"PhoneMaker"),
], ids=["jpeg-xmp", "jpeg-comment", "png-text", "webp-exif"])
def test_other_metadata_is_removed_too(app, db, world, updir, data, secret):
    assert secret in data
    body = Phone(app, world.liaison).upload(world.self_check, data).get_json()
    stored = (updir / db.session.get(Photo, body["id"]).stored_name).read_bytes()
    assert secret not in stored and body["sha256"] == sha(stored)
    with Image.open(io.BytesIO(stored)) as im:
        assert im.size == (64, 48) and not im.getexif()


def test_png_and_webp_are_accepted(app, db, world, updir):
    phone = Phone(app, world.liaison)
    png, webp = image_bytes("PNG", size=(20, 10)), image_bytes("WEBP", size=(10, 20))
    a = phone.upload(world.self_check, png, name="图.png")
    b = phone.upload(world.self_check, webp, name="图.webp")
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.get_json()["sha256"] == sha(png) and b.get_json()["sha256"] == sha(webp)
    assert sorted(n.rpartition(".")[2] for n in files(updir)) == ["png", "webp"]


def test_jpeg_with_appended_html_is_stored_re_encoded_without_it(app, db, world, updir):
    data = image_bytes("JPEG") + b"<html><script>alert(1)</script></html>"
    resp = Phone(app, world.liaison).upload(world.self_check, data)
    assert resp.status_code == 201
    stored = (updir / files(updir)[0]).read_bytes()
    assert b"<html" not in stored and stored.endswith(b"\xff\xd9")
    assert resp.get_json()["sha256"] == sha(stored)


def test_retry_with_the_same_client_id_returns_the_same_photo(app, db, world, updir):
    phone, data = Phone(app, world.liaison), image_bytes("JPEG")
    first = phone.upload(world.self_check, data, client_id="c-123_abc")
    again = phone.upload(world.self_check, data, client_id="c-123_abc")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    assert count(db) == 1 and len(files(updir)) == 1


def test_retry_after_the_form_was_submitted_still_answers_the_first_result(app, db, world, updir):
    phone = Phone(app, world.liaison)
    first = phone.upload(world.self_check, image_bytes("JPEG"), client_id="late-retry")
    db.session.get(Submission, world.self_check).state = "submitted"
    db.session.commit()
    again = phone.upload(world.self_check, image_bytes("JPEG"), client_id="late-retry")
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    assert phone.upload(world.self_check, image_bytes("JPEG")).status_code == 403


def test_more_than_max_is_refused_but_a_retry_at_the_limit_is_not(app, db, world, updir):
    phone = Phone(app, world.liaison)
    assert phone.upload(world.self_check, image_bytes("JPEG"), client_id="one").status_code == 201
    assert phone.upload(world.self_check, image_bytes("PNG"), client_id="two").status_code == 201
    third = phone.upload(world.self_check, image_bytes("JPEG"), client_id="three")
    assert third.status_code == 400
    assert third.get_json() == {"error": "refused", "message": "本题最多上传 2 张照片", "field": "ph"}
    assert phone.upload(world.self_check, image_bytes("PNG"), client_id="two").status_code == 200
    assert count(db) == 2 and len(files(updir)) == 2


# --- uploads that are refused ---------------------------------------------------------------

TRUNCATED = image_bytes("JPEG", size=(200, 150))[:-900]
REFUSED = [
    ("text", b"just some text\n" * 20, "a.txt", 400, "文件不是有效的图片"),
    ("svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "a.svg", 400,
     "文件不是有效的图片"),
    ("html", b"<!doctype html><html><body>hi</body></html>", "a.html", 400, "文件不是有效的图片"),
    ("pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "a.pdf", 400, "文件不是有效的图片"),
    ("jpeg-header-html", b"\xff\xd8\xff\xe0" + b"<html><script>alert(1)</script></html>", "a.jpg", 400,
     "文件不是有效的图片"),
    ("truncated-jpeg", TRUNCATED, "a.jpg", 400, "文件不是有效的图片"),
    ("truncated-png", image_bytes("PNG", size=(100, 100))[:-40], "a.png", 400, "文件不是有效的图片"),
    ("gif", image_bytes("GIF", mode="L"), "a.gif", 400, "文件不是有效的图片"),
    ("empty", b"", "a.jpg", 400, "文件不是有效的图片"),
    ("too-large", b"\xff\xd8\xff\xe0" + b"\0" * (11 * 1024 * 1024), "big.jpg", 413, "照片不能超过 10 MB"),
    ("bomb", png_declaring(30000, 30000), "bomb.png", 400, "图片尺寸过大"),
    ("over-40-megapixels", png_declaring(8000, 6000), "big.png", 400, "图片尺寸过大"),
]


@pytest.mark.parametrize("kind, data, name, status, message", REFUSED, ids=[r[0] for r in REFUSED])
def test_bad_files_are_refused_and_nothing_is_left(app, db, world, updir, kind, data, name, status, message):
    resp = Phone(app, world.liaison).upload(world.self_check, data, name=name)
    assert resp.status_code == status
    assert resp.get_json()["message"] == message
    assert count(db) == 0 and files(updir) == []


def test_photo_size_limit_is_configured(app):
    assert app.config["PHOTO_MAX_BYTES"] == 10 * 1024 * 1024


@pytest.mark.parametrize("question, client_id, message", [
    ("txt", "x1", "题目不存在或不是照片题"),
    ("nope", "x2", "题目不存在或不是照片题"),
    ("ph", "", "上传编号无效，请刷新页面后重试"),
    ("ph", "../x", "上传编号无效，请刷新页面后重试"),
])
def test_wrong_question_or_client_id_is_refused(app, db, world, updir, question, client_id, message):
    resp = Phone(app, world.liaison).upload(world.self_check, image_bytes(), question=question,
                                            client_id=client_id)
    assert (resp.status_code, resp.get_json()["message"]) == (400, message)
    assert count(db) == 0 and files(updir) == []


def test_missing_file_and_missing_csrf_are_refused(app, db, world, updir):
    phone = Phone(app, world.liaison)
    resp = phone.client.post(f"/submissions/{world.self_check}/photos",
                             data={"question": "ph", "client_id": "a"},
                             headers={"X-CSRFToken": phone.token, "Accept": "application/json"})
    assert resp.status_code == 400 and resp.get_json()["message"] == "请选择照片"
    resp = phone.upload(world.self_check, image_bytes(), token="")
    assert resp.status_code == 400 and "安全令牌" in resp.get_json()["message"]
    assert count(db) == 0 and files(updir) == []


def test_uploads_to_a_submitted_form_are_refused(app, db, world, updir):
    db.session.get(Submission, world.self_check).state = "submitted"
    db.session.commit()
    resp = Phone(app, world.liaison).upload(world.self_check, image_bytes())
    assert resp.status_code == 403
    assert resp.get_json() == {"error": "forbidden", "message": "您不能为此表上传照片", "field": None}
    assert count(db) == 0 and files(updir) == []


# --- names ----------------------------------------------------------------------------------

@pytest.mark.parametrize("sent, shown", [
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\张三\\照片.png", "照片.png"),
    ("正文.png", "正文.png"),
    ("报告\u202egnp.exe", "报告gnp.exe"),
    ("a\x01b\x1fc.png", "abc.png"),
    ("..", "照片"),
    ("长" * 300 + ".png", "长" * 255),
])
def test_display_names_are_sanitised(sent, shown):
    assert images.clean_name(sent) == shown


def test_stored_name_never_comes_from_the_client(app, db, world, updir):
    phone = Phone(app, world.liaison)
    for client_id, name in (("n1", "../../etc/passwd"), ("n2", "正文.png")):
        resp = phone.upload(world.self_check, image_bytes("PNG"), name=name, client_id=client_id)
        assert resp.status_code == 201, resp.get_json()
    rows = db.session.scalars(select(Photo).order_by(Photo.id)).all()
    assert [r.original_name for r in rows] == ["passwd", "正文.png"]
    assert all(len(r.stored_name) == 36 and r.stored_name.endswith(".png") for r in rows)
    assert files(updir) == sorted(r.stored_name for r in rows)
    assert not (updir.parent / "etc").exists()


def test_a_long_name_is_cut(app, db, world, updir):
    phone = Phone(app, world.inspector)
    resp = phone.upload(world.visit, image_bytes("PNG"), name="名" * 300 + ".png")
    assert resp.status_code == 201 and resp.get_json()["name"] == "名" * 255


# --- viewing, access ------------------------------------------------------------------------

@pytest.fixture()
def uploaded(app, db, world, updir):
    data = image_bytes("JPEG")
    body = Phone(app, world.liaison).upload(world.self_check, data, name="正文.jpg").get_json()
    return body["id"], data


def test_the_photo_is_served_inline_as_an_image(app, db, world, uploaded):
    photo_id, data = uploaded
    resp = Phone(app, world.liaison).get(f"/photos/{photo_id}")
    assert resp.status_code == 200 and resp.data == data
    assert resp.mimetype == "image/jpeg"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Content-Disposition"].startswith("inline")
    assert "%E6%AD%A3%E6%96%87.jpg" in resp.headers["Content-Disposition"]  # 正文.jpg


def test_the_photo_may_be_cached_privately(app, db, world, uploaded):
    resp = Phone(app, world.liaison).get(f"/photos/{uploaded[0]}")
    assert resp.headers["Cache-Control"].startswith("private")


@pytest.mark.parametrize("who, status", [
    ("liaison", 200), ("inspector", 200), ("admin", 200), ("other_liaison", 404), ("stranger", 403),
])
def test_who_may_see_a_self_check_photo(app, db, world, uploaded, who, status):
    assert Phone(app, getattr(world, who)).get(f"/photos/{uploaded[0]}").status_code == status


def test_anonymous_is_sent_to_login(app, db, world, uploaded):
    phone = Phone(app)
    resp = phone.client.get(f"/photos/{uploaded[0]}")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    resp = phone.upload(world.self_check, image_bytes())
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_missing_photo_or_file_is_404(app, db, world, uploaded, updir):
    phone = Phone(app, world.liaison)
    assert phone.get(f"/photos/{uploaded[0] + 1000}").status_code == 404
    for f in updir.iterdir():
        f.unlink()
    assert phone.get(f"/photos/{uploaded[0]}").status_code == 404


@pytest.mark.parametrize("who, kind, status", [
    ("liaison", "self_check", 201), ("other_liaison", "self_check", 404), ("inspector", "self_check", 403),
    ("stranger", "self_check", 403), ("admin", "self_check", 403),
    ("inspector", "visit", 201), ("liaison", "visit", 404), ("stranger", "visit", 403),
    ("admin", "visit", 403),
])
def test_who_may_upload(app, db, world, updir, who, kind, status):
    sub_id = world.self_check if kind == "self_check" else world.visit
    resp = Phone(app, getattr(world, who)).upload(sub_id, image_bytes())
    assert resp.status_code == status
    assert count(db) == (1 if status == 201 else 0)


# --- deleting -------------------------------------------------------------------------------

def test_delete_removes_row_and_file(app, db, world, uploaded, updir):
    phone = Phone(app, world.liaison)
    assert len(files(updir)) == 1
    resp = phone.delete(uploaded[0])
    assert resp.status_code == 200 and resp.get_json() == {"id": uploaded[0], "deleted": True}
    assert count(db) == 0 and files(updir) == []
    assert phone.delete(uploaded[0]).status_code == 404
    # the slot is free again
    assert phone.upload(world.self_check, image_bytes()).status_code == 201


@pytest.mark.parametrize("who, status", [
    ("other_liaison", 404), ("stranger", 403), ("inspector", 403), ("admin", 403),
])
def test_others_may_not_delete(app, db, world, uploaded, updir, who, status):
    assert Phone(app, getattr(world, who)).delete(uploaded[0]).status_code == status
    assert count(db) == 1 and len(files(updir)) == 1


def test_no_delete_once_submitted(app, db, world, uploaded, updir):
    db.session.get(Submission, world.self_check).state = "submitted"
    db.session.commit()
    resp = Phone(app, world.liaison).delete(uploaded[0])
    assert resp.status_code == 403 and resp.get_json()["message"] == "此表已提交或您无权修改，不能删除照片"
    assert count(db) == 1 and len(files(updir)) == 1


def test_delete_needs_csrf(app, db, world, uploaded, updir):
    phone = Phone(app, world.liaison)
    resp = phone.client.post(f"/photos/{uploaded[0]}/delete", headers={"Accept": "application/json"})
    assert resp.status_code == 400
    assert count(db) == 1


# --- domain ---------------------------------------------------------------------------------

def test_store_photo_flushes_only_and_delete_photo_removes_the_file(db, world, updir):
    sub = db.session.get(Submission, world.self_check)
    photo, created = photos.store_photo(world.liaison, sub, "ph", "dom-1", image_bytes(), "a.jpg",
                                        10 * 1024 * 1024)
    assert created and photo.id is not None
    path = updir / photo.stored_name  # the instance folder's layout of earlier releases
    assert path.is_file() and files(updir) == [photo.stored_name]
    photos.delete_photo(world.liaison, photo)
    assert not path.exists() and count(db) == 0
    db.session.rollback()


def test_sweep_orphans_removes_old_unreferenced_files_only(app, db, world, uploaded, updir):
    local_disk_only()  # file times set on the disk (tests/test_s3_files.py sweeps a bucket)
    kept = db.session.get(Photo, uploaded[0]).stored_name
    old = time.time() - 7200
    for name in ("orphan.jpg", "young.jpg", ".tmp-abandoned"):
        (updir / name).write_bytes(b"x")
    for name in (kept, "orphan.jpg", ".tmp-abandoned"):
        os.utime(updir / name, (old, old))
    (updir / "sub").mkdir()
    assert photos.sweep_orphans() == 1                       # orphan.jpg: old and no row
    assert get_storage().discard_partial(3600) == 1          # the abandoned half-written file
    assert files(updir) == sorted([kept, "sub", "young.jpg"])
    assert photos.sweep_orphans(older_than_seconds=0) == 1   # young.jpg, once old enough
    assert files(updir) == sorted([kept, "sub"])


def test_a_client_id_is_bound_to_its_question_and_deletes_are_audited(app, db, world, updir):
    from survey.models import AuditLog

    phone = Phone(app, world.inspector)
    first = phone.upload(world.visit, image_bytes(), client_id="bound")
    assert first.status_code == 201
    other = phone.upload(world.visit, image_bytes(), question="txt", client_id="bound")
    assert other.status_code == 400 and other.get_json()["message"] == "上传编号已被其他照片使用，请刷新页面后重试"
    assert phone.delete(first.get_json()["id"]).status_code == 200
    log = db.session.scalars(select(AuditLog).where(AuditLog.event == "photo_delete")).one()
    assert log.actor_id == world.inspector.id and log.details["submission_id"] == world.visit


# --- thumbnails -----------------------------------------------------------------------------

def thumb_of(resp) -> Image.Image:
    assert resp.status_code == 200 and resp.mimetype == "image/jpeg", resp.status_code
    image = Image.open(io.BytesIO(resp.data))
    assert image.format == "JPEG"
    return image


def test_a_photo_thumbnail_is_small_made_once_and_cached_as_content(app, db, world, updir):
    big = image_bytes("JPEG", size=(1600, 1200), quality=95)
    phone = Phone(app, world.liaison)
    body = phone.upload(world.self_check, big).get_json()
    assert body["thumb_url"] == f"/photos/{body['id']}/thumb?v={body['sha256'][:16]}"
    resp = phone.get(body["thumb_url"])
    image = thumb_of(resp)
    assert image.size == (192, 144) and len(resp.data) < len(big) / 10
    assert resp.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    assert resp.headers["ETag"].strip('"') == f"{body['sha256'][:16]}-192"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    thumbs = sorted(p.name for p in (updir.parent / "thumbs").iterdir())
    assert thumbs == [f"photos-{files(updir)[0]}-192.jpg"]  # kept in the storage, beside nothing else
    again = phone.client.get(body["thumb_url"], headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304
    stale = phone.get(f"/photos/{body['id']}/thumb?v=0000")  # not this content: an hour, not a year
    assert stale.status_code == 200 and stale.headers["Cache-Control"] == "private, max-age=3600"


def test_a_photo_thumbnail_is_upright(app, db, world, updir):
    """A photo stored with EXIF orientation 6 (as a file put there by an earlier release)."""
    exif = Image.Exif()
    exif[0x0112] = 6
    body = Phone(app, world.liaison).upload(world.self_check, image_bytes("JPEG", size=(400, 200))).get_json()
    (updir / files(updir)[0]).write_bytes(image_bytes("JPEG", size=(400, 200), exif=exif))
    assert thumb_of(Phone(app, world.liaison).get(body["thumb_url"])).size == (96, 192)


@pytest.mark.parametrize("who, status", [
    ("liaison", 200), ("inspector", 200), ("admin", 200), ("other_liaison", 404), ("stranger", 403),
])
def test_who_may_see_a_photo_thumbnail(app, db, world, uploaded, who, status):
    assert Phone(app, getattr(world, who)).get(f"/photos/{uploaded[0]}/thumb").status_code == status


@pytest.mark.parametrize("hostile", [png_declaring(20_000, 20_000), image_bytes("JPEG", size=(300, 200))[:900],
                                     b"<svg xmlns='http://www.w3.org/2000/svg'/>"])
def test_a_hostile_stored_file_gets_a_placeholder_not_a_500(app, db, world, uploaded, updir, hostile):
    (updir / files(updir)[0]).write_bytes(hostile)
    resp = Phone(app, world.liaison).get(f"/photos/{uploaded[0]}/thumb")
    assert resp.status_code == 302 and "no-thumb" in resp.headers["Location"]
    assert not (updir.parent / "thumbs").exists() or not list((updir.parent / "thumbs").iterdir())


def test_deleting_a_photo_deletes_its_thumbnail(app, db, world, uploaded, updir):
    phone = Phone(app, world.liaison)
    assert phone.get(f"/photos/{uploaded[0]}/thumb").status_code == 200
    assert len(list((updir.parent / "thumbs").iterdir())) == 1
    assert phone.delete(uploaded[0]).status_code == 200
    assert list((updir.parent / "thumbs").iterdir()) == []
    assert phone.get(f"/photos/{uploaded[0]}/thumb").status_code == 404


def test_the_self_check_page_shows_thumbnails_not_the_files(app, db, world, uploaded):
    html = Phone(app, world.liaison).client.get(f"/submissions/{world.self_check}").get_data(as_text=True)
    assert f"/photos/{uploaded[0]}/thumb?v={sha(uploaded[1])[:16]}" in html
