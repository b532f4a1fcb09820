"""Controlled vocabularies of the record format: kinds, evidence levels, units, drivers and model keys."""

from __future__ import annotations

import re

KINDS: tuple[str, ...] = ("solution", "city", "measure_type", "lesson")
EVIDENCE_LEVELS: tuple[str, ...] = ("measured", "installed", "design", "target", "estimate", "reference")
CATEGORIES: tuple[str, ...] = (
    "storage", "smart-grid", "solar", "heating-cooling", "geothermal", "aquathermal", "water", "mobility",
    "buildings", "circular", "engagement", "governance", "market", "planning", "monitoring",
)
STATUSES: tuple[str, ...] = ("concept", "planned", "under-construction", "operational", "completed", "dropped")
SCOPES: tuple[str, ...] = ("lighthouse", "fellow-city-plan", "project")
BARRIER_TYPES: tuple[str, ...] = ("regulatory", "financial", "social", "technical", "organisational", "market")
PHASES: tuple[str, ...] = (
    "planning", "permitting", "financing", "procurement", "construction", "operation", "engagement",
)
OUTCOMES: tuple[str, ...] = ("worked", "partly", "failed")
BARRIER_OUTCOMES: tuple[str, ...] = (*OUTCOMES, "open")
LESSON_STATUSES: tuple[str, ...] = ("draft", "in-review", "published", "archived")
CITY_ROLES: tuple[str, ...] = ("lighthouse", "fellow", "other")
CARRIERS: tuple[str, ...] = ("electricity", "natural_gas", "district_heat", "petrol")

SECTIONS: dict[str, tuple[str, ...]] = {
    "solution": ("Summary", "Measures", "Costs", "Barriers", "Results", "Lessons learned", "Replication notes"),
    "city": ("Summary", "Drivers", "Energy system", "Notes"),
    "measure_type": ("Summary", "Parameters", "Preconditions", "Notes"),
    "lesson": ("Summary", "What happened", "What was tried", "Outcome", "Applies when"),
}

# Impact models: required parameter keys (see solutions/README.md section 6).
MODEL_KEYS: dict[str, tuple[str, ...]] = {
    "pv": ("performance_ratio", "capex", "opex", "lifetime"),
    "battery": ("round_trip_efficiency", "cycles_per_year", "capex", "opex", "lifetime"),
    "heat_pump": ("heat_demand", "reference_hdd", "scop", "displaced_efficiency", "capex", "opex", "lifetime"),
    "heat_recovery": ("full_load_hours", "scop", "displaced_efficiency", "capex", "opex", "lifetime"),
    "retrofit": ("heat_demand", "space_heating_share", "reference_hdd", "saving_fraction", "displaced_efficiency",
                 "capex", "lifetime"),
    "ev_charging": ("energy_per_point", "additional_share", "ev_consumption", "ice_fuel_consumption", "capex", "opex",
                    "lifetime"),
    "car_sharing": (
        "km_per_shared_car", "km_avoided_per_shared_car", "ev_consumption", "ice_fuel_consumption", "capex", "opex",
        "lifetime",
    ),
    "energy_management": ("electricity_use", "saving_fraction", "capex", "opex", "lifetime"),
    "green_roof": ("energy_saving", "capex", "opex", "lifetime"),
    "factors": (),
}

# Source-site output figures in a solution record (see solutions/README.md section 6, "Calibration rules").
# A figure keyed with a CALIBRATING key is the same physical quantity as a model output (a carrier flow or the
# capex of the modelled energy works) and may calibrate the estimate, but only when its evidence is one of
# CALIBRATION_EVIDENCE. A figure keyed with a REPORTED key (a derived metric: CO2, primary energy, NOx, savings;
# or a capex budget that is only designed or announced) is shown beside the model as "reported at the source" and
# never scales anything. A total that includes non-energy works (structural works, lifts, paving, a whole
# programme) is not the model's capex: key it NON_ENERGY_TOTAL_KEY (shown among the keyed rows, never compared).
CALIBRATING_OUTPUT_KEYS: tuple[str, ...] = (*CARRIERS, "capex_total")
REPORTED_OUTPUT_KEYS: tuple[str, ...] = ("co2", "primary_energy", "nox", "savings", "capex_budget")
CALIBRATION_EVIDENCE: tuple[str, ...] = ("measured", "installed")
NON_ENERGY_TOTAL_KEY = "investment_total_incl_non_energy"

DRIVER_KEYS: dict[str, str] = {
    "population": "persons", "area": "km2", "latitude": "deg", "longitude": "deg",
    "hdd": "K·d", "cdd": "K·d", "hdd_local": "K·d", "cdd_local": "K·d", "ghi": "kWh/m2/yr",
    "pv_yield": "kWh/kWp/yr", "grid_co2": "g/kWh", "grid_co2_consumption": "g/kWh",
    "pef_electricity": "kWh/kWh", "pef_natural_gas": "kWh/kWh",
    "grid_co2_direct": "g/kWh", "pef_electricity_nren": "kWh/kWh", "pef_electricity_total": "kWh/kWh",
    "pef_natural_gas_nren": "kWh/kWh", "pef_natural_gas_total": "kWh/kWh", "co2_district_heat": "g/kWh",
    "pef_district_heat_nren": "kWh/kWh", "pef_district_heat_total": "kWh/kWh", "district_heat_price": "EUR/kWh",
    "electricity_price_household": "EUR/kWh", "electricity_price_non_household": "EUR/kWh",
    "gas_price_household": "EUR/kWh", "gas_price_non_household": "EUR/kWh",
    "district_heating_share": "%", "district_heating_share_city": "%", "gdp_per_capita_index": "EU27=100",
}

UNIT_ATOMS: frozenset[str] = frozenset(
    """EUR € W kW MW GW Wp kWp MWp kW_th kW_el MW_th MW_el Wh kWh MWh GWh TWh kWh_el kWh_th kWh_PE MWh_PE GJ PJ TJ
    g kg t kt Mt gCO2 kgCO2 tCO2 CO2 CO2e NOx mm cm m km m2 m² km2 km² ha m3 m³ s h d day days yr year years month
    months K K·d Kd °C degC deg count homes dwellings households persons residents buildings cars vehicles bikes
    points chargers panels units sites boreholes wells cycles trips participants organisations cities letters
    partners countries arks systems connections applications rooms places firms lofts proposals shared_car
    private_car - % ratio fraction index EU27=100 PPS kWh/kWh l L""".split()
)
_EUR_YEAR = re.compile(r"^EUR(19|20)\d\d$")
_UNIT_SPLIT = re.compile(r"[/·*\s]+")


def unit_is_known(unit: str) -> bool:
    """True when every atom of a composite unit (``EUR/kWp/yr``) is in the accepted list."""
    unit = unit.strip()
    if not unit:
        return False
    if unit in UNIT_ATOMS:
        return True
    atoms = [a for a in _UNIT_SPLIT.split(unit.replace("(", " ").replace(")", " ")) if a]
    if not atoms:
        return False
    return all(a in UNIT_ATOMS or _EUR_YEAR.match(a) or a.isdigit() for a in atoms)


# \A and \Z, not ^ and $: '$' also matches before a trailing newline, so "abc\n" would pass. Match with fullmatch.
ID_PATTERN = re.compile(r"\A[a-z0-9][a-z0-9-]{0,99}\Z")
SOURCE_ID_PATTERN = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9_.-]{0,39}\Z")
