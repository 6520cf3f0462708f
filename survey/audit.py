"""Writing audit rows. Callers add to the session; the view commits."""
from __future__ import annotations

from typing import Any

from flask import g, has_request_context, request

from survey.extensions import db
from survey.models import AuditLog, User


def client_ip() -> str:
    return (request.remote_addr or "") if has_request_context() else "cli"


def request_id() -> str:
    return getattr(g, "request_id", "") if has_request_context() else ""


def record(
    event: str,
    *,
    actor: User | None = None,
    actor_username: str | None = None,
    success: bool = True,
    target: Any = None,
    details: dict | None = None,
) -> AuditLog:
    """Add one audit row for event; the target is any model with id and a name."""
    row = AuditLog(
        event=event,
        success=success,
        actor_id=actor.id if actor is not None else None,
        actor_username=actor.username if actor is not None else (actor_username or "")[:64],
        actor_role=actor.role if actor is not None else "",
        target_type=type(target).__name__ if target is not None else "",
        target_id=getattr(target, "id", None),
        target_label=_label(target),
        ip=client_ip()[:64],
        request_id=request_id(),
        details=details or {},
    )
    db.session.add(row)
    return row


def _label(target: Any) -> str:
    if target is None:
        return ""
    for attr in ("username", "name"):
        value = getattr(target, attr, None)
        if value:
            return str(value)[:128]
    return ""


def changes(obj: Any, new_values: dict[str, Any]) -> dict[str, list]:
    """Apply new_values to obj and return {field: [old, new]} for those that changed."""
    changed = {}
    for field, new in new_values.items():
        old = getattr(obj, field)
        if old != new:
            changed[field] = [_jsonable(old), _jsonable(new)]
            setattr(obj, field, new)
    return changed


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return str(value)
