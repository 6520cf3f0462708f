"""Photos of photo questions: checked, cleaned of location data and kept in the storage.

Flush only; the view commits. Files are kept under "photos/<random name>" (survey/storage); a row
in `photos` points to each. A file is written (atomically) before its row is flushed: a crash in
between leaves an orphan file, which sweep_orphans() removes later, never a row without a file.
"""
from __future__ import annotations

import hashlib
import io
import re
import secrets
import struct
import time
import unicodedata
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from survey import audit
from survey.errors import DomainError, NotAllowed
from survey.database import begin_writing
from survey.extensions import db
from survey.models import Photo, Submission, User
from survey.permissions import can_edit_submission, can_view_submission
from survey.storage import get_storage, key_for, sweep

MAX_PIXELS = 40_000_000
DEFAULT_MAX_PHOTOS = 3
# Pillow format -> (extension, mimetype). MPO is what Pillow calls a JPEG with extra frames.
FORMATS = {"JPEG": ("jpg", "image/jpeg"), "MPO": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"),
           "WEBP": ("webp", "image/webp")}
MIMETYPES = {ext: mime for ext, mime in FORMATS.values()}
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
NOT_AN_IMAGE = "文件不是有效的图片"


class TooLarge(DomainError):
    status = 413


def photo_key(photo: Photo) -> str:
    return key_for("photos", photo.stored_name)


def discard_file(photo: Photo) -> None:
    """The file of a photo whose row was never committed (the commit failed)."""
    get_storage().delete(photo_key(photo))


def mimetype(photo: Photo) -> str:
    return MIMETYPES.get(photo.stored_name.rpartition(".")[2], "application/octet-stream")


def clean_name(name: str) -> str:
    """The display name: no folders, no control or direction characters, at most 255 characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Zl", "Zp"))
    name = name.strip().lstrip(".").strip()
    return name[:255] or "照片"


def name_stem(name: str) -> str:
    """A cleaned display name without its extension ("门口.jpg" -> "门口"), for download names."""
    base, dot, _ = (name or "").rpartition(".")
    return base if dot and base else (name or "")


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


def _has_trailer(fmt: str, data: bytes) -> bool:
    """Bytes after the image's end (an appended page, a video, a zip): stored re-encoded, never as is."""
    if fmt == "JPEG":
        return not data.rstrip(b"\x00").endswith(b"\xff\xd9")
    if fmt == "PNG":
        return not data.endswith(b"IEND\xaeB`\x82")
    if fmt == "WEBP":
        return len(data) < 12 or int.from_bytes(data[4:8], "little") + 8 != len(data)
    return True


# JPEG segments a plain picture has: JFIF (APP0), its colour profile (APP2), Adobe's colour
# transform (APP14). EXIF and XMP (APP1), IPTC (APP13) and the rest may say where and by whom.
PLAIN_JPEG_SEGMENTS = {"APP0", "APP2", "APP14"}


def _has_metadata(image: Image.Image) -> bool:
    if image.getexif() or any(k in image.info for k in ("exif", "xmp", "XML:com.adobe.xmp", "comment")):
        return True
    if any(marker not in PLAIN_JPEG_SEGMENTS for marker, _ in getattr(image, "applist", [])):
        return True
    return bool(getattr(image, "text", None))  # PNG text chunks


def inspect_image(data: bytes) -> tuple[bytes, str, int, int]:
    """Decode data fully and return (bytes to store, format, width, height).

    Only JPEG, PNG and WebP of at most MAX_PIXELS pixels, complete. Images with metadata (EXIF,
    XMP, IPTC, comments, text: GPS position, device, author), extra frames or trailing bytes are
    re-encoded without them, upright per their EXIF orientation; a plain image (what a phone's
    canvas makes) is kept byte for byte, so its SHA-256 is the sender's."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=["JPEG", "PNG", "WEBP"]) as probe:
                fmt = probe.format
                if probe.width * probe.height > MAX_PIXELS:
                    raise DomainError("图片尺寸过大")
                probe.verify()
            image = Image.open(io.BytesIO(data), formats=["JPEG", "PNG", "WEBP"])
            image.load()  # full decode: truncated or corrupt data fails here
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DomainError("图片尺寸过大") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, struct.error,
            IndexError, TypeError) as exc:  # what Pillow's decoders raise on bad data
        raise DomainError(NOT_AN_IMAGE) from exc
    with image:
        if fmt not in FORMATS:
            raise DomainError(NOT_AN_IMAGE)
        frames = getattr(image, "n_frames", 1) > 1
        if not (_has_metadata(image) or frames or fmt == "MPO" or _has_trailer(fmt, data)):
            return data, fmt, image.width, image.height
        return _reencode(image, fmt)


def _reencode(image: Image.Image, fmt: str) -> tuple[bytes, str, int, int]:
    keep = {k: image.info[k] for k in ("icc_profile", "transparency") if image.info.get(k) is not None}
    upright = ImageOps.exif_transpose(image)
    upright.info = {}
    out = io.BytesIO()
    if fmt in ("JPEG", "MPO"):
        fmt = "JPEG"
        if upright.mode not in ("RGB", "L", "CMYK"):
            upright = upright.convert("RGB")
        upright.save(out, "JPEG", quality=90, icc_profile=keep.get("icc_profile"))
    elif fmt == "PNG":
        upright.save(out, "PNG", **keep)
    else:
        if upright.mode not in ("RGB", "RGBA"):
            alpha = "A" in upright.getbands() or "transparency" in keep
            upright = upright.convert("RGBA" if alpha else "RGB")
        upright.save(out, "WEBP", quality=90, icc_profile=keep.get("icc_profile"))
    return out.getvalue(), fmt, upright.width, upright.height


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
    key = photo_key(photo)
    audit.record("photo_delete", actor=actor, target=submission.unit,
                 details={"submission_id": submission.id, "question": photo.question_name,
                          "name": photo.original_name, "sha256": photo.sha256})
    db.session.delete(photo)
    db.session.flush()
    db.session.expire(submission, ["photos"])
    get_storage().delete(key)


def sweep_orphans(older_than_seconds: int = 3600) -> int:
    """Remove photo files no row points to, once older than the given age (see storage.sweep)."""
    known = set(db.session.scalars(select(Photo.stored_name)))
    return sweep(get_storage(), "photos", known, older_than_seconds, time.time())
