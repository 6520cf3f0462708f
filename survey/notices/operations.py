"""Administrators replace a kind's .docx template (checked first, kept in storage, audited) or go
back to the shipped one."""
from __future__ import annotations

from survey import audit
from survey.errors import NotAllowed
from survey.notices import docx
from survey.notices.numbering import NOTICE_KINDS


def _admin(actor) -> None:
    if not getattr(actor, "is_admin", False):
        raise NotAllowed("只有管理员可以更换文书模板。")


def upload_template(actor, kind: str, data: bytes, file_name: str) -> None:
    """Check the template, then keep it as the kind's template; the audit row is written with the
    caller's commit."""
    _admin(actor)
    docx.check_template(data)
    docx.get_storage().put(docx.custom_key(kind), data)
    audit.record("notice_template_upload", actor=actor,
                 details={"kind": kind, "title": NOTICE_KINDS[kind].title, "file_name": file_name[:200],
                          "size": len(data)})


def revert_template(actor, kind: str) -> bool:
    """Use the shipped template again; False when there was no replacement."""
    _admin(actor)
    removed = docx.get_storage().delete(docx.custom_key(kind))
    if removed:
        audit.record("notice_template_revert", actor=actor,
                     details={"kind": kind, "title": NOTICE_KINDS[kind].title})
    return removed
