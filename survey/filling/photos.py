"""Photos of photo questions: checked, cleaned of location data and kept in the storage.

Flush only; the view commits. Files are kept under "photos/<random name>" (survey/storage); a row
in `photos` points to each. A file is written (atomically) before its row is flushed: a crash in
between leaves an orphan file, which sweep_orphans() removes later, never a row without a file.
"""
from __future__ import annotations

import hashlib
import re
import secrets
import time

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from survey import audit
from survey.errors import DomainError, NotAllowed
from survey.images import FORMATS, MIMETYPES, NOT_AN_IMAGE, TooLarge, clean_name, inspect_image
from survey.database import begin_writing
from survey.extensions import db
from survey.filling.operations import check_round_open
from survey.models import Photo, Submission, User
from survey.permissions import can_edit_submission, can_view_submission
from survey.storage import get_storage, key_for, sweep
from survey import thumbnails

DEFAULT_MAX_PHOTOS = 3
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def photo_key(photo: Photo) -> str:
    return key_for("photos", photo.stored_name)


def discard_file(photo: Photo) -> None:
    """The file of a photo whose row was never committed (the commit failed)."""
    get_storage().delete(photo_key(photo))


def mimetype(photo: Photo) -> str:
    return MIMETYPES.get(photo.stored_name.rpartition(".")[2], "application/octet-stream")


def _photo_question(submission: Submission, question_name: str):
    question = submission.version.question_named(question_name or "")
    if question is None or question.type != "photo":
        raise DomainError("题目不存在或不是照片题", field="question")
    return question


def _limit(question) -> int:
    try:
        return int((question.parameters or {}).get("max", DEFAULT_MAX_PHOTOS))
    except (TypeError, ValueError):
        return DEFAULT_MAX_PHOTOS


def _count(submission: Submission, question_name: str) -> int:
    return db.session.scalar(select(func.count(Photo.id)).where(
        Photo.submission_id == submission.id, Photo.question_name == question_name)) or 0


def _existing(submission: Submission, client_id: str) -> Photo | None:
    return db.session.scalar(select(Photo).where(Photo.submission_id == submission.id,
                                                 Photo.client_id == client_id))


def store_photo(actor: User, submission: Submission, question_name: str, client_id: str, data: bytes,
                original_name: str, max_bytes: int) -> tuple[Photo, bool]:
    """Store one photo of a photo question; (photo, created). A retry with the same client_id
    returns the photo stored the first time and stores nothing again."""
    if not CLIENT_ID.match(client_id or ""):
        raise DomainError("上传编号无效，请刷新页面后重试", field="client_id")
    existing = _existing(submission, client_id)
    own = existing is not None and existing.uploaded_by_id == actor.id
    if own and can_view_submission(actor, submission):
        # The first attempt was stored but its answer lost: the same answer again, even if the
        # form was submitted meanwhile.
        if existing.question_name != question_name:
            raise DomainError("上传编号已被其他照片使用，请刷新页面后重试", field="client_id")
        return existing, False
    if not can_edit_submission(actor, submission):
        raise NotAllowed("您不能为此表上传照片")
    check_round_open(submission.round)
    if existing is not None:
        raise DomainError("上传编号已被其他照片使用，请刷新页面后重试", field="client_id")
    question = _photo_question(submission, question_name)
    limit = _limit(question)
    if _count(submission, question.name) >= limit:
        raise DomainError(f"本题最多上传 {limit} 张照片", field=question.name)
    if len(data) > max_bytes:
        raise TooLarge(f"照片不能超过 {max_bytes // (1024 * 1024)} MB", field=question.name)
    if not data:
        raise DomainError(NOT_AN_IMAGE, field=question.name)
    content, fmt, width, height = inspect_image(data)

    # Serialise uploads to this submission (PostgreSQL), then count again: parallel uploads
    # from two tabs must not pass the limit together.
    begin_writing(db.session)  # SQLite: the write lock from here on, not while the image was decoded
    db.session.execute(select(Submission.id).where(Submission.id == submission.id).with_for_update())
    if not can_edit_submission(actor, submission):
        raise NotAllowed("您不能为此表上传照片")
    if _count(submission, question.name) >= limit:
        raise DomainError(f"本题最多上传 {limit} 张照片", field=question.name)

    stored_name = f"{secrets.token_hex(16)}.{FORMATS[fmt][0]}"
    store, key = get_storage(), key_for("photos", stored_name)
    store.put(key, content)
    photo = Photo(submission_id=submission.id, question_name=question.name, client_id=client_id,
                  stored_name=stored_name, original_name=clean_name(original_name), size=len(content),
                  sha256=hashlib.sha256(content).hexdigest(), width=width, height=height,
                  uploaded_by_id=actor.id)
    try:
        with db.session.begin_nested():
            db.session.add(photo)
    except IntegrityError:
        store.delete(key)
        again = _existing(submission, client_id)  # a parallel retry of the same upload won
        if again is None:
            raise
        return again, False
    except BaseException:
        store.delete(key)
        raise
    return photo, True


def delete_photo(actor: User, photo: Photo) -> None:
    """Delete the row (flushed first, so a refused delete keeps the file), then the file."""
    submission = photo.submission
    if not can_edit_submission(actor, submission):
        raise NotAllowed("此表已提交或您无权修改，不能删除照片")
    check_round_open(submission.round)
    key = photo_key(photo)
    audit.record("photo_delete", actor=actor, target=submission.unit,
                 details={"submission_id": submission.id, "question": photo.question_name,
                          "name": photo.original_name, "sha256": photo.sha256})
    db.session.delete(photo)
    db.session.flush()
    db.session.expire(submission, ["photos"])
    get_storage().delete(key)
    thumbnails.discard(key)


def sweep_orphans(older_than_seconds: int = 3600) -> int:
    """Remove photo files no row points to, once older than the given age (see storage.sweep)."""
    known = set(db.session.scalars(select(Photo.stored_name)))
    return sweep(get_storage(), "photos", known, older_than_seconds, time.time())
