"""The page registry used by app.py's ``st.navigation``: one line per page."""

from __future__ import annotations

import streamlit as st

from kb.ui import brief_page, city_page, estimate_page, lessons_page, match_page, overview, plan_page, search_page


def all_pages() -> dict[str, list[st.Page]]:
    return {
        "Knowledge base": [
            st.Page(overview.render, title="Overview", icon="🏙️", url_path="overview", default=True),
            *search_page.pages(),
            brief_page.page(),
        ],
        "Lessons": lessons_page.pages(),
        "Replicate": [city_page.page(), match_page.page(), estimate_page.page(), plan_page.page()],
    }
