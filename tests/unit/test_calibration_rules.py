"""Calibration rules (issue 15): only measured or installed carrier flows and capex calibrate, and every key in
solutions/ obeys the rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.records.parse import parse_file, parse_text
from kb.records.validate import calibration_key_error, validate_record
from kb.records.vocab import CALIBRATING_OUTPUT_KEYS, CALIBRATION_EVIDENCE, NON_ENERGY_TOTAL_KEY
from kb.replication.cities import CityProfile, Driver
from kb.replication.inputs import Input, MeasureType
from kb.replication.simulation import PortfolioItem, prepare
from kb.replication.solution import SolutionInputs, calibrate, estimate_solution, solution_inputs
from kb.store import database
from kb.store.readmodel import Number, StoredRecord
from tests.factories import build_replication_db

ROOT = Path(__file__).resolve().parents[2]
SOLUTION_DIRS = [p for p in (ROOT / "solutions").iterdir() if p.is_dir() and p.name not in ("measure-types", "cities")]
NOT_CALIBRATING = ("target", "design", "estimate", "reference")


def _p(key: str, low: float, mid: float, high: float, unit: str = "-") -> Input:
    return Input(key, key, low, mid, high, unit, "reference", "fixture", measure="pv")


PV = MeasureType("pv", "PV", "pv", "kWp", "electricity", {
    "performance_ratio": _p("performance_ratio", 0.8, 0.9, 1.0), "capex": _p("capex", 700, 900, 1200, "EUR/kWp"),
    "opex": _p("opex", 8, 10, 14, "EUR/kWp/yr"), "lifetime": _p("lifetime", 25, 30, 35, "yr")})
GENERAL = {"pef_electricity_fallback": Input("pef", "pef_electricity_fallback", 1.9, 1.9, 1.9, "-", "reference",
                                             "f", "factor")}


def _city(cid: str, pv_yield: float, grid: float = 400) -> CityProfile:
    values = {"pv_yield": pv_yield, "grid_co2": grid, "electricity_price_household": 0.25}
    return CityProfile(cid, cid.title(), drivers={k: Driver(k, v, "", evidence="reference", source="fixture")
                                                  for k, v in values.items()})


SOURCE, TARGET = _city("src", 1000), _city("tgt", 1400, 700)


def _record(*rows: Number) -> StoredRecord:
    scale = Number("installed PV", 100, "kWp", evidence="installed", source="S1", key="scale")
    return StoredRecord(id="sol", kind="solution", title="A PV site", city="src", status="operational",
                        scope="lighthouse", path="", front={}, measure_types=["pv"],
                        numbers={"Measures": [scale, *rows]})


def _estimate_at_target(rec: StoredRecord) -> tuple[dict[str, float], dict[str, float], list[str], SolutionInputs]:
    si = solution_inputs(rec, {"pv": PV})
    k, model, warnings = calibrate(si, SOURCE, GENERAL, "household")
    plan = prepare([PortfolioItem(PV, 100)], TARGET, GENERAL)
    plan.calibration = k
    return k, plan.central(), warnings, si


def _uncalibrated() -> dict[str, float]:
    return prepare([PortfolioItem(PV, 100)], TARGET, GENERAL).central()


carrier_keys = st.sampled_from(["electricity", "capex_total"])
values = st.floats(min_value=1, max_value=1e6, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(key=carrier_keys, evidence=st.sampled_from(NOT_CALIBRATING), value=values)
def test_a_target_design_estimate_or_reference_figure_never_changes_an_estimate(key: str, evidence: str,
                                                                                value: float) -> None:
    unit = "MWh" if key == "electricity" else "EUR"
    k, central, warnings, si = _estimate_at_target(_record(Number("figure", value, unit, evidence=evidence,
                                                                  source="S1", key=key)))
    assert k == {}
    assert central == _uncalibrated()
    refused = si.not_used
    assert refused and refused[0]["item"] == "figure" and evidence in str(refused[0]["reason"])


@settings(max_examples=40, deadline=None)
@given(evidence=st.sampled_from(CALIBRATION_EVIDENCE), generated=values, capex=values)
def test_a_measured_figure_of_the_same_quantity_scales_by_figure_over_model(evidence: str, generated: float,
                                                                           capex: float) -> None:
    # model at the source: 100 kWp × 1000 kWh/kWp × 0.9 = 90 MWh generated; capex 100 × 900 = 90,000 EUR
    k, central, _w, _si = _estimate_at_target(_record(
        Number("generated", generated, "MWh", evidence=evidence, source="S1", key="electricity"),
        Number("investment", capex, "EUR", evidence=evidence, source="S1", key="capex_total")))
    assert k["electricity"] == pytest.approx(generated / 90.0, rel=1e-12)
    assert k["capex"] == pytest.approx(capex / 90_000.0, rel=1e-12)
    base = _uncalibrated()
    # in the target city: −(100 × 1400 × 0.9) kWh = −126 MWh, times the factor; capex times its factor
    assert central["electricity"] == pytest.approx(base["electricity"] * generated / 90.0, rel=1e-12)
    assert central["capex"] == pytest.approx(base["capex"] * capex / 90_000.0, rel=1e-12)
    # derived metrics follow the calibrated flow: CO2 = −MWh × 0.7 t/MWh in the target city
    assert central["co2_avoided"] == pytest.approx(-central["electricity"] * 0.7, rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(key=st.sampled_from(["co2", "primary_energy", "nox", "savings"]), evidence=st.sampled_from(
    [*CALIBRATION_EVIDENCE, *NOT_CALIBRATING]), value=values)
def test_a_derived_figure_never_scales_anything(key: str, evidence: str, value: float) -> None:
    unit = {"co2": "tCO2", "primary_energy": "MWh_PE", "nox": "kg", "savings": "EUR"}[key]
    k, central, _w, si = _estimate_at_target(_record(Number("reported", value, unit, evidence=evidence,
                                                            source="S1", key=key)))
    assert k == {} and central == _uncalibrated()
    assert si.reported and not si.outputs  # shown as reported at the source


def test_a_total_with_non_energy_works_is_listed_and_never_compared() -> None:
    k, central, _w, si = _estimate_at_target(_record(Number(
        "total investment incl. lifts", 12e6, "EUR", evidence="measured", source="S1", key=NON_ENERGY_TOTAL_KEY)))
    assert k == {} and central == _uncalibrated()
    assert not si.outputs and not si.reported
    assert "non-energy" in str(si.not_used[0]["reason"])


def test_a_calibrated_output_names_its_figure_in_the_estimate_and_the_assumptions(tmp_path: Path) -> None:
    """test-pv-site measured 90 MWh from 100 kWp (model 100 MWh): factor 0.9, named with its figure."""
    eng = database.get_engine(build_replication_db(tmp_path))
    est = estimate_solution(eng, "test-pv-site", "testville", samples=200)
    assert est.source_site is not None
    on = est.source_site["calibrated_on"]
    assert on["electricity"]["factor"] == pytest.approx(0.9)
    assert on["electricity"]["figure"]["item"] == "electricity generated"
    assert on["electricity"]["figure"]["evidence"] == "measured" and "S1" in on["electricity"]["figure"]["source"]
    row = next(a for a in est.assumptions if a["role"] == "calibration" and a["key"] == "electricity")
    assert "electricity generated" in row["source"] and "measured" in row["source"]
    assert est.source_site["figures"]["electricity"]["use"] == "calibrates the model"


# --- the records --------------------------------------------------------------------------------------------------

def _solution_files() -> list[Path]:
    return sorted(p for d in SOLUTION_DIRS for p in d.glob("*.md"))


def test_every_key_in_solutions_passes_the_calibration_rules() -> None:
    """No solution row asks for a calibration the rules forbid (a design/target/estimate total keyed as an output,
    or a total that includes non-energy works keyed capex_total)."""
    bad: list[str] = []
    checked = 0
    for path in _solution_files():
        rec, _errs = parse_file(path)
        if rec.kind != "solution":
            continue
        for q in rec.quantities:
            if not q.key:
                continue
            checked += 1
            reason = calibration_key_error(q.key, q.evidence, q.missing)
            bare = q.key.rpartition(".")[2]
            note = (q.note or "").lower()
            if not reason and bare == "capex_total" and not q.missing and any(
                    w in note for w in ("includ", "covers", "lifts", "structural", "all components", "programme")):
                reason = "a capex_total whose note says it covers more than the energy works"
            if reason:
                bad.append(f"{path.name}:{q.line}: {q.item}: {reason}")
    assert checked > 50, "the corpus has keyed rows"
    assert bad == []


DESIGN_ROW = """---
id: x-site
kind: solution
title: X
city: testville
categories: [solar]
measure_types: [test-pv]
status: planned
sources:
  - {id: S1, title: Plan}
---
## Summary
A plan [S1].

## Costs
| item | value | unit | year | evidence | source | key |
|---|---|---|---|---|---|---|
| budget | 1000000 | EUR | 2024 | EVIDENCE | S1 | KEY |
"""


@pytest.mark.parametrize("evidence", NOT_CALIBRATING)
@pytest.mark.parametrize("key", [*CALIBRATING_OUTPUT_KEYS, "test-pv.capex_total"])
def test_validation_refuses_a_non_measured_row_keyed_to_calibrate(evidence: str, key: str) -> None:
    rec, errs = parse_text(DESIGN_ROW.replace("EVIDENCE", evidence).replace("KEY", key), "x.md")
    assert not errs
    msgs = [e.message for e in validate_record(rec)]
    assert any(f"key '{key}' would calibrate" in m and evidence in m for m in msgs), msgs


@pytest.mark.parametrize(("evidence", "key"), [("measured", "capex_total"), ("installed", "electricity"),
                                               ("design", "capex_budget"), ("estimate", NON_ENERGY_TOTAL_KEY),
                                               ("target", "co2")])
def test_validation_accepts_rows_the_rules_allow(evidence: str, key: str) -> None:
    rec, _ = parse_text(DESIGN_ROW.replace("EVIDENCE", evidence).replace("KEY", key), "x.md")
    assert not [e for e in validate_record(rec) if "calibrate" in e.message]
