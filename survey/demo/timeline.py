"""Dates and moments of the demo, relative to today (China date), and acting at a past moment."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime, time, timedelta, timezone

from survey import clock


def moment(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """The aware UTC moment of day at hour:minute China time."""
    return datetime.combine(day, time(hour, minute), clock.CHINA).astimezone(timezone.utc)


@contextmanager
def acting_at(when: datetime):
    """Run the enclosed domain calls as if the clock showed when; the clock is put back after
    (a test's frozen clock included)."""
    previous = clock._frozen
    clock.freeze(when)
    try:
        yield
    finally:
        clock.freeze(previous)


def spread(start: datetime, end: datetime, count: int) -> list[datetime]:
    """count moments strictly between start and end, evenly spaced, in order."""
    if end <= start:
        end = start + timedelta(minutes=count + 1)
    step = (end - start) / (count + 1)
    return [start + step * (i + 1) for i in range(count)]
