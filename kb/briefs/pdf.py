"""Render a brief as PDF with fpdf2 and the bundled DejaVu fonts: no system libraries, vector charts, linked sources."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from kb.briefs import charts
from kb.briefs.model import Brief, Bullets, Heading, Paragraph, RangeChart, Table, XYChart
from kb.briefs.render import meta_lines

ASSETS = Path(__file__).resolve().parent / "assets"
FONT = "DejaVu"
BLUE = (31, 78, 121)
BOLD = re.compile(r"(\*\*.+?\*\*)")


class _Pdf(FPDF):
    def __init__(self, brief: Brief) -> None:
        super().__init__(format="A4", unit="mm")
        self.brief = brief
        self.add_font(FONT, "", str(ASSETS / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(ASSETS / "DejaVuSans-Bold.ttf"))
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(True, margin=16)
        self.refs: dict[int, int] = {}

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(FONT, "", 7.5)
        self.set_text_color(110, 110, 110)
        b = self.brief
        self.cell(0, 5, f"{b.city_name} — replication brief — {b.date} — page {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0, 0, 0)


def _plain(text: str) -> str:
    """Markdown emphasis other than bold dropped (``*x*`` and backticks)."""
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)\*(?!\w)", r"\1", text)
    return text.replace("`", "")


def _rich(pdf: _Pdf, text: str, size: float = 9.5, height: float = 4.6) -> None:
    """Flowing text with **bold** spans, wrapped at the margins."""
    for part in BOLD.split(text):
        if not part:
            continue
        bold = part.startswith("**") and part.endswith("**") and len(part) > 4
        pdf.set_font(FONT, "B" if bold else "", size)
        pdf.write(height, _plain(part[2:-2] if bold else part))
    pdf.ln(height)


def _heading(pdf: _Pdf, text: str, level: int) -> None:
    size = {1: 16, 2: 13, 3: 10.5}.get(level, 10)
    if pdf.get_y() > pdf.h - 40:
        pdf.add_page()
    pdf.ln(3 if level > 1 else 0)
    pdf.set_font(FONT, "B", size)
    pdf.set_text_color(*(BLUE if level == 2 else (0, 0, 0)))
    pdf.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(1)


def _bullets(pdf: _Pdf, items: list[str]) -> None:
    left = pdf.l_margin
    for item in items:
        pdf.set_font(FONT, "", 9.5)
        pdf.set_x(left)
        pdf.write(4.6, "•")
        pdf.set_left_margin(left + 4)
        pdf.set_x(left + 4)
        _rich(pdf, item)
        pdf.set_left_margin(left)
        pdf.ln(0.8)


def _widths(table: Table, total: float) -> list[float]:
    lengths = [max([len(h), *(len(r[i]) for r in table.rows)]) for i, h in enumerate(table.header)]
    weights = [min(max(n, 6), 48) for n in lengths]
    return [total * w / sum(weights) for w in weights]


def _table(pdf: _Pdf, table: Table) -> None:
    pdf.set_font(FONT, "", 7.5)
    pdf.set_draw_color(190, 190, 190)
    with pdf.table(col_widths=_widths(table, pdf.epw), text_align="LEFT", line_height=3.8,
                   first_row_as_headings=True, padding=0.8,
                   headings_style=FontFace(family=FONT, emphasis="BOLD", fill_color=(238, 243, 248))) as t:
        head = t.row()
        for h in table.header:
            head.cell(h)
        for row in table.rows:
            r = t.row()
            for c in row:
                r.cell(_plain(c.replace("**", "")))
    pdf.set_font(FONT, "", 9.5)
    pdf.ln(2)


def _color(hexcode: str) -> tuple[int, int, int]:
    h = hexcode.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _chart(pdf: _Pdf, chart: RangeChart | XYChart) -> None:
    """Draw the chart as vector shapes, from the same layout as the SVG."""
    w, h, shapes = charts.any_layout(chart)
    k = pdf.epw / w
    if pdf.get_y() + h * k > pdf.h - pdf.b_margin:
        pdf.add_page()
    x0, y0 = pdf.l_margin, pdf.get_y()
    for s in shapes:
        if isinstance(s, charts.Rect):
            pdf.set_fill_color(*_color(s.fill))
            pdf.rect(x0 + s.x * k, y0 + s.y * k, s.w * k, s.h * k, style="F")
        elif isinstance(s, charts.Line):
            pdf.set_draw_color(*_color(s.stroke))
            pdf.set_line_width(s.width * k)
            pdf.line(x0 + s.x1 * k, y0 + s.y1 * k, x0 + s.x2 * k, y0 + s.y2 * k)
        elif isinstance(s, charts.Poly):
            pts = [(x0 + px * k, y0 + py * k) for px, py in s.points]
            if s.fill:
                pdf.set_fill_color(*_color(s.fill))
                pdf.polygon(pts, style="F")
            else:
                pdf.set_draw_color(*_color(s.stroke))
                pdf.set_line_width(s.width * k)
                pdf.polyline(pts, style="D")
        else:
            pdf.set_font(FONT, "B" if s.bold else "", s.size * k * 72 / 25.4)
            tw = pdf.get_string_width(s.text)
            dx = {"middle": tw / 2, "end": tw}.get(s.anchor, 0.0)
            pdf.text(x0 + s.x * k - dx, y0 + s.y * k, s.text)
    pdf.set_line_width(0.2)
    pdf.set_y(y0 + h * k + 2)
    pdf.set_font(FONT, "", 8)
    caption = ((chart.caption or chart.title) if isinstance(chart, XYChart)
               else "Band from P10 to P90, line at P50; each output on its own scale.")
    pdf.multi_cell(0, 3.8, _plain(caption.replace("**", "")), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)


def to_pdf(brief: Brief) -> bytes:
    """The brief as PDF bytes (deterministic for a given brief)."""
    pdf = _Pdf(brief)
    pdf.set_title(brief.title)
    pdf.set_author("ATELIER PED knowledge base")
    pdf.set_lang("en")
    day = dt.datetime.strptime(brief.date, "%Y-%m-%d").replace(tzinfo=dt.UTC)
    pdf.set_creation_date(day)
    pdf.add_page()
    _heading(pdf, brief.title, 1)
    for key, value in meta_lines(brief):
        _rich(pdf, f"**{key}:** {value}", size=9)
    for sec in brief.sections:
        _heading(pdf, sec.title, sec.level)
        for b in sec.blocks:
            if isinstance(b, Heading):
                _heading(pdf, b.text, b.level)
            elif isinstance(b, Paragraph):
                _rich(pdf, b.text)
                pdf.ln(1.5)
            elif isinstance(b, Bullets):
                _bullets(pdf, b.items)
            elif isinstance(b, Table):
                _table(pdf, b)
            elif isinstance(b, RangeChart | XYChart):
                _chart(pdf, b)
    _heading(pdf, "Sources", 2)
    for s in brief.sources:
        pdf.set_font(FONT, "", 8.5)
        extra = ", ".join(x for x in (s.publisher, s.year) if x)
        pdf.write(4.2, f"{s.n}. {s.title}" + (f" — {extra}" if extra else "") + ". ")
        if s.url:
            pdf.set_text_color(*BLUE)
            pdf.write(4.2, s.url, link=s.url)
            pdf.set_text_color(0, 0, 0)
        if s.origin:
            pdf.write(4.2, f" ({s.origin})")
        pdf.ln(5)
    return bytes(pdf.output())
