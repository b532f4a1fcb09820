"""District plan page: describe a district, stack measures, see the primary-energy balance, save and export it."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st
from babel.numbers import format_decimal, format_percent

from kb.accounts import PermissionDenied
from kb.briefs.plan import build_plan_brief
from kb.i18n import N_, translator
from kb.plans.evaluate import PlanContext, PlanResult, load_context, run_plan
from kb.plans.hourly import CENTRAL_NOTE
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
from kb.ui.state import t
from kb.ui.widgets import (
    altair_chart,
    current_city,
    download_buttons,
    monthly_exchange_chart,
    number_field,
    ped_table,
    typical_weeks_chart,
)
from kb.views.fmt import format_number, plain_unit, plain_units_in
from kb.views.hourly import boundary_in_words
from kb.views.inputs import entry_text
from kb.views.messages import say
from kb.views.plan import (
    DISPLACED,
    SUGGESTIONS_NOTE,
    balance_reading,
    carrier_name,
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
    mwh,
    offsite_rows,
    ped_rows,
    suggestion_rows,
    together_rows,
    together_text,
    waterfall_rows,
    week_rows,
)

STARTS = (N_("Example plan"), N_("Saved plan"), N_("Upload a TOML file"), N_("New district"))
DISPLACES = ("", "natural_gas", "district_heat", "electricity", "petrol")

HEADERS: dict[str, str] = {
    "carrier": N_("carrier"), "baseline MWh/yr": N_("baseline MWh/yr"), "after MWh/yr": N_("after MWh/yr"),
    "change (central)": N_("change (central)"), "after, in words": N_("after, in words"),
    "MWh_PE/yr": N_("MWh primary energy/yr"), "PEF": N_("primary energy factor"), "PEF source": N_("factor's source"),
    "measure": N_("measure"), "type": N_("type"), "stage": N_("stage"), "scale": N_("scale"), "unit": N_("unit"),
    "MWh_PE/yr P50": N_("MWh primary energy/yr, P50"), "by carrier (P50)": N_("by carrier (P50)"),
    "capex EUR": N_("investment EUR"), "status": N_("status"), "measure type": N_("measure type"),
    "replaces": N_("replaces"), "added": N_("added"), "suggested": N_("suggested"),
    "closes MWh_PE/yr": N_("closes MWh primary energy/yr"), "closes it alone": N_("closes it alone"),
    "limit": N_("limit"), "used in": N_("used in"), "off-site supply": N_("off-site supply"),
    "credit MWh_PE/yr": N_("credit MWh primary energy/yr"), "at PEF": N_("at primary energy factor"),
    "evidence": N_("evidence"), "source": N_("source"), "KPI": N_("KPI"), "central": N_("central"),
}
"""The plain header of each column of the page's tables (the rows keep their keys), shown translated."""
WATERFALL_KINDS: dict[str, str] = {"baseline": N_("baseline"), "gain": N_("gain"), "loss": N_("loss"),
                                   "balance": N_("balance")}
PROFILES: dict[str, str] = {"electricity": N_("Electricity"), "pv": N_("PV"), "heat_pumps": N_("Heat pumps"),
                            "battery": N_("Battery"), "offsite": N_("Off-site supply")}
"""The hourly profiles whose provenance the page states."""

PLAN_HOMES = DISTRICT_HOMES  # a district has at least one home: 0 is refused in words, never turned into "no homes"
HEAT_SHARE = Bound(0.0, 100.0, "%")


def _table(rows: list[dict[str, object]]) -> None:
    """A table of the page with its headers in the reader's language and its decimal numbers written out in the
    session's locale (``2,949``; in Polish ``2 949``, ``0,25``), never a float's raw digits."""
    frame = pd.DataFrame(rows)
    for c in frame.columns:
        if pd.api.types.is_float_dtype(frame[c]):
            frame[c] = [format_number(v, locale=state.locale()) for v in frame[c]]
    st.dataframe(frame.rename(columns={c: t(HEADERS[c]) for c in frame.columns if c in HEADERS}), hide_index=True,
                 use_container_width=True)


def _num(v: float) -> str:
    """A whole number in the session's locale (``-12,803``; in Polish ``-12 803``)."""
    return format_decimal(round(v), format="#,##0", locale=state.locale())


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
    if start == STARTS[0]:
        examples = _examples()
        stems = list(examples)
        first = default_example(examples, _user_city())
        stem = st.selectbox(t("Example"), stems, index=stems.index(first) if first in stems else None,
                            format_func=lambda s: examples[s][0] if s in examples else s, key="plan_example")
        return (f"ex:{stem}", load_example(stem, state.settings().solutions_dir)) if stem else ("ex:", None)
    if start == STARTS[1]:
        saved = list_plans(state.engine())
        if not saved:
            st.info(t("No saved plans yet: hub staff save plans from this page."))
            return "saved:", None
        names: dict[int, str] = {p["id"]: f"{p['name']} ({p['city']}, {p['author']})" for p in saved}
        pid = st.selectbox(t("Saved plan"), list(names), format_func=names.__getitem__, key="plan_saved")
        return f"saved:{pid}", load_plan(state.engine(), pid)
    if start == STARTS[2]:
        up = st.file_uploader(t("Plan file (.toml)"), type=["toml"], key="plan_upload")
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
    return "" if fig is None else entry_text(round(fig.mid * times, 10), state.locale())


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
    name = c1.text_input(t("District name"), key="plan_name")
    city_ids = list(cities)
    if ss.get("plan_city") not in city_ids:
        ss["plan_city"] = city_ids[0] if city_ids else None
    city = c2.selectbox(t("City"), city_ids, format_func=lambda i: cities.get(i, i), key="plan_city")
    c1, c2, c3 = st.columns(3)
    # An empty field ('' in the session state, see _reset) reads back as None: the figure is left out.
    homes_in = number_field(t("Homes"), "plan_homes", PLAN_HOMES, where=c1)
    floor_in = number_field(t("Residential floor area (m²)"), "plan_floor", BOUNDS["floor_area"].with_unit("m²"),
                            where=c2)
    roof_in = number_field(t("Usable roof area for PV (m²)"), "plan_roof", BOUNDS["roof_area"].with_unit("m²"),
                           where=c3)
    c1, c2, c3 = st.columns(3)
    gas_in = number_field(t("Share of heat from gas (%)"), "plan_share_gas", HEAT_SHARE, where=c1)
    dh_in = number_field(t("Share of heat from district heat (%)"), "plan_share_dh", HEAT_SHARE, where=c2)
    gas, dh = (gas_in.value or 0.0) / 100, (dh_in.value or 0.0) / 100
    too_much = share_sum_error({"gas": gas, "district heat": dh})
    if too_much:
        st.error(escape_markdown(too_much))
    el = round(max(0.0, 1.0 - gas - dh), 6)
    c3.metric(t("Share of heat from electricity"), format_percent(el, format="#,##0%", locale=state.locale()))
    refused = any(e.error for e in (homes_in, floor_in, roof_in, gas_in, dh_in)) or bool(too_much)
    homes, floor, roof = homes_in.value, floor_in.value, roof_in.value
    heating: dict[str, Figure] = {}
    for carrier, v in (("natural_gas", gas), ("district_heat", dh), ("electricity", el)):
        if v > 0:
            heating[carrier] = _entered(base.heating.get(carrier), v, "-")
    factors = dict(base.factors)
    if dh > 0:
        pef_in = number_field(t("Primary energy factor of the district heat (kWh of primary energy per kWh; ask the "
                                "heat company)"), "plan_pef_dh", BOUNDS["pef"],
                              help=t("No sourced factor for district heat is in the knowledge base."))
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
    return replace(base, name=name or t("My district"), city=city or base.city,
                   homes=keep_or_enter(base.homes, homes, "homes") if homes else None, floor_area=floor_area,
                   heating=heating, limits=limits, factors=factors, measures=list(ss["plan_measures"]))


def _from_file(base: PlanSpec) -> None:
    """What the plan file gives beyond the widgets (kept as loaded, evaluated and saved with the plan)."""
    for o in base.offsite:
        st.caption(escape_markdown(t("Off-site supply from the plan file (PEDvirtual): {name}, {amount} MWh/yr "
                                     "{carrier} · {evidence}: {source}").format(
            name=o.name, amount=_num(o.supply.mid), carrier=carrier_name(o.carrier, t), evidence=o.supply.evidence,
            source=o.supply.source)))
    if base.services_share is not None:
        s = base.services_share
        st.caption(escape_markdown(t("Electricity load from the plan file: {share} on the services profile, the rest "
                                     "household · {evidence}: {source}").format(
            share=format_percent(s.mid, format="#,##0%", locale=state.locale()), evidence=s.evidence,
            source=s.source)))


def _measures(ctx: PlanContext) -> None:
    ss = st.session_state
    st.subheader(t("Measures"))
    for i, m in enumerate(list(ss["plan_measures"])):
        mt = ctx.types.get(m.type)
        c1, c2 = st.columns([5, 1])
        scale_text = format_decimal(m.scale.mid, format="#,##0.###", locale=state.locale())
        replaces = (t(", replaces {what}").format(what=t(DISPLACED[m.displaces]) if m.displaces in DISPLACED
                                                   else m.displaces) if m.displaces else "")
        c1.write(f"**{escape_markdown(m.label or (mt.title if mt else m.type))}** — "
                 + escape_markdown(f"{scale_text} {plain_unit(mt.scale_unit, t) if mt else ''}" + replaces
                                   + f" · {t(m.scale.evidence)}: {m.scale.source}"))
        if c2.button(t("Remove"), key=f"plan_rm_{i}"):
            ss["plan_measures"].pop(i)
            st.rerun()
    with st.form("plan_add", clear_on_submit=False):
        c1, c2, c3 = st.columns([3, 1, 2])
        types = sorted(ctx.types, key=lambda k: ctx.types[k].title)
        tr = translator(state.language())  # bound now: a format function may run outside the script run
        tid = c1.selectbox(t("Measure type"), types,
                           format_func=lambda k: f"{ctx.types[k].title} ({plain_unit(ctx.types[k].scale_unit, tr)})",
                           key="plan_add_type")
        unit = ctx.types[tid].scale_unit if tid in ctx.types else ""
        scale = number_field(t("Scale"), "plan_add_scale", scale_bound(unit), value=100.0, where=c2,
                             what=t("Scale of the measure"))
        disp = c3.selectbox(t("Replaces"), list(DISPLACES), format_func=lambda d: tr(DISPLACED[d]),
                            key="plan_add_displaces")
        # no measure type to choose, or no accepted scale: nothing to add (a refused scale says why above)
        if st.form_submit_button(t("Add measure")) and tid is not None and scale.value is not None:
            ss["plan_measures"].append(PlanMeasure(tid, Figure.of(scale.value), disp))
            st.rerun()


def render() -> None:
    st.title(t("District plan"))
    st.caption(t("Describe a district, stack measures on it and see whether it reaches a positive primary-energy "
                 "balance over a year — with ranges, warnings, and what would close the gap."))
    # a format function that does not read the session (Streamlit calls it outside the script run as well)
    start = st.radio(t("Start from"), STARTS, horizontal=True, key="plan_start",
                     format_func=translator(state.language()))
    try:
        token, loaded = _load(start)
    except PlanError as exc:
        st.error(t("Invalid plan: {why}").format(why=escape_markdown(str(exc))))
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
    version = state.data_version()
    ctx = _context_at(spec.city, version)  # an unknown city is a KbError: kb.ui.routes shows it
    _measures(ctx)
    try:
        result = _evaluate(spec, version)
    except PlanError as exc:
        st.error(t("Invalid plan: {why}").format(why=escape_markdown(str(exc))))
        return
    key = (spec, version)  # what the charts are drawn from: their specs are cached under it
    _results(result, key)
    _hourly(result, key)
    _save_and_export(spec, result)


def _results(result: PlanResult, key: tuple[Any, ...]) -> None:
    bal = result.balance
    loc = state.locale()
    st.subheader(t("Primary-energy balance"))
    c1, c2 = st.columns(2)
    c1.metric(t("Balance, P50 (MWh primary energy/yr)"), _num(bal["p50"]),
              help=t("Generation minus consumption in primary energy over a year; above zero the district is "
                     "energy-positive."))
    c2.metric(t("Chance of being positive"), format_percent(result.probability_positive, format="#,##0%", locale=loc))
    st.caption(t("P10 – P90: {p10} – {p90} MWh primary energy/yr ({samples} draws, seed {seed}). Positive means a "
                 "P50 above zero; exactly zero is energy-neutral.").format(
        p10=mwh(bal["p10"], loc), p90=mwh(bal["p90"], loc),
        samples=format_decimal(result.samples, format="#,##0", locale=loc), seed=result.seed))
    if result.status == "positive":
        st.success(t("The district is energy-positive at the median."))
    elif result.status == "neutral":
        st.info(t("The district is energy-neutral (exactly zero), not positive."))
    else:
        st.warning(t("Short by {amount} MWh primary energy/yr at the median.").format(
            amount=_num(result.shortfall.get("mwh_pe", 0))))
    altair_chart(("waterfall", state.language(), *key), lambda: _waterfall(result))
    st.caption(escape_markdown(balance_reading(result, t, loc)))
    _table(carrier_rows(result, t, loc))
    _table(measure_rows(result, t, loc))
    for w in result.warnings:
        st.warning(escape_markdown(plain_units_in(say(w, t, loc))))
    for n in [*result.not_computed, *result.notes]:
        st.caption(f"ℹ {escape_markdown(plain_units_in(say(n, t, loc)))}")
    sugg = suggestion_rows(result, t)
    if sugg:
        st.subheader(t("What would close the gap"))
        st.caption(t(SUGGESTIONS_NOTE))
        _table(sugg)
        together = together_rows(result, t)
        if together:
            st.markdown("**" + t("Together") + "**")
            _table(together)
            st.write(escape_markdown(together_text(result, t, loc)))


def _waterfall(result: PlanResult) -> alt.LayerChart:
    """The balance step by step: the baseline, each measure's gain or loss, the balance."""
    rows = pd.DataFrame(waterfall_rows(result, t))
    kinds = list(WATERFALL_KINDS)
    rows["kind"] = [t(WATERFALL_KINDS[k]) for k in rows["kind"]]
    chart = alt.Chart(rows).mark_bar().encode(
        x=alt.X("step:N", sort=None, title=None, axis=alt.Axis(labelExpr="substring(datum.value, 3)", labelAngle=-30)),
        y=alt.Y("start:Q", title=t("MWh primary energy/yr (central estimate)")), y2="end:Q",
        color=alt.Color("kind:N", scale=alt.Scale(domain=[t(WATERFALL_KINDS[k]) for k in kinds],
                                                   range=["#8c8c8c", "#2e8b57", "#c0392b", "#1f4e79"]), title=None),
        tooltip=[alt.Tooltip("label:N", title=t("step")), alt.Tooltip("stage:N", title=t("stage")),
                 alt.Tooltip("change:Q", format=",.0f", title=t("change")),
                 alt.Tooltip("end:Q", format=",.0f", title=t("level after"))])
    zero = alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(color="black").encode(y="y:Q")
    out: alt.LayerChart = chart + zero
    return out


def _hourly(result: PlanResult, key: tuple[Any, ...]) -> None:
    loc = state.locale()
    st.subheader(t("Hour by hour"))
    if not result.hourly:
        st.info(escape_markdown(result.hourly_unavailable or t("No hourly balance for this plan.")))
        return
    note = result.hourly["note"]
    st.caption(escape_markdown(t("Hourly balance of the central estimate; the annual balance keeps its P10–P90.")
                               if note == CENTRAL_NOTE else note.capitalize() + "."))
    cols = st.columns(4)
    for col, (label, value, why) in zip(cols, hourly_kpis(result, t, loc), strict=True):
        col.metric(label, value, help=why)
    _hourly_ranges(result)
    ped_table(ped_rows(result, t, loc), boundary_in_words(result.hourly["ped"]["boundary"], t))
    offsite = offsite_rows(result, t, loc)
    if offsite:
        st.caption(t("Off-site renewables the district owns or contracts, credited by PEDvirtual only (not in the "
                     "balance within the boundary)"))
        _table(offsite)
    monthly_exchange_chart(monthly_exchange_rows(result), key)
    typical_weeks_chart(week_rows(result), key)
    duration = duration_rows(result)
    if duration:
        altair_chart(("duration", state.language(), *key), lambda: _duration(duration), use_container_width=True)
        st.caption(escape_markdown(duration_caption(result, t, loc)))
    for profile, how in result.hourly["provenance"].items():
        what = t(PROFILES[profile]) if profile in PROFILES else profile.replace("_", " ")
        st.caption(escape_markdown(t("{what} profile: {how}").format(what=what, how=plain_units_in(how))))


def _duration(duration: list[dict[str, Any]]) -> alt.LayerChart:
    """The load-duration curve of the net import, with its zero line."""
    curve = alt.Chart(pd.DataFrame(duration)).mark_line(color="#c0392b").encode(
        x=alt.X("hours:Q", title=t("hours of the year, largest net import first"),
                scale=alt.Scale(domain=[0, 8760])),
        y=alt.Y("net import kW:Q", title=t("net import, kW (import − export)")),
        tooltip=[alt.Tooltip("hours:Q", format=",.0f", title=t("hours")),
                 alt.Tooltip("net import kW:Q", format=",.0f", title=t("net import, kW"))])
    zero_line = alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(color="black").encode(y="y:Q")
    out: alt.LayerChart = (curve + zero_line).properties(height=220)
    return out


RANGES_NOTE = N_("P10–P90 over {k} of the plan's {of} draws (the first {k} of the same seeded sample): each draw "
                 "runs 8,760 hours, so the hourly part uses fewer draws than the annual balance; the hourly shapes "
                 "are the central ones, shared, and only the annual figures vary per draw.")
"""The hourly ranges' note in short, where the reader's language has it (the library's note in English)."""


def _hourly_ranges(result: PlanResult) -> None:
    """The P10–P90 of the hourly KPIs over the draws the hourly part ran, and how many it ran."""
    loc = state.locale()
    rows = hourly_range_rows(result, t, loc)
    if rows:
        st.caption(t("Hourly KPIs, P10 – P90"))
        _table(rows)
    h = result.hourly or {}
    note = h.get("ranges_note")
    if not note:
        return
    if t(RANGES_NOTE) != RANGES_NOTE and h.get("kpi_ranges"):
        st.caption(escape_markdown(t(RANGES_NOTE).format(
            k=format_decimal(h.get("draws", 0), format="#,##0", locale=loc),
            of=format_decimal(h.get("draws_of", 0), format="#,##0", locale=loc))))
    else:
        st.caption(escape_markdown(note[0].upper() + note[1:] + "."))


def _save_and_export(spec: PlanSpec, result: PlanResult) -> None:
    st.subheader(t("Save and export"))
    stem = "plan-" + "".join(ch if ch.isalnum() else "-" for ch in fold(spec.name)).strip("-")[:60]
    st.download_button(t("Download the plan (TOML)"), data=to_toml(spec), file_name=f"{stem}.toml",
                       mime="application/toml", key="plan_toml", on_click="ignore")
    actor = state.current_actor()
    if actor.at_least("staff"):
        if st.button(t("Save to the knowledge base"), key="plan_save"):
            try:
                pid = save_plan(state.engine(), spec, actor)
            except (PermissionDenied, PlanError) as exc:
                st.error(escape_markdown(str(exc)))
            else:
                st.success(t("Saved as plan {id}.").format(id=pid))
    else:
        st.caption(t("Log in as hub staff to save plans in the knowledge base; anyone can download the TOML."))
    version = str(catalog.stats(state.engine()).get("corpus_version") or "unversioned")
    st.caption(t("A stand-alone brief with every figure's source, generated when you click."))
    download_buttons(lambda: build_plan_brief(result, dt.date.today().isoformat(), version, state.engine()),
                     key="plan_brief", stem=stem)
