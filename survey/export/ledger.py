"""问题台账.xlsx: the ledger, 按单位汇总, 按类别汇总 (with a bar chart) and 流转记录, written in one pass
over the streamed rows (the summaries are counted while the ledger rows go by)."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Callable

from flask import current_app

from survey.clock import china_date, utcnow
from survey.export import queries, rows
from survey.export.xlsx import Book, Sheet
from survey.ledger.categories import names as category_names
from survey.ledger.queries import LedgerFilter
from survey.models import User

PROGRESS_EVERY = 2000
Progress = Callable[[int], None]


@dataclass
class LedgerSpec:
    """What to export and as of when: the user (None: the command line, everything) and the filter."""

    user: User | None
    f: LedgerFilter
    today: date
    near_days: int
    district: str
    now: datetime

    @classmethod
    def current(cls, user: User | None, f: LedgerFilter) -> "LedgerSpec":
        now = utcnow()
        return cls(user, f, china_date(now), int(current_app.config.get("NEAR_DEADLINE_DAYS", 7)),
                   current_app.config.get("DISTRICT_NAME", ""), now)

    @property
    def args(self) -> tuple:
        return self.user, self.f, self.today, self.near_days

    @property
    def who(self) -> str:
        return self.user.display_name if self.user is not None else "命令行"


def file_name(spec: LedgerSpec) -> str:
    return f"问题台账_{spec.today:%Y%m%d}.xlsx"


def count(spec: LedgerSpec) -> int:
    return queries.count_problems(*spec.args)


def count_rows(spec: LedgerSpec, cap: int | None = None) -> int:
    """Rows to write, problems and their events (at most cap + 1 of each with a cap: enough to choose
    between the request and a background job); a job's progress counts to this."""
    problems = queries.count_problems(*spec.args, cap=cap)
    if cap is not None and problems > cap:
        return problems
    return problems + queries.count_events(*spec.args, cap=cap)


def to_bytes(spec: LedgerSpec) -> bytes:
    out = io.BytesIO()
    write_ledger(out, spec)
    return out.getvalue()


def write_ledger(target, spec: LedgerSpec, progress: Progress | None = None, events: bool = True) -> int:
    """Write the workbook to target (a path or a binary file); return how many problems it holds."""
    book = Book(target)
    ledger, units, categories, history = (
        book.sheet(name, columns) for name, columns in zip(rows.SHEETS, (
            rows.LEDGER_COLUMNS, rows.UNIT_SUMMARY_COLUMNS, rows.CATEGORY_SUMMARY_COLUMNS, rows.EVENT_COLUMNS)))
    round_name, unit_name = queries.names_for(spec.user, spec.f)
    title = rows.title(spec.district, round_name)
    tally = rows.Tally()
    n = _problems(ledger, spec, title, rows.conditions(spec.f, round_name, unit_name, spec.near_days), tally,
                  progress)
    _summary(units, f"{title}·按单位汇总", tally.unit_rows())
    _summary(categories, f"{title}·按类别汇总", tally.category_rows(category_names(active_only=False)), chart=True)
    if events:
        _events(history, f"{title}·流转记录", spec, progress, n)
    else:
        history.finish()
    book.close()
    return n


def _problems(sheet: Sheet, spec: LedgerSpec, title: str, conditions: list[str], tally: rows.Tally,
              progress: Progress | None) -> int:
    sheet.banner(title)
    sheet.banner(rows.meta_line(spec.now, spec.who, conditions), "meta", 20)
    sheet.header()
    n = 0
    for n, r in enumerate(queries.stream(queries.ledger_rows(*spec.args)), 1):
        values, warn = rows.ledger_row(n, r, spec.today, spec.near_days)
        sheet.write(values, warn)
        tally.add(r.unit_name, r.category, r.status, warn)
        if progress is not None and n % PROGRESS_EVERY == 0:
            progress(n)
    sheet.finish(freeze_cols=2)
    return n


def _summary(sheet: Sheet, title: str, lines: list[tuple], chart: bool = False) -> None:
    sheet.banner(title, height=26)
    sheet.header()
    first = sheet.row
    for line in lines:
        sheet.write(line)
    sheet.finish(freeze_cols=2)
    if chart:
        sheet.bar_chart("问题数量（按类别）", first, sheet.row - 2, 1, 2)  # the 合计 row is left out


def _events(sheet: Sheet, title: str, spec: LedgerSpec, progress: Progress | None, done: int) -> None:
    sheet.banner(title, height=26)
    sheet.header()
    for n, r in enumerate(queries.stream(queries.event_rows(*spec.args)), done + 1):
        sheet.write(rows.event_row(r))
        if progress is not None and n % PROGRESS_EVERY == 0:
            progress(n)
    sheet.finish(freeze_cols=1)
