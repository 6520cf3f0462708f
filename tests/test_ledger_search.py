"""Free-text search in the ledger: the trigram index (3+ characters) and the scan (1–2) agree."""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import delete, update

from survey.filling.problems import create_problems
from survey.ledger import queries
from survey.models import Problem, ProblemEvent
from tests.factories import make_ledger_world

TEXTS = ("公务接待超标准，陪餐人数超规定", "会议记录不全", "公车私用问题", "采购合同 WiFi 设备 ABC-9 型号",
         "报销单 100% 无附件", "名称含_下划线与\"引号\"")


@pytest.fixture()
def world(db):
    w = make_ledger_world(db)
    create_problems(w["submission"], [{"description": t, "category": "其他"} for t in TEXTS], w["admin"],
                    date(2023, 3, 1))
    db.session.commit()
    return w


def _search(user, q: str) -> set[str]:
    problems, total = queries.query_ledger(user, queries.LedgerFilter(q=q), date(2023, 3, 2), 7)
    assert total == len(problems)
    return {p.description for p in problems}


@pytest.mark.parametrize("q, expected", [
    ("公务接待", {TEXTS[0]}),           # index
    ("接待超", {TEXTS[0]}),             # index, mid-word
    ("会议", {TEXTS[1]}),               # two characters: scan
    ("问", {TEXTS[2]}),                 # one character: scan
    ("wifi", {TEXTS[3]}),               # letters match regardless of case, like LIKE
    ("abc-9", {TEXTS[3]}),
    ("100%", {TEXTS[4]}),               # % and _ are literal, not wildcards
    ("_下划", {TEXTS[5]}),
    ('"引号"', {TEXTS[5]}),             # quotes cannot break the FTS query
    ("不存在的内容", set()),
])
def test_search_finds_exactly_what_contains_the_text(world, q, expected):
    assert _search(world["admin"], q) == expected


def test_codes_are_found_by_number(world):
    problems, _ = queries.query_ledger(world["admin"], queries.LedgerFilter(q="2023-00"), date(2023, 3, 2), 7)
    assert len(problems) == len(TEXTS)
    assert [p.code for p in queries.query_ledger(world["admin"], queries.LedgerFilter(q="2023-003"),
                                                   date(2023, 3, 2), 7)[0]] == ["2023-003"]


def test_the_index_follows_edits_and_deletes(world, db):
    db.session.execute(update(Problem).where(Problem.description == TEXTS[1]).values(description="学习制度不落实"))
    db.session.commit()
    assert _search(world["admin"], "会议记录") == set()
    assert _search(world["admin"], "制度不落") == {"学习制度不落实"}
    doomed = db.session.query(Problem.id).filter_by(description=TEXTS[2]).scalar()
    db.session.execute(delete(ProblemEvent).where(ProblemEvent.problem_id == doomed))
    db.session.execute(delete(Problem).where(Problem.id == doomed))
    db.session.commit()
    assert _search(world["admin"], "公车私") == set()


def test_search_never_widens_a_liaisons_view(world):
    assert _search(world["users"]["other_unit"], "公务接待") == set()
    assert _search(world["users"]["unit"], "公务接待") == {TEXTS[0]}


def test_the_ledger_page_searches(world, client, login):
    login(world["admin"])
    page = client.get("/ledger", query_string={"q": "陪餐人数"}).get_data(as_text=True)
    assert "公务接待超标准" in page and "会议记录不全" not in page


def test_numbers_sort_naturally_past_999(db):
    """编号 past 999 in a round: newest first puts 2023-1000 above 2023-999 (code_key, e7a9c3b1d5f0)."""
    from survey.models import Round

    w = make_ledger_world(db)
    db.session.execute(update(Round).where(Round.id == w["round"].id).values(problem_seq=997))
    create_problems(w["submission"], [{"description": f"问题{i}", "category": "其他"} for i in range(4)],
                    w["admin"], date(2023, 3, 1))
    db.session.commit()
    newest = queries.query_ledger(w["admin"], queries.LedgerFilter(), date(2023, 3, 2), 7)[0]
    assert [p.code for p in newest] == ["2023-1001", "2023-1000", "2023-999", "2023-998"]
    oldest = queries.query_ledger(w["admin"], queries.LedgerFilter(sort="code"), date(2023, 3, 2), 7)[0]
    assert [p.code for p in oldest] == ["2023-998", "2023-999", "2023-1000", "2023-1001"]


def test_date_filters_show_on_the_ledger_page_and_survive_a_new_filter(world, client, login):
    """A dashboard's weekly link carries found_from/found_to: the page says so, keeps them in its
    filter form, and offers to clear them."""
    login(world["admin"])
    page = client.get("/ledger", query_string={"found_from": "2023-03-01", "found_to": "2023-03-05",
                                               "status": "open"}).get_data(as_text=True)
    assert "发现时间 2023-03-01 至 2023-03-05" in page
    assert 'name="found_from" value="2023-03-01"' in page and 'name="found_to" value="2023-03-05"' in page
    clear = re.search(r'href="([^"]+)">清除日期', page).group(1)
    assert "found_" not in clear and "status=open" in clear
    assert "filter-dates" not in client.get(clear.replace("&amp;", "&")).get_data(as_text=True)
