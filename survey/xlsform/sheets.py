"""Reading the sheets of an XLSForm workbook into rows keyed by normalised column names."""
from __future__ import annotations

import re
from dataclasses import dataclass

MAX_ROWS = 5000
# Sheets formatted down to row 1,048,576 hold a million empty rows: stop after this many in a
# row and say so (a notice), rather than read for seconds or drop content silently.
BLANK_RUN_STOP = 1000
ZH_HINTS = ("zh", "chinese", "中文", "汉语", "cn")
LANGUAGE_COLUMNS = ("label", "hint", "constraint_message", "required_message")
ALIASES = {"list name": "list_name", "list_name": "list_name", "value": "name"}


@dataclass
class Row:
    number: int
    values: dict[str, str]

    def get(self, key: str) -> str:
        return self.values.get(key, "")


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def split_header(raw) -> tuple[str, str]:
    """'label::English (en)' -> ('label', 'english (en)'); 'label:english' -> ('label', 'english')."""
    text = cell_text(raw).lower()
    text = re.sub(r"\s+", " ", text)
    base, sep, lang = text.partition("::") if "::" in text else text.partition(":")
    base = base.strip()
    base = ALIASES.get(base, base.replace(" ", "_") if base in ("required message", "constraint message")
                       else base)
    return base, lang.strip()


def _rank(lang: str, preferred: str) -> int:
    """Chinese first, then the form's default language, then the unlabelled column, then others."""
    if lang and any(h in lang for h in ZH_HINTS):
        return 0
    if preferred and lang == preferred.lower():
        return 1
    return 2 if lang == "" else 3


def read_sheet(ws, preferred_language: str = "", notices: list[str] | None = None
               ) -> tuple[list[Row], list[str]]:
    """Rows of ws as dicts of column -> text, and the normalised header names. A translatable
    column is read in the best language that has text in that row."""
    # The <dimension> a file records can be wrong either way (real forms claim a million rows; a
    # stale one hides rows): read what the XML holds instead.
    ws.reset_dimensions()
    rows_iter = ws.iter_rows(values_only=True)
    header_cells = next(rows_iter, None)
    if header_cells is None:
        return [], []
    headers = [split_header(h) for h in header_cells]
    columns: dict[str, list[int]] = {}
    for i, (base, lang) in enumerate(headers):
        if base:
            columns.setdefault(base, []).append(i)
    for base in LANGUAGE_COLUMNS:
        if base in columns:
            columns[base].sort(key=lambda i: (_rank(headers[i][1], preferred_language), i))
    rows, blank_run = [], 0
    for number, cells in enumerate(rows_iter, start=2):
        values = {}
        for base, indices in columns.items():
            texts = [cell_text(cells[i]) for i in indices if i < len(cells)]
            text = next((t for t in texts if t), "")
            if text:
                values[base] = text
        if not values:
            blank_run += 1
            if blank_run >= BLANK_RUN_STOP:
                if notices is not None:
                    notices.append(f"{ws.title} 表第 {number - blank_run + 1} 行起连续 {BLANK_RUN_STOP} 行为空，"
                                   "其后的内容未读取")
                break
            continue
        blank_run = 0
        rows.append(Row(number, values))
        if len(rows) > MAX_ROWS:
            break
    return rows, list(columns)


def sheets_by_name(wb) -> dict[str, object]:
    return {ws.title.strip().lower(): ws for ws in wb.worksheets}
