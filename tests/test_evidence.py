"""佐证材料 of problems: checked by content, cleaned, stored under random names, guarded, on record."""
from __future__ import annotations

import hashlib
import io
import itertools
import re
import zipfile
from datetime import date
from urllib.parse import quote

import pytest
from flask import render_template
from flask_login import login_user
from openpyxl import Workbook
from PIL import Image
from sqlalchemy import func, select

from survey.errors import DomainError, NotAllowed
from survey.filling import operations as filling
from survey.filling.problems import create_problems
from survey.ledger import evidence as ev
from survey.models import Evidence, Problem, ProblemEvent, Role
from survey.questionnaires import editing
from survey.questionnaires import operations as qops
from tests.conftest import UserClient
from tests.storefolder import upload_folder
from tests.factories import make_group, make_ledger_world, make_unit, make_user

GPS_IFD = 0x8825
MB = 1024 * 1024
UNSUPPORTED = "文件类型不支持：仅支持 jpg、png、pdf、docx、xlsx"
MISMATCH = "文件内容与类型不符"
STATES = ("open", "in_progress", "pending_review", "closed", "cancelled")
ROLE_NAMES = ("unit", "other_unit", "checker", "other_inspector", "admin")


# --- a problem of a unit in a round (as in test_ledger) -------------------------------------

@pytest.fixture()
def world(app, db):
    return make_ledger_world(db)


def new_problem(db, world, status="open") -> Problem:
    found = [{"description": "会议记录不全", "category": "政治机关", "deadline": "2023-07-01"}]
    [problem] = create_problems(world["submission"], found, world["admin"], date(2023, 5, 1))
    problem.status = status
    db.session.commit()
    return problem


@pytest.fixture()
def folder(app, tmp_path, monkeypatch):
    """Each test its own instance folder; evidence goes to <instance>/evidence."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return upload_folder(app, "evidence", tmp_path / "evidence")


def files(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def rows(db) -> int:
    return db.session.scalar(select(func.count(Evidence.id)))


def events(db, problem_id: int) -> list[ProblemEvent]:
    return list(db.session.scalars(select(ProblemEvent).where(ProblemEvent.problem_id == problem_id)
                                   .order_by(ProblemEvent.id)))


# --- sample files ---------------------------------------------------------------------------

def image_bytes(fmt: str = "JPEG", size=(64, 48), **save) -> bytes:
    im = Image.new("RGB", size)
    im.putdata([((x * 4) % 256, (y * 5) % 256, 90) for y in range(size[1]) for x in range(size[0])])
    buf = io.BytesIO()
    im.save(buf, fmt, **save)
    return buf.getvalue()


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[GPS_IFD] = {1: "N", 2: (30.0, 15.0, 7.0), 3: "E", 4: (120.0, 9.0, 2.0)}
    return image_bytes("JPEG", exif=exif)


PDF = (b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
       b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n")

def content_types(part: str, content_type: str) -> bytes:
    return (b'<?xml version="1.0" encoding="UTF-8"?>'
            b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            + f'<Override PartName="{part}" ContentType="{content_type}"/></Types>'.encode())


DOCX_TYPES = content_types("/word/document.xml",
                           "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml")
XLSM_TYPES = content_types("/xl/workbook.xml", "application/vnd.ms-excel.sheet.macroEnabled.main+xml")


def zip_of(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def docx_bytes() -> bytes:
    return zip_of({"[Content_Types].xml": DOCX_TYPES, "_rels/.rels": b"<Relationships/>",
                   "word/document.xml": "<w:document><w:body><w:p>整改报告</w:p></w:body></w:document>".encode()})


def xlsx_bytes() -> bytes:
    wb = Workbook()
    wb.active.append(["问题", "整改情况"])
    wb.active.append(["会议记录不全", "已补齐"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def xlsm_bytes(types: bytes = XLSM_TYPES) -> bytes:
    return zip_of({"[Content_Types].xml": types, "xl/workbook.xml": b"<workbook/>",
                   "xl/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"})


ACCEPTED = {
    "jpg": (image_bytes("JPEG"), "现场照片.jpg", "image/jpeg"),
    "png": (image_bytes("PNG"), "截图.png", "image/png"),
    "pdf": (PDF, "整改报告.pdf", "application/pdf"),
    "docx": (docx_bytes(), "整改说明.docx",
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": (xlsx_bytes(), "整改台账.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}

REFUSED = {
    "html_as_pdf": (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "报告.pdf", MISMATCH, 400),
    "svg": (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "图.svg",
            UNSUPPORTED, 400),
    "exe_as_docx": (b"MZ\x90\x00\x03\x00\x00\x00" + bytes(200), "说明.docx", MISMATCH, 400),
    "exe_with_zip_appended": (b"MZ\x90\x00" + bytes(100) + docx_bytes(), "说明.docx", MISMATCH, 400),
    "zip_without_members": (zip_of({"readme.txt": b"hello"}), "资料.docx", MISMATCH, 400),
    "plain_zip": (zip_of({"readme.txt": b"hello"}), "资料.zip", UNSUPPORTED, 400),
    "xlsm": (xlsm_bytes(), "台账.xlsm", UNSUPPORTED, 400),
    "xlsm_renamed_xlsx": (xlsm_bytes(), "台账.xlsx", UNSUPPORTED, 400),
    "macro_project_in_xlsx": (xlsm_bytes(b"<Types/>"), "台账.xlsx", UNSUPPORTED, 400),
    "truncated_jpeg": (image_bytes("JPEG", size=(200, 150))[:1500], "现场.jpg", MISMATCH, 400),
    "pdf_without_eof": (PDF.replace(b"%%EOF", b""), "报告.pdf", MISMATCH, 400),
    "too_large": (b"%PDF-1.4\n" + bytes(21 * MB) + b"\n%%EOF\n", "大文件.pdf", "文件不能超过 20 MB", 413),
    "empty": (b"", "空.pdf", "文件为空", 400),
}


# --- clients --------------------------------------------------------------------------------

class Client(UserClient):
    """Evidence uploads, downloads and deletes; JSON by default (a phone in the background)."""

    def upload(self, problem_id: int, *files: tuple[bytes, str], json: bool = True):
        data = {"files": [(io.BytesIO(content), name) for content, name in files]}
        return self.client.post(f"/ledger/{problem_id}/evidence", data=data,
                                content_type="multipart/form-data", headers=self.headers(json))

    def download(self, evidence_id: int):
        return self.client.get(f"/ledger/evidence/{evidence_id}")

    def delete(self, evidence_id: int, json: bool = True):
        return self.client.post(f"/ledger/evidence/{evidence_id}/delete", headers=self.headers(json))


def upload_one(app, user, problem, content: bytes, name: str) -> dict:
    resp = Client(app, user).upload(problem.id, (content, name))
    assert resp.status_code == 201, resp.get_json()
    [body] = resp.get_json()["evidence"]
    return body


# --- accepted kinds -------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ACCEPTED)
def test_each_kind_is_accepted_stored_as_sent_and_served(app, db, world, folder, kind):
    content, name, mimetype = ACCEPTED[kind]
    problem = new_problem(db, world)
    body = upload_one(app, world["users"]["unit"], problem, content, name)
    row = db.session.get(Evidence, body["id"])
    assert (row.kind, row.original_name, row.size, row.sha256) == (kind, name, len(content), sha(content))
    assert row.problem_id == problem.id and row.uploaded_by_id == world["users"]["unit"].id
    assert re.fullmatch(rf"[0-9a-f]{{32}}\.{kind}", row.stored_name)
    assert files(folder) == [row.stored_name] and (folder / row.stored_name).read_bytes() == content
    for role in ("unit", "checker", "admin"):
        resp = Client(app, world["users"][role]).download(row.id)
        assert resp.status_code == 200 and resp.data == content
        assert resp.mimetype == mimetype
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        disposition = resp.headers["Content-Disposition"]
        assert disposition.startswith("inline" if kind in ("jpg", "png") else "attachment")
        assert quote(name) in disposition  # the Chinese name, RFC 5987 encoded


def test_content_decides_the_kind_not_the_name(app, db, world, folder):
    problem = new_problem(db, world)
    png = image_bytes("PNG")
    body = upload_one(app, world["users"]["unit"], problem, png, "照片.jpg")
    row = db.session.get(Evidence, body["id"])
    assert row.kind == "png" and row.stored_name.endswith(".png") and row.sha256 == sha(png)
    assert Client(app, world["users"]["unit"]).download(row.id).mimetype == "image/png"


def test_jpeg_gps_is_removed(app, db, world, folder):
    data = jpeg_with_gps()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the sample has a position
    problem = new_problem(db, world)
    body = upload_one(app, world["users"]["unit"], problem, data, "现场.jpg")
    row = db.session.get(Evidence, body["id"])
    stored = (folder / row.stored_name).read_bytes()
    assert row.sha256 == sha(stored) != sha(data) and row.size == len(stored)
    assert b"PhoneMaker" not in stored
    with Image.open(io.BytesIO(stored)) as im:
        assert im.format == "JPEG" and im.size == (64, 48)
        assert not im.getexif() and "exif" not in im.info


def test_several_files_at_once(app, db, world, folder):
    problem = new_problem(db, world)
    resp = Client(app, world["users"]["unit"]).upload(problem.id, (PDF, "a.pdf"), (image_bytes(), "b.jpg"))
    assert resp.status_code == 201
    assert [e["name"] for e in resp.get_json()["evidence"]] == ["a.pdf", "b.jpg"]
    assert rows(db) == 2 and len(files(folder)) == 2
    assert [e.action for e in events(db, problem.id)] == ["create", "add_evidence", "add_evidence"]


# --- refused --------------------------------------------------------------------------------

@pytest.mark.parametrize("case", REFUSED)
def test_refused_files_leave_nothing(app, db, world, folder, case):
    content, name, message, status = REFUSED[case]
    problem = new_problem(db, world)
    resp = Client(app, world["users"]["unit"]).upload(problem.id, (content, name))
    assert resp.status_code == status, resp.get_json()
    assert message in resp.get_json()["message"]
    assert rows(db) == 0 and files(folder) == []
    assert [e.action for e in events(db, problem.id)] == ["create"]


@pytest.mark.parametrize("case", ["html_as_pdf", "xlsm", "truncated_jpeg", "empty"])
def test_domain_refuses_with_the_same_messages(db, world, folder, case):
    content, name, message, _ = REFUSED[case]
    problem = new_problem(db, world)
    with pytest.raises(DomainError, match=message):
        ev.add_evidence(world["users"]["unit"], problem, content, name, 20 * MB)
    db.session.rollback()
    assert rows(db) == 0 and files(folder) == []


def test_one_bad_file_refuses_the_whole_upload(app, db, world, folder):
    problem = new_problem(db, world)
    resp = Client(app, world["users"]["unit"]).upload(problem.id, (PDF, "好.pdf"), (b"<html>", "坏.pdf"))
    assert resp.status_code == 400
    assert resp.get_json()["message"] == f"坏.pdf：{MISMATCH}"
    assert rows(db) == 0 and files(folder) == []


def test_a_form_post_gets_a_redirect_and_a_flash(app, db, world, folder):
    problem = new_problem(db, world)
    liaison = Client(app, world["users"]["unit"])
    resp = liaison.upload(problem.id, (b"<html></html>", "报告.pdf"), json=False)
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/ledger/{problem.id}#evidence")
    assert MISMATCH in liaison.client.get(f"/ledger/{problem.id}").get_data(as_text=True)
    resp = liaison.upload(problem.id, (PDF, "报告.pdf"), json=False)
    assert resp.status_code == 303
    assert "已上传 1 个佐证材料" in liaison.client.get(f"/ledger/{problem.id}").get_data(as_text=True)
    resp = liaison.upload(problem.id, json=False)  # no file chosen
    assert resp.status_code == 303
    assert "请选择要上传的文件" in liaison.client.get(f"/ledger/{problem.id}").get_data(as_text=True)
    assert liaison.upload(problem.id).status_code == 400


def test_names_are_cleaned(app, db, world, folder):
    problem = new_problem(db, world)
    for sent, kept in (("../../etc/passwd.pdf", "passwd.pdf"), ("正文.pdf", "正文.pdf"),
                       ("\u202egpj.pdf", "gpj.pdf"),
                       ("a\x01b\x07.pdf", "ab.pdf"), ("..", "佐证材料.pdf"), ("长" * 300 + ".pdf", "长" * 255)):
        body = upload_one(app, world["users"]["unit"], problem, PDF, sent)
        assert body["name"] == kept
    assert all(re.fullmatch(r"[0-9a-f]{32}\.pdf", name) for name in files(folder))
    assert len(files(folder)) == 6 and not (folder.parent / "passwd.pdf").exists()
    # Backslashes do not survive multipart quoting; the domain drops Windows folders too.
    assert ev.clean_name("C:\\Users\\张三\\桌面\\报告.pdf", "pdf") == "报告.pdf"
    assert ev.clean_name("a\r\nb.pdf", "pdf") == "ab.pdf"
    assert ev.clean_name("", "xlsx") == "佐证材料.xlsx" and ev.clean_name("照片", "jpg") == "照片"


# --- who may ---------------------------------------------------------------------------------

def test_other_units_and_groups_get_404_everywhere(app, db, world, folder):
    problem = new_problem(db, world)
    body = upload_one(app, world["users"]["unit"], problem, PDF, "报告.pdf")
    for role in ("other_unit", "other_inspector"):
        client = Client(app, world["users"][role])
        assert client.download(body["id"]).status_code == 404
        assert client.upload(problem.id, (PDF, "x.pdf")).status_code == 404
        assert client.upload(problem.id, (PDF, "x.pdf"), json=False).status_code == 404
        assert client.delete(body["id"]).status_code == 404
        assert client.delete(body["id"], json=False).status_code == 404
    assert rows(db) == 1 and len(files(folder)) == 1
    assert Client(app, world["users"]["admin"]).download(987654).status_code == 404


def test_anonymous_is_sent_to_login(app, db, world, folder):
    problem = new_problem(db, world)
    body = upload_one(app, world["users"]["unit"], problem, PDF, "报告.pdf")
    anonymous = Client(app)
    for resp in (anonymous.download(body["id"]), anonymous.upload(problem.id, (PDF, "x.pdf"), json=False),
                 anonymous.delete(body["id"], json=False)):
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert rows(db) == 1


def test_closed_problem_takes_the_checkers_files_not_the_liaisons(app, db, world, folder):
    problem = new_problem(db, world, "closed")
    resp = Client(app, world["users"]["unit"]).upload(problem.id, (PDF, "补充.pdf"))
    assert resp.status_code == 403 and "已销号" in resp.get_json()["message"]
    assert rows(db) == 0 and files(folder) == []
    body = upload_one(app, world["users"]["checker"], problem, image_bytes(), "现场核查.jpg")
    assert db.session.get(Evidence, body["id"]).uploaded_by_id == world["users"]["checker"].id
    assert Client(app, world["users"]["unit"]).download(body["id"]).status_code == 200  # sees it


def test_cancelled_problem_takes_no_files(app, db, world, folder):
    problem = new_problem(db, world, "cancelled")
    for role in ("unit", "checker", "admin"):
        assert Client(app, world["users"][role]).upload(problem.id, (PDF, "x.pdf")).status_code == 403
    assert rows(db) == 0


ADD_EXPECTED = {"unit": {"open", "in_progress", "pending_review"},
                "checker": {"open", "in_progress", "pending_review", "closed"},
                "admin": {"open", "in_progress", "pending_review", "closed"},
                "other_unit": set(), "other_inspector": set()}


@pytest.mark.parametrize("state, role", list(itertools.product(STATES, ROLE_NAMES)))
def test_who_may_add_in_which_state(db, world, folder, state, role):
    problem = new_problem(db, world, state)
    actor = world["users"][role]
    assert ev.can_add_evidence(actor, problem) == (state in ADD_EXPECTED[role])
    if state not in ADD_EXPECTED[role]:
        with pytest.raises(NotAllowed):
            ev.add_evidence(actor, problem, PDF, "x.pdf", 20 * MB)
        db.session.rollback()
        assert rows(db) == 0 and files(folder) == []


# --- delete and events ----------------------------------------------------------------------

def test_add_and_delete_are_on_record_and_delete_removes_the_file(app, db, world, folder):
    problem = new_problem(db, world, "in_progress")
    liaison = Client(app, world["users"]["unit"])
    body = upload_one(app, world["users"]["unit"], problem, PDF, "整改报告.pdf")
    row = db.session.get(Evidence, body["id"])
    path = folder / row.stored_name
    assert path.is_file()
    resp = liaison.delete(body["id"], json=False)
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/ledger/{problem.id}#evidence")
    assert db.session.get(Evidence, body["id"]) is None and not path.exists() and files(folder) == []
    assert liaison.download(body["id"]).status_code == 404
    added, removed = events(db, problem.id)[1:]
    uid = world["users"]["unit"].id
    assert (added.action, added.from_status, added.to_status, added.actor_id) == (
        "add_evidence", "in_progress", "in_progress", uid)
    assert (removed.action, removed.from_status, removed.to_status, removed.actor_id) == (
        "remove_evidence", "in_progress", "in_progress", uid)
    assert added.changes["file"] == removed.changes["file"] == "整改报告.pdf"
    assert added.changes["sha256"] == sha(PDF) and added.changes["evidence_id"] == body["id"]
    assert db.session.get(Problem, problem.id).lock_version == problem.lock_version  # not a transition


def test_only_the_uploader_deletes_until_closed_and_the_admin_always(app, db, world, folder):
    problem = new_problem(db, world, "pending_review")
    mine = upload_one(app, world["users"]["unit"], problem, PDF, "单位.pdf")
    theirs = upload_one(app, world["users"]["checker"], problem, PDF, "核查.pdf")
    liaison, checker = Client(app, world["users"]["unit"]), Client(app, world["users"]["checker"])
    resp = liaison.delete(theirs["id"])
    assert resp.status_code == 403 and "上传人或管理员" in resp.get_json()["message"]
    assert checker.delete(mine["id"]).status_code == 403
    problem = db.session.get(Problem, problem.id)
    problem.status = "closed"
    db.session.commit()
    resp = liaison.delete(mine["id"])
    assert resp.status_code == 403 and "已销号" in resp.get_json()["message"]
    assert checker.delete(theirs["id"]).status_code == 403
    assert rows(db) == 2 and len(files(folder)) == 2
    admin = Client(app, world["users"]["admin"])
    assert admin.delete(mine["id"]).status_code == 200 and admin.delete(theirs["id"]).status_code == 200
    assert rows(db) == 0 and files(folder) == []
    assert [e.action for e in events(db, problem.id)][-2:] == ["remove_evidence", "remove_evidence"]


# --- the partial ----------------------------------------------------------------------------

def render_partial(app, user, problem) -> str:
    with app.test_request_context(f"/ledger/{problem.id}"):
        login_user(user)
        return render_template("ledger/_evidence.html", problem=problem)


def test_partial_lists_files_and_offers_what_the_user_may_do(app, db, world, folder):
    problem = new_problem(db, world, "in_progress")
    photo = upload_one(app, world["users"]["unit"], problem, image_bytes(), "门口.jpg")
    doc = upload_one(app, world["users"]["checker"], problem, docx_bytes(), "核查记录.docx")
    problem = db.session.get(Problem, problem.id)
    html = render_partial(app, world["users"]["unit"], problem)
    assert f'<a href="/ledger/evidence/{photo["id"]}"' in html and "核查记录.docx" in html
    assert f'<img src="/ledger/evidence/{photo["id"]}/thumb?v={photo["sha256"][:16]}"' in html  # not the file
    assert f'action="/ledger/{problem.id}/evidence"' in html and 'enctype="multipart/form-data"' in html
    assert 'accept="image/*,.pdf,.docx,.xlsx"' in html and "multiple" in html and "capture" not in html
    assert 'name="csrf_token"' in html and "20 MB" in html
    assert f'/ledger/evidence/{photo["id"]}/delete' in html  # the liaison's own photo
    assert f'/ledger/evidence/{doc["id"]}/delete' not in html  # the checker's document
    problem.status = "closed"
    db.session.commit()
    html = render_partial(app, world["users"]["unit"], problem)
    assert "上传佐证材料" not in html and "/delete" not in html and "门口.jpg" in html
    html = render_partial(app, world["users"]["admin"], problem)
    assert "上传佐证材料" in html and html.count("/delete") == 2


# --- thumbnails -----------------------------------------------------------------------------

def test_an_image_gets_a_small_thumbnail_cached_as_content(app, db, world, folder):
    big = image_bytes("PNG", size=(1200, 900))
    problem = new_problem(db, world, "in_progress")
    body = upload_one(app, world["users"]["unit"], problem, big, "现场.png")
    assert body["thumb_url"] == f"/ledger/evidence/{body['id']}/thumb?v={body['sha256'][:16]}"
    resp = Client(app, world["users"]["checker"]).client.get(body["thumb_url"])
    assert resp.status_code == 200 and resp.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(resp.data)).size == (144, 108) and len(resp.data) < 8000
    assert resp.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    assert resp.headers["ETag"].strip('"') == f"{body['sha256'][:16]}-144"
    assert sorted(p.name for p in (folder.parent / "thumbs").iterdir()) == [f"evidence-{files(folder)[0]}-144.jpg"]
    before = db.session.scalar(select(func.count()).select_from(ProblemEvent))
    from survey.models import AuditLog
    downloads = db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.event == "evidence_download"))
    Client(app, world["users"]["unit"]).client.get(body["thumb_url"])
    assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.event == "evidence_download")) == downloads
    assert db.session.scalar(select(func.count()).select_from(ProblemEvent)) == before


def test_a_document_has_no_thumbnail_but_an_icon(app, db, world, folder):
    problem = new_problem(db, world, "in_progress")
    doc = upload_one(app, world["users"]["unit"], problem, PDF, "整改报告.pdf")
    assert doc["thumb_url"] is None
    assert Client(app, world["users"]["unit"]).client.get(f"/ledger/evidence/{doc['id']}/thumb").status_code == 404
    html = render_partial(app, world["users"]["unit"], db.session.get(Problem, problem.id))
    assert "<img" not in html and re.search(r"icons\.\w+\.svg#log", html) and "整改报告.pdf" in html


@pytest.mark.parametrize("role, status", [("unit", 200), ("checker", 200), ("admin", 200), ("other_unit", 404),
                                          ("other_inspector", 404)])
def test_a_thumbnail_is_shown_to_whoever_may_open_the_file(app, db, world, folder, role, status):
    problem = new_problem(db, world, "in_progress")
    body = upload_one(app, world["users"]["unit"], problem, image_bytes(), "现场.jpg")
    client = Client(app, world["users"][role]).client
    assert client.get(body["url"]).status_code == status
    assert client.get(body["thumb_url"]).status_code == status


def test_a_truncated_stored_image_gets_a_placeholder_and_deleting_removes_the_thumbnail(app, db, world, folder):
    problem = new_problem(db, world, "in_progress")
    body = upload_one(app, world["users"]["unit"], problem, image_bytes(size=(300, 200)), "现场.jpg")
    client = Client(app, world["users"]["unit"])
    assert client.client.get(body["thumb_url"]).status_code == 200
    stored = folder / files(folder)[0]
    good = stored.read_bytes()
    stored.write_bytes(good[:700])
    (folder.parent / "thumbs" / f"evidence-{stored.name}-144.jpg").unlink()
    resp = client.client.get(body["thumb_url"])
    assert resp.status_code == 302 and "no-thumb" in resp.headers["Location"]
    stored.write_bytes(good)
    assert client.client.get(body["thumb_url"]).status_code == 200
    assert client.delete(body["id"]).status_code == 200
    assert list((folder.parent / "thumbs").iterdir()) == []
