"""Answers checked against their questionnaire version: the server is the authority."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date

from survey.models import Question, QuestionnaireVersion
from survey.xlsform.expressions import evaluate

TEXT_LIMITS = {"text": 500, "textarea": 5000}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class AnswerError:
    name: str
    message: str


def _empty(value) -> bool:
    return value is None or value == "" or value == []


def _coerce(q: Question, version: QuestionnaireVersion, value) -> tuple[object, str | None]:
    """Normalise one answer; return (value, Chinese error or None). Empty stays None."""
    if _empty(value):
        return None, None
    t, p = q.type, q.parameters or {}
    if t == "multiple":
        items = value if isinstance(value, list) else str(value).split()
        allowed = {o["name"] for o in q.options(version)}
        if any(not isinstance(i, str) or i not in allowed for i in items):
            return None, "选项无效"
        return sorted(set(items), key=items.index), None
    if isinstance(value, (list, dict)):
        return None, "回答格式不正确"
    text = str(value).strip()
    if t in ("check", "single"):
        return (text, None) if text in {o["name"] for o in q.options(version)} else (None, "选项无效")
    if t in ("integer", "score", "decimal"):
        return _number(q, text, p)
    if t == "date":
        try:
            return (date.fromisoformat(text).isoformat(), None) if DATE.match(text) else (None, "日期格式不正确")
        except ValueError:
            return None, "日期格式不正确"
    if t in TEXT_LIMITS:
        if len(text) > TEXT_LIMITS[t]:
            return None, f"不能超过 {TEXT_LIMITS[t]} 个字"
        return text, None
    if t == "photo":
        return (int(text), None) if text.isdigit() else (None, "照片数量无效")
    return None, "该题不需要作答"


def _number(q: Question, text: str, p: dict) -> tuple[object, str | None]:
    integer = q.type in ("integer", "score")
    try:
        number = float(text)
    except ValueError:
        return None, "请输入整数" if integer else "请输入数字"
    if not math.isfinite(number) or (integer and not number.is_integer()):
        return None, "请输入整数" if integer else "请输入数字"
    low, high = (p.get("start", 0), p.get("end", 10)) if q.type == "score" else (p.get("min"), p.get("max"))
    if (low is not None and number < low) or (high is not None and number > high):
        bounds = f"{low if low is not None else ''} 到 {high if high is not None else ''}".strip()
        return None, f"应在 {bounds} 之间"
    return (int(number) if integer else number), None


def clean_answers(version: QuestionnaireVersion, raw: dict, final: bool,
                  photo_counts: dict[str, int] | None = None) -> tuple[dict, list[AnswerError]]:
    """Keep the answers of known questions, normalised. With final=True also apply relevance
    (an answer to a hidden question is refused), required and constraints, as on submit."""
    if not isinstance(raw, dict):
        return {}, [AnswerError("", "回答格式不正确")]
    answers: dict = {}
    errors: list[AnswerError] = []
    known = {q.name for q in version.questions}
    errors += [AnswerError(name, "问卷中没有这道题") for name in raw if name not in known and final]
    for section in version.sections:
        shown = not final or _shown(section.relevant_ast, answers)
        for q in section.questions:
            value, error = _coerce(q, version, raw.get(q.name))
            if q.type == "photo" and photo_counts is not None:
                value = photo_counts.get(q.name) or None
            if not final:
                draft_value = value if error is None else _raw(raw.get(q.name))
                if draft_value is not None:
                    answers[q.name] = draft_value  # a draft keeps what was typed, even if not valid yet
                continue
            visible = shown and _shown(q.relevant_ast, answers)
            if not visible:
                if value is not None and q.type != "photo":
                    errors.append(AnswerError(q.name, "此题当前不显示，不应作答"))
                continue
            if error:
                errors.append(AnswerError(q.name, error))
                continue
            if value is None:
                if q.required:
                    errors.append(AnswerError(q.name, q.required_message or "此题为必答题"))
                continue
            if q.constraint_ast and not evaluate(q.constraint_ast, answers, value):
                errors.append(AnswerError(q.name, q.constraint_message or "回答不符合要求"))
                continue
            answers[q.name] = value
    return answers, errors


def _raw(value):
    if isinstance(value, list):
        return [str(v)[:200] for v in value[:100]]
    return None if value is None or isinstance(value, dict) else str(value)[:5000]


def _shown(ast: dict | None, answers: dict) -> bool:
    return ast is None or evaluate(ast, answers, None)
