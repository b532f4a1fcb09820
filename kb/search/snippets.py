"""Query cleaning and highlighted snippets as structured spans, with escape-safe rendering helpers."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_QUERY_CHARS = 2_000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Markdown (CommonMark, GFM, Streamlit's directives, emoji and LaTeX) can start on these anywhere in a line.
_MD_ALWAYS = frozenset("\\`*[]{}#!|~$:^@<>&\r")
# ... and on these only as a line's first visible character (lists, thematic breaks, setext underlines).
_MD_LINE_START = frozenset("-+=")
_ORDERED_MARKER = re.compile(r"\d+[.)]")
_NAMED = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
# Control characters that are not text (and that no numeric entity may stand for): dropped.
_NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


STOPWORDS = frozenset(
    "a an and are as at be but by for from has have he her his i if in into is it its no not of on or our "
    "she so such that the their them then there these they this to was we were what when which who will "
    "with you your".split())


@dataclass(frozen=True)
class Span:
    """A piece of snippet text; ``hit`` marks a query term."""

    text: str
    hit: bool = False


def clean_query(query: object) -> str:
    """Any input → a bounded, printable string (control characters become spaces)."""
    s = query if isinstance(query, str) else ("" if query is None else str(query))
    s = s.encode("utf-8", "replace").decode("utf-8", "replace")
    s = _CONTROL.sub(" ", s[: MAX_QUERY_CHARS * 2])
    return " ".join(s.split())[:MAX_QUERY_CHARS]


def parse_marked(marked: str, start: str = "\x02", end: str = "\x03") -> list[Span]:
    """Split text with ``start``/``end`` markers into spans; stray markers are dropped."""
    spans: list[Span] = []
    hit = False
    buf: list[str] = []
    for ch in marked:
        if ch in (start, end):
            if buf:
                spans.append(Span("".join(buf), hit))
                buf = []
            hit = ch == start
        else:
            buf.append(ch)
    if buf:
        spans.append(Span("".join(buf), hit))
    spans = [Span(" ".join(sp.text.split("\n")) if "\n" in sp.text else sp.text,
                  sp.hit and sp.text.strip().lower() not in STOPWORDS) for sp in spans]
    return _merge(spans)


def drop_header(marked: str, section: str) -> str:
    """Remove a chunk's ``title — section`` first line (possibly cut by the snippet) from a snippet."""
    first, sep, rest = marked.partition("\n")
    plain = first.replace("\x02", "").replace("\x03", "").rstrip()
    if sep and plain.endswith(f"— {section}"):
        return rest
    return marked


def _merge(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for sp in spans:
        if out and out[-1].hit == sp.hit:
            out[-1] = Span(out[-1].text + sp.text, sp.hit)
        elif sp.text:
            out.append(sp)
    return out


def plain_snippet(text: str, chars: int = 220) -> list[Span]:
    """The opening of a text, cut at a word boundary, as one unhighlighted span."""
    body = " ".join(text.split())
    if len(body) > chars:
        cut = body.rfind(" ", 0, chars)
        body = body[: cut if cut > chars // 2 else chars] + "…"
    return [Span(body)] if body else []


def spans_text(spans: list[Span], mark: str = "**") -> str:
    """Spans as plain text with hits wrapped in ``mark`` (``""`` for no marking)."""
    return "".join(f"{mark}{s.text}{mark}" if s.hit and mark else s.text for s in spans)


def escape_markdown(text: str) -> str:
    """Plain text as Markdown source that shows exactly that text: no link, image, HTML, emphasis or directive.

    Control characters become numeric entities (safe also with ``unsafe_allow_html``): everywhere ``\\ ` * [ ] { }
    # ! | ~ $ : ^ @ < > &``; a line's leading ``- + =`` and ordered-list marker; ``_`` unless inside a word
    (``pv_yield`` stays readable); the ``.`` of ``www.`` (GFM autolinks); leading and trailing white space of each
    line (indented code, hard breaks). Line breaks stay line breaks; control characters other than tab, form feed
    and line breaks are dropped.
    """
    return "\n".join(_escape_line(line) for line in _NOT_TEXT.sub("", text or "").split("\n"))


def _entity(ch: str) -> str:
    return _NAMED.get(ch) or f"&#{ord(ch)};"


def _escape_line(line: str) -> str:
    n = len(line)
    first = n - len(line.lstrip())
    last = len(line.rstrip())  # index after the last visible character
    marker = _ORDERED_MARKER.match(line, first)
    marker_at = marker.end() - 1 if marker else -1
    out = []
    for i, ch in enumerate(line):
        if i < first or i >= last or ch in _MD_ALWAYS or i == marker_at or (i == first and ch in _MD_LINE_START):
            out.append(_entity(ch))
        elif ch == "_" and not (0 < i < n - 1 and line[i - 1].isalnum() and line[i + 1].isalnum()):
            out.append(_entity(ch))
        elif ch == "." and line[max(0, i - 3):i].lower() == "www":
            out.append(_entity(ch))
        else:
            out.append(ch)
    return "".join(out)


def spans_markup(spans: list[Span]) -> str:
    """Escape-safe markup: every span escaped, hits wrapped in ``<mark>``; safe for ``unsafe_allow_html``."""
    return "".join(f"<mark>{escape_markdown(s.text)}</mark>" if s.hit else escape_markdown(s.text)
                   for s in spans)
