"""Every date the product derives is the China date (survey.clock.today), also between 00:00 and
08:00 China time, when the UTC date is still yesterday."""
from __future__ import annotations

from datetime import date, datetime, timezone

from survey import clock
from survey.filling import operations as filling
from survey.ledger.rules import days_open
from sqlalchemy import select

from survey.models import Problem
from tests.conftest import csrf_from
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


# A day in the field that starts at 05:00 China time: a visit records two problems, one is closed at
# 17:00 the same day, the other at 05:30 the next morning; the ledger page, the Excel exports and the
# dashboard's 销号用时 all count China dates. With UTC dates the visit would be dated 3-01, the first
# problem would have taken 1 day, the second would have been closed on 3-02.
SAME_DAY_FIVE_PM = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)      # 2026-03-02 17:00 UTC+8
NEXT_DAY_HALF_FIVE = datetime(2026, 3, 2, 21, 30, tzinfo=timezone.utc)  # 2026-03-03 05:30 UTC+8


def _field_day(db, frozen_clock) -> dict:
    from survey.ledger import operations as ledger

    frozen_clock.set(FIVE_AM_IN_CHINA)
    world = make_ledger_world(db)
    old = world["round"]
    rnd = filling.create_round(world["admin"], name="2026年批次", code="2026", starts_on=date(2026, 1, 1),
                               ends_on=date(2026, 12, 31), self_check_deadline=date(2026, 4, 30),
                               self_check_version=old.self_check_version, onsite_version=old.onsite_version,
                               units=[world["unit"]])
    checker = world["users"]["checker"]
    visit = filling.open_submission(rnd, world["unit"], "visit", checker)
    db.session.flush()
    found = [{"key": f"manual-{n}", "description": text, "category": "其他", "severity": "一般"}
             for n, text in ((1, "值班记录不全"), (2, "廉洁承诺书未全覆盖"))]
    filling.submit(checker, visit, {"answers": {"q1": "yes"}, "facts": visit.facts, "found": found}, "visit-1")
    db.session.commit()
    first, second = sorted(db.session.scalars(select(Problem).where(Problem.round_id == rnd.id)),
                           key=lambda p: p.id)
    frozen_clock.set(SAME_DAY_FIVE_PM)
    ledger.close_on_site(checker, first, "当场补齐")
    frozen_clock.set(NEXT_DAY_HALF_FIVE)
    ledger.close_on_site(checker, second, "次日补签")
    db.session.commit()
    return {"world": world, "round": rnd, "visit": visit, "first": first, "second": second}


def test_a_field_day_from_five_in_the_morning_counts_china_dates(app, db, client, login, frozen_clock):
    import io

    from openpyxl import load_workbook

    from survey.dashboard.queries import dashboard

    day = _field_day(db, frozen_clock)
    first, second = day["first"], day["second"]
    assert day["visit"].facts["visit_date"] == "2026-03-02"
    assert first.found_on == second.found_on == date(2026, 3, 2)
    assert [days_open(p, clock.today()) for p in (first, second)] == [0, 1]
    login(day["world"]["admin"])
    assert "历时 0 天" in client.get(f"/ledger/{first.id}").get_data(as_text=True)

    resp = client.get(f"/ledger/export.xlsx?round_id={day['round'].id}")
    assert "20260303.xlsx" in resp.headers["Content-Disposition"]
    ws = load_workbook(io.BytesIO(resp.data))["问题台账"]
    assert ws["A2"].value.startswith("导出时间：2026-03-03 05:30")
    rows = {r[1]: r for r in ws.iter_rows(min_row=4, values_only=True)}
    cells = {code: (r[6], r[14]) for code, r in rows.items() if code in (first.code, second.code)}
    assert cells == {first.code: (datetime(2026, 3, 2), datetime(2026, 3, 2)),
                     second.code: (datetime(2026, 3, 2), datetime(2026, 3, 3))}
    answers = client.get(f"/rounds/{day['round'].id}/answers.xlsx?kind=visit")
    visit_row = list(load_workbook(io.BytesIO(answers.data)).active.iter_rows(values_only=True))
    assert any(datetime(2026, 3, 2) in row for row in visit_row)

    figures = dashboard(day["world"]["admin"], day["round"], clock.today(), 7)
    assert figures.close == {"n": 2, "avg": 0.5, "p90": 1}
    page = client.get(f"/dashboard?round_id={day['round'].id}").get_data(as_text=True)
    assert "<b>0.5<small>天</small></b><span>平均销号用时</span>" in page


def test_an_open_problem_found_at_five_has_lasted_zero_days(app, db, client, login, frozen_clock):
    frozen_clock.set(FIVE_AM_IN_CHINA)
    world = make_ledger_world(db)
    login(world["users"]["checker"])
    token = csrf_from(client.get("/ledger/new").get_data(as_text=True))
    resp = client.post("/ledger/new", data={"csrf_token": token, "round_id": world["round"].id,
                                            "unit_id": world["unit"].id, "category": "其他",
                                            "description": "签到表缺页", "severity": "一般"})
    assert resp.status_code in (302, 303), resp.get_data(as_text=True)[:500]
    problem = db.session.scalar(select(Problem).where(Problem.description == "签到表缺页"))
    assert problem.found_on == date(2026, 3, 2)
    assert "已持续 0 天" in client.get(f"/ledger/{problem.id}").get_data(as_text=True)


def test_china_moment_and_frozen_at_put_the_clock_back(frozen_clock):
    frozen_clock.set(FIVE_AM_IN_CHINA)
    assert clock.china_moment(date(2026, 3, 2)) == datetime(2026, 3, 1, 16, 0, tzinfo=timezone.utc)
    with clock.frozen_at(clock.china_moment(date(2025, 1, 1), 9, 30)):
        assert clock.today() == date(2025, 1, 1)
        assert clock.utcnow() == datetime(2025, 1, 1, 1, 30, tzinfo=timezone.utc)
    assert clock.utcnow() == FIVE_AM_IN_CHINA
