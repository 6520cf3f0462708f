"""flask seed-demo and create-user."""
from __future__ import annotations

from sqlalchemy import func, select

from survey.models import Role, SupervisionGroup, Unit, User
from survey.seed_data import DEMO_PASSWORD
from tests.conftest import do_login

NAMED_UNITS = ["区委办", "区政府办", "区纪委监委", "区委巡察办", "行政审批局", "农业农村局", "财政局",
               "区住建局", "统计局"]


def test_seed_demo_builds_the_district(app, client, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "admin" in result.output and "liaison-nyncj" in result.output and DEMO_PASSWORD in result.output
    assert db.session.scalar(select(func.count(Unit.id))) == 86
    names = set(db.session.scalars(select(Unit.name)))
    assert set(NAMED_UNITS) <= names
    groups = {g.name: g for g in db.session.scalars(select(SupervisionGroup))}
    assert set(groups) == {"第一督导组", "第二督导组"}
    for group in groups.values():
        assert len(group.members) == 2 and all(m.role == "inspector" for m in group.members)
    assert sum(len(g.units) for g in groups.values()) == 86
    assert [g.name for g in db.session.scalar(select(User).where(User.username == "inspector1")).groups] \
        == ["第一督导组"]
    assert [g.name for g in db.session.scalar(select(User).where(User.username == "inspector2")).groups] \
        == ["第二督导组"]
    liaison = db.session.scalar(select(User).where(User.username == "liaison-nyncj"))
    assert liaison.unit.name == "农业农村局"
    # every unit has exactly one liaison
    counts = db.session.execute(select(User.unit_id, func.count()).where(User.role == "unit")
                                .group_by(User.unit_id)).all()
    assert len(counts) == 86 and {c for _, c in counts} == {1}
    for username in ("admin", "inspector1", "inspector2", "liaison-nyncj"):
        other = app.test_client()
        assert do_login(other, username, DEMO_PASSWORD).status_code == 302
        assert other.get("/").status_code == 200  # demo accounts need no password change
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0 and "已有数据" in again.output
    assert db.session.scalar(select(func.count(Unit.id))) == 86


def test_create_user_command(app, client, db):
    runner = app.test_cli_runner()
    runner.invoke(args=["seed-demo"])
    result = runner.invoke(args=["create-user", "newinsp", "--role", "inspector", "--group", "第一督导组",
                                 "--password", "Strong#2026"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "newinsp"))
    assert user.role == Role.INSPECTOR.value and [g.name for g in user.groups] == ["第一督导组"]
    result = runner.invoke(args=["create-user", "newunit", "--role", "unit", "--unit", "财政局",
                                 "--password", "Strong#2026"])
    assert result.exit_code == 0 and db.session.scalar(
        select(User).where(User.username == "newunit")).unit.name == "财政局"
    assert do_login(app.test_client(), "newunit", "Strong#2026").status_code == 302


def test_create_user_refuses_bad_input(app, db):
    runner = app.test_cli_runner()
    runner.invoke(args=["seed-demo"])
    cases = [
        (["admin", "--role", "admin", "--password", "Strong#2026"], "用户名已被使用"),
        (["x1", "--role", "unit", "--password", "Strong#2026"], "必须选择所属单位"),
        (["x2", "--role", "unit", "--unit", "不存在局", "--password", "Strong#2026"], "单位不存在"),
        (["x3", "--role", "admin", "--password", "weak"], "至少 8 位"),
        (["x4", "--role", "inspector", "--group", "无此组", "--password", "Strong#2026"], "督导组不存在"),
    ]
    for args, message in cases:
        result = runner.invoke(args=["create-user", *args])
        assert result.exit_code != 0 and message in result.output, (args, result.output)
    assert db.session.scalar(select(func.count(User.id)).where(User.username.like("x%"))) == 0
