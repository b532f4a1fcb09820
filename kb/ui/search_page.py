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
KIND_LABELS = {"solution": "solution", "lesson": "lesson", "measure_type": "measure type", "city": "city"}
STATUS_COLORS = {"operational": "green", "completed": "green", "under-construction": "blue", "planned": "orange",
                 "concept": "orange", "dropped": "red"}
NO_RESULTS = "No results. Try fewer or other words, or remove some filters in the sidebar."
NO_MATCH = "No results: no record matches “{query}”."
NO_MATCH_TIPS = ["Check the spelling.",
                 "Try a broader word, for example “battery” or “heat pump” rather than a product or a place name.",
                 "Write in English or in one of the fellow cities’ languages: the search glossary renders "
                 "energy terms into English (for example “magazyn energii” is read as energy storage)."]
RESULTS_COUNT = "The best {shown} of {total} related records"
CARD_STYLE = ("<style>[class*='st-key-hit_'] [data-testid='stPageLink'] p "
              "{font-size: 1.25rem; font-weight: 600; line-height: 1.4;} "
              "[class*='st-key-hit_'] [data-testid='stPageLink'] * "
              "{white-space: normal; overflow: visible; text-overflow: clip; max-width: 100%;}</style>")
"""The result title at subheader size, wrapped rather than cut: scoped to result cards, so other page links keep
their look."""
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
        if res.below_floor:
            no_match(res.query)
        else:
            st.warning(NO_RESULTS)
        return
    if res.language_note:  # built only from the glossary's own words, never from the typed text
        st.caption(f"🌐 {res.language_note}")
    st.caption(RESULTS_COUNT.format(shown=len(res.hits), total=res.total))
    st.html(CARD_STYLE)
    for n, hit in enumerate(res.hits):
        result_card(hit, n)


def no_match(query: str) -> None:
    """The answer to a query that shares no word with any record and is not close in meaning to any."""
    st.warning(NO_MATCH.format(query=escape_markdown(query)))
    st.markdown("\n".join(f"- {tip}" for tip in NO_MATCH_TIPS))


def badges(hit: Hit) -> str:
    """City, kind, status and evidence of a hit as one line of coloured badges (values escaped)."""
    parts = [f":gray-badge[{_badge_text(hit.city.replace('-', ' ').title())}]" if hit.city else "",
             f":gray-badge[{_badge_text(KIND_LABELS.get(hit.kind, hit.kind.replace('_', ' ')))}]"]
    if hit.status:
        color = STATUS_COLORS.get(hit.status, "gray")
        parts.append(f":{color}-badge[{_badge_text(hit.status.replace('-', ' '))}]")
    for ev in hit.facets.get("evidence", []):
        if ev in EVIDENCE_COLORS:
            parts.append(f":{EVIDENCE_COLORS[ev]}-badge[{_badge_text(ev)}]")
    return " ".join(p for p in parts if p)


def _badge_text(text: str) -> str:
    """Text safe inside a badge directive: escaped Markdown, no square brackets."""
    return escape_markdown(text.replace("[", "(").replace("]", ")"))


def result_card(hit: Hit, n: int = 0) -> None:
    """A result: the title as a prominent link, its badges, then one short snippet from the record's text."""
    with st.container(border=True, key=f"hit_{n}"):
        st.page_link(routes.page("record"), label=escape_markdown(hit.title), icon="📄", query_params={"id": hit.id})
        st.markdown(badges(hit))
        sec = hit.sections[0] if hit.sections else None
        if sec is not None and sec.snippet:
            where = " · ".join(x for x in (escape_markdown(sec.section),
                                           f"matched {escape_markdown(sec.why)}" if sec.why != "related" else "") if x)
            st.markdown(f"{spans_markup(sec.snippet)}" + (f" <small>({where})</small>" if where else ""),
                        unsafe_allow_html=True)
