"""Safe rendering of user-written Markdown: raw HTML escaped, no remote images, links only to http(s) pages."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

__all__ = ["image_placeholder", "render_markdown_safe"]

_WEB = re.compile(r"^https?://", re.IGNORECASE)
_PRE = re.compile(r"(<pre\b.*?</pre>)", re.DOTALL)
_LINE_BREAKS = re.compile(r"[\r\n]+")

def image_placeholder(alt: str) -> str:
    """What a reader sees instead of a Markdown image: its alt text, nothing fetched."""
    alt = " ".join(alt.split())
    return f"[image: {alt}]" if alt else "[image]"


def _plain(tokens: list[Token] | None) -> str:
    """The text of inline tokens (an image's alt text)."""
    out = []
    for t in tokens or []:
        if t.type in ("text", "text_special", "code_inline"):
            out.append(t.content)
        elif t.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif t.children:
            out.append(_plain(t.children))
    return "".join(out)


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _inert_media(state: StateCore) -> None:
    """Core rule: images become placeholder text; links to anything but http(s) become their text."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        kept: list[bool] = []  # for each open link: was it kept?
        for tok in block.children:
            if tok.type == "image":
                children.append(_text(image_placeholder(_plain(tok.children))))
            elif tok.type == "link_open":
                keep = bool(_WEB.match(str(tok.attrGet("href") or "")))
                kept.append(keep)
                if keep:
                    children.append(tok)
            elif tok.type == "link_close":
                if kept.pop() if kept else True:
                    children.append(tok)
            else:
                children.append(tok)
        block.children = children


_MD = MarkdownIt("js-default")
_MD.core.ruler.push("inert_media", _inert_media)


def _one_line(html: str) -> str:
    """The HTML on one line: Streamlit parses ``st.markdown`` text as Markdown again, and a blank line (from a
    code block or a whitespace-only line) would end the HTML block and let the rest be read as Markdown."""
    parts = _PRE.split(html)
    for i, part in enumerate(parts):
        if i % 2:  # inside <pre>: keep the line breaks, as entities
            parts[i] = part.replace("\r", "&#13;").replace("\n", "&#10;")
        else:  # between blocks and inside paragraphs a line break is only white space
            parts[i] = _LINE_BREAKS.sub(" ", part)
    return "".join(parts).strip()


def render_markdown_safe(text: str) -> str:
    """HTML for user Markdown, safe for ``st.markdown(..., unsafe_allow_html=True)`` and in any page.

    The ``js-default`` preset escapes raw HTML (``<script>``, ``<img onerror>`` are shown as text) and refuses
    ``javascript:``/``vbscript:``/``file:``/``data:`` link targets. On top of that an image is never emitted (its
    alt text is shown as ``[image: alt]``, so no reader's browser fetches a remote URL), a link keeps working only
    to an http(s) address (Streamlit opens it in a new tab with ``rel="noopener noreferrer"``), and the result is
    one line of HTML.
    """
    html: str = _MD.render(text or "")
    return _one_line(html)
