"""The record of every refused opening of a unit's comparison, 问诊 pack and 问诊报告.

Who may open them is the access policy's (survey.permissions.can_view_unit_papers and
can_view_round_papers): administrators every unit, inspectors the units their groups cover in that
round, unit liaisons none — these are the supervision groups' working papers (the visit record
itself is not shown to units either, see permissions.can_view_submission); a unit sees each
problem found in its ledger. The views answer the refusal (403, or 404 for a liaison)."""
from __future__ import annotations

from survey import audit
from survey.models import Round, RoundUnit, User

PAGES = {"comparison": "自查与督导比对", "pack": "问诊包", "report": "问诊报告", "ranking": "比对排名"}


def record_refusal(user: User, page: str, rnd: Round, scope: RoundUnit | None = None) -> None:
    """An audit row for a refused opening (the view commits it before answering 403/404)."""
    audit.record("access_denied", actor=user, success=False, target=scope.unit if scope else rnd,
                 details={"page": page, "page_label": PAGES.get(page, page), "round_id": rnd.id,
                          "unit_id": scope.unit_id if scope else None})
