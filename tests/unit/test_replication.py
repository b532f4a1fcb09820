"""Replication: hand-computed estimates (arithmetic written out), identity, site overrides, cities, fit, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.cli import main
from kb.embeddings import FakeEmbedder
from kb.replication.cities import (
    CityNotFound,
    DriverMissing,
    city_from_dict,
    city_from_file,
    compare,
    find_city,
    list_cities,
)
from kb.replication.fit import match
from kb.replication.inputs import convert, load_factors, load_measure_type
from kb.replication.simulation import ScaleMissing, estimate_measure
from kb.replication.solution import NoImpactModel, estimate_solution
from kb.store import database
from tests.factories import REPLICATION_FIXTURES, build_replication_db


@pytest.fixture
def rep_db(tmp_path: Path) -> Path:
    return build_replication_db(tmp_path)


@pytest.fixture
def engine(rep_db: Path):  # type: ignore[no-untyped-def]
    return database.get_engine(rep_db)


# --- cities -------------------------------------------------------------------------------------------------

def test_city_lookup_is_case_and_accent_insensitive(engine) -> None:  # type: ignore[no-untyped-def]
    for name in ("testville", "TESTVILLE", "Tëstville", "testvile", "tëstvillE "):
        assert find_city(engine, name).id == "testville"
    assert find_city(engine, "sunville").name == "Sünville"
    with pytest.raises(CityNotFound, match="known: nosun, sunville, testville"):
        find_city(engine, "atlantis")


def test_city_profile_drivers_sources_and_missing(engine) -> None:  # type: ignore[no-untyped-def]
    t = find_city(engine, "testville")
    assert t.value("pv_yield") == 1000 and t.drivers["pv_yield"].evidence == "estimate"
    assert t.drivers["grid_co2"].source == "testville S1: Fixture statistics"
    assert "pef_electricity" in t.missing and "grid_co2" not in t.missing
    assert [c.id for c in list_cities(engine)] == ["nosun", "sunville", "testville"]


def test_user_defined_city_from_dict_file_and_fill(engine) -> None:  # type: ignore[no-untyped-def]
    mine = city_from_dict({"name": "Mój Gród", "drivers": {"pv_yield": 1100, "grid_co2": {"value": 700,
                                                                                          "source": "my utility"}}})
    assert mine.user_defined and mine.id == "moj-grod" and mine.value("pv_yield") == 1100
    assert mine.drivers["grid_co2"].source == "my utility"
    with pytest.raises(ValueError, match="unknown driver 'sunshine'"):
        city_from_dict({"name": "x", "drivers": {"sunshine": 3}})
    f = city_from_file(REPLICATION_FIXTURES / "cities" / "sunville.md")
    assert f.user_defined and f.value("grid_co2") == 800 and f.drivers["hdd"].source.startswith("sunville S1")
    nosun = find_city(engine, "nosun").with_drivers({"pv_yield": 900})
    assert nosun.value("pv_yield") == 900 and nosun.drivers["pv_yield"].source == "entered by the user"
    rows = {r["key"]: r for r in compare(find_city(engine, "testville"), f)}
    assert rows["pv_yield"]["a"] == 1000 and rows["pv_yield"]["b"] == 1500 and rows["pv_yield"]["ratio"] == 1.5


# --- hand-computed estimates ---------------------------------------------------------------------------------

def test_pv_hand_computed(engine) -> None:  # type: ignore[no-untyped-def]
    """100 kWp in Testville with every parameter at mid (performance ratio 1.0, no degradation given):
    generation = 100 kWp × 1000 kWh/kWp/yr × 1.0 = 100,000 kWh/yr → electricity −100 MWh/yr
    CO2 avoided = 100,000 kWh × 0.5 kg/kWh (500 g/kWh) = 50,000 kg = 50 t/yr
    primary energy = 100,000 kWh × 1.9 (EU FALLBACK: Testville has no national PEF) = 190 MWh/yr
    savings = 100,000 kWh × 0.25 EUR/kWh = 25,000 EUR/yr; capex = 100 × 1000 = 100,000 EUR; opex = 100 × 12
    payback = 100,000 / (25,000 − 1,200) = 4.2017 yr
    EUR per t = (100,000 / 30 yr + 1,200) / 50 t = (3,333.33 + 1,200) / 50 = 90.667 EUR/t"""
    est = estimate_measure(load_measure_type(engine, "test-pv"), 100, find_city(engine, "testville"),
                           load_factors(engine))
    c = {k: m.central for k, m in est.metrics.items()}
    assert c["electricity"] == pytest.approx(-100.0)
    assert c["co2_avoided"] == pytest.approx(50.0)
    assert c["primary_energy_saved"] == pytest.approx(190.0)
    assert c["savings"] == pytest.approx(25_000.0)
    assert c["capex"] == pytest.approx(100_000.0) and c["opex"] == pytest.approx(1_200.0)
    assert c["payback"] == pytest.approx(100_000 / 23_800)
    assert c["cost_per_tco2"] == pytest.approx((100_000 / 30 + 1_200) / 50)
    assert "natural_gas" not in est.metrics and "nox_avoided" not in est.metrics, "no fuel, no NOx"
    pef = next(a for a in est.assumptions if a["key"] == "pef_electricity_fallback")
    assert "FALLBACK" in pef["name"] and pef["value"] == 1.9 and "fallback" in pef["evidence"]
    pr = next(a for a in est.assumptions if a["key"] == "performance_ratio")
    assert (pr["evidence"], pr["source"]) == ("reference", "test-pv S1: Fixture PV catalogue")
    # the performance ratio (0.9–1.0) and capex (800–1200) are the uncertain inputs; capex moves payback most
    assert est.most_influential["co2_avoided"] == "performance ratio"
    assert est.most_influential["payback"] == "capex"


def test_heat_pump_hand_computed(engine) -> None:  # type: ignore[no-untyped-def]
    """40 homes in Testville (3000 K·d = the reference 3000 K·d):
    heat = 40 × 10,000 kWh × 3000/3000 = 400,000 kWh; electricity = 400,000 / SCOP 3 = 133,333 kWh
    gas = −400,000 / 0.9 = −444,444 kWh
    CO2 avoided = 444,444 × 0.2 − 133,333 × 0.5 = 88,889 − 66,667 = 22,222 kg = 22.22 t
    primary energy = 444,444 × 1.1 − 133,333 × 1.9 = 488,889 − 253,333 = 235,556 kWh = 235.56 MWh
    NOx = 444,444 kWh × 0.2 g/kWh = 88.89 kg; savings = 444,444 × 0.10 − 133,333 × 0.25 = 11,111 EUR
    payback = 400,000 / (11,111 − 4,000) = 56.25 yr"""
    est = estimate_measure(load_measure_type(engine, "test-heat-pump"), 40, find_city(engine, "testville"),
                           load_factors(engine))
    c = {k: m.central for k, m in est.metrics.items()}
    assert c["electricity"] == pytest.approx(133.3333, rel=1e-5)
    assert c["natural_gas"] == pytest.approx(-444.4444, rel=1e-5)
    assert c["co2_avoided"] == pytest.approx(22.2222, rel=1e-5)
    assert c["primary_energy_saved"] == pytest.approx(235.5556, rel=1e-5)
    assert c["nox_avoided"] == pytest.approx(88.8889, rel=1e-5)
    assert c["savings"] == pytest.approx(11_111.11, rel=1e-5)
    assert c["payback"] == pytest.approx(56.25, rel=1e-5)


def test_heat_pump_scales_with_degree_days(engine) -> None:  # type: ignore[no-untyped-def]
    """Sunville has 1500 K·d: heat = 40 × 10,000 × 1500/3000 = 200,000 kWh; gas = −222,222 kWh."""
    est = estimate_measure(load_measure_type(engine, "test-heat-pump"), 40, find_city(engine, "sunville"),
                           load_factors(engine))
    assert est.metrics["natural_gas"].central == pytest.approx(-222.2222, rel=1e-5)


def test_identity_and_transfer_of_a_measured_site(engine) -> None:  # type: ignore[no-untyped-def]
    """test-pv-site measured 90 MWh from 100 kWp in Testville (model: 100 MWh → calibration 0.9) and cost
    95,000 EUR (model 100,000 → 0.95). In its own city at its own scale the estimate gives the figures back;
    in Sunville: 0.9 × 100 kWp × 1500 kWh/kWp = 135 MWh, × 0.8 kg/kWh = 108 t CO2."""
    here = estimate_solution(engine, "test-pv-site", "testville")
    assert here.metrics["electricity"].central == pytest.approx(-90.0)
    assert here.metrics["capex"].central == pytest.approx(95_000.0)
    assert here.source_site["figures"]["electricity"]["evidence"] == "measured"
    assert here.source_site["calibration"] == {"electricity": pytest.approx(0.9), "capex": pytest.approx(0.95)}
    there = estimate_solution(engine, "test-pv-site", find_city(engine, "Sünville"))
    assert there.metrics["electricity"].central == pytest.approx(-135.0)
    assert there.metrics["co2_avoided"].central == pytest.approx(108.0)
    assert there.scale == {"value": 100.0, "unit": "kWp", "measure_type": "test-pv"}
    bigger = estimate_solution(engine, "test-pv-site", "sunville", scale=400)
    assert bigger.metrics["electricity"].central == pytest.approx(-540.0)
    assert any(a["role"] == "calibration" for a in there.assumptions)


def test_site_figure_overrides_the_reference_parameter(engine) -> None:  # type: ignore[no-untyped-def]
    est = estimate_solution(engine, "test-heat-site", "testville")
    scop = next(a for a in est.assumptions if a["key"] == "scop")
    assert (scop["value"], scop["low"], scop["high"], scop["evidence"]) == (3.2, 3.2, 3.2, "measured")
    assert "site figure" in scop["name"] and scop["source"] == "test-heat-site S1: Fixture heat pump report"
    # 400,000 kWh heat / 3.2 = 125,000 kWh electricity
    assert est.metrics["electricity"].central == pytest.approx(125.0)
    heat = next(a for a in est.assumptions if a["key"] == "heat_demand")
    assert heat["evidence"] == "reference"


def test_missing_driver_is_a_named_error(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DriverMissing) as err:
        estimate_solution(engine, "test-pv-site", "nosun")
    assert err.value.key == "pv_yield"
    assert "'pv_yield'" in str(err.value) and "--driver pv_yield=VALUE" in str(err.value)
    fixed = find_city(engine, "nosun").with_drivers({"pv_yield": 800})
    assert estimate_solution(engine, "test-pv-site", fixed).metrics["electricity"].central == pytest.approx(-72.0)


def test_scale_missing_and_no_model_errors(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ScaleMissing, match="no scale figure for measure type 'test-pv'.*--scale Q \\(kWp\\)"):
        estimate_solution(engine, "test-pv-plan", "testville")
    assert estimate_solution(engine, "test-pv-plan", "testville", scale=10).metrics["capex"].central == 10_000
    with pytest.raises(NoImpactModel, match="no measure type with an impact model"):
        estimate_solution(engine, "test-canal-heat", "testville")


def test_battery_costs_losses_and_never_pays_back(engine) -> None:  # type: ignore[no-untyped-def]
    """2000 kWh × 250 cycles = 500,000 kWh shifted; losses = 500,000 × (1/0.9 − 1) = 55,556 kWh used."""
    est = estimate_solution(engine, "test-battery-site", "testville")
    assert est.metrics["electricity"].central == pytest.approx(55.5556, rel=1e-5)
    assert est.metrics["payback"].to_dict()["p50"] is None, "no net savings: never pays back"


def test_unit_conversion_of_site_figures() -> None:
    assert convert(1.2, "GWh", "MWh/yr") == pytest.approx(1200)
    assert convert(1340, "MWh_PE", "MWh_PE/yr") == 1340
    assert convert(1700, "tCO2", "tCO2/yr") == 1700 and convert(5, "kt", "tCO2/yr") == 5000
    assert convert(2, "kEUR", "EUR") == 2000 and convert(3, "homes", "EUR") is None


# --- fit ---------------------------------------------------------------------------------------------------

def test_match_ranks_with_factor_breakdown(engine) -> None:  # type: ignore[no-untyped-def]
    ranked = match(engine, "sunville", needs="heat pumps instead of gas boilers", budget=50_000,
                   embedder=FakeEmbedder(name="fake-hash"))
    ids = [m.id for m in ranked]
    assert set(ids) == {"test-battery-site", "test-heat-site", "test-pv-site", "test-pv-plan"}
    assert [m.fit for m in ranked] == sorted((m.fit for m in ranked), reverse=True)
    for m in ranked:
        heat = ["district heating"] if m.id == "test-heat-site" else []  # the city's heat supply weighs heat solutions
        assert [f.name for f in m.factors] == ["climate", "preconditions", "economics", "evidence", *heat, "needs"]
        assert all(0 <= f.score <= 1 and f.explanation.endswith(".") for f in m.factors)
    heat = next(m for m in ranked if m.id == "test-heat-site")
    pre = next(f for f in heat.factors if f.name == "preconditions")
    assert pre.score == pytest.approx(0.5 * 0.9) and "50 %" in pre.explanation
    pv = next(m for m in ranked if m.id == "test-pv-site")
    clim = next(f for f in pv.factors if f.name == "climate")
    assert "50 % more PV yield (1500 vs 1000" in clim.explanation
    ev = next(f for f in pv.factors if f.name == "evidence")
    assert ev.score == 1.0 and "1 measured" in ev.explanation
    econ = next(f for f in pv.factors if f.name == "economics")
    assert "above the budget of 50,000 EUR" in econ.explanation


def test_match_needs_requires_embedder(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="embedder"):
        match(engine, "testville", needs="solar")


# --- CLI ---------------------------------------------------------------------------------------------------

def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_cli_cities_match_estimate(rep_db: Path, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_MODEL", "fake-hash")
    db = str(rep_db)
    rc, out, _ = _cli(capsys, "cities", "--db", db, "--json")
    cities = json.loads(out)
    assert rc == 0 and {c["id"] for c in cities} == {"nosun", "sunville", "testville"}
    assert cities[1]["drivers"]["pv_yield"]["source"].startswith("sunville S1")
    rc, out, _ = _cli(capsys, "match", "Sünville", "--needs", "solar roofs", "--budget", "1e6", "--db", db, "--json")
    ranked = json.loads(out)
    assert rc == 0 and set(ranked[0]) == {"id", "title", "city", "measure_types", "fit", "factors"}
    assert set(ranked[0]["factors"][0]) == {"name", "score", "explanation"}
    rc, out, _ = _cli(capsys, "estimate", "test-pv-site", "--city", "SUNVILLE", "--seed", "7", "--samples", "500",
                      "--db", db, "--json")
    est = json.loads(out)
    assert rc == 0
    assert {"solution", "city", "scale", "metrics", "source_site", "assumptions", "sensitivity"} <= set(est)
    assert est["scale"]["value"] == 100 and est["scale"]["unit"] == "kWp"
    assert set(est["metrics"]["co2_avoided"]) >= {"unit", "p10", "p50", "p90"}
    assert set(est["assumptions"][0]) >= {"name", "value", "unit", "evidence", "source"}
    rc2, out2, _ = _cli(capsys, "estimate", "test-pv-site", "--city", "sunville", "--seed", "7", "--samples", "500",
                        "--db", db, "--json")
    assert json.loads(out2)["metrics"] == est["metrics"], "same seed, same numbers"


def test_cli_errors(rep_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(rep_db)
    rc, _, err = _cli(capsys, "estimate", "test-pv-plan", "--city", "testville", "--db", db, "--json")
    assert rc == 1 and "no scale figure" in err and "--scale" in err
    rc, _, err = _cli(capsys, "estimate", "test-pv-site", "--city", "nosun", "--db", db)
    assert rc == 1 and "driver 'pv_yield'" in err
    rc, out, _ = _cli(capsys, "estimate", "test-pv-site", "--city", "nosun", "--driver", "pv_yield=800", "--db", db)
    assert rc == 0 and "electricity" in out
    rc, _, err = _cli(capsys, "estimate", "test-pv-site", "--city", "atlantis", "--db", db)
    assert rc == 1 and "no city 'atlantis'" in err


def test_cli_cities_compare(rep_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _cli(capsys, "cities", "--compare", "testville", "Sünville", "--db", str(rep_db), "--json")
    data = json.loads(out)
    assert rc == 0 and (data["a"], data["b"]) == ("testville", "sunville")
    hdd = next(r for r in data["drivers"] if r["key"] == "hdd")
    assert (hdd["a"], hdd["b"], hdd["ratio"]) == (3000, 1500, 0.5)
