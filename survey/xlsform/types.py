"""XLSForm type names and how they map to our question types."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

CHECK_LIST = "yes_no_na"
METADATA_TYPES = {"start", "end", "today", "deviceid", "subscriberid", "simserial", "phonenumber",
                  "username", "email", "audit", "start-geopoint", "background-audio", "instanceid"}
UNSUPPORTED_LABELS = {
    "calculate": "计算字段", "geopoint": "地理位置", "geotrace": "地理轨迹", "geoshape": "地理区域",
    "time": "时间", "datetime": "日期时间", "audio": "录音", "video": "视频", "file": "文件",
    "barcode": "条码", "acknowledge": "确认", "rank": "排序", "hidden": "隐藏字段",
    "xml-external": "外部数据", "csv-external": "外部数据", "trigger": "触发器",
    "select_one_from_file": "从文件选择", "select_multiple_from_file": "从文件选择",
}
SIMPLE = {"text": "text", "string": "text", "integer": "integer", "int": "integer", "decimal": "decimal",
          "date": "date", "image": "photo", "photo": "photo", "range": "score", "note": "note",
          "phone number": "text", "phone_number": "text"}
SELECT_ONE = re.compile(r"^select(?:_one| one)(?: from)? (\S+)(?: (or_other))?$")
SELECT_MULTIPLE = re.compile(r"^select(?:_multiple| multiple| all that apply)(?: from)? (\S+)(?: (or_other))?$")


@dataclass
class TypeInfo:
    kind: str                 # question | begin_group | end_group | metadata | unsupported | repeat | unknown
    qtype: str = ""
    choice_list: str | None = None
    raw: str = ""
    problem: str = ""


def classify(raw: str) -> TypeInfo:
    original = re.sub(r"\s+", " ", raw.strip())
    text = original.lower()
    if text in ("begin group", "begin_group"):
        return TypeInfo("begin_group", raw=text)
    if text in ("end group", "end_group"):
        return TypeInfo("end_group", raw=text)
    if text in ("begin repeat", "begin_repeat", "end repeat", "end_repeat"):
        return TypeInfo("repeat", raw=text, problem="暂不支持重复组（begin repeat）")
    if text in METADATA_TYPES or text.startswith("uri:"):
        return TypeInfo("metadata", raw=text)
    if text in SIMPLE:
        return TypeInfo("question", qtype=SIMPLE[text], raw=text)
    for pattern, qtype in ((SELECT_ONE, "single"), (SELECT_MULTIPLE, "multiple")):
        match = pattern.match(text)
        if match and not text.startswith(("select_one_from_file", "select_multiple_from_file")):
            if match.group(2):
                return TypeInfo("unsupported", raw=text, problem="不支持“其他（or_other）”选项写法")
            list_name = original[match.start(1):match.end(1)]  # list names keep their case
            return TypeInfo("question", qtype=qtype, choice_list=list_name, raw=text)
    base = text.split(" ")[0]
    if base in UNSUPPORTED_LABELS:
        return TypeInfo("unsupported", raw=text, problem=f"不支持的题型 {base}（{UNSUPPORTED_LABELS[base]}）")
    return TypeInfo("unknown", raw=text, problem=f"无法识别的题型“{raw.strip()}”")


def parse_parameters(text: str) -> dict[str, float | int] | None:
    """'start=0 end=10 step=1' -> {'start': 0, 'end': 10, 'step': 1}; None if malformed."""
    result: dict[str, float | int] = {}
    for part in text.replace(",", " ").replace(";", " ").split():
        key, sep, value = part.partition("=")
        if not sep or not key:
            return None
        try:
            number = float(value)
        except ValueError:
            return None
        if not math.isfinite(number) or abs(number) > 1e12:
            return None
        result[key.strip().lower()] = int(number) if number.is_integer() else number
    return result


def format_parameters(params: dict) -> str:
    return " ".join(f"{k}={_num(v)}" for k, v in params.items())


def _num(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def xlsform_type(qtype: str, choice_list: str | None) -> str:
    """Our type -> the XLSForm type cell (appearance and parameters carry the rest)."""
    if qtype == "check":
        return f"select_one {CHECK_LIST}"
    if qtype == "single":
        return f"select_one {choice_list}"
    if qtype == "multiple":
        return f"select_multiple {choice_list}"
    return {"textarea": "text", "photo": "image", "score": "range"}.get(qtype, qtype)
