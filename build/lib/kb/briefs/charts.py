"""Range charts (P10–P50–P90 per metric) laid out once as shapes, then drawn as inline SVG or onto a PDF page."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from kb.briefs.model import RangeChart, fmt

WIDTH = 640.0
ROW = 46.0
TOP = 28.0
LABEL_W = 230.0
PLOT_X0 = LABEL_W + 10.0
PLOT_X1 = WIDTH - 20.0
BAND = "#8fb8de"
MARK = "#1f4e79"
AXIS = "#999999"
TEXT = "#222222"


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str
    width: float = 1.0


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    size: float = 11.0
    anchor: str = "start"  # start, middle, end
    bold: bool = False


Shape = Rect | Line | Text


def layout(chart: RangeChart) -> tuple[float, float, list[Shape]]:
    """Width, height and shapes of the chart; each metric on its own axis from zero (units differ)."""
    title = chart.title if len(chart.title) <= 90 else chart.title[:89] + "…"
    shapes: list[Shape] = [Text(0, 16, title, 12, bold=True)]
    span = PLOT_X1 - PLOT_X0
    for i, bar in enumerate(chart.bars):
        y = TOP + i * ROW
        lo = min(0.0, bar.p10, bar.p50, bar.p90)
        hi = max(0.0, bar.p10, bar.p50, bar.p90)
        width = (hi - lo) * 1.1 or 1.0

        def x(v: float, lo: float = lo, width: float = width) -> float:
            return PLOT_X0 + (v - lo) / width * span

        mid = y + 14
        shapes.append(Text(0, mid + 4, f"{bar.label} {bar.ref}", 10))
        shapes.append(Text(0, mid + 17, bar.unit, 9))
        shapes.append(Line(x(lo), mid + 10, PLOT_X1, mid + 10, AXIS, 0.6))
        shapes.append(Line(x(0.0), mid - 9, x(0.0), mid + 10, AXIS, 0.6))
        shapes.append(Rect(x(bar.p10), mid - 6, max(x(bar.p90) - x(bar.p10), 1.0), 12, BAND))
        shapes.append(Line(x(bar.p50), mid - 9, x(bar.p50), mid + 9, MARK, 2.0))
        shapes.append(Text(x(bar.p10), mid + 21, fmt(bar.p10), 8, "middle"))
        shapes.append(Text(x(bar.p50), mid - 12, fmt(bar.p50), 9, "middle", bold=True))
        shapes.append(Text(x(bar.p90), mid + 21, fmt(bar.p90), 8, "middle"))
    height = TOP + len(chart.bars) * ROW + 8
    return WIDTH, height, shapes


def to_svg(chart: RangeChart) -> str:
    """The chart as a self-contained SVG element (no script, no external reference)."""
    w, h, shapes = layout(chart)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{w:g}" height="{h:g}" '
           f'viewBox="0 0 {w:g} {h:g}" font-family="DejaVu Sans, Verdana, sans-serif">',
           f"<title>{escape(chart.title)}</title>"]
    for s in shapes:
        if isinstance(s, Rect):
            out.append(f'<rect x="{s.x:.1f}" y="{s.y:.1f}" width="{s.w:.1f}" height="{s.h:.1f}" fill="{s.fill}"/>')
        elif isinstance(s, Line):
            out.append(f'<line x1="{s.x1:.1f}" y1="{s.y1:.1f}" x2="{s.x2:.1f}" y2="{s.y2:.1f}" '
                       f'stroke="{s.stroke}" stroke-width="{s.width:g}"/>')
        else:
            weight = ' font-weight="bold"' if s.bold else ""
            out.append(f'<text x="{s.x:.1f}" y="{s.y:.1f}" font-size="{s.size:g}" text-anchor="{s.anchor}" '
                       f'fill="{TEXT}"{weight}>{escape(s.text)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def text_bars(chart: RangeChart, width: int = 40) -> list[str]:
    """A plain-text sketch of the ranges for Markdown (no digits: the figures are in the table above)."""
    lines = []
    label_w = max((len(b.label) for b in chart.bars), default=0)
    for bar in chart.bars:
        lo = min(0.0, bar.p10, bar.p50, bar.p90)
        hi = max(0.0, bar.p10, bar.p50, bar.p90)
        span = (hi - lo) * 1.1 or 1.0

        def col(v: float, lo: float = lo, span: float = span) -> int:
            return min(width - 1, max(0, round((v - lo) / span * (width - 1))))

        cells = ["·"] * width
        for c in range(col(bar.p10), col(bar.p90) + 1):
            cells[c] = "="
        cells[col(bar.p50)] = "●"
        lines.append(f"{bar.label.ljust(label_w)}  |{''.join(cells)}|")
    return lines
