"""Record page: the whole record, its numbers, sources, barriers, lessons and similar records (titles as text)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from kb.store.catalog import RecordNotFound
from kb.store.readmodel import BarrierInfo
from kb.text import escape_markdown
from kb.ui import routes, state
from kb.views.markdown import render_markdown_safe
from kb.views.record import EVIDENCE_COLORS, number_rows, prose, record_view


def render() -> None:
    record_id = st.query_params.get("id", "")
    if not record_id:
        st.info("No record chosen. Search for one on the Search page.")
        return
    try:
        view = record_view(state.engine(), state.search_engine(), record_id)
    except RecordNotFound:
        st.warning("There is no record with this id. It may have been renamed; try the Search page.")
        return
    rec = view.record
    st.title(escape_markdown(rec.title), anchor=False)
    st.caption(escape_markdown(" · ".join(x for x in (rec.kind.replace("_", " "), rec.city, rec.status, rec.id)
                                          if x)))
    if rec.kind == "solution":
        st.page_link(routes.page("estimate"), label="Estimate it for my city", icon="📈",
                     query_params={"solution": rec.id})
    if view.evidence:
        cols = st.columns(len(view.evidence) + 4)
        for col, ev in zip(cols, view.evidence, strict=False):
            col.badge(ev, color=EVIDENCE_COLORS[ev])
    for sec in rec.sections:
        st.subheader(escape_markdown(sec.title), anchor=False)
        if sec.title == "Barriers" and rec.barriers:
            barriers(rec.barriers)
        else:
            text = prose(sec.text)
            if text:
                st.markdown(render_markdown_safe(text), unsafe_allow_html=True)
        numbers = rec.numbers_in(sec.title)
        if numbers:
            numbers_table(number_rows(numbers))
    st.subheader("Sources", anchor=False)
    for s in view.sources:
        line = f"**{escape_markdown(s.id)}** {escape_markdown(s.title)}"
        extra = ", ".join(x for x in (s.publisher, str(s.year or "")) if x)
        if extra:
            line += f" — {escape_markdown(extra)}"
        if s.url:
            line += f" ([link]({s.url}))"
        st.markdown(line, unsafe_allow_html=True)
    if view.lessons:
        st.subheader("Lessons learned from this", anchor=False)
        for les in view.lessons:
            st.page_link(routes.page("record"), label=escape_markdown(les.title), icon="💡",
                         query_params={"id": les.id})
            st.caption(escape_markdown(f"outcome: {les.outcome or '-'} · barrier: {les.barrier_type or '-'}"))
    if view.similar:
        st.subheader("Similar records", anchor=False)
        for hit in view.similar:
            st.page_link(routes.page("record"), label=escape_markdown(hit.title), icon="📄",
                         query_params={"id": hit.id})


def numbers_table(rows: list[dict[str, object]]) -> None:
    """A section's numbers as a static table that wraps its cells, so a long note or source is read whole (a
    scrolling data grid cut the notes column); the item names the rows."""
    cells = [{k: _cell(v) for k, v in row.items()} for row in rows]
    st.table(pd.DataFrame(cells).set_index("item").rename_axis(None))  # st.table reads cells as Markdown


def _cell(value: object) -> object:
    """A table cell as Markdown that shows its text (a lone ``-`` unit would become a bullet: shown as a dash)."""
    if not isinstance(value, str):
        return value
    return "—" if value.strip() == "-" else escape_markdown(value)


def barriers(items: list[BarrierInfo]) -> None:
    for b in items:
        with st.container(border=True):
            st.markdown(f"**{escape_markdown(b.title)}** · {escape_markdown(b.type)}"
                        + (f" · {escape_markdown(b.phase)}" if b.phase else ""), unsafe_allow_html=True)
            for label, text in (("What happened", b.what_happened), ("What was tried", b.what_was_tried),
                                ("Outcome", b.outcome), ("Source", b.source)):
                if text:  # record text, rendered safely (a `code` or **bold** in it is not shown raw)
                    st.markdown(render_markdown_safe(f"*{label}:* {text}"), unsafe_allow_html=True)
