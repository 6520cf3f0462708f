"""The workbook writer: XlsxWriter in constant_memory mode (each row goes to disk as soon as the next
one starts, so memory stays flat however many rows), typed cells, one cached format per
(column kind, fill, quote prefix), print setup. Text always goes through survey.export.cells.

The table's lines are the sheet's gridlines, printed too, rather than a border on every cell: empty
cells then need not be written, nor plain text cells carry a format, which keeps the styled export
within 1.3× of a bare dump (bench/ledger_export.py)."""
from __future__ import annotations

from datetime import date, datetime

import xlsxwriter

from survey.export.cells import TRIGGERS, clean, display_width, is_formula_like, is_inline_markup, line_count
from survey.export.rows import Column

EXCEL_EPOCH = date(1899, 12, 30).toordinal()
MAX_ROWS = 1_048_576            # rows in one Excel sheet
MEASURE_ROWS = 2000             # column widths are fitted to the header and the first rows
LINE_HEIGHT, MAX_LINES = 13.5, 30   # points per line of 10 pt text; Excel's tallest row is 409 pt
FONT = "宋体"
FILLS = {"red": "#FFC7CE", "yellow": "#FFEB9C"}
DEFAULT_FORMAT = {"font_name": FONT, "font_size": 10, "valign": "top"}  # every cell's, unless told otherwise
KIND_FORMATS = {"text": {}, "long": {"text_wrap": True}, "num": {}, "int": {}, "pct": {"num_format": "0.0%"},
                "date": {"num_format": "yyyy-mm-dd"}, "datetime": {"num_format": "yyyy-mm-dd hh:mm"}}
SLOW_START = TRIGGERS | frozenset(" <")  # text starting so needs put()'s checks (spaces before "=", "<r>")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def excel_serial(value: date) -> float:
    """A date or naive datetime as Excel's day number (what a typed date is stored as)."""
    days = value.toordinal() - EXCEL_EPOCH
    if isinstance(value, datetime):
        return days + (value.hour * 3600 + value.minute * 60 + value.second) / 86400
    return days


class Book:
    def __init__(self, target) -> None:
        self.wb = xlsxwriter.Workbook(target, {
            "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False, "default_format_properties": DEFAULT_FORMAT})
        self._formats: dict[tuple, object] = {}

    def format(self, kind: str, fill: str = "", quote: bool = False):
        """The cell format for a column kind, a fill and the quote prefix; None where the workbook's
        default does (a cell without a format costs XlsxWriter less: most cells are plain text)."""
        key = (kind, fill, quote)
        fmt = self._formats.get(key)
        if fmt is None and (KIND_FORMATS[kind] or fill in FILLS or quote):
            props = dict(KIND_FORMATS[kind])
            if fill in FILLS:
                props["bg_color"] = FILLS[fill]
            if quote:
                props["quote_prefix"] = True
            fmt = self._formats[key] = self.wb.add_format(props)
        return fmt

    def style(self, name: str, quote: bool = False):
        """The title, the line under it, and the header row."""
        key = ("style", name, quote)
        if key not in self._formats:
            props = {"title": {"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"},
                     "meta": {"font_size": 10, "align": "left", "valign": "vcenter"},
                     "header": {"bold": True, "font_size": 10, "align": "center", "valign": "vcenter",
                                "text_wrap": True, "border": 1, "bg_color": "#D9E1F2"}}[name]
            self._formats[key] = self.wb.add_format({**props, "quote_prefix": quote})
        return self._formats[key]

    def sheet(self, name: str, columns: tuple[Column, ...]) -> "Sheet":
        return Sheet(self, name, columns)

    def close(self) -> None:
        self.wb.close()


class Sheet:
    """One worksheet written top to bottom: banners, the header, then rows."""

    def __init__(self, book: Book, name: str, columns: tuple[Column, ...]) -> None:
        self.book, self.columns = book, columns
        self.ws = book.wb.add_worksheet(name)
        self.kinds = [c.kind for c in columns]
        self.widths = [c.width for c in columns]
        # text columns whose width follows their content, and wrapped ones whose rows grow with it
        self.fit = [c.kind == "long" or (c.kind == "text" and c.max_width > c.width) for c in columns]
        self.plain = {fill: [book.format(k, fill) for k in self.kinds] for fill in ("", *FILLS)}
        self.row = 0
        self.header_rows: list[int] = []
        self.dropped = 0
        self.tall_row = -1

    def banner(self, text: str, style: str = "title", height: float = 30) -> None:
        """A line merged across every column (the title, the export time)."""
        fmt = self.book.style(style)
        if len(self.columns) > 1:
            self.ws.merge_range(self.row, 0, self.row, len(self.columns) - 1, "", fmt)
        self.put(self.row, 0, text, fmt, self.book.style(style, quote=True))
        self.ws.set_row(self.row, height)
        self.row += 1

    def header(self, texts: list[str] | None = None) -> None:
        """The header row (the columns' headers, or texts: a second header row under the first)."""
        fmt, quoted = self.book.style("header"), self.book.style("header", quote=True)
        for col, column in enumerate(self.columns):
            text = self.put(self.row, col, texts[col] if texts is not None else column.header, fmt, quoted)
            self.widths[col] = max(self.widths[col], min(display_width(text) + 2, column.max_width))
        self.ws.set_row(self.row, 22)
        self.header_rows.append(self.row)
        self.row += 1

    def write(self, values, fill: str = "") -> bool:
        """One row; fill "red" / "yellow" colours it. False once the sheet is full (Excel's limit)."""
        r = self.row
        if r >= MAX_ROWS - 1:  # the last row is kept for saying how many did not fit
            self.dropped += 1
            return False
        ws, fmts, kinds, fit = self.ws, self.plain.get(fill) or self.plain[""], self.kinds, self.fit
        # XlsxWriter's undecorated writers (the public ones add only A1-notation parsing): the hot loop.
        string, number, blank = ws._write_string, ws._write_number, ws._write_blank
        measuring, lines, painted = r < MEASURE_ROWS, 1, fill in FILLS
        for c, value in enumerate(values):
            if value is None or value == "":
                if painted:  # an empty cell is written only to carry the row's colour
                    blank(r, c, None, fmts[c])
                continue
            kind = kinds[c]
            if type(value) is str and value.isprintable() and value[0] not in SLOW_START:
                string(r, c, value, fmts[c])  # plain text, the common case: nothing to check further
            elif kind == "text" or kind == "long" or isinstance(value, str):
                value = self.put(r, c, value, fmts[c], self.book.format(kind, fill, quote=True))
            else:
                number(r, c, excel_serial(value) if kind == "date" or kind == "datetime" else value, fmts[c])
                continue
            if fit[c] and (measuring or kind == "long"):
                lines = max(lines, self._fit(r, c, value))
        self._height(r, lines)
        self.row = r + 1
        return True

    def _fit(self, r: int, c: int, text: str) -> int:
        """Widen a measured column to its text; return the lines a wrapped column's text takes."""
        column = self.columns[c]
        if self.kinds[c] == "long":
            return line_count(text, column.max_width) if len(text) * 2 >= column.max_width - 1 or "\n" in text else 1
        self.widths[c] = max(self.widths[c], min(display_width(text) + 2, column.max_width))
        return 1

    def _height(self, r: int, lines: int) -> None:
        """Wrapped text gets a row tall enough (LibreOffice and WPS do not fit rows on opening). What
        XlsxWriter keeps of the previous row's height is dropped once that row is on disk: constant_memory
        frees the cells but would keep every set_row() until the file is closed."""
        if self.tall_row == r - 1:
            self.ws.row_info.pop(r - 1, None)
            self.ws.row_sizes.pop(r - 1, None)
        if lines > 1:
            self.ws.set_row(r, LINE_HEIGHT * min(lines, MAX_LINES) + 3)
            self.tall_row = r

    def put(self, r: int, c: int, value, fmt, quoted_fmt) -> str:
        """Text into a cell as a string, never a formula: cleaned, quote-prefixed when it looks like one."""
        raw = value if isinstance(value, str) else str(value)
        text = clean(raw)
        if is_formula_like(raw) or is_formula_like(text):
            fmt = quoted_fmt
        if is_inline_markup(text):  # written as rich text, whose fragments XlsxWriter escapes
            self.ws.write_rich_string(r, c, text[:1], text[1:2], text[2:], fmt)
        else:
            self.ws.write_string(r, c, text, fmt)
        return text

    def finish(self, freeze_cols: int = 0) -> None:
        """Column widths, frozen header, autofilter, print setup (landscape A4, one page wide, the
        header row on every page)."""
        ws, last_col = self.ws, len(self.columns) - 1
        if self.dropped:
            ws.write_string(self.row, 0, f"另有 {self.dropped} 行超出 Excel 单表 {MAX_ROWS} 行的上限，未导出",
                            self.book.style("meta"))
        for col, width in enumerate(self.widths):
            ws.set_column(col, col, width)
        if self.header_rows:
            first, last = self.header_rows[0], self.header_rows[-1]
            ws.freeze_panes(last + 1, freeze_cols)
            ws.autofilter(last, 0, max(last, self.row - 1), last_col)
            ws.repeat_rows(first, last)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        ws.center_horizontally()
        ws.set_footer("&C第 &P 页，共 &N 页")
        ws.hide_gridlines(0)  # gridlines on screen and on paper: the table's lines, without a border per cell

    def bar_chart(self, title: str, first_row: int, last_row: int, category_col: int, value_col: int) -> None:
        """A native Excel bar chart of one column against another, placed right of the table."""
        if last_row < first_row:
            return
        chart = self.book.wb.add_chart({"type": "bar"})
        name = self.ws.name
        chart.add_series({"name": title, "categories": [name, first_row, category_col, last_row, category_col],
                          "values": [name, first_row, value_col, last_row, value_col],
                          "data_labels": {"value": True}, "fill": {"color": "#4472C4"}, "gap": 60})
        chart.set_title({"name": title, "name_font": {"size": 12}})
        chart.set_legend({"none": True})
        chart.set_y_axis({"reverse": True})  # the category axis of a bar chart: first category on top
        chart.set_size({"width": 560, "height": max(280, 26 * (last_row - first_row + 1) + 90)})
        self.ws.insert_chart(1, len(self.columns) + 1, chart)
