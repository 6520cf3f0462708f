"""How much work a workbook may cost, measured before openpyxl opens it (issue 12).

A 100 KB .xlsx can hold a million rows that each carry one cell in column XFD: openpyxl pads every
row it reads to its last cell, so reading it meant 16 billion cells and 45 s of one request. The
sheet's <dimension> is whatever the file says, so it cannot be trusted. Instead every worksheet's
XML is streamed once here (decompressed in chunks, never whole) and the work openpyxl would do
is counted as it goes: rows, and cells as openpyxl materialises them (each row up to its last
cell's column). The scan stops at the first limit crossed, so a hostile file costs a few
milliseconds. Other parts (shared strings, styles) are bounded by their decompressed size."""
from __future__ import annotations

import re
import zipfile
from xml.etree.ElementTree import ParseError

from lxml.etree import LxmlError

MAX_ROWS = 100_000           # <row> elements in one sheet (the importers keep at most 5000)
MAX_CELLS = 2_000_000        # cells openpyxl would materialise in one sheet, padding included
MAX_SHEET_BYTES = 128 * 1024 * 1024   # decompressed XML of one sheet
MAX_PART_BYTES = 32 * 1024 * 1024     # decompressed shared strings, styles, workbook
CHUNK = 1 << 20
TOO_BIG = ("工作簿过大：工作表“{sheet}”超过导入上限（{rows} 行或 {cells} 个单元格，含空白列），"
           "请删除多余的行和列后重试")
PART_TOO_BIG = "工作簿过大：其中的 {part} 解压后超过 {mb} MB，请另存为新的 .xlsx 后重试"

# What openpyxl raises on a zip that is not a workbook, or a workbook with broken XML inside: the
# importers catch these and say the file is not a valid workbook. openpyxl parses with lxml when it
# is installed (docxtpl brings it) and with ElementTree otherwise; both errors are here.
CORRUPT_WORKBOOK = (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, IndexError, AttributeError,
                    EOFError, ParseError, LxmlError)

# A row's start, or a cell with its reference column ("<c r="XFD12""); namespace prefixes allowed.
TOKEN = re.compile(rb"<(?:[\w.-]+:)?(row|c)(?=[\s/>])([^>]*)>")
CELL_REF = re.compile(rb'\br\s*=\s*["\']\$?([A-Za-z]{1,3})')


def column_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


class _SheetWork:
    """Counts rows and materialised cells over a stream of XML chunks."""

    def __init__(self) -> None:
        self.rows = self.cells = self.width = self.last_col = 0

    def feed(self, text: bytes) -> None:
        for match in TOKEN.finditer(text):
            if match.group(1) == b"row":
                self.rows += 1
                self.cells += self.width
                self.width = self.last_col = 0
            else:
                ref = CELL_REF.search(match.group(2))
                self.last_col = column_number(ref.group(1)) if ref else self.last_col + 1
                self.width = max(self.width, self.last_col)

    def over(self) -> bool:
        return self.rows > MAX_ROWS or self.cells + self.width > MAX_CELLS


def _scan_sheet(member) -> bool:
    """True when the sheet stays within the limits. A tag cut by a chunk boundary is carried over."""
    work, carry, total = _SheetWork(), b"", 0
    while chunk := member.read(CHUNK):
        total += len(chunk)
        text = carry + chunk
        cut = text.rfind(b"<")
        carry, text = (text[cut:], text[:cut]) if cut >= 0 and b">" not in text[cut:] else (b"", text)
        work.feed(text)
        if work.over() or total > MAX_SHEET_BYTES:
            return False
    work.feed(carry)
    return not work.over()


def _part_size_ok(member, limit: int) -> bool:
    total = 0
    while chunk := member.read(CHUNK):
        total += len(chunk)
        if total > limit:
            return False
    return True


def refusal(data: bytes) -> str | None:
    """The Chinese reason this workbook is too costly to open, or None. A file that is no zip is
    left to the importer's own "not a workbook" message."""
    import io

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    try:
        for info in archive.infolist():
            name = info.filename
            if not name.endswith(".xml") and not name.endswith(".rels"):
                continue
            with archive.open(info) as member:
                if name.startswith("xl/worksheets/") and name.count("/") == 2:
                    if not _scan_sheet(member):
                        return TOO_BIG.format(sheet=name.rsplit("/", 1)[-1].removesuffix(".xml"),
                                              rows=f"{MAX_ROWS:,}", cells=f"{MAX_CELLS:,}")
                elif not _part_size_ok(member, MAX_PART_BYTES):
                    return PART_TOO_BIG.format(part=name, mb=MAX_PART_BYTES // 1024 // 1024)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return None  # corrupt inside: openpyxl says so in the importer's words
    finally:
        archive.close()
    return None
