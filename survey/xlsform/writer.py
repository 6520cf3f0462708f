"""FormSpec -> XLSForm workbook (survey, choices, settings), deterministic so exports compare equal."""
from __future__ import annotations

import io

from survey.xlsform.spec import FormSpec, QuestionSpec
from survey.xlsform.types import CHECK_LIST, format_parameters, xlsform_type

SURVEY_COLUMNS = ["type", "name", "label", "hint", "required", "required_message", "relevant",
                  "constraint", "constraint_message", "appearance", "parameters", "points", "problem_if",
                  "problem_category", "problem_severity"]
CHOICE_COLUMNS = ["list_name", "name", "label"]
SETTINGS_COLUMNS = ["form_title", "form_id", "version", "kind"]
CHECK_LABELS = [("yes", "是"), ("no", "否"), ("na", "不适用")]
WIDTHS = {"type": 24, "name": 18, "label": 48, "hint": 36, "relevant": 28, "constraint": 24,
          "constraint_message": 24, "problem_if": 18}
HEADER_FILL = "FDE8E8"


def _text(value) -> str:
    """Every cell is text: a label starting with '=' must never become a formula."""
    return "" if value is None else str(value)


def _question_row(q: QuestionSpec) -> list[str]:
    appearance = q.appearance
    if q.type == "textarea":
        appearance = " ".join(["multiline", *appearance.split()]).strip()
    return [xlsform_type(q.type, q.choice_list), q.name, q.label, q.hint, "yes" if q.required else "",
            q.required_message, q.relevant, q.constraint, q.constraint_message, appearance,
            format_parameters(q.parameters), "" if q.points is None else str(q.points), q.problem_if,
            q.problem_category, q.problem_severity]


def survey_rows(spec: FormSpec) -> list[list[str]]:
    rows = []
    for section in spec.sections:
        grouped = bool(section.name)
        if grouped:
            rows.append(["begin group", section.name, section.title, section.hint, "", "", section.relevant]
                        + [""] * (len(SURVEY_COLUMNS) - 7))
        rows.extend(_question_row(q) for q in section.questions)
        if grouped:
            rows.append(["end group"] + [""] * (len(SURVEY_COLUMNS) - 1))
    return rows


def choice_rows(spec: FormSpec) -> list[list[str]]:
    rows = []
    if any(q.type == "check" for q in spec.questions):
        rows.extend([CHECK_LIST, name, label] for name, label in CHECK_LABELS)
    for list_name, items in spec.choices.items():
        if list_name == CHECK_LIST:
            continue
        rows.extend([list_name, item["name"], item["label"]] for item in items)
    return rows


def write_xlsform(spec: FormSpec) -> bytes:
    from openpyxl import Workbook  # openpyxl loads here, not at start-up: ~8 MB less in every worker

    wb = Workbook()
    survey = wb.active
    survey.title = "survey"
    _fill(survey, SURVEY_COLUMNS, survey_rows(spec))
    _fill(wb.create_sheet("choices"), CHOICE_COLUMNS, choice_rows(spec))
    _fill(wb.create_sheet("settings"), SETTINGS_COLUMNS,
          [[spec.title, spec.form_id, spec.version_label, spec.kind]])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _fill(ws, columns: list[str], rows: list[list[str]]) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    ws.append(columns)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
    for row in rows:
        ws.append([_text(v) or None for v in row])
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, never a formula
    for i, column in enumerate(columns, start=1):
        letter = ws.cell(row=1, column=i).column_letter
        ws.column_dimensions[letter].width = WIDTHS.get(column, 14)
        if column in ("label", "hint"):
            for cell in ws[letter][1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
