"""An estimate hour by hour in its reference district, in sentences and charts (the brief; the Estimate page too)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kb.briefs.lang import localized, t
from kb.briefs.model import Block, Paragraph, fmt, inert
from kb.briefs.plan import ped_sentence, week_charts

Fmt = Callable[[float | int | None], str]

HOMES_HELP = ("Leave empty to size the district automatically: with PV, enough homes to use over the year as much "
              "electricity as the PV generates in the central estimate (an annual net-zero-electricity "
              "district); with heat pumps and no PV, the heat pumps' homes. Each home uses the district-baseline "
              "record's electricity per dwelling.")


def _pct(x: float) -> str:
    return localized(f"{x * 100:.0f}") + " %"


def district_sentence(hourly: dict[str, Any], number: Fmt = fmt) -> str:
    """``Reference district: 107 homes, each using 3,600 kWh of electricity a year (source). Number of homes: how
    it was sized.`` (plain text: the caller escapes it for its format)."""
    d = hourly["district"]
    return t("Reference district: {homes} homes, each using {kwh} kWh of electricity a year ({source}). Number of "
             "homes: {sizing}.").format(homes=number(d["homes"]), kwh=number(d["electricity_per_home_kwh"]),
                                        source=d["electricity_source"], sizing=d["homes_source"])


def battery_change_sentence(gain: dict[str, Any]) -> str:
    """``With the battery, self-consumption rises from 40 % to 76 % and self-sufficiency from 40 % to 73 %.``"""
    sc, ss = gain["self_consumption"], gain["self_sufficiency"]
    text = (t("With the battery, self-consumption rises from {a} to {b} and self-sufficiency from {c} to {d}.")
            if sc[1] >= sc[0] else
            t("With the battery, self-consumption falls from {a} to {b} and self-sufficiency from {c} to {d}."))
    return text.format(a=_pct(sc[0]), b=_pct(sc[1]), c=_pct(ss[0]), d=_pct(ss[1]))


def battery_value_sentence(gain: dict[str, Any], number: Fmt = fmt) -> str:
    """The battery's cycles, losses and energy-cost value per year, and how the value is counted."""
    exported = (t("less {mwh} MWh charged that would otherwise be exported at {price} EUR/kWh").format(
        mwh=number(gain["charged_kwh"] / 1e3), price=number(gain["export_value"])) if gain["export_value"] else
        t("charged with {mwh} MWh of surplus that would otherwise be exported unpaid (no export value is given)"
          ).format(mwh=number(gain["charged_kwh"] / 1e3)))
    return t("The battery goes through {cycles} full cycles a year and loses {losses} MWh a year in its round trip; "
             "its energy is worth about {value} EUR a year: {delivered} MWh delivered instead of imported at {price} "
             "EUR/kWh, {exported}.").format(
        cycles=number(gain["cycles"]), losses=number(gain["losses_kwh"] / 1e3), value=number(gain["value_eur"]),
        delivered=number(gain["delivered_kwh"] / 1e3), price=number(gain["retail_price"]), exported=exported)


def _range(hourly: dict[str, Any], key: str, draws: int) -> str:
    r = (hourly.get("kpi_ranges") or {}).get(key)
    return t(" (P10–P90 over {draws} draws: {low}–{high})").format(
        draws=localized(f"{draws:,}"), low=_pct(r["p10"]), high=_pct(r["p90"])) if r else ""


def estimate_hour_by_hour(hourly: dict[str, Any], draws: int, model: str) -> list[Block]:
    """The brief's paragraphs and charts for one estimate's hourly dispatch: the district, self-consumption and
    self-sufficiency, what the battery changes, the PED definitions met or not with the boundary, typical weeks."""
    k = hourly["kpis"]
    lines = [inert(district_sentence(hourly)) + f" {model}",
             t("In the central estimate {ref} — estimate, self-consumption is **{sc}**{sc_range} (the share of the PV "
               "output used in the district) and self-sufficiency **{ss}**{ss_range} (the share of its electricity "
               "met on site); peak import {peak} kW; net import in {hours} of the {year} hours.").format(
                 ref=model, sc=_pct(k["self_consumption"]), sc_range=_range(hourly, "self_consumption", draws),
                 ss=_pct(k["self_sufficiency"]), ss_range=_range(hourly, "self_sufficiency", draws),
                 peak=fmt(k["peak_import_kw"]), hours=fmt(k["hours_of_net_import"]), year=fmt(8760))]
    gain = hourly.get("battery_gain")
    if gain:
        lines.append(f"{battery_change_sentence(gain)} {battery_value_sentence(gain)} {model}")
    blocks: list[Block] = [Paragraph(" ".join(lines[:2])), *(Paragraph(x) for x in lines[2:]),
                           Paragraph(ped_sentence(hourly["ped"]) + f" {model}")]
    blocks.extend(week_charts(hourly["weeks"], bool(gain)))
    blocks.append(Paragraph(t("How it is made: {note} {ref}.").format(note=inert(hourly["note"]), ref=model)))
    return blocks
