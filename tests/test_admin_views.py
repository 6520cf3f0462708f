"""Administrators manage units, groups and users; every change is audited."""
from __future__ import annotations

from sqlalchemy import func, select

from survey.extensions import db as _db
from survey.models import AuditLog, Role, SupervisionGroup, Unit, User
from tests.conftest import csrf_from, do_login, get_csrf
from tests.factories import DEFAULT_PASSWORD, make_group, make_unit, make_user


def post(client, url, data, page=None):
    token = get_csrf(client, page or url)
    return client.post(url, data={"csrf_token": token, **data})


def audit_rows(event):
    return list(_db.session.scalars(select(AuditLog).where(AuditLog.event == event)))


def count(model):
    return _db.session.scalar(select(func.count()).select_from(model))


def test_admin_creates_a_unit_and_it_is_audited(client, db, login):
    admin = login(make_user(Role.ADMIN, username="boss")) and None
    resp = post(client, "/admin/units/new", {"name": " 区审计局 ", "category": "政府部门",
                                             "contact_name": "李四", "contact_phone": "0571-8888888"})
    assert resp.status_code == 302
    unit = db.session.scalar(select(Unit).where(Unit.name == "区审计局"))
    assert (unit.category, unit.contact_name) == ("政府部门", "李四")
    [row] = audit_rows("unit_create")
    assert row.actor_username == "boss" and row.target_id == unit.id
    assert row.details["contact_phone"] == "0571-8888888"
    assert admin is None


def test_duplicate_unit_name_is_refused_beside_the_field(client, db, login):
    make_unit("财政局")
    login(make_user(Role.ADMIN))
    resp = post(client, "/admin/units/new", {"name": "财政局", "category": "政府部门"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "已有同名单位" in body and 'value="财政局"' in body
    assert count(Unit) == 1 and audit_rows("unit_create") == []


def test_bad_phone_is_refused_in_chinese(client, db, login):
    login(make_user(Role.ADMIN))
    resp = post(client, "/admin/units/new", {"name": "某局", "category": "其他", "contact_phone": "abc"})
    assert resp.status_code == 400 and "电话号码格式不正确" in resp.get_data(as_text=True)


def test_editing_a_unit_records_what_changed(client, db, login):
    unit = make_unit("统计局", contact_name="甲")
    login(make_user(Role.ADMIN))
    resp = post(client, f"/admin/units/{unit.id}", {"name": "统计局", "category": "政府部门",
                                                    "contact_name": "乙", "contact_phone": ""})
    assert resp.status_code == 302
    [row] = audit_rows("unit_update")
    assert row.details == {"contact_name": ["甲", "乙"]}


def test_group_gets_members_and_units_and_moves_units_between_groups(client, db, login):
    login(make_user(Role.ADMIN))
    a, b = make_unit("甲局"), make_unit("乙局")
    i1, i2 = make_user(Role.INSPECTOR, username="i1"), make_user(Role.INSPECTOR, username="i2")
    old = make_group("旧组", units=[b])
    resp = post(client, "/admin/groups/new", {"name": "第三督导组", "member_ids": [i1.id, i2.id],
                                              "unit_ids": [a.id, b.id]})
    assert resp.status_code == 302
    group = db.session.scalar(select(SupervisionGroup).where(SupervisionGroup.name == "第三督导组"))
    assert {m.username for m in group.members} == {"i1", "i2"}
    assert {u.name for u in group.units} == {"甲局", "乙局"}
    assert db.session.get(SupervisionGroup, old.id).units == []
    [row] = audit_rows("group_create")
    assert row.details["moved_from_other_group"] == ["乙局"]


def test_a_liaison_cannot_be_a_group_member(client, db, login):
    login(make_user(Role.ADMIN))
    liaison = make_user(Role.UNIT, username="liaison")
    resp = post(client, "/admin/groups/new", {"name": "坏组", "member_ids": [liaison.id]})
    assert resp.status_code == 422 and "必须是督导组成员角色" in resp.get_data(as_text=True)
    assert count(SupervisionGroup) == 0


def test_admin_creates_a_liaison_who_must_change_password(app, client, db, login):
    unit = make_unit("农业农村局")
    login(make_user(Role.ADMIN))
    resp = post(client, "/admin/users/new", {
        "username": "liaison-x", "display_name": "张三", "role": "unit", "unit_id": unit.id,
        "password": "Temp#2026a", "phone": ""})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    user = db.session.scalar(select(User).where(User.username == "liaison-x"))
    assert user.unit_id == unit.id and user.must_change_password
    assert audit_rows("user_create")[0].details["role"] == "unit"
    other = app.test_client()
    do_login(other, "liaison-x", "Temp#2026a")
    assert other.get("/").headers["Location"] == "/account/password"


def test_user_form_refuses_bad_combinations(client, db, login):
    login(make_user(Role.ADMIN))
    make_user(Role.ADMIN, username="taken")
    cases = [
        ({"username": "taken", "role": "admin"}, "用户名已被使用"),
        ({"username": "newone", "role": "unit"}, "必须选择所属单位"),
        ({"username": "newtwo", "role": "admin", "password": "weakpassword"}, "至少三类"),
        ({"username": "a b", "role": "admin"}, "用户名为"),
    ]
    for values, message in cases:
        data = {"display_name": "某人", "password": "Good#2026x", "unit_id": "", **values}
        resp = post(client, "/admin/users/new", data)
        assert resp.status_code in (400, 422) and message in resp.get_data(as_text=True), message
    assert count(User) == 2


def test_disabling_a_user_ends_their_session_and_is_reversible(app, client, db, login):
    victim = make_user(Role.INSPECTOR, username="insp")
    their = app.test_client()
    do_login(their, "insp")
    assert their.get("/").status_code == 200
    login(make_user(Role.ADMIN))
    page = f"/admin/users/{victim.id}"
    assert post(client, f"/admin/users/{victim.id}/disable", {}, page).status_code == 303
    assert their.get("/").status_code == 302
    assert do_login(app.test_client(), "insp").status_code == 401
    assert post(client, f"/admin/users/{victim.id}/enable", {}, page).status_code == 303
    assert do_login(app.test_client(), "insp").status_code == 302
    assert len(audit_rows("user_disable")) == 1 and len(audit_rows("user_enable")) == 1
    assert db.session.get(User, victim.id) is not None  # never hard-deleted


def test_admin_cannot_disable_themselves(client, db, login):
    me = make_user(Role.ADMIN, username="me")
    login(me)
    resp = post(client, f"/admin/users/{me.id}/disable", {}, f"/admin/users/{me.id}")
    assert resp.status_code == 303
    assert "不能停用自己的账号" in client.get(resp.headers["Location"]).get_data(as_text=True)
    assert not db.session.get(User, me.id).is_disabled


def test_reset_password_forces_a_change_and_unlocks(app, client, db, login, frozen_clock):
    from datetime import timedelta
    victim = make_user(Role.UNIT, username="liaison",
                       locked_until=frozen_clock.now + timedelta(minutes=10), failed_login_count=0)
    login(make_user(Role.ADMIN))
    page = f"/admin/users/{victim.id}"
    resp = post(client, f"/admin/users/{victim.id}/reset-password", {"password": "short"}, page)
    assert resp.status_code == 422 and "至少 8 位" in resp.get_data(as_text=True)
    resp = post(client, f"/admin/users/{victim.id}/reset-password", {"password": "Reset#2026"}, page)
    assert resp.status_code == 302
    user = db.session.get(User, victim.id)
    assert user.must_change_password and user.locked_until is None
    assert do_login(app.test_client(), "liaison", "Reset#2026").status_code == 302
    assert do_login(app.test_client(), "liaison", DEFAULT_PASSWORD).status_code == 401
    assert len(audit_rows("password_reset")) == 1


def test_unlock_clears_a_lockout(app, client, db, login, frozen_clock):
    from datetime import timedelta
    victim = make_user(Role.UNIT, username="liaison", locked_until=frozen_clock.now + timedelta(minutes=10))
    login(make_user(Role.ADMIN))
    resp = post(client, f"/admin/users/{victim.id}/unlock", {}, f"/admin/users/{victim.id}")
    assert resp.status_code == 303
    assert do_login(app.test_client(), "liaison").status_code == 302
    assert len(audit_rows("user_unlock")) == 1


def test_changing_a_role_ends_the_users_sessions(app, client, db, login):
    victim = make_user(Role.INSPECTOR, username="insp")
    their = app.test_client()
    do_login(their, "insp")
    login(make_user(Role.ADMIN))
    resp = post(client, f"/admin/users/{victim.id}", {"display_name": "某人", "role": "admin",
                                                      "unit_id": "", "phone": ""})
    assert resp.status_code == 302
    assert their.get("/").status_code == 302
    assert audit_rows("user_update")[0].details["role"] == ["inspector", "admin"]


def test_audit_page_lists_and_filters(client, db, login):
    make_user(Role.UNIT, username="someone")
    do_login(client, "someone", "Wrong@1234")
    login(make_user(Role.ADMIN, username="boss"))
    body = client.get("/admin/audit?success=0").get_data(as_text=True)
    assert "<b>登录失败</b>" in body and "someone" in body and "<b>登录成功</b>" not in body
    body = client.get("/admin/audit?event=login&user=boss").get_data(as_text=True)
    assert "<b>登录成功</b>" in body and "someone" not in body
    assert client.get("/admin/audit?date_from=bad&page=abc").status_code == 200


def test_csrf_failure_reshows_the_form_with_what_was_typed(client, db, login):
    login(make_user(Role.ADMIN))
    resp = client.post("/admin/units/new", data={"csrf_token": "forged", "name": "我刚输入的单位",
                                                 "category": "其他"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "安全令牌无效" in body and 'value="我刚输入的单位"' in body
    assert count(Unit) == 0
    assert len(audit_rows("csrf_failed")) == 1


def test_csrf_failure_on_login_keeps_the_username(client, db):
    resp = client.post("/login", data={"username": "someone", "password": "x"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400 and 'value="someone"' in body and "安全令牌无效" in body


def test_post_without_form_is_refused_without_csrf(client, db, login):
    user = make_user(Role.ADMIN)
    login(user)
    resp = client.post("/logout", headers={"Accept": "application/json"})
    assert resp.status_code == 400 and resp.is_json
    assert "安全令牌" in resp.get_json()["message"]
    assert client.get("/").status_code == 200  # still logged in


def test_liaison_never_reaches_admin_pages_by_url(client, db, login):
    unit = make_unit()
    login(make_user(Role.UNIT, unit=unit))
    for url in ("/admin/units", f"/admin/units/{unit.id}", "/admin/users", "/admin/audit"):
        assert client.get(url).status_code == 403
    resp = client.post("/admin/units/new", data={"csrf_token": csrf_from(
        client.get("/account").get_data(as_text=True)), "name": "x", "category": "其他"})
    assert resp.status_code == 403 and count(Unit) == 1


def test_disabling_a_unit_is_audited(client, db, login):
    unit = make_unit("统计局")
    login(make_user(Role.ADMIN))
    resp = post(client, f"/admin/units/{unit.id}", {"name": "统计局", "category": "政府部门",
                                                    "is_disabled": "y"})
    assert resp.status_code == 302 and db.session.get(Unit, unit.id).is_disabled
    assert audit_rows("unit_update")[0].details["is_disabled"] == [False, True]


def test_editing_a_group_is_audited(client, db, login):
    login(make_user(Role.ADMIN))
    insp = make_user(Role.INSPECTOR, username="insp")
    group = make_group("第一督导组")
    resp = post(client, f"/admin/groups/{group.id}", {"name": "第一组", "member_ids": [insp.id]})
    assert resp.status_code == 302
    [row] = audit_rows("group_update")
    assert row.details == {"name": ["第一督导组", "第一组"], "members": [[], ["insp"]]}


def test_role_change_drops_links_that_no_longer_fit(client, db, login):
    login(make_user(Role.ADMIN))
    unit = make_unit("财政局")
    liaison = make_user(Role.UNIT, username="liaison", unit=unit)
    group = make_group("组")
    resp = post(client, f"/admin/users/{liaison.id}", {"display_name": "某人", "role": "admin",
                                                       "unit_id": unit.id, "group_ids": [group.id]})
    assert resp.status_code == 302
    user = db.session.get(User, liaison.id)
    assert (user.role, user.unit_id, user.groups) == ("admin", None, [])
