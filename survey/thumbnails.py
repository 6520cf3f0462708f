"""Thumbnails of stored photos and evidence images, for previews that must not download the file.

Made on the first request from the stored image (survey/images.thumbnail: its decoding limits, EXIF
orientation, no metadata) and kept in the storage under "thumbs/<namespace>-<stored name>-<px>.jpg";
made again whenever missing, so a backup need not carry them. A stored file never changes under its
random name, so a thumbnail URL that carries the file's SHA-256 prefix (?v=...) names one content:
it is cached as immutable; without it (or with a stale one) for an hour, like the file.
The caller checks who may see the file first; this module only reads and writes bytes.
"""
from __future__ import annotations

from flask import Response, abort, redirect, request, url_for

from survey import images
from survey.errors import DomainError
from survey.storage import check_key, get_storage, key_for

SMALL = 144   # 72 px tiles (problem pages, the self-check's photos) on 2x screens
MEDIUM = 192  # the visit report's 96 px photos on 2x screens (30 mm in print)
SIZES = (SMALL, MEDIUM)
IMMUTABLE = "private, max-age=31536000, immutable"
SHORT_MAX_AGE = 3600
PLACEHOLDER = "img/no-thumb.svg"  # an image that cannot be decoded within the limits


def version(sha256: str) -> str:
    """The ?v= of a content-addressed thumbnail URL."""
    return (sha256 or "")[:16]


def thumb_key(source_key: str, px: int) -> str:
    namespace, name = check_key(source_key)
    return key_for("thumbs", f"{namespace}-{name}-{px}.jpg")


def ensure(source_key: str, px: int) -> str | None:
    """The key of source's thumbnail, made now if missing; None if the source is missing, "" if it
    is no image that decodes within the limits (a bomb, truncated: nothing is stored)."""
    store, key = get_storage(), thumb_key(source_key, px)
    if store.exists(key):
        return key
    try:
        data = store.read(source_key)
    except FileNotFoundError:
        return None
    try:
        small = images.thumbnail(data, px)
    except DomainError:
        return ""
    finally:
        del data
    store.put(key, small)  # atomic: two first requests at once both write the same bytes
    return key


def send(source_key: str, px: int, sha256: str, download_name: str) -> Response:
    """The thumbnail as a response: 404 if the source is missing, a placeholder if it is no image
    that decodes within the limits (never a 500)."""
    key = ensure(source_key, px)
    if key is None:
        abort(404)
    if not key:
        return redirect(url_for("assets", filename=PLACEHOLDER), 302)
    fixed = request.args.get("v") == version(sha256) != ""
    resp = get_storage().send(key, mimetype="image/jpeg", as_attachment=False, download_name=download_name,
                              etag=f"{version(sha256)}-{px}", max_age=SHORT_MAX_AGE)
    resp.headers["Cache-Control"] = IMMUTABLE if fixed else f"private, max-age={SHORT_MAX_AGE}"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


def discard(source_key: str) -> None:
    """The thumbnails of a file that is deleted."""
    store = get_storage()
    for px in SIZES:
        store.delete(thumb_key(source_key, px))


def sweep_orphans(older_than_seconds: float, now: float) -> int:
    """Thumbnails whose file is gone (a crash between the two deletes), once older than the age."""
    store, removed = get_storage(), 0
    for entry in list(store.list("thumbs/")):
        namespace, _, rest = entry.key.partition("/")[2].partition("-")
        source = f"{namespace}/{rest.rpartition('-')[0]}"
        try:
            check_key(source)
            orphan = not store.exists(source)
        except ValueError:
            orphan = True
        if orphan and entry.modified <= now - older_than_seconds:
            removed += store.delete(entry.key)
    return removed
