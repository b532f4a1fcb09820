"""Bounds on numbers a user enters (scales, parameters, drivers, plan figures, samples): one check, one message."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from kb.errors import InvalidInput
from kb.records.vocab import DRIVER_KEYS

__all__ = ["Bound", "check", "param_bound", "driver_bound", "scale_bound", "MAX_SCALE", "MAX_SAMPLES", "SAMPLES",
           "SEED", "SCALE", "BUDGET", "PARAM_BOUNDS", "DRIVER_BOUNDS", "DISCOUNT_RATE"]


@dataclass(frozen=True)
class Bound:
    """The range a quantity may take: ``low ≤ x ≤ high`` (``low < x`` when ``low_open``, e.g. a divisor)."""

    low: float
    high: float
    unit: str = ""
    low_open: bool = False

    def contains(self, x: float) -> bool:
        return math.isfinite(x) and (x > self.low if self.low_open else x >= self.low) and x <= self.high

    def describe(self) -> str:
        unit = f" {self.unit}" if self.unit and self.unit != "-" else ""
        if self.low_open:
            return f"more than {_num(self.low)} and at most {_num(self.high)}{unit}"
        return f"from {_num(self.low)} to {_num(self.high)}{unit}"

    def with_unit(self, unit: str) -> Bound:
        return replace(self, unit=unit)


def _num(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"


def check(value: object, bound: Bound, what: str, error: type[InvalidInput]) -> float:
    """``value`` as a float when it is a finite number within ``bound``; else ``error`` with one sentence naming
    the input (``what``), the value and the allowed range. Never raises anything but ``error``."""
    try:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise TypeError
        x = float(value)
    except (TypeError, ValueError, OverflowError):
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        raise error(f"{what}: {shown} is not a number (allowed: {bound.describe()})") from None
    if not math.isfinite(x):
        raise error(f"{what}: {x} is not a finite number (allowed: {bound.describe()})")
    if not bound.contains(x):
        raise error(f"{what}: {_num(x)} is outside the allowed range ({bound.describe()})")
    return x


# --- the bounds ------------------------------------------------------------------------------------------------

# Ten million units of one measure (kWp, kWh, homes, m², cars, charging points, kW_th) is more than any district
# or city programme, yet keeps every product of the model far from float overflow.
MAX_SCALE = 1e7
SCALE = Bound(0.0, MAX_SCALE, low_open=True)  # a scale of zero delivers nothing: say so instead of "never"

# Monte Carlo samples: the cap a plan file's [settings] always had; more adds nothing to P10/P50/P90 but memory
# (every input and metric holds one float per sample).
MAX_SAMPLES = 100_000
SAMPLES = Bound(1, MAX_SAMPLES, "samples")
DISTRICT_HOMES = Bound(1.0, 1e7, "homes")  # the reference district of an hourly dispatch, as a plan's homes allow
SEED = Bound(0, 2**32 - 1)  # NumPy seeds are non-negative; 32 bits is more than enough to vary a run
BUDGET = Bound(0, 1e12, "EUR")  # a trillion euros: above any city's budget

_SHARE = Bound(0.0, 1.0, "-", low_open=True)  # a fraction of something: more than 0 (else no measure), at most all
_LIFETIME = Bound(1.0, 100.0, "yr")  # a divisor (capex ÷ lifetime); no energy equipment lasts a century
_PER_UNIT_COST = Bound(0.0, 1e8, "EUR per unit of scale")  # 100 million EUR per kWp/home/car: far above any price

# Parameters of the impact models a user may enter (kb estimate --param, kb brief --param, the Estimate page).
# Every key of kb.records.vocab.MODEL_KEYS has one (a test loops over them). Divisors have an open lower bound;
# efficiencies and shares that are fractions lie in (0, 1]; a lifetime is at least a year.
PARAM_BOUNDS: dict[str, Bound] = {
    "lifetime": _LIFETIME,
    "capex": _PER_UNIT_COST,
    "opex": Bound(0.0, 1e7, "EUR per unit of scale per yr"),
    "performance_ratio": _SHARE,  # share of the optimal-tilt yield a real roof reaches
    "degradation": Bound(0.0, 10.0, "%/yr"),
    "round_trip_efficiency": Bound(0.0, 1.0, "-", low_open=True),  # divisor; cannot return more than it stores
    "cycles_per_year": Bound(0.0, 10_000.0, "cycles/yr"),  # 27 full cycles a day
    "heat_demand": Bound(0.0, 1e6, "kWh per unit per yr"),  # 1 GWh a home: a hundred times a large house
    "reference_hdd": Bound(0.0, 15_000.0, "K·d", low_open=True),  # divisor; the coldest towns have ~12,000
    "scop": Bound(1.0, 15.0, "-"),  # divisor; below 1 is worse than a resistance heater, above 15 is no heat pump
    "displaced_efficiency": Bound(0.0, 1.2, "-", low_open=True),  # divisor; condensing boilers reach ~1.1 (LHV)
    "full_load_hours": Bound(0.0, 8760.0, "h/yr"),  # hours in a year
    "saving_fraction": _SHARE,
    "energy_per_point": Bound(0.0, 1e7, "kWh per point per yr"),  # a 350 kW charger flat out: 3 GWh/yr
    "ev_consumption": Bound(0.0, 10.0, "kWh/km", low_open=True),  # divisor; a bus uses ~1.5 kWh/km
    "ice_fuel_consumption": Bound(0.0, 10.0, "kWh/km"),
    "additional_share": _SHARE,  # share of the charged km that a petrol car would otherwise drive
    "km_avoided_per_shared_car": Bound(0.0, 1e6, "km/yr"),  # 1,000,000 km/yr is driving at 114 km/h day and night
    "km_per_shared_car": Bound(0.0, 1e6, "km/yr"),
    "space_heating_share": _SHARE,
    "electricity_use": Bound(0.0, 1e6, "kWh per unit per yr"),
    "energy_saving": Bound(0.0, 10_000.0, "kWh/m²/yr"),
    "self_consumption_share": _SHARE,  # share of PV output used on site
    "replacement_interval": _LIFETIME,  # a divisor (horizon ÷ interval)
    "replacement_capex": _PER_UNIT_COST,
}
DISCOUNT_RATE = Bound(0.0, 0.3, "-")  # a real rate, as a fraction: 0 to 30 %/yr
_OTHER_PARAM = Bound(0.0, 1e9)  # a key added to MODEL_KEYS before its bound: finite and non-negative at least

# City drivers a user may enter (--driver, a city file, the My city page): generous physical ranges.
_DEGREE_DAYS = Bound(0.0, 15_000.0, "K·d")
_PRICE = Bound(0.0, 10.0, "EUR/kWh")  # ten times the 2022 peak retail prices
DRIVER_BOUNDS: dict[str, Bound] = {
    "population": Bound(0.0, 1e8, "persons"), "area": Bound(0.0, 1e6, "km2"),
    "latitude": Bound(-90.0, 90.0, "deg"), "longitude": Bound(-180.0, 180.0, "deg"),
    "hdd": _DEGREE_DAYS, "cdd": _DEGREE_DAYS, "hdd_local": _DEGREE_DAYS, "cdd_local": _DEGREE_DAYS,
    "ghi": Bound(0.0, 3000.0, "kWh/m2/yr"),  # the sunniest deserts get ~2,600
    "pv_yield": Bound(0.0, 3000.0, "kWh/kWp/yr"),  # the sunniest sites yield ~2,400
    "grid_co2": Bound(0.0, 2000.0, "g/kWh"), "grid_co2_consumption": Bound(0.0, 2000.0, "g/kWh"),  # lignite ~1,200
    "pef_electricity": Bound(0.0, 10.0, "kWh/kWh"), "pef_natural_gas": Bound(0.0, 10.0, "kWh/kWh"),
    "grid_co2_direct": Bound(0.0, 2000.0, "g/kWh"), "co2_district_heat": Bound(0.0, 2000.0, "g/kWh"),
    **{f"pef_{c}_{t}": Bound(0.0, 10.0, "kWh/kWh") for c in ("electricity", "natural_gas", "district_heat")
       for t in ("nren", "total")},
    "district_heat_price": _PRICE,
    "electricity_price_household": _PRICE, "electricity_price_non_household": _PRICE,
    "gas_price_household": _PRICE, "gas_price_non_household": _PRICE,
    "district_heating_share": Bound(0.0, 100.0, "%"), "district_heating_share_city": Bound(0.0, 100.0, "%"),
    "gdp_per_capita_index": Bound(0.0, 1000.0, "EU27=100"),
}


def param_bound(key: str) -> Bound:
    """The range of a model parameter a user enters (``lifetime``: 1 to 100 yr, ...)."""
    return PARAM_BOUNDS.get(key, _OTHER_PARAM)


def driver_bound(key: str) -> Bound:
    """The range of a city driver a user enters."""
    return DRIVER_BOUNDS.get(key, Bound(-1e9, 1e9, DRIVER_KEYS.get(key, "")))


def scale_bound(unit: str) -> Bound:
    """The range of a measure's scale, in its unit: more than 0, at most :data:`MAX_SCALE`."""
    return SCALE.with_unit(unit)
