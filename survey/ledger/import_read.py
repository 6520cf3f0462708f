"""Reading an office's problem ledger (.xlsx) into raw rows. The header is found by name in the
first 10 rows of the first sheet that has it (a merged title row above it is normal; a second
header row under a merged group heading is read too); columns may come in any order.
Cells merged down a column (one 责任单位 for several problems) count for every row they cover."""
from __future__ import annotations

import io
import itertools
import re
import unicodedata
from dataclasses import dataclass, field


from survey import xlsx_guard
from survey.xlsform.sheets import cell_text

MAX_ROWS = 10000
HEADER_SCAN = 10
BLANK_RUN_STOP = 1000
MAX_MERGES = 100000
COLUMNS = {
    "序号": "seq", "编号": "code", "问题编号": "code", "责任单位": "unit", "问题描述": "description",
    "问题类别": "category", "发现方式": "source", "发现时间": "found_on", "发现日期": "found_on",
    "严重程度": "severity", "整改时限": "deadline", "整改期限": "deadline", "办毕时限": "deadline",
    "完成时限": "deadline", "责任人": "responsible_person", "整改措施": "measures", "整改进展": "progress",
    "完成情况": "result", "状态": "status", "整改状态": "status", "销号时间": "closed_at", "销号日期": "closed_at",
}
REQUIRED = {"unit": "责任单位", "description": "问题描述"}
MERGE_REF = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]{1,3}[0-9]{1,7}:[A-Z]{1,3}[0-9]{1,7})"')


@dataclass
class RowError:
    row: int        # as Excel numbers it; 0 for the whole file
    column: str     # the header as written in the file
    message: str

    def __str__(self) -> str:
        if not self.row:
            return self.message
        return f"第 {self.row} 行{f'「{self.column}」' if self.column else ''}：{self.message}"


@dataclass
class Sheet:
    title: str = ""
    header_row: int = 0
    headers: dict[str, str] = field(default_factory=dict)          # key -> header text in the file
    rows: list[tuple[int, dict]] = field(default_factory=list)     # (Excel row number, key -> cell value)
    errors: list[RowError] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def header_key(value) -> str:
    """'问题\\n描述', '整改时限（日期）', '*责任单位' -> the column key, or ''."""
    text = unicodedata.normalize("NFKC", cell_text(value))
    text = re.sub(r"\(.*?\)|\s|\*", "", text)
    return COLUMNS.get(text, "")


def _recognised(cells) -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    for i, value in enumerate(cells or ()):
        key = header_key(value)
        if key and key not in found:
            found[key] = (i, cell_text(value))
    return found


def _find_header(top: list[tuple]) -> tuple[int, dict[str, tuple[int, str]]]:
    """(index of the last header row in top, key -> (column, text)); ({}) when nothing matches."""
    if not top:
        return -1, {}
    best = max(range(len(top)), key=lambda i: (len(_recognised(top[i])), -i))
    cols = _recognised(top[best])
    last = best
    for n in (best - 1, best + 1):  # a two-row header: group headings above their sub-columns
        if 0 <= n < len(top) and cols:
            taken = {i for i, _ in cols.values()}
            extra = {k: v for k, v in _recognised(top[n]).items() if k not in cols and v[0] not in taken}
            if extra:
                cols.update(extra)
                last = max(last, n)
    return last, cols


def merged_down(ws, first_row: int) -> dict[int, list[tuple[int, int]]]:
    """Row -> [(column index, last row)] for cells merged down a column from that row on.
    Read-only sheets do not expose merges, so the sheet's XML is scanned for them."""
    source = getattr(ws, "_get_source", None)
    if source is None:
        return {}
    refs: set[bytes] = set()
    tail = b""
    with source() as stream:
        while chunk := stream.read(1 << 20):
            buf = tail + chunk
            refs.update(MERGE_REF.findall(buf))
            tail = buf[-120:]
            if len(refs) > MAX_MERGES:
                break
    starts: dict[int, list[tuple[int, int]]] = {}
    for ref in refs:
        from openpyxl.utils.cell import range_boundaries

        min_col, min_row, _, max_row = range_boundaries(ref.decode())
        if max_row > min_row and min_row >= first_row:
            starts.setdefault(min_row, []).append((min_col - 1, max_row))
    return starts


def _filled(rows_iter, first_row: int, starts: dict):
    """The data rows with merged-down cells filled in from their top cell."""
    carry: dict[int, tuple[object, int]] = {}
    for number, cells in enumerate(rows_iter, start=first_row):
        cells = list(cells)
        for col, (value, last) in list(carry.items()):
            if number > last:
                del carry[col]
            else:
                cells += [None] * (col + 1 - len(cells))
                cells[col] = value
        for col, last in starts.get(number, ()):
            carry[col] = (cells[col] if col < len(cells) else None, last)
        yield number, cells


def _read_rows(ws, sheet: Sheet, cols: dict[str, tuple[int, str]], rest) -> None:
    blank_run = 0
    for number, cells in _filled(rest, sheet.header_row + 1, merged_down(ws, sheet.header_row + 1)):
        values = {key: cells[i] if i < len(cells) else None for key, (i, _) in cols.items()}
        if not any(cell_text(v) for k, v in values.items() if k != "seq"):  # pre-numbered empty rows too
            blank_run += 1
            if blank_run >= BLANK_RUN_STOP:
                sheet.notices.append(f"第 {number - blank_run + 1} 行起连续 {BLANK_RUN_STOP} 行为空，其后的内容未读取")
                return
            continue
        blank_run = 0
        if len(sheet.rows) >= MAX_ROWS:
            sheet.errors.append(RowError(number, "", f"超过 {MAX_ROWS} 行的上限，请分成几个文件导入"))
            return
        sheet.rows.append((number, values))


def _open_sheet(ws):
    """The sheet with its header found, the header's columns, and an iterator of the rows below."""
    ws.reset_dimensions()  # the recorded <dimension> can be wrong either way
    rows_iter = ws.iter_rows(values_only=True)
    top = [row for _, row in zip(range(HEADER_SCAN), rows_iter)]
    last, cols = _find_header(top)
    sheet = Sheet(title=ws.title, header_row=last + 1, headers={k: text for k, (_, text) in cols.items()})
    return sheet, cols, itertools.chain(top[last + 1:], rows_iter)


def read_ledger(data: bytes, max_bytes: int) -> Sheet:
    """The ledger's rows, or errors about the file itself (size, format, headers)."""
    if len(data) > max_bytes:
        return Sheet(errors=[RowError(0, "", f"文件超过 {max_bytes // 1024 // 1024} MB 的上限")])
    too_big = xlsx_guard.refusal(data)
    if too_big:
        return Sheet(errors=[RowError(0, "", too_big)])
    from openpyxl import load_workbook  # openpyxl loads here, not at start-up: ~8 MB less in every worker
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, *xlsx_guard.CORRUPT_WORKBOOK):
        return Sheet(errors=[RowError(0, "", "文件不是有效的 Excel (.xlsx) 工作簿（.xls 等旧格式请先在 Excel 中另存为 .xlsx）")])
    try:
        return _read_workbook(wb)
    finally:
        wb.close()


def _read_workbook(wb) -> Sheet:
    candidates = []
    for ws in wb.worksheets:
        sheet, cols, rest = _open_sheet(ws)
        if all(k in cols for k in REQUIRED):
            _read_rows(ws, sheet, cols, rest)
            if not sheet.rows and not sheet.errors:
                sheet.errors.append(RowError(sheet.header_row + 1, "", "表中没有问题数据"))
            return sheet
        candidates.append(sheet)
    best = max(candidates, key=lambda s: len(s.headers), default=Sheet())
    missing = "”“".join(label for key, label in REQUIRED.items() if key not in best.headers)
    best.errors.append(RowError(best.header_row if best.headers else 0, "",
                                f"前 {HEADER_SCAN} 行中找不到表头“{missing}”（台账须有“责任单位”和“问题描述”两列）"))
    return best

