"""统计看板: every figure against counts made here from the rows, scoping per role, and every number's
link to the ledger giving the same count; the liaison's home; the SVG charts."""
from __future__ import annotations

import html
import math
import random
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import pytest

from survey.dashboard import charts, queries
from survey.extensions import db as _db
from survey.filling import operations as filling
from survey.ledger.queries import LedgerFilter, query_ledger
from survey.models import Problem, Role, Submission
from tests.conftest import do_login
from tests.factories import make_forms, make_group, make_unit, make_user

TODAY = date(2026, 3, 2)                  # frozen_clock: 2026-03-02 09:00 UTC, 17:00 in China
CN = timezone(timedelta(hours=8))
OPEN = ("open", "in_progress", "pending_review")
STATUSES = ("open", "in_progress", "pending_review", "closed", "cancelled")
CATEGORIES = ("政治机关", "学习型机关", "廉洁型机关", "效能型机关", "作风建设", "其他")
SOURCES = ("self_check", "visit", "daily", "import")
UNITS = ("农业农村局", "财政局", "统计局", "区委办")


@dataclass
class Row:
    id: int
    round_id: int | None
    unit_id: int
    status: str
    category: str
    severity: str
    source: str
    found_on: date
    deadline: date | None
    closed_at: datetime | None
    code: str = ""


def _versions(admin):
    return make_forms(admin, "{kind}表")


def _submit(rnd, unit, kind, admin, submitted=True):
    sub = filling.open_submission(rnd, unit, kind, admin)
    sub.state = "submitted" if submitted else "draft"
    sub.submitted_at = datetime(2026, 2, 20, 2, 0, tzinfo=timezone.utc) if submitted else None


def _problems(rounds, units, admin) -> list[Row]:
    """A varied ledger: every status, category, severity and source; deadlines past, today, within
    and beyond 7 days, none; close-outs on both sides of China's midnight (16:00 UTC)."""
    rng, rows = random.Random(6), []
    for i in range(120):
        rnd = rng.choice([rounds[0], rounds[0], rounds[1], None])
        scope = [u for u in units.values() if rnd is None or u.name in rnd.names]
        unit = rng.choice(scope)
        status = rng.choice(STATUSES)
        found = TODAY - timedelta(days=rng.randint(0, 200))
        deadline = rng.choice([None, TODAY - timedelta(days=rng.randint(1, 40)), TODAY,
                               TODAY + timedelta(days=rng.randint(1, 7)), TODAY + timedelta(days=rng.randint(8, 60))])
        closed = None
        if status == "closed" and i % 9:
            day = min(found + timedelta(days=rng.randint(0, 50)), TODAY - timedelta(days=1))
            closed = datetime.combine(day, time(rng.choice([0, 8, 15, 16, 23]), rng.choice([0, 59])), timezone.utc)
        p = Problem(code=f"T-{i:03d}", round_id=rnd.id if rnd else None, unit_id=unit.id,
                    category=rng.choice(CATEGORIES), description=f"问题{i}", source=rng.choice(SOURCES),
                    found_on=found, severity=rng.choice(("一般", "较重", "严重")), deadline=deadline,
                    status=status, closed_at=closed, created_by_id=admin.id)
        _db.session.add(p)
        _db.session.flush()
        rows.append(Row(p.id, p.round_id, unit.id, status, p.category, p.severity, p.source, found, deadline,
                        closed, p.code))
    return rows


@pytest.fixture()
def world(app, db, frozen_clock):
    admin = make_user(Role.ADMIN, username="boss")
    units = {n: make_unit(n) for n in UNITS}
    insp1, insp2 = make_user(Role.INSPECTOR, username="insp1"), make_user(Role.INSPECTOR, username="insp2")
    g1 = make_group("第一督导组", members=[insp1], units=[units["农业农村局"], units["财政局"]])
    g2 = make_group("第二督导组", members=[insp2], units=[units["统计局"], units["区委办"]])
    make_user(Role.UNIT, username="liaison", unit=units["农业农村局"])
    sc, onsite = _versions(admin)
    common = dict(starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31), self_check_deadline=date(2026, 4, 30),
                  self_check_version=sc, onsite_version=onsite)
    r1 = filling.create_round(admin, name="2026年第一批", code="A", units=list(units.values()), **common)
    # in the second round 农业农村局 is visited by the second group
    r2 = filling.create_round(admin, name="2026年第二批", code="B", units=[units["农业农村局"], units["统计局"]],
                              groups={units["农业农村局"].id: g2.id}, **common)
    r1.names, r2.names = set(UNITS), {"农业农村局", "统计局"}
    for rnd, unit, kind, done in ((r1, "农业农村局", "self_check", True), (r1, "农业农村局", "visit", True),
                                  (r1, "财政局", "self_check", True), (r1, "统计局", "self_check", False),
                                  (r2, "统计局", "visit", True), (r2, "农业农村局", "self_check", True)):
        _submit(rnd, units[unit], kind, admin, done)
    rows = _problems((r1, r2), units, admin)
    _db.session.commit()
    ids = {n: u.id for n, u in units.items()}
    # Who sees what, written out by hand from the setup above (not through visible_to).
    scopes = {"boss": lambda r: True,
              "insp1": lambda r: (r.round_id == r1.id and r.unit_id in (ids["农业农村局"], ids["财政局"]))
              or (r.round_id is None and r.unit_id in (ids["农业农村局"], ids["财政局"])),
              "insp2": lambda r: (r.round_id == r1.id and r.unit_id in (ids["统计局"], ids["区委办"]))
              or r.round_id == r2.id or (r.round_id is None and r.unit_id in (ids["统计局"], ids["区委办"])),
              "liaison": lambda r: r.unit_id == ids["农业农村局"]}
    return {"rows": rows, "rounds": (r1, r2), "units": units, "ids": ids, "scopes": scopes, "g": (g1, g2)}


def expected(rows: list[Row], today: date = TODAY, near: int = 7) -> dict:
    open_ = [r for r in rows if r.status in OPEN and r.deadline]
    closed = [r for r in rows if r.status == "closed" and r.closed_at]
    days = sorted(max(0, (r.closed_at.astimezone(CN).date() - r.found_on).days) for r in closed)
    count = lambda key: {v: sum(1 for r in rows if getattr(r, key) == v) for v in {getattr(r, key) for r in rows}}
    return {
        "total": len(rows), "by_status": count("status"),
        "overdue": sum(1 for r in open_ if r.deadline < today),
        "near": sum(1 for r in open_ if today <= r.deadline <= today + timedelta(days=near)),
        "category": count("category"), "severity": count("severity"), "source": count("source"),
        "units": count("unit_id"), "close_n": len(days), "avg": sum(days) / len(days) if days else None,
        "p90": days[math.ceil(0.9 * len(days)) - 1] if days else None,
    }


def week_counts(rows: list[Row], start: date) -> tuple[int, int]:
    end = start + timedelta(days=6)
    opened = sum(1 for r in rows if start <= r.found_on <= end)
    closed = sum(1 for r in rows if r.status == "closed" and r.closed_at
                 and start <= r.closed_at.astimezone(CN).date() <= end)
    return opened, closed


def expected_weeks(rows: list[Row], every_round: bool) -> list[tuple]:
    """Monday-to-Sunday weeks: 26 ending this week (every round) or the round's last activity week,
    without the empty weeks before the first activity."""
    monday = lambda d: d - timedelta(days=d.weekday())  # noqa: E731
    days = [r.found_on for r in rows] + [r.closed_at.astimezone(CN).date() for r in rows
                                         if r.status == "closed" and r.closed_at]
    last = monday(TODAY if every_round else min(max(days), TODAY))
    weeks = [(w, *week_counts(rows, w)) for w in (last - timedelta(weeks=25 - i) for i in range(26))]
    first = next(i for i, (_, opened, closed) in enumerate(weeks) if opened or closed)
    return weeks[first:]


CASES = [("boss", 0), ("boss", 1), ("boss", None), ("insp1", 0), ("insp1", None), ("insp2", 0), ("insp2", 1),
         ("insp2", None)]


@pytest.mark.parametrize("username,which", CASES)
def test_every_figure_matches_the_rows(world, username, which):
    from survey.models import User
    from sqlalchemy import select

    user = _db.session.scalar(select(User).where(User.username == username))
    rnd = world["rounds"][which] if which is not None else None
    rows = [r for r in world["rows"] if world["scopes"][username](r) and (rnd is None or r.round_id == rnd.id)]
    want, got = expected(rows), queries.dashboard(user, rnd, TODAY, 7)
    assert got.total == want["total"] > 0
    assert {k: v for k, v in got.by_status.items() if v} == want["by_status"]
    assert (got.overdue, got.near) == (want["overdue"], want["near"])
    assert {k: v for k, v in got.breakdown["category"].items() if v} == want["category"]
    assert got.breakdown["severity"] == want["severity"] and got.breakdown["source"] == want["source"]
    assert {u.unit_id: u.total for u in got.units} == want["units"]
    assert [u.total for u in got.units] == sorted(want["units"].values(), reverse=True)  # worst first
    for u in got.units:
        mine = [r for r in rows if r.unit_id == u.unit_id]
        assert u.closed == sum(r.status == "closed" for r in mine)
        assert u.overdue == expected(mine)["overdue"]
    closed, cancelled = want["by_status"].get("closed", 0), want["by_status"].get("cancelled", 0)
    assert got.rate == pytest.approx(closed / (want["total"] - cancelled))
    assert got.close["n"] == want["close_n"] and got.close["p90"] == want["p90"]
    assert got.close["avg"] == pytest.approx(want["avg"])
    assert [(w.start, w.opened, w.closed) for w in got.weeks] == expected_weeks(rows, rnd is None)
    lists = (got.overdue_list, got.near_list)
    assert all(world["scopes"][username](next(r for r in rows if r.id == p.id)) for lst in lists for p in lst)
    assert [p.deadline for p in got.overdue_list] == sorted(
        r.deadline for r in rows if r.status in OPEN and r.deadline and r.deadline < TODAY)[:queries.LIST_SIZE]
    assert [p.deadline for p in got.near_list] == sorted(
        r.deadline for r in rows if r.status in OPEN and r.deadline
        and TODAY <= r.deadline <= TODAY + timedelta(days=7))[:queries.LIST_SIZE]


def test_scope_figures_count_units_self_checks_and_visits(world):
    from survey.models import User
    from sqlalchemy import select

    r1, r2 = world["rounds"]
    users = {u.username: u for u in _db.session.scalars(select(User))}
    assert queries.scope_figures(users["boss"], r1) == {"units": 4, "self_checks": 2, "visits": 1}
    assert queries.scope_figures(users["boss"], None) == {"units": 4, "self_checks": 3, "visits": 2}
    assert queries.scope_figures(users["insp1"], r1) == {"units": 2, "self_checks": 2, "visits": 1}
    assert queries.scope_figures(users["insp2"], r2) == {"units": 2, "self_checks": 1, "visits": 1}
    assert queries.scope_figures(users["insp2"], None) == {"units": 3, "self_checks": 1, "visits": 1}


LEDGER_TOTAL = re.compile(r"问题台账 <small>(\d+)</small>")
LINKED_NUMBERS = (re.compile(r'<a href="(/ledger[^"]*)">([\d,]+)</a>'),                       # tables, text
                  re.compile(r'<a class="stat[^"]*" href="(/ledger[^"]*)"><b>([\d,]+)</b>'))   # tiles


def linked_numbers(page: str) -> set[tuple[str, int]]:
    found = {(html.unescape(href), int(n.replace(",", ""))) for rx in LINKED_NUMBERS for href, n in rx.findall(page)}
    assert found, "no linked numbers on the page"
    return found


def follow(client, links) -> None:
    for href, number in sorted(links):
        page = client.get(href).get_data(as_text=True)
        assert int(LEDGER_TOTAL.search(page).group(1)) == number, href


@pytest.mark.parametrize("username,which", [("boss", 0), ("boss", None), ("insp1", 0), ("insp2", 1)])
def test_every_number_links_to_a_ledger_list_of_that_many(client, world, username, which):
    assert do_login(client, username).status_code == 302
    query = f"?round={world['rounds'][which].id}" if which is not None else "?round=all"
    page = client.get("/dashboard" + query).get_data(as_text=True)
    links = linked_numbers(page)
    hrefs = " ".join(h for h, _ in links)
    for needle in ("status=closed", "warn=overdue", "warn=near", "category=", "severity=", "source=", "unit=",
                   "found_from=", "closed_from="):
        assert needle in hrefs
    follow(client, links)
    assert page.count('role="img"') >= 6 and page.count("<details class=\"chart-data\">") >= 5
    for svg in re.findall(r"<svg class=\"chart\".*?</svg>", page, re.S):
        ET.fromstring(svg)  # well-formed


def test_inspectors_see_only_their_units(client, world):
    r1, r2 = world["rounds"]
    assert do_login(client, "insp1").status_code == 302
    page = client.get(f"/dashboard?round={r1.id}").get_data(as_text=True)
    assert "农业农村局" in page and "财政局" in page and "统计局" not in page and "区委办" not in page
    assert client.get(f"/dashboard?round={r2.id}").status_code == 404   # not one of the groups' rounds
    assert client.get("/dashboard?round=abc").status_code == 404
    assert "2026年第一批" in client.get("/dashboard").get_data(as_text=True)


def test_the_newest_round_is_the_default_and_all_rounds_can_be_picked(client, world):
    assert do_login(client, "boss").status_code == 302
    assert "<h1>统计看板 <small>2026年第二批</small>" in client.get("/dashboard").get_data(as_text=True)
    assert "<h1>统计看板 <small>全部批次</small>" in client.get("/dashboard?round=all").get_data(as_text=True)


def test_liaisons_cannot_open_the_dashboard_and_see_their_own_unit_at_home(client, world):
    assert do_login(client, "liaison").status_code == 302
    assert client.get("/dashboard").status_code == 403
    page = client.get("/").get_data(as_text=True)
    mine = [r for r in world["rows"] if world["scopes"]["liaison"](r)]
    want = expected(mine)
    assert "本单位问题" in page and f"共 <a href=\"/ledger\">{want['total']}</a> 个" in page
    codes = set(re.findall(r"<b>(T-\d+)</b>", page))
    assert codes and codes <= {r.code for r in mine}
    follow(client, linked_numbers(page))


def test_an_empty_dashboard_says_so(client, db):
    make_user(Role.ADMIN, username="boss")
    assert do_login(client, "boss").status_code == 302
    page = client.get("/dashboard").get_data(as_text=True)
    assert "还没有登记问题" in page and "全部批次" in page


def test_date_filters_follow_china_days(world):
    from survey.models import User
    from sqlalchemy import select

    boss = _db.session.scalar(select(User).where(User.username == "boss"))
    day = date(2026, 2, 10)
    late = datetime(2026, 2, 10, 15, 59, tzinfo=timezone.utc)   # 23:59 on the 10th in China
    early = datetime(2026, 2, 10, 16, 0, tzinfo=timezone.utc)   # 00:00 on the 11th in China
    picked = [r for r in world["rows"] if r.status == "closed" and r.closed_at][:2]
    for row, moment in zip(picked, (late, early)):
        _db.session.get(Problem, row.id).closed_at = moment
    _db.session.commit()
    got = {p.id for p in query_ledger(boss, LedgerFilter(closed_from=day, closed_to=day), TODAY, 7)[0]}
    assert picked[0].id in got and picked[1].id not in got
    f = LedgerFilter.from_args({"found_from": "2026-02-01", "found_to": "bad", "closed_to": "2026-02-10"})
    assert (f.found_from, f.found_to, f.closed_to) == (date(2026, 2, 1), None, day)
    assert f.args() == {"found_from": "2026-02-01", "closed_to": "2026-02-10"}
    assert LedgerFilter().args() == {}


def test_charts_are_pure_svg_that_fits():
    bars = [charts.Bar("区机关事务服务中心（区机关事务管理局）" * 2, [charts.Part("已销号", 3, "#1a7f37", "/ledger?x=1&y=2")]),
            charts.Bar("A&B", [charts.Part("<已销号>", 1, "#1a7f37")])]
    svg = charts.hbars("t", "标题", bars)
    root = ET.fromstring(str(svg))
    assert root.get("role") == "img" and root.get("width") == "100%" and "…" in svg
    assert "A&amp;B" in svg and "&lt;已销号&gt;" in svg and "<script" not in svg
    assert "<a " not in svg  # an image holds no links (nested-interactive): the data table has them
    assert charts.text_width(charts.fit("一二三四五六七八九十" * 3, 100)) <= 100
    assert [charts.nice_ceiling(v) for v in (0, 1, 3, 7, 10, 11, 230, 5001)] == [1, 1, 4, 8, 10, 20, 400, 6000]
    line = charts.lines("w", "每周", ["3/2", "3/9"], [charts.Series("新增", "#000", [0, 5])])
    assert ET.fromstring(str(line)).find("{http://www.w3.org/2000/svg}title").text == "每周"
    empty = charts.split("s", "状态", [charts.Part("待整改", 0, "#c00")])
    ET.fromstring(str(empty))


def test_cached_figures_are_reused_until_the_data_changes(app, world, monkeypatch):
    """With DASHBOARD_CACHE on (the default outside tests): a change made behind the app's back (no event,
    no audit row) is not seen — proof the numbers came from the cache — and a ledger step is."""
    from sqlalchemy import select, update

    from survey.dashboard import cache
    from survey.ledger import operations as ledger
    from survey.models import User

    monkeypatch.setitem(app.config, "DASHBOARD_CACHE", True)
    cache.clear()
    boss = _db.session.scalar(select(User).where(User.username == "boss"))
    rnd = world["rounds"][0]
    first = queries.dashboard(boss, rnd, TODAY, 7)
    opened = first.by_status.get("open", 0)
    victim = _db.session.scalar(select(Problem).where(Problem.round_id == rnd.id, Problem.status == "open"))
    _db.session.execute(update(Problem).where(Problem.id == victim.id).values(status="cancelled"))
    again = queries.dashboard(boss, rnd, TODAY, 7)
    assert again.by_status.get("open", 0) == opened and again.round is rnd
    assert [p.id for p in again.overdue_list] == [p.id for p in first.overdue_list]  # lists read afresh
    _db.session.execute(update(Problem).where(Problem.id == victim.id).values(status="open"))
    _db.session.expire_all()
    ledger.cancel(boss, victim, victim.lock_version, comment="重复登记")
    _db.session.commit()
    after = queries.dashboard(boss, rnd, TODAY, 7)
    assert after.by_status.get("open", 0) == opened - 1
    assert after.by_status.get("cancelled", 0) == first.by_status.get("cancelled", 0) + 1
    other = queries.dashboard(_db.session.scalar(select(User).where(User.username == "insp1")), rnd, TODAY, 7)
    assert other.total < after.total  # another scope never gets the administrator's numbers
    cache.clear()
