"""Record page: the whole record, its numbers, sources, barriers, lessons and similar records (titles as text)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from kb.i18n import N_
from kb.store.catalog import RecordNotFound
from kb.store.readmodel import BarrierInfo
from kb.text import escape_markdown
from kb.ui import routes, state
from kb.ui.state import t
from kb.views.markdown import render_markdown_safe
from kb.views.record import EVIDENCE_COLORS, RecordView, number_rows, prose, record_view
from kb.views.words import word

COLUMNS = {"value": N_("value"), "unit": N_("unit"), "year": N_("year"), "evidence": N_("evidence"),
           "source": N_("source"), "note": N_("note")}
"""The number table's headers (the rows keep their keys; English shows the key itself)."""
BARRIER_LABELS = (N_("What happened"), N_("What was tried"), N_("Outcome"), N_("Source"))


@st.cache_data(show_spinner=False, ttl=3600, max_entries=128)
def _view(record_id: str, version: str) -> RecordView:
    """The record with its lessons and similar records, read once per data version (``version`` is the key, not
    used); a missing record raises and is not cached."""
    return record_view(state.engine(), state.search_engine(), record_id)


def render() -> None:
    record_id = st.query_params.get("id", "")
    if not record_id:
        st.info(t("No record chosen. Search for one on the Search page."))
        return
    try:
        view = _view(record_id, state.data_version())
    except RecordNotFound:
        st.warning(t("There is no record with this id. It may have been renamed; try the Search page."))
        return
    rec = view.record
    st.title(escape_markdown(rec.title), anchor=False)
    facts = (word(rec.kind, t), rec.city, word(rec.status, t) if rec.status else "", rec.id)
    st.caption(escape_markdown(" · ".join(x for x in facts if x)))
    if rec.kind == "solution":
        st.page_link(routes.page("estimate"), label=t("Estimate it for my city"), icon="📈",
                     query_params={"solution": rec.id})
    if view.evidence:
        cols = st.columns(len(view.evidence) + 4)
        for col, ev in zip(cols, view.evidence, strict=False):
            col.badge(word(ev, t), color=EVIDENCE_COLORS[ev])
    for sec in rec.sections:
        st.subheader(escape_markdown(t(sec.title)), anchor=False)
        if sec.title == "Barriers" and rec.barriers:
            barriers(rec.barriers)
        else:
            text = prose(sec.text)
            if text:
                st.markdown(render_markdown_safe(text), unsafe_allow_html=True)
        numbers = rec.numbers_in(sec.title)
        if numbers:
            numbers_table(number_rows(numbers, t, state.locale()))
    st.subheader(t("Sources"), anchor=False)
    for s in view.sources:
        line = f"**{escape_markdown(s.id)}** {escape_markdown(s.title)}"
        extra = ", ".join(x for x in (s.publisher, str(s.year or "")) if x)
        if extra:
            line += f" — {escape_markdown(extra)}"
        if s.url:
            line += f" ([{t('link')}]({s.url}))"
        st.markdown(line, unsafe_allow_html=True)
    if view.lessons:
        st.subheader(t("Lessons learned from this"), anchor=False)
        for les in view.lessons:
            st.page_link(routes.page("record"), label=escape_markdown(les.title), icon="💡",
                         query_params={"id": les.id})
            st.caption(escape_markdown(t("outcome: {outcome} · barrier: {barrier}").format(
                outcome=word(les.outcome, t) if les.outcome else "-",
                barrier=word(les.barrier_type, t) if les.barrier_type else "-")))
    if view.similar:
        st.subheader(t("Similar records"), anchor=False)
        for hit in view.similar:
            st.page_link(routes.page("record"), label=escape_markdown(hit.title), icon="📄",
                         query_params={"id": hit.id})


def numbers_table(rows: list[dict[str, object]]) -> None:
    """A section's numbers as a static table that wraps its cells, so a long note or source is read whole (a
    scrolling data grid cut the notes column); the item names the rows."""
    cells = [{k: _cell(word(v, t) if k == "evidence" and isinstance(v, str) else v) for k, v in row.items()}
             for row in rows]
    frame = pd.DataFrame(cells).set_index("item").rename_axis(None)
    st.table(frame.rename(columns={k: t(v) for k, v in COLUMNS.items()}))  # st.table reads cells as Markdown


def _cell(value: object) -> object:
    """A table cell as Markdown that shows its text (a lone ``-`` unit would become a bullet: shown as a dash)."""
    if not isinstance(value, str):
        return value
    return "—" if value.strip() == "-" else escape_markdown(value)


def barriers(items: list[BarrierInfo]) -> None:
    for b in items:
        with st.container(border=True):
            st.markdown(f"**{escape_markdown(b.title)}** · {escape_markdown(word(b.type, t))}"
                        + (f" · {escape_markdown(word(b.phase, t))}" if b.phase else ""), unsafe_allow_html=True)
            for label, text in zip(BARRIER_LABELS, (b.what_happened, b.what_was_tried, b.outcome, b.source),
                                   strict=True):
                if text:  # record text, rendered safely (a `code` or **bold** in it is not shown raw)
                    st.markdown(render_markdown_safe(f"*{t(label)}:* {text}"), unsafe_allow_html=True)
