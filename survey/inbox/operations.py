"""Marking messages read: idempotent (a message read stays read at its first time)."""
from __future__ import annotations

from sqlalchemy import update

from survey.clock import utcnow
from survey.extensions import db
from survey.inbox.queries import visible_clause
from survey.models import Message, User


def mark_read(user: User, message: Message) -> None:
    if message.read_at is None:
        message.read_at = utcnow()
        db.session.flush()


def mark_all_read(user: User) -> int:
    """Every unread message the user sees, in one UPDATE; returns how many."""
    result = db.session.execute(update(Message).where(visible_clause(user), Message.read_at.is_(None))
                                .values(read_at=utcnow()).execution_options(synchronize_session=False))
    return result.rowcount or 0
