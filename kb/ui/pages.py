"""The navigation used by app.py's ``st.navigation``: each route's render function, then the menu groups."""

from __future__ import annotations

import streamlit as st

from kb.i18n import LANGUAGES, N_
from kb.ui import (
    brief_page,
    city_page,
    estimate_page,
    lesson_editor_page,
    lesson_history_page,
    lessons_page,
    login_page,
    macc_page,
    match_page,
    overview,
    plan_page,
    record_page,
    routes,
    search_page,
    state,
)

MENU: dict[str, list[str]] = {
    N_("Knowledge base"): ["overview", "search", "record", "brief"],
    N_("Lessons"): ["lessons", "lesson-editor", "lesson-history", "login"],
    N_("Replicate"): ["city", "match", "estimate", "macc", "plan"],
}


def all_pages() -> dict[str, list[st.Page]]:
    routes.register({
        "overview": overview.render, "search": search_page.render, "record": record_page.render,
        "brief": brief_page.render, "lessons": lessons_page.render, "lesson-editor": lesson_editor_page.render,
        "lesson-history": lesson_history_page.render, "login": login_page.render, "city": city_page.render,
        "match": match_page.render, "estimate": estimate_page.render, "macc": macc_page.render,
        "plan": plan_page.render,
    })
    language_picker()
    return {state.t(group): [routes.page(key) for key in keys] for group, keys in MENU.items()}


def language_picker() -> None:
    """The interface language, in the sidebar of every page (first the browser's, when it is offered)."""
    state.language()  # sets the session's language before the widget reads it
    st.sidebar.selectbox("Language · Język", list(LANGUAGES), format_func=lambda k: LANGUAGES[k], key="lang",
                         help=state.t("The interface and the brief's frame; the records stay in English."))
