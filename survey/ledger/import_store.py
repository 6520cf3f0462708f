"""The uploaded ledger kept between preview and confirm: <instance>/imports/<32 hex>.xlsx.
Confirming claims the file by renaming it (atomic: of two confirms only one gets it)."""
from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

from flask import current_app

TOKEN = re.compile(r"[0-9a-f]{32}")
MAX_AGE_SECONDS = 24 * 3600


def _folder() -> Path:
    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _path(token: str, suffix: str = ".xlsx") -> Path:
    if not isinstance(token, str) or not TOKEN.fullmatch(token):
        raise ValueError("invalid import token")
    return _folder() / f"{token}{suffix}"


def save(data: bytes) -> str:
    """Keep the bytes; returns the id to post back. Old unconfirmed uploads are removed."""
    _purge()
    token = secrets.token_hex(16)
    _path(token).write_bytes(data)
    return token


def claim(token: str) -> bytes | None:
    """The file's bytes, taken out of reach of any other confirm; None when it is gone or the id is bad."""
    try:
        source, claimed = _path(token), _path(token, ".claimed")
        source.rename(claimed)
    except (ValueError, FileNotFoundError):
        return None
    return claimed.read_bytes()


def release(token: str) -> None:
    """Put a claimed file back (the import failed for a reason the user did not cause)."""
    try:
        _path(token, ".claimed").rename(_path(token))
    except (ValueError, FileNotFoundError):
        pass


def discard(token: str) -> None:
    for suffix in (".claimed", ".xlsx"):
        try:
            _path(token, suffix).unlink()
        except (ValueError, FileNotFoundError):
            pass


def _purge() -> None:
    cutoff = time.time() - MAX_AGE_SECONDS
    for path in _folder().iterdir():
        try:
            if path.suffix in (".xlsx", ".claimed") and path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:
            pass
