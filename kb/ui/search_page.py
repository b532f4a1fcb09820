"""Search page: a query box, facet filters with counts, and result cards that open the record page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from kb.i18n import N_
from kb.search.engine import FACETS, Hit, SectionHit
from kb.search.glossary_terms import LANGUAGE_NAMES
from kb.search.snippets import spans_markup
from kb.text import escape_markdown
from kb.ui import routes, state
from kb.ui.state import t
from kb.views.fmt import format_count
from kb.views.record import EVIDENCE_COLORS
from kb.views.words import word

FACET_LABELS = {"city": N_("City"), "kind": N_("Kind"), "category": N_("Category"), "measure_type": N_("Measure type"),
                "barrier_type": N_("Barrier type"), "status": N_("Status"), "evidence": N_("Evidence")}
WORD_FACETS = frozenset({"kind", "category", "barrier_type", "status", "evidence"})
"""Facets whose values are vocabulary words (shown translated); cities and measure types are names."""
LANGUAGES = {"en": N_("English"), "pl": N_("Polish"), "hu": N_("Hungarian"), "sk": N_("Slovak"),
             "lv": N_("Latvian"), "da": N_("Danish"), "pt": N_("Portuguese"), "es": N_("Spanish"),
             "nl": N_("Dutch")}
"""The languages the search glossary reads (kb.search.glossary_terms.LANGUAGE_NAMES), for the reading note."""
READ_AS = N_("Query read as {language}; searched also as: {english}")
READ_AS_TYPED = N_("Query read as {language}; no glossary term found, searched as typed")
WHY = {(True, False): N_("matched your words"), (False, True): N_("matched similar meaning"),
       (True, True): N_("matched your words and similar meaning")}
STATUS_COLORS = {"operational": "green", "completed": "green", "under-construction": "blue", "planned": "orange",
                 "concept": "orange", "dropped": "red"}
NO_RESULTS = N_("No results. Try fewer or other words, or remove some filters in the sidebar.")
NO_MATCH = N_("No results: no record matches “{query}”.")
NO_MATCH_TIPS = [N_("Check the spelling."),
                 N_("Try a broader word, for example “battery” or “heat pump” rather than a product or a place name."),
                 N_("Write in English or in one of the fellow cities’ languages: the search glossary renders "
                    "energy terms into English (for example “magazyn energii” is read as energy storage).")]
RESULTS_COUNT = N_("The best {shown} of {total} related records")
CARD_STYLE = ("<style>[class*='st-key-hit_'] [data-testid='stPageLink'] p "
              "{font-size: 1.25rem; font-weight: 600; line-height: 1.4;} "
              "[class*='st-key-hit_'] [data-testid='stPageLink'] * "
              "{white-space: normal; overflow: visible; text-overflow: clip; max-width: 100%;}</style>")
"""The result title at subheader size, wrapped rather than cut: scoped to result cards, so other page links keep
their look."""
EXAMPLES = [N_("store surplus solar power for the evening"), N_("heat from canal water"),
            N_("who dealt with a grid operator that said no")]


def _with_count(counts: dict[str, int], words: bool = False) -> Callable[[Any], str]:
    """A facet option's label: the value (as words in the reader's language for a vocabulary facet) and its
    number of matching records."""
    loc = state.locale()
    return lambda v: f"{word(v, t) if words else v} ({format_count(counts.get(v, 0), locale=loc)})"


def render() -> None:
    st.title(t("Search solutions and lessons"))
    query = st.text_input(t("What do you need?"), key="q", placeholder=t(EXAMPLES[0]),
                          help=t("Your own words work, in English or in Polish, Hungarian, Slovak, Latvian, Danish, "
                                 "Portuguese, Spanish or Dutch: the search matches words and meaning."))
    engine = state.search_engine()
    filters = {f: st.session_state.get(f"facet_{f}") or [] for f in FACETS}
    res = engine.search(query, filters=filters, limit=20)
    with st.sidebar:
        st.subheader(t("Narrow down"))
        for facet in FACETS:
            counts = res.facets.get(facet, {})
            chosen = st.session_state.get(f"facet_{facet}") or []
            options = list(dict.fromkeys([*counts, *chosen]))
            if options:
                st.multiselect(t(FACET_LABELS[facet]), options, key=f"facet_{facet}",
                               format_func=_with_count(counts, facet in WORD_FACETS), placeholder=t("Any"))
    if not query.strip():
        st.info(t("Type what you are looking for, in your own words. For example: {examples}.").format(
            examples="; ".join(f"“{t(e)}”" for e in EXAMPLES)))
        return
    if not res.hits:
        if res.below_floor:
            no_match(res.query)
        else:
            st.warning(t(NO_RESULTS))
        return
    if res.language != "en":  # built only from the glossary's own words, never from the typed text
        language = t(LANGUAGES[res.language]) if res.language in LANGUAGES else LANGUAGE_NAMES.get(res.language, "")
        note = (t(READ_AS).format(language=language, english=res.translation) if res.translation
                else t(READ_AS_TYPED).format(language=language))
        st.caption(f"🌐 {note}")
    loc = state.locale()
    st.caption(t(RESULTS_COUNT).format(shown=format_count(len(res.hits), locale=loc),
                                       total=format_count(res.total, locale=loc)))
    st.html(CARD_STYLE)
    for n, hit in enumerate(res.hits):
        result_card(hit, n)


def no_match(query: str) -> None:
    """The answer to a query that shares no word with any record and is not close in meaning to any."""
    st.warning(t(NO_MATCH).format(query=escape_markdown(query)))
    st.markdown("\n".join(f"- {t(tip)}" for tip in NO_MATCH_TIPS))


def badges(hit: Hit) -> str:
    """City, kind, status and evidence of a hit as one line of coloured badges (values escaped)."""
    parts = [f":gray-badge[{_badge_text(hit.city.replace('-', ' ').title())}]" if hit.city else "",
             f":gray-badge[{_badge_text(word(hit.kind, t))}]"]
    if hit.status:
        color = STATUS_COLORS.get(hit.status, "gray")
        parts.append(f":{color}-badge[{_badge_text(word(hit.status, t))}]")
    for ev in hit.facets.get("evidence", []):
        if ev in EVIDENCE_COLORS:
            parts.append(f":{EVIDENCE_COLORS[ev]}-badge[{_badge_text(word(ev, t))}]")
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
            where = " · ".join(x for x in (escape_markdown(t(sec.section)), _why(sec)) if x)
            st.markdown(f"{spans_markup(sec.snippet)}" + (f" <small>({where})</small>" if where else ""),
                        unsafe_allow_html=True)


def _why(sec: SectionHit) -> str:
    """Why a section matched, in words ("" for a section related only through its record)."""
    key = (sec.bm25_rank is not None, sec.dense_rank is not None)
    return t(WHY[key]) if key in WHY else ""
