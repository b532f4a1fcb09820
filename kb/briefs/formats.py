"""The brief's output formats: Markdown, HTML, PDF and DOCX as bytes, with MIME type and file extension."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kb.briefs.model import Brief
from kb.errors import InvalidInput


class UnknownFormat(InvalidInput, ValueError):
    """The name is not one of :data:`FORMATS`."""


@dataclass(frozen=True)
class Format:
    name: str
    label: str
    mime: str
    extension: str


FORMATS: dict[str, Format] = {
    "md": Format("md", "Markdown", "text/markdown", "md"),
    "html": Format("html", "HTML", "text/html", "html"),
    "pdf": Format("pdf", "PDF", "application/pdf", "pdf"),
    "docx": Format("docx", "Word (DOCX)", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                   "docx"),
}


def _renderer(name: str) -> Callable[[Brief], bytes]:
    if name == "md":
        from kb.briefs.render import to_markdown

        return lambda b: to_markdown(b).encode("utf-8")
    if name == "html":
        from kb.briefs.render import to_html

        return lambda b: to_html(b).encode("utf-8")
    if name == "pdf":
        from kb.briefs.pdf import to_pdf

        return to_pdf
    if name == "docx":
        from kb.briefs.docx import to_docx

        return to_docx
    raise UnknownFormat(f"unknown brief format '{name}' (choose from {', '.join(FORMATS)})")


def render(brief: Brief, fmt: str) -> bytes:
    """The brief in format ``fmt`` (``md``, ``html``, ``pdf`` or ``docx``)."""
    return _renderer(fmt)(brief)


def file_name(brief: Brief, fmt: str) -> str:
    return f"{brief.file_stem()}.{FORMATS[fmt].extension}"
