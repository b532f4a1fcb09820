"""Abatement cost page: a marginal abatement cost curve for my city, every modelled solution at a stated scale."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st
from babel.numbers import format_percent

from kb.replication.cities import CityProfile
from kb.replication.macc import MACC_SAMPLES, Macc, macc
from kb.text import escape_markdown
from kb.ui import state
from kb.ui.state import t
from kb.ui.widgets import altair_chart, city_picker
from kb.views.fmt import format_number
from kb.views.macc import COSTS, SAVES, bar_rows, refused_rows, scale_rows, stated_scales
from kb.views.messages import plain_reason


@st.cache_data(show_spinner=False, ttl=3600, max_entries=64)
def _curve(city: CityProfile, scales: tuple[tuple[str, dict[str, float]], ...], version: str) -> Macc:
    """The curve of a city at the stated scales, cached per data version (``version`` is the key, not used)."""
    return macc(state.engine(), city, samples=MACC_SAMPLES, scales=dict(scales))


@st.cache_data(show_spinner=False, ttl=3600, max_entries=8)
def _scale_rows(version: str) -> list[dict[str, Any]]:
    """Every modelled solution with its source scale, cached per data version."""
    return scale_rows(state.engine())


def _curve_chart(bars: pd.DataFrame) -> alt.Chart:
    """The curve: one bar per solution, as wide as the CO₂ it avoids, as high as its net cost per tonne."""
    chart: alt.Chart = alt.Chart(bars).mark_rect(stroke="white").encode(
        x=alt.X("start:Q", title=t("CO₂ avoided, added up from the cheapest (tonnes per year)")), x2="end:Q",
        y=alt.Y("eur_per_tco2:Q", title=t("Net cost (EUR per tonne of CO₂; below zero saves money)")),
        y2=alt.datum(0),
        color=alt.Color("result:N", title=None,
                        scale=alt.Scale(domain=[t(SAVES), t(COSTS)], range=["#2a9d8f", "#e76f51"])),
        tooltip=[alt.Tooltip("solution:N", title=t("Solution")), alt.Tooltip("scale:N", title=t("Scale")),
                 alt.Tooltip("tco2_per_year:Q", title=t("CO₂ avoided, tonnes per year"), format=",.3~r"),
                 alt.Tooltip("eur_per_tco2:Q", title=t("Net cost, EUR per tonne of CO₂"), format=",.0f"),
                 alt.Tooltip("npv_eur:Q", title=t("Net present value, EUR"), format=",.0f")])
    return chart


def render() -> None:
    st.title(t("What does a tonne of CO2 cost here?"))
    st.caption(t("A marginal abatement cost curve: each bar is one solution replicated in your city. Its width is "
                 "the CO₂ it avoids per year, its height the net cost of each tonne over the solution's life "
                 "(investment, upkeep and replacements minus the energy it saves, discounted). Bars below zero "
                 "save money."))
    loc = state.locale()
    city = city_picker(t("My city"), key="macc_city")
    if city is None:
        st.info(t("Choose your city (or define it on the My city page)."))
        return
    version = state.data_version()
    rows = _scale_rows(version)
    table = pd.DataFrame(rows)
    table["scale"] = table["source_scale"]
    table["at_source"] = [format_number(v, missing=t("not given"), locale=loc) for v in table["source_scale"]]
    st.subheader(t("Scale of each solution"))
    st.caption(t("Filled in where the lighthouse record gives the size built there; enter a scale for the others "
                 "to put them on the curve."))
    edited = st.data_editor(
        table[["scale", "unit", "at_source", "title", "measure"]], hide_index=True, use_container_width=True,
        disabled=["title", "measure", "unit", "at_source"], key=f"macc_scales_{city.id}",
        column_config={"title": st.column_config.TextColumn(t("Solution"), width="large"),
                       "measure": st.column_config.TextColumn(t("Measure"), width="medium"),
                       "unit": st.column_config.TextColumn(t("Unit"), width="small"),
                       "at_source": st.column_config.TextColumn(t("At the source site"), width="small"),
                       "scale": st.column_config.NumberColumn(t("Scale here ✎"), min_value=0.0, max_value=1e9,
                                                              format="localized", width="small",
                                                              help=t("Type a scale to put the solution on the "
                                                                     "curve"))})
    typed = [{**r, "scale": v} for r, v in zip(rows, edited["scale"].tolist(), strict=True)]
    scales = stated_scales(typed)
    awaiting = {r["solution"] for r in typed} - set(scales)
    with st.spinner(t("Estimating every solution in {city}…").format(city=escape_markdown(city.name))):
        curve = _curve(city, tuple(sorted(scales.items())), version)
    bars = pd.DataFrame(bar_rows(curve, t, loc))
    if bars.empty:
        st.warning(t("No solution can be put on the curve yet: enter a scale in the table above."))
    else:
        st.subheader(escape_markdown(t("Abatement cost curve, {city}").format(city=city.name)))
        altair_chart(("macc", state.language(), city, tuple(sorted(scales.items())), version),
                     lambda: _curve_chart(bars))
        shown = bars[["solution", "scale", "tco2_per_year", "eur_per_tco2", "npv_eur"]]
        st.dataframe(shown, hide_index=True, use_container_width=True, column_config={
            "solution": st.column_config.TextColumn(t("Solution"), width="large"),
            "scale": st.column_config.TextColumn(t("Scale"), width="small"),
            "tco2_per_year": st.column_config.NumberColumn(t("CO₂ avoided (t per year)"), format="localized"),
            "eur_per_tco2": st.column_config.NumberColumn(t("Net cost (EUR per t CO₂; below zero saves money)"),
                                                          format="localized" if loc != "en_GB" else "%,.0f"),
            "npv_eur": st.column_config.NumberColumn(t("Net present value (EUR)"),
                                                     format="localized" if loc != "en_GB" else "%,.0f")})
    rate = curve.discount_rate
    st.caption((t("Discount rate: ") + (t("{rate} (entered)").format(
        rate=format_percent(rate, format="#,##0.0%", locale=loc)) if rate is not None else
        t("the sourced range of the carrier-factors record (3–5 % real, 4 % central)"))) + ". " + " ".join(
        escape_markdown(n[:1].upper() + n[1:]) + "." for n in (plain_reason(x, t) for x in curve.notes)))
    left_out = refused_rows(curve, awaiting, t)
    if left_out:
        with st.expander(t("Not on the curve ({count})").format(count=len(left_out))):
            st.dataframe(pd.DataFrame(left_out), hide_index=True, use_container_width=True, column_config={
                "solution": st.column_config.TextColumn(t("Solution"), width="medium"),
                "why not on the curve": st.column_config.TextColumn(t("Why it is not on the curve"),
                                                                    width="large")})
