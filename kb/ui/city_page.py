"""My city page: pick a city or define your own, see its drivers with sources, fill in what is missing."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from kb.replication.cities import CityProfile, city_from_dict
from kb.text import escape_markdown
from kb.ui import state
from kb.ui.widgets import STATE_KEY, city_list, current_city
from kb.views.fmt import BLANK, format_number, label_of, label_with_unit, unit_of
from kb.views.profiles import (
    MONTHS,
    SEASONS,
    ProfileReferences,
    city_profiles,
    monthly_rows,
    reference_figures,
    week_rows,
)
from kb.views.replication import ESSENTIAL_DRIVERS, comparison_rows, driver_rows

OWN = "➕ Define my own city"


def render() -> None:
    st.title("My city")
    st.caption("The drivers the estimates use: climate, sun, grid carbon, energy prices, district heating.")
    cities = city_list()
    mine = current_city()
    options = [c.id for c in cities] + [OWN]
    names = {c.id: c.name for c in cities}
    default = options.index(mine.id) if mine is not None and mine.id in options else None
    choice = st.selectbox("Pick your city", options, index=default, format_func=lambda i: names.get(i, i),
                          placeholder="Choose a city", key="my_city_choice")
    if choice is None:
        st.info("Pick a city, or define your own district's context.")
        return
    if choice == OWN:
        city = _define_own(mine)
        if city is None:
            return
    else:
        city = mine if mine is not None and mine.id == choice else next(c for c in cities if c.id == choice)
        st.session_state[STATE_KEY] = city
    _show(city, cities)


def _define_own(mine: CityProfile | None) -> CityProfile | None:
    with st.form("own_city"):
        name = st.text_input("City or district name", value=mine.name if mine and mine.user_defined else "")
        country = st.text_input("Country (ISO code)", value=mine.country if mine and mine.user_defined else "")
        values = {}
        cols = st.columns(2)
        for i, key in enumerate(ESSENTIAL_DRIVERS):
            prev = mine.value(key) if mine else None
            values[key] = cols[i % 2].number_input(label_with_unit(key), value=prev,
                                                   min_value=0.0, format="%g", key=f"own_{key}")
        if not st.form_submit_button("Use this city"):
            return mine if mine is not None and mine.user_defined else None
    if not name.strip():
        st.error("Give the city a name.")
        return None
    city = city_from_dict({"name": name, "country": country,
                           "drivers": {k: v for k, v in values.items() if v is not None}})
    st.session_state[STATE_KEY] = city
    st.success(f"Using {escape_markdown(city.name)}; estimates will ask for any driver still missing.")
    return city


def _show(city: CityProfile, cities: list[CityProfile]) -> None:
    label = "user-defined" if city.user_defined else f"{city.role} city, {city.country}"
    st.subheader(escape_markdown(f"{city.name} ({label})"))
    rows = pd.DataFrame([{"driver": label_of(r["key"]), "value": format_number(r["value"]), "unit": unit_of(r["key"]),
                          "year": str(r["year"] or ""), "evidence": r["evidence"], "source": r["source"] or BLANK}
                         for r in driver_rows(city)])
    st.dataframe(rows, hide_index=True, use_container_width=True, column_config={
        "driver": st.column_config.TextColumn("What", width="medium"),
        "value": st.column_config.TextColumn("Value", width="small"),
        "unit": st.column_config.TextColumn("Unit", width="small"),
        "year": st.column_config.TextColumn("Year", width="small"),
        "evidence": st.column_config.TextColumn("Evidence", width="small"),
        "source": st.column_config.TextColumn("Source", width="large", help="Where the figure comes from")})
    if city.missing:
        st.warning("Not known for this city yet: " + ", ".join(label_of(k) for k in city.missing)
                   + ". Estimates that need one of them will ask for it.")
        with st.form("fill_missing"):
            st.write("Fill in what you know; it is kept as your own version of this city for this session.")
            vals = {k: st.number_input(label_with_unit(k), value=None, format="%g",
                                       key=f"fill_{k}") for k in city.missing}
            if st.form_submit_button("Save my values"):
                given = {k: v for k, v in vals.items() if v is not None}
                if given:
                    st.session_state[STATE_KEY] = city.with_drivers(given)
                    st.success(f"Saved {len(given)} value(s) for {escape_markdown(city.name)} "
                               "(labelled 'entered by the user').")
                    st.rerun()
    _hourly(city)
    st.subheader("Compare with another city")
    others = [c for c in cities if c.id != city.id]
    if not others:
        return
    other = st.selectbox("Compare with", [c.id for c in others], format_func=lambda i: next(
        c.name for c in others if c.id == i), key="compare_with")
    b = next(c for c in others if c.id == other)
    data = pd.DataFrame([{**r, "driver": label_of(r["driver"]), "unit": unit_of(r["driver"]),
                          "shown": format_number(r["value"])} for r in comparison_rows(city, b)])
    if not data.empty:
        chart = alt.Chart(data).mark_bar().encode(
            x=alt.X("relative:Q", title="Share of the larger of the two values", axis=alt.Axis(format="%")),
            y=alt.Y("driver:N", title=None, axis=alt.Axis(labelLimit=360)),
            yOffset="city:N", color=alt.Color("city:N", title="City"),
            tooltip=[alt.Tooltip("driver:N", title="What"), alt.Tooltip("city:N", title="City"),
                     alt.Tooltip("shown:N", title="Value"), alt.Tooltip("unit:N", title="Unit")])
        st.altair_chart(chart, use_container_width=True)


@st.cache_data(show_spinner=False, ttl=300)
def _references() -> ProfileReferences:
    return reference_figures(state.engine())


def _hourly(city: CityProfile) -> None:
    """The city's hourly profiles: a typical week of the chosen season, the monthly figures, how each is made."""
    st.subheader("Hour by hour: the city's profiles")
    result = city_profiles(city, _references())  # cached per climate in the view
    if not result.profiles:
        st.info(escape_markdown(result.reason))
        return
    st.caption("Typical profiles of a year from the city's monthly climate; each one says below how it was made. "
               f"Hours in {escape_markdown(result.time_zone)}.")
    season = st.radio("Season", SEASONS, horizontal=True, key="city_hourly_season", format_func=str.capitalize)
    week = alt.Chart(pd.DataFrame(week_rows(result, season))).mark_line().encode(
        x=alt.X("hour:Q", title=f"hour of a typical {season} week (from Monday 00:00)",
                scale=alt.Scale(domain=[0, 168]), axis=alt.Axis(values=list(range(0, 169, 24)))),
        y=alt.Y("value:Q", title=None), color=alt.Color("profile:N", legend=None),
        tooltip=["profile", "hour", alt.Tooltip("value:Q", format=",.3g")],
    ).properties(height=110).facet(row=alt.Row("profile:N", title=None, header=alt.Header(labelOrient="top",
                                                                                          labelAnchor="start"))
                                   ).resolve_scale(y="independent")
    st.altair_chart(week, use_container_width=True)
    st.caption("Monthly totals (temperature and COP: monthly means)")
    bars = alt.Chart(pd.DataFrame(monthly_rows(result))).mark_bar().encode(
        x=alt.X("month:N", sort=list(MONTHS), title=None), y=alt.Y("value:Q", title=None),
        color=alt.Color("profile:N", legend=None),
        tooltip=["profile", "month", alt.Tooltip("value:Q", format=",.3g")],
    ).properties(height=110).facet(row=alt.Row("profile:N", title=None, header=alt.Header(labelOrient="top",
                                                                                          labelAnchor="start"))
                                   ).resolve_scale(y="independent")
    st.altair_chart(bars, use_container_width=True)
    with st.expander("How each profile is made"):
        for p in result.profiles:
            year = f"{p.annual:,.1f} {p.monthly_unit.replace(' per month', ' per year')}" if p.monthly_kind == "sum" \
                else f"annual mean {p.annual:,.2f} {p.unit}"
            st.markdown(f"**{escape_markdown(p.label)}** ({escape_markdown(year)}): {escape_markdown(p.provenance)}")
            st.caption("Sources: " + escape_markdown("; ".join(p.sources)))
