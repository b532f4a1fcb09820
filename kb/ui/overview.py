"""Overview page: what the knowledge base holds, by kind, city and category."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from kb.store import catalog
from kb.ui import state
from kb.views.fmt import BLANK, format_count


def render() -> None:
    st.title("ATELIER Positive Energy District knowledge base")
    st.caption("What Amsterdam and Bilbao built for their Positive Energy Districts, what it cost, what got "
               "in the way — and what it would deliver in your city.")
    eng = state.engine()
    report = state.startup()
    if report.problems:
        with st.expander(f"{report.summary} {len(report.problems)} problem(s): see why", icon="⚠️"):
            for problem in report.problems:
                st.text(problem)
    stats = catalog.stats(eng)
    ov = catalog.corpus_overview(eng)
    cols = st.columns(4)
    labels = {"solution": "Solutions", "city": "City profiles", "measure_type": "Measure types",
              "lesson": "Lessons learned"}
    for col, (kind, label) in zip(cols, labels.items(), strict=True):
        col.metric(label, format_count(stats["records"].get(kind, 0)))
    left, right = st.columns(2)
    with left:
        st.subheader("Solutions and lessons by city")
        if ov["city"]:
            st.bar_chart(pd.DataFrame({"records": ov["city"]}), horizontal=True)
    with right:
        st.subheader("Solutions by category")
        if ov["category"]:
            st.bar_chart(pd.DataFrame({"solutions": ov["category"]}), horizontal=True)
    st.subheader("How well each number is known")
    if ov["evidence"]:
        st.bar_chart(pd.DataFrame({"numbers": ov["evidence"]}))
    st.caption(f"{report.summary} {format_count(ov['missing_values'])} figures are marked as not published by any "
               f"source we read. {format_count(stats['chunks'])} searchable sections · search model "
               f"{stats['model'] or BLANK} · corpus version {stats.get('corpus_version') or BLANK}")
