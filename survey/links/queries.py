"""Reads for unit links: a link's state, the round's links, the rows of the QR sheet."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import url_for
from sqlalchemy import select

from survey.extensions import db
from survey.filling.queries import liaisons_by_unit, round_board
from survey.links.tokens import make_token
from survey.models import Round, UnitLink, User
from survey.clock import china_moment

STATE_LABELS = {"active": "有效", "revoked": "已撤销", "expired": "已过期"}


def round_end(rnd: Round) -> datetime:
    """The end of the round's last day in Asia/Shanghai, as UTC: when its links stop working, the
    first moment at which Round.has_ended (and self-checks and visits refuse work)."""
    return china_moment(rnd.ends_on + timedelta(days=1))


def link_state(link: UnitLink, now: datetime) -> str:
    if link.revoked_at is not None:
        return "revoked"
    return "expired" if now >= link.expires_at else "active"


def refusal(link: UnitLink | None, nonce: str, now: datetime) -> str | None:
    """Why a link with this nonce may not be used now (an audit reason), or None."""
    if link is None:
        return "unknown"
    if link.nonce != nonce:
        return "replaced"
    state = link_state(link, now)
    return None if state == "active" else state


def liaison_of(unit_id: int) -> User | None:
    """The account that acts, in the audit trail and the problem history, when the link is used."""
    return liaisons_by_unit([unit_id]).get(unit_id)


def link_url(link: UnitLink) -> str:
    return url_for("links.use", token=make_token(link.id, link.nonce), _external=True)


def entry_url(round_id: int, unit_id: int) -> str:
    """The unit's plain link: the liaison logs in and lands on the self-check."""
    return url_for("links.unit_entry", round_id=round_id, unit_id=unit_id, _external=True)


def links_of_round(round_id: int) -> dict[int, UnitLink]:
    return {link.unit_id: link for link in db.session.scalars(select(UnitLink).where(UnitLink.round_id == round_id))}


def manage_rows(rnd: Round, user: User, now: datetime) -> list[dict]:
    """Every unit of the round with its liaison and its link (state, use count, URL when active)."""
    rows = round_board(rnd, user)
    links = links_of_round(rnd.id)
    liaisons = liaisons_by_unit([r["unit"].id for r in rows])
    result = []
    for row in rows:
        link = links.get(row["unit"].id)
        state = link_state(link, now) if link else ""
        result.append({"unit": row["unit"], "liaison": liaisons.get(row["unit"].id), "link": link, "state": state,
                       "url": link_url(link) if state == "active" else ""})
    return result


def sheet_rows(rnd: Round, user: User, now: datetime, unit_id: int | None = None) -> list[dict]:
    """The QR sheet: each unit the user may see with the URL its code carries — the signed link when
    one is active and the user is an administrator, the plain link (log in first) otherwise."""
    links = links_of_round(rnd.id) if user.is_admin else {}
    rows = []
    for row in round_board(rnd, user):
        unit = row["unit"]
        if unit_id is not None and unit.id != unit_id:
            continue
        link = links.get(unit.id)
        signed = link is not None and link_state(link, now) == "active"
        rows.append({"unit": unit, "signed": signed, "expires_at": link.expires_at if signed else None,
                     "url": link_url(link) if signed else entry_url(rnd.id, unit.id)})
    return rows
