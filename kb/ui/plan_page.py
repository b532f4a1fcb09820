"""District plan page: describe a district, stack measures, see the primary-energy balance, save and export it."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import altair as alt
import pandas as pd
import streamlit as st

from kb.accounts import PermissionDenied
from kb.briefs.plan import build_plan_brief
from kb.plans.evaluate import PlanContext, PlanResult, load_context, run_plan
from kb.plans.model import (
    BOUNDS,
    Figure,
    PlanError,
    PlanMeasure,
    PlanSpec,
    keep_or_enter,
    parse_plan_bytes,
    share_sum_error,
    to_toml,
)
from kb.plans.saved import list_plans, load_plan, save_plan
from kb.replication.bounds import DISTRICT_HOMES, Bound, scale_bound
from kb.replication.cities import list_cities
from kb.store import catalog
from kb.text import escape_markdown, fold
from kb.ui import state
from kb.ui.widgets import (
    current_city,
    download_buttons,
    monthly_exchange_chart,
    number_field,
    ped_table,
    typical_weeks_chart,
)
from kb.views.inputs import entry_text
from kb.views.plan import (
    SUGGESTIONS_NOTE,
    balance_reading,
    carrier_rows,
    default_example,
    duration_caption,
    duration_rows,
    example_catalogue,
    hourly_kpis,
    hourly_range_rows,
    load_example,
    measure_rows,
    monthly_exchange_rows,
    offsite_rows,
    ped_rows,
    suggestion_rows,
    together_rows,
    together_text,
    waterfall_rows,
    week_rows,
)

STARTS = ("Example plan", "Saved plan", "Upload a TOML file", "New district")
DISPLACES = {"": "the type's default", "natural_gas": "natural gas", "district_heat": "district heat",
             "electricity": "electricity", "petrol": "petrol"}

PLAN_HOMES = DISTRICT_HOMES  # a district has at least one home: 0 is refused in words, never turned into "no homes"
HEAT_SHARE = Bound(0.0, 100.0, "%")


@st.cache_data(show_spinner=False, ttl=300)
def _cities() -> dict[str, str]:
    return {c.id: c.name for c in list_cities(state.engine())}


@st.cache_data(show_spinner=False, ttl=300)
def _examples() -> dict[str, tuple[str, str]]:
    """The example plans on disk: stem -> (district name, city id)."""
    return example_catalogue(state.settings().solutions_dir)


def _user_city() -> str | None:
    """The city the user chose (``?city=`` or the *My city* choice kept in the session)."""
    mine = current_city()
    return st.query_params.get("city") or (mine.id if mine is not None else None)


def _context(city: str) -> PlanContext:
    return _context_at(city, state.data_version())


@st.cache_resource(show_spinner=False, ttl=3600, max_entries=16)
def _context_at(city: str, version: str) -> PlanContext:
    """The plan context of a city (types, factors, reference figures), read once per data version."""
    return load_context(state.engine(), city)


@st.cache_data(show_spinner=False, ttl=3600, max_entries=32)
def _evaluate(spec: PlanSpec, version: str) -> PlanResult:
    """The evaluated plan, cached per plan and data version (a rerun that changes nothing reads it back)."""
    return run_plan(spec, _context_at(spec.city, version))


def _new_district() -> PlanSpec:
    return PlanSpec("My district", "krakow", homes=Figure.of(100, "homes"),
                    floor_area={"residential": Figure.of(8000, "m2")}, heating={"natural_gas": Figure.of(1.0)},
                    limits={"roof_area": Figure.of(2000, "m2")})


def _load(start: str) -> tuple[str, PlanSpec | None]:
    """The chosen starting plan and a token that changes when another plan is chosen."""
    if start == "Example plan":
        examples = _examples()
        stems = list(examples)
        first = default_example(examples, _user_city())
        stem = st.selectbox("Example", stems, index=stems.index(first) if first in stems else None,
                            format_func=lambda s: examples[s][0] if s in examples else s, key="plan_example")
        return (f"ex:{stem}", load_example(stem, state.settings().solutions_dir)) if stem else ("ex:", None)
    if start == "Saved plan":
        saved = list_plans(state.engine())
        if not saved:
            st.info("No saved plans yet: hub staff save plans from this page.")
            return "saved:", None
        names: dict[int, str] = {p["id"]: f"{p['name']} ({p['city']}, {p['author']})" for p in saved}
        pid = st.selectbox("Saved plan", list(names), format_func=names.__getitem__, key="plan_saved")
        return f"saved:{pid}", load_plan(state.engine(), pid)
    if start == "Upload a TOML file":
        up = st.file_uploader("Plan file (.toml)", type=["toml"], key="plan_upload")
        if up is None:
            return "up:", None
        # size, encoding, depth and every figure checked by the library: a PlanError is shown by render()
        return f"up:{up.file_id}", parse_plan_bytes(up.getvalue(), up.name)
    return "new", _new_district()


def _reset(spec: PlanSpec) -> None:
    ss = st.session_state
    ss["plan_base"] = spec
    ss["plan_measures"] = list(spec.measures)
    ss["plan_name"] = spec.name
    ss["plan_city"] = spec.city
    ss["plan_homes"] = _text(spec.homes)
    ss["plan_floor"] = _text(spec.floor_area.get("residential"))
    ss["plan_share_gas"] = _text(spec.heating.get("natural_gas"), 100) or "0"
    ss["plan_share_dh"] = _text(spec.heating.get("district_heat"), 100) or "0"
    ss["plan_roof"] = _text(spec.limits.get("roof_area"))
    ss["plan_pef_dh"] = _text(spec.factors.get("pef_district_heat"))


def _text(fig: Figure | None, times: float = 1.0) -> str:
    """A loaded figure as the text of its field ('' when the plan has none); shares are shown in percent."""
    return "" if fig is None else entry_text(round(fig.mid * times, 10))


def _entered(fig: Figure | None, value: float, unit: str) -> Figure:
    """``keep_or_enter`` for a value the user did enter: the loaded figure while unchanged, else the entered one."""
    kept = keep_or_enter(fig, value, unit)
    assert kept is not None  # keep_or_enter returns None only for a missing value
    return kept


def _district(base: PlanSpec) -> PlanSpec | None:
    """The district fields as widgets; unchanged values keep their source and evidence. ``None`` while an entry is
    refused (the message is shown beside it)."""
    ss = st.session_state
    cities = _cities()
    c1, c2 = st.columns(2)
    name = c1.text_input("District name", key="plan_name")
    city_ids = list(cities)
    if ss.get("plan_city") not in city_ids:
        ss["plan_city"] = city_ids[0] if city_ids else None
    city = c2.selectbox("City", city_ids, format_func=lambda i: cities.get(i, i), key="plan_city")
    c1, c2, c3 = st.columns(3)
    # An empty field ('' in the session state, see _reset) reads back as None: the figure is left out.
    homes_in = number_field("Homes", "plan_homes", PLAN_HOMES, where=c1)
    floor_in = number_field("Residential floor area (m²)", "plan_floor", BOUNDS["floor_area"].with_unit("m²"),
                            where=c2)
    roof_in = number_field("Usable roof area for PV (m²)", "plan_roof", BOUNDS["roof_area"].with_unit("m²"), where=c3)
    c1, c2, c3 = st.columns(3)
    gas_in = number_field("Share of heat from gas (%)", "plan_share_gas", HEAT_SHARE, where=c1)
    dh_in = number_field("Share of heat from district heat (%)", "plan_share_dh", HEAT_SHARE, where=c2)
    gas, dh = (gas_in.value or 0.0) / 100, (dh_in.value or 0.0) / 100
    too_much = share_sum_error({"gas": gas, "district heat": dh})
    if too_much:
        st.error(escape_markdown(too_much))
    el = round(max(0.0, 1.0 - gas - dh), 6)
    c3.metric("Share of heat from electricity", f"{el:.0%}")
    refused = any(e.error for e in (homes_in, floor_in, roof_in, gas_in, dh_in)) or bool(too_much)
    homes, floor, roof = homes_in.value, floor_in.value, roof_in.value
    heating: dict[str, Figure] = {}
    for carrier, v in (("natural_gas", gas), ("district_heat", dh), ("electricity", el)):
        if v > 0:
            heating[carrier] = _entered(base.heating.get(carrier), v, "-")
    factors = dict(base.factors)
    if dh > 0:
        pef_in = number_field("Primary energy factor of the district heat (kWh/kWh; ask the heat company)",
                              "plan_pef_dh", BOUNDS["pef"],
                              help="No sourced factor for district heat is in the knowledge base.")
        refused |= bool(pef_in.error)
        pef = pef_in.value
        if pef:
            factors["pef_district_heat"] = _entered(base.factors.get("pef_district_heat"), pef, "kWh/kWh")
    floor_area = dict(base.floor_area)
    if floor:
        floor_area["residential"] = _entered(base.floor_area.get("residential"), floor, "m2")
    else:
        floor_area.pop("residential", None)
    limits = dict(base.limits)
    if roof:
        limits["roof_area"] = _entered(base.limits.get("roof_area"), roof, "m2")
    else:
        limits.pop("roof_area", None)
    if refused:
        return None
    return replace(base, name=name or "My district", city=city or base.city,
                   homes=keep_or_enter(base.homes, homes, "homes") if homes else None, floor_area=floor_area,
                   heating=heating, limits=limits, factors=factors, measures=list(ss["plan_measures"]))


def _from_file(base: PlanSpec) -> None:
    """What the plan file gives beyond the widgets (kept as loaded, evaluated and saved with the plan)."""
    for o in base.offsite:
        st.caption(escape_markdown(f"Off-site supply from the plan file (PEDvirtual): {o.name}, {o.supply.mid:,.0f} "
                                   f"MWh/yr {o.carrier} · {o.supply.evidence}: {o.supply.source}"))
    if base.services_share is not None:
        s = base.services_share
        st.caption(escape_markdown(f"Electricity load from the plan file: {s.mid:.0%} on the services profile, the "
                                   f"rest household · {s.evidence}: {s.source}"))


def _measures(ctx: PlanContext) -> None:
    ss = st.session_state
    st.subheader("Measures")
    for i, m in enumerate(list(ss["plan_measures"])):
        mt = ctx.types.get(m.type)
        c1, c2 = st.columns([5, 1])
        c1.write(f"**{escape_markdown(m.label or (mt.title if mt else m.type))}** — "
                 + escape_markdown(f"{m.scale.mid:g} {mt.scale_unit if mt else ''}"
                                   + (f", replaces {DISPLACES.get(m.displaces, m.displaces)}" if m.displaces else "")
                                   + f" · {m.scale.evidence}: {m.scale.source}"))
        if c2.button("Remove", key=f"plan_rm_{i}"):
            ss["plan_measures"].pop(i)
            st.rerun()
    with st.form("plan_add", clear_on_submit=False):
        c1, c2, c3 = st.columns([3, 1, 2])
        types = sorted(ctx.types, key=lambda t: ctx.types[t].title)
        tid = c1.selectbox("Measure type", types,
                           format_func=lambda t: f"{ctx.types[t].title} ({ctx.types[t].scale_unit})",
                           key="plan_add_type")
        unit = ctx.types[tid].scale_unit if tid in ctx.types else ""
        scale = number_field("Scale", "plan_add_scale", scale_bound(unit), value=100.0, where=c2,
                             what="Scale of the measure")
        disp = c3.selectbox("Replaces", list(DISPLACES), format_func=DISPLACES.__getitem__, key="plan_add_displaces")
        # no measure type to choose, or no accepted scale: nothing to add (a refused scale says why above)
        if st.form_submit_button("Add measure") and tid is not None and scale.value is not None:
            ss["plan_measures"].append(PlanMeasure(tid, Figure.of(scale.value), disp))
            st.rerun()


def render() -> None:
    st.title("District plan")
    st.caption("Describe a district, stack measures on it and see whether it reaches a positive primary-energy "
               "balance over a year — with ranges, warnings, and what would close the gap.")
    start = st.radio("Start from", STARTS, horizontal=True, key="plan_start")
    try:
        token, loaded = _load(start)
    except PlanError as exc:
        st.error(f"Invalid plan: {escape_markdown(str(exc))}")
        return
    if loaded is None:
        return
    if st.session_state.get("plan_token") != token:
        st.session_state["plan_token"] = token
        _reset(loaded)
    spec = _district(st.session_state["plan_base"])
    if spec is None:
        return
    _from_file(spec)
    ctx = _context(spec.city)  # an unknown city is a KbError: kb.ui.routes shows it
    _measures(ctx)
    try:
        result = _evaluate(spec, state.data_version())
    except PlanError as exc:
        st.error(f"Invalid plan: {escape_markdown(str(exc))}")
        return
    _results(result)
    _hourly(result)
    _save_and_export(spec, result)


def _results(result: PlanResult) -> None:
    bal = result.balance
    st.subheader("Primary-energy balance")
    c1, c2 = st.columns(2)
    c1.metric("Balance, P50 (MWh_PE/yr)", f"{bal['p50']:,.0f}",
              help="generation − consumption in primary energy over a year; positive = energy-positive district")
    c2.metric("Chance of being positive", f"{result.probability_positive:.0%}")
    st.caption(f"P10 – P90: {bal['p10']:,.0f} – {bal['p90']:,.0f} MWh_PE/yr ({result.samples} samples, seed "
               f"{result.seed}). Positive means a P50 above zero; exactly zero is energy-neutral.")
    if result.status == "positive":
        st.success("The district is energy-positive at the median.")
    elif result.status == "neutral":
        st.info("The district is energy-neutral (exactly zero), not positive.")
    else:
        st.warning(f"Short by {result.shortfall.get('mwh_pe', 0):,.0f} MWh_PE/yr at the median.")
    rows = pd.DataFrame(waterfall_rows(result))
    chart = alt.Chart(rows).mark_bar().encode(
        x=alt.X("step:N", sort=None, title=None, axis=alt.Axis(labelExpr="substring(datum.value, 3)", labelAngle=-30)),
        y=alt.Y("start:Q", title="MWh_PE/yr (central estimate)"), y2="end:Q",
        color=alt.Color("kind:N", scale=alt.Scale(domain=["baseline", "gain", "loss", "balance"],
                                                   range=["#8c8c8c", "#2e8b57", "#c0392b", "#1f4e79"]), title=None),
        tooltip=["label", "stage", alt.Tooltip("change:Q", format=",.0f"), alt.Tooltip("end:Q", format=",.0f")])
    zero = alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(color="black").encode(y="y:Q")
    st.altair_chart(chart + zero, use_container_width=True)
    st.caption(escape_markdown(balance_reading(result)))
    st.dataframe(pd.DataFrame(carrier_rows(result)), hide_index=True, use_container_width=True)
    st.dataframe(pd.DataFrame(measure_rows(result)), hide_index=True, use_container_width=True)
    for w in result.warnings:
        st.warning(escape_markdown(w))
    for n in [*result.not_computed, *result.notes]:
        st.caption(f"ℹ {escape_markdown(n)}")
    sugg = suggestion_rows(result)
    if sugg:
        st.subheader("What would close the gap")
        st.caption(SUGGESTIONS_NOTE)
        st.dataframe(pd.DataFrame(sugg), hide_index=True, use_container_width=True)
        together = together_rows(result)
        if together:
            st.markdown("**Together**")
            st.dataframe(pd.DataFrame(together), hide_index=True, use_container_width=True)
            st.write(escape_markdown(together_text(result)))


def _hourly(result: PlanResult) -> None:
    st.subheader("Hour by hour")
    if not result.hourly:
        st.info(escape_markdown(result.hourly_unavailable or "No hourly balance for this plan."))
        return
    st.caption(escape_markdown(result.hourly["note"].capitalize() + "."))
    cols = st.columns(4)
    for col, (label, value, why) in zip(cols, hourly_kpis(result), strict=True):
        col.metric(label, value, help=why)
    _hourly_ranges(result)
    ped_table(ped_rows(result), result.hourly["ped"]["boundary"])
    offsite = offsite_rows(result)
    if offsite:
        st.caption("Off-site renewables the district owns or contracts, credited by PEDvirtual only (not in the "
                   "balance within the boundary)")
        st.dataframe(pd.DataFrame(offsite), hide_index=True, use_container_width=True)
    monthly_exchange_chart(monthly_exchange_rows(result))
    typical_weeks_chart(week_rows(result))
    duration = duration_rows(result)
    if duration:
        curve = alt.Chart(pd.DataFrame(duration)).mark_line(color="#c0392b").encode(
            x=alt.X("hours:Q", title="hours of the year, largest net import first", scale=alt.Scale(domain=[0, 8760])),
            y=alt.Y("net import kW:Q", title="net import, kW (import − export)"),
            tooltip=[alt.Tooltip("hours:Q", format=",.0f"), alt.Tooltip("net import kW:Q", format=",.0f")])
        zero_line = alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(color="black").encode(y="y:Q")
        st.altair_chart((curve + zero_line).properties(height=220), use_container_width=True)
        st.caption(escape_markdown(duration_caption(result)))
    for key, how in result.hourly["provenance"].items():
        st.caption(escape_markdown(f"{key.replace('_', ' ')} profile: {how}"))


def _hourly_ranges(result: PlanResult) -> None:
    """The P10–P90 of the hourly KPIs over the draws the hourly part ran, and how many it ran."""
    rows = hourly_range_rows(result)
    if rows:
        st.caption("Hourly KPIs, P10 – P90")
        st.dataframe(pd.DataFrame(rows), hide_index=True, use_container_width=True)
    note = (result.hourly or {}).get("ranges_note")
    if note:
        st.caption(escape_markdown(note[0].upper() + note[1:] + "."))


def _save_and_export(spec: PlanSpec, result: PlanResult) -> None:
    st.subheader("Save and export")
    stem = "plan-" + "".join(ch if ch.isalnum() else "-" for ch in fold(spec.name)).strip("-")[:60]
    st.download_button("Download the plan (TOML)", data=to_toml(spec), file_name=f"{stem}.toml",
                       mime="application/toml", key="plan_toml", on_click="ignore")
    actor = state.current_actor()
    if actor.at_least("staff"):
        if st.button("Save to the knowledge base", key="plan_save"):
            try:
                pid = save_plan(state.engine(), spec, actor)
            except (PermissionDenied, PlanError) as exc:
                st.error(escape_markdown(str(exc)))
            else:
                st.success(f"Saved as plan {pid}.")
    else:
        st.caption("Log in as hub staff to save plans in the knowledge base; anyone can download the TOML.")
    version = str(catalog.stats(state.engine()).get("corpus_version") or "unversioned")
    st.caption("A stand-alone brief with every figure's source, generated when you click.")
    download_buttons(lambda: build_plan_brief(result, dt.date.today().isoformat(), version, state.engine()),
                     key="plan_brief", stem=stem)
