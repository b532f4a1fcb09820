"""One formatter for the pages: numbers (Babel, per locale), money, shares, ranges, and plain labels with units."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from decimal import Decimal, localcontext

from babel import Locale
from babel.numbers import format_decimal, format_percent

from kb.i18n import N_
from kb.records.vocab import DRIVER_KEYS
from kb.replication.cities import DRIVER_LABELS
from kb.replication.simulation import METRICS

__all__ = ["BLANK", "COUNT_UNITS", "format_number", "format_money", "format_share", "format_range", "format_years",
           "format_count", "in_sentence", "identity", "Translate", "UNIT_TEXTS",
           "plain_units_in", "label_of", "unit_of", "label_with_unit", "plain_unit"]

BLANK = "—"
"""What a missing value (None, NaN) reads as."""

COUNT_UNITS: frozenset[str] = frozenset(
    {"homes", "dwellings", "households", "persons", "residents", "buildings", "cars", "vehicles", "chargers", "points",
     "h", "hours", "cycles", "cycles/yr", "count", "samples", "draws", "sites", "panels", "units", "trips"})
"""Units of things counted whole: 500 homes, never 500.00 homes."""

_SIGNIFICANT = 3

# plain labels of every metric (kb.replication.simulation.METRICS) and every city driver (kb.records.vocab)
_METRIC_LABELS: dict[str, str] = {
    "electricity": N_("Electricity"), "natural_gas": N_("Natural gas"), "district_heat": N_("District heat"),
    "petrol": N_("Petrol and diesel"), "co2_avoided": N_("CO₂ avoided"),
    "primary_energy_saved": N_("Primary energy saved"), "nox_avoided": N_("NOx avoided"),
    "savings": N_("Energy cost savings"), "capex": N_("Investment"), "opex": N_("Upkeep"),
    "payback": N_("Simple payback"), "cost_per_tco2": N_("Gross cost per tonne of CO₂ avoided"),
    "npv": N_("Net present value"), "irr": N_("Internal rate of return"),
    "discounted_payback": N_("Discounted payback"),
    "lcoe": N_("Levelised cost of electricity"), "lcoh": N_("Levelised cost of heat"),
    "net_abatement_cost": N_("Net cost per tonne of CO₂ avoided"),
}
_DRIVER_LABELS: dict[str, str] = {
    "population": N_("Population"), "area": N_("Area"), "latitude": N_("Latitude"), "longitude": N_("Longitude"),
    "hdd": N_("Heating degree days"), "cdd": N_("Cooling degree days"),
    "hdd_local": N_("Heating degree days (local station)"),
    "cdd_local": N_("Cooling degree days (local station)"), "ghi": N_("Solar irradiation on flat ground"),
    "pv_yield": N_("Solar PV yield (optimal tilt)"), "grid_co2": N_("Grid electricity CO₂ intensity"),
    "grid_co2_consumption": N_("Grid electricity CO₂ intensity (consumption-based)"),
    "grid_co2_direct": N_("Grid electricity CO₂ intensity (combustion only)"),
    "pef_electricity": N_("Primary energy factor of electricity"),
    "pef_natural_gas": N_("Primary energy factor of natural gas"),
    "pef_electricity_nren": N_("Primary energy factor of electricity (non-renewable part)"),
    "pef_electricity_total": N_("Primary energy factor of electricity (total)"),
    "pef_natural_gas_nren": N_("Primary energy factor of natural gas (non-renewable part)"),
    "pef_natural_gas_total": N_("Primary energy factor of natural gas (total)"),
    "co2_district_heat": N_("District heat CO₂ intensity"), "pef_district_heat_nren":
        N_("Primary energy factor of district heat (non-renewable part)"),
    "pef_district_heat_total": N_("Primary energy factor of district heat (total)"),
    "district_heat_price": N_("District heat price"),
    "electricity_price_household": N_("Electricity price for households"),
    "electricity_price_non_household": N_("Electricity price for businesses"),
    "gas_price_household": N_("Gas price for households"), "gas_price_non_household": N_("Gas price for businesses"),
    "district_heating_share": N_("Homes on district heating (country)"),
    "district_heating_share_city": N_("Homes on district heating (city)"),
    "gdp_per_capita_index": N_("Income level (GDP per person, EU average = 100)"),
}
_UNITS: dict[str, str] = {
    "MWh_PE/yr": "MWh primary energy/yr", "kWh_PE": "kWh primary energy", "MWh_PE": "MWh primary energy",
    "tCO2/yr": "t CO₂/yr", "tCO2": "t CO₂", "EUR/tCO2": "EUR per t CO₂", "kgCO2": "kg CO₂", "-": "",
    "km2": "km²", "m2": "m²", "kWh/m2/yr": "kWh/m²/yr", "kWh/kWh": "kWh primary energy per kWh",
    "EU27=100": "", "K·d": "K·days", "deg": "°", "persons": "people", "kg/yr": "kg/yr",
}
Translate = Callable[[str], str]


def identity(text: str) -> str:
    """The English text itself (the default translation of every view function)."""
    return text


UNIT_TEXTS: tuple[str, ...] = (
    N_("MWh/yr"), N_("kWh/yr"), N_("t CO₂/yr"), N_("MWh primary energy/yr"), N_("kg/yr"), N_("EUR/yr"),
    N_("EUR per t CO₂"), N_("years"), N_("people"), N_("K·days"), N_("kWh primary energy per kWh"),
    N_("kWh/m²/yr"), N_("kWh/kWp/yr"), N_("homes"), N_("% per year"), N_("kWh primary energy"),
    N_("MWh primary energy"), N_("yr"))
"""Units that read differently in another language (``MWh/yr`` → ``MWh/rok``); others (kWh, EUR, kWp) stay."""

_DRIVER_UNITS: dict[str, str] = {"grid_co2": "g CO₂/kWh", "grid_co2_consumption": "g CO₂/kWh",
                                 "grid_co2_direct": "g CO₂/kWh", "co2_district_heat": "g CO₂/kWh"}


_UNIT_HEADS: dict[str, str] = {"cycles": N_("cycles"), "homes": N_("homes"), "points": N_("points"),
                               "cars": N_("cars")}
_UNIT_TAILS: dict[str, str] = {"yr": N_("/yr"), "year": N_("/yr"), "home": N_("/home"), "homes": N_("/home"),
                               "dwelling": N_("/home"), "cycle": N_("/cycle")}
"""The words of a compound unit that read differently in another language (``cycles/yr`` → ``cykli/rok``,
``EUR2020/kWp/yr`` → ``EUR2020/kWp/rok``); symbols (kWh, kWp, EUR2020) stay."""


def plain_unit(unit: str | None, t: Translate = identity) -> str:
    """A unit as a reader writes it: ``MWh_PE/yr`` → ``MWh primary energy/yr``, ``tCO2`` → ``t CO₂``, ``-`` →
    ``""`` (in the language of ``t``: ``MWh/rok``; a compound unit the catalogue lacks, word by word:
    ``cycles/yr`` → ``cykli/rok``)."""
    if not unit:
        return ""
    text = _UNITS.get(unit, unit.replace("tCO2", "t CO₂").replace("CO2", "CO₂"))
    if not text or t is identity:
        return text
    whole = t(text)
    if whole != text or "/" not in text:
        return whole
    head, *tails = text.split("/")
    return (t(_UNIT_HEADS[head]) if head in _UNIT_HEADS else head) + "".join(
        t(_UNIT_TAILS[p]) if p in _UNIT_TAILS else "/" + p for p in tails)


_UNIT_WORDS = (("EUR/tCO2", "EUR per t CO₂"), ("MWh_PE", "MWh primary energy"), ("kWh_PE", "kWh primary energy"),
               ("tCO2", "t CO₂"), ("gCO2", "g CO₂"), ("kgCO2", "kg CO₂"))


def plain_units_in(text: str) -> str:
    """The units inside a sentence made by the library, written plainly: ``29.1 MWh_PE/yr`` → ``29.1 MWh primary
    energy/yr``, ``7.1 tCO2/yr`` → ``7.1 t CO₂/yr``."""
    for raw, plain in _UNIT_WORDS:
        text = text.replace(raw, plain)
    return text


def label_of(key: str, t: Translate = identity) -> str:
    """The plain label of a metric or city-driver key (``co2_avoided`` → ``CO₂ avoided``); never the key itself."""
    if key in _METRIC_LABELS:
        return t(_METRIC_LABELS[key])
    if key in _DRIVER_LABELS:
        return t(_DRIVER_LABELS[key])
    text = DRIVER_LABELS.get(key) or key.replace("_", " ")
    return text[:1].upper() + text[1:]


def unit_of(key: str, t: Translate = identity) -> str:
    """The plain unit of a metric or driver key (``primary_energy_saved`` → ``MWh primary energy/yr``)."""
    if key in _DRIVER_UNITS:
        return _DRIVER_UNITS[key]
    if key in METRICS:
        return plain_unit(METRICS[key][0], t)
    return plain_unit(DRIVER_KEYS.get(key, ""), t)


def in_sentence(label: str) -> str:
    """A label inside a sentence: its first letter in lower case unless it starts an acronym (CO₂, NOx)."""
    return label if label[1:2].isupper() else label[:1].lower() + label[1:]


def label_with_unit(key: str, t: Translate = identity) -> str:
    """``CO₂ avoided (t CO₂/yr)``; the label alone where the key has no unit."""
    unit = unit_of(key, t)
    return f"{label_of(key, t)} ({unit})" if unit else label_of(key, t)


def _finite(x: float | None) -> float | None:
    if x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def _decimals(a: float) -> int:
    """Decimals that give about three significant figures; whole numbers from 100 up (no digit is lost)."""
    if a == 0 or a >= 10 ** (_SIGNIFICANT - 1):
        return 0
    return min(10, _SIGNIFICANT - 1 - math.floor(math.log10(a)))


def _with_unit(text: str, unit: str | None) -> str:
    u = plain_unit(unit)
    if not u:
        return text
    return f"{text}{u}" if u in ("%", "°") else f"{text} {u}"


@functools.lru_cache(maxsize=32)
def _babel_locale(locale: str) -> Locale:
    """A parsed Babel locale, kept: Babel parses a locale name again on every call given the name (most of the
    time of formatting a number)."""
    return Locale.parse(locale)


def format_number(x: float | None, unit: str | None = None, *, locale: str = "en", missing: str = BLANK,
                  whole: bool | None = None) -> str:
    """A number for a reader: thousands separated, about three significant figures (whole numbers from 100 up and
    for counted units such as homes, hours, cycles), never an exponent; None and NaN → ``missing``; ±infinity in
    words. ``1819870.4`` → ``1,819,870``; ``17.1379`` → ``17.1``; ``(500.0, "homes")`` → ``500 homes``."""
    v = _finite(x)
    if v is None:
        return missing
    if math.isinf(v):
        return "without limit" if v > 0 else "without limit (negative)"
    counted = (unit in COUNT_UNITS) if whole is None else whole
    decimals = 0 if counted else _decimals(abs(v))
    pattern = "#,##0" + ("." + "#" * decimals if decimals else "")
    with localcontext() as ctx:
        ctx.prec = 400  # room for any float's whole digits (Babel quantizes in the current context)
        text = format_decimal(Decimal(repr(v)), format=pattern, locale=_babel_locale(locale))
    if text in ("-0", "−0"):
        text = "0"
    return _with_unit(text, unit)


def format_count(x: float | None, unit: str | None = None, *, locale: str = "en") -> str:
    """A counted quantity, whole: ``500 homes``, ``200 cycles``."""
    return format_number(x, unit, locale=locale, whole=True)


def format_money(x: float | None, currency: str = "EUR", *, locale: str = "en", per: str | None = None) -> str:
    """An amount of money: ``233,059 EUR``, ``0.248 EUR/kWh`` (``per="kWh"``); None → ``—``."""
    unit = f"{currency}/{per}" if per else currency
    return format_number(x, unit, locale=locale)


def format_share(x: float | None, *, locale: str = "en") -> str:
    """A fraction as a percentage: ``0.123`` → ``12%``, ``0.0123`` → ``1.2%``; None → ``—``."""
    v = _finite(x)
    if v is None or math.isinf(v):
        return BLANK
    pattern = "#,##0%" if abs(v) >= 0.1 or v == 0 else "#,##0.#%"
    return format_percent(Decimal(repr(v)), format=pattern, locale=locale)


def format_years(x: float | None, *, locale: str = "en", never: str | None = None, t: Translate = identity) -> str:
    """A payback time: ``7.4 years``; None, infinity or a negative value → ``never pays back`` (in the language of
    ``t``: ``7,4 lat``)."""
    v = _finite(x)
    if v is None or math.isinf(v) or v < 0:
        return never if never is not None else t(N_("never pays back"))
    return format_number(v, t(N_("years")), locale=locale)


def format_range(p10: float | None, p90: float | None, unit: str | None = None, *, locale: str = "en") -> str:
    """``1,230 – 4,560 MWh/yr`` (low first); ``—`` where either end is missing."""
    a, b = _finite(p10), _finite(p90)
    if a is None or b is None:
        return BLANK
    lo, hi = sorted((a, b))
    return _with_unit(f"{format_number(lo, locale=locale, whole=unit in COUNT_UNITS)} – "
                      f"{format_number(hi, locale=locale, whole=unit in COUNT_UNITS)}", unit)
