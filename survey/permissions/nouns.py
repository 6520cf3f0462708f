"""Object-level policies, one per noun, used by views (403/404) and templates (show a button).
Each is the coverage rule (survey.permissions.coverage) plus what the noun's role adds."""
from __future__ import annotations

from sqlalchemy import select

from survey.extensions import db
from survey.models import RoundUnit
from survey.permissions.coverage import covered_clause, covering_group_id, covers
from survey.permissions.viewer import viewer_of

# The parts a person plays towards a problem (survey.ledger.rules' transitions name who may act).
UNIT, CHECKER, ADMIN = "unit", "checker", "admin"


def group_ids(user) -> set[int]:
    """An inspector's groups (nobody else has any)."""
    viewer = viewer_of(user)
    return set(viewer.group_ids) if viewer.is_inspector else set()


def roles_of(user, problem, scope: RoundUnit | None = None) -> set[str]:
    """ADMIN for an administrator; CHECKER for an inspector whose group covers the problem's unit in
    its round; UNIT for the unit's liaison; nothing for anyone else. scope: the problem's round_units
    row when the caller holds it (saves a read)."""
    viewer = viewer_of(user)
    if viewer.is_admin:
        return {ADMIN}
    if not covers(viewer, problem.round_id, problem.unit_id, scope):
        return set()
    return {CHECKER} if viewer.is_inspector else {UNIT} if viewer.is_liaison else set()


def can_view_problem(user, problem) -> bool:
    return covers(user, problem.round_id, problem.unit_id)


def can_view_evidence(user, evidence, problem) -> bool:
    """Evidence is served to those who may see its problem."""
    return evidence.problem_id == problem.id and can_view_problem(user, problem)


def can_view_submission(user, submission) -> bool:
    """Administrators; the covering group's inspectors (self-check and visit); the unit's liaison
    its self-check only (the visit record is the group's working paper)."""
    viewer = viewer_of(user)
    if viewer.is_liaison and submission.kind != "self_check":
        return False
    return covers(viewer, submission.round_id, submission.unit_id)


def can_edit_submission(user, submission) -> bool:
    """Fill (or autosave) it: the unit's liaison its self-check, the covering group its visit."""
    viewer = viewer_of(user)
    if submission.is_submitted:
        return False
    wanted = viewer.is_liaison if submission.kind == "self_check" else viewer.is_inspector
    return wanted and covers(viewer, submission.round_id, submission.unit_id)


def can_reopen_submission(user, submission) -> bool:
    return viewer_of(user).is_admin and submission.is_submitted


def can_visit(user, round_id: int, unit_id: int) -> bool:
    """Open (or continue) the unit's visit in the round: an inspector of the covering group."""
    viewer = viewer_of(user)
    return viewer.is_inspector and covers(viewer, round_id, unit_id)


def visiting_group_id(submission_or_round_unit) -> int | None:
    """The group that visits the unit in that round (whose members the visit form offers)."""
    obj = submission_or_round_unit
    scope = obj if isinstance(obj, RoundUnit) else None
    return covering_group_id(obj.round_id, obj.unit_id, scope)


def can_view_unit_papers(user, round_id: int, unit_id: int) -> bool:
    """A unit's comparison, 问诊 pack and 问诊报告 (the groups' working papers): administrators and
    the covering group's inspectors; never a liaison, not even the unit's own."""
    viewer = viewer_of(user)
    return viewer.is_admin or (viewer.is_inspector and covers(viewer, round_id, unit_id))


def can_view_round(user, round_id: int) -> bool:
    """A round's pages: administrators, and whoever covers at least one unit of its scope."""
    viewer = viewer_of(user)
    if viewer.is_admin:
        return True
    stmt = select(RoundUnit.unit_id).where(RoundUnit.round_id == round_id,
                                           covered_clause(viewer, RoundUnit.round_id, RoundUnit.unit_id))
    return db.session.scalar(stmt.limit(1)) is not None


def can_view_round_papers(user, round_id: int) -> bool:
    """The round's comparison ranking: administrators, and inspectors covering a unit of it."""
    viewer = viewer_of(user)
    return viewer.is_admin or (viewer.is_inspector and can_view_round(viewer, round_id))


def can_export_answers(user, round_id: int) -> bool:
    """A round's raw answers (self-checks or visits): as its ranking, over the units covered."""
    return can_view_round_papers(user, round_id)


def can_view_notice(user, notice, problem=None) -> bool:
    """A numbered notice (督办单, 告诫书, 自查催办通知 ...): whoever may see its problem; a self-check
    notice (no problem) whoever covers its unit in its round — the addressed unit's liaison, its
    signed link in that round, the covering group and administrators."""
    if problem is not None:
        return problem.id == notice.problem_id and can_view_problem(user, problem)
    if notice.problem_id is not None:
        return False
    return covers(user, notice.round_id, notice.unit_id)
