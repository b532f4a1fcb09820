"""Render a brief as Markdown (the canonical form) or as self-contained HTML (inline CSS, inline SVG, no script)."""

from __future__ import annotations

import re
from html import escape

from kb.briefs import charts
from kb.briefs.lang import in_its_language, t
from kb.briefs.model import Brief, BriefSource, Bullets, Heading, Paragraph, RangeChart, Table, XYChart
from kb.i18n import N_

CSS = """
body{font-family:"DejaVu Sans",Verdana,Arial,sans-serif;color:#222;max-width:52rem;margin:2rem auto;padding:0 1rem;
line-height:1.45}
h1{font-size:1.6rem;border-bottom:3px solid #1f4e79;padding-bottom:.3rem}h2{color:#1f4e79;margin-top:2rem}
h3{font-size:1.05rem}table{border-collapse:collapse;margin:.6rem 0;font-size:.88rem}
th,td{border:1px solid #ccc;padding:.25rem .45rem;text-align:left;vertical-align:top}th{background:#eef3f8}
.meta{list-style:none;padding:0}.meta li{margin:.1rem 0}figure{margin:1rem 0}figcaption{font-size:.85rem}
a.ref{text-decoration:none}ol.sources li{margin:.2rem 0;font-size:.9rem}.origin{color:#666}
"""


_DEFINITION = re.compile(r"^(\s{0,3}(?:[-*+]\s+)?)\[(?=[^\]]*\]:)", re.MULTILINE)


def _md(text: str) -> str:
    """Brief text as Markdown with no image, inline link, link definition or raw HTML: a title or record text such
    as ``![t](http://host/t.png)`` stays literal text, so no viewer of the file (nor the app's preview) fetches it.
    The brief's own markup (``**bold**``, ``*italic*``, ``[n]`` references) is kept."""
    text = text.replace("<", "&lt;").replace("![", "!\\[").replace("](", "]\\(")
    return _DEFINITION.sub(lambda m: m.group(1) + "\\[", text)


def _cell(text: str) -> str:
    return _md(text.replace("\\", "\\\\")).replace("|", "\\|").replace("\n", " ")


def source_line(s: BriefSource) -> str:
    """``Title — publisher, year. URL (origin)`` as plain text."""
    extra = ", ".join(x for x in (s.publisher, s.year) if x)
    line = s.title + (f" — {extra}" if extra else "") + "."
    if s.url:
        line += f" {s.url}"
    if s.origin:
        line += f" ({s.origin})"
    return line


RECORDS_LANGUAGE = N_("English (the knowledge-base records are written in English; quotes keep their own language)")
RECORDS_IN_ENGLISH = N_("The knowledge-base records are in English: the titles, summaries, barriers, lessons and "
                         "sources quoted in this brief keep their original wording; the headings, labels and "
                         "sentences around them are in the language of the brief.")


def records_note(brief: Brief) -> str:
    """The line saying that the records stay in English: shown only in a brief whose frame is in another language."""
    return t(RECORDS_IN_ENGLISH) if brief.lang != "en" else ""


def what_this_is(brief: Brief) -> str:
    """The one line under the title saying what the document is."""
    return brief.purpose or t("What this is: an estimate of what the solutions below would deliver if replicated in "
                              "{city}, made from the ATELIER PED knowledge base; every figure carries its evidence "
                              "level and a numbered source.").format(city=brief.city_name)


def meta_lines(brief: Brief, pdf: bool = False) -> list[tuple[str, str]]:
    """The title block's lines. The PDF's shows no record ids (its title names the solutions); the seed and the
    method are in the annex of every format."""
    sols = "; ".join(f"{title} ({sid})" for sid, title in brief.solutions)
    if pdf:
        return [(t("City"), brief.city_name), (t("Date"), brief.date), (t("Knowledge-base version"), brief.kb_version),
                (t("Language of the records"), t(RECORDS_LANGUAGE))]
    return [(t("City"), f"{brief.city_name} ({brief.city_id})"), (t("Solutions"), sols), (t("Date"), brief.date),
            (t("Knowledge-base version"), brief.kb_version), (t("Language of the records"), t(RECORDS_LANGUAGE))]


@in_its_language
def to_markdown(brief: Brief) -> str:
    """The canonical Markdown of the brief."""
    out = [f"# {_md(brief.title)}", "", _md(what_this_is(brief)), ""]
    out += [f"- **{k}:** {_md(v)}" for k, v in meta_lines(brief)]
    if records_note(brief):
        out += ["", f"*{_md(records_note(brief))}*"]
    for sec in brief.sections:
        out += ["", f"{'#' * sec.level} {_md(sec.title)}"]
        for b in sec.blocks:
            out.append("")
            if isinstance(b, Heading):
                out.append(f"{'#' * b.level} {_md(b.text)}")
            elif isinstance(b, Paragraph):
                out.append(_md(b.text))
            elif isinstance(b, Bullets):
                out += [f"- {_md(item)}" for item in b.items]
            elif isinstance(b, Table):
                out.append("| " + " | ".join(_cell(h) for h in b.header) + " |")
                out.append("|" + "---|" * len(b.header))
                out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in b.rows]
            elif isinstance(b, RangeChart):
                out += [t("*Figure: {title}* (the figures are in the table above)").format(title=_md(b.title)), "",
                        "```text",
                        *charts.text_bars(b), "```"]
            elif isinstance(b, XYChart):
                out += [t("*Figure: {title}* ({unit}; drawn in the HTML, PDF and DOCX briefs, sketched here)").format(
                    title=_md(b.title), unit=_md(b.y_label)), "", "```text", *charts.text_series(b), "```"]
                if b.caption:
                    out += ["", _md(b.caption)]
    out += ["", f"## {t('Sources')}", ""]
    out += [f"{s.n}. {_md(source_line(s))}" for s in brief.sources]
    return "\n".join(out) + "\n"


INLINE = [(re.compile(r"\*\*(.+?)\*\*"), r"<strong>\1</strong>"), (re.compile(r"(?<![\w*])\*(?!\s)(.+?)\*(?!\w)"),
                                                                     r"<em>\1</em>"),
          (re.compile(r"`([^`]+)`"), r"<code>\1</code>")]
REFS = re.compile(r"\[(\d+(?:; \d+)*)\]")


def inline_html(text: str) -> str:
    """Escaped text with **bold**, *italic*, `code` and ``[n]`` links to the numbered sources."""
    html = escape(text, quote=True)
    for pattern, repl in INLINE:
        html = pattern.sub(repl, html)
    return REFS.sub(lambda m: "[" + "; ".join(f'<a class="ref" href="#src-{n}">{n}</a>'
                                              for n in m.group(1).split("; ")) + "]", html)


@in_its_language
def to_html(brief: Brief) -> str:
    """A self-contained HTML page: inline CSS and SVG, links only to the numbered sources."""
    out = ["<!DOCTYPE html>", f'<html lang="{escape(brief.lang, quote=True)}">', "<head>", '<meta charset="utf-8">',
           f"<title>{escape(brief.title)}</title>", f"<style>{CSS}</style>", "</head>", "<body>", "<main>",
           f"<h1>{escape(brief.title)}</h1>", f"<p>{escape(what_this_is(brief))}</p>", '<ul class="meta">']
    out += [f"<li><strong>{escape(k)}:</strong> {escape(v)}</li>" for k, v in meta_lines(brief)]
    out.append("</ul>")
    if records_note(brief):
        out.append(f"<p><em>{escape(records_note(brief))}</em></p>")
    for sec in brief.sections:
        out.append(f"<section><h{sec.level}>{escape(sec.title)}</h{sec.level}>")
        for b in sec.blocks:
            if isinstance(b, Heading):
                out.append(f"<h{b.level}>{escape(b.text)}</h{b.level}>")
            elif isinstance(b, Paragraph):
                out.append(f"<p>{inline_html(b.text)}</p>")
            elif isinstance(b, Bullets):
                out.append("<ul>" + "".join(f"<li>{inline_html(i)}</li>" for i in b.items) + "</ul>")
            elif isinstance(b, Table):
                head = "".join(f"<th>{escape(h)}</th>" for h in b.header)
                rows = "".join("<tr>" + "".join(f"<td>{inline_html(c)}</td>" for c in row) + "</tr>" for row in b.rows)
                out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
            elif isinstance(b, RangeChart):
                out.append(f"<figure>{charts.to_svg(b)}<figcaption>" + t(
                    "{title}: band from P10 to P90, line at P50; each output on its own scale.").format(
                    title=inline_html(b.title)) + "</figcaption></figure>")
            elif isinstance(b, XYChart):
                out.append(f"<figure>{charts.to_svg(b)}<figcaption>{inline_html(b.caption or b.title)}"
                           "</figcaption></figure>")
        out.append("</section>")
    out += [f"<section><h2>{escape(t('Sources'))}</h2>", '<ol class="sources">']
    for s in brief.sources:
        extra = ", ".join(x for x in (s.publisher, s.year) if x)
        item = escape(s.title) + (f" — {escape(extra)}" if extra else "") + "."
        if s.url:
            item += f' <a href="{escape(s.url, quote=True)}" rel="noopener noreferrer">{escape(s.url)}</a>'
        if s.origin:
            item += f' <span class="origin">({escape(s.origin)})</span>'
        out.append(f'<li id="src-{s.n}">{item}</li>')
    out += ["</ol></section>", "</main>", "</body>", "</html>"]
    return "\n".join(out) + "\n"
