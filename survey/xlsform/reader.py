"""XLSForm workbook -> FormSpec, or every reason it cannot be imported (sheet, row, column)."""
from __future__ import annotations

import hashlib
import io
import math
import re
from dataclasses import dataclass, field


from survey import xlsx_guard
from survey.xlsform.sheets import MAX_ROWS, Row, read_sheet, sheets_by_name
from survey.xlsform.spec import FormSpec, QuestionSpec, RowError, SectionSpec
from survey.xlsform.types import CHECK_LIST, classify, parse_parameters
from survey.xlsform.validate import validate_spec

MAX_BYTES = 5 * 1024 * 1024
CORRUPT = xlsx_guard.CORRUPT_WORKBOOK
TRUE_WORDS = {"yes", "true", "true()", "1", "是", "y"}
FALSE_WORDS = {"", "no", "false", "false()", "0", "否", "n"}
KINDS = {"self_check": "self_check", "自查": "self_check", "自查表": "self_check", "onsite": "onsite",
         "上门问诊": "onsite", "督导": "onsite", "general": "general", "通用": "general"}


@dataclass
class ReadResult:
    spec: FormSpec | None
    errors: list[RowError] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def read_xlsform(data: bytes, filename: str = "") -> ReadResult:
    """Parse and validate a workbook. On any error, spec is None and errors list them all."""
    if len(data) > MAX_BYTES:
        return ReadResult(None, [RowError("文件", 0, "", "文件超过 5 MB")])
    too_big = xlsx_guard.refusal(data)
    if too_big:
        return ReadResult(None, [RowError("文件", 0, "", too_big)])
    try:
        from openpyxl import load_workbook  # openpyxl loads here, not at start-up: ~8 MB less in every worker

        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            return _read(wb, filename)
        finally:
            wb.close()
    except CORRUPT:
        return ReadResult(None, [RowError("文件", 0, "", "文件不是有效的 Excel (.xlsx) 工作簿")])


def _read(wb, filename: str) -> ReadResult:
    sheets = sheets_by_name(wb)
    if "survey" not in sheets:
        return ReadResult(None, [RowError("survey", 0, "", "缺少 survey 工作表")])
    settings = _settings(sheets.get("settings"))
    result = ReadResult(None)
    survey_rows, headers = read_sheet(sheets["survey"], settings.get("default_language", ""), result.notices)
    if len(survey_rows) > MAX_ROWS:
        result.errors.append(RowError("survey", 0, "", f"survey 表超过 {MAX_ROWS} 行"))
        return result
    if "type" not in headers or "name" not in headers:
        result.errors.append(RowError("survey", 1, "", "survey 表缺少 type 或 name 列"))
        return result
    choices = _choices(sheets.get("choices"), settings.get("default_language", ""), result)
    title = settings.get("form_title") or _stem(filename) or "未命名问卷"
    spec = FormSpec(title=title[:200], form_id=_form_id(settings.get("form_id", ""), title),
                    kind=KINDS.get(settings.get("kind", "").lower(), "general"),
                    version_label=settings.get("version", ""), choices=choices)
    _sections(survey_rows, spec, result)
    if not spec.questions and not result.errors:
        result.errors.append(RowError("survey", 0, "", "问卷中没有任何题目"))
    result.errors.extend(validate_spec(spec))
    if not result.errors:
        result.spec = spec
    return result


def _settings(ws) -> dict[str, str]:
    if ws is None:
        return {}
    rows, _ = read_sheet(ws)
    return dict(rows[0].values) if rows else {}


def _choices(ws, language: str, result: ReadResult) -> dict[str, list[dict]]:
    lists: dict[str, list[dict]] = {}
    if ws is None:
        return lists
    rows, _ = read_sheet(ws, language, result.notices)
    if len(rows) > MAX_ROWS:
        result.errors.append(RowError("choices", 0, "", f"choices 表超过 {MAX_ROWS} 行"))
        return lists
    for row in rows:
        list_name, name = row.get("list_name"), row.get("name")
        if not list_name or not name:
            result.errors.append(RowError("choices", row.number, "name" if list_name else "list_name",
                                          "选项缺少列表名或选项编码"))
            continue
        items = lists.setdefault(list_name, [])
        if any(item["name"] == name for item in items):
            result.errors.append(RowError("choices", row.number, "name", f"选项列表 {list_name} 中编码 {name} 重复"))
            continue
        items.append({"name": name, "label": row.get("label") or name})
    return lists


def _sections(rows: list[Row], spec: FormSpec, result: ReadResult) -> None:
    stack: list[SectionSpec] = []
    current: SectionSpec | None = None
    ignored, unsupported = [], []
    for row in rows:
        info = classify(row.get("type"))
        if not row.get("type"):
            result.errors.append(RowError("survey", row.number, "type", "缺少题型"))
        elif info.kind == "begin_group":
            if stack:
                result.notices.append(f"第 {row.number} 行：嵌套分组已展开为平级分组")
            stack.append(_section(row, result))
            current = None
        elif info.kind == "end_group":
            if not stack:
                result.errors.append(RowError("survey", row.number, "type", "end group 没有对应的 begin group"))
            else:
                stack.pop()
                current = None
        elif info.kind == "metadata":
            ignored.append(f"{row.get('name') or info.raw}（第 {row.number} 行）")
        elif info.kind == "question":
            if current is None:
                current = _open_section(stack, spec, row.number)
            current.questions.append(_question(row, info, result))
        else:
            unsupported.append(RowError("survey", row.number, "type", info.problem))
    for section in stack:
        result.errors.append(RowError("survey", section.row, "type", f"分组 {section.name} 缺少 end group"))
    result.errors.extend(unsupported)
    if ignored:
        result.notices.append("以下元数据字段由系统自动记录，已忽略：" + "、".join(ignored))


def _section(row: Row, result: ReadResult) -> SectionSpec:
    name = row.get("name")
    if not name:
        result.errors.append(RowError("survey", row.number, "name", "分组缺少名称（name）"))
    return SectionSpec(name=name, title=row.get("label") or name, hint=row.get("hint"),
                       relevant=row.get("relevant"), row=row.number)


def _open_section(stack: list[SectionSpec], spec: FormSpec, row_number: int) -> SectionSpec:
    """The section the next question goes in: a new part of the open group, or an unnamed one."""
    if stack:
        top = stack[-1]
        conditions = [s.relevant for s in stack if s.relevant]
        relevant = conditions[0] if len(conditions) == 1 else " and ".join(f"({c})" for c in conditions)
        section = top if not any(s is top for s in spec.sections) else SectionSpec(
            name=f"{top.name}_{row_number}", title=top.title, hint=top.hint, row=row_number)
        section.relevant = relevant  # a flattened group keeps the conditions of the groups around it
    else:
        section = SectionSpec(name="", title="", row=row_number)
    spec.sections.append(section)
    return section


def _question(row: Row, info, result: ReadResult) -> QuestionSpec:
    qtype, choice_list = info.qtype, info.choice_list
    appearance = row.get("appearance")
    if qtype == "single" and choice_list == CHECK_LIST:
        qtype, choice_list = "check", None
    if qtype == "text" and "multiline" in appearance.split():
        qtype = "textarea"
        appearance = " ".join(a for a in appearance.split() if a != "multiline")
    q = QuestionSpec(name=row.get("name"), type=qtype, label=row.get("label"), hint=row.get("hint"),
                     choice_list=choice_list, appearance=appearance, relevant=row.get("relevant"),
                     constraint=row.get("constraint"), constraint_message=row.get("constraint_message"),
                     required_message=row.get("required_message"), problem_if=row.get("problem_if"),
                     problem_category=row.get("problem_category"),
                     problem_severity=row.get("problem_severity"), row=row.number)
    required = row.get("required").lower()
    if required in TRUE_WORDS or required in FALSE_WORDS:
        q.required = required in TRUE_WORDS
    else:
        result.errors.append(RowError("survey", row.number, "required", "必填列只能填 yes 或 no（暂不支持条件必填）"))
    if row.get("parameters"):
        params = parse_parameters(row.get("parameters"))
        if params is None:
            result.errors.append(RowError("survey", row.number, "parameters", "参数格式应为 名称=数字，以空格分隔"))
        else:
            q.parameters = params
    if row.get("points"):
        points = _integer(row.get("points"))
        if points is None or not -100000 <= points <= 100000:
            result.errors.append(RowError("survey", row.number, "points", "分值必须是整数（-100000 到 100000）"))
        else:
            q.points = points
    return q


def _integer(text: str) -> int | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if math.isfinite(number) and number.is_integer() else None


def _stem(filename: str) -> str:
    return re.sub(r"\.xlsx$", "", filename.rsplit("/", 1)[-1], flags=re.I).strip()


def _form_id(raw: str, title: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", raw.strip()).strip("_")[:64]
    if cleaned:
        return cleaned
    return "form_" + hashlib.sha1(title.encode()).hexdigest()[:10]
