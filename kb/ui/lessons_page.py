"""Lessons page: published lessons with filters (staff also see drafts and archived ones), and the page list."""

from __future__ import annotations

import streamlit as st

from kb.lessons import service as lessons
from kb.records import vocab
from kb.text import escape_markdown
from kb.ui import lesson_view, routes, state


def render() -> None:
    st.title("Lessons learned")
    actor = state.current_actor()
    staff = actor.at_least("staff")
    cols = st.columns(6 if staff else 5)
    text = cols[0].text_input("Words", key="lessons_text")
    phase = cols[1].selectbox("Phase", vocab.PHASES, index=None, key="lessons_phase")
    barrier = cols[2].selectbox("Barrier", vocab.BARRIER_TYPES, index=None, key="lessons_barrier")
    outcome = cols[3].selectbox("Outcome", vocab.OUTCOMES, index=None, key="lessons_outcome")
    cities = sorted({les.city for les in lessons.list_lessons(state.engine(), actor)})
    city = cols[4].selectbox("City", cities, index=None, key="lessons_city")
    status = cols[5].selectbox("Status", vocab.LESSON_STATUSES, index=None, key="lessons_status") if staff else None
    found = lessons.list_lessons(state.engine(), actor, status=status, city=city, phase=phase,
                                 barrier_type=barrier, outcome=outcome, text=text)
    if staff:
        st.page_link(routes.page("lesson-editor"), label="Write a new lesson", icon="✏️")
    if not found:
        st.info("No lessons match." + ("" if staff else " Hub staff publish lessons after review."))
        return
    st.caption(f"{len(found)} lessons")
    data, n = lessons.export_zip(state.engine())
    st.download_button(f"Export the {n} published lessons (Markdown, zip)", data=data, file_name="lessons.zip",
                       mime="application/zip", key="lessons_export", icon="📦", on_click="ignore",
                       disabled=n == 0, help="The same files as 'kb lessons export DIR': commit them under "
                                             "solutions/lessons/ so that git keeps them.")
    for les in found:
        with st.container(border=True):
            st.markdown(f"#### {escape_markdown(les.title)}")
            st.caption(lesson_view.facts(les))
            with st.expander("Read the lesson"):
                lesson_view.body(les)
            if staff:
                c1, c2 = st.columns(2)
                c1.page_link(routes.page("lesson-editor"), label="Edit", icon="✏️", query_params={"id": les.id})
                c2.page_link(routes.page("lesson-history"), label="History", icon="🕘", query_params={"id": les.id})


