"""The one place the application asks for the time, so tests can move it."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterator

CHINA = timezone(timedelta(hours=8), "CST")  # dates people see (deadlines, 发现/销号时间) are China dates
_frozen: datetime | None = None


def utcnow() -> datetime:
    """Current time, timezone-aware UTC."""
    return _frozen if _frozen is not None else datetime.now(timezone.utc)


def freeze(moment: datetime | None) -> None:
    """Pin the clock to moment (aware UTC), or release it with None."""
    global _frozen
    _frozen = moment


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    """The clock pinned to moment for the enclosed calls, then put back as it was (frozen or not)."""
    previous = _frozen
    freeze(moment)
    try:
        yield
    finally:
        freeze(previous)


def china_moment(day: date, hour: int = 0, minute: int = 0) -> datetime:
    """The aware UTC moment of day at hour:minute China time (0:00, the day's start, by default)."""
    return datetime.combine(day, time(hour, minute), CHINA).astimezone(timezone.utc)


def china_date(moment: datetime) -> date:
    """The date a person in China sees for an aware moment."""
    return moment.astimezone(CHINA).date()


def today() -> date:
    """Today in China time: every date the product derives (发现时间, 问诊日期, 逾期, exports) uses it."""
    return china_date(utcnow())
