"""The read side of channels and deliveries."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from survey.extensions import db
from survey.models import Channel, Delivery, DeliveryStatus, UnitContact

FAILED = (DeliveryStatus.FAILED.value, DeliveryStatus.DEAD.value)
PAGE = 100


def channels_of(owner_kind: str, owner_id: int) -> list[Channel]:
    return list(db.session.scalars(select(Channel).where(Channel.owner_kind == owner_kind,
                                                         Channel.owner_id == owner_id).order_by(Channel.id)))


def count_failed() -> int:
    """Deliveries whose last try failed or that were given up (the administrator's 待办)."""
    return db.session.scalar(select(func.count(Delivery.id)).where(Delivery.status.in_(FAILED))) or 0


def failed_deliveries(limit: int = PAGE) -> list[Delivery]:
    return list(db.session.scalars(
        select(Delivery).where(Delivery.status.in_(FAILED))
        .options(selectinload(Delivery.message), selectinload(Delivery.channel))
        .order_by(Delivery.last_attempt_at.desc().nulls_last(), Delivery.id.desc()).limit(limit)))


def contacts_of(unit_id: int) -> list[UnitContact]:
    return list(db.session.scalars(select(UnitContact).where(UnitContact.unit_id == unit_id).order_by(UnitContact.id)))
