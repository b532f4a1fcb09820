"""The hourly balance of a district plan's central estimate: electricity dispatched hour by hour, PED classification.

Built from the central run of the annual model (every input at its mid), so the annual sums of the hourly load and
PV equal the annual model's central figures; the annual balance keeps its P10–P90. Electricity is dispatched hour
by hour (PV first to the load, then the battery, then the grid); gas, district heat and petrol cross the boundary
as annual figures. Every profile says how it was made; the choices no source gives are labelled assumptions.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kb.errors import InvalidInput
from kb.hourly.dispatch import Battery, dispatch, kpis
from kb.hourly.ped import CarrierExchange, classify
from kb.hourly.profiles import electricity_profile, monthly_climate, monthly_diffuse
from kb.hourly.shapes import BATTERY_HOURS, PV_AZIMUTH, PV_TILT, hp_shape, pv_shape, tz_offset, weeks
from kb.replication.cities import CityProfile

__all__ = ["HourlyInputs", "hourly_balance", "CENTRAL_NOTE", "PV_TILT", "PV_AZIMUTH"]

log = logging.getLogger(__name__)

CENTRAL_NOTE = "hourly balance of the central estimate; the annual balance keeps its P10–P90"

@dataclass(frozen=True)
class HourlyInputs:
    """The central annual figures the hourly balance reproduces (kWh/yr) and the factors it weights them with.

    ``electricity_kwh`` is the district's remaining electricity demand after all measures, without PV generation,
    battery losses and heat-pump electricity; ``heat_pump_kwh`` the heat pumps' added electricity; ``pv_kwh`` the
    annual generation; ``other`` the net remaining of every other carrier (positive = import)."""

    city: CityProfile
    electricity_kwh: float
    heat_pump_kwh: float
    pv_kwh: float
    battery_kwh: float
    battery_round_trip: float
    other: Mapping[str, float]
    pef: Mapping[str, float]
    co2_kg_per_kwh: Mapping[str, float]
    space_heating_share: float = 0.817
    space_heating_share_source: str = "deep-retrofit measure type (EU households, 0.817)"
    notes: list[str] = field(default_factory=list)


def hourly_balance(h: HourlyInputs) -> tuple[dict[str, Any] | None, str]:
    """``(result, "")`` or ``(None, reason)`` when the city lacks what the hourly profiles need."""
    city = h.city
    climate = monthly_climate(city)
    if climate is None:
        return None, (f"no hourly balance: {city.name} has no monthly climate (ghi_01…ghi_12 and temp_01…temp_12 "
                      "in its city record)")
    lat, lon = city.value("latitude"), city.value("longitude")
    if lat is None or lon is None:
        return None, f"no hourly balance: {city.name} has no latitude and longitude in its city record"
    ghi, temp = (tuple(float(x) for x in s) for s in climate)
    dhi_list = monthly_diffuse(city)
    dhi = tuple(dhi_list) if dhi_list is not None else None
    tz, tz_how = tz_offset(city)
    elec_kwh = h.electricity_kwh
    notes = list(h.notes)
    if elec_kwh < 0:
        notes.append(f"the remaining electricity demand without PV is negative ({elec_kwh / 1e3:,.0f} MWh/yr) "
                     "in the annual model; the hourly load counts it as zero")
        elec_kwh = 0.0
    try:
        base = electricity_profile(elec_kwh, "household")
        load = base.values.copy()
        provenance: dict[str, str] = {
            "electricity": base.provenance + "; every remaining electricity use (including EV charging) follows "
                                             "the household profile (model assumption)"}
        if h.heat_pump_kwh > 0:
            shape, how = hp_shape(temp, h.space_heating_share)
            load = load + shape * h.heat_pump_kwh
            provenance["heat_pumps"] = how + f"; space-heating share {h.space_heating_share:g} " \
                                             f"({h.space_heating_share_source})"
        pv_vals = np.zeros_like(load)
        if h.pv_kwh > 0:
            shape_pv = pv_shape(float(lat), float(lon), tz, ghi, temp, dhi)
            pv_vals = shape_pv.values * (h.pv_kwh / shape_pv.annual)
            provenance["pv"] = (f"{shape_pv.provenance}; normalised to the annual model's generation "
                                f"{h.pv_kwh / 1e3:,.1f} MWh/yr; tilt {PV_TILT:g}° facing south (model assumption: the "
                                f"city record gives no tilt); time {tz_how}")
        battery = None
        if h.battery_kwh > 0:
            battery = Battery(h.battery_kwh, h.battery_kwh / BATTERY_HOURS, h.battery_round_trip)
            provenance["battery"] = (f"{h.battery_kwh:,.0f} kWh, {h.battery_kwh / BATTERY_HOURS:,.0f} kW (capacity ÷ "
                                     f"{BATTERY_HOURS:g} h: the measure type's capex is for a 2-hour battery; model "
                                     f"assumption), round trip {h.battery_round_trip:g} (measure type), charged "
                                     "only from PV surplus, empty on 1 January")
        res = dispatch(load, pv_vals, battery)
    except InvalidInput as exc:
        log.warning("hourly balance unavailable: %s", exc)
        return None, f"no hourly balance: {exc}"
    k = kpis(res)
    scalar = {key: float(np.asarray(v)) for key, v in k.items() if np.ndim(v) == 0}
    monthly = {key.removeprefix("monthly_").removesuffix("_kwh"): [float(x) for x in np.asarray(v)]
               for key, v in k.items() if key.startswith("monthly_")}
    exchanges = [CarrierExchange("electricity", res.grid_import, h.pef.get("electricity", 0.0),
                                 h.co2_kg_per_kwh.get("electricity", 0.0), res.grid_export)]
    annual_carriers: dict[str, float] = {}
    for c, v in h.other.items():
        if abs(v) <= 1e-9:
            continue
        annual_carriers[c] = v
        exchanges.append(CarrierExchange(c, max(v, 0.0), h.pef.get(c, 0.0), h.co2_kg_per_kwh.get(c, 0.0),
                                         max(-v, 0.0)))
    missing_co2 = sorted(c for c in ["electricity", *annual_carriers] if c not in h.co2_kg_per_kwh)
    if missing_co2:
        notes.append(f"the CO2 balance leaves out {', '.join(missing_co2)}: no CO2 factor")
    status = classify(exchanges)
    ped: dict[str, Any] = {**status.to_dict(),
                           "definitions": [{**r.to_dict(), "boundary": status.boundary} for r in status.results]}
    return {
        "note": CENTRAL_NOTE,
        "kpis": scalar,
        "monthly_kwh": monthly,
        "annual_kwh": {"load": float(res.load.sum()), "pv": float(res.pv.sum()),
                       "import": float(res.grid_import.sum()), "export": float(res.grid_export.sum())},
        "annual_carriers_kwh": annual_carriers,
        "ped": ped,
        "provenance": provenance,
        "notes": notes,
        "weeks": weeks(res.load, res.pv, res.grid_import, res.grid_export, res.soc),
    }, ""
