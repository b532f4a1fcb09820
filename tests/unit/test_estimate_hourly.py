"""Estimates hour by hour: a battery replicated alongside PV shows its self-consumption gain, not only its losses."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from ingest.loader import run_ingest
from kb.cli import main
from kb.embeddings import FakeEmbedder
from kb.errors import InvalidInput
from kb.replication.cities import CityProfile, find_city
from kb.replication.hourly import District
from kb.replication.inputs import load_factors, measure_types, reference_inputs
from kb.replication.simulation import Estimate, PortfolioItem, estimate_portfolio, prepare
from kb.replication.solution import estimate_solution, read_solution, solution_items
from kb.store import database

ROOT = Path(__file__).resolve().parents[2]
PV_BATTERY = "ams-schoonschip-pv-heatpumps"  # rooftop PV and home batteries; the record gives no kWp or kWh
SCALES = {"rooftop-pv": 500.0, "battery-storage": 500.0}
N = 300


@pytest.fixture(scope="module")
def bundled_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("hourly-estimate") / "kb.sqlite"
    res = run_ingest(ROOT / "solutions", db, FakeEmbedder(name="fake-hash"))
    assert not res.errors
    return db


@pytest.fixture(scope="module")
def krakow(bundled_db: Path) -> CityProfile:
    return find_city(database.get_engine(bundled_db), "krakow")


def _est(db: Path, city: CityProfile, scales: dict[str, float], **kw: object) -> Estimate:
    return estimate_solution(database.get_engine(db), kw.pop("solution", PV_BATTERY), city, scales,  # type: ignore[arg-type]
                             samples=N, **kw)  # type: ignore[arg-type]


def test_a_battery_alongside_pv_in_krakow_raises_self_consumption_and_earns_money(bundled_db: Path,
                                                                                   krakow: CityProfile) -> None:
    est = _est(bundled_db, krakow, SCALES)
    h = est.hourly
    assert h is not None and not est.hourly_unavailable
    g = h["battery_gain"]
    sc0, sc1 = g["self_consumption"]
    assert 0 < sc0 < sc1 <= 1, "the battery stores PV surplus that would otherwise be exported"
    assert g["annual_import_kwh"][1] < g["annual_import_kwh"][0]
    assert g["annual_export_kwh"][1] < g["annual_export_kwh"][0]
    assert g["delivered_kwh"] < g["charged_kwh"], "round-trip losses"
    assert g["losses_kwh"] == pytest.approx(g["charged_kwh"] - g["delivered_kwh"])
    # cycles come out of the dispatch, not the 200 cycles/yr parameter; at most about one a day
    assert 50 < g["cycles"] <= 366 and g["cycles"] != pytest.approx(200)
    assert g["value_eur"] == pytest.approx(g["delivered_kwh"] * g["retail_price"]
                                           - g["charged_kwh"] * g["export_value"])
    assert g["value_eur"] > 0
    cycles_row = next(r for r in est.assumptions if r["key"] == "cycles_per_year")
    assert cycles_row["note"].startswith("not used: the battery's cycles come out of the hourly dispatch")
    homes = next(r for r in est.assumptions if r["key"] == "homes" and r["role"] == "district")
    assert homes["value"] == h["district"]["homes"] and "model assumption" in homes["source"]


def _portfolio(db: Path, city: CityProfile, scales: dict[str, float], homes: float | None,
               hourly: bool = True) -> Estimate:
    engine = database.get_engine(db)
    types = measure_types(engine)
    district = District(reference_inputs(engine)["electricity_use"], homes) if hourly else None
    return estimate_portfolio([PortfolioItem(types[t], q) for t, q in scales.items()], city, load_factors(engine),
                              samples=N, district=district)


def test_the_battery_adds_exactly_its_dispatched_value_and_losses_to_the_estimate(bundled_db: Path,
                                                                                   krakow: CityProfile) -> None:
    both = _portfolio(bundled_db, krakow, SCALES, None)
    assert both.hourly is not None
    homes = both.hourly["district"]["homes"]
    pv_only = _portfolio(bundled_db, krakow, {"rooftop-pv": 500.0}, homes)
    g = both.hourly["battery_gain"]
    savings = both.metrics["savings"].central - pv_only.metrics["savings"].central
    assert savings == pytest.approx(g["value_eur"], rel=1e-9)
    elec = both.metrics["electricity"].central - pv_only.metrics["electricity"].central
    assert elec == pytest.approx(g["losses_kwh"] / 1e3, rel=1e-9), "the grid balance changes by the losses only"
    # the annual model, by contrast, shows the battery only as a cost (its losses at the retail price)
    annual = _portfolio(bundled_db, krakow, SCALES, None, hourly=False)
    annual_pv = _portfolio(bundled_db, krakow, {"rooftop-pv": 500.0}, None, hourly=False)
    assert annual.hourly is None
    assert annual.metrics["savings"].central - annual_pv.metrics["savings"].central < 0


def test_the_grid_of_dispatch_runs_matches_an_exact_dispatch_of_each_draw(bundled_db: Path,
                                                                          krakow: CityProfile) -> None:
    engine = database.get_engine(bundled_db)
    si = read_solution(engine, PV_BATTERY)
    district = District(reference_inputs(engine)["electricity_use"])
    plan = prepare(solution_items(si, SCALES), krakow, load_factors(engine), district=district)
    values = plan.values(400, 7)
    model, _ = plan.hourly_model()
    assert model is not None
    pv, hp, ev, rte, cap = plan._hourly_scalars(plan._runs(values), values, {})
    grid = model.adjust(pv, hp, ev, rte, cap, 400)
    pick = np.arange(0, 400, 40)
    p2l, ch, de, cy = model._outputs(np.asarray(pv)[pick], np.zeros(pick.size), np.zeros(pick.size),
                                     np.asarray(rte)[pick], cap)
    assert model.grid is not None and model.grid.runs <= 15
    for exact, approx in ((p2l, grid["pv_to_load"]), (ch, grid["charged"]), (de, grid["delivered"]),
                          (cy, grid["cycles"])):
        assert np.allclose(approx[pick], exact, rtol=5e-3), "linear interpolation within 0.5 % of the exact run"


def test_json_carries_the_kpis_and_the_ped_classification(bundled_db: Path, capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    assert main(["estimate", PV_BATTERY, "--db", str(bundled_db), "--city", "krakow", "--scale", "rooftop-pv=500",
                 "--scale", "battery-storage=500", "--samples", "200", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    h = data["hourly"]
    assert {"self_consumption", "self_sufficiency", "peak_import_kw", "hours_of_net_import"} <= set(h["kpis"])
    assert {d["key"] for d in h["ped"]["definitions"]} == {"annual_primary_energy", "annual_net_zero_co2", "dynamic",
                                                           "autonomous", "virtual"}
    assert "reference district" in h["ped"]["boundary"]
    r = h["kpi_ranges"]["self_consumption"]
    assert r["p10"] <= r["p50"] <= r["p90"]
    assert len(h["weeks"]["winter"]["load"]) == 168 and len(h["monthly_kwh"]["import"]) == 12
    assert main(["estimate", PV_BATTERY, "--db", str(bundled_db), "--city", "krakow", "--scale", "rooftop-pv=500",
                 "--scale", "battery-storage=500", "--samples", "200", "--homes", "40"]) == 0
    out = capsys.readouterr().out
    assert "reference district of 40 homes (entered by the user)" in out and "the battery: self-consumption" in out


def test_homes_entered_change_the_district_and_below_one_are_refused(bundled_db: Path, krakow: CityProfile) -> None:
    small = _est(bundled_db, krakow, SCALES, homes=40)
    large = _est(bundled_db, krakow, SCALES, homes=400)
    assert small.hourly is not None and large.hourly is not None
    d = small.hourly["district"]
    assert (d["homes"], d["homes_source"]) == (40.0, "entered by the user")
    # more homes use more of the same PV output directly
    assert large.hourly["kpis"]["self_consumption"] > small.hourly["kpis"]["self_consumption"]
    with pytest.raises(InvalidInput, match="homes in the reference district: 0.5 is outside the allowed range"):
        _est(bundled_db, krakow, SCALES, homes=0.5)


def test_pv_self_consumption_comes_from_the_dispatch_and_the_parameter_is_marked_unused(bundled_db: Path,
                                                                                        krakow: CityProfile) -> None:
    est = _est(bundled_db, krakow, {"rooftop-pv": 400.0}, solution="ams-republica-pv")
    assert est.hourly is not None and "battery_gain" not in est.hourly
    row = next(r for r in est.assumptions if r["key"] == "self_consumption_share")
    assert row["note"].startswith("not used: the self-consumed share comes out of the hourly dispatch")
    annual = _est(bundled_db, krakow, {"rooftop-pv": 400.0}, solution="ams-republica-pv", hourly=False)
    assert est.metrics["savings"].central != pytest.approx(annual.metrics["savings"].central)
    assert est.metrics["electricity"].central == pytest.approx(annual.metrics["electricity"].central), \
        "generation itself does not depend on when it is used"


def test_a_battery_without_pv_keeps_the_annual_model_and_says_why(bundled_db: Path, krakow: CityProfile) -> None:
    est = _est(bundled_db, krakow, {"battery-storage": 500.0}, solution="bio-iberdrola-storage")
    assert est.hourly is None
    assert "charges only from PV surplus" in est.hourly_unavailable
    assert any("charges only from PV surplus" in w for w in est.warnings)


def test_heat_pumps_alone_are_dispatched_in_their_own_homes(bundled_db: Path, krakow: CityProfile) -> None:
    est = _est(bundled_db, krakow, {}, solution="ams-schoonschip-canal-heat")
    assert est.hourly is not None
    cases = est.hourly["cases"]
    assert est.hourly["district"]["homes"] == 46 and "heat pumps' homes" in est.hourly["district"]["homes_source"]
    assert cases["with_measures"]["peak_import_kw"] > cases["before"]["peak_import_kw"], "heat pumps add to the peak"


def test_a_city_without_monthly_climate_gets_the_annual_model_with_the_reason(bundled_db: Path,
                                                                              krakow: CityProfile) -> None:
    bare = replace(krakow, drivers={k: d for k, d in krakow.drivers.items()
                                    if not k.startswith(("ghi_", "temp_", "dhi_"))})
    est = _est(bundled_db, bare, SCALES)
    assert est.hourly is None and "has no monthly climate" in est.hourly_unavailable
