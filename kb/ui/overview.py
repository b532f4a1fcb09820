"""Overview page: what the knowledge base holds, by kind, city and category."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from kb.i18n import N_
from kb.store import catalog
from kb.ui import state
from kb.ui.state import t
from kb.views.fmt import BLANK, format_count
from kb.views.words import word

COUNTS = {"solution": N_("Solutions"), "city": N_("City profiles"), "measure_type": N_("Measure types"),
          "lesson": N_("Lessons learned")}


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
    eng = state.engine()
    report = state.startup()
    said = summary(report)
    loc = state.locale()
    if report.problems:
        with st.expander(t("{summary} Problems: {count}; see why").format(
                summary=said, count=format_count(len(report.problems), locale=loc)), icon="⚠️"):
            for problem in report.problems:
                st.text(problem)
    stats = catalog.stats(eng)
    ov = catalog.corpus_overview(eng)
    cols = st.columns(4)
    for col, (kind, label) in zip(cols, COUNTS.items(), strict=True):
        col.metric(t(label), format_count(stats["records"].get(kind, 0), locale=loc))
    left, right = st.columns(2)
    with left:
        st.subheader(t("Solutions and lessons by city"))
        if ov["city"]:
            st.bar_chart(pd.DataFrame({t("records"): ov["city"]}), horizontal=True)
    with right:
        st.subheader(t("Solutions by category"))
        if ov["category"]:
            st.bar_chart(pd.DataFrame({t("solutions"): {word(k, t): v for k, v in ov["category"].items()}}),
                         horizontal=True)
    st.subheader(t("How well each number is known"))
    if ov["evidence"]:
        st.bar_chart(pd.DataFrame({t("numbers"): {word(k, t): v for k, v in ov["evidence"].items()}}))
    st.caption(t("{summary} {missing} figures are marked as not published by any source we read. "
                 "{sections} searchable sections · search model {model} · corpus version {version}").format(
        summary=said, missing=format_count(ov["missing_values"], locale=loc),
        sections=format_count(stats["chunks"], locale=loc), model=stats["model"] or BLANK,
        version=stats.get("corpus_version") or BLANK))
