"""Workbook imports bounded by work, not by the rows they keep (issue 12): a 100 KB .xlsx whose
million rows each carry one cell in column XFD is answered within 2 s with a clear message by every
import, and no import parses while it holds SQLite's write lock."""
from __future__ import annotations

import io
import sqlite3
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from survey import xlsx_guard
from tests.conftest import database_url, get_csrf
from tests.factories import make_ledger_world

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = [*sorted((ROOT.parent / "shared" / "xlsform-samples").glob("*.xlsx")), *sorted((ROOT / "survey" / "builtin").glob("*.xlsx"))]
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '</Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{NS}" xmlns:r="{RELS}">'
        '<sheets><sheet name="{title}" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{RELS}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
}


def _inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def hostile_workbook(headers: list[str], title: str = "Sheet1", rows: int = 1_000_000,
                     dimension: str | None = None) -> bytes:
    """A header row, then `rows` rows of one number in column XFD, written as XML directly: the
    rows are identical, so the file stays around 100 KB. Its <dimension> tells the truth unless
    another is given (the importers must not trust it either way)."""
    dimension = dimension or f"A1:XFD{rows + 1}"
    header = "".join(_inline(f"{chr(65 + i)}1", h) for i, h in enumerate(headers))
    body = '<row><c r="XFD1"><v>1</v></c></row>' * rows
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}"><dimension ref="{dimension}"/>'
             f'<sheetData><row r="1">{header}</row>{body}</sheetData></worksheet>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, xml in PARTS.items():
            zf.writestr(name, xml.replace("{title}", title))
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
    return buf.getvalue()


def _post(client, url: str, data: bytes, **fields):
    token = get_csrf(client, "/account")
    return client.post(url, data={"csrf_token": token, "file": (io.BytesIO(data), "hostile.xlsx"), **fields},
                       content_type="multipart/form-data")


@pytest.fixture()
def admin_client(app, db, login):
    world = make_ledger_world(db)
    return login(world["admin"]), world


IMPORTS = {
    "units": ("/admin/units/import", ["单位名称", "单位类别"], "Sheet1", {}),
    "xlsform": ("/questionnaires/import", ["type", "name", "label"], "survey", {"kind": ""}),
    "ledger": ("/ledger/import", ["责任单位", "问题描述"], "台账", {}),
}


def test_the_hostile_workbook_is_small_and_openpyxl_would_pad_every_row():
    data = hostile_workbook(["单位名称"])
    assert len(data) < 200 * 1024  # under every upload limit (units: 2 MB)
    ws = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    assert (ws.max_row, ws.max_column) == (1_000_001, 16384)
    second = next(ws.iter_rows(min_row=2, max_row=2, values_only=True))
    assert len(second) == 16384  # one row already costs 16,384 cells


@pytest.mark.parametrize("dimension", [None, "A1:B2"], ids=["true-dimension", "lying-dimension"])
@pytest.mark.parametrize("kind", IMPORTS)
def test_every_import_answers_a_hostile_workbook_within_two_seconds(admin_client, kind, dimension):
    client, world = admin_client
    url, headers, title, fields = IMPORTS[kind]
    if kind == "ledger":
        fields = {"round_id": str(world["round"].id)}
    data = hostile_workbook(headers, title, dimension=dimension)
    started = time.perf_counter()
    resp = _post(client, url, data, **fields)
    elapsed = time.perf_counter() - started
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422, body[-2000:]
    assert "工作簿过大" in body and "请删除多余的行和列" in body
    assert elapsed < 2.0, f"{kind}: {elapsed:.1f} s"


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_real_workbooks_are_within_the_limits(path):
    assert xlsx_guard.refusal(path.read_bytes()) is None


def test_the_limits_count_materialised_cells_not_cell_elements():
    assert xlsx_guard.refusal(hostile_workbook(["a"], rows=xlsx_guard.MAX_CELLS // 16384 - 2)) is None
    assert xlsx_guard.refusal(hostile_workbook(["a"], rows=xlsx_guard.MAX_CELLS // 16384 + 2)) is not None


@pytest.mark.skipif(not database_url().startswith("sqlite"), reason="SQLite's write lock")
@pytest.mark.parametrize("kind", IMPORTS)
def test_no_import_parses_while_holding_the_sqlite_write_lock(admin_client, monkeypatch, kind):
    """openpyxl's load_workbook is wrapped (and still called): when it starts, another connection
    must be able to take the write lock at once."""
    client, world = admin_client
    url, _, _, fields = IMPORTS[kind]
    if kind == "ledger":
        fields = {"round_id": str(world["round"].id)}
    path = database_url().removeprefix("sqlite:///")
    real, free = openpyxl.load_workbook, []

    def spying(*args, **kwargs):
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            free.append(True)
        except sqlite3.OperationalError:
            free.append(False)
        finally:
            other.close()
        return real(*args, **kwargs)

    monkeypatch.setattr(openpyxl, "load_workbook", spying)
    data = (ROOT / "survey" / "builtin" / "廉洁机关建设自查表.xlsx").read_bytes()
    resp = _post(client, url, data, **fields)
    assert resp.status_code < 500
    assert free and all(free), f"{kind}: parsed while the write lock was held"
