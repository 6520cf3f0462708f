"""Domain errors and the error pages."""
from __future__ import annotations

from flask import Flask, current_app, g, jsonify, make_response, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from survey import audit
from survey.extensions import db
from survey.storage import StorageUnavailable


class DomainError(Exception):
    """A rule of the domain refused the action; the message is for the user (Chinese)."""

    status = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(DomainError):
    status = 403


class InvalidTransition(DomainError):
    status = 409


class Conflict(DomainError):
    status = 409


class StaleConflict(Conflict):
    """Another request changed the row between this one's read and its commit (optimistic locking)."""


class ValidationFailed(DomainError):
    """Several row- or field-level errors at once (imports)."""

    status = 422

    def __init__(self, message: str, errors: list) -> None:
        super().__init__(message)
        self.errors = errors


ERROR_TITLES = {
    400: "请求有误",
    403: "没有权限",
    404: "页面不存在",
    405: "不支持的操作",
    409: "数据已变化",
    413: "文件过大",
    422: "内容有误",
    429: "请求过于频繁",
    500: "服务器出错",
    503: "服务暂不可用",
}

ERROR_HINTS = {
    400: "请求内容不完整或格式不对，请返回重试。",
    403: "您的账号无权访问此页面。如需权限，请联系管理员。",
    404: "您访问的页面不存在或已被删除。",
    405: "此页面不支持该操作。",
    409: "数据已被他人修改，请刷新后重试。",
    413: "上传的文件超过大小限制。",
    422: "提交的内容有误，请检查后重试。",
    429: "操作过于频繁，请稍后再试。",
    500: "服务器内部错误，已记录。请稍后重试。",
    503: "数据库暂时无法连接，请稍后刷新重试。您填写的内容仍保存在本机。",
}


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return request.is_json or best == "application/json"


def error_response(status: int, message: str | None = None):
    message = message or ERROR_HINTS.get(status, "")
    title = ERROR_TITLES.get(status, "出错了")
    if wants_json():
        return jsonify(error=title, message=message), status
    # Pages for 5xx must not touch the database (it may be what failed): no user, no menu. Flask-Login's
    # context processor would load the user for any template: it is told there is none.
    template = "errors/unavailable.html" if status >= 500 else "errors/error.html"
    if status >= 500 and "_login_user" not in g:
        g._login_user = current_app.login_manager.anonymous_user()
    return render_template(template, status=status, title=title, message=message), status


STALE_MESSAGE = "数据已被他人修改，请刷新后查看最新内容再操作。"
CSRF_MESSAGE = "安全令牌无效或已过期（页面停留过久或已退出登录），请刷新页面后重试。"


def _rollback() -> None:
    """Roll back; with the database unreachable even that can fail, and must not raise."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is gone; the pool will replace it
        db.session.remove()


def audit_denied(response):
    """after_request: the rows the before-view hooks queued (survey.audit.record_after_request) are
    written; every 403, from a role check, an object policy or a view, is on record.
    Only the endpoint and numeric ids are kept: a path may carry a link token. A refusal that was
    already put on record with its own reason (a signed link's, g.denial_audited) is not written twice."""
    if g.get("audit_after_request"):
        _rollback()  # the request's transaction (and SQLite's write lock) ends before the rows are written
        if not audit.write_after_request():
            return make_response(*error_response(503))  # a refusal that cannot be put on record is not served
    if response.status_code == 403 and not g.get("denial_audited"):
        ids = {k: v for k, v in (request.view_args or {}).items() if isinstance(v, int)}
        actor = audit.actor_snapshot(current_user)
        _rollback()  # the request's transaction (and SQLite's write lock) ends before the row is written
        audit.record_now("access_denied", actor=actor, success=False,
                         details={"endpoint": request.endpoint or "", "method": request.method, "ids": ids})
    return response


def register_error_handlers(app: Flask) -> None:
    app.after_request(audit_denied)

    @app.errorhandler(CSRFError)
    def handle_csrf(exc: CSRFError):
        _rollback()
        return error_response(400, CSRF_MESSAGE)

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException):
        _rollback()
        return error_response(exc.code or 500)

    @app.errorhandler(DomainError)
    def handle_domain(exc: DomainError):
        _rollback()
        return error_response(exc.status, exc.message)

    @app.errorhandler(StaleDataError)
    def handle_stale(exc: StaleDataError):
        _rollback()  # optimistic locking: someone else changed the row first
        return error_response(409, STALE_MESSAGE)

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def handle_bad_value(exc: Exception):
        """A number too large for the database, or a value it cannot store: the input is bad."""
        _rollback()
        app.logger.warning("bad value refused: %s", exc.__class__.__name__)
        return error_response(400, "提交的数值或内容超出允许范围，请检查后重试。")

    @app.errorhandler(OperationalError)
    def handle_db_down(exc: OperationalError):
        _rollback()
        # The driver's message only ("database is locked", "connection refused"): never the SQL or
        # its parameters, which may hold personal data or hashes.
        reason = str(getattr(exc, "orig", "") or "").strip().splitlines()[:1]
        app.logger.warning("database error: %s %s", exc.__class__.__name__, reason[0][:200] if reason else "")
        return error_response(503)

    @app.errorhandler(StorageUnavailable)
    def handle_storage_down(exc: StorageUnavailable):
        _rollback()  # nothing half stored: the row goes with the file that could not be written
        app.logger.warning("storage error: %s", exc)
        return error_response(503, StorageUnavailable.MESSAGE)

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        _rollback()
        app.logger.exception("unhandled error")
        return error_response(500)
