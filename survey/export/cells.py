"""Text that is safe to put in a spreadsheet cell: nothing XML forbids, nothing that runs as a formula.

Excel, WPS and LibreOffice run a cell typed as `=…` (or `+`, `-`, `@`, and the full-width forms an
input method produces) as a formula once somebody edits it, and a CSV saved from the workbook runs it
on opening. Such text is written as a string cell with Excel's quote prefix (what typing `'=…` does):
it shows and reads back unchanged, and stays text when edited. No I/O here."""
from __future__ import annotations

import re

# XML 1.0 allows tab, LF, CR and everything from U+0020 except surrogates and U+FFFE/U+FFFF.
# Word pastes U+000B (manual line break) and U+000C (page break): those become line breaks.
_ILLEGAL = re.compile("[\x00-\x08\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_BREAKS = re.compile("\r\n|[\r\x0b\x0c]")
TRIGGERS = frozenset("=+-@\t\r＝＋－＠")
LEADING_SPACE = " \u00a0\u3000\t\r\n\x0b\x0c"


def clean(text: str) -> str:
    """Drop the characters XML cannot carry; Word's line and page breaks become newlines."""
    if text.isprintable():  # the common case, checked in C: nothing to drop
        return text
    return _ILLEGAL.sub("", _BREAKS.sub("\n", text))


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet could take the text for a formula: it starts with = + - @, a tab or a
    carriage return, or with spaces before one of those, in ASCII or full-width form."""
    if not text:
        return False
    first = text[0]
    if first in TRIGGERS:
        return True
    if first in LEADING_SPACE:
        rest = text.lstrip(LEADING_SPACE)
        return bool(rest) and rest[0] in TRIGGERS
    return False


def is_inline_markup(text: str) -> bool:
    """XlsxWriter's constant_memory mode copies a string that looks like `<r>…</r>` into the sheet's XML
    without escaping (it takes it for its own rich text): such text must be written another way."""
    return text.startswith("<r>") and text.endswith("</r>")


def display_width(text: str) -> int:
    """Columns the text takes in Excel: a CJK character counts two, ASCII one (from the UTF-8 length,
    which is computed in C: 3 bytes for CJK, 1 for ASCII)."""
    longest = max(text.split("\n"), key=len) if "\n" in text else text
    return (len(longest.encode("utf-8")) + len(longest)) // 2


def line_count(text: str, width: int) -> int:
    """Lines the text wraps to in a column width characters wide."""
    usable = max(1, width - 1)
    return sum(max(1, -(-((len(part.encode("utf-8")) + len(part)) // 2) // usable)) for part in text.split("\n"))
