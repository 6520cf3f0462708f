"""Who may open a unit's comparison, 问诊 pack and 问诊报告, and the record of every refusal.

Administrators: every unit. Inspectors: the units their groups visit in that round. Unit liaisons:
none — these are the supervision groups' working papers (the visit record itself is not shown to
units either, see permissions.can_view_submission); a unit sees each problem found in its ledger."""
from __future__ import annotations

from sqlalchemy import select

from survey import audit
from survey.extensions import db
from survey.models import Round, RoundUnit, User
from survey.permissions import group_ids

PAGES = {"comparison": "自查与督导比对", "pack": "问诊包", "report": "问诊报告", "ranking": "比对排名"}


def _refused_status(user: User) -> int:
    """A liaison is told the page does not exist (as for other units' records); others get 403."""
    return 404 if user.is_liaison else 403


def unit_refusal(user: User, scope: RoundUnit) -> int | None:
    """None when user may open the unit's pages in this round, else the HTTP status to answer."""
    if user.is_admin:
        return None
    if user.is_inspector and scope.group_id is not None and scope.group_id in group_ids(user):
        return None
    return _refused_status(user)


def round_refusal(user: User, rnd: Round) -> int | None:
    """The round's ranking: administrators, and inspectors whose groups visit a unit in it."""
    if user.is_admin:
        return None
    if user.is_inspector:
        covered = select(RoundUnit.unit_id).where(RoundUnit.round_id == rnd.id,
                                                  RoundUnit.group_id.in_(group_ids(user) or {0}))
        if db.session.scalar(covered.limit(1)) is not None:
            return None
    return _refused_status(user)


def record_refusal(user: User, page: str, rnd: Round, scope: RoundUnit | None = None) -> None:
    """An audit row for a refused opening (the view commits it before answering 403/404)."""
    audit.record("access_denied", actor=user, success=False, target=scope.unit if scope else rnd,
                 details={"page": page, "page_label": PAGES.get(page, page), "round_id": rnd.id,
                          "unit_id": scope.unit_id if scope else None})
