"""Render a brief as DOCX (python-docx) for editing: headings, tables, bold runs, the charts as PNG images."""

from __future__ import annotations

import io
import re

from docx import Document
from docx.shared import Cm, Pt
from docx.text.paragraph import Paragraph as DocxParagraph

from kb.briefs import charts
from kb.briefs.lang import in_its_language, t
from kb.briefs.model import Brief, Bullets, Heading, Paragraph, RangeChart, Table, XYChart
from kb.briefs.render import meta_lines, records_note, source_line, what_this_is

BOLD = re.compile(r"(\*\*.+?\*\*)")


def _runs(par: DocxParagraph, text: str) -> None:
    for part in BOLD.split(text):
        if not part:
            continue
        bold = part.startswith("**") and part.endswith("**") and len(part) > 4
        clean = re.sub(r"(?<![\w*])\*(?!\s)(.+?)\*(?!\w)", r"\1", part[2:-2] if bold else part).replace("`", "")
        par.add_run(clean).bold = bold


def chart_png(chart: RangeChart) -> bytes:
    """The range chart drawn with matplotlib's Agg backend, as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(chart.bars)
    fig, axes = plt.subplots(n, 1, figsize=(6.4, 0.75 * n + 0.5), squeeze=False)
    for ax, bar in zip(axes[:, 0], chart.bars, strict=True):
        lo, hi = min(0.0, bar.p10), max(0.0, bar.p90, bar.p50)
        ax.barh([0], [bar.p90 - bar.p10], left=[bar.p10], height=0.5, color="#8fb8de")
        ax.axvline(bar.p50, color="#1f4e79", linewidth=2)
        ax.set_xlim(lo, hi * 1.1 or 1.0)
        ax.set_yticks([])
        ax.set_ylabel(f"{bar.label} {bar.ref}\n{bar.unit}", rotation=0, ha="right", va="center", fontsize=8)
        ax.tick_params(axis="x", labelsize=7)
    fig.suptitle(chart.title, fontsize=9)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


ANCHOR = {"start": "left", "middle": "center", "end": "right"}


def xy_png(chart: XYChart) -> bytes:
    """The x–y chart drawn with matplotlib's Agg backend from the same shapes as the SVG and PDF, as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Polygon, Rectangle

    w, h, shapes = charts.layout_xy(chart)
    fig = plt.figure(figsize=(w / 100, h / 100))  # one layout unit = 1/100 inch = 0.72 pt
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(0, w)
    ax.set_ylim(h, 0)
    ax.axis("off")
    for s in shapes:
        if isinstance(s, charts.Rect):
            ax.add_patch(Rectangle((s.x, s.y), s.w, s.h, facecolor=s.fill, edgecolor="none"))
        elif isinstance(s, charts.Line):
            ax.plot([s.x1, s.x2], [s.y1, s.y2], color=s.stroke, linewidth=s.width * 0.72)
        elif isinstance(s, charts.Poly):
            if s.fill:
                ax.add_patch(Polygon(list(s.points), closed=True, facecolor=s.fill, edgecolor="none"))
            else:
                ax.plot([p[0] for p in s.points], [p[1] for p in s.points], color=s.stroke,
                        linewidth=s.width * 0.72)
        else:
            ax.text(s.x, s.y, s.text, fontsize=s.size * 0.72, ha=ANCHOR.get(s.anchor, "left"), va="baseline",
                    fontweight="bold" if s.bold else "normal", color=charts.TEXT)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


@in_its_language
def to_docx(brief: Brief) -> bytes:
    """The brief as a Word document."""
    doc = Document()
    doc.styles["Normal"].font.name = "DejaVu Sans"
    doc.styles["Normal"].font.size = Pt(10)
    doc.core_properties.title = brief.title[:250]
    doc.core_properties.author = "ATELIER PED knowledge base"
    doc.add_heading(brief.title, level=1)
    doc.add_paragraph(what_this_is(brief))
    for key, value in meta_lines(brief):
        _runs(doc.add_paragraph(), f"**{key}:** {value}")
    if records_note(brief):
        doc.add_paragraph(records_note(brief)).runs[0].italic = True
    for sec in brief.sections:
        doc.add_heading(sec.title, level=sec.level)
        for b in sec.blocks:
            if isinstance(b, Heading):
                doc.add_heading(b.text, level=b.level)
            elif isinstance(b, Paragraph):
                _runs(doc.add_paragraph(), b.text)
            elif isinstance(b, Bullets):
                for item in b.items:
                    _runs(doc.add_paragraph(style="List Bullet"), item)
            elif isinstance(b, Table):
                tbl = doc.add_table(rows=1, cols=len(b.header))
                tbl.style = "Table Grid"
                for cell, h in zip(tbl.rows[0].cells, b.header, strict=True):
                    cell.text = ""
                    cell.paragraphs[0].add_run(h).bold = True
                for row in b.rows:
                    for cell, c in zip(tbl.add_row().cells, row, strict=True):
                        _runs(cell.paragraphs[0], c)
            elif isinstance(b, RangeChart):
                doc.add_picture(io.BytesIO(chart_png(b)), width=Cm(16))
            elif isinstance(b, XYChart):
                doc.add_picture(io.BytesIO(xy_png(b)), width=Cm(16))
                if b.caption:
                    _runs(doc.add_paragraph(), b.caption)
    doc.add_heading(t("Sources"), level=2)
    for s in brief.sources:
        doc.add_paragraph(f"{s.n}. {source_line(s)}")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
