"""One declared factor basis per estimate: national PEFs or labelled fallbacks, basis switch, driver ranges, guards."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import Engine

from ingest.loader import run_ingest
from kb.embeddings import FakeEmbedder
from kb.replication.cities import CityInvalid, CityProfile, Driver, city_from_dict, find_city
from kb.replication.factors import FactorBasis, FactorBasisInvalid, carrier_factors
from kb.replication.inputs import Input, MeasureType, load_factors
from kb.replication.simulation import PortfolioItem, estimate_measure, estimate_portfolio
from kb.store import database

SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions"

ATELIER = ("amsterdam", "bilbao", "bratislava", "budapest", "copenhagen", "krakow", "matosinhos", "riga")


def _f(key: str, v: float) -> Input:
    return Input(key, key, v, v, v, "-", "reference", "fixture", role="factor")


GENERAL = {"co2_natural_gas": _f("co2_natural_gas", 0.202), "co2_natural_gas_lifecycle":
           _f("co2_natural_gas_lifecycle", 0.2355), "pef_natural_gas": _f("pef_natural_gas", 1.19),
           "pef_electricity_fallback": _f("pef_electricity_fallback", 1.9), "co2_petrol": _f("co2_petrol", 0.2519)}


def _p(key: str, low: float, mid: float, high: float, measure: str) -> Input:
    return Input(key, key, low, mid, high, "-", "reference", "fixture", measure=measure)


RETRO = MeasureType("retro", "Retrofit", "retrofit", "homes", "natural_gas", {
    k: _p(k, v, v, v, "retro") for k, v in {"heat_demand": 10000, "reference_hdd": 3000, "saving_fraction": 0.5,
                                            "space_heating_share": 1.0,  # all heat is space heat here
                                            "displaced_efficiency": 1.0, "capex": 30000, "lifetime": 30}.items()})
PV = MeasureType("pv", "PV", "pv", "kWp", "electricity", {
    k: _p(k, v, v, v, "pv") for k, v in {"performance_ratio": 0.9, "capex": 900, "opex": 10, "lifetime": 30}.items()})
EV = MeasureType("ev", "EV charging", "ev_charging", "points", "petrol", {
    k: _p(k, v, v, v, "ev") for k, v in {"energy_per_point": 5000, "ev_consumption": 0.2,
                                         "ice_fuel_consumption": 0.7, "additional_share": 1.0, "capex": 5000,
                                         "opex": 100,
                                         "lifetime": 10}.items()})


def city(**drivers: Driver | float) -> CityProfile:
    base: dict[str, Driver | float] = {"hdd": 3000, "pv_yield": 1000, "grid_co2": 400,
                                       "electricity_price_household": 0.25, "gas_price_household": 0.09, **drivers}
    return CityProfile("c", "C", drivers={k: v if isinstance(v, Driver) else Driver(k, v, "", evidence="reference",
                                                                                    source="fixture")
                                          for k, v in base.items()})


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    db = tmp_path_factory.mktemp("corpus") / "kb.sqlite"
    result = run_ingest(SOLUTIONS, db, FakeEmbedder())
    assert not result.errors, "\n".join(str(e) for e in result.errors)
    return database.get_engine(db)


@pytest.mark.parametrize("cid", ATELIER)
@pytest.mark.parametrize("pef", ["non-renewable", "total"])
def test_every_atelier_country_has_a_sourced_national_pef_or_a_labelled_fallback(engine: Engine, cid: str,
                                                                                  pef: str) -> None:
    c = find_city(engine, cid)
    cf = carrier_factors(c, load_factors(engine), {"electricity", "natural_gas"}, basis=FactorBasis(pef=pef))
    for carrier in ("electricity", "natural_gas"):
        row = cf.pef[carrier].input
        national = row.source.startswith(f"{cid} S") and f"basis: {pef}" in row.note
        assert national or ("FALLBACK" in row.name and "FALLBACK" in row.note), (cid, carrier, row)


def test_switching_the_basis_changes_the_gas_co2_as_computed_by_hand() -> None:
    # 10 homes × 10,000 kWh × 3000/3000 × 0.5 saved / efficiency 1.0 = 50,000 kWh of gas saved a year.
    # life-cycle: 50,000 × 0.2355 = 11,775 kg = 11.775 t; direct: 50,000 × 0.202 = 10.1 t
    life = estimate_measure(RETRO, 10, city(), GENERAL, samples=10)
    direct = estimate_measure(RETRO, 10, city(), GENERAL, samples=10, basis=FactorBasis(co2="direct"))
    assert life.metrics["co2_avoided"].central == pytest.approx(11.775)
    assert direct.metrics["co2_avoided"].central == pytest.approx(10.1)
    assert life.factor_basis["co2"] == "life-cycle" and direct.to_dict()["factor_basis"]["co2"] == "direct"


def test_an_unknown_basis_is_refused_with_the_allowed_ones() -> None:
    with pytest.raises(FactorBasisInvalid, match="life-cycle, direct"):
        FactorBasis(co2="scope-1")


@pytest.mark.parametrize("basis", [FactorBasis(), FactorBasis("direct", "total")])
def test_no_estimate_mixes_bases_silently(basis: FactorBasis) -> None:
    est = estimate_portfolio([PortfolioItem(PV, 10), PortfolioItem(RETRO, 5), PortfolioItem(EV, 2)], city(),
                             GENERAL, samples=10, basis=basis)
    co2_rows = [a for a in est.assumptions if a["key"].startswith(("co2_", "grid_co2"))]
    assert len(co2_rows) == 3  # grid, gas, petrol
    for a in co2_rows:
        assert f"basis: {basis.co2}" in a["note"] or "FALLBACK" in a["note"], a
    # direct grid CO2 has no source: a labelled fallback, listed in the basis notes
    if basis.co2 == "direct":
        assert any("FALLBACK: direct factor for electricity" in n for n in est.factor_basis["notes"])


def test_a_petrol_measure_keeps_primary_energy_for_the_portfolio_and_says_what_is_left_out() -> None:
    est = estimate_portfolio([PortfolioItem(PV, 10), PortfolioItem(EV, 2)], city(), GENERAL, samples=10)
    assert "primary_energy_saved" in est.metrics
    # PV: 10 kWp × 1000 × 0.9 = 9,000 kWh saved; EV: 2 × 5,000 = 10,000 kWh added; net +1,000 kWh × 1.9 = 1.9 MWh
    assert est.metrics["primary_energy_saved"].central == pytest.approx(-1.9)
    assert any("leaves out petrol" in n for n in est.factor_basis["notes"])


def test_driver_ranges_are_sampled_and_the_central_value_is_unchanged() -> None:
    ranged = Driver("grid_co2", 400, "g/kWh", evidence="reference", source="fixture", low=300, high=500)
    fixed = estimate_measure(PV, 10, city(), GENERAL, samples=2000)
    est = estimate_measure(PV, 10, city(grid_co2=ranged), GENERAL, samples=2000)
    m = est.metrics["co2_avoided"]
    assert m.p10 < m.p50 < m.p90
    assert m.central == pytest.approx(fixed.metrics["co2_avoided"].central)  # 9,000 kWh × 0.4 = 3.6 t


def test_a_ranged_pv_yield_reaches_the_model() -> None:
    y = Driver("pv_yield", 1000, "kWh/kWp/yr", evidence="estimate", source="fixture", low=950, high=1180)
    est = estimate_measure(PV, 10, city(pv_yield=y), GENERAL, samples=2000)
    m = est.metrics["electricity"]
    assert m.p10 < m.p50 < m.p90 and m.central == pytest.approx(-9.0)


def test_the_bundled_krakow_record_gives_ranges_and_the_district_heat_pef(engine: Engine) -> None:
    k = find_city(engine, "krakow")
    g = k.drivers["grid_co2"]
    assert g.value == 614.98 and g.low == 565 and g.high == 614.98
    assert k.drivers["pef_district_heat_nren"].value == 0.8


@pytest.mark.parametrize("raw", [1e308, float("nan"), "nan", "inf", -5])
def test_a_user_driver_outside_its_bounds_is_refused_with_the_field_and_range(raw: object) -> None:
    with pytest.raises(CityInvalid) as err:
        city().with_drivers({"grid_co2": cast(float, raw)})
    assert "grid_co2" in str(err.value) and "2,000" in str(err.value)


def test_a_driver_range_out_of_order_or_out_of_bounds_is_refused() -> None:
    with pytest.raises(CityInvalid, match="increasing order"):
        city_from_dict({"name": "X", "drivers": {"grid_co2": {"value": 400, "low": 500, "high": 600}}})
    with pytest.raises(CityInvalid, match=r"grid_co2.*\(high\)"):
        city_from_dict({"name": "X", "drivers": {"grid_co2": {"value": 400, "low": 300, "high": 1e308}}})
