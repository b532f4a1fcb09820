"""Estimate page: what a solution would deliver in my city — ranges, source vs my city, assumptions, tornado."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st
from babel.numbers import format_percent

from kb.i18n import N_, locale_of, translator
from kb.replication.bounds import DISCOUNT_RATE, DISTRICT_HOMES, Bound, param_bound, scale_bound
from kb.replication.cities import CityProfile
from kb.replication.factors import CO2_BASES, PEF_BASES, FactorBasis
from kb.replication.fit import lighthouse_solutions
from kb.replication.simulation import METRICS, Estimate
from kb.replication.solution import SolutionInputs, estimate_solution, missing_params, read_solution
from kb.text import escape_markdown
from kb.ui import state
from kb.ui.state import t
from kb.ui.widgets import (
    altair_chart,
    city_picker,
    number_field,
    ped_table,
    solution_brief_downloads,
    typical_scale_offer,
    typical_weeks_chart,
)
from kb.views.estimate_hourly import (
    HOMES_HELP,
    battery_rows,
    battery_text,
    dispatched,
    district_text,
    hourly_metrics,
    hourly_ped_rows,
    hourly_week_rows,
    provenance_lines,
)
from kb.views.fmt import in_sentence, label_of, label_with_unit, plain_unit
from kb.views.inputs import entry_text, typical_scale
from kb.views.messages import say
from kb.views.replication import (
    assumption_rows,
    capitalized,
    cash_flow_rows,
    economics_notes,
    economics_rows,
    range_rows,
    range_title,
    sensitivity_rows,
    sensitivity_sentence,
    side_by_side,
    side_by_side_table,
    tornado_rows,
    unavailable_lines,
)


@dataclass(frozen=True)
class Run:
    """What an estimate is computed from: the page's choices and entries (the key of the cached estimate)."""

    solution: str
    city: CityProfile
    scales: dict[str, float]
    samples: int
    seed: int
    params: dict[str, float]
    tariff: str
    co2_basis: str
    pef_basis: str
    discount_rate: float | None
    homes: float | None


@st.cache_data(show_spinner=False, ttl=3600, max_entries=8)
def _solutions(version: str) -> dict[str, str]:
    """The lighthouse solutions (id to title), read once per data version (``version`` is the key, not used)."""
    return {r.id: r.title for r in lighthouse_solutions(state.engine())}


@st.cache_data(show_spinner=False, ttl=3600, max_entries=64)
def _solution(solution_id: str, version: str) -> SolutionInputs:
    """A solution's measure types, scales and parameters, read once per data version."""
    return read_solution(state.engine(), solution_id)


@st.cache_data(show_spinner=False, ttl=3600, max_entries=32)
def _estimate(run: Run, version: str) -> Estimate:
    """The estimate of a run, cached per data version: a rerun that changes no input (a chart's output picked,
    an expander opened, a page revisited) reads it back instead of drawing again (the draws are seeded)."""
    return estimate_solution(state.engine(), run.solution, run.city, run.scales, samples=run.samples, seed=run.seed,
                             params=run.params, tariff=run.tariff, basis=FactorBasis(run.co2_basis, run.pef_basis),
                             discount_rate=run.discount_rate, homes=run.homes)


@st.cache_data(show_spinner=False, ttl=3600, max_entries=32)
def _side_by_side(run: Run, version: str, lang: str) -> list[dict[str, Any]]:
    """The source site beside my city (the same solution estimated in its source city), cached like the estimate;
    in the language ``lang`` of the page."""
    return side_by_side(state.engine(), _estimate(run, version), samples=min(run.samples, 2000), seed=run.seed,
                        t=translator(lang), locale=locale_of(lang))


def render() -> None:
    st.title(t("What would it deliver here?"))
    loc = state.locale()
    engine = state.engine()
    version = state.data_version()
    sols = _solutions(version)
    wanted = st.query_params.get("solution")
    ids = list(sols)
    sol_id = st.selectbox(t("Solution"), ids, index=ids.index(wanted) if wanted in ids else None,
                          format_func=lambda i: sols[i], placeholder=t("Choose a solution"), key="est_solution")
    city = city_picker(t("My city"), key="est_city")
    if sol_id is None or city is None:
        st.info(t("Choose a solution and your city."))
        return
    si = _solution(sol_id, version)  # errors here and below are KbErrors: kb.ui.routes shows them
    scales, params, homes, ok = _inputs(si, sol_id)
    with st.expander(t("How the figures are counted")):
        c1, c2, c3 = st.columns(3)
        co2_names = {"life-cycle": t("life cycle (with upstream)"), "direct": t("direct (combustion only)")}
        co2_basis = c1.selectbox(t("CO₂ of every carrier"), list(CO2_BASES), key="est_co2_basis",
                                 format_func=lambda b: co2_names.get(b, b))
        pef_names = {"non-renewable": t("non-renewable part"), "total": t("total")}
        pef_basis = c2.selectbox(t("Primary energy"), list(PEF_BASES), key="est_pef_basis",
                                 format_func=lambda b: pef_names.get(b, b))
        tariff_names = {"household": t("households"), "non_household": t("businesses (non-household)")}
        tariff = c3.selectbox(t("Energy prices"), ["household", "non_household"], key="est_tariff",
                              format_func=lambda k: tariff_names[k])
        rate = number_field(t("Discount rate, % per year (real)"), "est_discount", DISCOUNT_PCT, where=c1,
                            placeholder=t("3–5 % (sourced)"),
                            help=t("Leave empty for the sourced range: 4 % central, 3 % and 5 % as bounds."))
    with st.expander(t("Advanced")):
        a1, a2 = st.columns(2)
        samples = a1.number_input(t("Number of random draws"), 100, 50000, 5000, step=1000, key="est_samples",
                                  help=t("Each range is read from this many draws of the uncertain inputs; more "
                                         "draws give steadier ranges and take longer."))
        seed = a2.number_input(t("Repeatable draws (seed)"), 0, 10**6, 42, key="est_seed",
                               help=t("The same number gives the same ranges every time."))
    if not ok or rate.error:
        return
    discount = None if rate.value is None else rate.value / 100
    run = Run(sol_id, city, scales, int(samples), int(seed), params, tariff, co2_basis, pef_basis, discount, homes)
    est = _estimate(run, version)
    st.subheader(escape_markdown(t("{solution} in {city}").format(solution=si.record.title, city=city.name)))
    key = (run, version)  # what the charts are drawn from: their specs are cached under it
    _ranges(est, key)
    _economics(est, key)
    _hourly(est, key)
    solution_brief_downloads(engine, sol_id, city, scales, int(seed), params=params, co2_basis=co2_basis,
                             pef_basis=pef_basis, discount_rate=discount, homes=homes)
    if est.unavailable:
        st.info(t("Not computed: ") + escape_markdown("; ".join(unavailable_lines(est, t, state.locale()))))
    for w in est.warnings:
        st.caption(f"⚠ {escape_markdown(say(w, t, state.locale()))}")
    st.subheader(t("Source site vs my city"))
    name = city.name
    side = {"output": t("Output"), "source city, same scale (P50)": t("source city, same scale (P50)"),
            "source-site figure": t("source-site figure"), "site figure evidence": t("site figure evidence"),
            f"{name} (P10)": f"{name} (P10)", f"{name} (P50)": f"{name} (P50)", f"{name} (P90)": f"{name} (P90)"}
    st.dataframe(pd.DataFrame(side_by_side_table(_side_by_side(run, version, state.language()), t)),
                 hide_index=True, use_container_width=True,
                 column_config={k: st.column_config.TextColumn(v, width="medium" if k == "output" else None)
                                for k, v in side.items()})
    st.subheader(t("Assumptions"))
    st.dataframe(pd.DataFrame(assumption_rows(est, t, loc)), hide_index=True, use_container_width=True,
                 column_config={
        "input": st.column_config.TextColumn(t("Input"), width="large"),
        "value": st.column_config.TextColumn(t("Value"), width="small"),
        "range": st.column_config.TextColumn(t("Low – high"), width="small"),
        "unit": st.column_config.TextColumn(t("Unit"), width="small"),
        "evidence": st.column_config.TextColumn(t("Evidence"), width="small"),
        "source": st.column_config.TextColumn(t("Source"), width="large", help=t("Where the figure comes from")),
        "note": st.column_config.TextColumn(t("Note"), width="large")})
    _tornado(est, key)


DISCOUNT_PCT = Bound(DISCOUNT_RATE.low * 100, DISCOUNT_RATE.high * 100, "% per year")
SCALE_HELP_SOURCE = N_("At the source site: {value} {unit} ({evidence}).")
SCALE_HELP_NONE = N_("The source record gives no scale: enter yours.")
PARAM_HELP = N_("The measure-type record declares this parameter missing: enter your own assumption; it is labelled "
                "'entered by the user' in the assumptions.")


def _inputs(si: SolutionInputs, sol_id: str) -> tuple[dict[str, float], dict[str, float], float | None, bool]:
    """The scales, the missing parameters and the homes of the reference district, each typed into a number field
    checked against the library's bound; ``ok`` is False while one is missing or refused (a message says which)."""
    scales: dict[str, float] = {}
    refused = False
    cols = st.columns(len(si.types))
    for col, mt in zip(cols, si.types, strict=True):
        src = si.source_scales.get(mt.id)
        known = float(src.value) if src is not None and src.value is not None else None
        key = f"scale_{sol_id}_{mt.id}"
        typical = typical_scale(mt) if known is None else None
        if known is not None:
            hint = t(SCALE_HELP_SOURCE).format(value=entry_text(known), unit=mt.scale_unit,
                                               evidence=t(src.evidence) if src is not None else "")
        else:
            hint = t(SCALE_HELP_NONE)
        entry = number_field(escape_markdown(t("Scale of {title} ({unit})").format(title=mt.title, unit=mt.scale_unit)),
                             key, scale_bound(mt.scale_unit), what=t("Scale of {title}").format(title=mt.title),
                             value=known, help=escape_markdown(hint), where=col,
                             placeholder=t("typical: {size}").format(size=typical.label()) if typical else None)
        if known is None:
            typical_scale_offer(typical, key, where=col)
        refused |= bool(entry.error)
        if entry.value is not None:
            scales[mt.id] = entry.value
    titles = {mt.id: mt.title for mt in si.types}
    params: dict[str, float] = {}
    for mt_id, key in missing_params(si):
        name = t("{parameter} for {measure}").format(parameter=key.replace("_", " "), measure=titles.get(mt_id, mt_id))
        entry = number_field(escape_markdown(f"{name[:1].upper()}{name[1:]}") + t(" (no source gives it)"),
                             f"param_{sol_id}_{mt_id}_{key}", param_bound(key), what=name[:1].upper() + name[1:],
                             help=t(PARAM_HELP))
        if entry.empty:
            st.warning(t("Enter {name}: no source in the knowledge base gives it.").format(name=escape_markdown(name)))
        refused |= entry.value is None
        if entry.value is not None:
            params[f"{mt_id}.{key}"] = entry.value
    homes: float | None = None
    if dispatched(si.types):
        entry = number_field(t("Homes in the reference district"), f"est_homes_{sol_id}", DISTRICT_HOMES,
                             placeholder=t("sized automatically"), help=t(HOMES_HELP))
        refused |= bool(entry.error)
        homes = entry.value  # blank: sized automatically
    missing = [mt for mt in si.types if mt.id not in scales]
    if missing and not refused:
        st.warning(t("Enter the scale of {measures}: the source record gives none.").format(
            measures=escape_markdown(", ".join(f"{mt.title} ({mt.scale_unit})" for mt in missing))))
    return scales, params, homes, not refused and not missing


def _ranges(est: Estimate, key: tuple[Any, ...]) -> None:
    rows = pd.DataFrame(range_rows(est, t=t, locale=state.locale()))
    if rows.empty:
        return
    st.caption(t("Every output is shown as a positive amount with its direction — saved, generated, avoided or "
                 "added — never as a signed number."))
    # a fixed width: a container-wide concatenation cuts the last tick label off at the right edge
    altair_chart(("ranges", state.language(), *key), lambda: _range_panels(rows), use_container_width=False)
    table = pd.DataFrame({"output": [range_title(r, t) for r in rows.to_dict("records")],
                          "P50 (P10–P90)": rows["in words"]})
    st.dataframe(table, hide_index=True, use_container_width=True, column_config={
        "output": st.column_config.TextColumn(t("Output"), width="medium"),
        "P50 (P10–P90)": st.column_config.TextColumn("P50 (P10–P90)", width="large")})


def _range_panels(rows: pd.DataFrame) -> alt.VConcatChart:
    """One panel per output (their units differ), each with its own title (label and unit) and axis."""
    panels = []
    for _, row in rows.iterrows():
        one = pd.DataFrame([row])
        base = alt.Chart(one)
        panels.append(alt.layer(
            base.mark_rule(strokeWidth=10, opacity=0.5).encode(
                x=alt.X("shown_p10:Q", title=None, scale=alt.Scale(nice=True),
                        axis=alt.Axis(format=",.0f" if max(abs(row["shown_p10"]), abs(row["shown_p90"])) >= 100
                                      else ",.3~g", tickCount=5, labelFlush=True)),
                x2="shown_p90:Q"),
            base.mark_point(filled=True, size=120, color="black").encode(x="shown_p50:Q"),
        ).encode(tooltip=[alt.Tooltip("in words:N", title="P50 (P10–P90)")]).properties(
            height=36, width=640,
            title=alt.TitleParams(range_title(row.to_dict(), t), anchor="start", fontSize=14)))
    out: alt.VConcatChart = alt.vconcat(*panels, spacing=18).configure_view(stroke=None)
    return out


def _economics(est: Estimate, key: tuple[Any, ...]) -> None:
    loc = state.locale()
    rows = economics_rows(est, t, loc)
    if not rows:
        return
    st.subheader(t("Over its lifetime"))
    cols = st.columns(min(len(rows), 3))
    for i, r in enumerate(rows):
        cols[i % len(cols)].metric(r["metric"], r["value"], help=escape_markdown(
            f"{r['meaning'][:1].upper()}{r['meaning'][1:]}. P10 – P90: {r['P10 – P90']}."
            if state.language() == "en" else f"P10 – P90: {r['P10 – P90']}."))
    flows = pd.DataFrame(cash_flow_rows(est))
    if not flows.empty:
        altair_chart(("cash flow", state.language(), *key), lambda: _cash_flow_chart(flows))
        st.caption(t("Central estimate: the investment in year 0, then each year's savings minus upkeep (and any "
                     "replacement), discounted. Where the line crosses zero is the discounted payback."))
    basis = (est.factor_basis or {}).get("label", "")
    econ = est.economics or {}
    rate = (econ.get("discount_rate") or {}).get("mid")
    if (est.factor_basis or {}).get("label_message"):
        basis = say(est.factor_basis["label_message"], t, loc)
    bits = [t("Factors: {basis}.").format(basis=basis) if basis else "",
            t("Discount rate {rate} real; money in EUR of {year}.").format(
                rate=format_percent(rate, format="#,##0.0%", locale=loc),
                year=econ.get("price_year") or t("the prices’ year")) if rate is not None else ""]
    st.caption(escape_markdown(" ".join(b for b in bits if b)))
    titles = {str(m["measure_type"]): str(m.get("title") or m["measure_type"]) for m in est.measures}
    for note in economics_notes(econ, titles, t, loc):
        st.caption(escape_markdown(f"{note[:1].upper()}{note[1:]}."))


def _cash_flow_chart(flows: pd.DataFrame) -> alt.LayerChart:
    col = "cumulative discounted cash flow (EUR)"
    line = alt.Chart(flows).mark_line(point=True).encode(
        x=alt.X("year:Q", title=t("Year")), y=alt.Y(f"{col}:Q", title=t("Cumulative discounted cash flow (EUR)")),
        tooltip=[alt.Tooltip("year:Q", title=t("Year")),
                 alt.Tooltip(f"{col}:Q", title=t("Cumulative"), format=",.0f"),
                 alt.Tooltip("net cash flow (EUR):Q", title=t("That year"), format=",.0f")])
    zero = alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(color="gray").encode(y="y:Q")
    out: alt.LayerChart = line + zero
    return out


def _hourly(est: Estimate, key: tuple[Any, ...]) -> None:
    """The estimate hour by hour in its reference district: KPIs, the battery's change, typical weeks, PED status."""
    if est.hourly is None:
        if est.hourly_unavailable:
            st.subheader(t("Hour by hour in a reference district"))
            why = say(est.hourly_unavailable, t, state.locale()).rstrip(".")
            st.info(escape_markdown(why[:1].upper() + why[1:] + "."))
        return
    loc = state.locale()
    st.subheader(t("Hour by hour in a reference district"))
    st.write(escape_markdown(district_text(est, t, loc)))
    metrics = hourly_metrics(est, t, loc)
    for col, (label, value, why) in zip(st.columns(len(metrics)), metrics, strict=True):
        col.metric(label, value, help=escape_markdown(why[:1].upper() + why[1:] + "."))
    rows = battery_rows(est, t, loc)
    if rows:
        st.markdown("**" + t("What the battery changes") + "**")
        st.dataframe(pd.DataFrame(rows), hide_index=True, use_container_width=True, column_config={
            "without battery": st.column_config.TextColumn(t("without battery")),
            "with battery": st.column_config.TextColumn(t("with battery"))})
        st.write(escape_markdown(battery_text(est, t, loc)))
    typical_weeks_chart(hourly_week_rows(est), key)
    ped_table(hourly_ped_rows(est, t, loc), t(est.hourly["ped"]["boundary"]))
    with st.expander(t("How the hourly profiles are made")):
        for line in provenance_lines(est, t, loc):
            st.write(escape_markdown(line))


def _tornado(est: Estimate, key: tuple[Any, ...]) -> None:
    loc = state.locale()
    st.subheader(t("What matters most"))
    options = list(dict.fromkeys(str(r["metric"]) for r in est.sensitivity))
    if not options:
        st.caption(t("No uncertain input: the inputs given have no spread; nothing to rank."))
        return
    metric = st.selectbox(t("Output"), options, format_func=lambda k: label_with_unit(k, t), key="tornado_metric")
    sentence = sensitivity_sentence(est, metric, t, loc)
    st.write(escape_markdown(t("What moves {output}: {verdict}.").format(output=in_sentence(label_of(metric, t)),
                                                                        verdict=sentence)))
    st.caption(t("Global sensitivity (Sobol indices over every input's low–high range): S1 is the share of the "
                 "variance an input explains alone, ST with its interactions. An input is said to dominate when "
                 "its ST is at least 50 % and at least twice the next input's."))
    table = pd.DataFrame(sensitivity_rows(est, metric, t=t, locale=loc))
    if not table.empty:
        st.dataframe(table, hide_index=True, use_container_width=True, column_config={
            "input": st.column_config.TextColumn(t("Input"), width="large"),
            "range": st.column_config.TextColumn(t("Its range"), width="medium"),
            "S1 (alone)": st.column_config.TextColumn(t("S1 (alone)")),
            "ST (with interactions)": st.column_config.TextColumn(t("ST (with interactions)")),
            "dominates": st.column_config.TextColumn(t("Dominates"), width="small")})
    rows = pd.DataFrame(tornado_rows(est, metric, t=t, locale=loc))
    if rows.empty or not (rows["swing"].fillna(0) > 0).any():
        return
    altair_chart(("tornado", state.language(), metric, *key), lambda: _tornado_chart(rows, metric))


def _tornado_chart(rows: pd.DataFrame, metric: str) -> alt.LayerChart:
    chart = alt.Chart(rows).mark_bar().encode(
        y=alt.Y("input:N", sort=alt.EncodingSortField("swing", order="descending"), title=None,
                axis=alt.Axis(labelLimit=420)),
        x=alt.X("at_low:Q", title=capitalized(t("{output} with the input at its low / high ({unit})").format(
            output=label_of(metric, t), unit=plain_unit(METRICS[metric][0], t)))),
        x2="at_high:Q", tooltip=[alt.Tooltip("input:N", title=t("Input")),
                                 alt.Tooltip("in words:N", title=t("Effect"))])
    rule = alt.Chart(pd.DataFrame({"base": [rows["base"].iloc[0]]})).mark_rule(color="black").encode(x="base:Q")
    out: alt.LayerChart = chart + rule
    return out
