"""Table and chart data for the replication pages (no Streamlit): drivers, ranges, source vs city, tornado."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from kb.records.vocab import DRIVER_KEYS
from kb.replication.cities import DRIVER_LABELS, CityProfile, find_city
from kb.replication.simulation import Estimate
from kb.replication.solution import estimate_solution

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


def range_rows(est: Estimate, names: tuple[str, ...] = HEADLINE) -> list[dict[str, Any]]:
    """P10/P50/P90 rows of the headline metrics with finite values."""
    rows = []
    for name in names:
        m = est.metrics.get(name)
        if m is None:
            continue
        d = m.to_dict()
        if None in (d["p10"], d["p50"], d["p90"]):
            continue
        rows.append({"metric": f"{name} ({m.unit})", "name": name, "unit": m.unit, "p10": d["p10"],
                     "p50": d["p50"], "p90": d["p90"]})
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
    for name in HEADLINE:
        m = est.metrics.get(name)
        if m is None:
            continue
        src = source_est.metrics.get(name) if source_est else None
        fig = figures.get(name)
        rows.append({"metric": name, "unit": m.unit,
                     "source city, same scale (P50)": src.to_dict()["p50"] if src else None,
                     "source-site figure": fig["value"] if fig else None,
                     "site figure evidence": fig["evidence"] if fig else "",
                     f"{est.city.name} (P10)": m.to_dict()["p10"], f"{est.city.name} (P50)": m.to_dict()["p50"],
                     f"{est.city.name} (P90)": m.to_dict()["p90"]})
    return rows


def tornado_rows(est: Estimate, metric: str, top: int = 8) -> list[dict[str, Any]]:
    """The inputs that move one metric most: output at the input's low and high (finite swings only)."""
    rows = [r for r in est.sensitivity if r["metric"] == metric and r["at_low"] is not None
            and r["at_high"] is not None]
    rows = sorted(rows, key=lambda r: -(r["swing"] or 0))[:top]
    return [{"input": (f"{r['measure']}: " if len(est.measures) > 1 else "") + r["input"], "base": r["base"],
             "at_low": r["at_low"], "at_high": r["at_high"], "swing": r["swing"]} for r in rows]
