"""Plain rows of an hourly balance (a plan's or an estimate's reference district): KPIs, PED table, weeks, months."""

from __future__ import annotations

from typing import Any

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# How each hourly KPI is written: label and format ("share", "kw", "count", "mwh", "number").
RANGE_KPIS: tuple[tuple[str, str, str], ...] = (
    ("self_consumption", "Self-consumption", "share"), ("self_sufficiency", "Self-sufficiency", "share"),
    ("degree_of_energetic_self_supply", "Degree of energetic self-supply by RES (SCIS)", "share"),
    ("peak_import_kw", "Peak import (kW)", "kw"), ("peak_export_kw", "Peak export (kW)", "kw"),
    ("hours_of_net_import", "Hours of net import", "count"), ("annual_import_kwh", "Import (MWh/yr)", "mwh"),
    ("annual_export_kwh", "Export (MWh/yr)", "mwh"), ("battery_losses_kwh", "Battery losses (MWh/yr)", "mwh"),
    ("battery_cycles", "Battery cycles per year", "number"))
_FORMAT = {key: fmt for key, _, fmt in RANGE_KPIS}
SHOWN_KPIS: tuple[tuple[str, str, str], ...] = (
    ("self_consumption", "Self-consumption", "share of PV output used on site"),
    ("self_sufficiency", "Self-sufficiency", "share of the electricity load met on site"),
    ("peak_import_kw", "Peak import (kW)", "the largest hourly import"),
    ("hours_of_net_import", "Hours of net import", "of 8,760 hours"))
"""(key, label, what it means) of the KPIs shown as metrics."""


def kpi_text(key: str, value: float) -> str:
    """One hourly KPI written out: a share as a percentage, energy in MWh, cycles to one decimal."""
    fmt = _FORMAT.get(key, "number")
    if fmt == "share":
        return f"{value:.0%}"
    if fmt == "mwh":
        return f"{value / 1e3:,.0f}"
    if fmt == "number":
        return f"{value:,.1f}"
    return f"{value:,.0f}"


def kpi_range_text(hourly: dict[str, Any] | None, key: str, draws: int) -> str:
    """``P10–P90 over 200 draws: 96%–98%`` for one hourly KPI, or "" without ranges."""
    r = ((hourly or {}).get("kpi_ranges") or {}).get(key)
    if not r:
        return ""
    return f"P10–P90 over {draws:,} draws: {kpi_text(key, r['p10'])}–{kpi_text(key, r['p90'])}"


def kpi_metrics(hourly: dict[str, Any] | None, draws: int) -> list[tuple[str, str, str]]:
    """(label, value, help) of the hourly KPIs shown as metrics, the help with the P10–P90 where there is one."""
    if not hourly:
        return []
    k = hourly["kpis"]
    out = []
    for key, label, why in SHOWN_KPIS:
        rng = kpi_range_text(hourly, key, draws)
        out.append((label, kpi_text(key, k[key]), why + (f"; {rng}" if rng else "")))
    return out


def kpi_range_rows(hourly: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Per hourly KPI: the central estimate and P10 / P50 / P90 over the draws the hourly part ran (written out)."""
    h = hourly or {}
    ranges = h.get("kpi_ranges") or {}
    rows = []
    for key, label, _ in RANGE_KPIS:
        r = ranges.get(key)
        if r is None or key not in h.get("kpis", {}):
            continue
        rows.append({"KPI": label, "central": kpi_text(key, h["kpis"][key]), "P10": kpi_text(key, r["p10"]),
                     "P50": kpi_text(key, r["p50"]), "P90": kpi_text(key, r["p90"])})
    return rows


def ped_definition_rows(hourly: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The PED definitions of an hourly balance: met or not, by how much, why (empty without one); with the share of
    draws that meet each where the balance has it (``ped_share``)."""
    if not hourly:
        return []
    share = hourly.get("ped_share") or {}
    return [{"definition": d["name"], "met": "yes" if d["met"] else "no",
             "by how much": f"{d['margin']:+,.1f} {d['unit']}",
             **({"met in draws": f"{share[d['key']]:.0%}"} if d["key"] in share else {}),
             "why": d["explanation"], "source": d["source"]}
            for d in hourly["ped"]["definitions"]]


def monthly_rows(hourly: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Monthly electricity import (negative bars) and export (positive) in MWh, for a bar chart."""
    if not hourly:
        return []
    m = hourly["monthly_kwh"]
    rows: list[dict[str, Any]] = []
    for i, name in enumerate(MONTHS):
        rows.append({"month": name, "order": i, "flow": "import", "MWh": -m["import"][i] / 1e3})
        rows.append({"month": name, "order": i, "flow": "export", "MWh": m["export"][i] / 1e3})
    return rows


def typical_week_rows(hourly: dict[str, Any] | None) -> list[dict[str, Any]]:
    """A typical winter and summer week: load, PV, import and export per hour (kWh), long format."""
    if not hourly:
        return []
    rows: list[dict[str, Any]] = []
    for season, flows in hourly["weeks"].items():
        for flow in ("load", "pv", "import", "export"):
            rows += [{"season": season, "hour": h, "flow": flow, "kWh": v} for h, v in enumerate(flows[flow])]
    return rows
