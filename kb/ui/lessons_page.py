"""Lessons page: published lessons with filters (staff also see drafts and archived ones), and the page list."""

from __future__ import annotations

import streamlit as st

from kb.lessons import service as lessons
from kb.records import vocab
from kb.text import escape_markdown
from kb.ui import lesson_review, lesson_view, routes, state
from kb.ui.state import t
from kb.views.fmt import format_count
from kb.views.words import word


def render() -> None:
    st.title(t("Lessons learned"))
    actor = state.current_actor()
    staff = actor.at_least("staff")
    cols = st.columns(6 if staff else 5)
    text = cols[0].text_input(t("Words"), key="lessons_text")
    phase = cols[1].selectbox(t("Phase"), vocab.PHASES, index=None, key="lessons_phase",
                              format_func=_word, placeholder=t("Any"))
    barrier = cols[2].selectbox(t("Barrier"), vocab.BARRIER_TYPES, index=None, key="lessons_barrier",
                                format_func=_word, placeholder=t("Any"))
    outcome = cols[3].selectbox(t("Outcome"), vocab.OUTCOMES, index=None, key="lessons_outcome",
                                format_func=_word, placeholder=t("Any"))
    cities = sorted({les.city for les in lessons.list_lessons(state.engine(), actor)})
    city = cols[4].selectbox(t("City"), cities, index=None, key="lessons_city", placeholder=t("Any"))
    status = cols[5].selectbox(t("Status"), vocab.LESSON_STATUSES, index=None, key="lessons_status",
                                format_func=_word, placeholder=t("Any")) if staff else None
    found = lessons.list_lessons(state.engine(), actor, status=status, city=city, phase=phase,
                                 barrier_type=barrier, outcome=outcome, text=text)
    if staff:
        st.page_link(routes.page("lesson-editor"), label=t("Write a new lesson"), icon="✏️")
        waiting = lesson_review.awaiting_count(actor)
        if waiting:
            count = format_count(waiting, locale=state.locale())
            label = t("Lessons awaiting your review: {count}").format(count=count)
            st.page_link(routes.page("lesson-editor"), icon="📝", label=label)
    if not found:
        st.info(t("No lessons match.") if staff else t("No lessons match. Hub staff publish lessons after review."))
        return
    st.caption(t("Lessons found: {count}").format(count=format_count(len(found), locale=state.locale())))
    data, n = lessons.export_zip(state.engine())
    st.download_button(t("Export the {count} published lessons (Markdown, zip)").format(
        count=format_count(n, locale=state.locale())), data=data, file_name="lessons.zip", mime="application/zip",
        key="lessons_export", icon="📦", on_click="ignore", disabled=n == 0,
        help=t("One Markdown file per published lesson: commit them under solutions/lessons/ so that the "
               "project's history keeps them."))
    for les in found:
        with st.container(border=True):
            st.markdown(f"#### {escape_markdown(les.title)}")
            st.caption(lesson_view.facts(les))
            with st.expander(t("Read the lesson")):
                lesson_view.body(les)
            if staff:
                c1, c2 = st.columns(2)
                c1.page_link(routes.page("lesson-editor"), label=t("Edit"), icon="✏️", query_params={"id": les.id})
                c2.page_link(routes.page("lesson-history"), label=t("History"), icon="🕘", query_params={"id": les.id})


def _word(value: str) -> str:
    return word(value, t)
