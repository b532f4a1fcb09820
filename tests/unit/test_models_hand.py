"""Hand-computed cases, one per impact model (fixed parameters, arithmetic in comments), and one heat basis in plans."""

from __future__ import annotations

import numpy as np
import pytest

from kb.plans.evaluate import PlanContext, run_plan
from kb.plans.model import Figure, PlanMeasure, PlanSpec
from kb.replication import models
from kb.replication.cities import CityProfile, Driver
from kb.replication.inputs import Input, MeasureType


def _f(x: models.Array) -> float:
    return float(np.asarray(x))


def test_pv() -> None:
    # 100 kWp × 1000 kWh/kWp × 0.9 × (1 − 0.5/100 × (30 − 1)/2 = 0.9275) = 83,475 kWh generated
    r = models.pv(100, {"performance_ratio": 0.9, "capex": 800, "opex": 10, "lifetime": 30, "degradation": 0.5},
                  {"pv_yield": 1000}, "electricity")
    assert _f(r.deltas["electricity"]) == pytest.approx(-83_475)
    assert _f(r.capex) == pytest.approx(80_000) and _f(r.opex) == pytest.approx(1_000)  # 100 × 800; 100 × 10


def test_battery() -> None:
    # 500 kWh × 200 cycles = 100,000 kWh shifted; losses 100,000 × (1/0.9 − 1) = 11,111 kWh more from the grid
    r = models.battery(500, {"round_trip_efficiency": 0.9, "cycles_per_year": 200, "capex": 390, "opex": 0.7,
                             "lifetime": 20}, {}, "electricity")
    assert _f(r.deltas["electricity"]) == pytest.approx(11_111.111, rel=1e-6)
    assert _f(r.capex) == pytest.approx(195_000) and _f(r.opex) == pytest.approx(350)


def test_heat_pump() -> None:
    # heat = 10 homes × 12,000 × 2500/3000 = 100,000 kWh; electricity 100,000/4 = 25,000; gas −100,000/0.9
    r = models.heat_pump(10, {"heat_demand": 12_000, "reference_hdd": 3000, "scop": 4, "displaced_efficiency": 0.9,
                              "capex": 10_000, "opex": 100, "lifetime": 20}, {"hdd": 2500}, "natural_gas")
    assert _f(r.deltas["electricity"]) == pytest.approx(25_000)
    assert _f(r.deltas["natural_gas"]) == pytest.approx(-111_111.111, rel=1e-6)
    assert _f(r.capex) == pytest.approx(100_000)


def test_heat_recovery() -> None:
    # heat = 200 kW_th × 3000 h = 600,000 kWh; electricity 600,000/4.5 = 133,333; gas −600,000/0.95 = −631,579
    r = models.heat_recovery(200, {"full_load_hours": 3000, "scop": 4.5, "displaced_efficiency": 0.95,
                                   "capex": 1237, "opex": 20, "lifetime": 20}, {}, "natural_gas")
    assert _f(r.deltas["electricity"]) == pytest.approx(133_333.333, rel=1e-6)
    assert _f(r.deltas["natural_gas"]) == pytest.approx(-631_578.947, rel=1e-6)
    assert _f(r.capex) == pytest.approx(247_400)


def test_retrofit_saves_space_heating_only() -> None:
    # heat = 42 homes × 14,000 × 3056/3056 = 588,000 kWh; space heating 588,000 × 0.817 = 480,396 kWh
    # saved 480,396 × 0.6 = 288,237.6 kWh heat; gas −288,237.6 / 0.9375 = −307,453.44 kWh
    # (before issue 15 the saving was applied to hot water too: 588,000 × 0.6 / 0.9375 = 376,320 kWh)
    r = models.retrofit(42, {"heat_demand": 14_000, "space_heating_share": 0.817, "reference_hdd": 3056,
                             "saving_fraction": 0.6, "displaced_efficiency": 0.9375, "capex": 36_015,
                             "lifetime": 30}, {"hdd": 3056}, "natural_gas")
    assert _f(r.deltas["natural_gas"]) == pytest.approx(-307_453.44, rel=1e-9)
    assert _f(r.capex) == pytest.approx(42 * 36_015)  # 1,512,630 EUR: the per-home capex, not the €12 M total


def test_ev_charging_counts_only_the_additional_share() -> None:
    # 10 points × 2,138 kWh = 21,380 kWh; ÷ 0.21 kWh/km = 101,809.5 km charged; × 0.4 additional = 40,723.8 km
    # petrol avoided 40,723.8 × 0.7781 = 31,687.2 kWh (all km credited would be 79,218 kWh)
    r = models.ev_charging(10, {"energy_per_point": 2138, "additional_share": 0.4, "ev_consumption": 0.21,
                                "ice_fuel_consumption": 0.7781, "capex": 1126, "opex": 18, "lifetime": 30},
                           {}, "petrol")
    assert _f(r.deltas["electricity"]) == pytest.approx(21_380)
    assert _f(r.deltas["petrol"]) == pytest.approx(-21_380 / 0.21 * 0.4 * 0.7781, rel=1e-12)
    assert _f(r.deltas["petrol"]) == pytest.approx(-31_687.2, rel=1e-5)
    assert _f(r.capex) == pytest.approx(11_260)  # the points only: vehicles are outside the measure


def test_car_sharing_from_km_no_longer_driven() -> None:
    # 4 shared cars × 6,000 km avoided = 24,000 km × 0.7781 = 18,674.4 kWh petrol saved
    # shared km 4 × 15,000 = 60,000 km × 0.21 = 12,600 kWh electricity
    # (the old model: 4 × 14.5 cars × 13,800 km × 0.7781 = 622,791 kWh petrol, 33 times more)
    r = models.car_sharing(4, {"km_avoided_per_shared_car": 6000, "km_per_shared_car": 15_000,
                               "ev_consumption": 0.21, "ice_fuel_consumption": 0.7781, "capex": 28_812,
                               "opex": 259, "lifetime": 15}, {}, "petrol")
    assert _f(r.deltas["petrol"]) == pytest.approx(-18_674.4)
    assert _f(r.deltas["electricity"]) == pytest.approx(12_600)
    assert _f(r.capex) == pytest.approx(115_248) and _f(r.opex) == pytest.approx(1_036)


def test_energy_management() -> None:
    # 46 homes × 3,600 kWh × 0.08 = 13,248 kWh saved
    r = models.energy_management(46, {"electricity_use": 3600, "saving_fraction": 0.08, "capex": 225, "opex": 3.6,
                                      "lifetime": 12.5}, {}, "electricity")
    assert _f(r.deltas["electricity"]) == pytest.approx(-13_248)
    assert _f(r.capex) == pytest.approx(10_350) and _f(r.opex) == pytest.approx(165.6)


def test_green_roof() -> None:
    # 1,000 m² × 10.08 kWh/m² = 10,080 kWh gas saved; capex 1,000 × 30
    r = models.green_roof(1000, {"energy_saving": 10.08, "capex": 30, "opex": 0.5, "lifetime": 40}, {},
                          "natural_gas")
    assert _f(r.deltas["natural_gas"]) == pytest.approx(-10_080)
    assert _f(r.capex) == pytest.approx(30_000) and _f(r.opex) == pytest.approx(500)


# --- one heat basis in a district plan -------------------------------------------------------------------------

def _fixed(measure: str, **values: float) -> dict[str, Input]:
    return {k: Input.fixed(k, k, v, "-", "reference", "test", measure=measure) for k, v in values.items()}


RETRO = MeasureType("retro", "retro", "retrofit", "homes", "natural_gas", _fixed(
    "retro", heat_demand=14_000, space_heating_share=0.8, reference_hdd=3000, saving_fraction=0.6,
    displaced_efficiency=0.9, capex=36_000, lifetime=30))
REFERENCE = {k: Input.fixed(k, k, v, "-", "reference", "test", role="reference")
             for k, v in (("heat_intensity", 112), ("reference_hdd", 3000), ("electricity_use", 3600),
                          ("boiler_efficiency", 0.9))}


def _ctx() -> PlanContext:
    drivers = {k: Driver(k, v, "", evidence="reference", source="test")
               for k, v in (("hdd", 3000), ("grid_co2", 500), ("pef_electricity", 2.0),
                            ("electricity_price_household", 0.25), ("gas_price_household", 0.08))}
    general = {k: Input.fixed(k, k, v, "kWh/kWh", "reference", "test", role="factor")
               for k, v in (("co2_natural_gas", 0.2), ("pef_natural_gas", 1.1))}
    return PlanContext(CityProfile("testville", "Testville", "XX", (), "other", drivers), {"retro": RETRO},
                       general, REFERENCE)


def test_a_retrofitted_home_saves_its_share_of_its_own_baseline_heat() -> None:
    """500 homes on 40,000 m² (80 m² each, as in the Budapest example) at 112 kWh/m²: 8,960 kWh of heat per home.
    Retrofitting all 500 saves space-heating share × saving fraction of it: 0.8 × 0.6 = 48 %, never more (with the
    type's 14,000 kWh per home the saving would be 14,000 × 0.8 × 0.6 = 6,720 kWh = 75 % of the home's heat; without
    the space-heating split 14,000 × 0.6 = 8,400 kWh = 94 %)."""
    spec = PlanSpec("D", "testville", homes=Figure.of(500), floor_area={"residential": Figure.of(40_000, "m2")},
                    heating={"natural_gas": Figure.of(1.0)}, samples=20,
                    measures=[PlanMeasure("retro", Figure.of(500))])
    d = run_plan(spec, _ctx()).to_dict()
    # baseline gas = 40,000 × 112 / 0.9 = 4,977,777.8 kWh; saved = 500 × 8,960 × 0.8 × 0.6 / 0.9 = 2,389,333.3 kWh
    gas = d["by_carrier"]["natural_gas"]
    assert gas["baseline"]["p50"] == pytest.approx(4_977.7778, rel=1e-6)
    assert gas["net"]["p50"] == pytest.approx(4_977.7778 - 2_389.3333, rel=1e-6)
    assert 1 - gas["net"]["p50"] / gas["baseline"]["p50"] == pytest.approx(0.48)
    heat = next(a for a in d["assumptions"] if a["key"] == "heat_demand" and a["measure"] == "retro")
    assert heat["value"] == pytest.approx(8_960) and "40000 m² ÷ 500 homes" in heat["name"]
    assert any("same basis as the heat baseline" in n for n in d["notes"])
