"""Delivery: carry the inbox's messages over the channels. The worker calls deliver_pending() every
few minutes; it is its own transaction boundary (it commits after each claim and each send, so a
worker killed half way sends nothing twice except the one send it was in).

- Digests, not floods: a channel gets at most one digest per China day, listing all its waiting
  items, at NOTIFY_DIGEST_HOUR (China time); urgent items go at once, each alone.
- Rate limits: at most RATE_LIMITS[kind] sends a minute per robot URL; the rest wait, never dropped.
- Every try is a DeliveryAttempt; a failure is retried with exponential backoff, MAX_ATTEMPTS in
  all, then the delivery is dead (listed on 管理 → 发送失败, where it can be resent).
- Two workers at once: rows are claimed by a conditional UPDATE ... RETURNING that moves their
  next_attempt_at past a lease, so only one worker sends each (SQLite >= 3.35 and PostgreSQL).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from survey.clock import china_date, china_moment, utcnow
from survey.database import writing
from survey.extensions import db
from survey.models import Channel, ChannelKind, Delivery, DeliveryAttempt, DeliveryStatus, Message
from survey.notify.fanout import create_deliveries
from survey.notify.send import send

MAX_ATTEMPTS = 5
BACKOFF = timedelta(minutes=2)   # 2, 4, 8, 16 minutes between the tries
LEASE = timedelta(minutes=5)     # a claimed row is left alone this long by the other workers
RATE_WINDOW = timedelta(seconds=60)
RATE_LIMITS = {ChannelKind.WECOM.value: 20, ChannelKind.DINGTALK.value: 20}
WAITING = (DeliveryStatus.PENDING.value, DeliveryStatus.FAILED.value)


@dataclass
class Report:
    created: int = 0        # Delivery rows made for new messages
    sends: int = 0          # messages handed to a channel (a digest counts once)
    sent: int = 0           # deliveries carried
    failed: int = 0         # deliveries whose try failed (will be retried)
    dead: int = 0           # deliveries given up
    deferred: int = 0       # deliveries due but held back (rate limit, today's digest already sent)
    errors: list[str] = field(default_factory=list)


def digest_hour() -> int:
    return int(current_app.config.get("NOTIFY_DIGEST_HOUR", 8))


def digest_time(now: datetime) -> datetime:
    """When the day's digest goes: the digest hour of now's China day, or now when that has passed."""
    return max(now, china_moment(china_date(now), digest_hour()))


def next_digest_time(now: datetime) -> datetime:
    return china_moment(china_date(now) + timedelta(days=1), digest_hour())


def deliver_pending(now: datetime | None = None) -> Report:
    """Make the deliveries of new messages, then send what is due. Returns what it did."""
    with writing():  # a job: its write transactions take SQLite's lock at BEGIN (none is open while sending)
        return _deliver(now or utcnow())


def _deliver(now: datetime) -> Report:
    report = Report()
    report.created = create_deliveries(now, digest_time)
    db.session.commit()
    due = db.session.execute(
        select(Delivery.id, Delivery.channel_id, Delivery.digest_key).join(Channel)
        .where(Delivery.status.in_(WAITING), Delivery.next_attempt_at <= now, Channel.enabled)
        .order_by(Delivery.next_attempt_at, Delivery.id)).all()
    by_channel: dict[int, list] = defaultdict(list)
    for row in due:
        by_channel[row.channel_id].append(row)
    for channel_id, rows in by_channel.items():
        channel = db.session.get(Channel, channel_id)
        try:
            _channel_run(channel, rows, now, report)
        except Exception as exc:  # noqa: BLE001 - one channel's trouble never stops the others
            db.session.rollback()
            report.errors.append(f"channel {channel_id}: {type(exc).__name__}")
            current_app.logger.exception("delivery over channel %s failed", channel_id)
    db.session.commit()
    return report


def _channel_run(channel: Channel, rows: list, now: datetime, report: Report) -> None:
    batches = [([r.id], False) for r in rows if not r.digest_key]  # urgent: each alone, at once
    digest = [r.id for r in rows if r.digest_key]
    if digest and _digest_sent_today(channel.id, now):
        _defer(digest, next_digest_time(now))
        report.deferred += len(digest)
    elif digest:
        batches.append((digest, True))
    budget = _budget(channel, now)
    if budget is not None and len(batches) > budget:
        later = [i for batch, _ in batches[budget:] for i in batch]
        _defer(later, now + RATE_WINDOW)
        report.deferred += len(later)
        batches = batches[:budget]
    for ids, is_digest in batches:  # each claimed just before its send: the lease covers one send
        mine = _claim(ids, now)
        claimed = [i for i in ids if i in mine]
        if claimed:
            _send(channel, claimed, now, report, digest=is_digest)


def _digest_sent_today(channel_id: int, now: datetime) -> bool:
    key = f"{channel_id}:{china_date(now).isoformat()}"
    return db.session.scalar(select(func.count(Delivery.id)).where(
        Delivery.digest_key == key, Delivery.status == DeliveryStatus.SENT.value)) > 0


def _budget(channel: Channel, now: datetime) -> int | None:
    """How many more sends this robot URL takes this minute (None: no limit for this kind)."""
    limit = RATE_LIMITS.get(channel.kind)
    if limit is None:
        return None
    recent = (select(DeliveryAttempt.at, Delivery.digest_key, Delivery.id)
              .join(Delivery, Delivery.id == DeliveryAttempt.delivery_id)
              .join(Channel, Channel.id == Delivery.channel_id)
              .where(Channel.url == channel.url, DeliveryAttempt.at > now - RATE_WINDOW)).subquery()
    # An urgent item was a send of its own; a digest's items share one send (its time and key).
    alone = db.session.scalar(select(func.count()).select_from(recent).where(recent.c.digest_key == "")) or 0
    digests = db.session.scalar(select(func.count()).select_from(
        select(recent.c.at, recent.c.digest_key).where(recent.c.digest_key != "").distinct().subquery())) or 0
    used = alone + digests
    return max(0, limit - used)


def _defer(ids: list[int], until: datetime) -> None:
    db.session.execute(update(Delivery).where(Delivery.id.in_(ids), Delivery.status.in_(WAITING))
                       .values(next_attempt_at=until).execution_options(synchronize_session=False))
    db.session.commit()


def _claim(ids: list[int], now: datetime) -> set[int]:
    """The ids this worker now holds: one conditional UPDATE ... RETURNING moves them past a lease;
    a row another worker took first is not due any more and is not returned."""
    mine: set[int] = set()
    for start in range(0, len(ids), 500):
        mine.update(db.session.scalars(
            update(Delivery).where(Delivery.id.in_(ids[start:start + 500]), Delivery.status.in_(WAITING),
                                   Delivery.next_attempt_at <= now)
            .values(next_attempt_at=now + LEASE).returning(Delivery.id)
            .execution_options(synchronize_session=False)))
    db.session.commit()
    return mine


def _send(channel: Channel, ids: list[int], now: datetime, report: Report, digest: bool) -> None:
    messages = db.session.scalars(select(Message).join(Delivery, Delivery.message_id == Message.id)
                                  .where(Delivery.id.in_(ids)).order_by(Delivery.id)).all()
    title, body = compose(list(messages), digest)
    url, channel_id = channel.url, channel.id
    db.session.rollback()  # nothing written: no transaction (nor SQLite's lock) is held while sending
    error = send(url, title, body)
    report.sends += 1
    for d in db.session.scalars(select(Delivery).where(Delivery.id.in_(ids)).order_by(Delivery.id)):
        d.attempts += 1
        d.last_attempt_at = now
        db.session.add(DeliveryAttempt(delivery_id=d.id, at=now, ok=not error, error=error))
        if not error:
            d.status, d.sent_at, d.last_error, d.next_attempt_at = DeliveryStatus.SENT.value, now, "", None
            if digest:
                d.digest_key = f"{channel_id}:{china_date(now).isoformat()}"
            report.sent += 1
        elif d.attempts >= MAX_ATTEMPTS:
            d.status, d.last_error, d.next_attempt_at = DeliveryStatus.DEAD.value, error, None
            report.dead += 1
        else:
            d.status, d.last_error = DeliveryStatus.FAILED.value, error
            d.next_attempt_at = now + BACKOFF * 2 ** (d.attempts - 1)
            report.failed += 1
    db.session.commit()


def _link(path: str) -> str:
    base = str(current_app.config.get("PUBLIC_URL", "") or "").rstrip("/")
    return f"{base}{path}" if path else ""


def compose(messages: list[Message], digest: bool) -> tuple[str, str]:
    """One message's subject and text, or a digest listing all the items."""
    if not digest or len(messages) == 1:
        m = messages[0]
        return m.subject, "\n".join(x for x in (m.body, _link(m.link)) if x) or m.subject  # Apprise needs a body
    lines = []
    for n, m in enumerate(messages, 1):
        lines.append(f"{n}. {m.subject}")
        lines += [f"   {x}" for x in (m.body, _link(m.link)) if x]
    return f"督办消息汇总（{len(messages)} 条）", "\n".join(lines)
