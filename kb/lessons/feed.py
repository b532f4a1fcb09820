"""Atom feeds of published lessons per selection (city, measure type, barrier type), written with feedgen."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

from feedgen.feed import FeedGenerator
from sqlalchemy import Engine

from kb.accounts import ANONYMOUS
from kb.errors import InvalidInput
from kb.lessons.format import SECTIONS, Lesson
from kb.lessons.service import list_lessons, reference_options
from kb.records import vocab

__all__ = ["DEFAULT_BASE_URL", "LESSON_PAGE", "LESSONS_PAGE", "TAG_AUTHORITY", "FeedSelectionInvalid", "Selection",
           "atom_feed", "check_selection", "lesson_url", "selection_words", "feed_file_name",
           "select_lessons"]

DEFAULT_BASE_URL = "http://localhost:8501"
"""Where the app runs when nothing else is said (Streamlit's default port)."""
LESSON_PAGE = "record"
"""The app page that shows one published lesson (``?id=…``): lessons are records of kind lesson (kb.ui.routes)."""
LESSONS_PAGE = "lessons"
"""The app page that lists lessons (the feed's alternate link)."""
TAG_AUTHORITY = "tag:atelier-kb,2026:"
"""Prefix of every id in the feeds (RFC 4151 tag URIs): stable whatever address the app is served from."""
SCHEMES = {"city": "city", "measure_type": "measure-type", "barrier_type": "barrier-type"}


class FeedSelectionInvalid(InvalidInput, ValueError):
    """A feed was asked for a city, measure type or barrier type that does not exist; the message lists the
    allowed values."""

    def __init__(self, what: str, value: str, allowed: Sequence[str]) -> None:
        self.what, self.value, self.allowed = what, value, list(allowed)
        shown = ", ".join(self.allowed) if self.allowed else "(none in the knowledge base)"
        super().__init__(f"unknown {what} '{value}'; choose one of: {shown}")


@dataclass(frozen=True)
class Selection:
    """What a feed follows; empty fields follow everything. Values are record ids (city, measure type) and the
    barrier-type keyword."""

    city: str = ""
    measure_type: str = ""
    barrier_type: str = ""

    def params(self) -> dict[str, str]:
        """The selection as query parameters (``city``, ``measure_type``, ``barrier_type``), only those set."""
        return {k: v for k, v in (("city", self.city), ("measure_type", self.measure_type),
                                  ("barrier_type", self.barrier_type)) if v}


def check_selection(engine: Engine, city: str | None = None, measure_type: str | None = None,
                    barrier_type: str | None = None) -> tuple[Selection, dict[str, dict[str, str]]]:
    """The selection, checked against the knowledge base (:class:`FeedSelectionInvalid` names the allowed
    values), and the titles of cities and measure types by id."""
    opts = reference_options(engine)
    titles = {"city": dict(opts["city"]), "measure_type": dict(opts["measure_type"])}
    sel = Selection((city or "").strip(), (measure_type or "").strip(), (barrier_type or "").strip().lower())
    if sel.city and sel.city not in titles["city"]:
        raise FeedSelectionInvalid("city", sel.city, sorted(titles["city"]))
    if sel.measure_type and sel.measure_type not in titles["measure_type"]:
        raise FeedSelectionInvalid("measure type", sel.measure_type, sorted(titles["measure_type"]))
    if sel.barrier_type and sel.barrier_type not in vocab.BARRIER_TYPES:
        raise FeedSelectionInvalid("barrier type", sel.barrier_type, vocab.BARRIER_TYPES)
    return sel, titles


def selection_words(sel: Selection, titles: dict[str, dict[str, str]]) -> str:
    """The selection in words, e.g. ``city Bilbao, measure type Thermal network`` (``all lessons`` when empty)."""
    parts = []
    if sel.city:
        parts.append(f"city {titles['city'].get(sel.city, sel.city)}")
    if sel.measure_type:
        parts.append(f"measure type {titles['measure_type'].get(sel.measure_type, sel.measure_type)}")
    if sel.barrier_type:
        parts.append(f"{sel.barrier_type} barriers")
    return ", ".join(parts) or "all lessons"


def lesson_url(base_url: str, lesson_id: str) -> str:
    """The address of a lesson in the app (the record page with ``?id=``)."""
    return f"{base_url.rstrip('/')}/{LESSON_PAGE}?{urlencode({'id': lesson_id})}"


def feed_file_name(sel: Selection) -> str:
    """A file name for the feed of a selection, e.g. ``lessons-city-bilbao.atom``."""
    parts = [f"{SCHEMES[k]}-{v}" for k, v in sel.params().items()]
    return "-".join(["lessons", *parts]) + ".atom"


def _scheme(facet: str) -> str:
    return f"{TAG_AUTHORITY}{SCHEMES[facet]}"


def _feed_id(sel: Selection) -> str:
    parts = [f"{SCHEMES[k]}={quote(v, safe='')}" for k, v in sel.params().items()]
    return TAG_AUTHORITY + "lessons" + ("/" + "/".join(parts) if parts else "")


def select_lessons(engine: Engine, sel: Selection) -> list[Lesson]:
    """The published lessons of a selection, newest change first."""
    found = list_lessons(engine, ANONYMOUS, status="published", city=sel.city or None,
                         barrier_type=sel.barrier_type or None)
    found = [les for les in found if les.status == "published"]  # whatever the caller may otherwise see
    if sel.measure_type:
        found = [les for les in found if sel.measure_type in les.measure_types]
    return sorted(found, key=lambda les: (les.updated_at, les.id), reverse=True)


Render = Callable[[str], str]
"""User Markdown → safe HTML (``kb.views.markdown.render_markdown_safe``: raw HTML escaped, http(s) links only)."""


def _content(les: Lesson, render: Render | None) -> tuple[str, str]:
    """The whole lesson as the entry's content: HTML when a safe renderer is given, else plain text."""
    parts = [(title, les.outcome_text() if attr == "outcome_note" else getattr(les, attr)) for title, attr in SECTIONS]
    sources = [f"[{x['id']}] {x['title']}" + (f" — {x['publisher']}" if x.get("publisher") else "")
               + (f" ({x['url']})" if x.get("url") else "") for x in les.sources]
    if render is None:
        text = "\n\n".join(f"{title}\n{body}" for title, body in parts if body)
        return text + ("\n\nSources\n" + "\n".join(sources) if sources else ""), "text"
    out = "".join(f"<h3>{html.escape(title)}</h3>\n{render(body)}" for title, body in parts if body)
    if sources:
        out += "<h3>Sources</h3>\n<ul>" + "".join(f"<li>{html.escape(x)}</li>" for x in sources) + "</ul>"
    return out, "html"


def atom_feed(engine: Engine, city: str | None = None, measure_type: str | None = None,
              barrier_type: str | None = None, base_url: str = DEFAULT_BASE_URL, self_url: str | None = None,
              now: datetime | None = None, render: Render | None = None) -> bytes:
    """The Atom feed (UTF-8 XML) of the published lessons matching the selection, newest change first.

    Each entry's id is a tag URI of the lesson id (stable across edits and addresses); ``updated`` is the lesson's
    last change, so a feed reader shows an edited lesson again. Categories carry the city, measure types and
    barrier type (schemes ``city``, ``measure-type``, ``barrier-type``). ``self_url`` is the feed's own address
    when it is served over HTTP. The entry's content is the whole lesson, as HTML made by ``render`` (give a safe
    renderer) or else as plain text. Raises :class:`FeedSelectionInvalid` for an unknown city or type.
    """
    sel, titles = check_selection(engine, city, measure_type, barrier_type)
    found = select_lessons(engine, sel)
    base = base_url.rstrip("/") or DEFAULT_BASE_URL
    fg = FeedGenerator()
    fg.id(_feed_id(sel))
    fg.title(f"ATELIER lessons learned: {selection_words(sel, titles)}")
    fg.subtitle("Published lessons learned of the ATELIER Positive Energy District knowledge base"
                + (f" ({selection_words(sel, titles)})" if sel.params() else "") + ", newest change first.")
    fg.author({"name": "ATELIER knowledge base"})
    fg.link(href=f"{base}/{LESSONS_PAGE}", rel="alternate", type="text/html")
    if self_url:
        fg.link(href=self_url, rel="self", type="application/atom+xml")
    fg.language("en")
    fg.generator("atelier-kb (feedgen)")
    fg.updated(found[0].updated_at if found else (now or datetime.now(UTC)))
    for les in found:
        e = fg.add_entry(order="append")
        e.id(f"{TAG_AUTHORITY}lesson/{quote(les.id, safe='')}")
        e.title(les.title)
        e.updated(les.updated_at)
        e.published(les.created_at)
        e.summary(les.summary, type="text")
        body, kind = _content(les, render)
        e.content(body, type=kind)
        e.author({"name": les.author or "ATELIER knowledge base"})
        e.link(href=lesson_url(base, les.id), rel="alternate", type="text/html")
        cats = [{"term": les.city, "scheme": _scheme("city"), "label": titles["city"].get(les.city, les.city)}]
        cats += [{"term": m, "scheme": _scheme("measure_type"), "label": titles["measure_type"].get(m, m)}
                 for m in les.measure_types]
        if les.barrier_type:
            cats.append({"term": les.barrier_type, "scheme": _scheme("barrier_type"),
                         "label": f"{les.barrier_type} barrier"})
        e.category(cats)
    out: bytes = fg.atom_str(pretty=True)
    return out
