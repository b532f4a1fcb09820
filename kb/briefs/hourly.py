"""An estimate hour by hour in its reference district, in sentences and charts (the brief; the Estimate page too)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kb.briefs.model import Block, Paragraph, fmt, inert
from kb.briefs.plan import ped_sentence, week_charts

Fmt = Callable[[float | int | None], str]

HOMES_HELP = ("Leave empty to size the district automatically: with PV, enough homes to use over the year as much "
              "electricity as the PV generates in the central estimate (an annual net-zero-electricity "
              "district); with heat pumps and no PV, the heat pumps' homes. Each home uses the district-baseline "
              "record's electricity per dwelling.")


def _pct(x: float) -> str:
    return f"{x * 100:.0f} %"


def district_sentence(hourly: dict[str, Any], number: Fmt = fmt) -> str:
    """``Reference district: 107 homes, each using 3,600 kWh of electricity a year (source). Number of homes: how
    it was sized.`` (plain text: the caller escapes it for its format)."""
    d = hourly["district"]
    return (f"Reference district: {number(d['homes'])} homes, each using {number(d['electricity_per_home_kwh'])} kWh "
            f"of electricity a year ({d['electricity_source']}). Number of homes: {d['homes_source']}.")


def battery_change_sentence(gain: dict[str, Any]) -> str:
    """``With the battery, self-consumption rises from 40 % to 76 % and self-sufficiency from 40 % to 73 %.``"""
    sc, ss = gain["self_consumption"], gain["self_sufficiency"]
    verb = "rises" if sc[1] >= sc[0] else "falls"
    return (f"With the battery, self-consumption {verb} from {_pct(sc[0])} to {_pct(sc[1])} and self-sufficiency "
            f"from {_pct(ss[0])} to {_pct(ss[1])}.")


def battery_value_sentence(gain: dict[str, Any], number: Fmt = fmt) -> str:
    """The battery's cycles, losses and energy-cost value per year, and how the value is counted."""
    exported = (f"less {number(gain['charged_kwh'] / 1e3)} MWh charged that would otherwise be exported at "
                f"{number(gain['export_value'])} EUR/kWh" if gain["export_value"] else
                f"charged with {number(gain['charged_kwh'] / 1e3)} MWh of surplus that would otherwise be exported "
                "unpaid (no export value is given)")
    return (f"The battery goes through {number(gain['cycles'])} full cycles a year and loses "
            f"{number(gain['losses_kwh'] / 1e3)} MWh a year in its round trip; its energy is worth about "
            f"{number(gain['value_eur'])} EUR a year: {number(gain['delivered_kwh'] / 1e3)} MWh delivered instead of "
            f"imported at {number(gain['retail_price'])} EUR/kWh, {exported}.")


def _range(hourly: dict[str, Any], key: str, draws: int) -> str:
    r = (hourly.get("kpi_ranges") or {}).get(key)
    return f" (P10–P90 over {draws:,} draws: {_pct(r['p10'])}–{_pct(r['p90'])})" if r else ""


def estimate_hour_by_hour(hourly: dict[str, Any], draws: int, model: str) -> list[Block]:
    """The brief's paragraphs and charts for one estimate's hourly dispatch: the district, self-consumption and
    self-sufficiency, what the battery changes, the PED definitions met or not with the boundary, typical weeks."""
    k = hourly["kpis"]
    lines = [inert(district_sentence(hourly)) + f" {model}",
             f"In the central estimate {model} — estimate, self-consumption is **{_pct(k['self_consumption'])}**"
             f"{_range(hourly, 'self_consumption', draws)} (the share of the PV output used in the district) and "
             f"self-sufficiency **{_pct(k['self_sufficiency'])}**{_range(hourly, 'self_sufficiency', draws)} (the "
             f"share of its electricity met on site); peak import {fmt(k['peak_import_kw'])} kW; net import in "
             f"{fmt(k['hours_of_net_import'])} of the 8,760 hours."]
    gain = hourly.get("battery_gain")
    if gain:
        lines.append(f"{battery_change_sentence(gain)} {battery_value_sentence(gain)} {model}")
    blocks: list[Block] = [Paragraph(" ".join(lines[:2])), *(Paragraph(x) for x in lines[2:]),
                           Paragraph(ped_sentence(hourly["ped"]) + f" {model}")]
    blocks.extend(week_charts(hourly["weeks"], bool(gain)))
    blocks.append(Paragraph(f"How it is made: {inert(hourly['note'])} {model}."))
    return blocks
