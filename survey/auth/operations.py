"""Logging in and out, lockout and password changes."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from survey import audit
from survey.clock import utcnow
from survey.database import write_intent
from survey.errors import DomainError
from survey.extensions import db
from survey.models import AuditLog, User
from survey.passwords import hash_password, policy_error, verify_password


class LoginRefused(DomainError):
    """Refused login. Unlike other domain errors, its audit rows must be committed."""

    status = 401


def _ip_failures(ip: str, since) -> int:
    return db.session.scalar(
        select(func.count(AuditLog.id)).where(
            AuditLog.event == "login_failed", AuditLog.ip == ip, AuditLog.created_at >= since
        )
    ) or 0


def _check_password_before_locking(username: str, password: str) -> tuple[str | None, bool]:
    """Hash the password in a short read transaction of its own, before the login's write
    transaction starts: hashing takes a tenth of a second of CPU, and SQLite's write lock
    (BEGIN IMMEDIATE) must not be held that long while a whole district logs in at once."""
    cfg, now = current_app.config, utcnow()
    token = write_intent.set(False)
    try:
        row = db.session.execute(select(User.password_hash, User.locked_until).where(User.username == username)).first()
        refused = (row is not None and row.locked_until is not None and row.locked_until > now) or _ip_failures(
            audit.client_ip(), now - timedelta(minutes=cfg["LOCKOUT_MINUTES"])) >= cfg["IP_FAILURE_LIMIT"]
        db.session.rollback()  # a read only: ends the transaction before the hashing
    finally:
        write_intent.reset(token)
    known = row.password_hash if row else None
    if refused:  # refused below without looking at the password: spend no CPU on it
        return known, False
    return known, verify_password(known, password)  # a dummy hash for an unknown user: same time


def authenticate(username: str, password: str) -> User:
    """Return the user whose credentials these are, or raise LoginRefused (audited)."""
    checked_hash, password_ok = _check_password_before_locking(username, password)
    cfg = current_app.config
    now = utcnow()
    window = timedelta(minutes=cfg["LOCKOUT_MINUTES"])
    if _ip_failures(audit.client_ip(), now - window) >= cfg["IP_FAILURE_LIMIT"]:
        audit.record("login_failed", actor_username=username, success=False,
                     details={"reason": "ip_limit"})
        raise LoginRefused("此网络登录失败次数过多，请 15 分钟后再试", field="username")
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        audit.record("login_failed", actor_username=username, success=False,
                     details={"reason": "unknown_user"})
        raise LoginRefused("用户名或密码错误", field="password")
    if user.is_locked(now):
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        audit.record("login_failed", actor=user, success=False, details={"reason": "locked"})
        raise LoginRefused(f"密码连续输错次数过多，账号已锁定，请 {minutes} 分钟后再试或联系管理员解锁",
                           field="username")
    if user.password_hash != checked_hash:  # changed in between: check again (rare)
        password_ok = verify_password(user.password_hash, password)
    if not password_ok:
        _count_failure(user, now, window)
    if user.is_disabled:
        audit.record("login_failed", actor=user, success=False, details={"reason": "disabled"})
        raise LoginRefused("账号已停用，请联系管理员", field="username")
    user.failed_login_count = 0
    user.locked_until = None
    user.last_login_at = now
    audit.record("login", actor=user)
    return user


def _count_failure(user: User, now, window: timedelta) -> None:
    threshold = current_app.config["LOCKOUT_THRESHOLD"]
    user.failed_login_count += 1
    audit.record("login_failed", actor=user, success=False,
                 details={"reason": "bad_password", "count": user.failed_login_count})
    if user.failed_login_count >= threshold:
        user.locked_until = now + window
        user.failed_login_count = 0
        audit.record("lockout", actor=user, success=True,
                     details={"until": user.locked_until.isoformat()})
        raise LoginRefused(
            f"密码连续输错 {threshold} 次，账号已锁定 {int(window.total_seconds() // 60)} 分钟",
            field="password")
    left = threshold - user.failed_login_count
    raise LoginRefused(f"用户名或密码错误（再错 {left} 次将锁定账号）", field="password")


def logout(user: User) -> None:
    """End every session of user: the old cookie no longer matches."""
    user.rotate_session()
    audit.record("logout", actor=user)


def set_password(user: User, new_password: str) -> None:
    error = policy_error(new_password)
    if error:
        raise DomainError(error, field="new_password")
    user.password_hash = hash_password(new_password)
    user.rotate_session()


def change_password(user: User, current: str, new_password: str) -> None:
    """The user's own change: checks the current password, ends other sessions."""
    if not verify_password(user.password_hash, current):
        raise DomainError("当前密码不正确", field="current_password")
    if verify_password(user.password_hash, new_password):
        raise DomainError("新密码不能与当前密码相同", field="new_password")
    set_password(user, new_password)
    user.must_change_password = False
    audit.record("password_change", actor=user, target=user)
