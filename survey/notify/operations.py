"""Channel use cases: add, change, enable/disable, delete, test; resend failed deliveries.
Each flushes; the view commits."""
from __future__ import annotations

from sqlalchemy import update

from survey import audit
from survey.clock import utcnow
from survey.database import begin_writing
from survey.errors import DomainError
from survey.extensions import db
from survey.models import Channel, ChannelKind, Delivery, DeliveryStatus, User
from survey.notify import urls
from survey.notify.send import send

TEST_TITLE = "【测试】督办消息渠道"
TEST_BODY = "这是一条测试消息：收到即说明渠道配置正确。"


def _kind(kind: str) -> ChannelKind:
    try:
        return ChannelKind(kind)
    except ValueError:
        raise DomainError("请选择渠道类型", field="kind") from None


def create_channel(actor: User, owner_kind: str, owner_id: int, kind: str, label: str, url: str,
                   secret: str = "") -> Channel:
    kind_ = _kind(kind)
    channel = Channel(owner_kind=owner_kind, owner_id=owner_id, kind=kind_.value, label=(label or "").strip(),
                      url=urls.normalize(kind_, url, secret), created_by_id=actor.id)
    db.session.add(channel)
    db.session.flush()
    audit.record("channel_create", actor=actor, target=channel,
                 details={"owner": f"{owner_kind}:{owner_id}", "kind": kind_.value})
    return channel


def update_channel(actor: User, channel: Channel, label: str, url: str, secret: str = "") -> None:
    """A blank URL keeps the stored one (it is never shown back whole); a blank secret keeps the secret."""
    kind = ChannelKind(channel.kind)
    if (url or "").strip():
        channel.url = urls.normalize(kind, url, secret or urls.secret_of(channel.url))
    elif (secret or "").strip():
        channel.url = urls.normalize(kind, channel.url, secret)
    channel.label = (label or "").strip()
    db.session.flush()
    audit.record("channel_update", actor=actor, target=channel, details={"kind": channel.kind})


def set_enabled(actor: User, channel: Channel, enabled: bool) -> None:
    channel.enabled = enabled
    db.session.flush()
    audit.record("channel_update", actor=actor, target=channel, details={"enabled": enabled})


def delete_channel(actor: User, channel: Channel) -> None:
    """A channel that carried messages keeps its deliveries on record: it can only be disabled."""
    if db.session.query(Delivery.id).filter(Delivery.channel_id == channel.id).first() is not None:
        raise DomainError("该渠道已有发送记录，不能删除，可以停用")
    audit.record("channel_delete", actor=actor, target=channel, details={"kind": channel.kind})
    db.session.delete(channel)
    db.session.flush()


def test_channel(actor: User, channel: Channel) -> str:
    """Send a test message now and record the outcome on the channel; "" when it went. The view is
    reads_first: SQLite's write lock is taken after the send, not held while it waits on the network."""
    error = send(channel.url, TEST_TITLE, TEST_BODY)
    begin_writing(db.session)
    channel.last_test_at = utcnow()
    channel.last_test_error = error
    db.session.flush()
    audit.record("channel_test", actor=actor, target=channel, success=not error, details={"error": error[:200]})
    return error


def resend(actor: User, delivery_ids: list[int] | None = None) -> int:
    """Failed and dead deliveries (these, or all) go out again on the next delivery run."""
    stmt = (update(Delivery).where(Delivery.status.in_((DeliveryStatus.FAILED.value, DeliveryStatus.DEAD.value)))
            .values(status=DeliveryStatus.PENDING.value, attempts=0, next_attempt_at=utcnow()))
    if delivery_ids is not None:
        stmt = stmt.where(Delivery.id.in_(delivery_ids))
    count = db.session.execute(stmt.execution_options(synchronize_session=False)).rowcount or 0
    audit.record("delivery_resend", actor=actor, details={"count": count, "ids": (delivery_ids or [])[:50]})
    return count
