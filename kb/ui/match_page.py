"""Match page: lighthouse solutions ranked by transfer fit for my city, with the factor breakdown."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from kb.replication.fit import FACTOR_MEANINGS, DroppedScheme, rank
from kb.text import escape_markdown
from kb.ui import routes, state
from kb.ui.widgets import city_picker
from kb.views.fmt import format_number
from kb.views.messages import plain_reason


def render() -> None:
    st.title("Which solutions fit my city?")
    city = city_picker("My city", key="match_city")
    if city is None:
        st.info("Choose your city (or define it on the My city page) to rank the lighthouse solutions.")
        return
    c1, c2 = st.columns([3, 1])
    needs = c1.text_input("What does your city need? (optional)", key="match_needs",
                          placeholder="e.g. cut gas use in apartment blocks")
    budget = c2.number_input("Budget, EUR (optional)", value=None, min_value=0.0, step=100000.0, key="match_budget")
    ranking = rank(state.engine(), city, needs=needs or None, budget=budget,
                   embedder=state.embedder() if needs else None)
    ranked = ranking.matches
    if not ranked:
        st.warning("No lighthouse solution with an impact model was found.")
        _dropped(ranking.dropped)
        return
    st.subheader(f"Best fit for {escape_markdown(city.name)}")
    data = pd.DataFrame([{"solution": m.title, "fit": m.fit, "shown": format_number(m.fit)} for m in ranked])
    chart = alt.Chart(data).mark_bar().encode(
        x=alt.X("fit:Q", scale=alt.Scale(domain=[0, 1]), title="How well it transfers to your city (0 to 1)"),
        y=alt.Y("solution:N", sort="-x", title=None, axis=alt.Axis(labelLimit=420)),
        color=alt.Color("fit:Q", legend=None),
        tooltip=[alt.Tooltip("solution:N", title="Solution"), alt.Tooltip("shown:N", title="Fit")])
    st.altair_chart(chart, use_container_width=True)
    for i, m in enumerate(ranked):
        with st.expander(f"{i + 1}. {escape_markdown(m.title)} — fit {m.fit:.2f}", expanded=i == 0):
            fac = pd.DataFrame([{"factor": f.name[:1].upper() + f.name[1:], "score": f.score,
                                 "shown": f"{f.score:.2f}", "why": plain_reason(f.explanation)} for f in m.factors])
            # every factor's bar labelled (one band per factor, tall enough for its name), its score beside it
            base = alt.Chart(fac).encode(
                y=alt.Y("factor:N", title=None, sort=None, axis=alt.Axis(labelLimit=240, labelOverlap=False)))
            bars = base.mark_bar().encode(
                x=alt.X("score:Q", scale=alt.Scale(domain=[0, 1]), title="Score (0 to 1)",
                        axis=alt.Axis(values=[0, 0.25, 0.5, 0.75, 1])),
                tooltip=[alt.Tooltip("factor:N", title="Factor"), alt.Tooltip("shown:N", title="Score"),
                         alt.Tooltip("why:N", title="Why")])
            text = base.mark_text(align="left", dx=4).encode(x="score:Q", text="shown:N")
            st.altair_chart((bars + text).properties(height=34 * len(fac) + 30), use_container_width=True)
            for f in m.factors:
                meaning = FACTOR_MEANINGS.get(f.name)
                st.markdown(f"**{escape_markdown(f.name)}** ({f.score:.2f}): "
                            f"{escape_markdown(plain_reason(f.explanation))}",
                            help=escape_markdown(meaning) if meaning else None)
            st.page_link(routes.page("estimate"), label=escape_markdown(f"Estimate {m.title} in {city.name}"),
                         icon="📈", query_params={"solution": m.id, "city": city.id})

    _dropped(ranking.dropped)


def _dropped(dropped: list[DroppedScheme]) -> None:
    """Dropped schemes below the ranking: lessons, not solutions to replicate, each with why."""
    if not dropped:
        return
    st.subheader("Lessons from dropped schemes")
    st.caption("These schemes were dropped or abandoned, so they are not ranked as solutions to replicate; "
               "read them for what went wrong.")
    for d in dropped:
        where = escape_markdown(d.city_name or d.city)
        st.markdown(f"**{escape_markdown(d.title)}** ({where}): {escape_markdown(d.reason)}")
        st.page_link(routes.page("record"), label=escape_markdown(f"Read {d.title}"), icon="📄",
                     query_params={"id": d.id})
