"""Charts laid out once as shapes, then drawn as inline SVG, onto a PDF page or as a PNG: range charts (P10–P50–P90
per metric) and x–y charts (lines, areas, bars over hours or months)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from kb.briefs.lang import t
from kb.briefs.model import RangeChart, XYChart, fmt

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


@dataclass(frozen=True)
class Poly:
    """A polyline (``fill`` empty) or a filled polygon (``stroke`` empty)."""

    points: tuple[tuple[float, float], ...]
    stroke: str = ""
    fill: str = ""
    width: float = 1.0


Shape = Rect | Line | Text | Poly


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


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values (steps of 1, 2 or 5 × 10^k) covering ``lo`` to ``hi``."""
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / n
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1.0, 2.0, 5.0, 10.0) if m * mag >= raw)
    start = math.floor(lo / step + 1e-9) * step
    ticks = []
    v = start
    while v < hi + step * 0.999:
        ticks.append(round(v, 10))
        v += step
    return ticks


XY_H = 250.0
XY_X0, XY_X1 = 64.0, WIDTH - 16.0
XY_Y0, XY_Y1 = 58.0, 212.0
GRID = "#e3e3e3"


def layout_xy(chart: XYChart) -> tuple[float, float, list[Shape]]:
    """Width, height and shapes of an x–y chart: title, legend, y unit, grid, series, x ticks and label."""
    title = chart.title if len(chart.title) <= 90 else chart.title[:89] + "…"
    shapes: list[Shape] = [Text(0, 16, title, 12, bold=True)]
    lx = XY_X0
    for ser in chart.series:
        shapes.append(Rect(lx, 26, 10, 10, ser.color))
        shapes.append(Text(lx + 14, 35, ser.label, 9))
        lx += 24 + 5.6 * len(ser.label)
    shapes.append(Text(0, XY_Y0 - 8, chart.y_label, 9))
    values = [v for ser in chart.series for v in ser.values]
    ticks = nice_ticks(min(0.0, *values) if values else 0.0, max(0.0, *values) if values else 1.0)
    lo, hi = ticks[0], ticks[-1]
    bars = [ser for ser in chart.series if ser.kind == "bar"]
    n = max(len(chart.x), 1)
    x_lo = min(chart.x, default=0.0)
    x_hi = max(chart.x, default=1.0)

    def y(v: float) -> float:
        return XY_Y1 - (v - lo) / ((hi - lo) or 1.0) * (XY_Y1 - XY_Y0)

    def x(v: float) -> float:
        if bars:  # categories: the centre of slot v (an index)
            return XY_X0 + (v + 0.5) * (XY_X1 - XY_X0) / n
        return XY_X0 + (v - x_lo) / ((x_hi - x_lo) or 1.0) * (XY_X1 - XY_X0)

    for tick in ticks:
        shapes.append(Line(XY_X0, y(tick), XY_X1, y(tick), GRID if tick else AXIS, 0.6))
        shapes.append(Text(XY_X0 - 5, y(tick) + 3, fmt(tick), 8, "end"))
    shapes.append(Line(XY_X0, XY_Y0, XY_X0, XY_Y1, AXIS, 0.6))
    slot = (XY_X1 - XY_X0) / n
    bw = slot * 0.8 / max(len(bars), 1)
    for ser in chart.series:
        pts = tuple((x(i if bars else xv), y(v)) for i, (xv, v) in enumerate(zip(chart.x, ser.values, strict=False)))
        if ser.kind == "bar":
            k = bars.index(ser)
            for (cx, cy) in pts:
                left = cx - slot * 0.4 + k * bw
                shapes.append(Rect(left, min(cy, y(0.0)), bw * 0.92, max(abs(y(0.0) - cy), 0.5), ser.color))
        elif ser.kind == "area" and pts:
            base = y(max(lo, 0.0))
            shapes.append(Poly(((pts[0][0], base), *pts, (pts[-1][0], base)), fill=ser.color))
        elif pts:
            shapes.append(Poly(pts, stroke=ser.color, width=1.4))
    for xv, label in chart.x_ticks:
        shapes.append(Line(x(xv), XY_Y1, x(xv), XY_Y1 + 4, AXIS, 0.6))
        shapes.append(Text(x(xv), XY_Y1 + 15, label, 8, "middle"))
    if chart.x_label:
        shapes.append(Text((XY_X0 + XY_X1) / 2, XY_Y1 + 31, chart.x_label, 9, "middle"))
    return WIDTH, XY_H, shapes


def any_layout(chart: RangeChart | XYChart) -> tuple[float, float, list[Shape]]:
    return layout_xy(chart) if isinstance(chart, XYChart) else layout(chart)


def to_svg(chart: RangeChart | XYChart) -> str:
    """The chart as a self-contained SVG element (no script, no external reference)."""
    w, h, shapes = any_layout(chart)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{w:g}" height="{h:g}" '
           f'viewBox="0 0 {w:g} {h:g}" font-family="DejaVu Sans, Verdana, sans-serif">',
           f"<title>{escape(chart.title)}</title>"]
    for s in shapes:
        if isinstance(s, Rect):
            out.append(f'<rect x="{s.x:.1f}" y="{s.y:.1f}" width="{s.w:.1f}" height="{s.h:.1f}" fill="{s.fill}"/>')
        elif isinstance(s, Line):
            out.append(f'<line x1="{s.x1:.1f}" y1="{s.y1:.1f}" x2="{s.x2:.1f}" y2="{s.y2:.1f}" '
                       f'stroke="{s.stroke}" stroke-width="{s.width:g}"/>')
        elif isinstance(s, Poly):
            pts = " ".join(f"{px:.1f},{py:.1f}" for px, py in s.points)
            if s.fill:
                out.append(f'<polygon points="{pts}" fill="{s.fill}" stroke="none"/>')
            else:
                out.append(f'<polyline points="{pts}" fill="none" stroke="{s.stroke}" stroke-width="{s.width:g}" '
                           'stroke-linejoin="round"/>')
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


SPARK = "▁▂▃▄▅▆▇█"


def text_series(chart: XYChart, width: int = 56) -> list[str]:
    """A plain-text sketch of an x–y chart for Markdown: one spark line per series on the chart's common scale, with
    its smallest and largest value."""
    values = [v for ser in chart.series for v in ser.values]
    if not values:
        return []
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    label_w = max(len(ser.label) for ser in chart.series)
    lines = []
    for ser in chart.series:
        vals = ser.values
        buckets = min(width, len(vals)) or 1
        means = []
        for b in range(buckets):
            part = vals[b * len(vals) // buckets:(b + 1) * len(vals) // buckets] or [0.0]
            means.append(sum(part) / len(part))
        spark = "".join(SPARK[min(len(SPARK) - 1, int((m - lo) / span * len(SPARK)))] for m in means)
        lines.append(f"{ser.label.ljust(label_w)}  {spark}  (" + t("{low} to {high}").format(
            low=fmt(min(vals, default=0.0)), high=fmt(max(vals, default=0.0))) + ")")
    return lines
