"""The ledger on a phone: the list before the filters, the filters behind one 筛选 button, each
active filter a chip linking to the same list without it."""
from __future__ import annotations

import html as html_lib
import re
from datetime import date

import pytest

from survey.filling.problems import create_problems
from tests.factories import make_ledger_world


@pytest.fixture()
def world(db):
    w = make_ledger_world(db)
    create_problems(w["submission"], [{"description": "会议记录不全", "category": "政治机关", "deadline": "2023-03-01"},
                                      {"description": "公车私用", "category": "其他"}], w["admin"], date(2023, 2, 1))
    db.session.commit()
    return w


def _chips(page: str) -> dict[str, str]:
    """chip label -> its href, unescaped."""
    found = re.findall(r'<a class="chip" href="([^"]*)"[^>]*>(.*?)<span class="chip-x"', page)
    return {html_lib.unescape(label): html_lib.unescape(href) for href, label in found}


def test_each_active_filter_is_a_chip_linking_to_the_list_without_it(world, login):
    client = login(world["admin"])
    rnd, unit = world["round"], world["unit"]
    page = client.get(f"/ledger?q=会议&status=open&unit={unit.id}&round={rnd.id}&sort=deadline&page=2"
                      "&found_from=2023-01-01&found_to=2023-12-31").get_data(as_text=True)
    chips = _chips(page)
    assert chips == {
        "搜索：会议": f"/ledger?round={rnd.id}&unit={unit.id}&status=open&sort=deadline"
                    "&found_from=2023-01-01&found_to=2023-12-31",
        "状态：待整改": f"/ledger?round={rnd.id}&unit={unit.id}&q=%E4%BC%9A%E8%AE%AE&sort=deadline"
                     "&found_from=2023-01-01&found_to=2023-12-31",
        "单位：农业农村局": f"/ledger?round={rnd.id}&status=open&q=%E4%BC%9A%E8%AE%AE&sort=deadline"
                       "&found_from=2023-01-01&found_to=2023-12-31",
        "批次：2023年批次": f"/ledger?unit={unit.id}&status=open&q=%E4%BC%9A%E8%AE%AE&sort=deadline"
                       "&found_from=2023-01-01&found_to=2023-12-31",
        "发现时间 2023-01-01 至 2023-12-31": f"/ledger?round={rnd.id}&unit={unit.id}&status=open"
                                          "&q=%E4%BC%9A%E8%AE%AE&sort=deadline",
    }
    assert 'href="/ledger?sort=deadline">全部清除' in page
    # Following a chip drops exactly that filter: the other problem comes back when the search goes.
    without_q = client.get(chips["搜索：会议"]).get_data(as_text=True)
    assert "公车私用" in without_q and "搜索：会议" not in _chips(without_q)


def test_the_list_comes_before_the_folded_filters_and_no_filter_no_chip(world, login):
    page = login(world["users"]["unit"]).get("/ledger").get_data(as_text=True)
    assert _chips(page) == {} and 'class="chips"' not in page
    panel = page.index('<details class="filter-panel" data-open-wide>')
    assert page.index("<summary", panel) < page.index('name="status"', panel)  # the selects sit behind 筛选
    assert page.index("</details>", panel) < page.index('class="cards ledger')
    assert "<details class=\"filter-panel\" data-open-wide open" not in page


def test_warning_chip_and_its_count_on_the_button(world, login):
    page = login(world["users"]["unit"]).get("/ledger?warn=overdue&category=政治机关").get_data(as_text=True)
    assert _chips(page) == {"逾期": "/ledger?category=%E6%94%BF%E6%B2%BB%E6%9C%BA%E5%85%B3", "类别：政治机关":
                            "/ledger?warn=overdue"}
    assert re.search(r"<summary[^>]*>筛选（2）</summary>", page)
