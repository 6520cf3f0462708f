"""Charts as inline SVG, built on the server from numbers: pure functions, no I/O, no library.

Each chart is drawn in a 320-unit-wide viewBox and shown at width 100%, so on a 360 px phone one
unit is about one pixel and a 12-unit label stays readable; text widths are estimated (a CJK
character is 1 em, Latin and digits about 0.6 em) so labels are shortened before they collide.
Every chart carries role="img", a <title> and a <desc> that reads out its numbers; the page puts
the same numbers in a table with links. The SVG holds no links: an image may not contain interactive
parts (axe's nested-interactive), and a 10 px bar is no tap target. Each mark keeps its figure as a
<title> tooltip.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from markupsafe import Markup, escape

WIDTH = 320
FONT = 13
SMALL = 11
TEXT = "#1f2328"
MUTED = "#5d6678"
GRID = "#e3e6ea"


@dataclass
class Part:
    """One segment of a bar (or of the status split): its value, colour and the list behind it."""
    label: str
    value: int
    color: str
    href: str | None = None


@dataclass
class Bar:
    label: str
    parts: list[Part]
    href: str | None = None
    note: str = ""              # shown right-aligned; defaults to the total

    @property
    def total(self) -> int:
        return sum(p.value for p in self.parts)


@dataclass
class Series:
    name: str
    color: str
    values: list[int] = field(default_factory=list)


def text_width(text: str, size: float = FONT) -> float:
    return sum(size if ord(ch) > 0x2E7F else size * 0.6 for ch in text)


def fit(text: str, width: float, size: float = FONT) -> str:
    """text, shortened with … so that it fits in width."""
    if text_width(text, size) <= width:
        return text
    out = ""
    for ch in text:
        if text_width(out + ch + "…", size) > width:
            break
        out += ch
    return out + "…"


def number(n: int) -> str:
    return f"{n:,}"


def _svg(key: str, height: float, title: str, desc: str, body: list[str], width: int = WIDTH) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {math.ceil(height)}" width="100%" role="img" '
        f'aria-labelledby="{key}-t {key}-d" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{key}-t">{escape(title)}</title><desc id="{key}-d">{escape(desc)}</desc>'
        + "".join(body) + "</svg>")


def _mark(inner: str, label: str = "") -> str:
    """A mark of the chart with its figure as a tooltip."""
    if not label:
        return inner
    return f"<g><title>{escape(label)}</title>{inner}</g>"


def _text(x: float, y: float, text: str, *, size: int = FONT, anchor: str = "start", fill: str = TEXT,
          weight: str = "") -> str:
    bold = ' font-weight="600"' if weight else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"{bold}>'
            f"{escape(text)}</text>")


def _rect(x: float, y: float, w: float, h: float, color: str) -> str:
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" fill="{color}"/>'


def hbars(key: str, title: str, bars: list[Bar], unit: str = "个") -> Markup:
    """Horizontal bars, one row each: the label and the figure on a line, the bar below it, split
    into its parts. Long labels (unit names) get the whole width instead of a narrow column."""
    row, top = 34, 2
    scale = max([b.total for b in bars] + [1])
    body = []
    for i, bar in enumerate(bars):
        y = top + i * row
        note = bar.note or f"{number(bar.total)} {unit}"
        label = fit(bar.label, WIDTH - text_width(note) - 10)
        body.append(_mark(_text(0, y + 12, label), f"{bar.label}：{note}"))
        body.append(_text(WIDTH, y + 12, note, anchor="end", weight="bold"))
        body.append(_rect(0, y + 17, WIDTH, 10, "#f1f3f5"))
        x = 0.0
        for part in bar.parts:
            w = WIDTH * part.value / scale
            body.append(_mark(_rect(x, y + 17, w, 10, part.color),
                              f"{bar.label} {part.label}：{number(part.value)}"))
            x += w
    desc = "；".join(f"{b.label} {number(b.total)}" for b in bars) or "无数据"
    return _svg(key, top + len(bars) * row + 2, title, desc, body)


def split(key: str, title: str, parts: list[Part]) -> Markup:
    """The status split: one bar of 100 % in coloured segments, a two-column legend below."""
    total = sum(p.value for p in parts)
    body, x = [], 0.0
    for part in parts:
        w = WIDTH * part.value / total if total else 0
        body.append(_mark(_rect(x, 0, w, 22, part.color), f"{part.label}：{number(part.value)}"))
        x += w
    if not total:
        body.append(_rect(0, 0, WIDTH, 22, "#f1f3f5"))
    col = WIDTH / 2
    for i, part in enumerate(parts):
        lx, ly = (i % 2) * col, 34 + (i // 2) * 22
        share = f" · {part.value * 100 / total:.0f}%" if total else ""
        text = fit(f"{part.label} {number(part.value)}{share}", col - 20, SMALL + 1)
        body.append(_mark(_rect(lx, ly + 2, 11, 11, part.color)
                          + _text(lx + 16, ly + 12, text, size=SMALL + 1), f"{part.label}：{number(part.value)}"))
    rows = (len(parts) + 1) // 2
    desc = "；".join(f"{p.label} {number(p.value)}" for p in parts)
    return _svg(key, 34 + rows * 22, title, desc, body)


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2, 4, 6 or 8 × 10^k at or above value (at least 1): its half is whole too."""
    if value <= 1:
        return 1
    power = 10 ** int(math.floor(math.log10(value)))
    for step in (1, 2, 4, 6, 8, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def lines(key: str, title: str, labels: list[str], series: list[Series], width: int = WIDTH) -> Markup:
    """A line per series over the same x labels (weeks), a legend on top, three grid lines. A wider
    width (for wide screens) gives the points room without scaling the text up."""
    left, right, top, bottom = 38, width - 10, 30, 150
    top_value = nice_ceiling(max([v for s in series for v in s.values] + [0]))
    n = len(labels)
    step = (right - left) / (n - 1) if n > 1 else 0

    def xy(i: int, v: int) -> tuple[float, float]:
        x = left + i * step if n > 1 else (left + right) / 2
        return x, bottom - (bottom - top) * v / top_value

    body = []
    for value in sorted({0, top_value // 2, top_value}):
        y = bottom - (bottom - top) * value / top_value
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(_text(left - 4, y + 4, number(value), size=SMALL, anchor="end", fill=MUTED))
    every = max(1, math.ceil(n / ((right - left) // 48)))
    for i, label in enumerate(labels):
        if i % every == 0:
            body.append(_text(xy(i, 0)[0], bottom + 15, label, size=SMALL, anchor="middle", fill=MUTED))
    lx = left
    for s in series:
        body.append(f'<line x1="{lx}" y1="11" x2="{lx + 16}" y2="11" stroke="{s.color}" stroke-width="2.5"/>')
        body.append(_text(lx + 20, 15, s.name))
        lx += 20 + text_width(s.name) + 18
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, v in enumerate(s.values)))
        body.append(f'<polyline points="{points}" fill="none" stroke="{s.color}" stroke-width="2"/>')
        for i, v in enumerate(s.values):
            x, y = xy(i, v)
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{s.color}">'
                        f"<title>{escape(labels[i])} {escape(s.name)} {number(v)}</title></circle>")
    span = f"{labels[0]} 至 {labels[-1]} 共 {n} 周" if labels else "无数据"
    desc = span + "；" + "；".join(f"{s.name}合计 {number(sum(s.values))}" for s in series)
    return _svg(key, bottom + 22, title, desc, body, width)
