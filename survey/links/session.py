"""Signed-link sessions (免密访问): the unit's liaison account acts, but only on one unit in one round.

The session cookie names the link, never the user ("link:<id>:<nonce>"), so the user loader
re-checks the link on every request (revoked, re-issued or expired: the session is over at once)
and a link session can never pass for a password login. What such a session may reach is decided
by the policy's own hook, survey.permissions.link_session.enforce_link_session."""

from __future__ import annotations

from flask import g, session
from flask_login import current_user, login_user

from survey.clock import utcnow
from survey.extensions import db
from survey.links import queries
from survey.models import UnitLink, User
from survey.permissions.endpoints import LINK_PREFIX as PREFIX
from survey.permissions.viewer import LinkScope


class _LinkIdentity:
    """What Flask-Login stores for a link session: the link, not the user."""

    is_active = True

    def __init__(self, link: UnitLink) -> None:
        self.token = f"{PREFIX}{link.id}:{link.nonce}"

    def get_id(self) -> str:
        return self.token


def start(link: UnitLink) -> None:
    """Replace whatever session the browser had with a session bound to this link."""
    session.clear()
    session.permanent = True
    login_user(_LinkIdentity(link))


def scope() -> LinkScope | None:
    """The link's (round, unit) when this request runs in a valid link session."""
    return g.get("link_scope") if current_user.is_authenticated else None


def load_user(token: str) -> User | None:
    """Flask-Login's loader for "link:<id>:<nonce>": the unit's liaison while the link is good."""
    link_id, _, nonce = token[len(PREFIX):].partition(":")
    link = db.session.get(UnitLink, int(link_id)) if link_id.isdigit() else None
    reason = queries.refusal(link, nonce, utcnow())
    user = queries.liaison_of(link.unit_id) if reason is None else None
    if user is None:
        g.link_refused = (reason or "no_liaison", link)
        return None
    g.link_scope = LinkScope(link.id, link.round_id, link.unit_id)
    return user
