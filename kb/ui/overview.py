"""Overview page: what the knowledge base holds, by kind, city and category."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from kb.i18n import N_
from kb.store import catalog
from kb.ui import state
from kb.ui.state import t
from kb.ui.widgets import altair_chart
from kb.views.fmt import BLANK, format_count
from kb.views.words import word

COUNTS = {"solution": N_("Solutions"), "city": N_("City profiles"), "measure_type": N_("Measure types"),
          "lesson": N_("Lessons learned")}


@st.cache_data(show_spinner=False, ttl=3600, max_entries=8)
def _figures(version: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The counts and the corpus overview, read once per data version (``version`` is the key, not used): the
    overview reads every record."""
    eng = state.engine()
    return catalog.stats(eng), catalog.corpus_overview(eng)


def _bars(counts: dict[str, int], what: str, horizontal: bool) -> alt.Chart:
    """A bar per name (its count of ``what``), as the overview's charts show them."""
    data = pd.DataFrame({"name": list(counts), "count": list(counts.values())})
    name = alt.X("name:N", title=None) if not horizontal else alt.Y("name:N", title=None)
    count = alt.Y("count:Q", title=what) if not horizontal else alt.X("count:Q", title=what)
    out: alt.Chart = alt.Chart(data).mark_bar().encode(name, count, tooltip=[alt.Tooltip("name:N", title=None),
                                                                   alt.Tooltip("count:Q", title=what)])
    return out


def summary(report: state.StartupReport) -> str:
    """What the start-up ingest did, in the reader's language."""
    loc = state.locale()
    if report.records is None:
        return t("Records not refreshed at start-up.")
    if report.embedded:
        return t("Knowledge base ready: {records} records, {sections} sections embedded.").format(
            records=format_count(report.records, locale=loc), sections=format_count(report.embedded, locale=loc))
    return t("Knowledge base ready: {records} records.").format(records=format_count(report.records, locale=loc))


def render() -> None:
    st.title(t("ATELIER Positive Energy District knowledge base"))
    st.caption(t("What Amsterdam and Bilbao built for their Positive Energy Districts, what it cost, what got "
                 "in the way — and what it would deliver in your city."))
    report = state.startup()
    said = summary(report)
    loc = state.locale()
    if report.problems:
        with st.expander(t("{summary} Problems: {count}; see why").format(
                summary=said, count=format_count(len(report.problems), locale=loc)), icon="⚠️"):
            for problem in report.problems:
                st.text(problem)
    lang, version = state.language(), state.data_version()
    stats, ov = _figures(version)
    cols = st.columns(4)
    for col, (kind, label) in zip(cols, COUNTS.items(), strict=True):
        col.metric(t(label), format_count(stats["records"].get(kind, 0), locale=loc))
    left, right = st.columns(2)
    with left:
        st.subheader(t("Solutions and lessons by city"))
        if ov["city"]:
            altair_chart(("overview city", lang, version), lambda: _bars(ov["city"], t("records"), horizontal=True))
    with right:
        st.subheader(t("Solutions by category"))
        if ov["category"]:
            altair_chart(("overview category", lang, version), lambda: _bars(
                {word(k, t): v for k, v in ov["category"].items()}, t("solutions"), horizontal=True))
    st.subheader(t("How well each number is known"))
    if ov["evidence"]:
        altair_chart(("overview evidence", lang, version), lambda: _bars(
            {word(k, t): v for k, v in ov["evidence"].items()}, t("numbers"), horizontal=False))
    st.caption(t("{summary} {missing} figures are marked as not published by any source we read. "
                 "{sections} searchable sections · search model {model} · corpus version {version}").format(
        summary=said, missing=format_count(ov["missing_values"], locale=loc),
        sections=format_count(stats["chunks"], locale=loc), model=stats["model"] or BLANK,
        version=stats.get("corpus_version") or BLANK))
