"""Who may do what. Every endpoint declares its access; undeclared ones are refused."""
from __future__ import annotations

from typing import Callable

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_login import current_user

from survey.models import Role, User

PUBLIC = "public"
LOGGED_IN = "logged_in"
# Endpoints a user who must change the password may still reach.
PASSWORD_CHANGE_EXEMPT = {"auth.change_password", "auth.logout", "assets", "home.healthz"}


def public(view: Callable) -> Callable:
    view.access = PUBLIC
    return view


def login_required(view: Callable) -> Callable:
    view.access = LOGGED_IN
    return view


def roles_required(*roles: Role) -> Callable[[Callable], Callable]:
    def decorate(view: Callable) -> Callable:
        view.access = frozenset(r.value for r in roles)
        return view
    return decorate


admin_required = roles_required(Role.ADMIN)


def endpoint_access(app: Flask, endpoint: str | None):
    view = app.view_functions.get(endpoint) if endpoint else None
    return getattr(view, "access", None)


def enforce_access():
    """before_request hook: deny by default, then by role."""
    if request.endpoint is None:  # 404/405: let routing answer
        return None
    access = endpoint_access(current_app, request.endpoint)
    if access is None:
        current_app.logger.error("endpoint %s declares no access rule", request.endpoint)
        abort(403)
    if access == PUBLIC:
        return None
    from survey.links import session as link_session
    if link_session.in_link_session():  # a signed link reaches its unit's pages only, nothing else
        return link_session.guard(access)
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if current_user.must_change_password and request.endpoint not in PASSWORD_CHANGE_EXEMPT:
        return redirect(url_for("auth.change_password"))
    if access != LOGGED_IN and current_user.role not in access:
        abort(403)
    return None


# Object-level policies, used by views (403) and templates (show a button).


def group_ids(user: User) -> set[int]:
    return {g.id for g in user.groups} if user.is_authenticated and user.is_inspector else set()


def visiting_group_id(submission_or_round_unit) -> int | None:
    """The group assigned to the unit in that round (round_units.group_id)."""
    from survey.extensions import db
    from survey.models import RoundUnit

    obj = submission_or_round_unit
    if isinstance(obj, RoundUnit):
        return obj.group_id
    scope = db.session.get(RoundUnit, (obj.round_id, obj.unit_id))
    return scope.group_id if scope else None


def can_view_submission(user: User, submission) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_admin:
        return True
    if user.is_liaison:
        return submission.kind == "self_check" and user.unit_id == submission.unit_id
    return visiting_group_id(submission) in group_ids(user)


def can_edit_submission(user: User, submission) -> bool:
    """Fill (or autosave) it: the unit's liaison its self-check, the visiting group its visit."""
    if not user.is_authenticated or submission.is_submitted:
        return False
    if submission.kind == "self_check":
        return user.is_liaison and user.unit_id == submission.unit_id
    return user.is_inspector and visiting_group_id(submission) in group_ids(user)


def can_reopen_submission(user: User, submission) -> bool:
    return user.is_authenticated and user.is_admin and submission.is_submitted
