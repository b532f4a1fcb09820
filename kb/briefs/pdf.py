"""Render a brief as PDF with fpdf2 and the bundled DejaVu fonts: no system libraries, vector charts, linked sources."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from kb.briefs import charts
from kb.briefs.lang import in_its_language, t
from kb.briefs.model import Brief, Bullets, Heading, Paragraph, RangeChart, Table, XYChart
from kb.briefs.render import meta_lines, records_note, what_this_is

ASSETS = Path(__file__).resolve().parent / "assets"
FONT = "DejaVu"
BLUE = (31, 78, 121)
RULE = (200, 200, 200)
HEAD_SHADE = (242, 242, 242)
BOLD = re.compile(r"(\*\*.+?\*\*)")
NBSP = "\u00a0"
UNIT = (r"%|‰|°C|m2\b|m²|m³|EUR|€|tCO2|tCO₂|kg|[kMGT]?Wh|[kMGT]?Wp|[kMGT]?W\b|h\b|yr\b|years?\b|homes?\b|"
        r"panels?\b|units?\b|systems?\b|cycles?\b|full cycles|households?\b|flats?\b")
NUMBER_UNIT = re.compile(rf"(?<![\w.,])([−+-]?\d[\d,.]*)[ \u00a0]+(?=(?:{UNIT}))")
TABLE_SIZES = (7.5, 7.0, 6.5, 6.0, 5.5)
PAD = 0.9


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
        self.cell(0, 5, t("{city} — {kind} — {date} — page {page}/{pages}").format(
            city=b.city_name, kind=t(b.kind), date=b.date, page=self.page_no(), pages="{nb}"), align="C")
        self.set_text_color(0, 0, 0)


def _plain(text: str) -> str:
    """Markdown emphasis other than bold dropped (``*x*`` and backticks)."""
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)\*(?!\w)", r"\1", text)
    return text.replace("`", "")


def keep_together(text: str) -> str:
    """A number and the unit after it joined by a non-breaking space (``11,881 kWp`` never splits across lines)."""
    return NUMBER_UNIT.sub(lambda m: m.group(1) + NBSP, text)


def _rich(pdf: _Pdf, text: str, size: float = 9.5, height: float = 4.6) -> None:
    """Flowing text with **bold** spans, wrapped at spaces within the margins, numbers kept with their units."""
    for part in BOLD.split(keep_together(text)):
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
    pdf.multi_cell(0, size * 0.5, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(1)


def _title_block(pdf: _Pdf, brief: Brief) -> None:
    """Left-aligned title, then one line each: what this is, city, date, knowledge-base version, language."""
    pdf.set_font(FONT, "B", 16)
    pdf.set_text_color(*BLUE)
    pdf.multi_cell(0, 7.2, brief.title, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(1)
    pdf.set_font(FONT, "", 9.5)
    pdf.multi_cell(0, 4.6, what_this_is(brief), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)
    for key, value in meta_lines(brief, pdf=True):
        _rich(pdf, f"**{key}:** {value}", size=8.5, height=4.2)
    if records_note(brief):
        pdf.set_font(FONT, "", 8.5)
        pdf.multi_cell(0, 4.2, records_note(brief), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(*BLUE)
    pdf.set_line_width(0.4)
    pdf.line(pdf.l_margin, pdf.get_y() + 1.5, pdf.w - pdf.r_margin, pdf.get_y() + 1.5)
    pdf.set_line_width(0.2)
    pdf.ln(3)


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


def _cells(table: Table) -> tuple[list[str], list[list[str]]]:
    """Header and rows as the PDF prints them: plain text, numbers joined to their units."""
    header = [keep_together(h) for h in table.header]
    rows = [[keep_together(_plain(c.replace("**", ""))) for c in row] for row in table.rows]
    return header, rows


def column_widths(pdf: FPDF, header: list[str], rows: list[list[str]], total: float) -> tuple[float, list[float]]:
    """(font size, column widths) so that no word of a header or cell is broken: each column is at least as wide as
    its longest word (a number with its unit is one word), the font shrinks until those minimums fit, and the rest
    of the width goes to the columns whose text would otherwise wrap most."""
    mins: list[float] = []
    wants: list[float] = []
    size = TABLE_SIZES[0]
    for size in TABLE_SIZES:
        mins, wants = [], []
        for i, h in enumerate(header):
            pdf.set_font(FONT, "B", size)
            words = [pdf.get_string_width(w) for w in h.split()] or [0.0]
            whole = [pdf.get_string_width(h)]
            pdf.set_font(FONT, "", size)
            for r in rows:
                c = r[i] if i < len(r) else ""
                words += [pdf.get_string_width(w) for w in c.split()]
                whole.append(pdf.get_string_width(c))
            mins.append(max(words) + 2 * PAD + 0.6)
            wants.append(max(whole) + 2 * PAD + 0.6)
        if sum(mins) <= total:
            break
    if sum(mins) > total:  # even the smallest font cannot hold every word whole: share the width by need
        return size, [total * m / sum(mins) for m in mins]
    extra = total - sum(mins)
    need = [max(w - m, 0.0) for w, m in zip(wants, mins, strict=True)]
    if sum(need) <= extra:  # everything fits on one line: spread the rest evenly by content
        spare = extra - sum(need)
        return size, [w + spare * w / sum(wants) for w in wants]
    return size, [m + extra * n / sum(need) for m, n in zip(mins, need, strict=True)]


def _table(pdf: _Pdf, table: Table) -> None:
    header, rows = _cells(table)
    size, widths = column_widths(pdf, header, rows, pdf.epw)
    pdf.set_font(FONT, "", size)
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.15)
    with pdf.table(col_widths=widths, width=pdf.epw, text_align="LEFT", line_height=size * 0.5, padding=PAD,
                   first_row_as_headings=True, borders_layout="HORIZONTAL_LINES", cell_fill_mode="NONE",
                   v_align="TOP",
                   headings_style=FontFace(family=FONT, emphasis="BOLD", size_pt=size, fill_color=HEAD_SHADE)) as t:
        head = t.row()
        for h in header:
            head.cell(h)
        for row in rows:
            r = t.row()
            for c in row:
                r.cell(c)
    pdf.set_line_width(0.2)
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
    pdf.set_fill_color(255, 255, 255)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_y(y0 + h * k + 2)
    pdf.set_font(FONT, "", 8)
    caption = ((chart.caption or chart.title) if isinstance(chart, XYChart)
               else t("Band from P10 to P90, line at P50; each output on its own scale."))
    pdf.multi_cell(0, 3.8, keep_together(_plain(caption.replace("**", ""))), align="L", new_x=XPos.LMARGIN,
                   new_y=YPos.NEXT)
    pdf.ln(2)


def _sources(pdf: _Pdf, brief: Brief) -> None:
    """Each source as one whole entry, its number hanging: title — publisher, year. URL (linked)."""
    _heading(pdf, t("Sources"), 2)
    left = pdf.l_margin
    for s in brief.sources:
        pdf.set_font(FONT, "", 8.5)
        if pdf.get_y() > pdf.h - pdf.b_margin - 9:
            pdf.add_page()
        pdf.set_x(left)
        pdf.write(4.2, f"{s.n}.")
        pdf.set_left_margin(left + 7)
        pdf.set_x(left + 7)
        extra = ", ".join(x for x in (s.publisher, s.year) if x)
        pdf.write(4.2, f"{s.title}" + (f" — {extra}" if extra else "") + ".")
        if s.url:
            pdf.write(4.2, " ")
            pdf.set_text_color(*BLUE)
            pdf.write(4.2, s.url, link=s.url)
            pdf.set_text_color(0, 0, 0)
        if s.origin:
            pdf.set_text_color(110, 110, 110)
            pdf.write(4.2, f" ({s.origin})")
            pdf.set_text_color(0, 0, 0)
        pdf.ln(4.2)
        pdf.set_left_margin(left)
        pdf.ln(1.2)


@in_its_language
def to_pdf(brief: Brief) -> bytes:
    """The brief as PDF bytes (deterministic for a given brief)."""
    pdf = _Pdf(brief)
    pdf.set_title(brief.title)
    pdf.set_author("ATELIER PED knowledge base")
    pdf.set_lang(brief.lang)
    day = dt.datetime.strptime(brief.date, "%Y-%m-%d").replace(tzinfo=dt.UTC)
    pdf.set_creation_date(day)
    pdf.add_page()
    _title_block(pdf, brief)
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
    _sources(pdf, brief)
    return bytes(pdf.output())
