"""My city page: pick a city or define your own, see its drivers with sources, fill in what is missing."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from kb.i18n import N_
from kb.replication.cities import CityProfile, city_from_dict
from kb.text import escape_markdown
from kb.ui import state
from kb.ui.state import t
from kb.ui.widgets import STATE_KEY, altair_chart, city_list, current_city, data_apart
from kb.views.fmt import BLANK, format_number, label_of, label_with_unit, unit_of
from kb.views.profiles import (
    MONTHS,
    SEASONS,
    ProfileReferences,
    city_profiles,
    monthly_rows,
    profile_label,
    profile_unit,
    reference_figures,
    week_rows,
)
from kb.views.replication import ESSENTIAL_DRIVERS, comparison_rows, driver_rows

SEASON_NAMES = {"winter": N_("Winter"), "spring": N_("Spring"), "summer": N_("Summer"), "autumn": N_("Autumn")}
OWN = "➕ Define my own city"
OWN_LABEL = N_("➕ Define my own city")


def render() -> None:
    st.title(t("My city"))
    st.caption(t("The drivers the estimates use: climate, sun, grid carbon, energy prices, district heating."))
    cities = city_list()
    mine = current_city()
    options = [c.id for c in cities] + [OWN]
    names = {c.id: c.name for c in cities} | {OWN: t(OWN_LABEL)}
    default = options.index(mine.id) if mine is not None and mine.id in options else None
    choice = st.selectbox(t("Pick your city"), options, index=default, format_func=lambda i: names.get(i, i),
                          placeholder=t("Choose a city"), key="my_city_choice")
    if choice is None:
        st.info(t("Pick a city, or define your own district's context."))
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
        name = st.text_input(t("City or district name"), value=mine.name if mine and mine.user_defined else "")
        country = st.text_input(t("Country (ISO code)"), value=mine.country if mine and mine.user_defined else "")
        values = {}
        cols = st.columns(2)
        for i, key in enumerate(ESSENTIAL_DRIVERS):
            prev = mine.value(key) if mine else None
            values[key] = cols[i % 2].number_input(label_with_unit(key, t), value=prev,
                                                   min_value=0.0, format="%g", key=f"own_{key}")
        if not st.form_submit_button(t("Use this city")):
            return mine if mine is not None and mine.user_defined else None
    if not name.strip():
        st.error(t("Give the city a name."))
        return None
    city = city_from_dict({"name": name, "country": country,
                           "drivers": {k: v for k, v in values.items() if v is not None}})
    st.session_state[STATE_KEY] = city
    st.success(t("Using {city}; estimates will ask for any driver still missing.").format(
        city=escape_markdown(city.name)))
    return city


def _show(city: CityProfile, cities: list[CityProfile]) -> None:
    loc = state.locale()
    roles = {"lighthouse": t("lighthouse city"), "fellow": t("fellow city"), "other": t("other city")}
    role = roles.get(city.role, f"{city.role} city")
    label = t("user-defined") if city.user_defined else f"{role}, {city.country}"
    st.subheader(escape_markdown(f"{city.name} ({label})"))
    rows = pd.DataFrame([{"driver": label_of(r["key"], t), "value": format_number(r["value"], locale=loc),
                          "unit": unit_of(r["key"], t), "year": str(r["year"] or ""), "evidence": t(r["evidence"]),
                          "source": r["source"] or BLANK}
                         for r in driver_rows(city)])
    st.dataframe(rows, hide_index=True, use_container_width=True, column_config={
        "driver": st.column_config.TextColumn(t("What"), width="medium"),
        "value": st.column_config.TextColumn(t("Value"), width="small"),
        "unit": st.column_config.TextColumn(t("Unit"), width="small"),
        "year": st.column_config.TextColumn(t("Year"), width="small"),
        "evidence": st.column_config.TextColumn(t("Evidence"), width="small"),
        "source": st.column_config.TextColumn(t("Source"), width="large", help=t("Where the figure comes from"))})
    if city.missing:
        st.warning(t("Not known for this city yet: {drivers}. Estimates that need one of them will ask for it.")
                   .format(drivers=", ".join(label_of(k, t) for k in city.missing)))
        with st.form("fill_missing"):
            st.write(t("Fill in what you know; it is kept as your own version of this city for this session."))
            vals = {k: st.number_input(label_with_unit(k, t), value=None, format="%g",
                                       key=f"fill_{k}") for k in city.missing}
            if st.form_submit_button(t("Save my values")):
                given = {k: v for k, v in vals.items() if v is not None}
                if given:
                    st.session_state[STATE_KEY] = city.with_drivers(given)
                    st.success(t("Saved {count} value(s) for {city} (labelled 'entered by the user').").format(
                        count=len(given), city=escape_markdown(city.name)))
                    st.rerun()
    _hourly(city)
    st.subheader(t("Compare with another city"))
    others = [c for c in cities if c.id != city.id]
    if not others:
        return
    other = st.selectbox(t("Compare with"), [c.id for c in others], format_func=lambda i: next(
        c.name for c in others if c.id == i), key="compare_with")
    b = next(c for c in others if c.id == other)
    data = pd.DataFrame([{**r, "driver": label_of(r["driver"], t), "unit": unit_of(r["driver"], t),
                          "shown": format_number(r["value"], locale=loc)} for r in comparison_rows(city, b)])
    if not data.empty:
        st.vega_lite_chart(data, _comparison_chart(state.language()), use_container_width=True)


@st.cache_data(show_spinner=False, max_entries=16)
def _comparison_chart(lang: str) -> dict[str, Any]:
    """The Vega-Lite spec of the comparison bars (the data passed apart), built by Altair once per language (``lang``,
    the session's, is the key): Altair takes a tenth of a second or more to build a chart."""
    out: dict[str, Any] = alt.Chart().mark_bar().encode(
        x=alt.X("relative:Q", title=t("Share of the larger of the two values"), axis=alt.Axis(format="%")),
        y=alt.Y("driver:N", title=None, axis=alt.Axis(labelLimit=360)),
        yOffset=alt.YOffset("city:N"), color=alt.Color("city:N", title=t("City")),
        tooltip=[alt.Tooltip("driver:N", title=t("What")), alt.Tooltip("city:N", title=t("City")),
                 alt.Tooltip("shown:N", title=t("Value")), alt.Tooltip("unit:N", title=t("Unit"))]).to_dict()
    return data_apart(out)


def _week_chart(rows: list[dict[str, Any]], season: str) -> alt.FacetChart:
    """The typical week of ``season``, one panel per profile."""
    out: alt.FacetChart = alt.Chart(pd.DataFrame(rows)).mark_line().encode(
        x=alt.X("hour:Q", title=t("hour of a typical {season} week (from Monday 00:00)").format(
            season=t(SEASON_NAMES.get(season, season.capitalize())).lower()),
                scale=alt.Scale(domain=[0, 168]), axis=alt.Axis(values=list(range(0, 169, 24)))),
        y=alt.Y("value:Q", title=None), color=alt.Color("profile:N", legend=None),
        tooltip=["profile", "hour", alt.Tooltip("value:Q", format=",.3g")],
    ).properties(height=110).facet(row=alt.Row("profile:N", title=None, header=alt.Header(labelOrient="top",
                                                                                          labelAnchor="start"))
                                   ).resolve_scale(y="independent")
    return out


def _monthly_chart(rows: list[dict[str, Any]]) -> alt.FacetChart:
    """The monthly totals, one panel per profile."""
    months = pd.DataFrame([{**r, "month": t(str(r["month"]))} for r in rows])
    out: alt.FacetChart = alt.Chart(months).mark_bar().encode(
        x=alt.X("month:N", sort=[t(m) for m in MONTHS], title=None), y=alt.Y("value:Q", title=None),
        color=alt.Color("profile:N", legend=None),
        tooltip=["profile", "month", alt.Tooltip("value:Q", format=",.3g")],
    ).properties(height=110).facet(row=alt.Row("profile:N", title=None, header=alt.Header(labelOrient="top",
                                                                                          labelAnchor="start"))
                                   ).resolve_scale(y="independent")
    return out


@st.cache_data(show_spinner=False, ttl=300)
def _references() -> ProfileReferences:
    return reference_figures(state.engine())


def _hourly(city: CityProfile) -> None:
    """The city's hourly profiles: a typical week of the chosen season, the monthly figures, how each is made."""
    st.subheader(t("Hour by hour: the city's profiles"))
    loc = state.locale()
    result = city_profiles(city, _references())  # cached per climate in the view
    if not result.profiles:
        st.info(escape_markdown(result.reason))
        return
    st.caption(t("Typical profiles of a year from the city's monthly climate; each one says below how it was made. "
                 "Hours in {zone}.").format(zone=escape_markdown(result.time_zone)))
    season = st.radio(t("Season"), SEASONS, horizontal=True, key="city_hourly_season",
                      format_func=lambda s: t(SEASON_NAMES.get(s, s.capitalize())))
    key = (state.language(), city, state.data_version())  # what the profiles are drawn from
    altair_chart(("city week", season, *key), lambda: _week_chart(week_rows(result, season, t), season))
    st.caption(t("Monthly totals (temperature and COP: monthly means)"))
    altair_chart(("city monthly", *key), lambda: _monthly_chart(monthly_rows(result, t)))
    with st.expander(t("How each profile is made")):
        for p in result.profiles:
            year = (f"{format_number(p.annual, locale=loc)} {profile_unit(p, 'year', t)}"
                    if p.monthly_kind == "sum" else t("annual mean {value} {unit}").format(
                        value=format_number(p.annual, locale=loc), unit=p.unit))
            st.markdown(f"**{escape_markdown(profile_label(p, t))}** ({escape_markdown(year)}): "
                        f"{escape_markdown(p.provenance)}")
            st.caption(t("Sources: ") + escape_markdown("; ".join(p.sources)))
