"""Match page: lighthouse solutions ranked by transfer fit for my city, with the factor breakdown."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st
from babel.numbers import format_decimal

from kb.i18n import N_
from kb.replication.fit import FACTOR_MEANINGS, DroppedScheme, rank
from kb.text import escape_markdown
from kb.ui import routes, state
from kb.ui.state import t
from kb.ui.widgets import city_picker
from kb.views.fmt import format_number
from kb.views.messages import say


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
    ranking = rank(state.engine(), city, needs=needs or None, budget=budget,
                   embedder=state.embedder() if needs else None)
    ranked = ranking.matches
    if not ranked:
        st.warning(t("No lighthouse solution with an impact model was found."))
        _dropped(ranking.dropped)
        return
    st.subheader(t("Best fit for {city}").format(city=escape_markdown(city.name)))
    data = pd.DataFrame([{"solution": m.title, "fit": m.fit, "shown": format_number(m.fit, locale=loc)}
                         for m in ranked])
    chart = alt.Chart(data).mark_bar().encode(
        x=alt.X("fit:Q", scale=alt.Scale(domain=[0, 1]), title=t("How well it transfers to your city (0 to 1)")),
        y=alt.Y("solution:N", sort="-x", title=None, axis=alt.Axis(labelLimit=420)),
        color=alt.Color("fit:Q", legend=None),
        tooltip=[alt.Tooltip("solution:N", title=t("Solution")), alt.Tooltip("shown:N", title=t("Fit"))])
    st.altair_chart(chart, use_container_width=True)
    for i, m in enumerate(ranked):
        with st.expander(t("{rank}. {title} — fit {fit}").format(rank=i + 1, title=escape_markdown(m.title),
                                                                 fit=_score(m.fit, loc)), expanded=i == 0):
            fac = pd.DataFrame([{"factor": _factor(f.name), "score": f.score,
                                 "shown": _score(f.score, loc), "why": say(f.message or f.explanation, t, loc)}
                                for f in m.factors])
            # every factor's bar labelled (one band per factor, tall enough for its name), its score beside it
            base = alt.Chart(fac).encode(
                y=alt.Y("factor:N", title=None, sort=None, axis=alt.Axis(labelLimit=240, labelOverlap=False)))
            bars = base.mark_bar().encode(
                x=alt.X("score:Q", scale=alt.Scale(domain=[0, 1]), title=t("Score (0 to 1)"),
                        axis=alt.Axis(values=[0, 0.25, 0.5, 0.75, 1])),
                tooltip=[alt.Tooltip("factor:N", title=t("Factor")), alt.Tooltip("shown:N", title=t("Score")),
                         alt.Tooltip("why:N", title=t("Why"))])
            text = base.mark_text(align="left", dx=4).encode(x="score:Q", text="shown:N")
            st.altair_chart((bars + text).properties(height=34 * len(fac) + 30), use_container_width=True)
            for f in m.factors:
                meaning = FACTOR_MEANINGS.get(f.name)
                st.markdown(f"**{escape_markdown(t(f.name))}** ({_score(f.score, loc)}): "
                            f"{escape_markdown(say(f.message or f.explanation, t, loc))}",
                            help=escape_markdown(t(meaning)) if meaning else None)
            st.page_link(routes.page("estimate"), label=escape_markdown(
                t("Estimate {solution} in {city}").format(solution=m.title, city=city.name)),
                         icon="📈", query_params={"solution": m.id, "city": city.id})

    _dropped(ranking.dropped)


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
