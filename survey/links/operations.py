"""Issuing, revoking and using signed unit links. Flush only; the view commits."""
from __future__ import annotations

from sqlalchemy import select

from survey import audit
from survey.clock import china_date, utcnow
from survey.errors import DomainError, NotAllowed
from survey.extensions import db
from survey.filling.queries import liaisons_by_unit
from survey.links import queries
from survey.permissions.link_session import MESSAGES, record_use
from survey.links.tokens import new_nonce, read_token
from survey.models import Round, RoundUnit, Unit, UnitLink, User


class LinkRefused(NotAllowed):
    """A link that may not be used; reason is the audit code, message what the person reads."""

    def __init__(self, reason: str) -> None:
        super().__init__(MESSAGES.get(reason, MESSAGES["unknown"]))
        self.reason = reason
        self.status = 404 if reason in ("tampered", "unknown") else 403


def _link_of(rnd: Round, unit: Unit) -> UnitLink | None:
    return db.session.scalar(select(UnitLink).where(UnitLink.round_id == rnd.id, UnitLink.unit_id == unit.id))


def _check_admin(actor: User) -> None:
    if not actor.is_admin:
        raise NotAllowed("只有管理员可以开通或撤销免密链接")


def issue_link(actor: User, rnd: Round, unit: Unit) -> UnitLink:
    """Switch the unit's link on for the round, or draw a new one (every earlier copy stops working)."""
    _check_admin(actor)
    if db.session.get(RoundUnit, (rnd.id, unit.id)) is None:
        raise DomainError(f"“{unit.name}”不在本批次范围内")
    if queries.liaison_of(unit.id) is None:
        raise DomainError(f"“{unit.name}”没有可用的联络员账号，不能开通免密链接。请先在“用户”中为该单位创建联络员。")
    now, expires = utcnow(), queries.round_end(rnd)
    if rnd.has_ended(china_date(now)):  # the round's state (survey/models/round.py): expires <= now
        raise DomainError(f"本批次已于 {rnd.ends_on} 结束，不能再开通免密链接")
    link = _link_of(rnd, unit)
    again = link is not None
    if link is None:
        link = UnitLink(round_id=rnd.id, unit_id=unit.id, unit=unit)
        db.session.add(link)
    link.nonce, link.expires_at, link.revoked_at = new_nonce(), expires, None
    link.created_at, link.created_by_id, link.last_used_at, link.use_count = now, actor.id, None, 0
    db.session.flush()
    audit.record("link_issue", actor=actor, target=unit,
                 details={"round_id": rnd.id, "link_id": link.id, "reissued": again,
                          "expires_at": expires.isoformat()})
    return link


def revoke_link(actor: User, rnd: Round, unit: Unit) -> UnitLink:
    _check_admin(actor)
    link = _link_of(rnd, unit)
    if link is None or link.revoked_at is not None:
        raise DomainError(f"“{unit.name}”没有可撤销的免密链接")
    link.revoked_at = utcnow()
    audit.record("link_revoke", actor=actor, target=unit, details={"round_id": rnd.id, "link_id": link.id})
    return link


def issue_all(actor: User, rnd: Round) -> tuple[int, list[str]]:
    """A link for every unit of the round that has a liaison and no active link; the names of the
    units left out because they have no liaison."""
    _check_admin(actor)
    issued, skipped, now = 0, [], utcnow()
    links = queries.links_of_round(rnd.id)
    scope = sorted(db.session.scalars(select(RoundUnit).where(RoundUnit.round_id == rnd.id)), key=lambda s: s.unit_id)
    liaisons = liaisons_by_unit([s.unit_id for s in scope])
    for row in scope:
        link = links.get(row.unit_id)
        if link is not None and queries.link_state(link, now) == "active":
            continue
        if row.unit_id not in liaisons:
            skipped.append(row.unit.name)
            continue
        issue_link(actor, rnd, row.unit)
        issued += 1
    return issued, skipped


def use_link(token: str) -> tuple[UnitLink, User]:
    """Check a token from a URL; count and audit the use, or audit the refusal and raise LinkRefused."""
    parsed = read_token(token)
    link = db.session.get(UnitLink, parsed[0]) if parsed else None
    reason = "tampered" if parsed is None else queries.refusal(link, parsed[1], utcnow())
    user = queries.liaison_of(link.unit_id) if reason is None else None
    if reason is None and user is None:
        reason = "no_liaison"
    if reason:
        record_use(link if reason != "tampered" else None, reason, None)
        raise LinkRefused(reason)
    link.use_count += 1
    link.last_used_at = utcnow()
    record_use(link, None, user, {"opened": True})
    return link, user
