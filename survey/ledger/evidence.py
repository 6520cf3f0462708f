"""佐证材料: photos and documents attached to a problem, checked by their content, never their name.

Flush only; the view commits. Files are kept under "evidence/<random name>" (survey/storage), a
namespace apart from the questionnaire photos, whose orphan sweep must never see them, with the
extension of the kind found in the content. A file is written (atomically) before its row is
flushed: a crash in between leaves an orphan file, never a row without a file.
"""
from __future__ import annotations

import hashlib
import io
import secrets
import time
import zipfile

from sqlalchemy import select

from survey.errors import DomainError, NotAllowed
from survey.database import begin_writing
from survey.extensions import db
from survey import images
from survey.ledger import creation
from survey.ledger.operations import scope_of
from survey.models import FINAL, OPEN, Evidence, Problem, ProblemEvent, ProblemStatus, User
from survey.storage import get_storage, key_for, sweep
from survey import thumbnails
from survey.permissions import ADMIN, CHECKER, UNIT, roles_of
from survey.models.problem import status_label

MIMETYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
IMAGE_KINDS = frozenset({"jpg", "png"})
KIND_LABELS = {"jpg": "图片", "png": "图片", "pdf": "PDF", "docx": "Word", "xlsx": "Excel"}
# What a name may claim; used only to choose between the two refusal messages, never to accept.
CLAIMED = {"jpg": "jpg", "jpeg": "jpg", "png": "png", "pdf": "pdf", "docx": "docx", "xlsx": "xlsx"}

UNSUPPORTED = "文件类型不支持：仅支持 jpg、png、pdf、docx、xlsx"
MISMATCH = "文件内容与类型不符"
EMPTY = "文件为空，请重新选择"
PDF_EOF_WINDOW = 1024          # %%EOF must be among the last bytes (a few may follow it)
OFFICE_MAIN_PARTS = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}
CONTENT_TYPES = "[content_types].xml"
MAX_CONTENT_TYPES_BYTES = 1024 * 1024
MAX_ZIP_ENTRIES = 20_000


class TooLarge(images.TooLarge):
    """413, like a photo that is too large."""


# --- rights ---------------------------------------------------------------------------------

def can_add_evidence(user: User, problem: Problem) -> bool:
    """The unit's liaison while the unit works on it (open, in progress, pending review); the
    covering group's inspector and the administrator in any state but cancelled (on-site
    evidence, evidence found on verification)."""
    if not getattr(user, "is_authenticated", False):
        return False
    roles = roles_of(user, problem, scope_of(problem))
    if roles & {CHECKER, ADMIN}:
        return problem.status != ProblemStatus.CANCELLED
    return UNIT in roles and problem.status in OPEN  # the unit still works on it


def can_remove_evidence(user: User, evidence: Evidence, problem: Problem) -> bool:
    """The administrator at any time; whoever uploaded it (and still acts on the problem) while the
    problem is neither closed nor cancelled."""
    if not getattr(user, "is_authenticated", False) or evidence.problem_id != problem.id:
        return False
    roles = roles_of(user, problem, scope_of(problem))
    if ADMIN in roles:
        return True
    return bool(roles) and evidence.uploaded_by_id == user.id and problem.status not in FINAL


def add_refusal(user: User, problem: Problem) -> str:
    if not roles_of(user, problem, scope_of(problem)):
        return "您无权为该问题上传佐证材料"
    return f"问题当前为“{status_label(problem.status)}”，您不能上传佐证材料"


# --- files ----------------------------------------------------------------------------------

def evidence_key(evidence: Evidence) -> str:
    return key_for("evidence", evidence.stored_name)


def discard_files(rows: list[Evidence]) -> None:
    """The files of rows that were never committed (an upload refused or failed half way)."""
    store = get_storage()
    for row in rows:
        store.delete(evidence_key(row))


def mimetype(evidence: Evidence) -> str:
    return MIMETYPES.get(evidence.kind, "application/octet-stream")


def is_image(evidence: Evidence) -> bool:
    return evidence.kind in IMAGE_KINDS


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def clean_name(name: str, kind: str = "") -> str:
    """The display name: no folders, control or direction characters, at most 255 characters;
    Chinese kept. A name that cleans away to nothing becomes 佐证材料.<kind>."""
    cleaned = images.clean_name(name)
    if cleaned == "照片" and "照片" not in (name or ""):  # photos' fallback, wrong for a document
        cleaned = f"佐证材料.{kind}" if kind else "佐证材料"
    return cleaned


def _claimed(name: str) -> str | None:
    base = images.clean_name(name)
    return CLAIMED.get(base.rpartition(".")[2].lower()) if "." in base else None


def _refuse_unknown(claimed: str | None) -> DomainError:
    """Content of no supported kind: a mismatch when the name claims a supported kind, else unsupported."""
    return DomainError(MISMATCH if claimed else UNSUPPORTED, field="files")


def _office_kind(data: bytes, claimed: str | None) -> str:
    """docx or xlsx: a zip from its first byte, with [Content_Types].xml and the main part of
    exactly one of them, and no macros (docm, xlsm, or a macro project renamed)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if not infos or len(infos) > MAX_ZIP_ENTRIES:
                raise _refuse_unknown(claimed)
            by_name = {info.filename.replace("\\", "/").lower(): info for info in infos}
            if any(name.rpartition("/")[2] in ("vbaproject.bin", "vbaprojectsignature.bin", "vbadata.xml")
                   for name in by_name):
                raise DomainError(UNSUPPORTED, field="files")
            kinds = [kind for kind, part in OFFICE_MAIN_PARTS.items() if part in by_name]
            types = by_name.get(CONTENT_TYPES)
            if types is None or len(kinds) != 1:
                raise _refuse_unknown(claimed)
            kind = kinds[0]
            if types.file_size > MAX_CONTENT_TYPES_BYTES:
                raise DomainError(MISMATCH, field="files")
            declared = archive.read(types).lower()  # decompressed and CRC-checked
            if b"macroenabled" in declared or b"vbaproject" in declared:
                raise DomainError(UNSUPPORTED, field="files")
            with archive.open(by_name[OFFICE_MAIN_PARTS[kind]]) as main:
                main.read(1024)  # readable: not encrypted, a compression method we know
            return kind
    except DomainError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, ValueError, OSError,
            EOFError, KeyError):
        raise DomainError(MISMATCH, field="files") from None


def inspect(data: bytes, original_name: str) -> tuple[bytes, str]:
    """(bytes to store, kind) for data of a supported kind, by content; DomainError otherwise.
    JPEG and PNG get the photo checks (a whole image, at most 40 MP, metadata such as EXIF GPS
    removed by re-encoding; a plain image is kept byte for byte)."""
    claimed = _claimed(original_name)
    if not data:
        raise DomainError(EMPTY, field="files")
    if data.startswith(b"\xff\xd8\xff") or data.startswith(b"\x89PNG\r\n\x1a\n"):
        try:
            content, fmt, _, _ = images.inspect_image(data)
        except DomainError as exc:
            if exc.message == images.NOT_AN_IMAGE:
                raise DomainError(MISMATCH, field="files") from None
            raise DomainError(exc.message, field="files") from None
        kind = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png"}.get(fmt)
        if kind is None:
            raise DomainError(UNSUPPORTED, field="files")
        return content, kind
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-PDF_EOF_WINDOW:]:
            raise DomainError(MISMATCH, field="files")
        return data, "pdf"
    if data.startswith(b"PK\x03\x04"):
        return data, _office_kind(data, claimed)
    raise _refuse_unknown(claimed)


# --- operations -----------------------------------------------------------------------------

def _event(actor: User, problem: Problem, action: str, evidence: Evidence) -> ProblemEvent:
    changes = {"file": evidence.original_name, "evidence_id": evidence.id, "kind": evidence.kind,
               "size": evidence.size, "sha256": evidence.sha256}
    return creation.record_event(problem, action, actor.id, before=problem.status, changes=changes)


def add_evidence(actor: User, problem: Problem, data: bytes, original_name: str, max_bytes: int) -> Evidence:
    """Check the right, the size and the content; store the file, its row and an add_evidence event."""
    if not can_add_evidence(actor, problem):
        raise NotAllowed(add_refusal(actor, problem))
    if len(data) > max_bytes:
        raise TooLarge(f"文件不能超过 {max_bytes // (1024 * 1024)} MB", field="files")
    content, kind = inspect(data, original_name)

    # Wait for a transition of this problem in flight (PostgreSQL), then check the right again:
    # a problem closed meanwhile no longer takes the liaison's files.
    begin_writing(db.session)  # SQLite: the write lock from here on, not while images were decoded
    db.session.refresh(problem, with_for_update=True)
    if not can_add_evidence(actor, problem):
        raise NotAllowed(add_refusal(actor, problem))

    stored_name = f"{secrets.token_hex(16)}.{kind}"
    store, key = get_storage(), key_for("evidence", stored_name)
    store.put(key, content)
    try:
        evidence = Evidence(problem_id=problem.id, stored_name=stored_name,
                            original_name=clean_name(original_name, kind), kind=kind, size=len(content),
                            sha256=hashlib.sha256(content).hexdigest(), uploaded_by_id=actor.id)
        db.session.add(evidence)
        db.session.flush()  # the id, for the event
        _event(actor, problem, "add_evidence", evidence)
        db.session.flush()
    except BaseException:
        store.delete(key)
        raise
    db.session.expire(problem, ["evidence", "events"])
    return evidence


def remove_evidence(actor: User, evidence: Evidence) -> None:
    """Delete the row with a remove_evidence event (flushed first, so a refused delete keeps the
    file), then the file."""
    problem = db.session.get(Problem, evidence.problem_id)
    if problem is not None:
        db.session.refresh(problem, with_for_update=True)  # after a close in flight, as for adding
    if problem is None or not can_remove_evidence(actor, evidence, problem):
        allowed_when_open = problem is not None and evidence.uploaded_by_id == actor.id and bool(
            roles_of(actor, problem, scope_of(problem)))
        raise NotAllowed(f"问题当前为“{status_label(problem.status)}”，不能删除佐证材料" if allowed_when_open
                         else "只有上传人或管理员可以删除该佐证材料")
    key = evidence_key(evidence)
    _event(actor, problem, "remove_evidence", evidence)
    db.session.delete(evidence)
    db.session.flush()
    db.session.expire(problem, ["evidence", "events"])
    get_storage().delete(key)
    thumbnails.discard(key)


def sweep_orphans(older_than_seconds: int = 3600) -> int:
    """Remove evidence files no row points to, once older than the given age (see storage.sweep)."""
    known = set(db.session.scalars(select(Evidence.stored_name)))
    return sweep(get_storage(), "evidence", known, older_than_seconds, time.time())
