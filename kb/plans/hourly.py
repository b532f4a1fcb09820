"""The hourly balance of a district plan's central estimate: electricity dispatched hour by hour, PED classification.

Built from the central run of the annual model (every input at its mid), so the annual sums of the hourly load and
PV equal the annual model's central figures; the annual balance keeps its P10–P90. Electricity is dispatched hour
by hour (PV first to the load, then the battery, then the grid); gas, district heat and petrol cross the boundary
as annual figures. Every profile says how it was made; the choices no source gives are labelled assumptions.
Named off-site renewable supplies the plan declares are credited by the PEDvirtual definition only, at the plan's
electricity primary-energy and CO2 factors.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kb.errors import InvalidInput
from kb.hourly.dispatch import HOURS_PER_YEAR, Battery, DispatchResult, dispatch, kpis
from kb.hourly.ped import CarrierExchange, OffsiteRenewable, classify
from kb.hourly.profiles import electricity_profile
from kb.hourly.shapes import BATTERY_HOURS, PV_AZIMUTH, PV_TILT, city_climate, hp_shape, weeks
from kb.replication.cities import CityProfile
from kb.replication.simulation import percentiles

__all__ = ["HourlyInputs", "HourlyDraws", "OffsiteInput", "hourly_balance", "hourly_ranges", "dispatch_draws",
           "CENTRAL_NOTE", "HOURLY_DRAWS", "PV_TILT", "PV_AZIMUTH"]

FloatArray = np.ndarray[Any, np.dtype[np.float64]]

log = logging.getLogger(__name__)

CENTRAL_NOTE = "hourly balance of the central estimate; the annual balance keeps its P10–P90"


@dataclass(frozen=True)
class OffsiteInput:
    """A named off-site renewable supply of the plan (kWh/yr, central) with its provenance; PEDvirtual credits it."""

    name: str
    kwh_per_year: float
    evidence: str = ""
    source: str = ""
    carrier: str = "electricity"


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
    services_share: float = 0.0
    """Share of ``electricity_kwh`` that follows the services profile (BDEW G25); the rest the household one (H25)."""
    services_share_source: str = ""
    offsite: tuple[OffsiteInput, ...] = ()


def hourly_balance(h: HourlyInputs) -> tuple[dict[str, Any] | None, str]:
    """``(result, "")`` or ``(None, reason)`` when the city lacks what the hourly profiles need."""
    city = h.city
    cl, missing = city_climate(city)
    if missing == "climate":
        return None, (f"no hourly balance: {city.name} has no monthly climate (ghi_01…ghi_12 and temp_01…temp_12 "
                      "in its city record)")
    if cl is None:
        return None, f"no hourly balance: {city.name} has no latitude and longitude in its city record"
    elec_kwh = h.electricity_kwh
    notes = list(h.notes)
    if elec_kwh < 0:
        notes.append(f"the remaining electricity demand without PV is negative ({elec_kwh / 1e3:,.0f} MWh/yr) "
                     "in the annual model; the hourly load counts it as zero")
        elec_kwh = 0.0
    try:
        load, how_elec = _electricity_load(elec_kwh, h.services_share, h.services_share_source)
        provenance: dict[str, str] = {"electricity": how_elec}
        if h.heat_pump_kwh > 0:
            shape, how = hp_shape(cl.temp, h.space_heating_share)
            load = load + shape * h.heat_pump_kwh
            provenance["heat_pumps"] = how + f"; space-heating share {h.space_heating_share:g} " \
                                             f"({h.space_heating_share_source})"
        pv_vals = np.zeros_like(load)
        if h.pv_kwh > 0:
            shape_pv = cl.pv()
            pv_vals = shape_pv.values * (h.pv_kwh / shape_pv.annual)
            provenance["pv"] = (f"{shape_pv.provenance}; normalised to the annual model's generation "
                                f"{h.pv_kwh / 1e3:,.1f} MWh/yr; tilt {PV_TILT:g}° facing south (model assumption: the "
                                f"city record gives no tilt); time {cl.tz_how}")
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
    pef_e, co2_e = h.pef.get("electricity", 0.0), h.co2_kg_per_kwh.get("electricity", 0.0)
    offsite = [OffsiteRenewable(o.name, o.kwh_per_year, pef_e, co2_e) for o in h.offsite]
    if h.offsite:
        listed = "; ".join(f"{o.name}: {o.kwh_per_year / 1e3:,.0f} MWh/yr ({o.evidence or 'entered'}; "
                           f"{o.source or 'entered by the user'})" for o in h.offsite)
        provenance["offsite"] = (f"{listed}; credited by PEDvirtual only, at the plan's electricity primary-energy "
                                 f"factor {pef_e:g} kWh/kWh and CO2 factor {co2_e:g} kg/kWh (central); not counted "
                                 "in the balance within the district's boundary")
    status = classify(exchanges, offsite)
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
        "offsite": [{"name": o.name, "carrier": o.carrier, "mwh_per_year": o.kwh_per_year / 1e3, "pef": pef_e,
                     "co2_kg_per_kwh": co2_e, "credit_mwh_pe": o.kwh_per_year * pef_e / 1e3,
                     "evidence": o.evidence, "source": o.source} for o in h.offsite],
        "services_share": h.services_share,
        "provenance": provenance,
        "notes": notes,
        "weeks": weeks(res.load, res.pv, res.grid_import, res.grid_export, res.soc),
        "duration": _duration(res.grid_import, res.grid_export),
    }, ""



def _electricity_load(kwh: float, services_share: float, source: str) -> tuple[FloatArray, str]:
    """The remaining electricity hour by hour: the household profile (H25), or a mix with the services profile
    (G25) when ``services_share`` > 0, and how it was made."""
    if not 0.0 <= services_share <= 1.0:
        raise InvalidInput(f"The services share of the electricity load must be between 0 and 1, got "
                           f"{services_share:g}.")
    household = electricity_profile(kwh, "household")
    if services_share == 0:
        return (np.asarray(household.values, dtype=np.float64).copy(),
                household.provenance + "; every remaining electricity use (including EV charging) follows the "
                                       "household profile (model assumption)")
    services = electricity_profile(kwh, "services")
    load = ((1.0 - services_share) * np.asarray(household.values, dtype=np.float64)
            + services_share * np.asarray(services.values, dtype=np.float64))
    how = (f"mix of {1 - services_share:.0%} household and {services_share:.0%} services: "
           f"{household.provenance}; {services.provenance}; services share {services_share:g} of the remaining "
           f"electricity ({source or 'entered by the user'}); within each part every use (including EV charging) "
           "follows that part's standard profile (model assumption)")
    return load, how


DURATION_POINTS = 100  # one point per 1 % of the hours, plus the first hour


def _duration(imp: Any, exp: Any) -> dict[str, list[float]]:
    """The load-duration curve of net import (import − export, kW = kWh per hour), sorted from the largest hour down,
    kept at every 1 % of the hours and the first and last hour: ``hours[i]`` hours of the year import at least
    ``net_import_kw[i]`` (negative = net export)."""
    net = np.sort(np.asarray(imp, dtype=np.float64) - np.asarray(exp, dtype=np.float64))[::-1]
    n = len(net)
    idx = sorted({round(i * (n - 1) / DURATION_POINTS) for i in range(DURATION_POINTS + 1)})
    return {"hours": [float(i + 1) for i in idx], "net_import_kw": [round(float(net[i]), 3) for i in idx]}


# --- ranges: the hourly balance over a seeded subsample of the plan's Monte Carlo draws --------------------------

HOURLY_DRAWS = 200
"""Draws of the plan's Monte Carlo sample the hourly part runs (the first ones; fewer when the plan has fewer)."""


@dataclass(frozen=True)
class HourlyDraws:
    """The annual figures of ``HourlyInputs``, one value per Monte Carlo draw (arrays of shape ``(k,)``).

    Only these scalars vary from draw to draw; the hourly shapes (household load, heat-pump electricity, PV) are the
    central ones, computed once and shared. ``of`` is the number of draws of the plan's whole sample."""

    electricity_kwh: FloatArray
    heat_pump_kwh: FloatArray
    pv_kwh: FloatArray
    battery_kwh: FloatArray
    battery_round_trip: FloatArray
    other: Mapping[str, FloatArray]
    pef: Mapping[str, FloatArray]
    co2_kg_per_kwh: Mapping[str, FloatArray]
    of: int
    services_share: FloatArray | None = None
    """Per draw, the share of the remaining electricity on the services profile (None: all household)."""
    offsite: tuple[tuple[str, FloatArray], ...] = ()
    """Per off-site supply: its name and kWh/yr per draw."""

    @property
    def count(self) -> int:
        return int(self.electricity_kwh.shape[0])


def _shapes(h: HourlyInputs) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The shared hourly shapes, each summing to 1 (zeros where the plan has none): household load, heat-pump
    electricity, PV. The same profiles as the central balance (cached), computed once for every draw."""
    cl, _ = city_climate(h.city)
    if cl is None:
        raise InvalidInput(f"{h.city.name} has no monthly climate or no coordinates")
    elec = np.asarray(electricity_profile(1.0, "household").values, dtype=np.float64)
    hp = hp_shape(cl.temp, h.space_heating_share)[0]
    pv = cl.pv()
    return elec, hp, np.asarray(pv.values / pv.annual, dtype=np.float64)


def dispatch_draws(h: HourlyInputs, d: HourlyDraws) -> DispatchResult:
    """One batched dispatch of every draw: load and PV of shape ``(k, 8760)`` from the shared shapes times each
    draw's annual figures, a battery with each draw's capacity (power = capacity ÷ 2 h) and round trip."""
    elec, hp, pv = _shapes(h)
    elec_kwh = np.maximum(d.electricity_kwh, 0.0)[:, None]
    if d.services_share is not None and np.any(d.services_share > 0):
        s = np.clip(d.services_share, 0.0, 1.0)[:, None]
        services = np.asarray(electricity_profile(1.0, "services").values, dtype=np.float64)
        load = elec_kwh * ((1.0 - s) * elec[None, :] + s * services[None, :])
    else:
        load = elec_kwh * elec[None, :]
    if np.any(d.heat_pump_kwh > 0):
        load += np.maximum(d.heat_pump_kwh, 0.0)[:, None] * hp[None, :]
    pv_vals = np.maximum(d.pv_kwh, 0.0)[:, None] * pv[None, :]
    battery = None
    if np.any(d.battery_kwh > 0):
        battery = Battery(d.battery_kwh, d.battery_kwh / BATTERY_HOURS, d.battery_round_trip)
    return dispatch(load, pv_vals, battery)


def _range(values: FloatArray) -> dict[str, float]:
    p10, p50, p90 = percentiles(np.asarray(values, dtype=np.float64))
    return {"p10": p10, "p50": p50, "p90": p90}


def hourly_ranges(h: HourlyInputs, d: HourlyDraws) -> dict[str, Any]:
    """P10/P50/P90 of every hourly KPI over the draws, the share of draws meeting each PED definition and a note
    saying how many draws were used; keys ``kpi_ranges``, ``ped_share``, ``ped_margin_ranges``, ``draws``,
    ``draws_of``, ``ranges_note``. Without ranges (a draw the dispatch refuses) the first two are empty and the
    note says why."""
    k = d.count
    note = (f"P10–P90 over {k:,} of the plan's {d.of:,} draws (the first {k:,} of the same seeded sample): each draw "
            f"runs {HOURS_PER_YEAR:,} hours, so the hourly part uses fewer draws than the annual balance; the hourly "
            "shapes are the central ones, shared, and only the annual figures vary per draw (remaining electricity, "
            "heat-pump electricity, PV generation, battery capacity and round trip, primary-energy and CO2 factors"
            + (", the services share of the load" if d.services_share is not None else "")
            + (", the off-site supplies" if d.offsite else "") + ")")
    out: dict[str, Any] = {"kpi_ranges": {}, "ped_share": {}, "ped_margin_ranges": {}, "draws": k, "draws_of": d.of,
                           "ranges_note": note}
    if k == 0:
        out["ranges_note"] = "no ranges: the plan has no Monte Carlo draws"
        return out
    try:
        res = dispatch_draws(h, d)
    except InvalidInput as exc:
        log.warning("hourly ranges unavailable: %s", exc)
        out["ranges_note"] = f"no ranges of the hourly KPIs: {exc}"
        return out
    negative = int(np.count_nonzero(d.electricity_kwh < 0))
    if negative:
        out["ranges_note"] += (f"; in {negative:,} draws the remaining electricity without PV is negative and the "
                               "hourly load counts it as zero")
    out["kpi_ranges"] = {key: _range(v) for key, v in kpis(res).items() if np.ndim(v) == 1}
    met: dict[str, list[bool]] = {}
    margins: dict[str, list[float]] = {}
    for i in range(k):
        status = classify(_draw_exchanges(res, d, i), _draw_offsite(d, i))
        for r in status.results:
            met.setdefault(r.key, []).append(r.met)
            margins.setdefault(r.key, []).append(r.margin)
    out["ped_share"] = {key: float(np.mean(v)) for key, v in met.items()}
    out["ped_margin_ranges"] = {key: _range(np.asarray(v)) for key, v in margins.items()}
    return out


def _draw_exchanges(res: DispatchResult, d: HourlyDraws, i: int) -> list[CarrierExchange]:
    """The exchanges of draw ``i``, built as ``hourly_balance`` builds the central ones."""
    def at(m: Mapping[str, FloatArray], c: str) -> float:
        return float(m[c][i]) if c in m else 0.0

    out = [CarrierExchange("electricity", res.grid_import[i], at(d.pef, "electricity"),
                           at(d.co2_kg_per_kwh, "electricity"), res.grid_export[i])]
    for c, v in d.other.items():
        x = float(v[i])
        if abs(x) > 1e-9:
            out.append(CarrierExchange(c, max(x, 0.0), at(d.pef, c), at(d.co2_kg_per_kwh, c), max(-x, 0.0)))
    return out


def _draw_offsite(d: HourlyDraws, i: int) -> list[OffsiteRenewable]:
    """The off-site supplies of draw ``i``, credited at that draw's electricity factors."""
    pef = float(d.pef["electricity"][i]) if "electricity" in d.pef else 0.0
    co2 = float(d.co2_kg_per_kwh["electricity"][i]) if "electricity" in d.co2_kg_per_kwh else 0.0
    return [OffsiteRenewable(name, max(float(v[i]), 0.0), pef, co2) for name, v in d.offsite]
