"""Brief page: assemble solutions, pick a city and scales, preview the brief, download it in each format."""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from kb.briefs.build import BriefRequest, build_brief
from kb.briefs.render import to_markdown
from kb.errors import KbError
from kb.i18n import N_
from kb.replication.bounds import scale_bound
from kb.replication.inputs import MeasureType
from kb.replication.solution import read_solution
from kb.store import catalog
from kb.text import escape_markdown, fold
from kb.ui import state
from kb.ui.state import t
from kb.ui.widgets import download_buttons, number_field, typical_scale_offer
from kb.views.inputs import entry_text, typical_scale


@st.cache_data(show_spinner=False, ttl=600)
def _options(version: str) -> tuple[dict[str, str], dict[str, str], dict[str, list[tuple[str, str, str]]]]:
    """Solutions (id → title), cities (id → name) and each solution's measure types (id, title, scale unit)."""
    engine = state.engine()
    solutions = catalog.list_records(engine, kind="solution")
    sols = {r.id: r.title for r in solutions}
    cities = {rec.id: rec.name for rec in catalog.records_of_kind(engine, "city")}
    types = {rec.id: rec for rec in catalog.records_of_kind(engine, "measure_type")}
    units: dict[str, list[tuple[str, str, str]]] = {}
    for r in solutions:
        for m in r.measure_types:
            if m in types:
                unit = str(types[m].front.get("scale_unit") or "")
                units.setdefault(r.id, []).append((m, types[m].title, unit))
    return sols, cities, units


def _defaults(sols: dict[str, str], cities: dict[str, str]) -> tuple[list[str], int]:
    wanted = [s for s in st.query_params.get_all("solution") if s in sols]
    city = st.query_params.get("city", "krakow")
    folded = {fold(k): i for i, k in enumerate(cities)}
    folded |= {fold(v): i for i, v in enumerate(cities.values())}
    return wanted, folded.get(fold(city), 0)


def render() -> None:
    st.title(t("Replication brief"))
    st.caption(t("A stand-alone document for a council or utility: what the solution is, where it worked, what it "
                 "would bring to your city with honest ranges, what it costs, what got in the way — every figure "
                 "with its evidence level and a numbered source."))
    engine = state.engine()
    sols, cities, _ = _options(str(catalog.stats(engine).get("corpus_version") or ""))
    if not cities:
        st.warning(t("The knowledge base has no city profiles yet, so no brief can be made."))
        return
    wanted, city_index = _defaults(sols, cities)
    chosen = st.multiselect(t("Solutions in the package"), list(sols), default=wanted, format_func=lambda i: sols[i],
                            key="brief_solutions", placeholder=t("Choose one or more solutions"))
    city = st.selectbox(t("City"), list(cities), index=city_index, format_func=lambda i: cities[i], key="brief_city")
    scales: dict[str, float | dict[str, float]] = {}
    seed = 42
    ready = True
    if chosen:
        scales, ready = _scales(engine, chosen, sols)
        seed = int(st.number_input(t("Seed"), min_value=0, value=42, step=1, key="brief_seed", help=t(SEED_HELP)))
    request = BriefRequest(solutions=list(chosen), city=city, scales=scales, date=dt.date.today().isoformat(),
                           seed=seed, lang=state.language())
    if st.button(t("Build brief"), type="primary", disabled=not chosen or not ready, key="brief_build"):
        _build(engine, request)
    built: dict[str, Any] | None = st.session_state.get("brief_built")
    if not built:
        st.info(t("Choose solutions and a city, then build the brief to preview and download it."))
        return
    if built["request"] != request:
        st.caption(t("The choices changed since this brief was built; build it again to update it."))
    brief = built["brief"]
    st.subheader(t("Download"), anchor=False)
    download_buttons(brief, key="brief_dl")
    st.subheader(t("Preview"), anchor=False)
    with st.container(border=True):
        st.markdown(built["markdown"])  # raw HTML is not rendered: unsafe_allow_html stays off


SEED_HELP = N_("The same seed gives the same ranges every time.")
SCALES_EXPANDER = N_("Scale of each measure (empty = the source site's own scale)")
SOURCE_SCALE = N_("source site: {scale}")
NO_SOURCE_SCALE = N_("The source site of {solution} gives no scale for {measure}: enter the scale to brief it.")


def _scales(engine: Any, chosen: list[str], sols: dict[str, str]) -> tuple[dict[str, float | dict[str, float]], bool]:
    """The scale of each measure of each chosen solution: asked for inline, beside the solution, when its source
    site gives none (the brief cannot be built without it); otherwise optional, the source site's own by default.
    Returns the scales entered and whether every needed scale is given and every entry is accepted."""
    scales: dict[str, float | dict[str, float]] = {}
    ready = True
    optional: list[tuple[str, MeasureType, str]] = []
    for sid in chosen:
        si = read_solution(engine, sid)  # a KbError here is shown by kb.ui.routes
        per_type: dict[str, float] = {}
        for mt in si.types:
            src = si.source_scales.get(mt.id)
            if src is not None and src.value is not None:
                optional.append((sid, mt, f"{entry_text(float(src.value))} {mt.scale_unit}"))
                continue
            key = f"brief_scale_{sid}_{mt.id}"
            typical = typical_scale(mt)
            st.warning(escape_markdown(t(NO_SOURCE_SCALE).format(solution=sols[sid], measure=mt.title)))
            c1, c2 = st.columns([2, 1])
            entry = number_field(escape_markdown(f"{sols[sid]} — {mt.title} ({mt.scale_unit})"), key,
                                 scale_bound(mt.scale_unit), what=t("Scale of {measure}").format(measure=mt.title),
                                 where=c1,
                                 placeholder=t("typical: {scale}").format(scale=typical.label()) if typical else None)
            typical_scale_offer(typical, key, where=c2)
            if entry.value is None:
                ready = False
            else:
                per_type[mt.id] = entry.value
        if per_type:
            scales[sid] = per_type
    if optional:
        with st.expander(t(SCALES_EXPANDER), expanded=False):
            for sid, mt, at_source in optional:
                entry = number_field(escape_markdown(f"{sols[sid]} — {mt.title} ({mt.scale_unit})"),
                                     f"brief_scale_{sid}_{mt.id}", scale_bound(mt.scale_unit),
                                     what=t("Scale of {measure}").format(measure=mt.title),
                                     placeholder=t(SOURCE_SCALE).format(scale=at_source))
                if entry.error:
                    ready = False
                elif entry.value is not None:
                    per = scales.setdefault(sid, {})
                    assert isinstance(per, dict)
                    per[mt.id] = entry.value
    return scales, ready


def _build(engine: Any, request: BriefRequest) -> None:
    try:
        with st.spinner(t("Building the brief…")):
            brief = build_brief(engine, request)
    except KbError as exc:  # BriefError, RecordNotFound ...: this page says what failed and drops the old brief
        st.session_state.pop("brief_built", None)
        st.error(t("The brief could not be built: {reason}").format(reason=escape_markdown(str(exc))))
        return
    st.session_state["brief_built"] = {"request": request, "brief": brief, "markdown": to_markdown(brief)}
