"""管理 → 消息渠道 and 发送失败: add / edit / disable / delete per owner, secrets never shown back whole,
bad addresses refused beside the field with nothing saved, the test button against real peers
(aiosmtpd, an HTTP receiver) and an unreachable SMTP host, resending, and the admin's 待办 count."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from survey.models import Channel, Delivery, Message
from survey.notify.delivery import deliver_pending
from tests.conftest import csrf_from
from tests.factories import make_ledger_world
from tests.notify_peers import free_port, receiver, smtp  # noqa: F401  (fixtures)

NOW = datetime(2023, 6, 1, 2, 0, tzinfo=timezone.utc)
SECRET = "SECabcdef0123456789secret"


@pytest.fixture()
def world(app, db, frozen_clock):
    frozen_clock.set(NOW)
    return make_ledger_world(db)


@pytest.fixture()
def admin(world, login):
    return login(world["admin"])


def add(client, owner, data):
    url = f"/admin/channels/{owner}"
    token = csrf_from(client.get(url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def count(db, model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(model.id)))


@pytest.mark.parametrize("kind,url,message", [
    ("email", "http://smtp.example.gov.cn", "电子邮件的地址格式不对"),
    ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send", "缺少 key 参数"),
    ("dingtalk", "https://oapi.dingtalk.com/robot/send?foo=1", "缺少 access_token 参数"),
    ("webhook", "ftp://gateway.example.gov.cn/x", "政务平台接口的地址格式不对"),
    ("webhook", "https://", "缺少主机名"),
    ("email", "", "请填写渠道地址"),
    ("email", "mailto://a b@c", "不能含空格"),
])
def test_a_malformed_address_is_refused_beside_the_field(world, admin, db, kind, url, message):
    resp = add(admin, f"unit/{world['unit'].id}", {"kind": kind, "url": url})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert message in html and 'class="error" id="url-err"' in html
    assert count(db, Channel) == 0


def test_a_wrong_dingtalk_secret_is_refused_beside_its_field(world, admin, db):
    resp = add(admin, f"unit/{world['unit'].id}", {"kind": "dingtalk", "secret": "abc",
                                                   "url": "https://oapi.dingtalk.com/robot/send?access_token=T"})
    assert resp.status_code == 422 and 'id="secret-err"' in resp.get_data(as_text=True)
    assert count(db, Channel) == 0


def test_add_list_edit_disable_delete_with_secrets_masked(world, admin, db):
    owner = f"unit/{world['unit'].id}"
    resp = add(admin, owner, {"kind": "dingtalk", "label": "办公室群", "secret": SECRET,
                              "url": "https://oapi.dingtalk.com/robot/send?access_token=TOKEN1234567890"})
    assert resp.status_code == 303
    db.session.rollback()
    row = db.session.scalar(select(Channel))
    assert row.url.startswith("ddbots://oapi.dingtalk.com/robot/send?") and SECRET in row.url
    html = admin.get(f"/admin/channels/{owner}").get_data(as_text=True)
    assert "办公室群" in html and "TOKEN1234567890" not in html and SECRET not in html and "TOK…" in html
    edit = admin.get(f"/admin/channels/{row.id}/edit").get_data(as_text=True)
    assert SECRET not in edit and "TOKEN1234567890" not in edit
    token = csrf_from(edit)
    assert admin.post(f"/admin/channels/{row.id}/edit", data={"csrf_token": token, "label": "新名称",
                                                                "url": "", "secret": ""}).status_code == 303
    db.session.rollback()
    row = db.session.get(Channel, row.id)
    assert row.label == "新名称" and SECRET in row.url  # a blank address and secret keep the stored ones
    bad = admin.post(f"/admin/channels/{row.id}/edit", data={"csrf_token": token, "url": "json://x y"})
    assert bad.status_code == 422
    db.session.rollback()
    assert db.session.get(Channel, row.id).label == "新名称"
    assert admin.post(f"/admin/channels/{row.id}/toggle", data={"csrf_token": token}).status_code == 303
    db.session.rollback()
    assert db.session.get(Channel, row.id).enabled is False
    assert admin.post(f"/admin/channels/{row.id}/delete", data={"csrf_token": token}).status_code == 303
    assert count(db, Channel) == 0


def test_the_test_button_reaches_smtp_and_says_what_failed(world, admin, db, smtp):
    owner = f"user/{world['users']['unit'].id}"
    assert add(admin, owner, {"kind": "email", "url": smtp.url}).status_code == 303
    dead_port = free_port()
    assert add(admin, owner, {"kind": "email", "url": smtp.url.replace(str(smtp.port), str(dead_port))}
               ).status_code == 303
    db.session.rollback()
    good, bad = db.session.scalars(select(Channel).order_by(Channel.id)).all()
    token = csrf_from(admin.get(f"/admin/channels/{owner}").get_data(as_text=True))
    resp = admin.post(f"/admin/channels/{good.id}/test", data={"csrf_token": token}, follow_redirects=True)
    assert "测试消息已发出" in resp.get_data(as_text=True)
    assert len(smtp.messages) == 1 and str(smtp.messages[0]["Subject"]) == "【测试】督办消息渠道"
    resp = admin.post(f"/admin/channels/{bad.id}/test", data={"csrf_token": token}, follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "测试消息发送失败" in html and "无法连接邮件服务器" in html
    db.session.rollback()
    bad = db.session.get(Channel, bad.id)
    assert bad.last_test_at is not None and "无法连接邮件服务器" in bad.last_test_error
    assert db.session.get(Channel, good.id).last_test_error == ""


def test_the_test_button_reports_an_http_error(world, admin, db, receiver):
    owner = f"unit/{world['unit'].id}"
    assert add(admin, owner, {"kind": "wecom", "url": f"http://{receiver.base()}/cgi-bin/webhook/send?key=K"}
               ).status_code == 303
    receiver.statuses = [500]
    db.session.rollback()
    row = db.session.scalar(select(Channel))
    token = csrf_from(admin.get(f"/admin/channels/{owner}").get_data(as_text=True))
    html = admin.post(f"/admin/channels/{row.id}/test", data={"csrf_token": token},
                      follow_redirects=True).get_data(as_text=True)
    assert "HTTP 500" in html and "key=K" not in html


def test_failures_are_listed_counted_in_the_todo_and_resent(world, admin, db, receiver):
    owner = f"user/{world['users']['unit'].id}"
    assert add(admin, owner, {"kind": "webhook", "url": f"http://{receiver.base()}/gateway"}).status_code == 303
    db.session.add(Message(dedupe_key="m1", user_id=world["users"]["unit"].id, unit_id=world["unit"].id,
                           subject="到期督办：问题待整改", urgent=True))
    db.session.commit()
    receiver.statuses = [500]
    assert deliver_pending(NOW).failed == 1
    page = admin.get("/admin/deliveries/failed").get_data(as_text=True)
    assert "到期督办：问题待整改" in page and "HTTP 500" in page  # an empty body still goes (Apprise needs one)
    home = admin.get("/").get_data(as_text=True)
    assert "条消息发送失败" in home
    delivery = db.session.scalar(select(Delivery))
    token = csrf_from(page)
    assert admin.post(f"/admin/deliveries/{delivery.id}/resend", data={"csrf_token": token}).status_code == 303
    assert deliver_pending(NOW).sent == 1
    assert "没有发送失败的消息" in admin.get("/admin/deliveries/failed").get_data(as_text=True)
    assert admin.post("/admin/deliveries/resend", data={"csrf_token": token}).status_code == 303
