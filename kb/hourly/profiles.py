"""Hourly profiles of a typical year (8,760 hours): PV output, space heat and hot water, heat-pump COP, electricity.

Hour 0 is 1 January 00:00-01:00 local standard time of a non-leap year; every array has 8,760 values. Each
function returns a :class:`Profile` whose ``provenance`` says how it was made and which figures are model
assumptions. Inputs are plain numbers (monthly climate, annual totals), so the module depends on nothing in the
knowledge base but :mod:`kb.errors`; :func:`monthly_climate` reads the monthly rows of a city's drivers.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from kb.errors import InvalidInput

log = logging.getLogger(__name__)

HOURS = 8760
YEAR = 2023  # a non-leap year; used only to lay out the calendar (weekdays of the load profiles)
FloatArray = npt.NDArray[np.float64]
HeatSource = Literal["air", "ground", "water"]

_DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
MONTH_OF_HOUR: npt.NDArray[np.int64] = np.repeat(np.arange(12), _DAYS_IN_MONTH * 24)
_HOUR_OF_DAY = np.tile(np.arange(24), 365)
_MID_MONTH_HOUR = (np.cumsum(_DAYS_IN_MONTH) - _DAYS_IN_MONTH / 2.0) * 24.0

# PV system settings: the ones the knowledge base's own modelled yields used (measure_parameters.csv, section 1
# Rooftop PV: PVWatts gamma -0.37 %/K, 14 % system losses); albedo and wind speed are model assumptions.
PV_GAMMA_PER_K = -0.0037
PV_SYSTEM_LOSSES = 0.14
PV_ALBEDO = 0.2
PV_WIND_M_S = 1.0
LINKE_FALLBACK = 3.0  # used only when pvlib's bundled Linke turbidity climatology cannot be read

# Diurnal temperature swing: half the daily range, coldest about 03:00, warmest about 15:00. Model assumption, no
# source (the monthly data give means only).
DIURNAL_HALF_RANGE_K = 3.0
DIURNAL_PEAK_HOUR = 15.0

# Space heat follows the Eurostat degree-day definition (nrg_chdd_a): heating degrees 18 °C minus the mean
# temperature, counted only when the mean is 15 °C or less (the heating limit). Applied here hour by hour.
HEATING_LIMIT_C = 15.0
HEATING_REFERENCE_C = 18.0

# Hot water: share of the daily draw in each hour (morning and evening peaks). Model assumption, no source.
HOT_WATER_SHAPE: tuple[float, ...] = (0.6, 0.4, 0.3, 0.3, 0.5, 1.5, 3.5, 4.5, 4.0, 3.0, 2.5, 2.5,
                                      3.0, 2.5, 2.0, 2.0, 2.5, 3.5, 4.5, 5.0, 4.5, 3.5, 2.5, 1.2)

# Heat-pump exergetic (Carnot) efficiency: our arithmetic on the rated COPs in the knowledge-base fact sheet
# (heizungsjournal.de: air A2/W35 3.2-4.2, ground B0/W35 4.5-5.0): mid COP / Carnot COP = 3.7 / 9.34 = 0.40 for
# air and 4.75 / 8.80 = 0.54 for brine; water is assumed like ground (model assumption).
CARNOT_EFFICIENCY: dict[str, float] = {"air": 0.40, "ground": 0.54, "water": 0.54}
COP_RANGE = (1.0, 8.0)
MIN_LIFT_K = 5.0
WATER_TIME_CONSTANT_DAYS = 30.0  # surface water follows the air with a lag; model assumption, no source
WATER_MIN_C = 2.0  # open water does not go below freezing; model assumption


@dataclass(frozen=True)
class Profile:
    """8,760 hourly values, their unit and how they were made."""

    values: FloatArray
    unit: str
    provenance: str

    @property
    def annual(self) -> float:
        return float(self.values.sum())

    def monthly(self) -> FloatArray:
        """Sums per month (12 values)."""
        return np.bincount(MONTH_OF_HOUR, weights=self.values, minlength=12).astype(np.float64)


def _twelve(values: Sequence[float], what: str) -> FloatArray:
    arr = np.asarray(list(values), dtype=np.float64)
    if arr.shape != (12,) or not np.all(np.isfinite(arr)):
        raise InvalidInput(f"{what} needs 12 monthly numbers, got {len(arr)}.")
    return arr


def _non_negative(value: float, what: str) -> float:
    if not np.isfinite(value) or value < 0:
        raise InvalidInput(f"{what} must be a number of zero or more, not {value}.")
    return float(value)


# --- climate -----------------------------------------------------------------------------------------------------

def kwh_text(x: float) -> str:
    """An annual total as written in a provenance: ``3,312,000`` (grouped digits), small values as they are."""
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:g}"


def _monthly(city: Any, prefix: str) -> list[float] | None:
    """The twelve monthly drivers ``<prefix>_01``…``<prefix>_12`` of a city profile, or ``None`` if any is missing."""
    drivers: Mapping[str, Any] = getattr(city, "drivers", {}) or {}
    out = []
    for m in range(1, 13):
        d = drivers.get(f"{prefix}_{m:02d}")
        v = None if d is None else getattr(d, "value", None)
        if v is None:
            return None
        out.append(float(v))
    return out


def monthly_climate(city: Any) -> tuple[list[float], list[float]] | None:
    """``(ghi[12] kWh/m2, temp[12] °C)`` from a city profile's drivers ``ghi_01``…``ghi_12`` and ``temp_01``…
    ``temp_12``; ``None`` when any month is missing. ``city`` is a :class:`kb.replication.cities.CityProfile` (or
    anything with ``drivers: {key: obj with .value}``)."""
    ghi, temp = _monthly(city, "ghi"), _monthly(city, "temp")
    return None if ghi is None or temp is None else (ghi, temp)


def monthly_diffuse(city: Any) -> list[float] | None:
    """Monthly diffuse horizontal irradiation ``dhi_01``…``dhi_12`` (kWh/m2) of a city profile, or ``None``."""
    return _monthly(city, "dhi")


def hourly_temperature(monthly_temp_c: Sequence[float], diurnal_half_range_k: float = DIURNAL_HALF_RANGE_K) -> Profile:
    """Hourly air temperature whose monthly means equal the given ones: a smooth periodic curve through mid-month
    nodes (nodes corrected until each month's mean matches) plus a cosine daily swing that averages to zero."""
    target = _twelve(monthly_temp_c, "Monthly mean temperature")
    t_hours = np.arange(HOURS, dtype=np.float64) + 0.5
    xp = np.concatenate(([_MID_MONTH_HOUR[-1] - HOURS], _MID_MONTH_HOUR, [_MID_MONTH_HOUR[0] + HOURS]))
    nodes = target.copy()
    for _ in range(50):
        fp = np.concatenate(([nodes[-1]], nodes, [nodes[0]]))
        curve = np.interp(t_hours, xp, fp)
        means = np.bincount(MONTH_OF_HOUR, weights=curve, minlength=12) / (_DAYS_IN_MONTH * 24)
        err = target - means
        nodes = nodes + err
        if np.max(np.abs(err)) < 1e-6:
            break
    swing = diurnal_half_range_k * np.cos(2 * np.pi * (_HOUR_OF_DAY + 0.5 - DIURNAL_PEAK_HOUR) / 24.0)
    return Profile(curve + swing, "degC",
                   "interpolated from monthly means (monthly means preserved) with a daily cosine swing of "
                   f"±{diurnal_half_range_k:g} K peaking at {DIURNAL_PEAK_HOUR:g}:00 (swing: model assumption, "
                   "no source)")


# --- PV ------------------------------------------------------------------------------------------------------------

def _tz(offset_hours: float) -> dt.tzinfo:
    return dt.timezone(dt.timedelta(hours=offset_hours))


@lru_cache(maxsize=32)
def _clear_sky(lat: float, lon: float, tz_offset_hours: float) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Solar position and Ineichen clear sky at the middle of each hour (cached per place)."""
    import pvlib

    times = pd.date_range(dt.datetime(YEAR, 1, 1, 0, 30, tzinfo=_tz(tz_offset_hours)), periods=HOURS, freq="h")
    loc = pvlib.location.Location(lat, lon, tz="UTC")  # the times carry their own offset
    solpos = loc.get_solarposition(times)
    try:
        linke = pvlib.clearsky.lookup_linke_turbidity(times, lat, lon)
        how = "Linke turbidity from pvlib's bundled monthly climatology"
    except Exception as exc:  # the .h5 file or h5py missing: a labelled constant instead
        log.warning("Linke turbidity climatology unavailable (%s); using %s", exc, LINKE_FALLBACK)
        linke = pd.Series(LINKE_FALLBACK, index=times)
        how = f"Linke turbidity {LINKE_FALLBACK:g} (model assumption, climatology unavailable)"
    cs = loc.get_clearsky(times, model="ineichen", solar_position=solpos, linke_turbidity=linke)
    return solpos, cs, how


def pv_profile(lat: float, lon: float, tilt: float, azimuth: float, monthly_ghi_kwh_m2: Sequence[float] | None,
               tz_offset_hours: float, *, annual_yield_kwh_kwp: float | None = None,
               monthly_temp_c: Sequence[float] | None = None, monthly_dhi_kwh_m2: Sequence[float] | None = None,
               scaled: bool = True, gamma_per_k: float = PV_GAMMA_PER_K) -> Profile:
    """kWh per kWp in each hour for a plane of ``tilt`` degrees facing ``azimuth`` (180 = south).

    The Ineichen clear-sky GHI gives the diurnal shape; with ``scaled`` each month's GHI is multiplied so that the
    month's sum equals the sourced monthly GHI (the shape and the monthly energy are kept). The GHI is split by
    Erbs (and the diffuse part rescaled to the monthly DHI when given), transposed with Perez, converted PVWatts
    style (gamma -0.37 %/K, Faiman cell temperature, 14 % losses) and, when ``annual_yield_kwh_kwp`` is given,
    normalised to that annual sum. ``scaled=False`` gives the clear-sky output, an upper bound."""
    import pvlib

    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidInput(f"Coordinates {lat}, {lon} are outside the globe.")
    if not (0 <= tilt <= 90 and 0 <= azimuth <= 360):
        raise InvalidInput(f"Tilt must be 0-90° and azimuth 0-360°, not {tilt}° and {azimuth}°.")
    solpos, cs, linke_how = _clear_sky(float(lat), float(lon), float(tz_offset_hours))
    ghi_cs = cs["ghi"].to_numpy(dtype=np.float64)
    if scaled:
        if monthly_ghi_kwh_m2 is None:
            raise InvalidInput("A scaled PV profile needs the 12 monthly GHI values (kWh/m2).")
        target = _twelve(monthly_ghi_kwh_m2, "Monthly GHI") * 1000.0
        if np.any(target < 0):
            raise InvalidInput("Monthly GHI cannot be negative.")
        cs_month = np.bincount(MONTH_OF_HOUR, weights=ghi_cs, minlength=12)
        factor = np.divide(target, cs_month, out=np.zeros(12), where=cs_month > 0)
        ghi = ghi_cs * factor[MONTH_OF_HOUR]
    else:
        ghi = ghi_cs
    zenith = solpos["apparent_zenith"].to_numpy(dtype=np.float64)
    times = pd.DatetimeIndex(solpos.index)
    doy = times.dayofyear.to_numpy()
    if scaled:
        split = pvlib.irradiance.erbs(ghi, solpos["zenith"].to_numpy(dtype=np.float64), doy)
        dhi = np.nan_to_num(np.asarray(split["dhi"], dtype=np.float64))
        if monthly_dhi_kwh_m2 is not None:
            want = _twelve(monthly_dhi_kwh_m2, "Monthly DHI") * 1000.0
            have = np.bincount(MONTH_OF_HOUR, weights=dhi, minlength=12)
            dhi = dhi * np.divide(want, have, out=np.ones(12), where=have > 0)[MONTH_OF_HOUR]
        dhi = np.minimum(dhi, ghi)
        cosz = np.cos(np.radians(zenith))
        dni = np.where(cosz > 0.065, (ghi - dhi) / np.maximum(cosz, 0.065), 0.0)
        sky = "Erbs split" + (" with the diffuse part rescaled to the monthly DHI" if monthly_dhi_kwh_m2 else "")
    else:
        dhi = cs["dhi"].to_numpy(dtype=np.float64)
        dni = cs["dni"].to_numpy(dtype=np.float64)
        sky = "clear-sky split"
    poa = pvlib.irradiance.get_total_irradiance(
        tilt, azimuth, zenith, solpos["azimuth"].to_numpy(dtype=np.float64), dni, ghi, dhi,
        dni_extra=pvlib.irradiance.get_extra_radiation(times).to_numpy(dtype=np.float64),
        airmass=np.asarray(pvlib.atmosphere.get_relative_airmass(zenith), dtype=np.float64),
        albedo=PV_ALBEDO, model="perez")
    poa_global = np.nan_to_num(np.asarray(poa["poa_global"], dtype=np.float64)).clip(min=0.0)
    if monthly_temp_c is not None:
        air = hourly_temperature(monthly_temp_c).values
        temp_how = "cell temperature (Faiman) from hourly air temperature interpolated from monthly means"
    else:
        air = np.full(HOURS, 25.0)
        temp_how = "cell temperature (Faiman) at a constant 25 °C air (no monthly temperatures given)"
    cell = np.asarray(pvlib.temperature.faiman(poa_global, air, PV_WIND_M_S), dtype=np.float64)
    dc = np.asarray(pvlib.pvsystem.pvwatts_dc(poa_global, cell, 1.0, gamma_per_k), dtype=np.float64)
    # pvwatts_dc with pdc0 = 1 kW gives kW per kWp at poa/1000 W/m2: the hourly energy in kWh per kWp.
    kwh = np.nan_to_num(dc * (1.0 - PV_SYSTEM_LOSSES)).clip(min=0.0)
    modelled = float(kwh.sum())
    settings = (f"{linke_how}; {sky}, Perez transposition (albedo {PV_ALBEDO:g}), PVWatts DC (gamma "
                f"{gamma_per_k * 100:g} %/K), {PV_SYSTEM_LOSSES * 100:g} % losses, {temp_how}; tilt {tilt:g}°, "
                f"azimuth {azimuth:g}°")
    if not scaled:
        return Profile(kwh, "kWh/kWp",
                       f"upper bound: pvlib solar position and Ineichen clear sky, unscaled ({settings}); "
                       f"modelled yield {modelled:.0f} kWh/kWp/yr")
    label = f"clear-sky shape scaled to monthly GHI (pvlib solar position, Ineichen clear sky; {settings})"
    if annual_yield_kwh_kwp is not None:
        target_yield = _non_negative(annual_yield_kwh_kwp, "The annual PV yield")
        if modelled > 0:
            kwh = kwh * (target_yield / modelled)
        label += f"; normalised to the given annual yield {target_yield:g} kWh/kWp (modelled {modelled:.0f})"
    else:
        label += f"; modelled yield {modelled:.0f} kWh/kWp/yr"
    return Profile(kwh, "kWh/kWp", label)


# --- heat ------------------------------------------------------------------------------------------------------------

def heat_profile(monthly_temp_c: Sequence[float], annual_space_heat_kwh: float, annual_hot_water_kwh: float,
                 base_temp_c: float = HEATING_LIMIT_C, hot_water_shape: Sequence[float] | None = None, *,
                 reference_temp_c: float = HEATING_REFERENCE_C,
                 diurnal_half_range_k: float = DIURNAL_HALF_RANGE_K) -> tuple[Profile, Profile]:
    """``(space heat, hot water)`` in kWh per hour, summing to the annual totals.

    Space heat is proportional to the hourly heating degrees ``reference_temp_c − T`` counted only in hours at or
    below the heating limit ``base_temp_c`` (the Eurostat degree-day rule, 18 °C and 15 °C, applied hour by hour);
    hot water repeats one daily shape (morning and evening peaks, a model assumption) with the same daily total."""
    space_total = _non_negative(annual_space_heat_kwh, "Annual space heat")
    water_total = _non_negative(annual_hot_water_kwh, "Annual hot water")
    if reference_temp_c < base_temp_c:
        raise InvalidInput("The heating reference temperature must not be below the heating limit.")
    temp = hourly_temperature(monthly_temp_c, diurnal_half_range_k)
    degrees = np.where(temp.values <= base_temp_c, reference_temp_c - temp.values, 0.0)
    if space_total > 0 and degrees.sum() <= 0:
        raise InvalidInput(f"No hour is at or below the heating limit of {base_temp_c:g} °C, so an annual space "
                           "heat demand cannot be spread over the year.")
    space = degrees * (space_total / degrees.sum()) if degrees.sum() > 0 else np.zeros(HOURS)
    shape = np.asarray(HOT_WATER_SHAPE if hot_water_shape is None else list(hot_water_shape), dtype=np.float64)
    if shape.shape != (24,) or np.any(shape < 0) or shape.sum() <= 0:
        raise InvalidInput("A hot-water shape needs 24 hourly weights of zero or more, not all zero.")
    water = np.tile(shape / shape.sum(), 365) * (water_total / 365.0)
    space_how = (f"hourly heating degrees ({reference_temp_c:g} °C minus the air temperature, in hours at or below "
                 f"the heating limit {base_temp_c:g} °C: the Eurostat degree-day rule applied hour by hour) scaled "
                 f"to {kwh_text(space_total)} kWh/yr; air temperature {temp.provenance}")
    shape_how = "given" if hot_water_shape is not None else "model assumption, no source"
    water_how = (f"one daily shape with morning and evening peaks ({shape_how}), the same daily total all year, "
                 f"scaled to {kwh_text(water_total)} kWh/yr")
    return Profile(space, "kWh", space_how), Profile(water, "kWh", water_how)


def source_temperature(source: HeatSource, hourly_air_temp: Sequence[float] | FloatArray) -> Profile:
    """Heat-pump source temperature per hour: ``air`` the air itself; ``ground`` the annual mean air temperature
    (undisturbed ground at borehole depth, a rule of thumb); ``water`` the air temperature lagged and damped by a
    first-order filter (30-day time constant), not below 2 °C. Ground and water: model assumptions."""
    air = np.asarray(hourly_air_temp, dtype=np.float64)
    if air.shape != (HOURS,):
        raise InvalidInput(f"An hourly air temperature needs {HOURS} values, got {air.size}.")
    if source == "air":
        return Profile(air.copy(), "degC", "outdoor air temperature")
    if source == "ground":
        return Profile(np.full(HOURS, float(air.mean())), "degC",
                       "ground: the annual mean air temperature, constant (model assumption, no source)")
    if source == "water":
        alpha = 1.0 / (WATER_TIME_CONSTANT_DAYS * 24.0)
        level = float(air.mean())
        out = np.empty(HOURS)
        for _ in range(2):  # run the year twice so that 1 January starts from the end of the year (periodic)
            for i in range(HOURS):
                level += alpha * (air[i] - level)
                out[i] = level
        return Profile(np.maximum(out, WATER_MIN_C), "degC",
                       f"surface water: air temperature through a first-order lag of {WATER_TIME_CONSTANT_DAYS:g} "
                       f"days, not below {WATER_MIN_C:g} °C (model assumption, no source)")
    raise InvalidInput(f"Unknown heat source '{source}' (one of air, ground, water).")


def cop_profile(source: HeatSource, hourly_source_temp: Sequence[float] | FloatArray, supply_temp_c: float,
                carnot_efficiency: float | None = None) -> Profile:
    """COP per hour: efficiency × T_supply / (T_supply − T_source) in kelvin, with a lift of at least 5 K and the
    result clipped to 1-8. The default efficiency per source is our arithmetic on rated COPs (see
    ``CARNOT_EFFICIENCY``)."""
    if source not in CARNOT_EFFICIENCY:
        raise InvalidInput(f"Unknown heat source '{source}' (one of air, ground, water).")
    eta = CARNOT_EFFICIENCY[source] if carnot_efficiency is None else carnot_efficiency
    if not 0 < eta <= 1:
        raise InvalidInput(f"The Carnot efficiency must be above 0 and at most 1, not {eta}.")
    src = np.asarray(hourly_source_temp, dtype=np.float64)
    if src.shape != (HOURS,):
        raise InvalidInput(f"An hourly source temperature needs {HOURS} values, got {src.size}.")
    sink = supply_temp_c + 273.15
    lift = np.maximum(sink - (src + 273.15), MIN_LIFT_K)
    cop = np.clip(eta * sink / lift, *COP_RANGE)
    how = ("given" if carnot_efficiency is not None else
           "our arithmetic on rated COPs A2/W35 and B0/W35 (knowledge-base fact sheet); water assumed like ground")
    return Profile(cop, "ratio", f"Carnot COP × {eta:g} ({how}), supply {supply_temp_c:g} °C, lift at least "
                                 f"{MIN_LIFT_K:g} K, clipped to {COP_RANGE[0]:g}-{COP_RANGE[1]:g}")


# --- electricity -----------------------------------------------------------------------------------------------------

@lru_cache(maxsize=4)
def _slp(kind: str) -> FloatArray:
    from demandlib import bdew

    index = pd.date_range(dt.datetime(YEAR, 1, 1), periods=HOURS, freq="h")
    series = bdew.H25(index) if kind == "household" else bdew.G25(index)
    values: FloatArray = np.asarray(series.to_numpy(dtype=np.float64), dtype=np.float64)
    if values.shape != (HOURS,) or not np.all(np.isfinite(values)):
        raise InvalidInput(f"The standard load profile for {kind} could not be built for {HOURS} hours.")
    out: FloatArray = values / float(values.sum())
    return out


def electricity_profile(annual_kwh: float, kind: Literal["household", "services"]) -> Profile:
    """kWh per hour from the BDEW standard load profile (2025 revision: H25 household with its dynamisation, G25
    general commercial), built by demandlib for 2023 without public holidays, quarter hours averaged to hours and
    scaled to ``annual_kwh``."""
    total = _non_negative(annual_kwh, "Annual electricity demand")
    if kind not in ("household", "services"):
        raise InvalidInput(f"Unknown load-profile kind '{kind}' (household or services).")
    name = "H25 (household)" if kind == "household" else "G25 (general commercial)"
    return Profile(_slp(kind) * total, "kWh",
                   f"BDEW standard load profile {name}, 2025 revision of H0/G0, via demandlib; calendar 2023, no "
                   f"public holidays; scaled to {kwh_text(total)} kWh/yr")
