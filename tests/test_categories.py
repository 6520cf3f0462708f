"""问题类别: the list administrators edit, and everything that picks from it follows."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from survey.errors import Conflict, DomainError, NotAllowed
from survey.filling.problems import create_problems
from survey.ledger import categories, operations
from survey.models import AuditLog, DEFAULT_CATEGORIES, Problem, ProblemCategory
from tests.conftest import csrf_from
from tests.factories import make_ledger_world


def _problem(world, category="作风建设"):
    [p] = create_problems(world["submission"], [{"description": "会议记录不全", "category": category}],
                          world["admin"], date(2023, 3, 1))
    return p


def _cat(db, name) -> ProblemCategory:
    return db.session.scalar(select(ProblemCategory).where(ProblemCategory.name == name))


def test_a_new_database_starts_with_the_default_list(db):
    assert categories.names() == list(DEFAULT_CATEGORIES)
    assert categories.names()[:6] == ["政治机关", "学习型机关", "服务型机关", "法治型机关", "廉洁型机关", "效能型机关"]


def test_create_rename_carries_problems_and_is_audited(db):
    world = make_ledger_world(db)
    admin = world["admin"]
    new = categories.create_category(admin, "  意识形态  ")
    db.session.commit()
    assert new.name == "意识形态" and categories.names()[-1] == "意识形态"
    p1, p2 = _problem(world, "意识形态"), _problem(world, "意识形态")
    other = _problem(world, "其他")
    db.session.commit()
    versions = (p1.lock_version, other.lock_version)
    assert categories.rename_category(admin, new, "意识形态工作") == 2
    db.session.commit()
    db.session.expire_all()
    assert {p1.category, p2.category, other.category} == {"意识形态工作", "其他"}
    assert p1.lock_version == versions[0] + 1 and other.lock_version == versions[1]  # open forms see the change
    row = db.session.scalar(select(AuditLog).where(AuditLog.event == "category_update"))
    assert row.details == {"from": "意识形态", "to": "意识形态工作", "problems": 2}


@pytest.mark.parametrize("name, message", [("", "请填写"), ("政治机关", "已存在"), ("长" * 33, "32")])
def test_bad_names_are_refused_with_a_reason(db, name, message):
    world = make_ledger_world(db)
    with pytest.raises(DomainError, match=message):
        categories.create_category(world["admin"], name)


def test_the_fallback_cannot_be_renamed_retired_or_deleted(db):
    world = make_ledger_world(db)
    fallback = _cat(db, "其他")
    for action in (lambda: categories.rename_category(world["admin"], fallback, "别的"),
                   lambda: categories.set_active(world["admin"], fallback, False),
                   lambda: categories.delete_category(world["admin"], fallback)):
        with pytest.raises(NotAllowed):
            action()


def test_retired_categories_stay_on_old_problems_but_cannot_be_chosen(db):
    world = make_ledger_world(db)
    admin = world["admin"]
    problem = _problem(world, "制度建设")
    db.session.commit()
    categories.set_active(admin, _cat(db, "制度建设"), False)
    db.session.commit()
    assert "制度建设" not in categories.names() and "制度建设" in categories.names(active_only=False)
    assert problem.category == "制度建设"
    with pytest.raises(DomainError, match="类别无效"):
        operations.set_category(admin, problem, problem.lock_version, category="制度建设")
    # a visit's item naming a retired category lands in 其他
    assert _problem(world, "制度建设").category == "其他"


def test_delete_only_when_unused(db):
    world = make_ledger_world(db)
    _problem(world, "作风建设")
    db.session.commit()
    with pytest.raises(Conflict, match="1 个问题"):
        categories.delete_category(world["admin"], _cat(db, "作风建设"))
    categories.delete_category(world["admin"], _cat(db, "效能型机关"))
    db.session.commit()
    assert "效能型机关" not in categories.names(active_only=False)


def test_move_swaps_neighbours_and_stops_at_the_ends(db):
    world = make_ledger_world(db)
    admin = world["admin"]
    categories.move_category(admin, _cat(db, "学习型机关"), -1)
    categories.move_category(admin, _cat(db, "学习型机关"), -1)  # already first: no change
    db.session.commit()
    assert categories.names()[:3] == ["学习型机关", "政治机关", "服务型机关"]


@pytest.mark.parametrize("who", ["unit", "checker"])
def test_only_administrators_edit_the_list(db, who):
    world = make_ledger_world(db)
    with pytest.raises(NotAllowed):
        categories.create_category(world["users"][who], "新类别")
    with pytest.raises(NotAllowed):
        categories.set_active(world["users"][who], _cat(db, "作风建设"), False)


def test_admin_pages_add_rename_and_refuse(client, db, login):
    world = make_ledger_world(db)
    login(world["admin"])
    page = client.get("/admin/categories")
    assert page.status_code == 200 and "作风建设" in page.get_data(as_text=True)
    token = csrf_from(page.get_data(as_text=True))
    assert client.post("/admin/categories", data={"csrf_token": token, "name": "选人用人"}).status_code == 302
    resp = client.post("/admin/categories", data={"csrf_token": token, "name": "选人用人"})
    assert resp.status_code == 422 and "已存在" in resp.get_data(as_text=True)
    empty = client.post("/admin/categories", data={"csrf_token": token, "name": ""})
    assert empty.status_code == 400 and "请填写类别名称" in empty.get_data(as_text=True)
    cat = _cat(db, "选人用人")
    clash = client.post(f"/admin/categories/{cat.id}", data={"csrf_token": token, "name": "其他"})
    assert clash.status_code == 422 and "已存在" in clash.get_data(as_text=True)
    assert client.post(f"/admin/categories/{cat.id}", data={"csrf_token": token, "name": "干部选任"}).status_code == 302
    _problem(world, "干部选任")
    db.session.commit()
    refused = client.post(f"/admin/categories/{cat.id}/delete", data={"csrf_token": token})
    assert refused.status_code == 409 and "不能删除" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ProblemCategory)
                             .where(ProblemCategory.name == "干部选任")) == 1
    # the ledger's pickers offer the new name
    new_form = client.get("/ledger/new").get_data(as_text=True)
    assert ">干部选任</option>" in new_form
    assert client.post(f"/admin/categories/{cat.id}/toggle", data={"csrf_token": token}).status_code == 303
    assert ">干部选任</option>" not in client.get("/ledger/new").get_data(as_text=True)
    # ... while the ledger's filter still lists it, for the problems that carry it
    assert "干部选任" in client.get("/ledger").get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Problem).where(Problem.category == "干部选任")) == 1
