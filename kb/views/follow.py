"""Following lessons from the app: the feed of a selection as a download, the command that prints it, the base URL."""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

from sqlalchemy import Engine

from kb.lessons import feed
from kb.views.markdown import render_markdown_safe

__all__ = ["FeedDownload", "FeedResponse", "base_url_of", "feed_command", "feed_download", "feed_response",
           "feed_url", "FEED_MIME", "FEED_PATH", "QUERY_KEYS"]

FEED_MIME = "application/atom+xml"
FEED_PATH = "/kb-feeds/lessons.atom"
"""Where the app serves the feeds (kb/web/feeds.py), below Streamlit's ``server.baseUrlPath``."""


def base_url_of(page_url: str | None, page_path: str) -> str:
    """The app's own address from the address of one of its pages (``st.context.url``), without the page's path,
    query and fragment: ``https://kb.example.org/app/lessons?x=1`` → ``https://kb.example.org/app``. Anything that is
    not an http(s) address gives :data:`kb.lessons.feed.DEFAULT_BASE_URL`."""
    parts = urlsplit(page_url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return feed.DEFAULT_BASE_URL
    path = parts.path.rstrip("/")
    if path.endswith("/" + page_path):
        path = path[: -len(page_path) - 1]
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def feed_command(sel: feed.Selection, base_url: str = feed.DEFAULT_BASE_URL) -> str:
    """The ``kb`` command that prints the same feed (values shell-quoted)."""
    words = ["kb", "lessons", "feed"]
    for key, value in sel.params().items():
        words += ["--" + key.replace("_", "-"), value]
    if base_url.rstrip("/") != feed.DEFAULT_BASE_URL:
        words += ["--base-url", base_url]
    return " ".join(shlex.quote(w) for w in words)


def feed_url(sel: feed.Selection, base_url: str) -> str:
    """The address a feed reader subscribes to for a selection: the app's feed route with its query."""
    query = urlencode(sel.params())
    return base_url.rstrip("/") + FEED_PATH + (f"?{query}" if query else "")


@dataclass(frozen=True)
class FeedDownload:
    """A selection's feed, ready for a download button: the bytes, a file name, the command, how many lessons,
    and the address a feed reader subscribes to."""

    data: bytes
    file_name: str
    command: str
    lessons: int
    url: str


def feed_download(engine: Engine, city: str | None, measure_type: str | None, barrier_type: str | None,
                  base_url: str = feed.DEFAULT_BASE_URL) -> FeedDownload:
    """The feed of a selection for the Lessons page (:class:`kb.lessons.feed.FeedSelectionInvalid` for an unknown
    value, which the page's choices never offer)."""
    sel, _ = feed.check_selection(engine, city, measure_type, barrier_type)
    data = feed.atom_feed(engine, sel.city, sel.measure_type, sel.barrier_type, base_url=base_url,
                          render=render_markdown_safe)
    return FeedDownload(data, feed.feed_file_name(sel), feed_command(sel, base_url),
                        len(feed.select_lessons(engine, sel)), feed_url(sel, base_url))


QUERY_KEYS: dict[str, str] = {"city": "city", "measure_type": "measure_type", "measure-type": "measure_type",
                              "barrier_type": "barrier_type", "barrier-type": "barrier_type"}
"""Query parameters a served feed URL accepts (both spellings of the two-word ones) and the selection field each
sets."""


@dataclass(frozen=True)
class FeedResponse:
    """An HTTP answer for a served feed URL: status, content type and body (the feed, or a one-line reason)."""

    status: int
    content_type: str
    body: bytes


def feed_response(engine: Engine, query: Mapping[str, str | Sequence[str]], base_url: str,
                  self_url: str | None = None) -> FeedResponse:
    """The answer to ``GET …/feeds/lessons.atom?city=…&measure_type=…&barrier_type=…`` for an HTTP route of the
    app (no Streamlit involved): 200 with the feed, or 400 with the reason (unknown or repeated parameter, unknown
    value, naming the allowed values)."""
    chosen: dict[str, str] = {}
    for key, raw in query.items():
        field = QUERY_KEYS.get(key)
        values = [raw] if isinstance(raw, str) else list(raw)
        if field is None or len(values) != 1 or field in chosen:
            allowed = "city, measure_type, barrier_type"
            return FeedResponse(400, "text/plain; charset=utf-8",
                                f"unknown or repeated parameter '{key}': use each of {allowed} at most once\n"
                                .encode())
        chosen[field] = values[0]
    try:
        body = feed.atom_feed(engine, chosen.get("city"), chosen.get("measure_type"), chosen.get("barrier_type"),
                              base_url=base_url, self_url=self_url, render=render_markdown_safe)
    except feed.FeedSelectionInvalid as exc:
        return FeedResponse(400, "text/plain; charset=utf-8", f"{exc}\n".encode())
    return FeedResponse(200, FEED_MIME + "; charset=utf-8", body)
