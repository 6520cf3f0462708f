"""The access policy: who may see and do what, in one package.

- endpoints:    every endpoint declares its access (public, login_required, roles_required), and
                enforce_access, the before_request hook that refuses the undeclared, then by role;
- viewer:       who is asking (Viewer, gathered once per request: admin / inspector / liaison /
                signed link / nobody);
- coverage:     THE coverage rule, as a Python check (covers) and as the matching SQL clause
                (covered_clause), for every list, export, dashboard and object check;
- nouns:        the per-noun can_* functions and roles_of, built on coverage;
- link_session: the signed-link session check, a before_request hook of its own.
A new level above units (districts) changes viewer and coverage only."""
from survey.permissions.coverage import (
    covered_clause, covered_round_ids, covered_units_clause, covering_group_id, covers, scope_is_everything)
from survey.permissions.endpoints import (
    LOGGED_IN, PASSWORD_CHANGE_EXEMPT, PUBLIC, admin_required, endpoint_access, enforce_access, in_link_session,
    login_required, public, roles_required)
from survey.permissions.nouns import (
    ADMIN, CHECKER, UNIT, can_edit_submission, can_export_answers, can_reopen_submission, can_view_evidence,
    can_view_notice, can_view_problem, can_view_round, can_view_round_papers, can_view_submission,
    can_view_unit_papers, can_visit, group_ids, roles_of, visiting_group_id)
from survey.permissions.viewer import LinkScope, Viewer, viewer_of

__all__ = [
    "ADMIN", "CHECKER", "LOGGED_IN", "LinkScope", "PASSWORD_CHANGE_EXEMPT", "PUBLIC", "UNIT", "Viewer",
    "admin_required", "can_edit_submission", "can_export_answers", "can_reopen_submission", "can_view_evidence",
    "can_view_notice", "can_view_problem", "can_view_round", "can_view_round_papers", "can_view_submission",
    "can_view_unit_papers",
    "can_visit", "covered_clause", "covered_round_ids", "covered_units_clause", "covering_group_id", "covers",
    "endpoint_access", "enforce_access", "group_ids", "in_link_session", "login_required", "public",
    "roles_of", "roles_required", "scope_is_everything", "viewer_of", "visiting_group_id",
]
