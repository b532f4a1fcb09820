"""Estimate page: what a solution would deliver in my city — ranges, source vs my city, assumptions, tornado."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from kb.replication.bounds import DISCOUNT_RATE, DISTRICT_HOMES, Bound, param_bound, scale_bound
from kb.replication.factors import CO2_BASES, PEF_BASES, FactorBasis
from kb.replication.fit import lighthouse_solutions
from kb.replication.simulation import METRICS, Estimate
from kb.replication.solution import SolutionInputs, estimate_solution, missing_params, read_solution
from kb.text import escape_markdown
from kb.ui import state
from kb.ui.widgets import (
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
from kb.views.messages import plain_reason
from kb.views.replication import (
    assumption_rows,
    capitalized,
    cash_flow_rows,
    economics_rows,
    range_rows,
    range_title,
    sensitivity_rows,
    sensitivity_verdict,
    side_by_side,
    side_by_side_table,
    tornado_rows,
    unavailable_lines,
)


def render() -> None:
    st.title("What would it deliver here?")
    engine = state.engine()
    sols = {r.id: r.title for r in lighthouse_solutions(engine)}
    wanted = st.query_params.get("solution")
    ids = list(sols)
    sol_id = st.selectbox("Solution", ids, index=ids.index(wanted) if wanted in ids else None,
                          format_func=lambda i: sols[i], placeholder="Choose a solution", key="est_solution")
    city = city_picker("My city", key="est_city")
    if sol_id is None or city is None:
        st.info("Choose a solution and your city.")
        return
    si = read_solution(engine, sol_id)  # errors here and below are KbErrors: kb.ui.routes shows them
    scales, params, homes, ok = _inputs(si, sol_id)
    with st.expander("How the figures are counted"):
        c1, c2, c3 = st.columns(3)
        co2_basis = c1.selectbox("CO₂ of every carrier", list(CO2_BASES), key="est_co2_basis",
                                 format_func=lambda b: {"life-cycle": "life cycle (with upstream)",
                                                        "direct": "direct (combustion only)"}.get(b, b))
        pef_basis = c2.selectbox("Primary energy", list(PEF_BASES), key="est_pef_basis",
                                 format_func=lambda b: {"non-renewable": "non-renewable part",
                                                        "total": "total"}.get(b, b))
        tariff = c3.selectbox("Energy prices", ["household", "non_household"], key="est_tariff",
                              format_func=lambda t: {"household": "households",
                                                     "non_household": "businesses (non-household)"}[t])
        rate = number_field("Discount rate, % per year (real)", "est_discount", DISCOUNT_PCT, where=c1,
                            placeholder="3–5 % (sourced)",
                            help="Leave empty for the sourced range: 4 % central, 3 % and 5 % as bounds.")
    with st.expander("Advanced"):
        a1, a2 = st.columns(2)
        samples = a1.number_input("Number of random draws", 100, 50000, 5000, step=1000, key="est_samples",
                                  help="Each range is read from this many draws of the uncertain inputs; more draws "
                                       "give steadier ranges and take longer.")
        seed = a2.number_input("Repeatable draws (seed)", 0, 10**6, 42, key="est_seed",
                               help="The same number gives the same ranges every time.")
    if not ok or rate.error:
        return
    discount = None if rate.value is None else rate.value / 100
    est = estimate_solution(engine, sol_id, city, scales, samples=int(samples), seed=int(seed), params=params,
                            tariff=tariff, basis=FactorBasis(co2_basis, pef_basis), discount_rate=discount,
                            homes=homes)
    st.subheader(escape_markdown(f"{si.record.title} in {city.name}"))
    _ranges(est)
    _economics(est)
    _hourly(est)
    solution_brief_downloads(engine, sol_id, city, scales, int(seed), params=params, co2_basis=co2_basis,
                             pef_basis=pef_basis, discount_rate=discount, homes=homes)
    if est.unavailable:
        st.info("Not computed: " + escape_markdown("; ".join(unavailable_lines(est))))
    for w in est.warnings:
        st.caption(f"⚠ {escape_markdown(plain_reason(w))}")
    st.subheader("Source site vs my city")
    st.dataframe(pd.DataFrame(side_by_side_table(side_by_side(engine, est, samples=min(int(samples), 2000),
                                                              seed=int(seed)))),
                 hide_index=True, use_container_width=True,
                 column_config={"output": st.column_config.TextColumn("Output", width="medium")})
    st.subheader("Assumptions")
    st.dataframe(pd.DataFrame(assumption_rows(est)), hide_index=True, use_container_width=True, column_config={
        "input": st.column_config.TextColumn("Input", width="large"),
        "value": st.column_config.TextColumn("Value", width="small"),
        "range": st.column_config.TextColumn("Low – high", width="small"),
        "unit": st.column_config.TextColumn("Unit", width="small"),
        "evidence": st.column_config.TextColumn("Evidence", width="small"),
        "source": st.column_config.TextColumn("Source", width="large", help="Where the figure comes from"),
        "note": st.column_config.TextColumn("Note", width="large")})
    _tornado(est)


DISCOUNT_PCT = Bound(DISCOUNT_RATE.low * 100, DISCOUNT_RATE.high * 100, "% per year")
SCALE_HELP_SOURCE = "At the source site: {value} {unit} ({evidence})."
SCALE_HELP_NONE = "The source record gives no scale: enter yours."
PARAM_HELP = ("The measure-type record declares this parameter missing: enter your own assumption; it is labelled "
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
            hint = SCALE_HELP_SOURCE.format(value=entry_text(known), unit=mt.scale_unit, evidence=src.evidence
                                            if src is not None else "")
        else:
            hint = SCALE_HELP_NONE
        entry = number_field(escape_markdown(f"Scale of {mt.title} ({mt.scale_unit})"), key,
                             scale_bound(mt.scale_unit), what=f"Scale of {mt.title}", value=known,
                             help=escape_markdown(hint), where=col,
                             placeholder=f"typical: {typical.label()}" if typical else None)
        if known is None:
            typical_scale_offer(typical, key, where=col)
        refused |= bool(entry.error)
        if entry.value is not None:
            scales[mt.id] = entry.value
    titles = {mt.id: mt.title for mt in si.types}
    params: dict[str, float] = {}
    for mt_id, key in missing_params(si):
        name = f"{key.replace('_', ' ')} for {titles.get(mt_id, mt_id)}"
        entry = number_field(escape_markdown(f"{name[:1].upper()}{name[1:]}") + " (no source gives it)",
                             f"param_{sol_id}_{mt_id}_{key}", param_bound(key), what=name[:1].upper() + name[1:],
                             help=PARAM_HELP)
        if entry.empty:
            st.warning(f"Enter {escape_markdown(name)}: no source in the knowledge base gives it.")
        refused |= entry.value is None
        if entry.value is not None:
            params[f"{mt_id}.{key}"] = entry.value
    homes: float | None = None
    if dispatched(si.types):
        entry = number_field("Homes in the reference district", f"est_homes_{sol_id}", DISTRICT_HOMES,
                             placeholder="sized automatically", help=HOMES_HELP)
        refused |= bool(entry.error)
        homes = entry.value  # blank: sized automatically
    missing = [mt for mt in si.types if mt.id not in scales]
    if missing and not refused:
        st.warning("Enter the scale of " + escape_markdown(", ".join(f"{mt.title} ({mt.scale_unit})" for mt in missing))
                   + ": the source record gives none.")
    return scales, params, homes, not refused and not missing


def _ranges(est: Estimate) -> None:
    rows = pd.DataFrame(range_rows(est))
    if rows.empty:
        return
    st.caption("Every output is shown as a positive amount with its direction — saved, generated, avoided or "
               "added — never as a signed number.")
    # one panel per output (their units differ), each with its own title (label and unit) and axis
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
            title=alt.TitleParams(range_title(row.to_dict()), anchor="start", fontSize=14)))
    # a fixed width: a container-wide concatenation cuts the last tick label off at the right edge
    st.altair_chart(alt.vconcat(*panels, spacing=18).configure_view(stroke=None), use_container_width=False)
    table = pd.DataFrame({"output": [range_title(r) for r in rows.to_dict("records")],
                          "P50 (P10–P90)": rows["in words"]})
    st.dataframe(table, hide_index=True, use_container_width=True, column_config={
        "output": st.column_config.TextColumn("Output", width="medium"),
        "P50 (P10–P90)": st.column_config.TextColumn("P50 (P10–P90)", width="large")})


def _economics(est: Estimate) -> None:
    rows = economics_rows(est)
    if not rows:
        return
    st.subheader("Over its lifetime")
    cols = st.columns(min(len(rows), 3))
    for i, r in enumerate(rows):
        cols[i % len(cols)].metric(r["metric"], r["value"], help=escape_markdown(
            f"{r['meaning'][:1].upper()}{r['meaning'][1:]}. P10 – P90: {r['P10 – P90']}."))
    flows = pd.DataFrame(cash_flow_rows(est))
    if not flows.empty:
        col = "cumulative discounted cash flow (EUR)"
        line = alt.Chart(flows).mark_line(point=True).encode(
            x=alt.X("year:Q", title="Year"), y=alt.Y(f"{col}:Q", title="Cumulative discounted cash flow (EUR)"),
            tooltip=[alt.Tooltip("year:Q", title="Year"), alt.Tooltip(f"{col}:Q", title="Cumulative", format=",.0f"),
                     alt.Tooltip("net cash flow (EUR):Q", title="That year", format=",.0f")])
        zero = alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(color="gray").encode(y="y:Q")
        st.altair_chart(line + zero, use_container_width=True)
        st.caption("Central estimate: the investment in year 0, then each year's savings minus upkeep (and any "
                   "replacement), discounted. Where the line crosses zero is the discounted payback.")
    basis = (est.factor_basis or {}).get("label", "")
    econ = est.economics or {}
    rate = (econ.get("discount_rate") or {}).get("mid")
    bits = [f"Factors: {basis}." if basis else "",
            f"Discount rate {rate:.1%} real; money in EUR of {econ.get('price_year') or 'the prices’ year'}."
            if rate is not None else ""]
    st.caption(escape_markdown(" ".join(b for b in bits if b)))
    titles = {str(m["measure_type"]): str(m.get("title") or m["measure_type"]) for m in est.measures}
    for note in econ.get("notes", []):
        for mt_id, title in titles.items():  # a note names the measure by its id: by its title on the page
            note = note.replace(mt_id, title)
        note = plain_reason(note)
        st.caption(escape_markdown(f"{note[:1].upper()}{note[1:]}."))


def _hourly(est: Estimate) -> None:
    """The estimate hour by hour in its reference district: KPIs, the battery's change, typical weeks, PED status."""
    if est.hourly is None:
        if est.hourly_unavailable:
            st.subheader("Hour by hour in a reference district")
            why = est.hourly_unavailable.rstrip(".")
            st.info(escape_markdown(why[:1].upper() + why[1:] + "."))
        return
    st.subheader("Hour by hour in a reference district")
    st.write(escape_markdown(district_text(est)))
    metrics = hourly_metrics(est)
    for col, (label, value, why) in zip(st.columns(len(metrics)), metrics, strict=True):
        col.metric(label, value, help=escape_markdown(why[:1].upper() + why[1:] + "."))
    rows = battery_rows(est)
    if rows:
        st.markdown("**What the battery changes**")
        st.dataframe(pd.DataFrame(rows), hide_index=True, use_container_width=True)
        st.write(escape_markdown(battery_text(est)))
    typical_weeks_chart(hourly_week_rows(est))
    ped_table(hourly_ped_rows(est), est.hourly["ped"]["boundary"])
    with st.expander("How the hourly profiles are made"):
        for line in provenance_lines(est):
            st.write(escape_markdown(line))


def _tornado(est: Estimate) -> None:
    st.subheader("What matters most")
    options = list(dict.fromkeys(str(r["metric"]) for r in est.sensitivity))
    if not options:
        st.caption("No uncertain input: the inputs given have no spread; nothing to rank.")
        return
    metric = st.selectbox("Output", options, format_func=label_with_unit, key="tornado_metric")
    sentence, _ = sensitivity_verdict(est, metric)
    st.write(escape_markdown(f"What moves {in_sentence(label_of(metric))}: {plain_reason(sentence)}."))
    st.caption("Global sensitivity (Sobol indices over every input's low–high range): S1 is the share of the "
               "variance an input explains alone, ST with its interactions. An input is said to dominate when its "
               "ST is at least 50 % and at least twice the next input's.")
    table = pd.DataFrame(sensitivity_rows(est, metric))
    if not table.empty:
        st.dataframe(table, hide_index=True, use_container_width=True, column_config={
            "input": st.column_config.TextColumn("Input", width="large"),
            "range": st.column_config.TextColumn("Its range", width="medium"),
            "dominates": st.column_config.TextColumn("Dominates", width="small")})
    rows = pd.DataFrame(tornado_rows(est, metric))
    if rows.empty or not (rows["swing"].fillna(0) > 0).any():
        return
    chart = alt.Chart(rows).mark_bar().encode(
        y=alt.Y("input:N", sort=alt.EncodingSortField("swing", order="descending"), title=None,
                axis=alt.Axis(labelLimit=420)),
        x=alt.X("at_low:Q", title=capitalized(f"{label_of(metric)} with the input at its low / high "
                                              f"({plain_unit(METRICS[metric][0])})")),
        x2="at_high:Q", tooltip=[alt.Tooltip("input:N", title="Input"), alt.Tooltip("in words:N", title="Effect")])
    rule = alt.Chart(pd.DataFrame({"base": [rows["base"].iloc[0]]})).mark_rule(color="black").encode(x="base:Q")
    st.altair_chart(chart + rule, use_container_width=True)
