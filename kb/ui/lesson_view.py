"""Shows one lesson: its fields as escaped Markdown (``render_markdown_safe``) and its facts line."""

from __future__ import annotations

import streamlit as st

from kb.lessons.format import SECTIONS, Lesson
from kb.text import escape_markdown
from kb.views.markdown import render_markdown_safe


def facts(lesson: Lesson) -> str:
    parts = [lesson.city, lesson.phase, f"barrier: {lesson.barrier_type}", f"outcome: {lesson.outcome}",
             lesson.status, f"by {lesson.author}", f"updated {lesson.updated_at:%Y-%m-%d}"]
    return escape_markdown(" · ".join(p for p in parts if p))


def body(lesson: Lesson) -> None:
    """The five sections, linked solutions and sources; user text is rendered with raw HTML escaped."""
    for title, attr in SECTIONS:
        text = lesson.outcome_text() if attr == "outcome_note" else getattr(lesson, attr)
        st.markdown(f"**{title}**")
        st.markdown(render_markdown_safe(text), unsafe_allow_html=True)
    types = ("  ·  Measure types: " + escape_markdown(", ".join(lesson.measure_types))) if lesson.measure_types else ""
    st.caption("Solutions: " + escape_markdown(", ".join(lesson.solutions)) + types)
    for s in lesson.sources:
        line = f"[{s['id']}] {s['title']}" + (f" — {s['publisher']}" if s.get("publisher") else "")
        st.caption(escape_markdown(line) + (f" ({escape_markdown(s['url'])})" if s.get("url") else ""))
