"""From figures to what the page shows: the charts (with links to the ledger behind each number)
and the rows of the tables beside them. `link(**filters)` builds a ledger URL for the page's round."""
from __future__ import annotations

from functools import lru_cache
from typing import Callable
from urllib.parse import urlencode

from flask import url_for

from survey.dashboard import charts
from survey.dashboard.charts import Bar, Part, Series
from survey.dashboard.queries import Figures
from survey.ledger.categories import names as category_names
from survey.models import ProblemSource, ProblemStatus
from survey.models.problem import source_label
from survey.models.questionnaire import SEVERITIES
from survey.notices.numbering import NOTICE_KINDS

STATUS_COLORS = {ProblemStatus.OPEN: "#c62828", ProblemStatus.IN_PROGRESS: "#d97706",
                 ProblemStatus.PENDING_REVIEW: "#2563eb", ProblemStatus.CLOSED: "#1a7f37",
                 ProblemStatus.CANCELLED: "#9aa4b2"}
BAR = "#b4232a"
TOP_UNITS = 10
Link = Callable[..., str]


def ledger_link(base: dict) -> Link:
    """link(**filters) -> the ledger's URL with the page's round and these filters. The page has
    hundreds of numbers, each a link: one url_for, then query strings from encoded pairs kept for
    reuse (url_for for each link took ~10 ms a page, urlencode ~8 ms)."""
    path = url_for("ledger.index")

    def link(**filters) -> str:
        pairs = [_pair(k, v) for k, v in {**base, **filters}.items() if v not in (None, "")]
        return f"{path}?{'&'.join(pairs)}" if pairs else path
    return link


@lru_cache(maxsize=4096)
def _pair(key: str, value) -> str:
    return urlencode({key: value})


def status_parts(by_status: dict[str, int], link: Link, **base) -> list[Part]:
    return [Part(s.label, by_status.get(s, 0), STATUS_COLORS[s], link(**base, status=s.value)) for s in ProblemStatus]


def ordered(counts: dict[str, int], order) -> list[tuple[str, int]]:
    """counts in the given order (zeros included), then any other key by count."""
    known = [(k, counts.get(k, 0)) for k in order]
    rest = sorted(((k, n) for k, n in counts.items() if k not in order), key=lambda kn: -kn[1])
    return known + rest


def breakdown_rows(figures: Figures) -> dict[str, list[tuple[str, str, int]]]:
    """(filter value, label, count) per category, severity and source, in their natural order."""
    b = figures.breakdown
    return {
        "category": [(c, c, n) for c, n in ordered(b.get("category", {}), category_names(active_only=True))],
        "severity": [(s, s, n) for s, n in ordered(b.get("severity", {}), SEVERITIES)],
        "source": [(s, source_label(s), n) for s, n in ordered(b.get("source", {}), [s.value for s in ProblemSource])],
    }


def week_label(day) -> str:
    return f"{day.month}/{day.day}"


def dashboard_charts(figures: Figures, rows: dict, link: Link) -> dict:
    out = {"status": charts.split("ch-status", "问题状态分布", status_parts(figures.by_status, link))}
    for key, title, filter_name in (("category", "按问题类别", "category"), ("severity", "按严重程度", "severity"),
                                    ("source", "按发现方式", "source")):
        bars = [Bar(label, [Part(label, n, BAR, link(**{filter_name: value}))], link(**{filter_name: value}))
                for value, label, n in rows[key]]
        out[key] = charts.hbars(f"ch-{key}", title, bars)
    units = [Bar(u.name, status_parts(u.by_status, link, unit=u.unit_id), link(unit=u.unit_id), note=_unit_note(u))
             for u in figures.units[:TOP_UNITS]]
    out["units"] = charts.hbars("ch-units", f"问题最多的 {len(units)} 个单位", units)
    if figures.weeks:
        labels = [week_label(w.start) for w in figures.weeks]
        series = [Series("新增", BAR, [w.opened for w in figures.weeks]),
                  Series("销号", STATUS_COLORS[ProblemStatus.CLOSED], [w.closed for w in figures.weeks])]
        out["weeks"] = charts.lines("ch-weeks", "每周新增与销号", labels, series)
        out["weeks_wide"] = charts.lines("ch-weeks-w", "每周新增与销号", labels, series, width=640)
    return out


def notice_link(base: dict) -> Link:
    """link(**filters) -> the notices list's URL with the page's round and these filters."""
    path = url_for("notices.index")

    def link(**filters) -> str:
        pairs = [_pair(k, v) for k, v in {**base, **filters}.items() if v not in (None, "")]
        return f"{path}?{'&'.join(pairs)}" if pairs else path
    return link


def notice_rows(figures: Figures) -> list[tuple[str, str, int, int, int]]:
    """(kind, title, notices, problems notified, of them closed after the notice) per kind, ladder order."""
    counts = figures.notices
    if counts is None:
        return []
    return [(k.key, k.title, counts.by_kind.get(k.key, 0), counts.with_problem.get(k.key, 0),
             counts.closed_after.get(k.key, 0)) for k in NOTICE_KINDS.values()]


def notice_charts(figures: Figures, rows: list, link: Link) -> dict:
    if figures.notices is None or not figures.notices.total:
        return {}
    kinds = [Bar(title, [Part(title, n, BAR, link(kind=key))], link(kind=key)) for key, title, n, _, _ in rows]
    closed = [Bar(title, [Part("销号", c, STATUS_COLORS[ProblemStatus.CLOSED]),
                          Part("未销号", p - c, STATUS_COLORS[ProblemStatus.OPEN])], note=f"{c}/{p}")
              for _, title, _, p, c in rows if p]
    units = [Bar(name, [Part(name, n, BAR, link(unit=uid))], link(unit=uid))
             for uid, name, n in figures.notices.by_unit[:TOP_UNITS]]
    return {"kinds": charts.hbars("ch-notice-kinds", "按文书种类（督办阶梯）", kinds, unit="份"),
            "closed": charts.hbars("ch-notice-closed", "文书签发后销号的问题", closed),
            "units": charts.hbars("ch-notice-units", f"收到文书最多的 {len(units)} 个单位", units, unit="份")}


def _unit_note(unit) -> str:
    note = f"{charts.number(unit.total)} 个"
    return note + f" · 逾期 {charts.number(unit.overdue)}" if unit.overdue else note


def home_charts(figures: Figures, link: Link) -> dict:
    return {"status": charts.split("ch-status", "本单位问题状态分布", status_parts(figures.by_status, link))}


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"
