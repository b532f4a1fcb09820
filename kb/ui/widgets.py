"""Widgets shared by pages: the city picker, and brief download buttons (each file made when its button is clicked)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from kb.briefs.build import BriefRequest, build_brief
from kb.briefs.formats import FORMATS, file_name, render
from kb.briefs.model import Brief
from kb.i18n import N_
from kb.replication.bounds import Bound
from kb.replication.cities import CityProfile, list_cities
from kb.text import escape_markdown
from kb.ui import state
from kb.ui.state import t
from kb.views.fmt import plain_units_in
from kb.views.hourly import MONTHS
from kb.views.inputs import NO_TYPICAL, NUMBER_HELP, Entry, TypicalScale, entry_text, read_entry

ICONS = {"md": "📝", "html": "🌐", "pdf": "📄", "docx": "📃"}


@st.cache_data(show_spinner=False, ttl=3600, max_entries=256)
def _chart_spec(key: tuple[Any, ...], _build: Callable[[], Any]) -> dict[str, Any]:
    """The Vega-Lite spec (data included) of the chart ``_build`` makes, cached under ``key`` (``_build`` is not
    hashed: the key names everything the chart is drawn from)."""
    with alt.data_transformers.disable_max_rows():  # a year of hours is drawn whole, as st.altair_chart does
        spec: dict[str, Any] = _build().to_dict()
    return spec


def data_apart(spec: dict[str, Any]) -> dict[str, Any]:
    """An Altair spec built without data (``alt.Chart()``), for ``st.vega_lite_chart(data, spec)``: Altair puts an
    empty dataset of one blank row in it, which Vega-Lite would draw beside the real rows as a bar named
    "undefined"; it is removed, so the data passed apart is all that is drawn."""
    out = dict(spec)
    out.pop("data", None)
    out.pop("datasets", None)
    return out


def altair_chart(key: tuple[Any, ...], build: Callable[[], Any], use_container_width: bool = True) -> None:
    """An Altair chart drawn from its cached spec: Altair takes a tenth of a second or more to build and check a
    chart, on every rerun; here only when ``key`` (the page, the language and what the chart is drawn from, e.g.
    the inputs of an estimate and the data version) is new."""
    st.vega_lite_chart(spec=_chart_spec(key, build), use_container_width=use_container_width)


def _deferred(make: Callable[[], Brief], fmt: str) -> Callable[[], bytes]:
    return lambda: render(make(), fmt)


def download_buttons(brief: Brief | Callable[[], Brief], key: str, stem: str | None = None,
                     formats: tuple[str, ...] = ("pdf", "html", "md", "docx")) -> None:
    """One download button per format; the file is rendered only when the button is clicked."""
    make: Callable[[], Brief] = brief if callable(brief) else (lambda: brief)
    if stem is None and isinstance(brief, Brief):
        stem = brief.file_stem()
    cols = st.columns(len(formats))
    for col, fmt in zip(cols, formats, strict=True):
        f = FORMATS[fmt]
        name = f"{stem or 'brief'}.{f.extension}" if stem or not isinstance(brief, Brief) else file_name(brief, fmt)
        col.download_button(t("Download {format}").format(format=escape_markdown(f.label)), data=_deferred(make, fmt),
                            file_name=name,
                            mime=f.mime, key=f"{key}_{fmt}", icon=ICONS[fmt], on_click="ignore")


def solution_brief_downloads(engine: Engine, solution_id: str, city: Any,
                             scale: float | dict[str, float] | None = None, seed: int = 42,
                             key: str = "estimate_brief", params: dict[str, float] | None = None,
                             co2_basis: str = "", pef_basis: str = "", discount_rate: float | None = None,
                             homes: float | None = None) -> None:
    """For the Estimate page: download a brief of one solution in one city (an id, a name or a city profile with
    ``id``/``user_defined``), built only when a button is clicked."""
    if getattr(city, "user_defined", False):
        st.caption(t("Briefs are made for the city profiles in the knowledge base; add your city as a record to get "
                     "one."))
        return
    city_id = str(getattr(city, "id", city))
    req = BriefRequest(solutions=[solution_id], city=city_id, scales={solution_id: scale} if scale else {},
                       params={solution_id: dict(params)} if params else {}, date=dt.date.today().isoformat(),
                       seed=seed, co2_basis=co2_basis, pef_basis=pef_basis, discount_rate=discount_rate, homes=homes,
                       lang=state.language())
    st.caption(t("Take this estimate to your council: a stand-alone brief with every figure's source."))
    download_buttons(lambda: build_brief(engine, req), key=key, stem=f"brief-{solution_id}-{city_id}")


STATE_KEY = "my_city"


@st.cache_data(show_spinner=False, ttl=300)
def city_list() -> list[CityProfile]:
    return list_cities(state.engine())


def current_city() -> CityProfile | None:
    """The city chosen on this page (a record, or a user-defined profile kept in the session)."""
    return st.session_state.get(STATE_KEY)


def city_picker(label: str = "City", key: str = "city_pick") -> CityProfile | None:
    """A select box of the cities plus the user's own; remembers the choice across pages."""
    cities = city_list()
    mine = current_city()
    options = [c.id for c in cities]
    if mine is not None and mine.user_defined and mine.id not in options:
        options.append(mine.id)
    names = {c.id: c.name for c in cities} | ({mine.id: t("{name} (mine)").format(name=mine.name)}
                                              if mine and mine.user_defined else {})
    wanted = st.query_params.get("city") or (mine.id if mine else None)
    index = options.index(wanted) if wanted in options else None
    chosen = st.selectbox(label, options, index=index, format_func=lambda i: names.get(i, i), key=key,
                          placeholder=t("Choose a city"))
    if chosen is None:
        return None
    if mine is not None and chosen == mine.id:
        return mine
    city = next(c for c in cities if c.id == chosen)
    st.session_state[STATE_KEY] = city
    return city


FLOW_NAMES: dict[str, str] = {"load": N_("demand"), "pv": N_("PV"), "import": N_("import"), "export": N_("export"),
                               "battery": N_("battery")}
SEASON_NAMES: dict[str, str] = {"winter": N_("winter"), "spring": N_("spring"), "summer": N_("summer"),
                                "autumn": N_("autumn")}

FLOW_COLOURS: dict[str, str] = {"load": "#222222", "pv": "#e6a700", "import": "#c0392b", "export": "#2e8b57",
                                 "battery": "#6a3d9a"}
"""One colour per flow in every hourly chart: demand dark, PV yellow, import red, export green (as the monthly bars)."""


def typical_weeks_chart(rows: list[dict[str, Any]], key: tuple[Any, ...]) -> None:
    """A typical winter and a summer week (rows of :func:`kb.views.hourly.typical_week_rows`): load, PV, import and
    export hour by hour, one panel per season; its spec cached under ``key`` (see :func:`altair_chart`)."""
    if rows:
        altair_chart(("weeks", state.language(), *key), lambda: _weeks(rows), use_container_width=False)


def _weeks(rows: list[dict[str, Any]]) -> alt.FacetChart:
    present = {str(r["flow"]) for r in rows}
    flows = [f for f in FLOW_COLOURS if f in present] + sorted(present - set(FLOW_COLOURS))
    names = {f: t(FLOW_NAMES.get(f, f)) for f in flows}
    colour = alt.Scale(domain=[names[f] for f in flows], range=[FLOW_COLOURS.get(f, "#7f7f7f") for f in flows])
    shown = pd.DataFrame([{**r, "flow": names.get(str(r["flow"]), r["flow"]),
                           "season": t(SEASON_NAMES.get(str(r["season"]), str(r["season"])))} for r in rows])
    weeks: alt.FacetChart = alt.Chart(shown).mark_line().encode(
        x=alt.X("hour:Q", title=t("hour of the week (from Monday 00:00)")),
        y=alt.Y("kWh:Q", title=t("kWh per hour")),
        color=alt.Color("flow:N", scale=colour, title=None),
        tooltip=[alt.Tooltip("season:N", title=t("Season")), alt.Tooltip("flow:N", title=t("Flow")),
                 alt.Tooltip("hour:Q", title=t("Hour")), alt.Tooltip("kWh:Q", format=",.1f")],
    ).properties(height=180, width=760).facet(row=alt.Row("season:N", title=None))
    return weeks


def monthly_exchange_chart(rows: list[dict[str, Any]], key: tuple[Any, ...]) -> None:
    """Monthly electricity import (below zero) and export bars (rows of :func:`kb.views.hourly.monthly_rows`), its
    spec cached under ``key`` (see :func:`altair_chart`)."""
    if rows:
        altair_chart(("monthly exchange", state.language(), *key), lambda: _monthly(rows))


def _monthly(rows: list[dict[str, Any]]) -> alt.Chart:
    shown = pd.DataFrame([{**r, "month": t(str(r["month"])), "flow": t(FLOW_NAMES.get(str(r["flow"]), r["flow"]))}
                          for r in rows])
    bars: alt.Chart = alt.Chart(shown).mark_bar().encode(
        x=alt.X("month:N", sort=[t(m) for m in MONTHS], title=None),
        y=alt.Y("MWh:Q", title=t("electricity, MWh per month")),
        color=alt.Color("flow:N", scale=alt.Scale(domain=[t("import"), t("export")], range=["#c0392b", "#2e8b57"]),
                        title=None), tooltip=[alt.Tooltip("month:N", title=t("Month")),
                                              alt.Tooltip("flow:N", title=t("Flow")),
                                              alt.Tooltip("MWh:Q", format=",.1f")])
    return bars


def ped_table(rows: list[dict[str, Any]], boundary: str) -> None:
    """The PED definitions met or not (rows of :func:`kb.views.hourly.ped_definition_rows`), the boundary below."""
    shown = [{k: plain_units_in(v) if isinstance(v, str) else v for k, v in r.items()} for r in rows]
    headers = {"definition": t("Definition"), "met": t("Met"), "by how much": t("By how much"),
               "met in draws": t("Met in draws"), "why": t("Why"), "source": t("Source")}
    st.dataframe(pd.DataFrame(shown), hide_index=True, use_container_width=True,
                 column_config={k: st.column_config.TextColumn(v) for k, v in headers.items()})
    st.caption(escape_markdown(t("Boundary: {boundary}").format(boundary=boundary)))


def number_field(label: str, key: str, bound: Bound, *, what: str | None = None, value: float | None = None,
                 help: str | None = None, placeholder: str | None = None, where: Any = None) -> Entry:
    """A text field for one number: a decimal comma or point, digit groups with spaces; checked against the
    library's ``bound``. A refused entry is shown under the field with the allowed range and never changed.

    ``value`` fills the field the first time it is shown; ``what`` names the field in a refusal (the label by
    default); ``where`` is the container (a column) to draw in.
    """
    box: Any = where if where is not None else st
    if key not in st.session_state and value is not None and bound.contains(value):
        st.session_state[key] = entry_text(value, state.locale())
    hint = f"{help} {t(NUMBER_HELP)}" if help else t(NUMBER_HELP)
    text = box.text_input(label, key=key, help=hint, placeholder=placeholder)
    # English keeps the rule of the fields (an unclear 1,500 refused); another language reads its own comma
    lang_locale = None if state.language() == "en" else state.locale()
    entry = read_entry(str(text or ""), bound, what or label, lang_locale, t)
    if entry.error:
        box.error(escape_markdown(entry.error))
    return entry


def _use(key: str, value: float) -> None:
    st.session_state[key] = entry_text(value, state.locale())


def typical_scale_offer(typical: TypicalScale | None, key: str, where: Any = None) -> None:
    """Below a scale field the source site leaves empty: the measure type's sourced typical size with a button
    that enters it, or a plain line saying the sources give none."""
    box: Any = where if where is not None else st
    if typical is None:
        box.caption(t(NO_TYPICAL))
        return
    box.button(escape_markdown(t("Use the typical size ({size})").format(size=typical.label())),
               key=f"{key}_typical", on_click=_use, args=(key, typical.value),
               help=escape_markdown(t("From the measure type's sources: {row} ({evidence}; {source}).").format(
                   row=typical.row, evidence=t(typical.evidence), source=typical.source)))
    box.caption(escape_markdown(t("Typical size in the sources: {size} ({evidence}, {source}).").format(
        size=typical.label(), evidence=t(typical.evidence), source=typical.source)))
