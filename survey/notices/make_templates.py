"""Build the shipped .docx templates (survey/notices/templates/<kind>.docx) with python-docx:
a 红头 layout after GB/T 9704 — the issuer in red 小标宋 over a red rule, the number, the title,
the addressee, the body with the problem, the requirement and the deadline, the issuer and date
at the foot with room for the seal. Placeholders are docxtpl fields (survey.notices.document.FIELDS),
each written in one run so that Word and WPS keep it whole.

    python -m survey.notices.make_templates        # rewrites the five templates
"""
from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from survey.notices.document import REQUIREMENTS
from survey.notices.numbering import NOTICE_KINDS

TEMPLATES = Path(__file__).resolve().parent / "templates"
RED = RGBColor(0xC0, 0x00, 0x00)
TITLE_FONT, BODY_FONT, HEI = "方正小标宋简体", "仿宋_GB2312", "黑体"

OPENINGS = {
    "remind": "经查，你单位以下问题整改时限临近，尚未完成整改销号：",
    "duban": "经查，你单位以下问题已到整改时限，尚未完成整改销号，现予以督办：",
    "warn": "经查，你单位以下问题已超过整改时限，经提醒、督办仍未完成整改：",
    "report": "经查，你单位以下问题逾期未整改，经提醒、督办、告诫仍未完成：",
    "selfcheck": "{{ round_name }}自查截止日期为{{ self_check_deadline }}，截至目前你单位尚未提交自查表。",
}


def _font(run, name: str, size: float, bold: bool = False, color: RGBColor | None = None) -> None:
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = name
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)
    if color is not None:
        run.font.color.rgb = color


def _para(doc, text: str = "", *, font: str = BODY_FONT, size: float = 16, bold: bool = False,
          align=None, color=None, indent: bool = False, space_after: float = 0):
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    fmt = p.paragraph_format
    fmt.space_after = Pt(space_after)
    fmt.line_spacing = Pt(28)
    if indent:
        fmt.first_line_indent = Pt(size * 2)
    if text:
        _font(p.add_run(text), font, size, bold, color)
    return p


def _red_rule(paragraph) -> None:
    """A red line under the paragraph (the 红头's separating rule), as a bottom border."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("val", "single"), ("sz", "18"), ("space", "4"), ("color", "C00000")):
        bottom.set(qn(f"w:{key}"), value)
    borders.append(bottom)
    ppr.append(borders)


def _problem_table(doc) -> None:
    rows = (("问题编号", "{{ problem_code }}"), ("问题类别", "{{ problem_category }}"),
            ("问题描述", "{{ problem_description }}"), ("整改时限", "{{ problem_deadline }}"),
            ("当前状态", "{{ problem_status }}"))
    table = doc.add_table(rows=len(rows), cols=2)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for (label, field), row in zip(rows, table.rows):
        row.cells[0].width, row.cells[1].width = Cm(3.2), Cm(12.4)
        for cell, text, font in ((row.cells[0], label, HEI), (row.cells[1], field, BODY_FONT)):
            cell.paragraphs[0].text = ""
            _font(cell.paragraphs[0].add_run(text), font, 14)


def build(kind: str) -> bytes:
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    _para(doc, "{{ issuer }}", font=TITLE_FONT, size=26, align=WD_ALIGN_PARAGRAPH.CENTER, color=RED,
          space_after=12)
    rule = _para(doc, "{{ number }}", size=16, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=18)
    _red_rule(rule)
    _para(doc, "{{ title }}", font=TITLE_FONT, size=22, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=12)
    _para(doc, "{{ unit_name }}：")
    _para(doc, OPENINGS[kind], indent=True)
    if kind != "selfcheck":
        _problem_table(doc)
    _para(doc, "{{ requirement }}", indent=True)
    _para(doc, "办理期限：{{ action_deadline }}前。", indent=True)
    _para(doc, "{% if body %}{{ body }}{% endif %}", indent=True)
    _para(doc, "")
    _para(doc, "{{ issuer }}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    _para(doc, "（盖章）", align=WD_ALIGN_PARAGRAPH.RIGHT)
    _para(doc, "{{ issued_on }}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    _para(doc, "签收人：　　　　　　　签收日期：", size=14, space_after=0)
    out = io.BytesIO()
    doc.core_properties.title = NOTICE_KINDS[kind].title
    doc.core_properties.author = ""
    doc.save(out)
    return out.getvalue()


def main() -> None:
    TEMPLATES.mkdir(exist_ok=True)
    for kind in NOTICE_KINDS:
        assert kind in REQUIREMENTS, kind
        (TEMPLATES / f"{kind}.docx").write_bytes(build(kind))
        print(TEMPLATES / f"{kind}.docx")


if __name__ == "__main__":
    main()
