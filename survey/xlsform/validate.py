"""Rules every questionnaire obeys, whether it came from a workbook or was edited on screen."""
from __future__ import annotations

import re

from survey.xlsform.expressions import ExpressionError, parse, references
from survey.xlsform.spec import FormSpec, QuestionSpec, RowError

NAME = re.compile(r"^[^\W\d][\w.-]*$")
MAX_QUESTIONS = 500
SEVERITIES = ("一般", "较重", "严重")
PARAMETER_KEYS = {"integer": {"min", "max"}, "decimal": {"min", "max"}, "photo": {"max", "max-pixels"},
                  "score": {"start", "end", "step"}}


def validate_spec(spec: FormSpec) -> list[RowError]:
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    if len(spec.questions) > MAX_QUESTIONS:
        errors.append(RowError("survey", 0, "", f"题目超过 {MAX_QUESTIONS} 道"))
    for section in spec.sections:
        if section.name:
            _check_name(section.name, section.row, seen, errors)
        if len(section.title) > 200:
            errors.append(RowError("survey", section.row, "label", "分组标题不能超过 200 个字"))
        errors.extend(expression_errors(section.relevant, "relevant", section.row, set(seen), None))
        for q in section.questions:
            errors.extend(question_errors(q, spec, set(seen)))
            _check_name(q.name, q.row, seen, errors)
    return errors


def _check_name(name: str, row: int, seen: dict[str, int], errors: list[RowError]) -> None:
    if not name:
        errors.append(RowError("survey", row, "name", "缺少名称（name）"))
    elif len(name) > 64 or not NAME.match(name):
        errors.append(RowError("survey", row, "name", f"名称“{name}”只能由字母、数字、下划线组成，且不能以数字开头"))
    elif name in seen:
        errors.append(RowError("survey", row, "name", f"名称“{name}”与第 {seen[name]} 行重复"))
    else:
        seen[name] = row


def question_errors(q: QuestionSpec, spec: FormSpec, earlier: set[str]) -> list[RowError]:
    """Errors of one question, given the names of the questions before it."""
    errors = []
    if not q.label:
        errors.append(RowError("survey", q.row, "label", "缺少题目文字（label）"))
    if len(q.label) > 2000 or len(q.hint) > 2000:
        errors.append(RowError("survey", q.row, "label", "题目文字或提示超过 2000 字"))
    if q.type in ("single", "multiple"):
        if not spec.choices.get(q.choice_list or ""):
            errors.append(RowError("survey", q.row, "type", f"选项列表“{q.choice_list}”不存在或为空"))
    errors.extend(_parameter_errors(q))
    if q.problem_severity and q.problem_severity not in SEVERITIES:
        errors.append(RowError("survey", q.row, "problem_severity", "严重程度只能是 一般、较重 或 严重"))
    for column, limit in (("appearance", 64), ("constraint_message", 200), ("required_message", 200),
                          ("choice_list", 64)):
        if len(getattr(q, column) or "") > limit:
            errors.append(RowError("survey", q.row, column, f"不能超过 {limit} 个字符"))
    if len(q.problem_category) > 32:
        errors.append(RowError("survey", q.row, "problem_category", "问题类别不能超过 32 个字"))
    errors.extend(expression_errors(q.relevant, "relevant", q.row, earlier, None))
    errors.extend(expression_errors(q.constraint, "constraint", q.row, earlier, q.name))
    errors.extend(expression_errors(q.problem_if, "problem_if", q.row, earlier, q.name))
    return errors


def _parameter_errors(q: QuestionSpec) -> list[RowError]:
    p = q.parameters
    if not p:
        return []
    allowed = PARAMETER_KEYS.get(q.type)
    if allowed is None or set(p) - allowed:
        return [RowError("survey", q.row, "parameters", f"该题型不支持参数 {', '.join(sorted(set(p) - (allowed or set())))}")]
    if "min" in p and "max" in p and p["min"] > p["max"]:
        return [RowError("survey", q.row, "parameters", "最小值不能大于最大值")]
    if q.type == "photo" and not 1 <= p.get("max", 3) <= 20:
        return [RowError("survey", q.row, "parameters", "照片数量上限应在 1 到 20 之间")]
    if q.type == "score":
        start, end, step = p.get("start", 0), p.get("end", 10), p.get("step", 1)
        if step != 1 or start != 0 or not float(end).is_integer() or not 0 < end <= 1000:
            return [RowError("survey", q.row, "parameters", "评分题应为 start=0 end=满分 step=1 的整数区间")]
    return []


def expression_errors(text: str, column: str, row: int, earlier: set[str], own: str | None) -> list[RowError]:
    """Parse text; refuse names that do not exist yet (later or unknown questions)."""
    if not text:
        return []
    try:
        ast = parse(text)
    except ExpressionError as exc:
        return [RowError("survey", row, column, f"表达式有误：{exc.message}")]
    errors = []
    for name in sorted(references(ast)):
        if name == own and column != "relevant":
            continue
        if name not in earlier:
            errors.append(RowError("survey", row, column,
                                   f"表达式引用了不存在或位于其后的题目 ${{{name}}}（只能引用前面的题目）"))
    return errors
