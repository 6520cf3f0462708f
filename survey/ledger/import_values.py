"""Turning a ledger row's cells into a problem's values: dates as offices write them, Chinese
statuses and categories. Every problem is a RowError in Chinese; no database here."""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time

from survey.ledger import categories
from survey.ledger.import_read import RowError
from survey.models import ProblemSource, ProblemStatus
from survey.models.questionnaire import SEVERITIES
from survey.clock import CHINA
from survey.xlsform.sheets import cell_text

STATUS_WORDS = {**{s.label: s.value for s in ProblemStatus},
                "已完成": ProblemStatus.CLOSED.value, "已整改": ProblemStatus.CLOSED.value,
                "未整改": ProblemStatus.OPEN.value, "正在整改": ProblemStatus.IN_PROGRESS.value}
SOURCE_WORDS = {**{s.label: s.value for s in ProblemSource},
                "自查自纠": ProblemSource.SELF_CHECK.value, "上门检查": ProblemSource.VISIT.value,
                "督导检查": ProblemSource.VISIT.value, "日常检查": ProblemSource.DAILY.value}
NO_DEADLINE = ("长期坚持", "长期", "持续整改", "立行立改")   # 整改时限 cells that mean "no fixed date"
DATE_TEXT = re.compile(r"^(\d{4})\s*[年.\-/]\s*(\d{1,2})\s*[月.\-/]\s*(\d{1,2})\s*[日号]?"
                       r"(?:\s*\d{1,2}:\d{2}(?::\d{2})?)?$")
NO_YEAR = re.compile(r"^\d{1,2}\s*[月.\-/]\s*\d{1,2}\s*[日号]?$")
LIMITS = {"code": 32, "description": 2000, "responsible_person": 64, "measures": 5000, "progress": 5000,
          "result": 5000}
DATE_HINT = "请写成 2023年6月30日、2023-06-30 或 2023.6.30，或设为日期格式"
SERIAL_RANGE = (36526, 73050)    # Excel day numbers of 2000-01-01 .. 2099-12-31


def _norm(value) -> str:
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", cell_text(value)))


def _plausible(d: date) -> date:
    if not 1990 <= d.year <= 2100:
        raise ValueError(f"年份 {d.year} 不合理")
    return d


def parse_date(value) -> date | None:
    """A real Excel date, or text such as 2023年6月30日 / 2023.6.30 / 2023-06-30 / 2023/6/30."""
    if value is None or cell_text(value) == "":
        return None
    if isinstance(value, datetime):
        return _plausible(value.date())
    if isinstance(value, date):
        return _plausible(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if float(value).is_integer() and SERIAL_RANGE[0] <= value <= SERIAL_RANGE[1]:
            from openpyxl.utils.datetime import from_excel

            return from_excel(value).date()  # a date whose cell lost its date format
        value = cell_text(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if re.fullmatch(r"\d{8}", text):
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    match = DATE_TEXT.match(text)
    if match is None:
        if NO_YEAR.match(text):
            raise ValueError(f"日期“{text}”缺少年份，{DATE_HINT}")
        raise ValueError(f"无法识别的日期“{text}”，{DATE_HINT}")
    try:
        return _plausible(date(*(int(g) for g in match.groups())))
    except ValueError as exc:
        if "年份" in str(exc):
            raise
        raise ValueError(f"日期“{text}”不存在") from exc


def closed_moment(value, day: date) -> datetime:
    """销号时间 in China time: the cell's own time of day if it has one, else midnight."""
    at = value.time() if isinstance(value, datetime) else time(0, 0)
    return datetime.combine(day, at, tzinfo=CHINA)


def _choice(value, allowed, default: str, what: str) -> str:
    text = _norm(value)
    if not text:
        return default
    if text in allowed:
        return allowed[text] if isinstance(allowed, dict) else text
    names = "、".join(dict.fromkeys(allowed))
    raise ValueError(f"{what}“{cell_text(value)}”无法识别，可填：{names}")


def clean_row(number: int, raw: dict, headers: dict[str, str], errors: list[RowError]) -> dict:
    """The problem's values from one row; what is wrong goes to errors (the row is still returned,
    so that unit names and numbers can be checked for every row)."""
    out: dict = {"row": number}

    def fail(key: str, message: str) -> None:
        errors.append(RowError(number, headers.get(key, ""), message))

    for key in ("code", "unit", "description", "responsible_person", "measures", "progress", "result"):
        text = cell_text(raw.get(key)) if key not in ("measures", "progress", "result", "description") \
            else str(raw.get(key) or "").strip()
        if key in LIMITS and len(text) > LIMITS[key]:
            fail(key, f"超过 {LIMITS[key]} 个字")
            text = text[:LIMITS[key]]
        out[key] = text
    out["code_was_number"] = out["code"].isdigit()
    if out["code_was_number"]:  # 1, 2, 3 …: a row number, not a problem number
        out["code"] = ""
    for key, label in (("unit", "责任单位"), ("description", "问题描述")):
        if not out[key]:
            fail(key, f"{label}不能为空")
    _choices(out, raw, fail)
    _dates(out, raw, fail)
    return out


def _choices(out: dict, raw: dict, fail) -> None:
    for key, allowed, default, what in (
            ("category", tuple(categories.names()), "其他", "问题类别"), ("severity", SEVERITIES, "一般", "严重程度"),
            ("source", SOURCE_WORDS, ProblemSource.IMPORT.value, "发现方式"), ("status", STATUS_WORDS, "", "状态")):
        try:
            out[key] = _choice(raw.get(key), allowed, default, what)
        except ValueError as exc:
            fail(key, str(exc))
            out[key] = default


def _dates(out: dict, raw: dict, fail) -> None:
    out["deadline_kept_open"] = _norm(raw.get("deadline")) in NO_DEADLINE
    for key in ("found_on", "deadline", "closed_at"):
        try:
            out[key] = None if key == "deadline" and out["deadline_kept_open"] else parse_date(raw.get(key))
        except ValueError as exc:
            fail(key, str(exc))
            out[key] = None
    closed_on = out.pop("closed_at")
    out["closed_at"] = closed_moment(raw.get("closed_at"), closed_on) if closed_on else None
    if not out["status"]:
        out["status"] = (ProblemStatus.CLOSED if closed_on else ProblemStatus.OPEN).value
    elif closed_on and out["status"] != ProblemStatus.CLOSED:
        fail("closed_at", f"状态为“{ProblemStatus(out['status']).label}”的问题不应有销号时间")
    found = out["found_on"]
    if found and out["deadline"] and out["deadline"] < found:
        fail("deadline", "整改时限不能早于发现时间")
    if found and closed_on and closed_on < found:
        fail("closed_at", "销号时间不能早于发现时间")
