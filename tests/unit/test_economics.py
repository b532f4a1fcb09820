"""Life-cycle economics: hand-computed NPV, IRR, discounted payback, LCOE, LCOH, net abatement cost, price base."""

from __future__ import annotations

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kb.replication.cities import CityProfile, Driver
from kb.replication.economics import (
    MeasureFlows,
    annuity,
    cash_flows,
    evaluate,
    internal_rate,
    price_factor,
    replacement_count,
)
from kb.replication.inputs import Input, MeasureType
from kb.replication.simulation import PortfolioInvalid, estimate_measure

A20 = (1 - 1.05 ** -20) / 0.05  # 12.46221 : present value of 1 EUR a year for 20 years at 5 %


def _fixed(key: str, value: float, unit: str = "-", measure: str = "") -> Input:
    return Input.fixed(key, key, value, unit, "reference", "fixture", measure=measure,
                       role="parameter" if measure else "factor")


def _city(year: str = "2024-S2") -> CityProfile:
    drivers = {"pv_yield": 1000.0, "grid_co2": 400.0, "hdd": 3000.0, "electricity_price_household": 0.25,
               "gas_price_household": 0.10}
    return CityProfile("c", "C", drivers={k: Driver(k, v, "", year=year, evidence="reference", source="fixture")
                                          for k, v in drivers.items()})


GENERAL = {"co2_natural_gas": _fixed("co2_natural_gas", 0.2, "kg/kWh"),
           "pef_electricity_fallback": _fixed("pef_electricity_fallback", 1.9),
           "discount_rate": _fixed("discount_rate", 0.05),
           "price_electricity_export": _fixed("price_electricity_export", 0.05, "EUR/kWh"),
           "price_index_2015": _fixed("price_index_2015", 100.0),
           "price_index_2024": _fixed("price_index_2024", 126.07)}

PV = MeasureType("pv", "PV", "pv", "kWp", "electricity", {
    "performance_ratio": _fixed("performance_ratio", 1.0, measure="pv"),
    "capex": _fixed("capex", 1000.0, "EUR/kWp", "pv"), "opex": _fixed("opex", 10.0, "EUR/kWp/yr", "pv"),
    "lifetime": _fixed("lifetime", 20.0, "yr", "pv"), "self_consumption_share": _fixed("self_consumption_share", 0.3,
                                                                                      measure="pv")})
HP = MeasureType("hp", "Heat pumps", "heat_pump", "homes", "natural_gas", {
    "heat_demand": _fixed("heat_demand", 10_000.0, measure="hp"), "reference_hdd": _fixed("reference_hdd", 3000.0,
                                                                                           measure="hp"),
    "scop": _fixed("scop", 3.0, measure="hp"),
    "displaced_efficiency": _fixed("displaced_efficiency", 0.9, measure="hp"),
    "capex": _fixed("capex", 10_000.0, "EUR/homes", "hp"), "opex": _fixed("opex", 100.0, "EUR/homes/yr", "hp"),
    "lifetime": _fixed("lifetime", 20.0, "yr", "hp")})


def test_npv_irr_and_discounted_payback_by_hand() -> None:
    """capex 1,000 EUR, then 200 EUR a year for 10 years, at 5 %:
    annuity factor (1 − 1.05^−10)/0.05 = 7.72173 → NPV = −1,000 + 200 × 7.72173 = 544.35 EUR
    cumulative discounted: year 5 −1,000 + 200 × 4.32948 = −134.10; year 6 −1,000 + 200 × 5.07569 = +15.14
    → discounted payback = 5 + 134.10 / (134.10 + 15.14) = 5.8986 yr (linear within the year)
    IRR: the rate where 200 × annuity(x, 10) = 1,000, 15.098 % (numpy_financial.irr gives the same)."""
    f = MeasureFlows(capex=1000.0, opex=0.0, savings=200.0, co2=1.0, lifetime=10.0)
    out = evaluate([f], 0.05, 1)
    assert out["npv"][0] == pytest.approx(-1000 + 200 * 7.721735, rel=1e-6)
    assert out["npv"][0] == pytest.approx(npf.npv(0.05, [-1000] + [200] * 10))
    assert out["discounted_payback"][0] == pytest.approx(5 + 134.1047 / (134.1047 + 15.1383), rel=1e-4)
    assert out["irr"][0] == pytest.approx(npf.irr([-1000] + [200] * 10), abs=1e-9)
    assert out["irr"][0] == pytest.approx(0.15098, abs=1e-5)


def test_never_recovered_has_no_payback_and_no_irr() -> None:
    """capex 1,000 EUR, 50 EUR a year for 10 years: 500 EUR back in total, the outlay is never recovered."""
    out = evaluate([MeasureFlows(1000.0, 0.0, 50.0, 1.0, 10.0)], 0.05, 1)
    assert out["discounted_payback"][0] == np.inf
    assert out["npv"][0] == pytest.approx(-1000 + 50 * 7.721735, rel=1e-6)
    # IRR of 50 a year against 1,000: negative (about −12.6 %), still found inside the bracket
    assert out["irr"][0] == pytest.approx(npf.irr([-1000] + [50] * 10), abs=1e-9)
    nothing = evaluate([MeasureFlows(1000.0, 10.0, 0.0, 1.0, 10.0)], 0.05, 1)
    assert nothing["irr"][0] == -np.inf and nothing["discounted_payback"][0] == np.inf


def test_replacement_within_the_horizon() -> None:
    """A battery: capex 1,000, net 150 EUR a year for 20 years, its inverter (300 EUR) bought again every 10 years:
    replacements at year 10 only (20 is the end of the horizon): K = (20 − 1) // 10 = 1
    NPV = −1,000 + 150 × 12.46221 − 300 × 1.05^−10 = −1,000 + 1,869.33 − 184.17 = 685.16 EUR."""
    f = MeasureFlows(1000.0, 0.0, 150.0, 1.0, 20.0, replacement_interval=10.0, replacement_capex=300.0)
    assert int(replacement_count(np.array(20), np.array(10.0))) == 1
    out = evaluate([f], 0.05, 1)
    assert out["npv"][0] == pytest.approx(-1000 + 150 * A20 - 300 * 1.05 ** -10, rel=1e-9)
    series = [-1000.0] + [150.0] * 20
    series[10] -= 300
    np.testing.assert_allclose(cash_flows([f], 1)[0], series)
    assert out["npv"][0] == pytest.approx(npf.npv(0.05, series))
    assert out["irr"][0] == pytest.approx(npf.irr(series), abs=1e-9)


def test_pv_lcoe_self_consumption_and_net_abatement_cost() -> None:
    """100 kWp, 1000 kWh/kWp, PR 1 → 100 MWh/yr; 30 % used on site at 0.25 EUR/kWh, 70 % exported at 0.05:
    savings = 100,000 × (0.3 × 0.25 + 0.7 × 0.05) = 100,000 × 0.11 = 11,000 EUR/yr (100 % at retail: 25,000)
    capex 100 × 1,000 = 100,000 EUR (no price year in the unit: not converted); opex 1,000 EUR/yr; 20 yr at 5 %
    NPV = −100,000 + (11,000 − 1,000) × 12.46221 = 24,622.1 EUR
    LCOE = (100,000 + 1,000 × 12.46221) / (100 MWh × 12.46221) = 112,462.2 / 1,246.22 = 90.243 EUR/MWh
    CO2 = 100,000 kWh × 0.4 kg = 40 t/yr; discounted tonnes 40 × 12.46221 = 498.49
    net abatement cost = −24,622.1 / 498.49 = −49.39 EUR/tCO2 (saves money); gross cost per t stays
    (100,000 / 20 + 1,000) / 40 = 150 EUR/t."""
    est = estimate_measure(PV, 100, _city(), GENERAL, samples=50)
    c = {k: m.central for k, m in est.metrics.items()}
    assert c["savings"] == pytest.approx(11_000.0)
    assert c["npv"] == pytest.approx(-100_000 + 10_000 * A20)
    assert c["lcoe"] == pytest.approx((100_000 + 1_000 * A20) / (100 * A20))
    assert c["lcoe"] == pytest.approx(90.243, rel=1e-4)
    assert c["net_abatement_cost"] == pytest.approx(-(-100_000 + 10_000 * A20) / (40 * A20))
    assert c["cost_per_tco2"] == pytest.approx(150.0)
    assert "lcoh" not in est.metrics
    assert est.economics is not None
    assert est.economics["cash_flow_central"]["npv"] == pytest.approx(c["npv"])
    assert any("states no price year" in n for n in est.economics["notes"])
    # a user's discount rate replaces the record's: 0 % makes NPV the plain sum
    zero = estimate_measure(PV, 100, _city(), GENERAL, samples=10, discount_rate=0.0)
    assert zero.metrics["npv"].central == pytest.approx(-100_000 + 10_000 * 20)
    with pytest.raises(PortfolioInvalid, match="discount rate"):
        estimate_measure(PV, 100, _city(), GENERAL, samples=10, discount_rate=0.9)


def test_heat_pump_lcoh_includes_the_electricity_bought() -> None:
    """10 homes × 10,000 kWh heat = 100 MWh/yr; electricity 100 / SCOP 3 = 33.333 MWh × 0.25 = 8,333.33 EUR/yr
    capex 10 × 10,000 = 100,000 EUR; opex 1,000 EUR/yr; 20 yr at 5 %
    LCOH = (100,000 + (1,000 + 8,333.33) × 12.46221) / (100 × 12.46221) = 216,313.98 / 1,246.22 = 173.575 EUR/MWh"""
    est = estimate_measure(HP, 10, _city(), GENERAL, samples=20)
    assert est.metrics["lcoh"].central == pytest.approx((100_000 + (1_000 + 100_000 / 3 * 0.25) * A20) / (100 * A20))
    assert est.metrics["lcoh"].central == pytest.approx(173.575, rel=1e-4)
    assert "lcoe" not in est.metrics


def test_capex_converted_to_the_energy_prices_year() -> None:
    """Capex in EUR2015/homes, prices of 2024: × HICP 126.07 / 100 = 1.2607 → 100,000 × 1.2607 = 126,070 EUR.
    Without an index row for 2015 the capex stays as it is and the notes say so."""
    hp = MeasureType(HP.id, HP.title, HP.model, HP.scale_unit, HP.displaces,
                     {**HP.params, "capex": _fixed("capex", 10_000.0, "EUR2015/homes", "hp")})
    est = estimate_measure(hp, 10, _city(), GENERAL, samples=10)
    assert est.metrics["capex"].central == pytest.approx(126_070.0)
    assert price_factor(2015, 2024, {2015: GENERAL["price_index_2015"], 2024: GENERAL["price_index_2024"]}) \
        == pytest.approx(1.2607)
    assert est.economics is not None and any("EUR2015 × 1.2607" in n for n in est.economics["notes"])
    no_index = {k: v for k, v in GENERAL.items() if k != "price_index_2015"}
    raw = estimate_measure(hp, 10, _city(), no_index, samples=10)
    assert raw.metrics["capex"].central == pytest.approx(100_000.0)
    assert raw.economics is not None and any("not converted" in n for n in raw.economics["notes"])


def test_no_discount_rate_means_no_life_cycle_metrics_with_a_reason() -> None:
    general = {k: v for k, v in GENERAL.items() if k != "discount_rate"}
    est = estimate_measure(PV, 100, _city(), general, samples=10)
    assert "npv" not in est.metrics and "payback" in est.metrics
    reasons = {u["metric"]: u["reason"] for u in est.unavailable}
    assert "--discount-rate" in reasons["npv"]


def test_vectorised_over_samples_matches_one_by_one() -> None:
    rng = np.random.default_rng(1)
    n = 64
    f = MeasureFlows(rng.uniform(500, 1500, n), rng.uniform(0, 20, n), rng.uniform(80, 300, n), 1.0,
                     rng.uniform(8, 25, n), replacement_interval=rng.uniform(5, 12, n),
                     replacement_capex=rng.uniform(0, 200, n))
    rate = rng.uniform(0.0, 0.08, n)
    out = evaluate([f], rate, n)
    cf = cash_flows([f], n)
    for i in range(n):
        assert out["npv"][i] == pytest.approx(npf.npv(rate[i], cf[i]), rel=1e-9, abs=1e-6)
        if np.isfinite(out["irr"][i]):
            assert out["irr"][i] == pytest.approx(npf.irr(cf[i]), abs=1e-7)


@settings(max_examples=60, deadline=None)
@given(capex=st.floats(100, 1e6), net=st.floats(1, 1e5), years=st.integers(1, 60),
       r1=st.floats(0, 0.3), r2=st.floats(0, 0.3))
@example(capex=100.0, net=1.0, years=1, r1=0.0, r2=8.3e-8)  # found in CI: the annuity formula's cancellation
def test_npv_falls_as_the_discount_rate_rises(capex: float, net: float, years: int, r1: float, r2: float) -> None:
    lo, hi = sorted((r1, r2))
    f = MeasureFlows(capex, 0.0, net, 1.0, float(years))
    assert evaluate([f], lo, 1)["npv"][0] >= evaluate([f], hi, 1)["npv"][0] - 1e-9 * capex
    assert float(annuity(lo, years)) >= float(annuity(hi, years)) - 1e-12


@settings(max_examples=60, deadline=None)
@given(capex=st.floats(100, 1e6), ratio=st.floats(0.02, 2.0), years=st.integers(2, 50))
def test_irr_makes_the_npv_zero(capex: float, ratio: float, years: int) -> None:
    cf = np.array([[-capex] + [capex * ratio] * years])
    x = float(internal_rate(cf)[0])
    if np.isfinite(x):
        assert abs(npf.npv(x, cf[0])) <= 1e-6 * capex
