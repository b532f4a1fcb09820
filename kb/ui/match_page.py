"""Match page: lighthouse solutions ranked by transfer fit for my city, with the factor breakdown."""

from __future__ import annotations

from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st
from babel.numbers import format_decimal

from kb.i18n import N_
from kb.replication.cities import CityProfile
from kb.replication.fit import (
    FACTOR_MEANINGS,
    DroppedScheme,
    FitBase,
    Match,
    Ranking,
    fit_base,
    needs_chunks,
    rank_needs,
)
from kb.text import escape_markdown
from kb.ui import routes, state
from kb.ui.state import t
from kb.ui.widgets import city_picker, data_apart
from kb.views.fmt import format_number
from kb.views.messages import say


@st.cache_data(show_spinner=False, ttl=3600, max_entries=64)
def _ranking(_city: CityProfile, city_key: str, needs: str, budget: float | None, version: str) -> Ranking:
    """The ranking of a city for the stated needs and budget, cached per data version (``version`` is the key, not
    used; ``city_key`` stands for the city, see :func:`_city_key`): a rerun that changes none of them reads it back
    instead of re-reading every solution. A new needs text
    embeds only itself: the rest of the ranking (:func:`_fit_base`) and the solutions' sections (:func:`_chunks`)
    are kept per city, budget and data version."""
    base = _fit_base(_city, city_key, budget, version)
    if not needs.strip():
        return rank_needs(base)
    embedder = state.embedder()
    qvec = embedder.encode([needs.strip()])[0]
    return rank_needs(base, needs, qvec, _chunks(tuple(base.record_ids), version, _base=base))


@st.cache_resource(show_spinner=False, ttl=3600, max_entries=32)
def _fit_base(_city: CityProfile, city_key: str, budget: float | None, version: str) -> FitBase:
    """The needs-independent part of a city's ranking (shared, never changed: :func:`rank_needs` builds new
    matches from it)."""
    return fit_base(state.engine(), _city, budget=budget)


def _city_key(city: CityProfile) -> str:
    """A city profile as a cache key: its ``repr`` names every field and driver (a frozen dataclass), and is made in
    a fraction of the time Streamlit takes to hash the profile itself."""
    return repr(city)


@st.cache_resource(show_spinner=False, ttl=3600, max_entries=4)
def _chunks(record_ids: tuple[str, ...], version: str, _base: FitBase) -> dict[str, list[tuple[str, np.ndarray]]]:
    """The section vectors of the ranked solutions (``record_ids``), read once per data version."""
    return needs_chunks(state.engine(), _base, state.embedder())


@st.cache_data(show_spinner=False, max_entries=16)
def _fit_chart(lang: str) -> dict[str, Any]:
    """The Vega-Lite spec of the ranking's bars (the data passed apart), built by Altair once per language (``lang``,
    the session's, is the key): Altair takes a tenth of a second or more to build a chart."""
    out: dict[str, Any] = alt.Chart().mark_bar().encode(
        x=alt.X("fit:Q", scale=alt.Scale(domain=[0, 1]), title=t("How well it transfers to your city (0 to 1)")),
        y=alt.Y("solution:N", sort="-x", title=None, axis=alt.Axis(labelLimit=420)),
        color=alt.Color("fit:Q", legend=None),
        tooltip=[alt.Tooltip("solution:N", title=t("Solution")), alt.Tooltip("shown:N", title=t("Fit"))],
    ).to_dict()
    return data_apart(out)


@st.cache_data(show_spinner=False, max_entries=64)
def _factor_chart(lang: str, factors: int) -> dict[str, Any]:
    """The Vega-Lite spec of a solution's factor bars for ``factors`` factors, built once per language and count
    (see :func:`_fit_chart`): every factor's bar labelled (one band per factor, tall enough for its name), its
    score beside it."""
    base = alt.Chart().encode(
        y=alt.Y("factor:N", title=None, sort=None, axis=alt.Axis(labelLimit=240, labelOverlap=False)))
    bars = base.mark_bar().encode(
        x=alt.X("score:Q", scale=alt.Scale(domain=[0, 1]), title=t("Score (0 to 1)"),
                axis=alt.Axis(values=[0, 0.25, 0.5, 0.75, 1])),
        tooltip=[alt.Tooltip("factor:N", title=t("Factor")), alt.Tooltip("shown:N", title=t("Score")),
                 alt.Tooltip("why:N", title=t("Why"))])
    text = base.mark_text(align="left", dx=4).encode(x=alt.X("score:Q"), text=alt.Text("shown:N"))
    out: dict[str, Any] = (bars + text).properties(height=34 * factors + 30).to_dict()
    return out  # a layered spec: its layers take the data passed apart through the empty top-level dataset


def render() -> None:
    st.title(t("Which solutions fit my city?"))
    loc = state.locale()
    city = city_picker(t("My city"), key="match_city")
    if city is None:
        st.info(t("Choose your city (or define it on the My city page) to rank the lighthouse solutions."))
        return
    c1, c2 = st.columns([3, 1])
    needs = c1.text_input(t("What does your city need? (optional)"), key="match_needs",
                          placeholder=t("e.g. cut gas use in apartment blocks"))
    budget = c2.number_input(t("Budget, EUR (optional)"), value=None, min_value=0.0, step=100000.0, key="match_budget")
    ranking = _ranking(city, _city_key(city), needs or "", budget, state.data_version())
    ranked = ranking.matches
    if not ranked:
        st.warning(t("No lighthouse solution with an impact model was found."))
        _dropped(ranking.dropped)
        return
    st.subheader(t("Best fit for {city}").format(city=escape_markdown(city.name)))
    data = pd.DataFrame([{"solution": m.title, "fit": m.fit, "shown": format_number(m.fit, locale=loc)}
                         for m in ranked])
    st.vega_lite_chart(data, _fit_chart(state.language()), use_container_width=True)
    for i, m in enumerate(ranked):
        # lazy: a closed breakdown is not built (Streamlit reruns the page when one is opened); the key follows
        # the solution and its place, so the first one opens again when the ranking changes
        why = st.expander(t("{rank}. {title} — fit {fit}").format(rank=i + 1, title=escape_markdown(m.title),
                                                                  fit=_score(m.fit, loc)),
                          expanded=i == 0, key=f"match_why_{i}_{m.id}", on_change="rerun")
        if why.open:
            with why:
                _breakdown(m, city, loc)

    _dropped(ranking.dropped)


def _breakdown(m: Match, city: CityProfile, loc: str) -> None:
    """One solution's fit, factor by factor: the bars, each factor in words, the link to its estimate."""
    fac = pd.DataFrame([{"factor": _factor(f.name), "score": f.score,
                         "shown": _score(f.score, loc), "why": say(f.message or f.explanation, t, loc)}
                        for f in m.factors])
    st.vega_lite_chart(fac, _factor_chart(state.language(), len(fac)), use_container_width=True)
    for f in m.factors:
        meaning = FACTOR_MEANINGS.get(f.name)
        st.markdown(f"**{escape_markdown(t(f.name))}** ({_score(f.score, loc)}): "
                    f"{escape_markdown(say(f.message or f.explanation, t, loc))}",
                    help=escape_markdown(t(meaning)) if meaning else None)
    st.page_link(routes.page("estimate"), label=escape_markdown(
        t("Estimate {solution} in {city}").format(solution=m.title, city=city.name)),
                 icon="📈", query_params={"solution": m.id, "city": city.id})


# the library's factor names and meanings (kb.replication.fit), for the catalogue; shown through t()
_FACTOR_TEXTS = (
    N_("climate"), N_("preconditions"), N_("economics"), N_("evidence"), N_("district heating"), N_("needs"),
    N_("How close your city's climate is to the source city's, for what the measure depends on."),
    N_("Whether what is known about your city meets the conditions the measure needs."),
    N_("How soon the measure pays back on energy savings at your city's prices."),
    N_("How much of the record's evidence was measured or installed rather than designed or targeted."),
    N_("How the share of your city on district heating suits a heat solution: heat-network solutions fit better, "
       "boiler replacement worse, the larger that share."),
    N_("How well the solution answers what you said your city needs."),
)


def _score(x: float, locale: str) -> str:
    """A score from 0 to 1 with two decimals (``0,87`` in Polish)."""
    return format_decimal(x, format="0.00", locale=locale)


def _factor(name: str) -> str:
    """A factor's name in the session's language (the library names it in English)."""
    text = t(name)
    return text[:1].upper() + text[1:]


def _dropped(dropped: list[DroppedScheme]) -> None:
    """Dropped schemes below the ranking: lessons, not solutions to replicate, each with why."""
    if not dropped:
        return
    st.subheader(t("Lessons from dropped schemes"))
    st.caption(t("These schemes were dropped or abandoned, so they are not ranked as solutions to replicate; "
                 "read them for what went wrong."))
    for d in dropped:
        where = escape_markdown(d.city_name or d.city)
        why = say(d.message or d.reason, t, state.locale())
        st.markdown(f"**{escape_markdown(d.title)}** ({where}): {escape_markdown(why)}")
        st.page_link(routes.page("record"), label=escape_markdown(t("Read {title}").format(title=d.title)), icon="📄",
                     query_params={"id": d.id})
