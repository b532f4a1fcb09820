"""Plain rows of an hourly balance (a plan's or an estimate's reference district): KPIs, PED table, weeks, months."""

from __future__ import annotations

from typing import Any

from babel.numbers import format_decimal, format_percent

from kb.i18n import N_
from kb.views.fmt import Translate, identity

MONTHS = (N_("Jan"), N_("Feb"), N_("Mar"), N_("Apr"), N_("May"), N_("Jun"), N_("Jul"), N_("Aug"), N_("Sep"),
          N_("Oct"), N_("Nov"), N_("Dec"))

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
    ("self_consumption", N_("Self-consumption"), N_("share of PV output used on site")),
    ("self_sufficiency", N_("Self-sufficiency"), N_("share of the electricity load met on site")),
    ("peak_import_kw", N_("Peak import (kW)"), N_("the largest hourly import")),
    ("hours_of_net_import", N_("Hours of net import"), N_("of 8,760 hours")))
"""(key, label, what it means) of the KPIs shown as metrics."""


def kpi_text(key: str, value: float, locale: str = "") -> str:
    """One hourly KPI written out: a share as a percentage, energy in MWh, cycles to one decimal (in ``locale``'s
    number format when one is given)."""
    fmt = _FORMAT.get(key, "number")
    if locale:
        if fmt == "share":
            return format_percent(value, format="#,##0%", locale=locale)
        if fmt == "mwh":
            return format_decimal(round(value / 1e3), format="#,##0", locale=locale)
        if fmt == "number":
            return format_decimal(value, format="#,##0.0", locale=locale)
        return format_decimal(round(value), format="#,##0", locale=locale)
    if fmt == "share":
        return f"{value:.0%}"
    if fmt == "mwh":
        return f"{value / 1e3:,.0f}"
    if fmt == "number":
        return f"{value:,.1f}"
    return f"{value:,.0f}"


def kpi_range_text(hourly: dict[str, Any] | None, key: str, draws: int, t: Translate = identity,
                   locale: str = "") -> str:
    """``P10–P90 over 200 draws: 96%–98%`` for one hourly KPI, or "" without ranges."""
    r = ((hourly or {}).get("kpi_ranges") or {}).get(key)
    if not r:
        return ""
    n = format_decimal(draws, format="#,##0", locale=locale) if locale else f"{draws:,}"
    return t("P10–P90 over {draws} draws: {low}–{high}").format(draws=n, low=kpi_text(key, r["p10"], locale),
                                                                  high=kpi_text(key, r["p90"], locale))


def kpi_metrics(hourly: dict[str, Any] | None, draws: int, t: Translate = identity,
                locale: str = "") -> list[tuple[str, str, str]]:
    """(label, value, help) of the hourly KPIs shown as metrics, the help with the P10–P90 where there is one."""
    if not hourly:
        return []
    k = hourly["kpis"]
    out = []
    for key, label, why in SHOWN_KPIS:
        rng = kpi_range_text(hourly, key, draws, t, locale)
        out.append((t(label), kpi_text(key, k[key], locale), t(why) + (f"; {rng}" if rng else "")))
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


def ped_definition_rows(hourly: dict[str, Any] | None, t: Translate = identity,
                        locale: str = "") -> list[dict[str, Any]]:
    """The PED definitions of an hourly balance: met or not, by how much, why (empty without one); with the share of
    draws that meet each where the balance has it (``ped_share``)."""
    if not hourly:
        return []
    share = hourly.get("ped_share") or {}
    def margin(x: float) -> str:
        return format_decimal(x, format="+#,##0.0;-#,##0.0", locale=locale) if locale else f"{x:+,.1f}"

    def pct(x: float) -> str:
        return format_percent(x, format="#,##0%", locale=locale) if locale else f"{x:.0%}"

    return [{"definition": d["name"], "met": t("yes") if d["met"] else t("no"),
             "by how much": f"{margin(d['margin'])} {d['unit']}",
             **({"met in draws": pct(share[d['key']])} if d["key"] in share else {}),
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
