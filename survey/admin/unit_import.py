"""Reading a unit list from .xlsx (单位名称, 单位类别, 联系人, 联系电话): all rows or none."""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from sqlalchemy import select

from survey import audit, xlsx_guard
from survey.errors import ValidationFailed
from survey.extensions import db
from survey.models import Unit, User

HEADERS = {"单位名称": "name", "单位类别": "category", "联系人": "contact_name", "联系电话": "contact_phone"}
MAX_LENGTHS = {"name": 100, "category": 32, "contact_name": 64, "contact_phone": 32}
MAX_ROWS = 5000
PHONE = re.compile(r"^[0-9+\-\s()（）转]{5,32}$")


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class ParsedUnits:
    rows: list[dict] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _find_header(ws) -> tuple[int, dict[str, int]] | None:
    for row_no, row in enumerate(ws.iter_rows(min_row=1, max_row=10, values_only=True), start=1):
        cols = {HEADERS[_cell_text(v)]: i for i, v in enumerate(row) if _cell_text(v) in HEADERS}
        if "name" in cols:
            return row_no, cols
    return None


def parse_units(data: bytes, max_bytes: int) -> ParsedUnits:
    """Parse the workbook; every problem becomes a row-level error in Chinese."""
    result = ParsedUnits()
    if len(data) > max_bytes:
        result.errors.append(RowError(0, "", f"文件超过 {max_bytes // 1024 // 1024} MB"))
        return result
    too_big = xlsx_guard.refusal(data)
    if too_big:
        result.errors.append(RowError(0, "", too_big))
        return result
    try:
        from openpyxl import load_workbook  # openpyxl loads here, not at start-up: ~8 MB less in every worker

        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except xlsx_guard.CORRUPT_WORKBOOK:
        result.errors.append(RowError(0, "", "文件不是有效的 Excel (.xlsx) 工作簿"))
        return result
    ws = wb.worksheets[0]
    found = _find_header(ws)
    if found is None:
        result.errors.append(RowError(1, "单位名称", "前 10 行中找不到表头“单位名称”"))
        return result
    header_row, cols = found
    seen: dict[str, int] = {}
    for row_no, row in enumerate(ws.iter_rows(min_row=header_row + 1, values_only=True),
                                 start=header_row + 1):
        values = {key: _cell_text(row[i]) if i < len(row) else "" for key, i in cols.items()}
        if not any(values.values()):
            continue
        if len(result.rows) >= MAX_ROWS:
            result.errors.append(RowError(row_no, "", f"行数超过 {MAX_ROWS} 行上限"))
            break
        _check_row(row_no, values, seen, result)
    wb.close()
    if not result.rows and not result.errors:
        result.errors.append(RowError(header_row + 1, "单位名称", "表中没有单位数据"))
    return result


def _check_row(row_no: int, values: dict, seen: dict[str, int], result: ParsedUnits) -> None:
    labels = {v: k for k, v in HEADERS.items()}
    ok = True
    for key, limit in MAX_LENGTHS.items():
        if len(values.get(key, "")) > limit:
            result.errors.append(RowError(row_no, labels[key], f"超过 {limit} 个字"))
            ok = False
    name = values.get("name", "")
    if not name:
        result.errors.append(RowError(row_no, "单位名称", "单位名称不能为空"))
        ok = False
    elif name in seen:
        result.errors.append(RowError(row_no, "单位名称", f"与第 {seen[name]} 行重复"))
        ok = False
    else:
        seen[name] = row_no
    phone = values.get("contact_phone", "")
    if phone and not PHONE.match(phone):
        result.errors.append(RowError(row_no, "联系电话", "电话号码格式不正确"))
        ok = False
    if ok:
        values.setdefault("category", "")
        values["category"] = values["category"] or "其他"
        values.setdefault("contact_name", "")
        values.setdefault("contact_phone", "")
        result.rows.append({"row": row_no, **values})


def import_units(actor: User, data: bytes, max_bytes: int) -> dict[str, int]:
    """Create new units and update existing ones (matched by name), or raise with every error."""
    parsed = parse_units(data, max_bytes)
    if parsed.errors:
        raise ValidationFailed("导入失败，未导入任何数据。请修改以下错误后重新上传：", parsed.errors)
    names = [r["name"] for r in parsed.rows]
    existing = {u.name: u for u in db.session.scalars(select(Unit).where(Unit.name.in_(names)))}
    created = updated = 0
    for row in parsed.rows:
        values = {k: row[k] for k in MAX_LENGTHS}
        unit = existing.get(row["name"])
        if unit is None:
            db.session.add(Unit(**values))
            created += 1
        elif audit.changes(unit, values):
            updated += 1
    db.session.flush()
    summary = {"created": created, "updated": updated, "unchanged": len(parsed.rows) - created - updated}
    audit.record("unit_import", actor=actor, details=summary)
    return summary
