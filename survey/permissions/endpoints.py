"""Every endpoint declares its access; undeclared ones are refused (deny by default, then by role)."""
from __future__ import annotations

from typing import Callable

from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from flask_login import current_user

from survey.models import Role

PUBLIC = "public"
LOGGED_IN = "logged_in"
# Endpoints a user who must change the password may still reach.
PASSWORD_CHANGE_EXEMPT = {"auth.change_password", "auth.logout", "assets", "home.healthz"}
LINK_PREFIX = "link:"  # a signed-link session's cookie names the link, never the user


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


def in_link_session() -> bool:
    return str(session.get("_user_id", "")).startswith(LINK_PREFIX)


def enforce_access():
    """before_request hook: deny by default, then by role. A signed-link session is decided by its
    own hook (survey.permissions.link_session.enforce_link_session), which must have run first."""
    if request.endpoint is None:  # 404/405: let routing answer
        return None
    access = endpoint_access(current_app, request.endpoint)
    if access is None:
        current_app.logger.error("endpoint %s declares no access rule", request.endpoint)
        abort(403)
    if access == PUBLIC:
        return None
    if in_link_session():
        if not g.get("link_session_checked"):  # the link hook is not installed: refuse
            abort(403)
        return None
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if current_user.must_change_password and request.endpoint not in PASSWORD_CHANGE_EXEMPT:
        return redirect(url_for("auth.change_password"))
    if access != LOGGED_IN and current_user.role not in access:
        abort(403)
    return None
