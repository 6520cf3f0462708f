"""Every hostile upload on both upload routes (a form's photos, a problem's evidence): refused
with a Chinese message, or stored safely (an image re-encoded or kept, under a random name, in
its folder, served as an image with nosniff); never a 500; nothing left behind on refusal."""
from __future__ import annotations

import hashlib
import io
import re
import struct
import zlib

import pytest
from PIL import Image
from sqlalchemy import func, select

from survey.models import Evidence, Photo
from survey.storage import get_storage
from tests.conftest import csrf_from, do_login
from tests.reliability.world import image_bytes

CJK = re.compile(r"[\u4e00-\u9fff]")
MB = 1024 * 1024


def png_declaring(width: int, height: int) -> bytes:
    """A small PNG whose header claims width x height: a decompression bomb."""
    data = image_bytes("PNG", size=(8, 8))
    ihdr = b"IHDR" + struct.pack(">II", width, height) + data[24:29]
    return data[:12] + ihdr + struct.pack(">I", zlib.crc32(ihdr)) + data[33:]


def jpeg(size=(64, 48)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buf, "JPEG")
    return buf.getvalue()


HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
CORPUS = {
    "30mb-photo": (b"\xff\xd8\xff\xe0" + bytes(30 * MB), "大照片.jpg"),
    "jpeg-html-polyglot": (jpeg() + HTML, "polyglot.jpg"),
    "html-with-jpeg-magic": (b"\xff\xd8\xff\xe0" + HTML, "x.jpg"),
    "svg": (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>', "图.svg"),
    "php-double-extension": (jpeg(), "x.jpg.php"),
    "truncated-jpeg": (jpeg((400, 300))[:900], "残缺.jpg"),
    "decompression-bomb": (png_declaring(30000, 30000), "bomb.png"),
    "path-traversal-name": (image_bytes("PNG"), "../../etc/passwd"),
    "windows-path-name": (image_bytes("PNG"), "..\\..\\windows\\win.ini.png"),
    "chinese-name": (image_bytes("PNG"), "正文.png"),
    "300-char-name": (image_bytes("PNG"), "名" * 296 + ".png"),
    "html-named-png": (HTML, "页面.png"),
    "empty": (b"", "空.jpg"),
}


class Uploader:
    def __init__(self, app, user):
        self.client = app.test_client()
        assert do_login(self.client, user.username).status_code == 302
        self.token = csrf_from(self.client.get("/account").get_data(as_text=True))

    def post(self, url: str, field: str, data: bytes, name: str, **form):
        return self.client.post(url, data={field: (io.BytesIO(data), name), **form}, content_type="multipart/form-data",
                                headers={"X-CSRFToken": self.token, "Accept": "application/json"})


def snapshot(db, instance):
    db.session.rollback()
    files = sorted(str(p.relative_to(instance)) for p in instance.rglob("*") if p.is_file())
    return (db.session.scalar(select(func.count(Photo.id))), db.session.scalar(select(func.count(Evidence.id))), files)


@pytest.mark.parametrize("case", CORPUS)
@pytest.mark.parametrize("route", ["photo", "evidence"])
def test_hostile_upload(app, db, world, instance, case, route):
    data, name = CORPUS[case]
    u = world.units[0]
    uploader = Uploader(app, u.liaison)
    before = snapshot(db, instance)
    if route == "photo":
        resp = uploader.post(f"/submissions/{u.ids['submission'][0]}/photos", "file", data, name,
                             question="ph", client_id=f"h-{case}")
    else:
        resp = uploader.post(f"/ledger/{u.ids['problem'][0]}/evidence", "files", data, name)
    assert resp.status_code < 500, resp.status_code
    body = resp.get_json()
    if resp.status_code >= 400:
        assert CJK.search(body["message"]), body
        assert snapshot(db, instance) == before  # nothing half stored
        return
    row = body["evidence"][0] if route == "evidence" else body
    assert "/" not in row["name"] and "\\" not in row["name"] and len(row["name"]) <= 255
    if case == "chinese-name":
        assert row["name"] == "正文.png"
    model = Evidence if route == "evidence" else Photo
    stored = db.session.get(model, row["id"])
    assert re.fullmatch(r"[0-9a-f]{32}\.(jpg|png)", stored.stored_name)
    content = get_storage().read(f"{'evidence' if route == 'evidence' else 'photos'}/{stored.stored_name}")
    assert hashlib.sha256(content).hexdigest() == stored.sha256 and b"<script" not in content
    served = uploader.client.get(row["url"])
    assert served.status_code == 200 and served.mimetype in ("image/jpeg", "image/png")
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert not list((instance.parent).glob("etc*")) and not (instance / "etc").exists()


def test_the_body_limit_answers_413_in_chinese(app, db, world, instance):
    assert app.config["MAX_CONTENT_LENGTH"] <= 30 * MB
    u = world.units[0]
    resp = Uploader(app, u.liaison).post(f"/ledger/{u.ids['problem'][0]}/evidence", "files",
                                         bytes(app.config["MAX_CONTENT_LENGTH"] + 1), "x.pdf")
    assert resp.status_code == 413 and CJK.search(resp.get_json()["message"])
