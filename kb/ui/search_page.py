"""Search page: a query box, facet filters with counts, and result cards that open the record page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from kb.search.engine import FACETS, Hit
from kb.search.snippets import spans_markup
from kb.text import escape_markdown
from kb.ui import routes, state
from kb.views.record import EVIDENCE_COLORS

FACET_LABELS = {"city": "City", "kind": "Kind", "category": "Category", "measure_type": "Measure type",
                "barrier_type": "Barrier type", "status": "Status", "evidence": "Evidence"}
EXAMPLES = ["store surplus solar power for the evening", "heat from canal water",
            "who dealt with a grid operator that said no"]


def _with_count(counts: dict[str, int]) -> Callable[[Any], str]:
    """A facet option's label: the value and its number of matching records."""
    return lambda v: f"{v} ({counts.get(v, 0)})"


def render() -> None:
    st.title("Search solutions and lessons")
    query = st.text_input("What do you need?", key="q", placeholder=EXAMPLES[0],
                          help="Your own words work, in English or in Polish, Hungarian, Slovak, Latvian, Danish, "
                               "Portuguese, Spanish or Dutch: the search matches words and meaning.")
    engine = state.search_engine()
    filters = {f: st.session_state.get(f"facet_{f}") or [] for f in FACETS}
    res = engine.search(query, filters=filters, limit=20)
    with st.sidebar:
        st.subheader("Narrow down")
        for facet in FACETS:
            counts = res.facets.get(facet, {})
            chosen = st.session_state.get(f"facet_{facet}") or []
            options = list(dict.fromkeys([*counts, *chosen]))
            if options:
                st.multiselect(FACET_LABELS[facet], options, key=f"facet_{facet}",
                               format_func=_with_count(counts))
    if not query.strip():
        st.info("Type what you are looking for, in your own words. For example: "
                + "; ".join(f"“{e}”" for e in EXAMPLES) + ".")
        return
    if not res.hits:
        st.warning("No results. Try fewer or other words, or remove some filters in the sidebar.")
        return
    if res.language_note:  # built only from the glossary's own words, never from the typed text
        st.caption(f"🌐 {res.language_note}")
    st.caption(f"{len(res.hits)} best of {res.total} matching records")
    for hit in res.hits:
        result_card(hit)


def result_card(hit: Hit) -> None:
    with st.container(border=True):
        st.page_link(routes.page("record"), label=escape_markdown(hit.title), icon="📄", query_params={"id": hit.id})
        st.caption(escape_markdown(" · ".join(x for x in (hit.kind.replace("_", " "), hit.city, hit.status) if x)))
        levels = [e for e in hit.facets.get("evidence", []) if e in EVIDENCE_COLORS]
        if levels:
            cols = st.columns(len(levels) + 4)
            for col, ev in zip(cols, levels, strict=False):
                col.badge(ev, color=EVIDENCE_COLORS[ev])
        for sec in hit.sections[:2]:
            st.markdown(f"**{escape_markdown(sec.section)}** — {spans_markup(sec.snippet)}  "
                        f"<small>(matched {escape_markdown(sec.why)})</small>", unsafe_allow_html=True)
