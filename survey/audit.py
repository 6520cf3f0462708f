"""Writing audit rows, chained by hashes so that editing or deleting a row is detectable.

Callers record() into the session and the view commits. The rows wait in the session until the
commit; just before it (after every other change is flushed) they get their place in the chain:
under a lock, the newest row_hash is read and each new row carries prev_hash = that hash and
row_hash = sha256(prev_hash + canonical JSON of its fields). The lock is SQLite's write lock (the
transaction began with BEGIN IMMEDIATE, survey/database.py) or, on PostgreSQL, a transaction-level
advisory lock held only for those last inserts, so no two transactions ever chain onto the same row.
record_now() writes one row in a transaction of its own, for events whose request rolls back
(access denied) or only reads (downloads).
"""
from __future__ import annotations

import hashlib
import json
import math
import re
from types import SimpleNamespace
from typing import Any

from flask import current_app, g, has_request_context, request
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session, scoped_session

from survey import throttle
from survey.clock import utcnow
from survey.database import AUDIT_PENDING, writing
from survey.extensions import db
from survey.models import AuditLog, Problem, ProblemEvent, User

PENDING = AUDIT_PENDING  # session.info key: rows waiting to be chained at commit
LOCK_KEY = 0x5AFE_A0D1  # pg_advisory_xact_lock key of the audit chain
HASHED_FIELDS = ("created_at", "actor_id", "actor_username", "actor_role", "event", "success",
                 "target_type", "target_id", "target_label", "ip", "request_id", "details")
SECRET_KEYS = re.compile(r"password|passwd|token|secret|nonce|cookie|session|csrf|authorization", re.I)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def client_ip() -> str:
    """The client's address; behind TRUST_PROXY proxies ProxyFix has put the real one here."""
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
    session: Session | None = None,
) -> AuditLog | None:
    """Queue one audit row for event, written when the session commits (not before). An anonymous
    denial may only be counted, not written (survey/throttle.py): then None."""
    details = throttle.row_details(event, success, actor is not None, details or {})
    if details is None:
        return None
    row = AuditLog(
        created_at=utcnow(),
        event=event,
        success=success,
        actor_id=actor.id if actor is not None else None,
        actor_username=_text(actor.username if actor is not None else actor_username, 64),
        actor_role=actor.role if actor is not None else "",
        target_type=getattr(target, "type_name", None) or type(target).__name__ if target is not None else "",
        target_id=getattr(target, "id", None),
        target_label=_label(target),
        ip=_text(client_ip(), 64),
        request_id=_text(request_id(), 36),
        details=clean_details(details),
    )
    session = session or db.session
    if isinstance(session, scoped_session):
        session = session()
    if not session.in_transaction():
        session.begin()  # so that a rollback (which ends it) drops the queued rows
    session.info.setdefault(PENDING, []).append(row)
    return row


def actor_snapshot(user) -> SimpleNamespace | None:
    """The actor's id, name and role as plain values, readable after the session rolls back."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return SimpleNamespace(id=user.id, username=user.username, role=user.role)


def target_snapshot(obj) -> SimpleNamespace | None:
    """A target's type, id and label as plain values, readable after the session rolls back."""
    if obj is None:
        return None
    return SimpleNamespace(type_name=type(obj).__name__, id=getattr(obj, "id", None), name=_label(obj))


def record_now(event: str, *, fail_closed: bool = False, **kwargs) -> None:
    """Write one row in its own short write transaction; never raises (the caller's answer
    stands even when the database is unreachable), but says so in the log; with fail_closed the
    error propagates (the request then answers 503). The request's own transaction must be over
    (it may hold SQLite's write lock): pass actor_snapshot(user)."""
    try:
        with writing(), Session(bind=db.engine) as session:
            record(event, session=session, **kwargs)
            session.commit()
    except Exception:  # noqa: BLE001 - reported, the request goes on
        if fail_closed:
            raise
        current_app.logger.warning("audit row %s not written", event, exc_info=True)


def record_after_request(event: str, *, fail_closed: bool = False, **kwargs) -> None:
    """Queue one row that is written once the view has answered, in a write transaction of its own
    (write_after_request, from survey.errors' after_request hook): the hooks that run before the view
    (the CSRF check, the signed-link check) never commit. Pass actor_snapshot(user)."""
    g.setdefault("audit_after_request", []).append((event, fail_closed, kwargs))


def write_after_request() -> bool:
    """Write the queued rows; False when a fail_closed one could not be written."""
    ok = True
    for name, fail_closed, kwargs in g.pop("audit_after_request", []):
        try:
            record_now(name, fail_closed=fail_closed, **kwargs)
        except Exception:  # noqa: BLE001 - the caller answers 503
            current_app.logger.warning("audit row %s not written: request refused", name, exc_info=True)
            ok = False
    return ok


def _text(value: str | None, limit: int) -> str:
    return CONTROL.sub("", value or "")[:limit]


def _label(target: Any) -> str:
    if target is None:
        return ""
    for attr in ("username", "name", "code"):
        value = getattr(target, attr, None)
        if value:
            return _text(str(value), 128)
    return ""


def clean_details(details: dict) -> dict:
    """Plain JSON (what the column gives back, so the hash verifies), secrets masked, no NULs."""
    def clean(value: Any, key: str = "") -> Any:
        if key and SECRET_KEYS.search(key):
            return "***"
        if isinstance(value, dict):
            return {str(k): clean(v, str(k)) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        if value is None or isinstance(value, (bool, int)):
            return value
        if isinstance(value, float):
            return value if math.isfinite(value) else str(value)
        return str(value).replace("\x00", "")
    return clean(details)


def canonical(row: AuditLog) -> str:
    values = {name: getattr(row, name) for name in HASHED_FIELDS}
    values["created_at"] = row.created_at.isoformat(timespec="microseconds")
    return json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def row_digest(prev_hash: str, row: AuditLog) -> str:
    return hashlib.sha256((prev_hash + canonical(row)).encode("utf-8")).hexdigest()


def lock_chain(session: Session) -> None:
    """Serialise appends to the chain until this transaction ends."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})


def chain_head(session: Session) -> str:
    return session.scalar(select(AuditLog.row_hash).order_by(AuditLog.id.desc()).limit(1)) or ""


# Every step of a problem's life is one audit row too, derived from its ProblemEvent (an import's
# rows are covered by its one ledger_import row).
UNAUDITED_PROBLEM_ACTIONS = frozenset({"import"})


@event.listens_for(Session, "before_flush")
def _audit_problem_events(session: Session, flush_context, instances) -> None:
    for obj in session.new:
        if isinstance(obj, ProblemEvent) and obj.action not in UNAUDITED_PROBLEM_ACTIONS:
            actor = session.get(User, obj.actor_id) if obj.actor_id else None
            record(f"problem_{obj.action}"[:32], actor=actor, target=session.get(Problem, obj.problem_id),
                   details={"from": obj.from_status or "", "to": obj.to_status or ""}, session=session)


@event.listens_for(Session, "before_commit")
def _append_pending(session: Session) -> None:
    if session.in_nested_transaction():
        return
    session.flush()  # everything else first (it may queue rows): the lock is held only for the inserts below
    rows = session.info.pop(PENDING, None)
    if not rows:
        return
    lock_chain(session)
    prev = chain_head(session)
    for row in rows:  # one insert at a time: ids follow the chain's order
        row.prev_hash, row.row_hash = prev, row_digest(prev, row)
        prev = row.row_hash
        session.add(row)
        session.flush()


@event.listens_for(Session, "after_transaction_end")
def _drop_pending(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(PENDING, None)


@event.listens_for(AuditLog, "before_update")
@event.listens_for(AuditLog, "before_delete")
def _append_only(mapper, connection, target: AuditLog) -> None:
    raise PermissionError("audit rows are never changed or deleted by the application")


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
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return str(value)
