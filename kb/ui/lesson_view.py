"""Shows one lesson: its fields as escaped Markdown (``render_markdown_safe``) and its facts line."""

from __future__ import annotations

import streamlit as st
from babel.dates import format_date

from kb.lessons.format import SECTIONS, Lesson
from kb.text import escape_markdown
from kb.ui import state
from kb.ui.state import t
from kb.views.markdown import render_markdown_safe
from kb.views.words import word


def facts(lesson: Lesson) -> str:
    """City, phase, barrier, outcome, status, author and date of a lesson, in the reader's language."""
    parts = [lesson.city, word(lesson.phase, t) if lesson.phase else "",
             t("barrier: {barrier}").format(barrier=word(lesson.barrier_type, t)),
             t("outcome: {outcome}").format(outcome=word(lesson.outcome, t)),
             word(lesson.status, t) if lesson.status else "", t("by {author}").format(author=lesson.author),
             t("updated {date}").format(date=format_date(lesson.updated_at, format="medium", locale=state.locale()))]
    return escape_markdown(" · ".join(p for p in parts if p))


def body(lesson: Lesson) -> None:
    """The five sections, linked solutions and sources; user text is rendered with raw HTML escaped."""
    for title, attr in SECTIONS:  # the section titles are in kb.views.words.SECTION_TITLES
        text = lesson.outcome_text() if attr == "outcome_note" else getattr(lesson, attr)
        st.markdown(f"**{t(title)}**")
        st.markdown(render_markdown_safe(text), unsafe_allow_html=True)
    types = ("  ·  " + t("Measure types:") + " " + escape_markdown(", ".join(lesson.measure_types))
             if lesson.measure_types else "")
    st.caption(t("Solutions:") + " " + escape_markdown(", ".join(lesson.solutions)) + types)
    for s in lesson.sources:
        line = f"[{s['id']}] {s['title']}" + (f" — {s['publisher']}" if s.get("publisher") else "")
        st.caption(escape_markdown(line) + (f" ({escape_markdown(s['url'])})" if s.get("url") else ""))
