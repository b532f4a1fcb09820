"""Plain rows and sentences for an estimate hour by hour in its reference district (the Estimate page)."""

from __future__ import annotations

from typing import Any

from babel.numbers import format_decimal, format_percent

from kb.briefs.hourly import HOMES_HELP, battery_value_sentence, district_sentence
from kb.i18n import N_
from kb.replication.hourly import HOURLY_MODELS
from kb.replication.inputs import MeasureType
from kb.replication.simulation import Estimate
from kb.views.fmt import Translate, format_number, identity
from kb.views.hourly import kpi_metrics, ped_definition_rows, typical_week_rows
from kb.views.messages import say

__all__ = ["HOMES_HELP", "battery_rows", "battery_text", "dispatched", "district_text", "hourly_metrics",
           "hourly_ped_rows", "hourly_week_rows", "provenance_lines"]

_GAIN_ROWS: tuple[tuple[str, str, str], ...] = (
    ("self_consumption", N_("Self-consumption"), "share"), ("self_sufficiency", N_("Self-sufficiency"), "share"),
    ("peak_import_kw", N_("Peak import (kW)"), "kw"), ("annual_import_kwh", N_("Import (MWh/yr)"), "mwh"),
    ("annual_export_kwh", N_("Export (MWh/yr)"), "mwh"))


_PROFILE_NAMES = {"pv": N_("PV"), "homes": N_("Homes"), "electricity": N_("Electricity"), "battery": N_("Battery"),
                  "heat_pumps": N_("Heat-pump")}


def _cell(kind: str, v: float, locale: str = "") -> str:
    if locale:
        if kind == "share":
            return format_percent(v, format="#,##0%", locale=locale)
        if kind == "mwh":
            return format_decimal(v / 1e3, format="#,##0.0", locale=locale)
        return format_decimal(round(v), format="#,##0", locale=locale)
    if kind == "share":
        return f"{v:.0%}"
    if kind == "mwh":
        return f"{v / 1e3:,.1f}"
    return f"{v:,.0f}"


def dispatched(types: list[MeasureType]) -> bool:
    """Whether any of the measure types is dispatched hour by hour (PV, battery, heat pump, EV charging)."""
    return any(mt.model in HOURLY_MODELS for mt in types)


def district_text(est: Estimate, t: Translate = identity, locale: str = "en_GB") -> str:
    """The reference district in one or two sentences (homes, how they were sized, electricity per home), or ""."""
    if not est.hourly:
        return ""
    if t is identity:
        return district_sentence(est.hourly)
    d = est.hourly["district"]
    return t("Reference district: {homes} homes, each using {kwh} kWh of electricity a year ({source}). Number of "
             "homes: {how}.").format(homes=format_number(d["homes"], locale=locale, whole=True),
                                     kwh=format_number(d["electricity_per_home_kwh"], locale=locale),
                                     source=d["electricity_source"],
                                     how=say(d.get("homes_source_message") or d["homes_source"], t, locale))


def hourly_metrics(est: Estimate, t: Translate = identity, locale: str = "") -> list[tuple[str, str, str]]:
    """(label, value, help) of self-consumption, self-sufficiency, peak import and hours of net import."""
    return kpi_metrics(est.hourly, est.n_samples, t, locale)


def battery_rows(est: Estimate, t: Translate = identity, locale: str = "") -> list[dict[str, Any]]:
    """What the battery changes: without → with it, for self-consumption, self-sufficiency, peak import, import and
    export (empty without a dispatched battery)."""
    gain = (est.hourly or {}).get("battery_gain")
    if not gain:
        return []
    return [{"": t(label), "without battery": _cell(kind, gain[key][0], locale),
             "with battery": _cell(kind, gain[key][1], locale)} for key, label, kind in _GAIN_ROWS]


def battery_text(est: Estimate, t: Translate = identity, locale: str = "en_GB") -> str:
    """The battery's cycles, losses and value in EUR per year, in one sentence (empty without a battery)."""
    gain = (est.hourly or {}).get("battery_gain")
    if not gain:
        return ""
    if t is identity:
        return battery_value_sentence(gain)

    def n(x: float) -> str:
        return format_number(x, locale=locale)

    exported = (t("less {mwh} MWh charged that would otherwise be exported at {price} EUR/kWh").format(
        mwh=n(gain["charged_kwh"] / 1e3), price=n(gain["export_value"])) if gain["export_value"] else
        t("charged with {mwh} MWh of surplus that would otherwise be exported unpaid (no export value is "
          "given)").format(mwh=n(gain["charged_kwh"] / 1e3)))
    return t("The battery goes through {cycles} full cycles a year and loses {losses} MWh a year in its round trip; "
             "its energy is worth about {value} EUR a year: {delivered} MWh delivered instead of imported at "
             "{price} EUR/kWh, {exported}.").format(
        cycles=n(gain["cycles"]), losses=n(gain["losses_kwh"] / 1e3), value=n(gain["value_eur"]),
        delivered=n(gain["delivered_kwh"] / 1e3), price=n(gain["retail_price"]), exported=exported)


def hourly_ped_rows(est: Estimate, t: Translate = identity, locale: str = "") -> list[dict[str, Any]]:
    """The PED definitions the reference district meets or not (:func:`kb.views.hourly.ped_definition_rows`)."""
    return ped_definition_rows(est.hourly, t, locale)


def hourly_week_rows(est: Estimate) -> list[dict[str, Any]]:
    """The typical winter and summer weeks of the reference district (:func:`kb.views.hourly.typical_week_rows`)."""
    return typical_week_rows(est.hourly)


def provenance_lines(est: Estimate, t: Translate = identity, locale: str = "en_GB") -> list[str]:
    """How each hourly profile is made, one line each, then how the Monte Carlo draws read the dispatch (the homes,
    the battery and the draws translated; the profiles' methods, kb.hourly's own description, stay English)."""
    h = est.hourly or {}
    said = h.get("provenance_messages") or {}
    lines = [t("{name} profile: {how}").format(name=t(_PROFILE_NAMES.get(key, key.replace('_', ' ').capitalize())),
                                               how=say(said[key], t, locale) if key in said else how)
             for key, how in (h.get("provenance") or {}).items()]
    note = say(h["note_message"], t, locale) if h.get("note_message") else h.get("note") or ""
    if note:
        lines.append(f"{note[:1].upper()}{note[1:]}.")
    return lines
