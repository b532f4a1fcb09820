"""The route registry: every page's address, title and icon in one table; pages link through it, never to each other."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

from kb.errors import KbError
from kb.i18n import N_
from kb.text import escape_markdown
from kb.ui import state
from kb.views.messages import app_message

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Route:
    """One page of the app: where it lives (``url_path``), how the navigation shows it, and whether it is listed."""

    key: str
    title: str
    icon: str
    url_path: str
    hidden: bool = False
    default: bool = False


ROUTES: dict[str, Route] = {r.key: r for r in (
    Route("overview", N_("Overview"), "🏙️", "overview", default=True),
    Route("search", N_("Search"), "🔎", "search"),
    Route("record", N_("Record"), "📄", "record", hidden=True),
    Route("brief", N_("Brief"), "📑", "brief"),
    Route("lessons", N_("Lessons"), "💡", "lessons"),
    Route("lesson-editor", N_("Write a lesson"), "✏️", "lesson-editor"),
    Route("lesson-history", N_("Lesson history"), "🕘", "lesson-history", hidden=True),
    Route("login", N_("Account"), "🔑", "login"),
    Route("city", N_("My city"), "📍", "my-city"),
    Route("match", N_("Match"), "🧭", "match"),
    Route("estimate", N_("Estimate"), "📈", "estimate"),
    Route("macc", N_("Abatement cost"), "📉", "abatement-cost"),
    Route("plan", N_("District plan"), "🏘️", "district-plan"),
)}

_renderers: dict[str, Callable[[], None]] = {}


def register(renderers: dict[str, Callable[[], None]]) -> None:
    """Attach each route's render function (app start-up; a key outside :data:`ROUTES` is a programming error)."""
    unknown = set(renderers) - set(ROUTES)
    if unknown:
        raise KeyError(f"no route for {sorted(unknown)}")
    _renderers.update(renderers)


def page(key: str) -> st.Page:
    """The ``st.Page`` of a route, for ``st.navigation`` and ``st.page_link``: Streamlit identifies a page by its
    ``url_path``, so a link made here reaches the registered page without importing its module."""
    route = ROUTES[key]
    return st.Page(_dispatch(key), title=state.t(route.title), icon=route.icon, url_path=route.url_path,
                   default=route.default, visibility="hidden" if route.hidden else "visible")


def _dispatch(key: str) -> Callable[[], None]:
    """The one error path of the app: a ``KbError`` is a message for the user (``st.error``); anything else is a
    bug, logged with a short id that the page shows (re-raised with ``KB_DEBUG=1``, for the traceback)."""

    def run() -> None:
        try:
            _renderers[key]()
        except ScriptControlException:  # st.rerun, st.stop, st.switch_page: Streamlit's control flow
            raise
        except KbError as exc:
            st.error(escape_markdown(app_message(exc)))  # keys as labels, no CLI flags; user text shown as text
        except Exception:
            if os.environ.get("KB_DEBUG") == "1":  # development: the traceback in the page, whatever
                st.set_option("client.showErrorDetails", "full")  # .streamlit/config.toml hides for deployments
                raise
            incident = secrets.token_hex(4)
            log.exception("page %r failed; shown to the user as %s", key, incident)
            st.error(state.t("Something went wrong; it was logged as {incident}.").format(incident=incident))

    run.__name__ = key.replace("-", "_")
    return run
