"""The hourly balance of a district plan: annual sums kept, KPIs, PED classification, no climate, CLI JSON."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from ingest.loader import run_ingest
from kb.cli import main
from kb.embeddings import FakeEmbedder
from kb.plans.evaluate import PlanResult, evaluate_plan, load_context, run_plan
from kb.plans.model import read_plan
from kb.store import database

ROOT = Path(__file__).resolve().parents[2]
KRAKOW = ROOT / "solutions" / "plans" / "krakow-example-district.toml"


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("planhourly") / "kb.sqlite"
    result = run_ingest(ROOT / "solutions", db, FakeEmbedder())
    assert not result.errors, result.errors
    return db


@pytest.fixture(scope="module")
def krakow(corpus_db: Path) -> PlanResult:
    return evaluate_plan(database.get_engine(corpus_db), read_plan(KRAKOW), samples=200)


def test_annual_sums_equal_the_annual_model(krakow: PlanResult) -> None:
    h = krakow.hourly
    assert h is not None, krakow.hourly_unavailable
    pv = sum(m["by_carrier"]["electricity"]["central"] for m in krakow.measures
             if m["status"] == "ok" and m["model"] == "pv") * -1e3
    assert pv > 0 and h["annual_kwh"]["pv"] == pytest.approx(pv, rel=0.005)
    # load + battery losses − PV = the annual model's net electricity (central)
    net = float(krakow.by_carrier["electricity"]["net"]["central"]) * 1e3
    batt = sum(m["by_carrier"]["electricity"]["central"] for m in krakow.measures
               if m["status"] == "ok" and m["model"] == "battery") * 1e3
    assert h["annual_kwh"]["load"] == pytest.approx(net + pv - batt, rel=0.005)
    imp, exp = h["annual_kwh"]["import"], h["annual_kwh"]["export"]
    losses = h["kpis"]["battery_losses_kwh"]
    assert imp - exp == pytest.approx(h["annual_kwh"]["load"] - h["annual_kwh"]["pv"] + losses, rel=1e-6)
    assert sum(h["monthly_kwh"]["import"]) == pytest.approx(imp)


def test_kpis_and_ped_definitions(krakow: PlanResult) -> None:
    h = krakow.hourly
    assert h is not None
    for k in ("self_consumption", "self_sufficiency"):
        assert 0.0 <= h["kpis"][k] <= 1.0
    defs = {d["key"]: d for d in h["ped"]["definitions"]}
    assert {"annual_primary_energy", "dynamic", "autonomous", "virtual"} <= set(defs)
    assert all(d["boundary"] and d["explanation"] and isinstance(d["met"], bool) for d in defs.values())
    assert h["kpis"]["hours_of_net_import"] > 0 and not defs["autonomous"]["met"]
    assert "central estimate" in h["note"] and {"electricity", "pv", "battery"} <= set(h["provenance"])


def test_city_without_climate_gives_no_hourly_balance_and_says_why(corpus_db: Path) -> None:
    engine = database.get_engine(corpus_db)
    spec = read_plan(KRAKOW)
    ctx = load_context(engine, spec.city)
    drivers = {k: v for k, v in ctx.city.drivers.items() if not k.startswith("ghi_")}
    ctx = replace(ctx, city=replace(ctx.city, drivers=drivers))
    res = run_plan(spec, ctx, samples=100)
    assert res.hourly is None and "monthly climate" in res.hourly_unavailable
    assert res.to_dict()["hourly"] is None and res.to_dict()["hourly_unavailable"]


def test_cli_json_carries_hourly(corpus_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["plan", str(KRAKOW), "--json", "--db", str(corpus_db), "--samples", "100"])
    assert rc == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data["hourly"]) >= {"kpis", "ped", "provenance", "monthly_kwh"}
    assert len(data["hourly"]["monthly_kwh"]["balance"]) == 12


def test_cli_text_shows_the_ped_status(corpus_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(KRAKOW), "--db", str(corpus_db), "--samples", "100"]) == 0
    text = capsys.readouterr().out
    assert "self-consumption" in text and "PEDautonomous: not met" in text
