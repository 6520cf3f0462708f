"""The progress board (进度看板): every unit's self-check, visit and problem counts against the database,
the filters, the liaison beside each unit, the reminder text, and who may see it."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest

from survey.filling import operations as filling
from survey.filling import queries
from survey.filling.problems import create_problems
from survey.models import Role
from tests.factories import still_open, make_forms, make_group, make_unit, make_user

TODAY = date(2023, 4, 28)  # two days before the self-check deadline


def _forms(admin):
    return make_forms(admin)


def _round(admin, name, units, versions):
    return filling.create_round(admin, name=name, code=name[:4], starts_on=date(2023, 1, 1), ends_on=still_open(date(2023, 12, 31)),
                                self_check_deadline=date(2023, 4, 30), self_check_version=versions[0],
                                onsite_version=versions[1], units=units)


def _submission(db, rnd, unit, kind, state, admin):
    sub = filling.open_submission(rnd, unit, kind, admin)
    if state == "submitted":
        sub.state, sub.submitted_at = "submitted", datetime(2023, 4, 20, tzinfo=timezone.utc)
    db.session.flush()
    return sub


def _problems(sub, admin, specs):
    """specs: (status, deadline) pairs; each becomes one problem of sub's unit in sub's round."""
    problems = create_problems(sub, [{"description": f"问题{i}", "category": "其他", "deadline": d}
                                     for i, (_, d) in enumerate(specs)], admin, date(2023, 3, 1))
    for problem, (status, _) in zip(problems, specs):
        problem.status = status


@pytest.fixture()
def board_world(app, db, frozen_clock):
    """Four units in a round. 区委办: nothing yet. 财政局: self-check and visit drafts, an open and an
    overdue problem. 统计局: both submitted, closed / overdue pending-review / cancelled problems.
    区住建局: another group's, a draft self-check. And a problem of 区委办 in another round."""
    frozen_clock.set(datetime(2023, 4, 28, 2, 0, tzinfo=timezone.utc))
    admin = make_user(Role.ADMIN, username="boss")
    names = ("区委办", "财政局", "统计局", "区住建局")
    units = {n: make_unit(n, contact_name=f"{n}联系人", contact_phone="13900000000") for n in names}
    inspector, other_inspector = make_user(Role.INSPECTOR, username="insp"), make_user(Role.INSPECTOR, username="insp2")
    make_group("第一督导组", members=[inspector], units=[units[n] for n in names[:3]])
    make_group("第二督导组", members=[other_inspector], units=[units["区住建局"]])
    make_user(Role.UNIT, username="l-qwb", unit=units["区委办"], display_name="张三", phone="13811112222")
    make_user(Role.UNIT, username="l-tjj", unit=units["统计局"], display_name="停用者", phone="1", is_disabled=True)
    make_user(Role.UNIT, username="l-zjj", unit=units["区住建局"], display_name="李四", phone="13833334444")
    versions = _forms(admin)
    rnd = _round(admin, "2023年批次", list(units.values()), versions)
    earlier = _round(admin, "2022年批次", [units["区委办"]], versions)
    sub = _submission(db, rnd, units["财政局"], "self_check", "draft", admin)
    _submission(db, rnd, units["财政局"], "visit", "draft", admin)
    _problems(sub, admin, [("open", "2023-05-30"), ("in_progress", "2023-04-01")])
    sub = _submission(db, rnd, units["统计局"], "self_check", "submitted", admin)
    _submission(db, rnd, units["统计局"], "visit", "submitted", admin)
    _problems(sub, admin, [("closed", "2023-04-01"), ("pending_review", "2023-04-27"), ("cancelled", "2023-01-01")])
    _submission(db, rnd, units["区住建局"], "self_check", "draft", admin)
    _problems(_submission(db, earlier, units["区委办"], "self_check", "draft", admin), admin, [("open", "2023-01-01")])
    db.session.commit()
    return {"round": rnd, "units": units, "admin": admin, "inspector": inspector}


# Written out by hand: (self-check, visit, open, overdue, closed, contact name, contact phone).
EXPECTED = {
    "区委办": ("none", False, 0, 0, 0, "张三", "13811112222"),
    "财政局": ("draft", False, 2, 1, 0, "财政局联系人", "13900000000"),
    "统计局": ("submitted", True, 1, 1, 1, "统计局联系人", "13900000000"),
    "区住建局": ("draft", False, 0, 0, 0, "李四", "13833334444"),
}


def _state(row) -> tuple:
    p = row["problems"]
    return (row["self_check_state"], row["visited"], p["open"], p["overdue"], p["closed"],
            row["contact_name"], row["contact_phone"])


def test_each_units_states_match_the_database(db, board_world):
    board = queries.progress_board(board_world["round"], board_world["admin"], TODAY)
    assert {r["unit"].name: _state(r) for r in board["rows"]} == EXPECTED
    assert board["totals"] == {"units": 4, "visited": 1, "none": 1, "draft": 2, "submitted": 1,
                               "open": 3, "overdue": 2, "closed": 1, "late": 0}


@pytest.mark.parametrize("show, names", [
    ("", ["区委办", "财政局", "统计局", "区住建局"]), ("not_submitted", ["区委办", "财政局", "区住建局"]),
    ("not_visited", ["区委办", "财政局", "区住建局"]), ("nonsense", ["区委办", "财政局", "统计局", "区住建局"])])
def test_filters(db, board_world, show, names):
    board = queries.progress_board(board_world["round"], board_world["admin"], TODAY, show)
    assert [r["unit"].name for r in board["rows"]] == names
    assert board["totals"]["units"] == 4  # the totals count every unit, whatever the filter


def test_an_inspector_sees_the_units_of_the_groups(db, board_world):
    board = queries.progress_board(board_world["round"], board_world["inspector"], TODAY)
    assert [r["unit"].name for r in board["rows"]] == ["区委办", "财政局", "统计局"]
    assert "区住建局" not in board["reminder"]


def test_the_reminder_names_the_units_not_submitted_and_the_deadline(db, board_world):
    text = queries.progress_board(board_world["round"], board_world["admin"], TODAY)["reminder"]
    assert "“2023年批次”自查截止时间为2023年4月30日（还剩2天）" in text
    assert "以下3个单位尚未提交自查表" in text
    lines = text.splitlines()
    assert lines[1:4] == ["1. 区委办（联络员张三）", "2. 财政局（联络员财政局联系人，已填草稿，尚未提交）",
                          "3. 区住建局（联络员李四，已填草稿，尚未提交）"]
    assert "统计局" not in text


@pytest.mark.parametrize("today, phrase", [(date(2023, 4, 30), "今天（2023年4月30日）是自查截止日"),
                                           (date(2023, 5, 2), "自查已于2023年4月30日截止")])
def test_the_reminder_after_the_deadline(db, board_world, today, phrase):
    assert phrase in queries.progress_board(board_world["round"], board_world["admin"], today)["reminder"]


def test_no_reminder_once_everyone_submitted(db, board_world):
    from survey.models import Submission
    for sub in db.session.query(Submission).filter_by(kind="self_check"):
        sub.state = "submitted"
    for name in ("区委办",):
        _submission(db, board_world["round"], board_world["units"][name], "self_check", "submitted",
                    board_world["admin"])
    db.session.commit()
    assert queries.progress_board(board_world["round"], board_world["admin"], TODAY)["reminder"] == ""


def _cards(html: str) -> dict:
    cards = {}
    for m in re.finditer(r'<li class="card board-row" data-unit="(\d+)" data-self-check="(\w+)" '
                         r'data-visit="(\w+)">(.*?)</li>', html, re.S):
        name = re.search(r'<p class="item-title">(.*?)</p>', m[4])[1]
        counts = [int(n) for n in re.findall(r"<b>(\d+)</b>", m[4])]
        cards[name] = (m[2], m[3] == "done", *counts, m[4])
    return cards


def test_the_page_shows_each_unit_with_its_liaison_and_the_reminder(client, db, board_world, login):
    login(board_world["admin"])
    resp = client.get(f"/rounds/{board_world['round'].id}/progress")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    cards = _cards(html)
    assert set(cards) == set(EXPECTED)
    for name, (sc, visited, o, d, c, contact, phone) in EXPECTED.items():
        assert cards[name][:5] == (sc, visited, o, d, c), name
        assert contact in cards[name][5] and f'href="tel:{phone}"' in cards[name][5]
    assert 'id="reminder"' in html and "1. 区委办（联络员张三）" in html and 'data-copy="reminder"' in html
    assert re.search(r'<script src="/static/js/copy\.[0-9a-f]{10}\.js"', html)
    only = _cards(client.get(f"/rounds/{board_world['round'].id}/progress?show=not_submitted").get_data(as_text=True))
    assert set(only) == {"区委办", "财政局", "区住建局"}


def test_who_may_see_the_board(client, db, board_world, login):
    rid = board_world["round"].id
    liaison = make_user(Role.UNIT, unit=board_world["units"]["财政局"])
    login(liaison)
    assert client.get(f"/rounds/{rid}/progress").status_code == 403
    client.post("/logout", data={"csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                                                         client.get("/account").get_data(as_text=True))[1]})
    login(make_user(Role.INSPECTOR, username="nobody"))  # in no group: no unit of the round
    assert client.get(f"/rounds/{rid}/progress").status_code == 403


def test_the_round_page_links_to_the_board_for_those_who_may_see_it(client, db, board_world, login):
    login(board_world["inspector"])
    html = client.get(f"/rounds/{board_world['round'].id}").get_data(as_text=True)
    assert f'href="/rounds/{board_world["round"].id}/progress"' in html
    assert f'href="/rounds/{board_world["round"].id}/qr"' in html
    assert "/links" not in html  # the signed links are the administrator's
    page = client.get(f"/rounds/{board_world['round'].id}/progress").get_data(as_text=True)
    assert set(_cards(page)) == {"区委办", "财政局", "统计局"}


def test_the_round_page_links_to_the_links_page_for_an_admin(client, db, board_world, login):
    login(board_world["admin"])
    rid = board_world["round"].id
    html = client.get(f"/rounds/{rid}").get_data(as_text=True)
    for url in (f"/rounds/{rid}/progress", f"/rounds/{rid}/qr", f"/rounds/{rid}/links"):
        assert f'href="{url}"' in html
        assert client.get(url).status_code == 200
