"""Plain-text helpers shared by every layer: accent-folding, safe link targets, text escaped for Markdown."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, urlsplit


def fold(text: str) -> str:
    """Lowercase and strip accents, for matching names such as ``Kraków`` and ``krakow``."""
    nfkd = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L").replace("ø", "o"))
    return "".join(c for c in nfkd if not unicodedata.combining(c)).lower().strip()


def safe_url(url: str) -> str:
    """An http(s) URL with every character that could break Markdown percent-encoded; '' otherwise."""
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return ""
    if scheme not in ("http", "https"):
        return ""
    return quote(url.strip(), safe=":/?&=#%~+,;@!$*.-_")


# Markdown (CommonMark, GFM, Streamlit's directives, emoji and LaTeX) can start on these anywhere in a line.
_MD_ALWAYS = frozenset("\\`*[]{}#!|~$:^@<>&\r")
# ... and on these only as a line's first visible character (lists, thematic breaks, setext underlines).
_MD_LINE_START = frozenset("-+=")
_ORDERED_MARKER = re.compile(r"\d+[.)]")
_NAMED = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
# Control characters that are not text (and that no numeric entity may stand for): dropped.
_NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


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
