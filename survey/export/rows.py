"""What the ledger workbook says: its titles, columns and rows, as plain values. No I/O here.

Column kinds tell the writer how to store a value: int / pct (numbers), date / datetime (real Excel
dates), text (one line) and long (wrapped)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from survey.ledger import rules
from survey.ledger.queries import PENDING
from survey.models import ProblemStatus, close_rate
from survey.models.problem import source_label, status_label
from survey.clock import CHINA, china_date
from survey.ledger.transitions import action_label

STATUSES = tuple(s.value for s in ProblemStatus)


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = "text"
    width: int = 8        # at least this wide (Excel character units; a CJK character takes two)
    max_width: int = 20   # at most this wide: longer text wraps


LEDGER_COLUMNS = (
    Column("序号", "int", 6, 8), Column("编号", "text", 10, 16), Column("责任单位", "text", 12, 24),
    Column("问题类别", "text", 10, 14), Column("问题描述", "long", 40, 40), Column("发现方式", "text", 10, 10),
    Column("发现时间", "date", 12, 12), Column("严重程度", "text", 10, 10), Column("整改时限", "date", 12, 12),
    Column("责任人", "text", 8, 16), Column("整改措施", "long", 30, 30), Column("整改进展", "long", 30, 30),
    Column("完成情况", "long", 24, 24), Column("状态", "text", 8, 8), Column("销号时间", "date", 12, 12),
    Column("销号人", "text", 8, 16), Column("预警", "text", 6, 6), Column("逾期天数", "int", 10, 10),
)
EVENT_COLUMNS = (
    Column("编号", "text", 10, 16), Column("时间", "datetime", 17, 17), Column("操作", "text", 10, 14),
    Column("操作人", "text", 10, 20), Column("原状态", "text", 8, 8), Column("新状态", "text", 8, 8),
    Column("说明", "long", 40, 50),
)
SUMMARY_COUNTS = tuple(Column(s.label, "int", 8, 8) for s in ProblemStatus) + (
    Column("逾期", "int", 6, 6), Column("临期", "int", 6, 6), Column("整改率", "pct", 8, 8))
UNIT_SUMMARY_COLUMNS = (Column("序号", "int", 6, 6), Column("责任单位", "text", 14, 24),
                        Column("问题总数", "int", 10, 10)) + SUMMARY_COUNTS
CATEGORY_SUMMARY_COLUMNS = (Column("序号", "int", 6, 6), Column("问题类别", "text", 12, 16),
                            Column("问题总数", "int", 10, 10)) + SUMMARY_COUNTS
SHEETS = ("问题台账", "按单位汇总", "按类别汇总", "流转记录")


def title(district: str, round_name: str | None) -> str:
    """「XX区廉洁机关建设问题整改台账」, with the round when the export is of one round."""
    return f"{district}廉洁机关建设问题整改台账" + (f"（{round_name}）" if round_name else "")


def meta_line(now: datetime, who: str, conditions: list[str]) -> str:
    text = f"导出时间：{now.astimezone(CHINA):%Y-%m-%d %H:%M}"
    if who:
        text += f"　导出人：{who}"
    return text + f"　筛选条件：{'；'.join(conditions) if conditions else '全部'}"


def conditions(f, round_name: str | None, unit_name: str | None, near_days: int) -> list[str]:
    """The ledger filter in words, for the line under the title."""
    parts = []
    for label, value in (("批次", round_name), ("责任单位", unit_name), ("问题类别", f.category),
                         ("状态", status_label(f.status)), ("严重程度", f.severity),
                         ("发现方式", source_label(f.source)),
                         ("预警", {"overdue": "逾期", "near": f"临期（{near_days} 天内到期）"}.get(f.warn, "")),
                         ("待办", PENDING.get(getattr(f, "pending", ""), "")),
                         ("关键词", f.q)):
        if value:
            parts.append(f"{label} {value}")
    for label, start, end in (("发现时间", "found_from", "found_to"), ("销号时间", "closed_from", "closed_to")):
        start, end = getattr(f, start, None), getattr(f, end, None)
        if start or end:
            parts.append(f"{label} {start or ''}至{end or ''}")
    return parts


def local_date(moment: datetime | None) -> date | None:
    return china_date(moment) if moment is not None else None


def ledger_row(seq: int, r, today: date, near_days: int) -> tuple[tuple, str]:
    """One problem (a row of export.queries.ledger_rows, unpacked in its column order: attribute access
    on 100,000 rows costs more than the rest of this function) as cell values, and its 三色预警."""
    (_, code, _, unit_name, category, description, source, found_on, severity, deadline, person, measures,
     progress, result, status, closed_at, closed_by) = r
    warn = rules.warning(r, today, near_days)
    return (seq, code, unit_name, category, description, source_label(source), found_on, severity,
            deadline, person, measures, progress, result, status_label(status),
            local_date(closed_at), closed_by or "", rules.WARNING_LABELS.get(warn, ""),
            (today - deadline).days if warn == "red" else None), warn


def event_row(r) -> tuple:
    """One event (a row of export.queries.event_rows, in its column order) as cell values."""
    code, created_at, action, actor_name, before, after, comment = r
    return (code, created_at.astimezone(CHINA).replace(tzinfo=None) if created_at else None,
            action_label(action), actor_name or "", status_label(before), status_label(after), comment)


@dataclass
class Counts:
    total: int = 0
    by_status: dict = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    overdue: int = 0
    near: int = 0

    def add(self, status: str, warn: str) -> None:
        self.total += 1
        if status in self.by_status:
            self.by_status[status] += 1
        self.overdue += warn == "red"
        self.near += warn == "yellow"

    @property
    def rate(self) -> float | None:
        return close_rate(self.by_status)

    def cells(self) -> tuple:
        return (self.total, *self.by_status.values(), self.overdue, self.near, self.rate)


class Tally:
    """Counts by unit and by category, gathered while the ledger rows stream past."""

    def __init__(self) -> None:
        self.units: dict[str, Counts] = {}
        self.categories: dict[str, Counts] = {}
        self.all = Counts()

    def add(self, unit: str, category: str, status: str, warn: str) -> None:
        for table, key in ((self.units, unit), (self.categories, category)):
            counts = table.get(key)
            if counts is None:
                counts = table[key] = Counts()
            counts.add(status, warn)
        self.all.add(status, warn)

    def unit_rows(self) -> list[tuple]:
        """Units with the most problems first (then by name), and a 合计 row."""
        ordered = sorted(self.units.items(), key=lambda kv: (-kv[1].total, kv[0]))
        return [(n, name, *c.cells()) for n, (name, c) in enumerate(ordered, 1)] + [self._total()]

    def category_rows(self, order: list[str]) -> list[tuple]:
        """Categories in the administrators' order, the ones no longer listed after, and 合计."""
        names = [c for c in order if c in self.categories] + sorted(set(self.categories) - set(order))
        return [(n, name, *self.categories[name].cells()) for n, name in enumerate(names, 1)] + [self._total()]

    def _total(self) -> tuple:
        return (None, "合计", *self.all.cells())
