"""A notice as a Word document: the kind's template (an administrator's replacement kept in
storage under doctemplates/<kind>.docx, else the one shipped in survey/notices/templates/) filled
by docxtpl with the notice's fields. Templates run in Jinja's sandbox and may name only the known
fields (document.FIELDS): an uploaded one is checked before it is kept (check_template)."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

from docxtpl import DocxTemplate
from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment

from survey.errors import DomainError
from survey.notices.document import FIELDS, NoticeDocument
from survey.notices.numbering import NOTICE_KINDS
from survey.storage import get_storage, key_for

SHIPPED = Path(__file__).resolve().parent / "templates"
DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MAX_TEMPLATE_BYTES = 5 * 1024 * 1024


class _Sandbox(SandboxedEnvironment):
    """Jinja's sandbox, keeping what it compiled: docxtpl compiles each XML part of the template
    from a string on every fill, which was half the time of a .docx; a template's parts are the same
    strings each time, so they compile once per process (a bounded dict: replaced templates age out)."""

    MAX = 256

    def __init__(self):
        super().__init__(autoescape=False)
        self._compiled: dict[str, object] = {}

    def from_string(self, source, globals=None, template_class=None):
        if globals or template_class or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        found = self._compiled.get(source)
        if found is None:
            found = super().from_string(source)
            if len(self._compiled) >= self.MAX:
                self._compiled.clear()
            self._compiled[source] = found
        return found


_SANDBOX = _Sandbox()


def _env() -> SandboxedEnvironment:
    return _SANDBOX


def custom_key(kind: str) -> str:
    return key_for("doctemplates", f"{kind}.docx")


def shipped_bytes(kind: str) -> bytes:
    return (SHIPPED / f"{NOTICE_KINDS[kind].key}.docx").read_bytes()


def has_custom(kind: str) -> bool:
    return get_storage().exists(custom_key(kind))


def template_bytes(kind: str) -> bytes:
    """The template in use for this kind: the administrator's, or the shipped one."""
    try:
        return get_storage().read(custom_key(kind))
    except FileNotFoundError:
        return shipped_bytes(kind)


def render_docx(doc: NoticeDocument) -> bytes:
    tpl = DocxTemplate(io.BytesIO(template_bytes(doc.notice.kind)))
    tpl.render(doc.fields, jinja_env=_env(), autoescape=True)
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()


def check_template(data: bytes) -> None:
    """Refuse (DomainError on the file field) what is not a Word document, a template Jinja cannot
    read, or one naming a field that is not in FIELDS — the field named."""
    if not data:
        raise DomainError("请选择要上传的 .docx 模板文件。", field="file")
    if len(data) > MAX_TEMPLATE_BYTES:
        raise DomainError("模板文件超过 5 MB，请精简后再上传。", field="file")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise DomainError("该文件不是有效的 Word 文档（.docx）。请在 WPS 或 Word 中“另存为 .docx”后再上传。",
                          field="file")
    try:
        tpl = DocxTemplate(io.BytesIO(data))
        tpl.init_docx()
        unknown = tpl.get_undeclared_template_variables(jinja_env=_env()) - set(FIELDS)
    except TemplateError as exc:
        raise DomainError(f"模板中的字段写法有误：{exc.message or exc}。字段应写成 {{{{ 字段名 }}}}。",
                          field="file") from exc
    except Exception as exc:   # a zip that is no Word document: python-docx's errors vary by what is missing
        raise DomainError("该文件不是有效的 Word 文档（.docx）。请在 WPS 或 Word 中“另存为 .docx”后再上传。",
                          field="file") from exc
    if unknown:
        names = "、".join(sorted(unknown))
        raise DomainError(f"模板中有未知字段：{names}。可用字段见本页列表。", field="file")
    try:   # a trial fill with sample values: a template that cannot be filled is refused now, not on download
        tpl.render({k: k for k in FIELDS}, jinja_env=_env(), autoescape=True)
    except Exception as exc:
        raise DomainError(f"模板无法填充：{exc}", field="file") from exc
