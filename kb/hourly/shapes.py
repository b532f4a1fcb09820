"""The hourly shapes of a city that estimates and district plans share: PV per kWp, heat-pump electricity, time zone.

Each shape sums to one over the year (or is a :class:`Profile` to be scaled) and carries how it was made. The city
is read through ``value``/``country``/``name`` and the monthly driver rows (duck-typed, so the module stays below
:mod:`kb.replication`); the choices no source gives are labelled model assumptions.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import numpy as np

from kb.hourly.profiles import (
    Profile,
    cop_profile,
    heat_profile,
    hourly_temperature,
    kwh_text,
    monthly_climate,
    monthly_diffuse,
    pv_profile,
    source_temperature,
)

__all__ = ["CityClimate", "city_climate", "PV_TILT", "PV_AZIMUTH", "HP_SUPPLY_C", "BATTERY_HOURS", "STANDARD_TIME",
           "WEEKS", "tz_offset", "pv_shape", "hp_shape", "weeks"]

PV_TILT = 35.0  # degrees; model assumption (the city records give no tilt; Kraków's modelled optimum is 32-35°)
PV_AZIMUTH = 180.0  # south; model assumption
HP_SUPPLY_C = 55.0  # heat-pump supply temperature for radiators; model assumption, no source
BATTERY_HOURS = 2.0  # power = capacity / 2 h: the measure type's capex is that of a 2-hour battery
# Standard time (UTC offset, hours) by country code; the calendar convention of each country (no summer time).
STANDARD_TIME: dict[str, float] = {"PT": 0.0, "AT": 1.0, "DK": 1.0, "ES": 1.0, "HU": 1.0, "IT": 1.0, "NL": 1.0,
                                   "PL": 1.0, "SK": 1.0, "DE": 1.0, "FR": 1.0, "BE": 1.0, "EE": 2.0, "LV": 2.0,
                                   "LT": 2.0, "FI": 2.0}


def tz_offset(city: Any) -> tuple[float, str]:
    """The city's standard-time UTC offset (hours) and how it was found."""
    if city.country in STANDARD_TIME:
        return STANDARD_TIME[city.country], f"UTC{STANDARD_TIME[city.country]:+g} (standard time of {city.country})"
    lon = city.value("longitude") or 0.0
    off = float(round(lon / 15.0))
    return off, f"UTC{off:+g} (from the longitude: model assumption, the country's time zone is not recorded)"


@dataclass(frozen=True)
class CityClimate:
    """What the hourly shapes read from a city record: coordinates, standard time, monthly GHI, temperature, DHI."""

    lat: float
    lon: float
    tz: float
    tz_how: str
    ghi: tuple[float, ...]
    temp: tuple[float, ...]
    dhi: tuple[float, ...] | None

    def pv(self) -> Profile:
        """PV output at the model tilt and azimuth for this climate (cached by :func:`pv_shape`)."""
        return pv_shape(self.lat, self.lon, self.tz, self.ghi, self.temp, self.dhi)


def city_climate(city: Any) -> tuple[CityClimate | None, Literal["", "climate", "coordinates"]]:
    """A city's climate for the hourly shapes, or ``(None, what is missing)``: ``"climate"`` without the monthly
    ``ghi_``/``temp_`` drivers, ``"coordinates"`` without latitude and longitude (checked in that order)."""
    climate = monthly_climate(city)
    if climate is None:
        return None, "climate"
    lat, lon = city.value("latitude"), city.value("longitude")
    if lat is None or lon is None:
        return None, "coordinates"
    ghi, temp = (tuple(float(x) for x in v) for v in climate)
    dhi = monthly_diffuse(city)
    tz, tz_how = tz_offset(city)
    return CityClimate(float(lat), float(lon), tz, tz_how, ghi, temp, tuple(dhi) if dhi is not None else None), ""


@lru_cache(maxsize=16)
def pv_shape(lat: float, lon: float, tz: float, ghi: tuple[float, ...], temp: tuple[float, ...],
             dhi: tuple[float, ...] | None) -> Profile:
    """PV output of the model tilt and azimuth for a city's monthly climate (cached: several estimates share it)."""
    return pv_profile(lat, lon, PV_TILT, PV_AZIMUTH, ghi, tz, monthly_temp_c=temp, monthly_dhi_kwh_m2=dhi)


@lru_cache(maxsize=16)
def hp_shape(temp: tuple[float, ...], space_share: float) -> tuple[np.ndarray[Any, np.dtype[np.float64]], str]:
    """Heat-pump electricity per hour (shape summing to 1): (space heat + hot water) ÷ COP of an air source."""
    space, water = heat_profile(temp, space_share, 1.0 - space_share)
    air = hourly_temperature(temp).values
    cop = cop_profile("air", source_temperature("air", air).values, HP_SUPPLY_C)
    elec = (space.values + water.values) / cop.values
    sp = space.provenance.replace(f" scaled to {kwh_text(space_share)} kWh/yr", "")
    wa = water.provenance.replace(f", scaled to {kwh_text(1.0 - space_share)} kWh/yr", "")
    how = (f"heat pumps: (space heat + hot water) ÷ hourly COP, normalised to the annual model's heat-pump "
           f"electricity; space heat: {sp}; hot water: {wa}; COP of an air source: "
           f"{cop.provenance} (supply {HP_SUPPLY_C:g} °C: model assumption, no source)")
    return elec / float(elec.sum()), how


WEEKS = {"winter": 15 * 24, "summer": 197 * 24}  # first hour of Monday 16 January and Monday 17 July (calendar 2023)


def weeks(load: Any, pv: Any, imp: Any, exp: Any, soc: Any) -> dict[str, dict[str, list[float]]]:
    """A typical winter and summer week (168 hours from mid-January and mid-July) of the main flows, kWh per hour."""
    out: dict[str, dict[str, list[float]]] = {}
    for name, start in WEEKS.items():
        sl = slice(start, start + 168)
        out[name] = {k: [round(float(x), 3) for x in np.asarray(a)[sl]]
                     for k, a in (("load", load), ("pv", pv), ("import", imp), ("export", exp), ("soc", soc))}
    return out
