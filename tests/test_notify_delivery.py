"""Delivery over real peers on 127.0.0.1: mail through aiosmtpd, the 企业微信 / 钉钉 robots' JSON and
the 钉钉 signature, daily digests, the robots' rate limit, retries with backoff, dead deliveries and
resending, robot dedupe per event, and two workers at once. Messages are made directly."""
from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from datetime import date, datetime, timedelta, timezone
from email.header import decode_header

import pytest
from sqlalchemy import func, select

from survey.models import (Channel, Delivery, DeliveryAttempt, DeliveryStatus, LadderFiring, LadderStep, Message,
                           User)
from survey.notify import operations, queries, urls
from survey.notify.delivery import MAX_ATTEMPTS, _claim, deliver_pending
from tests.factories import make_ledger_world, make_user
from tests.notify_peers import receiver, smtp  # noqa: F401  (fixtures)

NOW = datetime(2023, 6, 1, 2, 0, tzinfo=timezone.utc)  # 10:00 in China: past the 08:00 digest hour
SECRET = "SEC0123456789abcdef"


@pytest.fixture()
def world(app, db, frozen_clock):
    frozen_clock.set(NOW)
    return make_ledger_world(db)


def channel(db, owner_kind, owner_id, kind, url, secret=""):
    row = Channel(owner_kind=owner_kind, owner_id=owner_id, kind=kind, url=urls.normalize(kind, url, secret))
    db.session.add(row)
    db.session.commit()
    return row


LIAISON = object()


def message(db, w, n=1, user=LIAISON, urgent=False, firing=None, **kw) -> Message:
    """A message to user (the unit's liaison by default; None: to the unit as a whole)."""
    user = w["users"]["unit"] if user is LIAISON else user
    row = Message(dedupe_key=f"t:{user.id if user else 'u'}:{n}:{firing.id if firing else ''}:{kw}",
                  user_id=user.id if user else None, unit_id=w["unit"].id, round_id=w["round"].id,
                  subject=f"整改提醒：问题{n}临近整改时限", body=f"农业农村局：问题{n}距整改时限还有 3 个工作日。",
                  link=f"/ledger/{n}", urgent=urgent, firing_id=firing.id if firing else None, **kw)
    db.session.add(row)
    db.session.commit()
    return row


def step_firing(db, w, channels, urgent=False, key="due_0"):
    step = LadderStep(round_id=w["round"].id, target="problem", key=key, name="到期督办", audience=["liaison"],
                      channels=channels, urgent=urgent)
    db.session.add(step)
    db.session.flush()
    firing = LadderFiring(dedupe_key=f"f:{key}", step_id=step.id, round_id=w["round"].id, unit_id=w["unit"].id,
                          deadline=date(2023, 6, 1), due_on=date(2023, 6, 1))
    db.session.add(firing)
    db.session.commit()
    return firing


def statuses(db) -> list[str]:
    db.session.rollback()
    return [d.status for d in db.session.scalars(select(Delivery).order_by(Delivery.id))]


def subject_of(mail) -> str:
    return str(mail["Subject"])


def test_an_urgent_message_arrives_by_mail_in_chinese(world, db, smtp):
    channel(db, "user", world["users"]["unit"].id, "email", smtp.url)
    message(db, world, urgent=True)
    report = deliver_pending(NOW)
    assert (report.created, report.sends, report.sent) == (1, 1, 1)
    [mail] = smtp.messages
    assert subject_of(mail) == "整改提醒：问题1临近整改时限"
    raw_subject = [line for line in smtp.raw[0].decode("ascii").splitlines() if line.startswith("Subject:")][0]
    assert "=?utf-8?" in raw_subject.lower()  # encoded, not raw bytes
    text = mail.get_body(("plain",))
    assert text.get_content_charset() == "utf-8"
    assert "农业农村局：问题1距整改时限还有 3 个工作日。" in text.get_content()
    assert statuses(db) == ["sent"]
    attempt = db.session.scalar(select(DeliveryAttempt))
    assert attempt.ok and attempt.error == ""


def test_robots_get_the_documented_json_and_dingtalk_a_correct_signature(world, db, receiver):
    channel(db, "unit", world["unit"].id, "wecom", f"http://{receiver.base()}/cgi-bin/webhook/send?key=WXKEY")
    channel(db, "unit", world["unit"].id, "dingtalk", f"http://{receiver.base()}/robot/send?access_token=DDTOKEN",
            SECRET)
    message(db, world, urgent=True)
    assert deliver_pending(NOW).sent == 2
    wecom = next(r for r in receiver.requests if r["path"] == "/cgi-bin/webhook/send")
    assert wecom["query"] == {"key": "WXKEY"}
    assert wecom["json"]["msgtype"] == "markdown"
    assert set(wecom["json"]) == {"msgtype", "markdown"} and set(wecom["json"]["markdown"]) == {"content"}
    assert "整改提醒：问题1临近整改时限" in wecom["json"]["markdown"]["content"]
    ding = next(r for r in receiver.requests if r["path"] == "/robot/send")
    assert ding["json"]["msgtype"] == "markdown"
    assert ding["json"]["markdown"]["title"] == "整改提醒：问题1临近整改时限"
    assert "问题1距整改时限" in ding["json"]["markdown"]["text"]
    q = ding["query"]
    assert q["access_token"] == "DDTOKEN" and "secret" not in q
    expected = base64.b64encode(hmac.new(SECRET.encode(), f"{q['timestamp']}\n{SECRET}".encode(),
                                         hashlib.sha256).digest()).decode()
    assert q["sign"] == expected  # parse_qs undid the url-encoding
    assert "%" in ding["raw_query"].split("sign=", 1)[1] or "+" not in expected  # sent url-encoded
    assert abs(int(q["timestamp"]) / 1000 - datetime.now(timezone.utc).timestamp()) < 60


def test_three_messages_the_same_day_make_one_digest_mail(world, db, smtp, frozen_clock):
    channel(db, "user", world["users"]["unit"].id, "email", smtp.url)
    for n in (1, 2, 3):
        message(db, world, n)
    report = deliver_pending(NOW)
    assert (report.sends, report.sent) == (1, 3)
    [mail] = smtp.messages
    assert subject_of(mail) == "督办消息汇总（3 条）"
    body = mail.get_body(("plain",)).get_content()
    assert all(f"整改提醒：问题{n}临近整改时限" in body for n in (1, 2, 3))
    # A fourth item the same day waits for tomorrow's digest: at most one a day.
    frozen_clock.set(NOW + timedelta(hours=3))
    message(db, world, 4)
    report = deliver_pending(NOW + timedelta(hours=3))
    assert report.sends == 0 and report.deferred == 1 and len(smtp.messages) == 1
    assert deliver_pending(NOW + timedelta(hours=12)).sends == 0           # 22:00 the same China day
    tomorrow = datetime(2023, 6, 2, 0, 0, tzinfo=timezone.utc)              # 08:00 in China
    report = deliver_pending(tomorrow)
    assert report.sent == 1 and len(smtp.messages) == 2
    assert subject_of(smtp.messages[1]) == "整改提醒：问题4临近整改时限"


def test_before_the_digest_hour_nothing_goes_but_urgent(world, db, smtp, frozen_clock):
    early = datetime(2023, 5, 31, 22, 0, tzinfo=timezone.utc)  # 06:00 in China
    frozen_clock.set(early)
    channel(db, "user", world["users"]["unit"].id, "email", smtp.url)
    message(db, world, 1)
    message(db, world, 2, urgent=True)
    assert deliver_pending(early).sent == 1
    assert subject_of(smtp.messages[0]) == "整改提醒：问题2临近整改时限"
    assert deliver_pending(early + timedelta(hours=2)).sent == 1  # 08:00: the digest


def test_wecom_robot_takes_twenty_a_minute_and_the_rest_wait(world, db, receiver):
    channel(db, "unit", world["unit"].id, "wecom", f"http://{receiver.base()}/cgi-bin/webhook/send?key=K")
    for n in range(25):
        message(db, world, n, user=None, urgent=True)
    report = deliver_pending(NOW)
    assert (report.sent, report.deferred) == (20, 5)
    assert len(receiver.requests) == 20
    assert statuses(db).count("pending") == 5
    assert deliver_pending(NOW + timedelta(seconds=30)).sent == 0
    assert deliver_pending(NOW + timedelta(seconds=61)).sent == 5
    assert len(receiver.requests) == 25 and statuses(db) == ["sent"] * 25


def test_a_failing_channel_is_retried_with_backoff_and_never_blocks_the_other(world, db, receiver, smtp):
    channel(db, "user", world["users"]["unit"].id, "webhook", f"http://{receiver.base()}/gateway")
    channel(db, "user", world["users"]["unit"].id, "email", smtp.url)
    receiver.statuses = [500]
    message(db, world, urgent=True)
    report = deliver_pending(NOW)
    assert (report.sent, report.failed) == (1, 1) and len(smtp.messages) == 1
    failed = db.session.scalar(select(Delivery).where(Delivery.status == "failed"))
    assert "500" in failed.last_error and failed.next_attempt_at == NOW + timedelta(minutes=2)
    assert queries.count_failed() == 1
    assert deliver_pending(NOW + timedelta(minutes=1)).sends == 0          # backoff: not yet
    assert deliver_pending(NOW + timedelta(minutes=2)).sent == 1
    assert statuses(db) == ["sent", "sent"] and len(smtp.messages) == 1
    assert db.session.scalar(select(func.count(DeliveryAttempt.id))) == 3
    assert receiver.requests[-1]["json"]["title"] == "整改提醒：问题1临近整改时限"


def test_after_max_attempts_a_delivery_is_dead_and_can_be_resent(world, db, receiver):
    channel(db, "user", world["users"]["unit"].id, "webhook", f"http://{receiver.base()}/gateway")
    receiver.statuses = [500] * MAX_ATTEMPTS
    message(db, world, urgent=True)
    at = NOW
    for _ in range(MAX_ATTEMPTS):
        deliver_pending(at)
        at += timedelta(hours=1)
    assert statuses(db) == ["dead"]
    assert deliver_pending(at).sends == 0
    operations.resend(world["admin"])
    db.session.commit()
    assert deliver_pending(at).sent == 1 and statuses(db) == ["sent"]
    assert queries.count_failed() == 0


def test_running_twice_sends_nothing_twice(world, db, smtp, receiver):
    channel(db, "user", world["users"]["unit"].id, "email", smtp.url)
    channel(db, "unit", world["unit"].id, "wecom", f"http://{receiver.base()}/cgi-bin/webhook/send?key=K")
    message(db, world, 1, urgent=True)
    message(db, world, 2)
    first = deliver_pending(NOW)
    second = deliver_pending(NOW)
    assert first.sends > 0 and (second.created, second.sends) == (0, 0)
    assert len(smtp.messages) == 2 and len(receiver.requests) == 2


def test_a_unit_robot_carries_one_item_per_event_and_the_step_picks_the_kinds(world, db, receiver, smtp):
    other_liaison = make_user("unit", username="liaison-2", unit=world["unit"])
    db.session.commit()
    channel(db, "unit", world["unit"].id, "wecom", f"http://{receiver.base()}/cgi-bin/webhook/send?key=K")
    channel(db, "user", world["users"]["unit"].id, "email", smtp.url)  # not among the step's channels
    firing = step_firing(db, world, ["wecom"], urgent=True)
    message(db, world, 1, firing=firing)
    message(db, world, 1, user=other_liaison, firing=firing)
    message(db, world, 1, user=None, firing=firing)
    report = deliver_pending(NOW)
    assert (report.created, report.sent) == (1, 1)
    assert len(receiver.requests) == 1 and smtp.messages == []


def test_an_inbox_only_step_sends_nowhere(world, db, smtp):
    channel(db, "user", world["users"]["unit"].id, "email", smtp.url)
    message(db, world, 1, firing=step_firing(db, world, []))
    assert deliver_pending(NOW).created == 0 and smtp.messages == []


def test_a_group_members_message_goes_to_the_groups_robot_and_contacts_to_theirs(world, db, receiver):
    from survey.models import UnitContact
    checker = world["users"]["checker"]
    group_id = checker.groups[0].id
    channel(db, "group", group_id, "wecom", f"http://{receiver.base()}/cgi-bin/webhook/send?key=GROUP")
    contact = UnitContact(unit_id=world["unit"].id, role="leader", name="王分管")
    db.session.add(contact)
    db.session.commit()
    channel(db, "contact", contact.id, "wecom", f"http://{receiver.base()}/cgi-bin/webhook/send?key=LEADER")
    firing = step_firing(db, world, ["wecom"], urgent=True)
    row = message(db, world, 1, user=checker, firing=firing)  # the ladder leaves unit_id to the liaison's
    row.unit_id = None
    db.session.commit()
    message(db, world, 2, user=None, urgent=True, contact_id=contact.id)
    assert deliver_pending(NOW).sent == 2
    assert sorted(r["query"]["key"] for r in receiver.requests) == ["GROUP", "LEADER"]


def test_a_disabled_channel_carries_nothing(world, db, smtp):
    row = channel(db, "user", world["users"]["unit"].id, "email", smtp.url)
    row.enabled = False
    db.session.commit()
    message(db, world, urgent=True)
    assert deliver_pending(NOW).created == 0 and smtp.messages == []


def test_a_row_is_claimed_by_one_worker_only(world, db, smtp):
    channel(db, "user", world["users"]["unit"].id, "email", smtp.url)
    message(db, world, urgent=True)
    from survey.notify.fanout import create_deliveries
    create_deliveries(NOW, lambda now: now)
    db.session.commit()
    ident = db.session.scalar(select(Delivery.id))
    assert _claim([ident], NOW) == {ident}
    assert _claim([ident], NOW) == set()       # the lease holds it
    assert _claim([ident], NOW + timedelta(minutes=6)) == {ident}


def test_two_workers_at_once_send_each_item_once(app, world, db, receiver):
    channel(db, "unit", world["unit"].id, "webhook", f"http://{receiver.base()}/gateway")
    for n in range(12):
        message(db, world, n, user=None, urgent=True)
    errors = []

    def work():
        with app.app_context():
            try:
                deliver_pending(NOW)
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
            finally:
                from survey.extensions import db as _db
                _db.session.remove()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(receiver.requests) == 12
    assert statuses(db) == ["sent"] * 12


def test_the_command_runs_one_delivery(app, world, db, smtp):
    channel(db, "user", world["users"]["unit"].id, "email", smtp.url)
    message(db, world, urgent=True)
    result = app.test_cli_runner().invoke(args=["deliver-messages"])
    assert result.exit_code == 0, result.output
    assert "送达 1" in result.output and len(smtp.messages) == 1
