"""Importing units from .xlsx: row-level errors in Chinese, all or nothing."""
from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from survey.models import AuditLog, Role, Unit
from tests.conftest import get_csrf
from tests.factories import make_unit, make_user


def workbook(rows, title=None) -> bytes:
    wb = Workbook()
    ws = wb.active
    if title:
        ws.append([title])
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def upload(client, data: bytes, name="units.xlsx"):
    token = get_csrf(client, "/admin/units/import")
    return client.post("/admin/units/import", data={"csrf_token": token, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def unit_count(db):
    return db.session.scalar(select(func.count(Unit.id)))


@pytest.fixture()
def admin_client(client, db, login):
    login(make_user(Role.ADMIN, username="boss"))
    return client


def test_good_file_creates_and_updates_units(admin_client, db):
    make_unit("财政局", contact_name="旧联系人")
    data = workbook([
        ("联系电话", "单位名称", "联系人", "单位类别"),  # any column order
        ("0571-1234567", "区审计局", "王五", "政府部门"),
        (13800001111, "财政局", "新联系人", "政府部门"),
        (None, None, None, None),  # blank trailing row
    ], title="XX区单位名单")
    resp = upload(admin_client, data)
    assert resp.status_code == 302
    assert "新增 1 个，更新 1 个" in admin_client.get("/admin/units").get_data(as_text=True)
    audit = db.session.scalar(select(AuditLog).where(AuditLog.event == "unit_import"))
    assert audit.details == {"created": 1, "updated": 1, "unchanged": 0}
    new = db.session.scalar(select(Unit).where(Unit.name == "区审计局"))
    assert (new.contact_phone, new.category) == ("0571-1234567", "政府部门")
    assert db.session.scalar(select(Unit).where(Unit.name == "财政局")).contact_phone == "13800001111"


def test_the_template_download_imports_as_is(admin_client, db):
    resp = admin_client.get("/admin/units/import-template.xlsx")
    ws = load_workbook(io.BytesIO(resp.data)).active
    assert [c.value for c in ws[1]] == ["单位名称", "单位类别", "联系人", "联系电话"]
    assert upload(admin_client, resp.data).status_code == 302
    assert unit_count(db) == 1


@pytest.mark.parametrize("rows, expected", [
    ([("单位名称",), ("甲局",), ("",), ("甲局",)], ["与第 3 行重复"]),
    ([("单位名称", "联系人"), ("", "张三")], ["单位名称不能为空"]),
    ([("单位名称", "联系电话"), ("甲局", "call me")], ["电话号码格式不正确"]),
    ([("单位名称",), ("长" * 101,)], ["超过 100 个字"]),
    ([("名称", "电话"), ("甲局", "1")], ["找不到表头"]),
    ([("单位名称",)], ["表中没有单位数据"]),
])
def test_bad_rows_are_listed_and_nothing_is_imported(admin_client, db, rows, expected):
    good_then_bad = rows if len(rows) < 2 else [rows[0], ("应被回滚的单位",) + ("",) * (len(rows[0]) - 1),
                                                   *rows[1:]]
    resp = upload(admin_client, workbook(good_then_bad))
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422
    for message in expected:
        assert message in body
    assert "未导入任何数据" in body
    assert unit_count(db) == 0


def test_error_rows_name_the_spreadsheet_row(admin_client, db):
    resp = upload(admin_client, workbook([("单位名称", "联系电话"), ("甲局", "1"), ("乙局", "x")], title="标题"))
    body = resp.get_data(as_text=True)
    assert "<td>3</td><td>联系电话</td>" in body and "<td>4</td><td>联系电话</td>" in body


@pytest.mark.parametrize("payload, name, message", [
    (b"not a zip at all", "units.xlsx", "不是有效的 Excel"),
    (b"PK\x03\x04broken", "units.xlsx", "不是有效的 Excel"),
    (b"a,b\n", "units.csv", "只能上传 .xlsx 文件"),
])
def test_files_that_are_not_workbooks_are_refused(admin_client, db, payload, name, message):
    resp = upload(admin_client, payload, name)
    assert resp.status_code in (400, 422) and message in resp.get_data(as_text=True)
    assert unit_count(db) == 0


def test_oversized_file_is_refused(app, admin_client, db):
    limit = app.config["UNIT_IMPORT_MAX_BYTES"]
    resp = upload(admin_client, b"PK" + b"\0" * (limit + 10))
    assert resp.status_code == 422 and "文件超过 2 MB" in resp.get_data(as_text=True)


def test_request_over_the_global_limit_gets_413_in_chinese(app, admin_client, db):
    resp = upload(admin_client, b"\0" * (app.config["MAX_CONTENT_LENGTH"] + 1))
    assert resp.status_code == 413 and "文件过大" in resp.get_data(as_text=True)
