"""Plain rows and sentences for an estimate hour by hour in its reference district (the Estimate page)."""

from __future__ import annotations

from typing import Any

from kb.briefs.hourly import HOMES_HELP, battery_value_sentence, district_sentence
from kb.replication.hourly import HOURLY_MODELS
from kb.replication.inputs import MeasureType
from kb.replication.simulation import Estimate
from kb.views.hourly import kpi_metrics, ped_definition_rows, typical_week_rows

__all__ = ["HOMES_HELP", "battery_rows", "battery_text", "dispatched", "district_text", "hourly_metrics",
           "hourly_ped_rows", "hourly_week_rows", "provenance_lines"]

_GAIN_ROWS: tuple[tuple[str, str, str], ...] = (
    ("self_consumption", "Self-consumption", "share"), ("self_sufficiency", "Self-sufficiency", "share"),
    ("peak_import_kw", "Peak import (kW)", "kw"), ("annual_import_kwh", "Import (MWh/yr)", "mwh"),
    ("annual_export_kwh", "Export (MWh/yr)", "mwh"))


_PROFILE_NAMES = {"pv": "PV", "homes": "Homes", "electricity": "Electricity", "battery": "Battery",
                  "heat_pumps": "Heat-pump"}


def _cell(kind: str, v: float) -> str:
    if kind == "share":
        return f"{v:.0%}"
    if kind == "mwh":
        return f"{v / 1e3:,.1f}"
    return f"{v:,.0f}"


def dispatched(types: list[MeasureType]) -> bool:
    """Whether any of the measure types is dispatched hour by hour (PV, battery, heat pump, EV charging)."""
    return any(mt.model in HOURLY_MODELS for mt in types)


def district_text(est: Estimate) -> str:
    """The reference district in one or two sentences (homes, how they were sized, electricity per home), or ""."""
    return district_sentence(est.hourly) if est.hourly else ""


def hourly_metrics(est: Estimate) -> list[tuple[str, str, str]]:
    """(label, value, help) of self-consumption, self-sufficiency, peak import and hours of net import."""
    return kpi_metrics(est.hourly, est.n_samples)


def battery_rows(est: Estimate) -> list[dict[str, Any]]:
    """What the battery changes: without → with it, for self-consumption, self-sufficiency, peak import, import and
    export (empty without a dispatched battery)."""
    gain = (est.hourly or {}).get("battery_gain")
    if not gain:
        return []
    return [{"": label, "without battery": _cell(kind, gain[key][0]), "with battery": _cell(kind, gain[key][1])}
            for key, label, kind in _GAIN_ROWS]


def battery_text(est: Estimate) -> str:
    """The battery's cycles, losses and value in EUR per year, in one sentence (empty without a battery)."""
    gain = (est.hourly or {}).get("battery_gain")
    return battery_value_sentence(gain) if gain else ""


def hourly_ped_rows(est: Estimate) -> list[dict[str, Any]]:
    """The PED definitions the reference district meets or not (:func:`kb.views.hourly.ped_definition_rows`)."""
    return ped_definition_rows(est.hourly)


def hourly_week_rows(est: Estimate) -> list[dict[str, Any]]:
    """The typical winter and summer weeks of the reference district (:func:`kb.views.hourly.typical_week_rows`)."""
    return typical_week_rows(est.hourly)


def provenance_lines(est: Estimate) -> list[str]:
    """How each hourly profile is made, one line each, then how the Monte Carlo draws read the dispatch."""
    h = est.hourly or {}
    lines = [f"{_PROFILE_NAMES.get(key, key.replace('_', ' ').capitalize())} profile: {how}"
             for key, how in (h.get("provenance") or {}).items()]
    if h.get("note"):
        lines.append(f"{h['note'][:1].upper()}{h['note'][1:]}.")
    return lines
