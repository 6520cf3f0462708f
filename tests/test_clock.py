"""Every date the product derives is the China date (survey.clock.today), also between 00:00 and
08:00 China time, when the UTC date is still yesterday."""
from __future__ import annotations

from datetime import date, datetime, timezone

from survey import clock
from survey.filling import operations as filling
from survey.ledger.rules import days_open
from survey.models import Problem
from tests.factories import make_ledger_world

FIVE_AM_IN_CHINA = datetime(2026, 3, 1, 21, 0, tzinfo=timezone.utc)  # 2026-03-02 05:00 UTC+8


def test_today_is_the_china_date_at_five_in_the_morning(frozen_clock):
    frozen_clock.set(FIVE_AM_IN_CHINA)
    assert clock.utcnow().date() == date(2026, 3, 1)
    assert clock.today() == date(2026, 3, 2)
    assert clock.china_date(datetime(2026, 3, 2, 16, 0, tzinfo=timezone.utc)) == date(2026, 3, 3)


def test_a_visit_opened_at_five_is_dated_today_in_china(app, db, frozen_clock):
    frozen_clock.set(FIVE_AM_IN_CHINA)
    world = make_ledger_world(db)
    visit = filling.open_submission(world["round"], world["unit"], "visit", world["users"]["checker"])
    db.session.flush()
    assert visit.facts["visit_date"] == "2026-03-02"


def test_days_open_counts_china_dates(app, db, frozen_clock):
    frozen_clock.set(FIVE_AM_IN_CHINA)
    problem = Problem(found_on=date(2026, 3, 1), status="closed",
                      closed_at=datetime(2026, 3, 1, 22, 0, tzinfo=timezone.utc))  # 3-2 06:00 in China
    assert days_open(problem, clock.today()) == 1
