"""Whose messages a person sees: their own; a liaison also the unit-wide ones (addressed to the unit,
no one person); a signed-link session the unit's of its round or of no round. Never another unit's."""
from __future__ import annotations

from flask import abort
from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.orm import selectinload

from survey.extensions import db
from survey.models import Message, Role, User
from survey.permissions import viewer_of

PAGE_SIZE = 30


def visible_clause(user: User) -> ColumnElement:
    viewer = viewer_of(user)
    if viewer.user_id is None:
        return false()
    unit_wide = Message.user_id.is_(None) & Message.contact_id.is_(None)
    if viewer.link is not None:  # the unit's inbox and its liaisons' messages, of the link's round or none
        liaisons = select(User.id).where(User.unit_id == viewer.link.unit_id, User.role == Role.UNIT.value)
        return ((Message.unit_id == viewer.link.unit_id) & Message.contact_id.is_(None)
                & or_(Message.user_id.is_(None), Message.user_id.in_(liaisons))
                & or_(Message.round_id.is_(None), Message.round_id == viewer.link.round_id))
    if viewer.is_liaison:
        return (Message.user_id == viewer.user_id) | (unit_wide & (Message.unit_id == viewer.unit_id))
    return Message.user_id == viewer.user_id


def query_messages(user: User, page: int = 1, unread_only: bool = False) -> tuple[list[Message], int]:
    where = visible_clause(user)
    if unread_only:
        where = where & Message.read_at.is_(None)
    total = db.session.scalar(select(func.count(Message.id)).where(where)) or 0
    rows = db.session.scalars(select(Message).where(where).options(selectinload(Message.notice))
                              .order_by(Message.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    return list(rows), total


def count_unread(user: User) -> int:
    """The bottom bar's badge: one COUNT over the (user_id, read_at, id) index."""
    return db.session.scalar(select(func.count(Message.id)).where(visible_clause(user), Message.read_at.is_(None))) or 0


def get_visible_or_404(user: User, message_id: int) -> Message:
    msg = db.session.scalar(select(Message).where(Message.id == message_id, visible_clause(user)))
    if msg is None:
        abort(404)
    return msg
