"""The ledger's active filters as removable chips: each one's words and the query arguments of the
same list without it (the sort is kept, the page starts again)."""
from __future__ import annotations

from survey.ledger.queries import PENDING, LedgerFilter
from survey.models.problem import source_label, status_label

# One chip per filter; a date range is one chip that removes both of its ends.
_RANGES = (("发现时间", "found_from", "found_to"), ("销号时间", "closed_from", "closed_to"))


def filter_chips(f: LedgerFilter, unit_names: dict[int, str], round_names: dict[int, str],
                 near_days: int) -> list[dict]:
    """[{"label": ..., "args": {...}}] in the order the filters appear on the form."""
    words = {
        "q": f.q and f"搜索：{f.q}",
        "status": f.status and f"状态：{status_label(f.status)}",
        "warn": {"overdue": "逾期", "near": f"临期（{near_days} 天内）"}.get(f.warn, ""),
        "pending": PENDING.get(f.pending, ""),
        "category": f.category and f"类别：{f.category}",
        "unit": f.unit_id and f"单位：{unit_names.get(f.unit_id, f'#{f.unit_id}')}",
        "severity": f.severity and f"严重程度：{f.severity}",
        "source": f.source and f"发现方式：{source_label(f.source)}",
        "round": f.round_id and f"批次：{round_names.get(f.round_id, f'#{f.round_id}')}",
    }
    chips = [{"label": label, "args": f.args(**{name: None, "page": None})} for name, label in words.items() if label]
    for label, start, end in _RANGES:
        first, last = getattr(f, start), getattr(f, end)
        if first or last:
            chips.append({"label": f"{label} {first or '…'} 至 {last or '…'}",
                          "args": f.args(**{start: None, end: None, "page": None})})
    return chips
