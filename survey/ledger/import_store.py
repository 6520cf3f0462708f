"""The uploaded ledger kept between preview and confirm: the storage key imports/<32 hex>.xlsx (the
local disk or an S3 bucket, survey/storage), so a confirm may land on another app host.

Confirming claims the token by inserting its ImportClaim row (the primary key lets one confirm in,
on any host: a second one's INSERT waits for the first's commit and then fails). The view commits
the claim before the import runs; release() deletes the row again, discard() the file."""
from __future__ import annotations

import re
import secrets
import time
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from survey.clock import utcnow
from survey.extensions import db
from survey.models import ImportClaim
from survey.storage import get_storage, key_for

TOKEN = re.compile(r"[0-9a-f]{32}")
MAX_AGE_SECONDS = 24 * 3600


def _key(token: str) -> str:
    if not isinstance(token, str) or not TOKEN.fullmatch(token):
        raise ValueError("invalid import token")
    return key_for("imports", f"{token}.xlsx")


def save(data: bytes) -> str:
    """Keep the bytes; returns the id to post back. Old unconfirmed uploads are removed."""
    _purge()
    token = secrets.token_hex(16)
    get_storage().put(_key(token), data)
    return token


def claim(token: str) -> bool:
    """Take the token out of reach of any other confirm (once the caller commits); False when the id
    is bad or another confirm has it. Flushes only (the view commits, then load()s the bytes)."""
    if not isinstance(token, str) or not TOKEN.fullmatch(token):
        return False
    db.session.execute(delete(ImportClaim).where(  # claims outlive their file; a day past it they go
        ImportClaim.claimed_at < utcnow() - timedelta(seconds=2 * MAX_AGE_SECONDS)))
    try:
        with db.session.begin_nested():
            db.session.add(ImportClaim(token=token, claimed_at=utcnow()))
    except IntegrityError:
        return False  # another confirm took it
    return True


def load(token: str) -> bytes | None:
    """The kept file's bytes; None when it is gone (expired, or imported already) or the id is bad."""
    try:
        return get_storage().read(_key(token))
    except (ValueError, FileNotFoundError):
        return None


def release(token: str) -> None:
    """Give a claimed file back (the import failed for a reason the user did not cause). Flushes."""
    if isinstance(token, str) and TOKEN.fullmatch(token):
        db.session.execute(delete(ImportClaim).where(ImportClaim.token == token))


def discard(token: str) -> None:
    """Remove the file (its claim row stays, refusing the token until purged)."""
    try:
        get_storage().delete(_key(token))
    except ValueError:
        pass


def _purge() -> None:
    store, cutoff = get_storage(), time.time() - MAX_AGE_SECONDS
    for entry in list(store.list("imports/")):
        if entry.modified < cutoff:
            store.delete(entry.key)
