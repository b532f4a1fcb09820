"""Hour-by-hour dispatch of PV, a battery and the grid, and the KPIs of the result (pure numpy, vectorised)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from kb.errors import InvalidInput

__all__ = ["Battery", "DispatchResult", "DispatchInvalid", "dispatch", "kpis", "monthly_sums", "MONTH_HOURS",
           "MONTH_STARTS", "HOURS_PER_YEAR", "KPI_NAMES"]

FloatArray = NDArray[np.float64]
Scalar = float | FloatArray
"""A battery figure: one number, or one per Monte Carlo sample (shape ``(n_samples,)``)."""

HOURS_PER_YEAR = 8760
MONTH_HOURS: tuple[int, ...] = tuple(24 * d for d in (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31))
"""Hours per month of a non-leap year (hour 0 is 1 January 00:00–01:00)."""
MONTH_STARTS: tuple[int, ...] = tuple(int(x) for x in np.cumsum((0,) + MONTH_HOURS[:-1]))

_EPS = 1e-9
"""Energy below this (kWh in an hour) counts as none: hours of net import ignore rounding dust."""


class DispatchInvalid(InvalidInput, ValueError):
    """Profiles or a battery the dispatch cannot run with; ``str(exc)`` says which figure and why."""


@dataclass(frozen=True)
class Battery:
    """A stationary battery behind the district's connection.

    ``capacity_kwh`` is the nominal energy content (state of charge 1.0); ``power_kw`` limits both charging
    (energy drawn from PV in an hour) and discharging (energy delivered to the load in an hour), at the AC side;
    ``round_trip_efficiency`` is split evenly: charge and discharge efficiency are each its square root unless
    ``charge_efficiency`` is given, then the discharge efficiency is ``round_trip / charge``. ``min_soc`` and
    ``initial_soc`` are fractions of the capacity (defaults: no reserve, start at the reserve). The battery charges
    only from PV surplus (no grid charging) and discharges only into the district's own deficit (no export from
    the battery). Each figure may be a number or an array with one value per Monte Carlo sample.
    """

    capacity_kwh: Scalar
    power_kw: Scalar
    round_trip_efficiency: Scalar
    min_soc: Scalar = 0.0
    initial_soc: Scalar | None = None
    charge_efficiency: Scalar | None = None

    def efficiencies(self) -> tuple[FloatArray, FloatArray]:
        """(charge, discharge) efficiencies, whose product is the round-trip efficiency."""
        rte = np.asarray(self.round_trip_efficiency, dtype=np.float64)
        eta_c = np.sqrt(rte) if self.charge_efficiency is None else np.asarray(self.charge_efficiency, np.float64)
        return eta_c, rte / eta_c


@dataclass(frozen=True)
class DispatchResult:
    """Hourly flows in kWh (one-hour steps, so kWh in an hour equals the mean kW), shape ``(..., hours)``.

    ``soc`` is the energy stored at the end of each hour (kWh); ``losses`` the charge and discharge losses of the
    hour; ``curtailed`` PV that could neither be used, stored nor exported (export limit).
    """

    load: FloatArray
    pv: FloatArray
    pv_to_load: FloatArray
    pv_to_battery: FloatArray
    battery_to_load: FloatArray
    grid_import: FloatArray
    grid_export: FloatArray
    curtailed: FloatArray
    soc: FloatArray
    losses: FloatArray
    capacity_kwh: FloatArray
    """Battery capacity per sample (0 without a battery), shape ``(...)``."""
    discharge_efficiency: FloatArray
    """Per sample (1 without a battery): energy withdrawn from storage = ``battery_to_load / discharge_efficiency``."""

    @property
    def hours(self) -> int:
        return int(self.load.shape[-1])

    def annual(self, name: str) -> FloatArray:
        """The sum over the hours of one flow (``"grid_import"``, ``"pv_to_load"``, ...), shape ``(...)``."""
        flow: FloatArray = getattr(self, name)
        return np.asarray(flow.sum(axis=-1), dtype=np.float64)

    @property
    def annual_import(self) -> FloatArray:
        return self.annual("grid_import")

    @property
    def annual_export(self) -> FloatArray:
        return self.annual("grid_export")

    @property
    def annual_losses(self) -> FloatArray:
        return self.annual("losses")

    @property
    def annual_curtailed(self) -> FloatArray:
        return self.annual("curtailed")

    @property
    def cycles(self) -> FloatArray:
        """Equivalent full cycles: energy withdrawn from storage over the period / nominal capacity (0 without)."""
        withdrawn = self.annual("battery_to_load") / self.discharge_efficiency
        cap = self.capacity_kwh
        return np.asarray(np.where(cap > 0, withdrawn / np.where(cap > 0, cap, 1.0), 0.0), dtype=np.float64)


def _as_profiles(load_kwh: FloatArray | list[float], pv_kwh: FloatArray | list[float]) -> tuple[FloatArray, FloatArray]:
    load = np.asarray(load_kwh, dtype=np.float64)
    pv = np.asarray(pv_kwh, dtype=np.float64)
    if load.ndim not in (1, 2) or pv.ndim not in (1, 2):
        raise DispatchInvalid("Hourly profiles must be one row of hours or one row per sample (1 or 2 dimensions).")
    try:
        load, pv = np.broadcast_arrays(load, pv)
    except ValueError:
        raise DispatchInvalid(f"The load ({load.shape[-1]} hours) and PV ({pv.shape[-1]} hours) profiles do not "
                              "match in length or number of samples.") from None
    if load.shape[-1] == 0:
        raise DispatchInvalid("Hourly profiles must have at least one hour.")
    for name, arr in (("load", load), ("PV", pv)):
        if not np.all(np.isfinite(arr)) or np.any(arr < 0):
            raise DispatchInvalid(f"The {name} profile must be finite and not negative in every hour.")
    return np.ascontiguousarray(load), np.ascontiguousarray(pv)


def _per_sample(value: Scalar, batch: tuple[int, ...], name: str, low: float, high: float,
                low_open: bool = False) -> FloatArray:
    arr = np.asarray(value, dtype=np.float64)
    try:
        out = np.broadcast_to(arr, batch).astype(np.float64)
    except ValueError:
        raise DispatchInvalid(f"The battery {name} must be one number or one per sample ({batch[0] if batch else 1})."
                              ) from None
    ok = np.isfinite(out) & (out > low if low_open else out >= low) & (out <= high)
    if not np.all(ok):
        lo = f"more than {low:g}" if low_open else f"at least {low:g}"
        raise DispatchInvalid(f"The battery {name} must be {lo} and at most {high:g}.")
    return out


def dispatch(load_kwh: FloatArray | list[float], pv_kwh: FloatArray | list[float], battery: Battery | None = None,
             export_limit_kw: float | None = None) -> DispatchResult:
    """Dispatch PV, the battery and the grid hour by hour.

    Rule, each hour: PV serves the load of the same hour first; a surplus charges the battery (power limit, room
    up to full, charge efficiency), the rest is exported up to ``export_limit_kw`` and curtailed beyond it; a
    deficit is met by battery discharge (power limit, state of charge kept ≥ ``min_soc``) and then by import.
    ``load_kwh`` and ``pv_kwh`` have shape ``(hours,)`` or ``(n_samples, hours)`` (broadcast against each other,
    so a shared profile may be passed once). The loop runs over hours only, with arrays over samples.
    """
    load, pv = _as_profiles(load_kwh, pv_kwh)
    batch = load.shape[:-1]
    if export_limit_kw is not None and not (math.isfinite(export_limit_kw) and export_limit_kw >= 0):
        raise DispatchInvalid("The export limit must be a number of kW, at least 0.")
    pv_to_load = np.minimum(load, pv)
    surplus = pv - pv_to_load
    deficit = load - pv_to_load
    zeros = np.zeros_like(load)
    if battery is None:
        to_batt, from_batt, soc, losses = zeros, zeros.copy(), zeros.copy(), zeros.copy()
        cap_out = np.zeros(batch)
        eta_d_out = np.ones(batch)
    else:
        to_batt, from_batt, soc, losses, cap_out, eta_d_out = _run_battery(surplus, deficit, battery, batch)
    rest = surplus - to_batt
    if export_limit_kw is None:
        export, curtailed = rest, zeros.copy()
    else:
        export = np.minimum(rest, export_limit_kw)
        curtailed = rest - export
    grid_import = deficit - from_batt
    return DispatchResult(load=load, pv=pv, pv_to_load=pv_to_load, pv_to_battery=to_batt, battery_to_load=from_batt,
                          grid_import=grid_import, grid_export=export, curtailed=curtailed, soc=soc, losses=losses,
                          capacity_kwh=cap_out, discharge_efficiency=eta_d_out)


def _run_battery(surplus: FloatArray, deficit: FloatArray, battery: Battery, batch: tuple[int, ...]
                 ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    cap = _per_sample(battery.capacity_kwh, batch, "capacity (kWh)", 0.0, 1e9)
    power = _per_sample(battery.power_kw, batch, "power (kW)", 0.0, 1e9)
    rte = _per_sample(battery.round_trip_efficiency, batch, "round-trip efficiency", 0.0, 1.0, low_open=True)
    min_soc = _per_sample(battery.min_soc, batch, "minimum state of charge", 0.0, 1.0)
    init = _per_sample(battery.min_soc if battery.initial_soc is None else battery.initial_soc, batch,
                       "initial state of charge", 0.0, 1.0)
    if np.any(init < min_soc):
        raise DispatchInvalid("The battery's initial state of charge must not be below its minimum state of charge.")
    if battery.charge_efficiency is None:
        eta_c = np.sqrt(rte)
    else:
        eta_c = _per_sample(battery.charge_efficiency, batch, "charge efficiency", 0.0, 1.0, low_open=True)
        if np.any(eta_c < rte):
            raise DispatchInvalid("The battery's charge efficiency cannot be below its round-trip efficiency.")
    eta_d = rte / eta_c
    hours = surplus.shape[-1]
    n = int(np.prod(batch)) if batch else 1
    flat = (n,)
    cap_f, floor_f = cap.reshape(flat), (min_soc * cap).reshape(flat)
    # Work in stored (DC) energy, hour-major so that each hour's row over samples is contiguous:
    # what PV may put into storage this hour, min(surplus, power) * eta_c, and what the load may take out of it,
    # min(deficit, power) / eta_d. The loop then only clips these by the room left and the energy above the floor.
    pw = power.reshape(n, 1)
    sur_ac = np.minimum(surplus.reshape(n, hours), pw)
    def_ac = np.minimum(deficit.reshape(n, hours), pw)
    sur_dc = np.multiply(sur_ac.T, eta_c.reshape(flat), out=np.empty((hours, n)))
    def_dc = np.divide(def_ac.T, eta_d.reshape(flat), out=np.empty((hours, n)))
    cd = np.empty((hours, n))
    dd = np.empty((hours, n))
    soc_t = np.empty((hours, n))
    tmp = np.empty(n)
    prev = (init * cap).reshape(flat).copy()
    for h in range(hours):
        s = soc_t[h]
        np.subtract(cap_f, prev, out=tmp)          # room left
        np.minimum(sur_dc[h], tmp, out=cd[h])      # stored from PV
        np.add(prev, cd[h], out=s)
        np.subtract(s, floor_f, out=tmp)           # energy above the floor
        np.minimum(def_dc[h], tmp, out=dd[h])      # withdrawn for the load
        np.subtract(s, dd[h], out=s)
        prev = s
    shape = (*batch, hours)
    # Back to the AC side; where the limit was the PV surplus or the deficit itself, take it exactly (no dust).
    np.copyto(sur_ac, cd.T / eta_c.reshape(n, 1), where=cd.T != sur_dc.T)
    np.copyto(def_ac, dd.T * eta_d.reshape(n, 1), where=dd.T != def_dc.T)
    del sur_dc, def_dc, cd, dd
    to_batt, from_batt = sur_ac.reshape(shape), def_ac.reshape(shape)
    soc = np.ascontiguousarray(soc_t.T).reshape(shape)
    del soc_t
    ec, ed = eta_c.reshape((*batch, 1)), eta_d.reshape((*batch, 1))
    losses = to_batt * (1.0 - ec)
    losses += from_batt * (1.0 / ed - 1.0)
    return to_batt, from_batt, soc, losses, cap, eta_d


def monthly_sums(hourly: FloatArray) -> FloatArray:
    """Monthly sums of an 8,760-hour flow (non-leap year, months cut by hour index), shape ``(..., 12)``."""
    if hourly.shape[-1] != HOURS_PER_YEAR:
        raise DispatchInvalid(f"Monthly figures need a full non-leap year of {HOURS_PER_YEAR} hours, "
                              f"not {hourly.shape[-1]}.")
    return np.asarray(np.add.reduceat(hourly, MONTH_STARTS, axis=-1), dtype=np.float64)


KPI_NAMES: dict[str, str] = {
    "self_consumption": "Self-consumption: share of PV output used on site, directly or through the battery "
                        "(plain name; the SCIS KPI guide 2.0 has no indicator of this name).",
    "self_sufficiency": "Self-sufficiency: share of the load met on site in the same hour, directly or from the "
                        "battery (plain name).",
    "degree_of_energetic_self_supply": "Degree of energetic self-supply by RES (SCIS KPI guide 2.0, 2.1.3): "
                                       "local PV output over the load, summed over the period (not hour-matched).",
    "peak_import_kw": "Peak import: the largest hourly import (kW, hourly mean).",
    "peak_export_kw": "Peak export: the largest hourly export (kW, hourly mean).",
    "hours_of_net_import": "Hours of net import: hours in which the district imports electricity.",
    "annual_import_kwh": "Electricity imported over the period (kWh).",
    "annual_export_kwh": "Electricity exported over the period (kWh).",
    "annual_curtailed_kwh": "PV curtailed at the export limit over the period (kWh).",
    "battery_losses_kwh": "Battery charge and discharge losses over the period (kWh).",
    "battery_cycles": "Equivalent full cycles: energy withdrawn from storage over the nominal capacity.",
    "monthly_import_kwh": "Import per month (12 values; only for a full 8,760-hour year).",
    "monthly_export_kwh": "Export per month (12 values; only for a full 8,760-hour year).",
    "monthly_balance_kwh": "Export minus import per month (12 values; only for a full 8,760-hour year).",
}
"""The KPIs ``kpis`` returns, each with what it means and where its name comes from."""


def _share(part: FloatArray, whole: FloatArray) -> FloatArray:
    return np.asarray(np.where(whole > 0, part / np.where(whole > 0, whole, 1.0), 0.0), dtype=np.float64)


def kpis(result: DispatchResult) -> dict[str, FloatArray]:
    """The KPIs of a dispatch (see ``KPI_NAMES``): arrays of shape ``(...)`` per sample, ``(..., 12)`` monthly.

    Shares are 0 where their denominator is 0 (no PV, no load). Monthly figures only for 8,760 hours.
    ``{k: v.tolist() for k, v in kpis(r).items()}`` gives plain numbers for JSON.
    """
    pv = result.annual("pv")
    load = result.annual("load")
    on_site_pv = result.annual("pv_to_load") + result.annual("pv_to_battery")
    met = result.annual("pv_to_load") + result.annual("battery_to_load")
    out: dict[str, FloatArray] = {
        "self_consumption": _share(on_site_pv, pv),
        "self_sufficiency": _share(met, load),
        "degree_of_energetic_self_supply": _share(pv, load),
        "peak_import_kw": np.asarray(result.grid_import.max(axis=-1), dtype=np.float64),
        "peak_export_kw": np.asarray(result.grid_export.max(axis=-1), dtype=np.float64),
        "hours_of_net_import": np.asarray((result.grid_import > _EPS).sum(axis=-1), dtype=np.float64),
        "annual_import_kwh": result.annual_import,
        "annual_export_kwh": result.annual_export,
        "annual_curtailed_kwh": result.annual_curtailed,
        "battery_losses_kwh": result.annual_losses,
        "battery_cycles": result.cycles,
    }
    if result.hours == HOURS_PER_YEAR:
        imp = monthly_sums(result.grid_import)
        exp = monthly_sums(result.grid_export)
        out["monthly_import_kwh"] = imp
        out["monthly_export_kwh"] = exp
        out["monthly_balance_kwh"] = exp - imp
    return out
