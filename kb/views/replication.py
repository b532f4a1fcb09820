"""Table and chart data for the replication pages (no Streamlit): drivers, ranges, source vs city, tornado.

Signed outputs are shown in words (:func:`in_words`, :func:`range_in_words`, from :mod:`kb.replication.words` so
that briefs, a lower layer, use the same words): "317 MWh/yr electricity generated", never "−317". Rows keep the
signed figures of ``kb estimate --json`` beside a ``direction`` word and the values as shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine

from kb.records.vocab import DRIVER_KEYS
from kb.replication.cities import DRIVER_LABELS, CityProfile, find_city
from kb.replication.sensitivity import NO_SPREAD, summary
from kb.replication.simulation import Estimate, Metric
from kb.replication.solution import estimate_solution
from kb.replication.words import cell, direction_of, generates, in_words, number, oriented, range_in_words, word
from kb.views.fmt import BLANK, COUNT_UNITS, format_number, format_share, format_years, label_of, plain_unit
from kb.views.messages import plain_reason

__all__ = ["HEADLINE", "ESSENTIAL_DRIVERS", "driver_rows", "comparison_rows", "range_rows", "side_by_side",
           "tornado_rows", "sensitivity_rows", "sensitivity_verdict", "metric_in_words", "in_words", "range_in_words",
           "word", "NO_SPREAD", "ECONOMICS", "economics_rows", "cash_flow_rows", "range_title", "assumption_rows",
           "unavailable_lines", "side_by_side_table", "capitalized"]

HEADLINE: tuple[str, ...] = ("electricity", "natural_gas", "petrol", "co2_avoided", "primary_energy_saved",
                             "nox_avoided", "savings", "capex", "payback", "cost_per_tco2")
ESSENTIAL_DRIVERS: tuple[str, ...] = ("hdd", "pv_yield", "grid_co2", "pef_electricity", "electricity_price_household",
                                      "gas_price_household", "district_heating_share")


def driver_rows(city: CityProfile) -> list[dict[str, Any]]:
    """Every driver key: value, unit, year, evidence, source ('missing' where the city has none)."""
    rows: list[dict[str, Any]] = []
    for key, unit in DRIVER_KEYS.items():
        label = DRIVER_LABELS.get(key, key)
        d = city.drivers.get(key)
        if d is not None and d.value is not None:
            rows.append({"driver": label, "key": key, "value": d.value, "unit": d.unit, "year": d.year,
                         "evidence": d.evidence, "source": d.source})
        else:
            rows.append({"driver": label, "key": key, "value": None, "unit": unit, "year": "", "evidence": "missing",
                         "source": ""})
    return rows


def comparison_rows(a: CityProfile, b: CityProfile, keys: tuple[str, ...] = ESSENTIAL_DRIVERS) -> list[dict[str, Any]]:
    """Long-form rows for a grouped bar chart of two cities' drivers, as a share of the larger value."""
    rows = []
    for key in keys:
        va, vb = a.value(key), b.value(key)
        top = max(v for v in (va, vb, 0.0) if v is not None) or 1.0
        for city, v in ((a, va), (b, vb)):
            if v is not None:
                rows.append({"driver": key, "city": city.name, "value": v, "relative": v / top,
                             "unit": DRIVER_KEYS[key]})
    return rows


def shown_name(name: str, heading_word: str, gen: bool = False) -> str:
    """A metric's name with its direction: ``electricity generated``, ``natural gas saved``, ``CO₂ avoided``."""
    d = direction_of(name, gen)
    return f"{d.noun} {heading_word}" if d is not None and heading_word else label_of(name)


def capitalized(text: str) -> str:
    """``electricity generated`` → ``Electricity generated`` (a label at the start of a cell or a title)."""
    return text[:1].upper() + text[1:]


def range_title(row: Mapping[Any, Any]) -> str:
    """The title of one output's panel in the range chart: ``Electricity generated (MWh/yr)``, ``CO₂ avoided
    (t CO₂/yr)``, from a :func:`range_rows` row."""
    name = shown_name(str(row["name"]), str(row["direction"]))
    unit = plain_unit(str(row["unit"]))
    return capitalized(f"{name} ({unit})" if unit else name)


def metric_in_words(est: Estimate, name: str, m: Metric) -> str:
    """``317 MWh/yr electricity generated (P10–P90: between 303 and 338 MWh/yr electricity generated)``."""
    d = m.to_dict()
    gen = generates(est.measures)
    unit = plain_unit(m.unit)
    if None in (d["p10"], d["p50"], d["p90"]):
        return in_words(name, d["p50"], unit, gen) if d["p50"] is not None else "never"
    return (f"{in_words(name, d['p50'], unit, gen)} (P10–P90: "
            f"{range_in_words(name, d['p10'], d['p90'], unit, gen)})")


def range_rows(est: Estimate, names: tuple[str, ...] = HEADLINE) -> list[dict[str, Any]]:
    """P10/P50/P90 rows of the headline metrics with finite values: the signed figures (as in ``--json``), the
    ``direction`` word of the median, the values as shown (``shown_p10`` … positive in that direction) and a
    sentence ``in words``."""
    rows = []
    gen = generates(est.measures)
    for name in names:
        m = est.metrics.get(name)
        if m is None:
            continue
        d = m.to_dict()
        if None in (d["p10"], d["p50"], d["p90"]):
            continue
        w, s10, s50, s90 = oriented(name, d["p10"], d["p50"], d["p90"], gen)
        label = shown_name(name, w, gen)
        rows.append({"metric": f"{label} ({m.unit})", "name": name, "unit": m.unit, "direction": w,
                     "p10": d["p10"], "p50": d["p50"], "p90": d["p90"], "shown_p10": s10, "shown_p50": s50,
                     "shown_p90": s90, "in words": metric_in_words(est, name, m)})
    return rows


def side_by_side(engine: Engine, est: Estimate, samples: int = 2000, seed: int = 42) -> list[dict[str, Any]]:
    """The same solution at the same scale in its source city beside the chosen city (P50), with site figures."""
    sol = est.solution or {}
    rows: list[dict[str, Any]] = []
    source_est: Estimate | None = None
    if sol:
        try:
            source_est = estimate_solution(engine, sol["id"], find_city(engine, sol["city"]),
                                           {m["measure_type"]: m["scale"] for m in est.measures},
                                           samples=samples, seed=seed)
        except (LookupError, ValueError):
            source_est = None
    figures = (est.source_site or {}).get("figures", {})
    gen = generates(est.measures)
    for name in HEADLINE:
        m = est.metrics.get(name)
        if m is None:
            continue
        src = source_est.metrics.get(name) if source_est else None
        fig = figures.get(name)
        d = m.to_dict()
        p10, p50, p90 = (x if x is not None else 0.0 for x in (d["p10"], d["p50"], d["p90"]))
        w = oriented(name, p10, p50, p90, gen)[0]
        sign = -1.0 if _flipped(name, w, gen) else 1.0

        def shown(x: float | None, w: str = w, sign: float = sign, name: str = name) -> str:
            return "never" if x is None else cell(name, sign * x, w, gen)

        rows.append({"metric": shown_name(name, w, gen), "unit": m.unit, "direction": w,
                     "source city, same scale (P50)": shown(src.to_dict()["p50"]) if src else "",
                     "source-site figure": shown(fig["value"]) if fig else "",
                     "site figure evidence": fig["evidence"] if fig else "",
                     f"{est.city.name} (P10)": shown(d["p10"] if sign > 0 else d["p90"]),
                     f"{est.city.name} (P50)": shown(d["p50"]),
                     f"{est.city.name} (P90)": shown(d["p90"] if sign > 0 else d["p10"])})
    return rows


def _flipped(name: str, heading_word: str, gen: bool) -> bool:
    """Whether values of ``name`` change sign when shown under ``heading_word`` (a carrier saved, CO₂ added)."""
    d = direction_of(name, gen)
    return d is not None and bool(heading_word) and (heading_word == d.gain) != (d.gain_sign > 0)


def sensitivity_verdict(est: Estimate, metric: str) -> tuple[str, str | None]:
    """(sentence, dominant input or None) of the global sensitivity of one metric: the dominant input only when it
    dominates (:mod:`kb.replication.sensitivity`), else "no single input dominates …" or :data:`NO_SPREAD`."""
    return summary(est.sensitivity, est.most_influential, metric)


def tornado_rows(est: Estimate, metric: str, top: int = 8) -> list[dict[str, Any]]:
    """The inputs that move one metric most, in the global ranking (total Sobol index, then swing): the output at
    the input's low and high (finite swings only), the indices, and the swing in words."""
    rows = [r for r in est.sensitivity if r["metric"] == metric and r["at_low"] is not None
            and r["at_high"] is not None]
    if not any(r.get("rank") for r in rows):
        rows = sorted(rows, key=lambda r: -(r["swing"] or 0))
    rows = rows[:top]
    gen = generates(est.measures)
    unit = next((str(r.get("metric_unit") or "") for r in rows), "")
    return [{"input": _input_label(est, r), "base": r["base"],
             "at_low": r["at_low"], "at_high": r["at_high"], "swing": r["swing"], "s1": r.get("s1"),
             "st": r.get("st"),
             "in words": f"{range_in_words(metric, r['at_low'], r['at_high'], unit, gen)} as the input goes "
                         f"from {number(r['input_low'])} to {number(r['input_high'])}"
                         if "input_low" in r else range_in_words(metric, r["at_low"], r["at_high"], unit, gen)}
            for r in rows]


def sensitivity_rows(est: Estimate, metric: str, top: int = 8) -> list[dict[str, Any]]:
    """A table of the global sensitivity of one metric: input, share of variance alone (S1) and in total (ST)."""
    out = []
    for r in [r for r in est.sensitivity if r["metric"] == metric][:top]:
        out.append({"input": _input_label(est, r),
                    "range": f"{number(r['input_low'])} – {number(r['input_high'])} {plain_unit(r.get('input_unit'))}"
                             .strip() if "input_low" in r else "",
                    "S1 (alone)": _share(r.get("s1")), "ST (with interactions)": _share(r.get("st")),
                    "dominates": "yes" if r.get("dominant") else ""})
    return out


def _share(x: float | None) -> str:
    return format_share(x)


def _input_label(est: Estimate, r: dict[str, Any]) -> str:
    """An input's name, with the measure's title in front where the estimate has several measures and the input
    belongs to one (a city driver such as the PV yield belongs to none: no leading ``: ``)."""
    titles = {str(m.get("measure_type")): str(m.get("title") or m.get("measure_type")) for m in est.measures}
    measure = str(r.get("measure") or "")
    if len(est.measures) > 1 and measure:
        return f"{titles.get(measure, measure)}: {r['input']}"
    return str(r["input"])


ECONOMICS: tuple[tuple[str, str], ...] = (
    ("npv", "Net present value"), ("irr", "Internal rate of return"), ("discounted_payback", "Discounted payback"),
    ("lcoe", "Levelised cost of electricity"), ("lcoh", "Levelised cost of heat"),
    ("net_abatement_cost", "Net cost per tonne of CO₂ avoided"),
)


def _econ_value(name: str, v: float | None, say: bool = True) -> str:
    """A life-cycle figure as read (``233,059 EUR``); ``say`` adds what its sign means for NPV and €/tCO2."""
    if v is None:
        return "never pays back" if name == "discounted_payback" else "none"
    if name == "irr":
        return f"{v:.1%} per year"
    if name == "discounted_payback":
        return format_years(v)
    if name == "npv":
        return f"{v:,.0f} EUR" + ((" (gains more than it costs)" if v > 0 else " (costs more than it saves)")
                                  if say else "")
    if name == "net_abatement_cost":
        return f"{v:,.0f} EUR per t CO₂" + (" (saves money)" if v < 0 and say else "")
    return f"{v:,.1f} EUR/MWh"


def economics_rows(est: Estimate) -> list[dict[str, Any]]:
    """The life-cycle economics that apply to the estimate: label, P50 in words and the P10–P90 range."""
    rows = []
    for name, label in ECONOMICS:
        m = est.metrics.get(name)
        if m is None:
            continue
        d = m.to_dict()
        rows.append({"name": name, "metric": label, "P50": _econ_value(name, d["p50"]),
                     "value": _econ_value(name, d["p50"], say=name == "net_abatement_cost"),
                     "P10 – P90": f"{_econ_value(name, d['p10'])} – {_econ_value(name, d['p90'])}",
                     "p50": d["p50"], "unit": m.unit, "meaning": m.label})
    return rows


def cash_flow_rows(est: Estimate) -> list[dict[str, Any]]:
    """Year-by-year discounted cash flow of the central estimate (for the cumulative chart), or [] without one."""
    table = (est.economics or {}).get("cash_flow_central") or {}
    return [{"year": int(y["year"]), "cumulative discounted cash flow (EUR)": float(y["cumulative"]),
             "net cash flow (EUR)": float(y["net"])} for y in table.get("years", [])]


def side_by_side_table(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """:func:`side_by_side` rows for the page: the output's label capitalized with its plain unit, blanks as ``—``."""
    out = []
    for r in rows:
        unit = plain_unit(str(r.get("unit") or ""))
        shown = {k: (v if v not in (None, "") else BLANK) for k, v in r.items() if k not in ("metric", "unit",
                                                                                           "direction")}
        out.append({"output": capitalized(f"{r['metric']} ({unit})" if unit else str(r["metric"])), **shown})
    return out


def assumption_rows(est: Estimate) -> list[dict[str, str]]:
    """The assumption table for a reader: every input's name (a measure's scale by its title), value and range
    formatted, its unit in plain words, evidence, source and note; a missing value as ``—``, never ``None``."""
    titles = {str(m.get("measure_type")): str(m.get("title") or m.get("measure_type")) for m in est.measures}
    rows = []
    for a in est.assumptions:
        name = str(a.get("name") or "")
        if name.startswith("scale of "):
            name = "Scale of " + titles.get(name.removeprefix("scale of "), name.removeprefix("scale of "))
        unit = str(a.get("unit") or "")
        low, high = a.get("low"), a.get("high")
        rows.append({"input": capitalized(name), "value": _num(a.get("value"), unit),
                     "range": f"{_num(low, unit)} – {_num(high, unit)}" if low is not None and high is not None
                     and low != high else BLANK,
                     "unit": plain_unit(unit), "evidence": str(a.get("evidence") or BLANK),
                     "source": str(a.get("source") or BLANK), "note": str(a.get("note") or "")})
    return rows


def _num(v: Any, unit: str) -> str:
    if isinstance(v, int | float) and not isinstance(v, bool):
        return format_number(float(v), whole=unit in COUNT_UNITS)
    return BLANK if v is None else str(v)


def unavailable_lines(est: Estimate) -> list[str]:
    """The outputs not computed, each ``CO₂ avoided: no district-heat CO₂ factor for Kraków`` (plain words)."""
    return [f"{label_of(str(u['metric']))}: {plain_reason(str(u['reason']))}" for u in est.unavailable]
