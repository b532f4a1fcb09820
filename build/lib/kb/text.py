"""Plain-text helpers shared by every layer: accent-folding for name matching, and safe link targets."""

from __future__ import annotations

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
