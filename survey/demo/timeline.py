"""Dates and moments of the demo, relative to today (China date), and acting at a past moment."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from survey import clock


def moment(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """The aware UTC moment of day at hour:minute China time (10:00 unless told)."""
    return clock.china_moment(day, hour, minute)


# Run the enclosed domain calls as if the clock showed that moment; a test's frozen clock is put back.
acting_at = clock.frozen_at


def spread(start: datetime, end: datetime, count: int) -> list[datetime]:
    """count moments strictly between start and end, evenly spaced, in order."""
    if end <= start:
        end = start + timedelta(minutes=count + 1)
    step = (end - start) / (count + 1)
    return [start + step * (i + 1) for i in range(count)]
