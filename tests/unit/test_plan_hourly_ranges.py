"""Hourly KPIs with ranges for plans: the dispatch over a seeded subsample of the draws, energy kept in every draw."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kb.plans.evaluate as evaluate
import kb.plans.hourly as plan_hourly
from ingest.loader import run_ingest
from kb.cli import main
from kb.embeddings import FakeEmbedder
from kb.hourly.dispatch import DispatchResult
from kb.plans.evaluate import PlanResult, evaluate_plan
from kb.plans.hourly import HourlyDraws, HourlyInputs, dispatch_draws
from kb.plans.model import read_plan
from kb.replication.cities import CityProfile, find_city
from kb.store import database
from kb.views.plan import hourly_kpis, hourly_range_rows, ped_rows

ROOT = Path(__file__).resolve().parents[2]
KRAKOW = ROOT / "solutions" / "plans" / "krakow-example-district.toml"
SAMPLES = 40  # fewer than HOURLY_DRAWS: the hourly part runs every draw


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("planranges") / "kb.sqlite"
    result = run_ingest(ROOT / "solutions", db, FakeEmbedder())
    assert not result.errors, result.errors
    return db


@pytest.fixture(scope="module")
def krakow(corpus_db: Path) -> PlanResult:
    return evaluate_plan(database.get_engine(corpus_db), read_plan(KRAKOW), samples=SAMPLES)


@pytest.fixture(scope="module")
def city(corpus_db: Path) -> CityProfile:
    return find_city(database.get_engine(corpus_db), "krakow")


def _hourly(res: PlanResult) -> dict[str, Any]:
    assert res.hourly is not None, res.hourly_unavailable
    return res.hourly


def test_every_kpi_has_ordered_percentiles_and_the_note_says_how_many_draws(krakow: PlanResult) -> None:
    h = _hourly(krakow)
    assert set(h["kpi_ranges"]) == set(h["kpis"])
    for key, r in h["kpi_ranges"].items():
        assert r["p10"] <= r["p50"] <= r["p90"], key
    for key in ("self_consumption", "self_sufficiency"):
        assert 0.0 <= h["kpi_ranges"][key]["p10"] and h["kpi_ranges"][key]["p90"] <= 1.0
    assert h["draws"] == h["draws_of"] == SAMPLES
    assert f"{SAMPLES} of the plan's {SAMPLES} draws" in h["ranges_note"] and "8,760 hours" in h["ranges_note"]
    assert "central estimate" in h["note"], "the central KPIs stay as they were"


def test_central_kpis_lie_near_the_range_of_the_draws(krakow: PlanResult) -> None:
    """Not a theorem (the central run takes every input at its mid, not a percentile of the draws): a regression
    check for this plan and seed, with a 10 % margin on either side."""
    h = _hourly(krakow)
    for key, r in h["kpi_ranges"].items():
        central = h["kpis"][key]
        assert r["p10"] * 0.9 - 1e-9 <= central <= r["p90"] * 1.1 + 1e-9, key


def test_ped_shares_are_fractions_and_follow_the_definitions(krakow: PlanResult) -> None:
    h = _hourly(krakow)
    defs = {d["key"] for d in h["ped"]["definitions"]}
    assert set(h["ped_share"]) == defs
    assert all(0.0 <= v <= 1.0 for v in h["ped_share"].values())
    # dynamic is the annual primary-energy test with hourly exchanges: the same draws meet both
    assert h["ped_share"]["dynamic"] == h["ped_share"]["annual_primary_energy"]
    # the district imports district heat, known only annually: autonomy fails in every draw
    assert h["ped_share"]["autonomous"] == 0.0
    for key, r in h["ped_margin_ranges"].items():
        assert r["p10"] <= r["p50"] <= r["p90"], key


def test_same_seed_gives_identical_ranges(corpus_db: Path, krakow: PlanResult) -> None:
    engine = database.get_engine(corpus_db)
    again = _hourly(evaluate_plan(engine, read_plan(KRAKOW), samples=SAMPLES))
    assert again["kpi_ranges"] == _hourly(krakow)["kpi_ranges"]
    assert again["ped_share"] == _hourly(krakow)["ped_share"]
    other = _hourly(evaluate_plan(engine, read_plan(KRAKOW), samples=SAMPLES, seed=7))
    assert other["kpi_ranges"] != again["kpi_ranges"]


def test_the_hourly_part_uses_the_first_draws_when_the_plan_has_more(corpus_db: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(evaluate, "HOURLY_DRAWS", 10)
    h = _hourly(evaluate_plan(database.get_engine(corpus_db), read_plan(KRAKOW), samples=30))
    assert (h["draws"], h["draws_of"]) == (10, 30)
    assert "10 of the plan's 30 draws" in h["ranges_note"]


def test_without_hourly_the_annual_balance_is_unchanged(corpus_db: Path, krakow: PlanResult) -> None:
    res = evaluate_plan(database.get_engine(corpus_db), read_plan(KRAKOW), samples=SAMPLES, with_hourly=False)
    assert res.hourly is None and "switched off" in res.hourly_unavailable
    assert res.balance == krakow.balance and res.metrics == krakow.metrics


def _check_energy(res: DispatchResult) -> None:
    tol = 1e-6
    assert res.load.ndim == 2
    np.testing.assert_allclose(res.load, res.pv_to_load + res.battery_to_load + res.grid_import, atol=tol)
    np.testing.assert_allclose(res.pv, res.pv_to_load + res.pv_to_battery + res.grid_export + res.curtailed, atol=tol)
    cap = res.capacity_kwh[:, None]
    assert np.all(res.soc <= cap + tol) and np.all(res.soc >= -tol)
    stored = np.diff(res.soc, axis=-1, prepend=0.0)  # every battery starts empty (no reserve)
    supply = res.pv + res.grid_import
    demand = res.load + res.grid_export + res.curtailed + stored + res.losses
    np.testing.assert_allclose(supply, demand, atol=tol)
    for flow in (res.pv_to_load, res.pv_to_battery, res.battery_to_load, res.grid_import, res.grid_export):
        assert np.all(flow >= -tol)


def test_energy_is_kept_every_hour_in_every_draw_of_the_plan(corpus_db: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[DispatchResult] = []
    real = plan_hourly.dispatch

    def spy(*args: Any, **kw: Any) -> DispatchResult:
        out = real(*args, **kw)
        seen.append(out)
        return out

    monkeypatch.setattr(plan_hourly, "dispatch", spy)
    evaluate_plan(database.get_engine(corpus_db), read_plan(KRAKOW), samples=12)
    batched = [r for r in seen if r.load.ndim == 2]
    assert len(batched) == 1 and batched[0].load.shape == (12, 8760), "one batched call for every draw"
    assert np.all(batched[0].capacity_kwh > 0), "the example plan has a battery"
    _check_energy(batched[0])


def _draws(caps: list[float], rte: list[float], pv: float) -> HourlyDraws:
    k = len(caps)
    ones = np.ones(k)
    return HourlyDraws(electricity_kwh=2.0e6 * ones, heat_pump_kwh=3.0e5 * ones, pv_kwh=pv * ones,
                       battery_kwh=np.asarray(caps), battery_round_trip=np.asarray(rte), other={},
                       pef={"electricity": 2.0 * ones}, co2_kg_per_kwh={"electricity": 0.7 * ones}, of=k)


def _inputs(city: CityProfile) -> HourlyInputs:
    return HourlyInputs(city, 2.0e6, 3.0e5, 1.5e6, 1000.0, 0.9, {}, {"electricity": 2.0}, {"electricity": 0.7})


@settings(max_examples=12, deadline=None)
@given(caps=st.lists(st.floats(0.0, 20_000.0), min_size=1, max_size=4),
       rte=st.floats(0.5, 1.0), pv=st.floats(0.0, 8.0e6))
def test_battery_capacity_samples_never_overfill_and_keep_energy(city: CityProfile, caps: list[float], rte: float,
                                                                 pv: float) -> None:
    res = dispatch_draws(_inputs(city), _draws(caps, [rte] * len(caps), pv))
    assert res.load.shape == (len(caps), 8760)
    np.testing.assert_allclose(res.capacity_kwh, caps)
    _check_energy(res)
    power = np.asarray(caps)[:, None] / plan_hourly.BATTERY_HOURS
    assert np.all(res.pv_to_battery <= power + 1e-6) and np.all(res.battery_to_load <= power + 1e-6)


def test_no_battery_in_any_draw_dispatches_without_one(city: CityProfile) -> None:
    res = dispatch_draws(_inputs(city), _draws([0.0, 0.0], [1.0, 1.0], 1.5e6))
    assert np.all(res.soc == 0) and np.all(res.losses == 0)
    _check_energy(res)


def test_page_rows_and_cli_json_carry_the_ranges(corpus_db: Path, krakow: PlanResult,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    rows = hourly_range_rows(krakow)
    assert rows and {"KPI", "central", "P10", "P50", "P90"} <= set(rows[0])
    assert all("P10–P90 over" in why for _, _, why in hourly_kpis(krakow))
    assert all("met in draws" in r for r in ped_rows(krakow))
    rc = main(["plan", str(KRAKOW), "--json", "--db", str(corpus_db), "--samples", "20"])
    assert rc == 0
    data = json.loads(capsys.readouterr().out)
    h = data["hourly"]
    assert h["draws"] == 20 and set(h["kpi_ranges"]) == set(h["kpis"]) and set(h["ped_share"])
