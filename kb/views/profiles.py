"""A city's hourly profiles for the My city page (no Streamlit): a typical week per season, monthly figures, sources."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

import numpy as np
from sqlalchemy import Engine

from kb.errors import InvalidInput
from kb.hourly.profiles import (
    MONTH_OF_HOUR,
    FloatArray,
    Profile,
    cop_profile,
    electricity_profile,
    heat_profile,
    hourly_temperature,
    kwh_text,
    pv_profile,
    source_temperature,
)
from kb.hourly.shapes import HP_SUPPLY_C, PV_AZIMUTH, PV_TILT, WEEKS, city_climate
from kb.i18n import N_, Msg, Num
from kb.plans.evaluate import REFERENCE_ID
from kb.plans.hourly import HourlyInputs
from kb.replication.cities import CityProfile, source_label
from kb.store import catalog
from kb.views.fmt import Translate, identity

__all__ = ["SEASONS", "SEASON_WEEKS", "ProfileReferences", "HourlyProfile", "CityProfiles", "reference_figures",
           "city_profiles", "week_rows", "monthly_rows", "MONTHS", "profile_label", "profile_unit"]

SEASONS: tuple[str, ...] = ("winter", "spring", "summer", "autumn")
# First hour of a Monday in the middle of January, April, July and October (calendar 2023: 16 Jan, 17 Apr, 17 Jul,
# 16 Oct); winter and summer are the plan page's weeks.
SEASON_WEEKS: dict[str, int] = {"winter": WEEKS["winter"], "spring": 106 * 24, "summer": WEEKS["summer"],
                                "autumn": 288 * 24}
WEEK_HOURS = 168
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
RETROFIT_ID = "deep-retrofit"
PER_MWH = 1000.0  # the heat and electricity profiles are shown for 1 MWh/yr (kWh per hour per MWh/yr)

PVLIB = "pvlib (solar position, Ineichen clear sky, Erbs, Perez, PVWatts), https://pvlib-python.readthedocs.io"
DEMANDLIB = "demandlib (BDEW standard load profiles H25 / G25), https://demandlib.readthedocs.io"
CLIMATE_KEYS = tuple(f"{p}_{m:02d}" for p in ("ghi", "dhi", "temp") for m in range(1, 13))
TEMP_KEYS = tuple(f"temp_{m:02d}" for m in range(1, 13))


def _plan_default(name: str) -> Any:
    """A default of the plan's hourly inputs (the share the hourly balance uses when the plan gives none)."""
    return next(f.default for f in dataclasses.fields(HourlyInputs) if f.name == name)


@dataclass(frozen=True)
class ProfileReferences:
    """The knowledge-base figures the profiles are scaled with: household electricity per home and the share of
    delivered heat used for space heating, each with its source."""

    home_kwh: float | None = None
    home_source: str = ""
    space_heating_share: float = field(default_factory=lambda: float(_plan_default("space_heating_share")))
    space_heating_share_source: str = field(default_factory=lambda: str(_plan_default("space_heating_share_source")))


@dataclass(frozen=True)
class HourlyProfile:
    """One profile of a city: a typical week per season (168 values), the 12 monthly figures (sums, or means for a
    temperature or a COP), the annual figure, and how it was made with its sources."""

    key: str
    label: str
    unit: str
    weeks: dict[str, tuple[float, ...]]
    monthly: tuple[float, ...]
    monthly_kind: Literal["sum", "mean"]
    annual: float
    provenance: str
    sources: tuple[str, ...]
    label_said: Msg | None = field(default=None, compare=False)
    """The label as a structured message (translated by :func:`profile_label`)."""

    @property
    def monthly_unit(self) -> str:
        return self.unit.replace(" per hour", " per month") if self.monthly_kind == "sum" else self.unit


# the profiles' units per hour, month and year, for the catalogue (shown through :func:`profile_unit`)
_UNIT_TEXTS = (N_("kWh per hour per kWp"), N_("kWh per month per kWp"), N_("kWh per year per kWp"),
               N_("kWh per hour per home"), N_("kWh per month per home"), N_("kWh per year per home"),
               N_("kWh per hour per MWh/yr"), N_("kWh per month per MWh/yr"), N_("kWh per year per MWh/yr"))


def profile_label(p: HourlyProfile, t: Translate = identity) -> str:
    """A profile's name in the reader's language (``Produkcja fotowoltaiki na kWp (nachylenie 35°, południe)``)."""
    return p.label_said.text(t) if p.label_said is not None else t(p.label)


def profile_unit(p: HourlyProfile, period: Literal["hour", "month", "year"], t: Translate = identity) -> str:
    """A profile's unit for one hour, one month (sums; temperature and COP keep theirs) or the year, translated."""
    unit = p.unit if p.monthly_kind == "mean" else p.unit.replace(" per hour", f" per {period}")
    return t(unit)


@dataclass(frozen=True)
class CityProfiles:
    """The profiles of a city, or an empty tuple and the ``reason`` none could be made."""

    city: str
    profiles: tuple[HourlyProfile, ...] = ()
    reason: str = ""
    time_zone: str = ""


def _reference(engine: Engine, record_id: str, key: str) -> tuple[float, str] | None:
    """A keyed parameter (its value, the mid of a range) of a knowledge-base record with its source, or None."""
    try:
        rec = catalog.get_record(engine, record_id)
    except catalog.RecordNotFound:
        return None
    titles = {s.id: s.title for s in rec.sources}
    for q in rec.numbers_in("Parameters"):
        if q.key == key and q.value is not None and not q.missing:
            return float(q.value), f"{q.item} ({q.evidence}): {source_label(rec.id, q.source, titles)}"
    return None


def reference_figures(engine: Engine) -> ProfileReferences:
    """Household electricity per home (``district-baseline``) and the space-heating share (``deep-retrofit``) from
    the knowledge base; the model defaults where a record or figure is absent."""
    home = _reference(engine, REFERENCE_ID, "electricity_use")
    share = _reference(engine, RETROFIT_ID, "space_heating_share")
    refs = ProfileReferences()
    if home is not None:
        refs = dataclasses.replace(refs, home_kwh=home[0], home_source=home[1])
    if share is not None:
        refs = dataclasses.replace(refs, space_heating_share=share[0], space_heating_share_source=share[1])
    return refs


def _sources(city: CityProfile, keys: Iterable[str]) -> list[str]:
    """The distinct source labels of some drivers, in order."""
    out: list[str] = []
    for k in keys:
        d = city.drivers.get(k)
        if d is not None and d.value is not None and d.source and d.source not in out:
            out.append(d.source)
    return out


def _weeks(values: FloatArray) -> dict[str, tuple[float, ...]]:
    return {s: tuple(round(float(x), 5) for x in values[h:h + WEEK_HOURS]) for s, h in SEASON_WEEKS.items()}


_COUNTS = np.bincount(MONTH_OF_HOUR, minlength=12).astype(np.float64)


def _shown(key: str, label: Msg, unit: str, p: Profile, kind: Literal["sum", "mean"], provenance: str,
           sources: list[str]) -> HourlyProfile:
    monthly = p.monthly() if kind == "sum" else p.monthly() / _COUNTS
    annual = p.annual if kind == "sum" else float(p.values.mean())
    return HourlyProfile(key, str(label), unit, _weeks(p.values), tuple(float(x) for x in monthly), kind, annual,
                         provenance, tuple(sources), label)


@lru_cache(maxsize=32)
def _computed(lat: float, lon: float, tz: float, ghi: tuple[float, ...], temp: tuple[float, ...],
              dhi: tuple[float, ...] | None, home_kwh: float, share: float) -> tuple[Profile, ...]:
    """(PV, household, services, space heat + hot water, outdoor temperature, COP) — the expensive part, cached."""
    pv = pv_profile(lat, lon, PV_TILT, PV_AZIMUTH, ghi, tz, monthly_temp_c=temp, monthly_dhi_kwh_m2=dhi)
    household = electricity_profile(home_kwh, "household")
    services = electricity_profile(PER_MWH, "services")
    space, water = heat_profile(temp, PER_MWH * share, PER_MWH * (1.0 - share))
    heat = Profile(space.values + water.values, "kWh",
                   f"space heat: {space.provenance}; hot water: {water.provenance}")
    air = hourly_temperature(temp)
    cop = cop_profile("air", source_temperature("air", air.values).values, HP_SUPPLY_C)
    return pv, household, services, heat, air, cop


def city_profiles(city: CityProfile, refs: ProfileReferences | None = None) -> CityProfiles:
    """The city's hourly profiles from its monthly climate (``ghi_``/``temp_`` drivers, ``dhi_`` when given, and its
    coordinates), or the reason they cannot be made. The computation is cached per climate."""
    refs = refs or ProfileReferences()
    cl, missing = city_climate(city)
    if missing == "climate":
        return CityProfiles(city.name, reason=(
            f"No hourly profiles for {city.name}: its city record has no monthly climate (global horizontal "
            "irradiation ghi_01…ghi_12 and mean temperature temp_01…temp_12). The cities in the knowledge base "
            "with a typical-year climate have them; a city of your own would need them in a city record file."))
    if cl is None:
        return CityProfiles(city.name, reason=f"No hourly profiles for {city.name}: its city record has no "
                                              "latitude and longitude.")
    per_home = refs.home_kwh is not None and refs.home_kwh > 0
    home_kwh = float(refs.home_kwh) if per_home and refs.home_kwh is not None else PER_MWH
    try:
        pv, household, services, heat, air, cop = _computed(cl.lat, cl.lon, cl.tz, cl.ghi, cl.temp, cl.dhi, home_kwh,
                                                            refs.space_heating_share)
    except InvalidInput as exc:
        return CityProfiles(city.name, reason=f"No hourly profiles for {city.name}: {exc}")
    place = _sources(city, ("latitude", "longitude"))
    sun = _sources(city, CLIMATE_KEYS)
    temps = _sources(city, TEMP_KEYS)
    home_unit = "kWh per hour per home" if per_home else "kWh per hour per MWh/yr"
    home_how = (f"; {kwh_text(home_kwh)} kWh/yr per home: {refs.home_source}" if per_home
                else "; shown for 1 MWh/yr (no household electricity per home in the knowledge base)")
    profiles = (
        _shown("pv", Msg(N_("PV output per kWp (tilt {tilt}°, south)"), {"tilt": Num(PV_TILT)}),
               "kWh per hour per kWp", pv, "sum",
               f"{pv.provenance}; tilt {PV_TILT:g}° facing south (model assumption: the city record gives no tilt); "
               f"time {cl.tz_how}", [*sun, *place, PVLIB]),
        _shown("household", Msg(N_("Household electricity per home") if per_home else
                                N_("Household electricity per MWh/yr")), home_unit,
               household, "sum", household.provenance + home_how,
               [DEMANDLIB, *([refs.home_source] if per_home else [])]),
        _shown("services", Msg(N_("Services electricity per MWh/yr")), "kWh per hour per MWh/yr", services, "sum",
               services.provenance, [DEMANDLIB]),
        _shown("heat", Msg(N_("Space heat + hot water per MWh/yr of heat")), "kWh per hour per MWh/yr", heat, "sum",
               f"{heat.provenance}; space-heating share {refs.space_heating_share:g} "
               f"({refs.space_heating_share_source})", [*temps, refs.space_heating_share_source]),
        _shown("temperature", Msg(N_("Outdoor temperature")), "°C", air, "mean", f"air temperature {air.provenance}",
               temps),
        _shown("cop", Msg(N_("Air-source heat-pump COP")), "COP", cop, "mean",
               f"{cop.provenance}; source: the outdoor air temperature above; the supply temperature "
               f"{HP_SUPPLY_C:g} °C (radiators) is a model assumption, no source",
               [*temps, "heat-pump fact sheet of the knowledge base (rated COPs A2/W35, B0/W35)"]),
    )
    return CityProfiles(city.name, profiles, time_zone=cl.tz_how)


def week_rows(result: CityProfiles, season: str, t: Translate = identity) -> list[dict[str, object]]:
    """Long-form rows of one season's typical week (hour 0 = Monday 00:00) of every profile, for a chart."""
    return [{"profile": f"{profile_label(p, t)} ({profile_unit(p, 'hour', t)})", "hour": h, "value": v}
            for p in result.profiles for h, v in enumerate(p.weeks[season])]


def monthly_rows(result: CityProfiles, t: Translate = identity) -> list[dict[str, object]]:
    """Long-form rows of the monthly figures (sums, or means for temperature and COP) of every profile."""
    return [{"profile": f"{profile_label(p, t)} ({profile_unit(p, 'month', t)}, "
                        f"{t(N_('total')) if p.monthly_kind == 'sum' else t(N_('mean'))})",
             "month": MONTHS[i], "value": v} for p in result.profiles for i, v in enumerate(p.monthly)]
