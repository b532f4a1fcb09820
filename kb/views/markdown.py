"""Safe rendering of user-written Markdown: raw HTML escaped, script links refused (markdown-it ``js-default``)."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

_MD = MarkdownIt("js-default")


def render_markdown_safe(text: str) -> str:
    """HTML for user Markdown: ``<script>``, ``<img onerror>`` are escaped and ``javascript:`` links left as text.

    The ``js-default`` preset disables raw HTML and validates link targets (no ``javascript:``, ``vbscript:``,
    ``file:`` or non-image ``data:`` URLs), so the result is inert whatever the input.
    """
    html: str = _MD.render(text or "")
    return html


_MD_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def escape_md(text: str) -> str:
    """Backslash-escape Markdown control characters so a one-line string (a title, a name) shows as typed."""
    return _MD_SPECIALS.sub(r"\\\1", text or "")
