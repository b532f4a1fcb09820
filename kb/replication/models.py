"""The impact models: scale + city drivers + parameters → annual energy deltas by carrier (kWh/yr) and costs.

Every function is vectorised: parameters are numpy arrays of Monte Carlo samples (or scalars), drivers are
scalars. A delta is negative when energy of that carrier is saved or generated, positive when used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64] | float
"""A quantity: Monte Carlo samples (float64) or one number (a fixed input, a central value)."""


@dataclass
class ModelResult:
    """Annual energy deltas by carrier (kWh/yr), capex (EUR), opex (EUR/yr) and model-specific extras."""

    deltas: dict[str, Array]
    capex: Array
    opex: Array
    extra: dict[str, Array] = field(default_factory=dict)


# Which city drivers each model reads, and what for (the error message names the purpose).
MODEL_DRIVERS: dict[str, tuple[tuple[str, str], ...]] = {
    "pv": (("pv_yield", "the PV output per kWp"),),
    "heat_pump": (("hdd", "scaling the reference heat demand to the city's climate"),),
    "retrofit": (("hdd", "scaling the reference heat demand to the city's climate"),),
}

P = Mapping[str, Array]
D = Mapping[str, float]


def pv(scale: Array, p: P, d: D, displaces: str) -> ModelResult:
    """Generation = kWp × city yield (kWh/kWp/yr) × performance ratio × lifetime-average degradation factor."""
    degradation = p.get("degradation", 0.0)
    avg = 1 - np.asarray(degradation) / 100 * (np.asarray(p["lifetime"]) - 1) / 2
    gen = scale * d["pv_yield"] * p["performance_ratio"] * avg
    return ModelResult({"electricity": -gen}, scale * p["capex"], scale * p["opex"], {"generation": gen})


def battery(scale: Array, p: P, d: D, displaces: str) -> ModelResult:
    """Shifted energy = kWh × cycles/yr; the grid balance changes by the losses, throughput × (1/η − 1)."""
    shifted = scale * p["cycles_per_year"]
    losses = shifted * (1 / p["round_trip_efficiency"] - 1)
    return ModelResult({"electricity": losses}, scale * p["capex"], scale * p["opex"], {"shifted": shifted})


def _heat(scale: Array, p: P, d: D) -> Array:
    return scale * p["heat_demand"] * d["hdd"] / p["reference_hdd"]


def heat_pump(scale: Array, p: P, d: D, displaces: str) -> ModelResult:
    """Heat = homes × demand × HDD/HDD_ref; electricity + heat/SCOP; displaced fuel − heat/boiler efficiency."""
    heat = _heat(scale, p, d)
    return ModelResult({"electricity": heat / p["scop"], displaces: -heat / p["displaced_efficiency"]},
                       scale * p["capex"], scale * p["opex"], {"heat": heat})


def heat_recovery(scale: Array, p: P, d: D, displaces: str) -> ModelResult:
    """Heat = kW_th × full-load hours; electricity + heat/SCOP; displaced fuel − heat/boiler efficiency."""
    heat = scale * p["full_load_hours"]
    return ModelResult({"electricity": heat / p["scop"], displaces: -heat / p["displaced_efficiency"]},
                       scale * p["capex"], scale * p["opex"], {"heat": heat})


def retrofit(scale: Array, p: P, d: D, displaces: str) -> ModelResult:
    """Heat saved = homes × demand × HDD/HDD_ref × space-heating share × saving fraction (renovation cuts space
    heating, not hot water); displaced fuel − saved/boiler efficiency."""
    saved = _heat(scale, p, d) * p["space_heating_share"] * p["saving_fraction"]
    return ModelResult({displaces: -saved / p["displaced_efficiency"]}, scale * p["capex"],
                       scale * p.get("opex", 0.0), {"heat": saved})


def ev_charging(scale: Array, p: P, d: D, displaces: str) -> ModelResult:
    """Electricity + points × kWh/point; petrol − only for the additional share of the charged km (km that a
    petrol car would otherwise drive because of this point): km × additional share × ICE kWh/km.

    Capex and opex are the charging points' only: the electric vehicles are outside the measure (their purchase is
    neither costed nor credited), which is why only the additional share of their km counts."""
    elec = scale * p["energy_per_point"]
    km = elec / p["ev_consumption"]
    avoided = km * p["additional_share"]
    return ModelResult({"electricity": elec, displaces: -avoided * p["ice_fuel_consumption"]},
                       scale * p["capex"], scale * p["opex"], {"km": km, "km_avoided": avoided})


def car_sharing(scale: Array, p: P, d: D, displaces: str) -> ModelResult:
    """Behaviour: the members drive fewer private petrol-car km (km avoided per shared car, net of the trips they
    now make by shared car, from an evaluation of the scheme) and the shared electric cars drive their own km."""
    avoided = scale * p["km_avoided_per_shared_car"]
    shared_km = scale * p["km_per_shared_car"]
    return ModelResult({"electricity": shared_km * p["ev_consumption"],
                        displaces: -avoided * p["ice_fuel_consumption"]},
                       scale * p["capex"], scale * p["opex"], {"km": avoided})


def energy_management(scale: Array, p: P, d: D, displaces: str) -> ModelResult:
    """Saved = homes × electricity use × saving fraction (on the displaced carrier, normally electricity)."""
    saved = scale * p["electricity_use"] * p["saving_fraction"]
    return ModelResult({displaces: -saved}, scale * p["capex"], scale * p["opex"])


def green_roof(scale: Array, p: P, d: D, displaces: str) -> ModelResult:
    """Saved = m² × kWh/m²/yr of the displaced carrier."""
    return ModelResult({displaces: -scale * p["energy_saving"]}, scale * p["capex"], scale * p["opex"])


MODELS: dict[str, Callable[[Array, P, D, str], ModelResult]] = {
    "pv": pv, "battery": battery, "heat_pump": heat_pump, "heat_recovery": heat_recovery, "retrofit": retrofit,
    "ev_charging": ev_charging, "car_sharing": car_sharing, "energy_management": energy_management,
    "green_roof": green_roof,
}
