"""Query cleaning and highlighted snippets as structured spans, with escape-safe rendering helpers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.search.glossary_terms import FUNCTION_WORDS
from kb.text import escape_markdown

MAX_QUERY_CHARS = 2_000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
STOPWORDS = frozenset(
    "a an and are as at be but by for from has have he her his i if in into is it its no not of on or our "
    "she so such that the their them then there these they this to was we were what when which who will "
    "with you your".split())
FUNCTION_WORDS_ALL = frozenset(w for words in FUNCTION_WORDS.values() for w in words.split())
"""The function words of every glossary language (Polish "dla", "jak", Danish "og", ...): never highlighted."""
MIN_HIT_CHARS = 3
"""A highlighted term has at least this many characters: Polish "z", "w", "i" or English "of" are never marked."""
_LIST_MARK = re.compile(r"(^|\n)[ \t]*(?:[-*+]|\d+[.)])[ \t]+")


def highlightable(term: str) -> bool:
    """Whether a matched term is marked in a snippet: a whole word of 3+ characters that is not a stop-word."""
    t = term.strip().lower()
    return len(t) >= MIN_HIT_CHARS and t not in STOPWORDS and t not in FUNCTION_WORDS_ALL


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
    """Split text with ``start``/``end`` markers into spans; stray markers are dropped, list marks removed, and only
    ``highlightable`` terms stay marked."""
    marked = _LIST_MARK.sub(r"\1", marked)
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
                  sp.hit and highlightable(sp.text)) for sp in spans]
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
    """The opening of a text (list marks removed), cut at a word boundary, as one unhighlighted span."""
    body = " ".join(_LIST_MARK.sub(r"\1", text).split())
    if len(body) > chars:
        cut = body.rfind(" ", 0, chars)
        body = body[: cut if cut > chars // 2 else chars] + "…"
    return [Span(body)] if body else []


def spans_text(spans: list[Span], mark: str = "**") -> str:
    """Spans as plain text with hits wrapped in ``mark`` (``""`` for no marking)."""
    return "".join(f"{mark}{s.text}{mark}" if s.hit and mark else s.text for s in spans)


def spans_markup(spans: list[Span]) -> str:
    """Escape-safe markup: every span escaped, hits wrapped in ``<mark>``; safe for ``unsafe_allow_html``."""
    return "".join(f"<mark>{escape_markdown(s.text)}</mark>" if s.hit else escape_markdown(s.text)
                   for s in spans)
