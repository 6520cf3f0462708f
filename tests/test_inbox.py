"""The inbox (/inbox): own messages only, newest first, unread marked and counted in the bottom bar,
mark one / all read (POST, CSRF, idempotent), opening follows the message's link; a liaison sees the
unit-wide ones of their unit, a signed-link session its unit's of its round; never another unit's."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from survey.links import operations as links
from survey.links.tokens import make_token
from survey.models import AuditLog, Message
from tests.conftest import csrf_from
from tests.factories import make_ledger_world

NOW = datetime(2023, 6, 1, 2, 0, tzinfo=timezone.utc)


@pytest.fixture()
def world(app, db, frozen_clock):
    frozen_clock.set(NOW)
    return make_ledger_world(db)


def msg(db, key, subject, user=None, unit=None, round_id=None, link="", **kw) -> Message:
    row = Message(dedupe_key=key, subject=subject, user_id=user.id if user else None,
                  unit_id=unit.id if unit else None, round_id=round_id, link=link, body="正文", **kw)
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture()
def inbox(world, db):
    w, u = world, world["users"]
    other_unit = u["other_unit"].unit
    rnd = w["round"]
    from datetime import date
    from survey.filling import operations as filling
    later = filling.create_round(w["admin"], name="2024年批次", code="2024", starts_on=date(2023, 1, 1),
                                 ends_on=date(2024, 12, 31), self_check_deadline=date(2024, 4, 30),
                                 self_check_version=rnd.self_check_version, onsite_version=rnd.onsite_version,
                                 units=[w["unit"]])
    db.session.commit()
    return {
        "own": msg(db, "own", "给联络员的提醒", u["unit"], w["unit"], w["round"].id, link="/ledger/1"),
        "unit_wide": msg(db, "wide", "本单位的督办单", None, w["unit"], w["round"].id),
        "other_round": msg(db, "oround", "另一批次的消息", None, w["unit"], later.id),
        "other_unit": msg(db, "ounit", "财政局的消息", u["other_unit"], other_unit, w["round"].id),
        "other_wide": msg(db, "owide", "财政局的督办单", None, other_unit, w["round"].id),
        "checker": msg(db, "chk", "督导组的提醒", u["checker"], w["unit"], w["round"].id),
        "admin": msg(db, "adm", "管理员的提醒", u["admin"], None, None),
    }


def page_of(client, url="/inbox") -> str:
    resp = client.get(url)
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def test_each_person_sees_their_own_and_never_another_units(world, inbox, login):
    html = page_of(login(world["users"]["unit"]))
    assert "给联络员的提醒" in html and "本单位的督办单" in html and "另一批次的消息" in html
    for other in ("财政局的消息", "财政局的督办单", "督导组的提醒", "管理员的提醒"):
        assert other not in html
    assert html.index("另一批次的消息") < html.index("给联络员的提醒")  # newest first


def test_an_inspector_and_an_admin_see_only_theirs(app, world, inbox):
    from tests.conftest import UserClient
    checker = page_of(UserClient(app, world["users"]["checker"]).client)
    assert "督导组的提醒" in checker and "给联络员的提醒" not in checker and "本单位的督办单" not in checker
    admin = page_of(UserClient(app, world["users"]["admin"]).client)
    assert "管理员的提醒" in admin and "财政局" not in admin and "给联络员的提醒" not in admin


def test_the_badge_counts_unread_and_marking_read_is_idempotent(world, inbox, login, db):
    client = login(world["users"]["unit"])
    html = page_of(client, "/")
    assert 'aria-label="未读 3"' in html
    token = csrf_from(page_of(client, "/account"))
    own = inbox["own"].id
    assert client.post(f"/inbox/{own}/read", data={"csrf_token": token}).status_code == 303
    first = db.session.get(Message, own).read_at
    assert first is not None
    assert client.post(f"/inbox/{own}/read", data={"csrf_token": token}).status_code == 303
    db.session.rollback()
    assert db.session.get(Message, own).read_at == first
    assert 'aria-label="未读 2"' in page_of(client, "/")
    assert client.post(f"/inbox/{own}/read", data={}).status_code == 400  # no CSRF token: refused
    resp = client.post("/inbox/read-all", data={"csrf_token": token})
    assert resp.status_code == 303
    db.session.rollback()
    assert db.session.get(Message, inbox["other_wide"].id).read_at is None  # another unit's: untouched
    assert db.session.get(Message, inbox["checker"].id).read_at is None
    assert "未读" not in page_of(client, "/").split("底部导航")[1]


def test_read_all_without_csrf_marks_nothing(world, inbox, login, db):
    client = login(world["users"]["unit"])
    assert client.post("/inbox/read-all", data={}).status_code == 400
    db.session.rollback()
    assert db.session.get(Message, inbox["own"].id).read_at is None


def test_opening_follows_the_link_and_marks_read(world, inbox, login, db):
    client = login(world["users"]["unit"])
    resp = client.get(f"/inbox/{inbox['own'].id}")
    assert resp.status_code == 303 and resp.headers["Location"] == "/ledger/1"
    db.session.rollback()
    assert db.session.get(Message, inbox["own"].id).read_at is not None


def test_a_message_of_someone_else_is_404_and_stays_unread(world, inbox, login, db):
    client = login(world["users"]["unit"])
    token = csrf_from(page_of(client))
    for key in ("other_unit", "other_wide", "checker", "admin"):
        ident = inbox[key].id
        assert client.get(f"/inbox/{ident}").status_code == 404
        assert client.post(f"/inbox/{ident}/read", data={"csrf_token": token}).status_code == 404
    db.session.rollback()
    assert all(db.session.get(Message, inbox[k].id).read_at is None for k in ("other_unit", "other_wide", "checker"))


def test_a_link_that_leaves_the_app_goes_back_to_the_inbox(world, db, login):
    bad = msg(db, "bad", "外链", world["users"]["unit"], world["unit"], link="//evil.example.com/x")
    resp = login(world["users"]["unit"]).get(f"/inbox/{bad.id}")
    assert resp.headers["Location"].startswith("/inbox")


def test_a_signed_link_session_sees_its_units_messages_of_its_round(client, world, inbox, db):
    from tests.factories import make_user
    second = make_user("unit", username="liaison-2", unit=world["unit"])
    db.session.commit()
    msg(db, "second", "第二位联络员的提醒", second, world["unit"], world["round"].id)
    link = links.issue_link(world["admin"], world["round"], world["unit"])
    db.session.commit()
    assert client.get(f"/l/{make_token(link.id, link.nonce)}").status_code == 302
    html = page_of(client)
    assert "给联络员的提醒" in html and "本单位的督办单" in html and "第二位联络员的提醒" in html
    for other in ("另一批次的消息", "财政局", "督导组的提醒", "管理员的提醒"):
        assert other not in html
    assert client.get(f"/inbox/{inbox['own'].id}").status_code == 303
    assert client.get(f"/inbox/{inbox['other_wide'].id}").status_code == 403
    assert client.get(f"/inbox/{inbox['other_round'].id}").status_code == 403
    assert client.get(f"/inbox/{inbox['checker'].id}").status_code == 403  # the unit's id, an inspector's
    token = csrf_from(html)
    assert client.post("/inbox/read-all", data={"csrf_token": token}).status_code == 303
    db.session.rollback()
    assert db.session.get(Message, inbox["unit_wide"].id).read_at is not None
    assert db.session.get(Message, inbox["other_round"].id).read_at is None
    assert db.session.scalar(select(AuditLog).where(AuditLog.event == "link_use",
                                                    AuditLog.success.is_(False))) is not None
