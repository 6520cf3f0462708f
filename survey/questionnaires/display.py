"""An answer in words, the one way every page, problem text and export writes it."""
from __future__ import annotations

CHOICE_TYPES = ("check", "single", "multiple")


def is_empty(value) -> bool:
    return value is None or value == "" or value == []


def _number(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def answer_text(q, value, version=None) -> str:
    """The answer in words: 是 / 否, option labels joined with 、, '7 分', '2 张照片'; '' when not
    answered. q is a Question (give its version) or a cached QuestionView (which knows its options)."""
    if is_empty(value):
        return ""
    if q.type in CHOICE_TYPES:
        labels = {o["name"]: o["label"] for o in q.options(version)}
        values = value if isinstance(value, list) else [value]
        return "、".join(labels.get(str(v), str(v)) for v in values)
    if q.type == "score":
        return f"{_number(value)} 分"
    if q.type in ("integer", "decimal"):
        return _number(value)
    if q.type == "photo":
        return f"{_number(value)} 张照片"
    return str(value)
