"""The round page: search by unit name and filters (self-check state, visit state, group) in the
query string, with the quick 未提交自查 / 待问诊 filters kept and the totals over every unit."""
from __future__ import annotations

import re

import pytest

from survey.extensions import db as _db
from survey.filling import operations as filling
from survey.models import SupervisionGroup
from tests.factories import make_ledger_world


@pytest.fixture()
def world(db):
    w = make_ledger_world(db)
    visit = filling.open_submission(w["round"], w["unit"], "visit", w["users"]["checker"])  # 农业农村局: 问诊中
    _db.session.commit()
    w["visit"] = visit
    return w


def _units(page: str) -> list[str]:
    return re.findall(r'<p class="item-title">(.*?)</p>', page)


@pytest.mark.parametrize("query, expected", [
    ("", ["农业农村局", "财政局"]),
    ("q=农业", ["农业农村局"]),
    ("q=%20财政%20", ["财政局"]),
    ("q=统计", []),
    ("self_check=draft", ["农业农村局"]),
    ("self_check=none", ["财政局"]),
    ("self_check=submitted", []),
    ("visit=draft", ["农业农村局"]),
    ("visit=none", ["财政局"]),
    ("show=not_submitted", ["农业农村局", "财政局"]),
    ("show=not_visited&q=财政", ["财政局"]),
    ("self_check=draft&visit=none", []),
    ("self_check=bogus&visit=%3Cx%3E&group=abc&show=nope", ["农业农村局", "财政局"]),  # ignored, not a 500
])
def test_round_page_filters_its_units(world, login, query, expected):
    resp = login(world["admin"]).get(f"/rounds/{world['round'].id}?{query}")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert _units(page) == expected
    assert re.search(r"<b>2</b><span>范围内单位", page)  # the totals stay over every unit


def test_group_filter_and_the_count_of_shown_units(world, login):
    second = _db.session.scalar(_db.select(SupervisionGroup).where(SupervisionGroup.name == "第二督导组"))
    page = login(world["admin"]).get(f"/rounds/{world['round'].id}?group={second.id}").get_data(as_text=True)
    assert _units(page) == ["财政局"]
    assert f'<option value="{second.id}" selected>第二督导组</option>' in page
    assert "显示 1 / 2 个单位" in page and 'class="board-clear" href="?"' in page
    assert 'data-open-wide open' in page  # the search panel stays open while a filter is on


def test_search_keeps_the_quick_filter_and_an_inspector_sees_only_its_units(world, login):
    client = login(world["users"]["checker"])
    html = client.get(f"/rounds/{world['round'].id}?show=not_visited&q=农业").get_data(as_text=True)
    assert _units(html) == ["农业农村局"]
    assert '<input type="hidden" name="show" value="not_visited">' in html
    assert 'name="group"' not in html  # one group: nothing to choose
    assert _units(client.get(f"/rounds/{world['round'].id}?q=财政").get_data(as_text=True)) == []
