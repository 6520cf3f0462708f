"""Which channels carry a message: the recipient's own, and the unit's or the group's robot for a
liaison's or a group member's message, restricted to the kinds of the ladder step it came from.
A unit's or group's channel carries one item per underlying event (the firing), not one per person."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.exc import IntegrityError

from survey.clock import china_date
from survey.extensions import db
from survey.models import Channel, Delivery, LadderFiring, Message, Role, User, group_members
from survey.permissions.coverage import covering_group_id

LOOKBACK = timedelta(days=3)  # messages older than this and never carried are left to the inbox
SHARED = ("unit", "group")


def owners_of(msg: Message) -> list[tuple[str, int]]:
    """Whose channels carry msg. The ladder writes unit_id on the liaison's messages only; a group
    member's unit is the firing's."""
    if msg.contact_id is not None:
        return [("contact", msg.contact_id)]
    if msg.user_id is None:
        return [("unit", msg.unit_id)] if msg.unit_id is not None else []
    owners, user = [("user", msg.user_id)], msg.user
    firing = db.session.get(LadderFiring, msg.firing_id) if msg.firing_id is not None else None
    unit_id = msg.unit_id if msg.unit_id is not None else (firing.unit_id if firing else None)
    round_id = msg.round_id if msg.round_id is not None else (firing.round_id if firing else None)
    if user.role == Role.UNIT.value and user.unit_id is not None:
        owners.append(("unit", user.unit_id))
    elif user.role == Role.INSPECTOR.value and unit_id is not None:
        group_id = covering_group_id(round_id, unit_id)
        if group_id is not None and any(g.id == group_id for g in user.groups):
            owners.append(("group", group_id))
    return owners


def channels_for(msg: Message) -> list[Channel]:
    owners = owners_of(msg)
    if not owners:
        return []
    kinds = None
    if msg.firing_id is not None:
        firing = db.session.get(LadderFiring, msg.firing_id)
        kinds = set(firing.step.channels or []) if firing is not None else None
        if kinds is not None and not kinds:
            return []  # the step reaches the inbox only
    owner_clause = or_(*(and_(Channel.owner_kind == k, Channel.owner_id == i) for k, i in owners))
    channels = db.session.scalars(select(Channel).where(Channel.enabled, owner_clause).order_by(Channel.id))
    return [c for c in channels if kinds is None or c.kind in kinds]


def _already_carried(channel: Channel, msg: Message) -> bool:
    """A shared channel already carries this event for another recipient."""
    if channel.owner_kind not in SHARED or msg.firing_id is None:
        return False
    return db.session.scalar(select(exists().where(
        Delivery.channel_id == channel.id, Delivery.message_id == Message.id,
        Message.firing_id == msg.firing_id))) or False


def is_urgent(msg: Message) -> bool:
    if msg.urgent:
        return True
    firing = db.session.get(LadderFiring, msg.firing_id) if msg.firing_id is not None else None
    return bool(firing and firing.step.urgent)


def might_have_channels():
    """A cheap SQL filter: messages whose recipient, unit, contact or group owns an enabled channel
    (the few owners with channels, listed once). Most messages reach the inbox only; they are not
    loaded one by one on every run."""
    owners: dict[str, set[int]] = {"user": set(), "unit": set(), "group": set(), "contact": set()}
    for kind, ident in db.session.execute(select(Channel.owner_kind, Channel.owner_id).where(Channel.enabled)):
        owners.setdefault(kind, set()).add(ident)
    if not any(owners.values()):
        return None
    clauses = [Message.user_id.in_(owners["user"]), Message.contact_id.in_(owners["contact"]),
               Message.unit_id.in_(owners["unit"]),
               Message.user_id.in_(select(User.id).where(User.unit_id.in_(owners["unit"])))]
    if owners["group"]:
        clauses.append(Message.user_id.in_(select(group_members.c.user_id)
                                           .where(group_members.c.group_id.in_(owners["group"]))))
    return or_(*clauses)


def create_deliveries(now: datetime, digest_at) -> int:
    """Delivery rows for the messages of the last LOOKBACK days that have none yet; urgent ones are
    due now, the others at the day's digest time. Safe when two workers do it at once."""
    reachable = might_have_channels()
    if reachable is None:
        return 0
    new = db.session.scalars(select(Message).where(
        Message.created_at >= now - LOOKBACK, reachable,
        ~exists().where(Delivery.message_id == Message.id)).order_by(Message.id)).all()
    created = 0
    for msg in new:
        urgent = is_urgent(msg)
        for channel in channels_for(msg):
            if _already_carried(channel, msg):
                continue
            row = Delivery(message_id=msg.id, channel_id=channel.id, created_at=now,
                           next_attempt_at=now if urgent else digest_at(now),
                           digest_key="" if urgent else f"{channel.id}:{china_date(now).isoformat()}")
            try:
                with db.session.begin_nested():
                    db.session.add(row)
            except IntegrityError:  # another worker made it first
                continue
            created += 1
    return created

