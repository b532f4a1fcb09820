"""Plain rows of an hourly balance (a plan's or an estimate's reference district): KPIs, PED table, weeks, months."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from babel.numbers import format_decimal, format_percent

from kb.i18n import N_
from kb.views.fmt import plain_unit
from kb.views.messages import said


def _same(message: str) -> str:
    return message


MONTHS = (N_("Jan"), N_("Feb"), N_("Mar"), N_("Apr"), N_("May"), N_("Jun"), N_("Jul"), N_("Aug"), N_("Sep"),
          N_("Oct"), N_("Nov"), N_("Dec"))

# How each hourly KPI is written: label and format ("share", "kw", "count", "mwh", "number").
RANGE_KPIS: tuple[tuple[str, str, str], ...] = (
    ("self_consumption", N_("Self-consumption"), "share"), ("self_sufficiency", N_("Self-sufficiency"), "share"),
    ("degree_of_energetic_self_supply", N_("Degree of energetic self-supply by RES (SCIS)"), "share"),
    ("peak_import_kw", N_("Peak import (kW)"), "kw"), ("peak_export_kw", N_("Peak export (kW)"), "kw"),
    ("hours_of_net_import", N_("Hours of net import"), "count"), ("annual_import_kwh", N_("Import (MWh/yr)"), "mwh"),
    ("annual_export_kwh", N_("Export (MWh/yr)"), "mwh"),
    ("battery_losses_kwh", N_("Battery losses (MWh/yr)"), "mwh"),
    ("battery_cycles", N_("Battery cycles per year"), "number"))
_FORMAT = {key: fmt for key, _, fmt in RANGE_KPIS}
SHOWN_KPIS: tuple[tuple[str, str, str], ...] = (
    ("self_consumption", N_("Self-consumption"), N_("share of PV output used on site")),
    ("self_sufficiency", N_("Self-sufficiency"), N_("share of the electricity load met on site")),
    ("peak_import_kw", N_("Peak import (kW)"), N_("the largest hourly import")),
    ("hours_of_net_import", N_("Hours of net import"), N_("of 8,760 hours")))
"""(key, label, what it means) of the KPIs shown as metrics."""


def kpi_text(key: str, value: float, locale: str = "en_GB") -> str:
    """One hourly KPI written out: a share as a percentage, energy in MWh, cycles to one decimal (numbers in the
    reader's ``locale``: ``96%``, ``1,234``; in Polish ``96%``, ``1 234``)."""
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
        return format_percent(value, format="#,##0%", locale=locale)
    if fmt == "mwh":
        return format_decimal(round(value / 1e3), format="#,##0", locale=locale)
    if fmt == "number":
        return format_decimal(round(value, 1), format="#,##0.0", locale=locale)
    return format_decimal(round(value), format="#,##0", locale=locale)


def kpi_range_text(hourly: dict[str, Any] | None, key: str, draws: int, t: Callable[[str], str] = _same,
                   locale: str = "en_GB") -> str:
    """``P10–P90 over 200 draws: 96%–98%`` for one hourly KPI, or "" without ranges."""
    r = ((hourly or {}).get("kpi_ranges") or {}).get(key)
    if not r:
        return ""
    return t("P10–P90 over {draws} draws: {p10}–{p90}").format(
        draws=format_decimal(draws, format="#,##0", locale=locale), p10=kpi_text(key, r["p10"], locale),
        p90=kpi_text(key, r["p90"], locale))


def kpi_metrics(hourly: dict[str, Any] | None, draws: int, t: Callable[[str], str] = _same,
                locale: str = "en_GB") -> list[tuple[str, str, str]]:
    """(label, value, help) of the hourly KPIs shown as metrics, the help with the P10–P90 where there is one."""
    if not hourly:
        return []
    k = hourly["kpis"]
    out = []
    for key, label, why in SHOWN_KPIS:
        rng = kpi_range_text(hourly, key, draws, t, locale)
        out.append((t(label), kpi_text(key, k[key], locale), t(why) + (f"; {rng}" if rng else "")))
    return out


def kpi_range_rows(hourly: dict[str, Any] | None, t: Callable[[str], str] = _same,
                   locale: str = "en_GB") -> list[dict[str, Any]]:
    """Per hourly KPI: the central estimate and P10 / P50 / P90 over the draws the hourly part ran (written out)."""
    h = hourly or {}
    ranges = h.get("kpi_ranges") or {}
    rows = []
    for key, label, _ in RANGE_KPIS:
        r = ranges.get(key)
        if r is None or key not in h.get("kpis", {}):
            continue
        rows.append({"KPI": t(label), "central": kpi_text(key, h["kpis"][key], locale),
                     "P10": kpi_text(key, r["p10"], locale), "P50": kpi_text(key, r["p50"], locale),
                     "P90": kpi_text(key, r["p90"], locale)})
    return rows


PED_NAMES: dict[str, str] = {
    "annual_primary_energy": N_("Annual net-positive primary energy"), "annual_net_zero_co2": N_("Annual net-zero CO2"),
    "dynamic": N_("PEDdynamic"), "autonomous": N_("PEDautonomous"), "virtual": N_("PEDvirtual")}
"""The plain name of each PED definition (kb.hourly.ped.DEFINITIONS), to be shown translated."""


MARGIN_UNITS: dict[str, str] = {"MWh_PE/yr": N_("MWh primary energy/yr"), "tCO2/yr": N_("t CO₂/yr")}
"""The units of the PED margins, written plainly (kb.views.fmt.plain_unit), to be shown translated."""


def margin_in_words(margin: float, unit: str, t: Callable[[str], str] = _same, locale: str = "en_GB") -> str:
    """A PED margin with its sign said in words: ``short by 12,803 MWh primary energy/yr``, ``2,040 MWh primary
    energy/yr to spare``, ``4,210 hours with net import``."""
    if unit == "hours with net import":
        n = round(margin)
        if n == 0:
            return t("no hour with net import")
        return t("{n} hours with net import").format(n=format_decimal(n, format="#,##0", locale=locale))
    amount = format_decimal(round(abs(margin), 1), format="#,##0.#", locale=locale)
    u = t(MARGIN_UNITS[unit]) if unit in MARGIN_UNITS else plain_unit(unit)
    if margin < 0:
        return t("short by {amount} {unit}").format(amount=amount, unit=u)
    return t("{amount} {unit} to spare").format(amount=amount, unit=u)


def ped_definition_rows(hourly: dict[str, Any] | None, t: Callable[[str], str] = _same,
                        locale: str = "en_GB") -> list[dict[str, Any]]:
    """The PED definitions of an hourly balance: met or not, by how much (the sign in words), why (empty without
    one); with the share of draws that meet each where the balance has it (``ped_share``)."""
    if not hourly:
        return []
    share = hourly.get("ped_share") or {}
    return [{"definition": t(PED_NAMES.get(d["key"], d["name"])), "met": t("met") if d["met"] else t("not met"),
             "by how much": margin_in_words(d["margin"], d["unit"], t, locale),
             **({"met in draws": format_percent(share[d["key"]], format="#,##0%", locale=locale)}
                if d["key"] in share else {}),
             "why": said(d, t, locale), "source": d["source"]}
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


PED_BOUNDARY = N_("geographical boundary of the district: energy counted where it crosses the district's grid "
                  "connections (import and export per carrier); on-site generation used on site is not counted twice")
"""kb.hourly.ped.BOUNDARY, to be shown translated."""


def boundary_in_words(boundary: str, t: Callable[[str], str] = _same) -> str:
    """The PED boundary sentence in the reader's language where it is the classification's standard one."""
    return t(PED_BOUNDARY) if boundary == PED_BOUNDARY else boundary
