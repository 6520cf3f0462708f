"""Logging in and out, lockout and password changes."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, or_, select, update

from survey import audit
from survey.clock import utcnow
from survey.database import write_intent, writing
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


# One text for a wrong password and for an unknown username, so the answer never tells whether an
# account exists (the same for the time: an unknown username is checked against a dummy hash).
WRONG_CREDENTIALS = "用户名或密码错误"


def _login_state(username: str, now) -> tuple[object | None, bool]:
    """The account's row (id, hash, lock) and whether this address is over its failure limit, read
    in a short read transaction of its own: the password is hashed after it, outside any
    transaction, since SQLite's write lock (BEGIN IMMEDIATE) must not be held that long."""
    cfg = current_app.config
    token = write_intent.set(False)
    try:
        row = db.session.execute(select(User.id, User.password_hash, User.locked_until)
                                 .where(User.username == username)).first()
        ip_over = _ip_failures(audit.client_ip(), now - timedelta(minutes=cfg["LOCKOUT_MINUTES"])) \
            >= cfg["IP_FAILURE_LIMIT"]
        db.session.rollback()  # a read only: ends the transaction before the hashing
    finally:
        write_intent.reset(token)
    return row, ip_over


def _take_attempt(user_id: int, now) -> int | None:
    """Count this attempt before its password is checked, atomically, in a transaction committed
    at once on its own connection: UPDATE ... SET n = n + 1 ... RETURNING n. Parallel attempts for
    one account each get their own number (PostgreSQL's row lock, SQLite's write lock), so no more
    than LOCKOUT_THRESHOLD passwords are ever checked per lock period on either engine. None when
    the account is locked."""
    users = User.__table__
    stmt = (update(users).where(users.c.id == user_id,
                                or_(users.c.locked_until.is_(None), users.c.locked_until <= now))
            .values(failed_login_count=users.c.failed_login_count + 1)
            .returning(users.c.failed_login_count))
    with writing(), db.engine.begin() as conn:
        return conn.execute(stmt).scalar()


def _refuse_locked(user: User | None, username: str, now) -> None:
    until = user.locked_until if user is not None and user.is_locked(now) else None
    left = (until - now).total_seconds() if until else current_app.config["LOCKOUT_MINUTES"] * 60
    audit.record("login_failed", actor=user, actor_username=username, success=False,
                 details={"reason": "locked"})
    raise LoginRefused(f"密码连续输错次数过多，账号已锁定，请 {max(1, int(left // 60) + 1)} 分钟后再试或联系管理员解锁",
                       field="username")


def authenticate(username: str, password: str) -> User:
    """Return the user whose credentials these are, or raise LoginRefused (audited)."""
    cfg, now = current_app.config, utcnow()
    row, ip_over = _login_state(username, now)
    if ip_over:  # refused without looking at the password: spend no CPU on it
        audit.record("login_failed", actor_username=username, success=False, details={"reason": "ip_limit"})
        raise LoginRefused("此网络登录失败次数过多，请 15 分钟后再试", field="username")
    unlocked = row is not None and not (row.locked_until is not None and row.locked_until > now)
    attempt = _take_attempt(row.id, now) if unlocked else None
    checked = attempt is not None and attempt <= cfg["LOCKOUT_THRESHOLD"]
    # A dummy hash for an unknown username; none for a locked account (refused below, no CPU spent).
    password_ok = verify_password(row.password_hash if checked else None, password) \
        if checked or row is None else False
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or row is None:
        audit.record("login_failed", actor_username=username, success=False, details={"reason": "unknown_user"})
        raise LoginRefused(WRONG_CREDENTIALS, field="password")
    if not checked:
        _refuse_locked(user, username, now)
    if user.password_hash != row.password_hash:  # changed in between: check again (rare)
        password_ok = verify_password(user.password_hash, password)
    if not password_ok:
        _count_failure(user, attempt, now)
    if user.is_disabled:
        audit.record("login_failed", actor=user, success=False, details={"reason": "disabled"})
        raise LoginRefused("账号已停用，请联系管理员", field="username")
    user.failed_login_count = 0
    user.locked_until = None
    user.last_login_at = now
    audit.record("login", actor=user)
    return user


def _count_failure(user: User, attempt: int, now) -> None:
    """The attempt was counted before its check (_take_attempt); the last allowed one locks."""
    cfg = current_app.config
    threshold, window = cfg["LOCKOUT_THRESHOLD"], timedelta(minutes=cfg["LOCKOUT_MINUTES"])
    audit.record("login_failed", actor=user, success=False, details={"reason": "bad_password", "count": attempt})
    if attempt >= threshold:
        user.locked_until = now + window
        user.failed_login_count = 0
        audit.record("lockout", actor=user, success=True, details={"until": user.locked_until.isoformat()})
        raise LoginRefused(
            f"密码连续输错 {threshold} 次，账号已锁定 {int(window.total_seconds() // 60)} 分钟",
            field="password")
    raise LoginRefused(WRONG_CREDENTIALS, field="password")


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
