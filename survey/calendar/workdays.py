"""THE working-day rule: is_working_day(d) and add_working_days(d, n).

A day is a working day when a local exception (CalendarDay) says so; otherwise when China's official
calendar (the chinese-calendar package: public holidays and 调休 make-up working days) says so. The
package knows a fixed range of years and raises NotImplementedError beyond it: there the rule falls
back to Monday–Friday (plus the local exceptions) and logs a warning; coverage() tells which years are
covered so that pages can warn about a deadline beyond them (beyond_coverage)."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar
from chinese_calendar import constants as official
from sqlalchemy import select

from survey.extensions import db
from survey.models import CalendarDay, DayKind

log = logging.getLogger(__name__)
MAX_SPAN = 3660  # add_working_days walks at most ~10 years, whatever n says


@dataclass(frozen=True)
class Coverage:
    first: int
    last: int

    def covers(self, d: date) -> bool:
        return self.first <= d.year <= self.last

    @property
    def label(self) -> str:
        return f"{self.first}–{self.last} 年"


@lru_cache(maxsize=1)
def coverage() -> Coverage:
    """The years chinese-calendar knows (its holiday table's first and last year)."""
    years = {d.year for d in official.holidays} | {d.year for d in official.workdays}
    return Coverage(min(years), max(years))


def beyond_coverage(d: date | None) -> bool:
    return d is not None and not coverage().covers(d)


def coverage_warning(d: date | None) -> str:
    """The Chinese warning shown beside a deadline the official calendar does not cover, or ''."""
    if not beyond_coverage(d):
        return ""
    return (f"{d.isoformat()} 超出法定节假日日历的覆盖范围（{coverage().label}），"
            "工作日按周一至周五及本地例外计算，请核对")


_warned: set[int] = set()


def official_working_day(d: date) -> bool:
    """chinese-calendar's answer; Monday–Friday (with a logged warning, once per year) beyond it."""
    try:
        return chinese_calendar.is_workday(d)
    except NotImplementedError:
        if d.year not in _warned:
            _warned.add(d.year)
            log.warning("chinese-calendar has no data for %s (covers %s): working days fall back to "
                        "Monday–Friday plus local exceptions", d.year, coverage().label)
        return d.weekday() < 5


def notes() -> dict[date, str]:
    return dict(db.session.execute(select(CalendarDay.day, CalendarDay.note)).all())


def exceptions(start: date | None = None, end: date | None = None) -> dict[date, str]:
    """Local exceptions (day -> DayKind value), optionally between start and end inclusive."""
    stmt = select(CalendarDay.day, CalendarDay.kind)
    if start is not None:
        stmt = stmt.where(CalendarDay.day >= start)
    if end is not None:
        stmt = stmt.where(CalendarDay.day <= end)
    return dict(db.session.execute(stmt).all())


class WorkCalendar:
    """The rule with the local exceptions read once: for loops that ask many days (the scan)."""

    def __init__(self, local: dict[date, str] | None = None) -> None:
        self.local = exceptions() if local is None else local
        self._cache: dict[date, bool] = {}

    def is_working_day(self, d: date) -> bool:
        hit = self._cache.get(d)
        if hit is None:
            kind = self.local.get(d)
            hit = kind == DayKind.WORK.value if kind is not None else official_working_day(d)
            self._cache[d] = hit
        return hit

    def add_working_days(self, d: date, n: int) -> date:
        """The n-th working day after d (n < 0: before it). n = 0: d itself when it is a working
        day, else the next working day (a deadline on a holiday falls due on the next working day)."""
        step = 1 if n >= 0 else -1
        left = abs(n)
        day = d
        if n == 0:
            for _ in range(MAX_SPAN):
                if self.is_working_day(day):
                    return day
                day += timedelta(days=1)
            return d
        for _ in range(MAX_SPAN):
            day += timedelta(days=step)
            if self.is_working_day(day):
                left -= 1
                if left == 0:
                    return day
        return day

    def shift(self, d: date, n: int, working_days: bool) -> date:
        """d moved by n working days, or by n calendar days."""
        return self.add_working_days(d, n) if working_days else d + timedelta(days=n)


def is_working_day(d: date) -> bool:
    return WorkCalendar(exceptions(d, d)).is_working_day(d)


def add_working_days(d: date, n: int) -> date:
    return WorkCalendar().add_working_days(d, n)
