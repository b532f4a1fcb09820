"""MACC on the bundled corpus (fake embedder): sorted by net abatement cost, positive widths, reasons for the rest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.loader import run_ingest
from kb.cli import main
from kb.embeddings import FakeEmbedder
from kb.replication.cities import find_city
from kb.replication.macc import macc
from kb.replication.solution import EstimateInvalid
from kb.store import database

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bundled_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("macc") / "kb.sqlite"
    res = run_ingest(ROOT / "solutions", db, FakeEmbedder(name="fake-hash"))
    assert not res.errors
    return db


def test_macc_rows_sorted_with_width_and_refusals_with_reasons(bundled_db: Path) -> None:
    engine = database.get_engine(bundled_db)
    curve = macc(engine, find_city(engine, "krakow"), samples=100, scales={"ams-republica-pv": 400})
    assert curve.rows, "at least one solution is on the curve"
    heights = [r.net_abatement_cost["central"] for r in curve.rows]
    assert all(h is not None for h in heights)
    assert heights == sorted(heights)  # type: ignore[type-var]
    assert all(r.width > 0 for r in curve.rows)
    assert all(b.start == pytest.approx(a.start + a.width) for a, b in zip(curve.rows, curve.rows[1:], strict=False))
    pv = next(r for r in curve.rows if r.solution == "ams-republica-pv")
    assert pv.scale == [{"measure_type": "rooftop-pv", "value": 400.0, "unit": "kWp", "stated": True}]
    assert curve.refused and all(x["reason"] for x in curve.refused)
    on = {r.solution for r in curve.rows}
    assert not on & {x["solution"] for x in curve.refused}
    unsized = next(x for x in curve.refused if "no source scale" in x["reason"])
    assert f"--scale {unsized['solution']}=Q" in unsized["reason"]
    with pytest.raises(EstimateInvalid, match="no such solution"):
        macc(engine, find_city(engine, "krakow"), samples=10, scales={"atlantis-pv": 1})


def test_kb_macc_json(bundled_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["macc", "krakow", "--db", str(bundled_db), "--samples", "50", "--json",
                 "--scale", "ams-republica-pv=400", "--discount-rate", "0.03"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["discount_rate"] == 0.03 and data["unit"] == {"width": "tCO2/yr", "height": "EUR/tCO2"}
    assert any(r["solution"] == "ams-republica-pv" for r in data["rows"])
    assert main(["macc", "krakow", "--db", str(bundled_db), "--scale", "x=y"]) == 1
    assert "not a number" in capsys.readouterr().err


def test_kb_estimate_json_has_the_life_cycle_metrics(bundled_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["estimate", "ams-republica-pv", "--db", str(bundled_db), "--city", "krakow", "--scale", "400",
                 "--samples", "200", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    for name in ("npv", "irr", "discounted_payback", "lcoe", "net_abatement_cost", "payback", "cost_per_tco2"):
        assert name in data["metrics"], name
    assert "GROSS" in data["metrics"]["cost_per_tco2"]["label"]
    assert data["economics"]["price_year"] == 2024 and data["economics"]["discount_rate"]["mid"] == 0.04
    assert main(["estimate", "ams-republica-pv", "--db", str(bundled_db), "--city", "krakow", "--scale", "400",
                 "--discount-rate", "2"]) == 1
    assert "--discount-rate" in capsys.readouterr().err


def test_stated_scales_keep_a_solution_only_when_every_measure_type_has_a_positive_finite_scale() -> None:
    from kb.views.macc import stated_scales
    rows = [{"solution": "a", "measure_type": "pv", "scale": 400.0},
            {"solution": "b", "measure_type": "pv", "scale": 10.0},
            {"solution": "b", "measure_type": "hp", "scale": None},
            {"solution": "c", "measure_type": "pv", "scale": float("nan")},
            {"solution": "d", "measure_type": "pv", "scale": -5.0}, {"solution": "e", "measure_type": "pv", "scale": 0}]
    assert stated_scales(rows) == {"a": {"pv": 400.0}}
