"""Outputs a planner reads: signs in words, sources split only between labels, the clipping remainder, kb brief
--param / --driver, the 'input that matters most' with no spread, and bounds on every model parameter."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine

from kb.briefs.sources import SourceBook
from kb.cli import main
from kb.plans.evaluate import PlanContext, run_plan
from kb.plans.model import Figure, PlanMeasure, PlanSpec
from kb.records.vocab import MODEL_KEYS
from kb.replication.bounds import PARAM_BOUNDS, param_bound
from kb.replication.cities import CityProfile, Driver, find_city
from kb.replication.inputs import Input, MeasureType, load_factors, load_measure_type
from kb.replication.sensitivity import NO_SPREAD
from kb.replication.simulation import estimate_measure
from kb.replication.words import cell, in_words, oriented, range_in_words, word
from kb.store import database
from kb.views.replication import range_rows, sensitivity_verdict, side_by_side, tornado_rows
from tests.factories import build_replication_db

SIGNED = re.compile(r"[−-]\d")


@pytest.fixture(scope="module")
def rep_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_replication_db(tmp_path_factory.mktemp("words"))


@pytest.fixture
def engine(rep_db: Path) -> Engine:
    return database.get_engine(rep_db, create=False)


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


# --- the sign convention in words -------------------------------------------------------------------------------

def test_in_words_positive_amounts_with_a_direction() -> None:
    assert in_words("electricity", -317.4, "MWh/yr", generates=True) == "317 MWh/yr electricity generated"
    assert in_words("electricity", -12, "MWh/yr") == "12 MWh/yr electricity saved"
    assert in_words("electricity", 40, "MWh/yr") == "40 MWh/yr electricity added"  # a heat pump's electricity
    assert in_words("natural_gas", -1250, "MWh/yr") == "1,250 MWh/yr natural gas saved"
    assert in_words("co2_avoided", 27.7, "tCO2/yr") == "27.7 tCO2/yr CO₂ avoided"
    assert in_words("co2_avoided", -3, "tCO2/yr") == "3 tCO2/yr CO₂ added"  # a heat pump on a coal grid
    assert in_words("natural_gas", 0, "MWh/yr") == "no change in natural gas"
    assert in_words("capex", 320_000, "EUR") == "320,000 EUR"  # no direction: the number as it is
    assert (word("petrol", -5), word("petrol", 5), word("savings", 5), word("payback", 5)) == \
        ("saved", "added", "saved", "")


def test_ranges_in_words_and_across_zero() -> None:
    assert range_in_words("natural_gas", -12, 4, "MWh/yr") == \
        "between 12 MWh/yr saved and 4 MWh/yr added (natural gas)"
    assert range_in_words("natural_gas", 4, -12, "MWh/yr") == range_in_words("natural_gas", -12, 4, "MWh/yr")
    assert range_in_words("natural_gas", -12, -4, "MWh/yr") == "between 4 and 12 MWh/yr natural gas saved"
    assert range_in_words("electricity", -338, -303, "MWh/yr", True) == \
        "between 303 and 338 MWh/yr electricity generated"
    assert range_in_words("co2_avoided", -2, 5, "t") == "between 5 t avoided and 2 t added (CO₂)"
    # oriented: P10/P50/P90 of "natural gas saved" from the signed flow (P10 −12, P50 −5, P90 4)
    assert oriented("natural_gas", -12, -5, 4) == ("saved", -4, 5, 12)
    assert oriented("co2_avoided", 1, 2, 3) == ("avoided", 1, 2, 3)
    assert cell("natural_gas", -4, "saved") == "4 added" and cell("natural_gas", 12, "saved") == "12"


def test_estimate_rows_carry_direction_and_never_a_sign(engine: Engine) -> None:
    """100 kWp of PV: electricity −100 MWh/yr (hand-computed in test_replication) reads 'generated', positive."""
    est = estimate_measure(load_measure_type(engine, "test-pv"), 100, find_city(engine, "testville"),
                           load_factors(engine), samples=500)
    rows = {r["name"]: r for r in range_rows(est)}
    el = rows["electricity"]
    assert el["direction"] == "generated" and el["p50"] < 0  # the signed figure is kept beside the word
    assert el["shown_p10"] <= el["shown_p50"] <= el["shown_p90"] and el["shown_p50"] > 0
    assert el["metric"] == "electricity generated (MWh/yr)"
    # P50 below the central 100 (the performance ratio's triangle 0.9/1.0/1.0 leans low)
    assert re.fullmatch(r"9\d\.?\d* MWh/yr electricity generated \(P10–P90: between [\d.]+ and [\d.]+ MWh/yr "
                        r"electricity generated\)", el["in words"]), el["in words"]
    for r in range_rows(est):
        assert not SIGNED.search(r["in words"]), r["in words"]
    side = {r["metric"]: r for r in side_by_side(engine, est, samples=200)}
    assert side["electricity generated"]["direction"] == "generated"
    assert not any(SIGNED.search(str(v)) for v in side["electricity generated"].values())


def test_cli_estimate_text_in_words_and_json_direction(rep_db: Path, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_MODEL", "fake-hash")
    rc, out, _ = _cli(capsys, "estimate", "test-pv-site", "--city", "sunville", "--samples", "300",
                      "--db", str(rep_db))
    assert rc == 0
    line = next(ln for ln in out.splitlines() if ln.startswith("electricity"))
    assert line.startswith("electricity generated") and not SIGNED.search(line), line
    assert "what moves co2_avoided:" in out
    rc, out, _ = _cli(capsys, "estimate", "test-pv-site", "--city", "sunville", "--samples", "300",
                      "--db", str(rep_db), "--json")
    import json

    el = json.loads(out)["metrics"]["electricity"]
    assert el["direction"] == "generated" and el["p50"] < 0


# --- (d) the input that matters most, when nothing moves the output ----------------------------------------------

def test_no_spread_names_no_input(engine: Engine) -> None:
    """test-pv with capex entered as one number: no uncertain input moves capex. Before, every swing was 0 and
    the first input (an arbitrary one) was 'the input that matters most' for capex."""
    est = estimate_measure(load_measure_type(engine, "test-pv"), 100, find_city(engine, "testville"),
                           load_factors(engine), overrides={"capex": 1000.0}, samples=300)
    assert "capex" not in est.most_influential
    assert sensitivity_verdict(est, "capex") == (NO_SPREAD, None)
    # the performance ratio (0.9–1.0) is the only uncertain input in CO2 avoided: it dominates, named
    assert est.most_influential["co2_avoided"] == "performance ratio"
    rows = [r for r in est.sensitivity if r["metric"] == "co2_avoided"]
    assert rows[0]["input"] == "performance ratio" and rows[0]["st"] > 0.9 and rows[0]["dominant"]
    assert tornado_rows(est, "co2_avoided")[0]["input"] == "performance ratio"


# --- (a) source labels with ';' inside a title ------------------------------------------------------------------

class _Rec(SimpleNamespace):
    def source(self, sid: str) -> Any:
        return self.sources.get(sid)


def _book() -> SourceBook:
    krakow = _Rec(id="krakow", title="Kraków", sources={
        "S8": SimpleNamespace(title="Ember; Electricity Maps yearly data", url="https://ember.example/a",
                              publisher="Ember", year="2024"),
        "S11": SimpleNamespace(title="Eurostat prices", url="https://eurostat.example/p", publisher="Eurostat",
                               year="2024")})
    book = SourceBook(None)  # type: ignore[arg-type]  # no database: the records are given below
    book._records = {"krakow": krakow}  # type: ignore[dict-item]
    return book


def test_sources_split_between_labels_never_inside_a_title() -> None:
    book = _book()
    sol = _Rec(id="sol", title="A solution", sources={})
    ref = book.assumption({"source": "krakow S8: Ember; Electricity Maps yearly data; krakow S11: Eurostat prices"},
                          sol)  # type: ignore[arg-type]
    assert ref == "[1; 2]"
    assert [e.title for e in book.entries()] == ["Ember; Electricity Maps yearly data", "Eurostat prices"]
    # a plain text source with ';' in its title is one source, not two
    ref = book.assumption({"source": "Jochem; Frankenhauser et al., district heating review"}, sol)  # type: ignore[arg-type]
    assert ref == "[3]" and book.entries()[-1].title == "Jochem; Frankenhauser et al., district heating review"


# --- (b) the plan's clipping warning ----------------------------------------------------------------------------

def _fixed(measure: str, **values: float) -> dict[str, Input]:
    return {k: Input.fixed(k, k, v, "-", "reference", "test", measure=measure) for k, v in values.items()}


TYPES = {
    "retro": MeasureType("retro", "retro", "retrofit", "homes", "natural_gas", _fixed(
        "retro", heat_demand=10000, reference_hdd=3000, saving_fraction=0.5, displaced_efficiency=0.8, capex=20000,
        lifetime=30, space_heating_share=1.0)),  # all heat is space heat here, so the arithmetic below holds
    "hp": MeasureType("hp", "hp", "heat_pump", "homes", "natural_gas", _fixed(
        "hp", heat_demand=10000, reference_hdd=3000, scop=4, displaced_efficiency=0.8, capex=10000, opex=100,
        lifetime=20)),
}


def _ctx(types: dict[str, MeasureType] = TYPES) -> PlanContext:
    values = {"hdd": (3000, "K·d"), "pv_yield": (1000, "kWh/kWp/yr"), "grid_co2": (500, "g/kWh"),
              "pef_electricity": (2.0, "kWh/kWh"), "electricity_price_household": (0.25, "EUR/kWh"),
              "gas_price_household": (0.08, "EUR/kWh")}
    city = CityProfile("testville", "Testville", "XX", (), "other",
                       {k: Driver(k, v, u, evidence="reference", source="test") for k, (v, u) in values.items()})
    general = {k: Input.fixed(k, k, v, "kWh/kWh", "reference", "test", role="factor")
               for k, v in (("co2_natural_gas", 0.2), ("pef_natural_gas", 1.1))}
    return PlanContext(city, types, general, {}, {})


def _spec(*measures: tuple[str, float]) -> PlanSpec:
    """A district whose gas use is given: 1,000 MWh/yr (and 200 MWh/yr of electricity)."""
    return PlanSpec("Clip", "testville", baseline={"natural_gas": Figure.of(1000), "electricity": Figure.of(200)},
                    samples=200, measures=[PlanMeasure(t, Figure.of(s)) for t, s in measures])


def test_clipping_warning_reports_the_demand_left_after_demand_reduction() -> None:
    """Retrofit 50 homes: 50 × 10,000 kWh × 0.5 = 250,000 kWh heat = 312.5 MWh gas saved → 687.5 MWh left
    (ratio 687.5 / 1,000 = 0.6875). 100 heat-pump homes on the reduced demand: 100 × 10,000 × 0.6875 = 687,500 kWh
    heat = 859.375 MWh of gas they would displace > 687.5 left → clipped to 687.5.
    Before: 'would displace 1,250 MWh/yr' (100 × 10,000 / 0.8, the demand before the retrofit)."""
    res = run_plan(_spec(("retro", 50), ("hp", 100)), _ctx(), suggest=False)
    [w] = [x for x in res.warnings if "would displace" in x]
    assert "would displace 859 MWh/yr of natural gas but only 688 MWh/yr of it remains" in w, w
    assert "clipped in 100% of samples" in w
    assert res.by_carrier["natural_gas"]["net"]["p50"] == pytest.approx(0)


def test_clipping_warning_when_the_central_case_is_not_clipped() -> None:
    """70 heat-pump homes at 8,000 / 10,000 / 14,000 kWh each: central 70 × 10,000 / 0.8 = 875 MWh of the 1,000
    left — not clipped; above 1,000,000 × 0.8 / 70 = 11,429 kWh a home (P = (14,000 − 11,429)² / (6,000 × 4,000)
    = 28 %) it is. Before: 'would displace 875 MWh/yr but only 875 MWh/yr of it remains' (the displaced amount
    reported as the remainder)."""
    hp = TYPES["hp"]
    params = dict(hp.params)
    params["heat_demand"] = Input("heat_demand", "heat_demand", 8000, 10000, 14000, "-", "reference", "test",
                                  measure="hp")
    ctx = _ctx({**TYPES, "hp": replace(hp, params=params)})
    res = run_plan(_spec(("hp", 70)), ctx, suggest=False)
    [w] = [x for x in res.warnings if "would displace" in x]
    assert "would displace 875 MWh/yr of natural gas and 1,000 MWh/yr of it remains" in w, w
    share = float(re.search(r"in (\d+)% of samples", w).group(1))  # type: ignore[union-attr]
    assert 18 <= share <= 38  # 28 % by hand, 200 samples


# --- (c) kb brief --param and --driver -----------------------------------------------------------------------

def test_brief_takes_params_and_drivers_entered_by_the_user(rep_db: Path, capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_MODEL", "fake-hash")
    args = ("brief", "test-pv-site", "--city", "sunville", "--date", "2026-01-01", "--db", str(rep_db))
    rc, plain, _ = _cli(capsys, *args)
    assert rc == 0
    rc, md, err = _cli(capsys, *args, "--param", "lifetime=20", "--driver", "pv_yield=1100")
    assert rc == 0, err
    assert re.search(r"^\| lifetime \(entered by the user\) \| 20 \|", md, flags=re.M), md
    assert re.search(r"\(entered by the user\) \| 1,100 \|", md)
    assert md != plain  # the estimate used them
    rc, _, err = _cli(capsys, *args, "--param", "lifetime=0")
    assert rc != 0 and err.count("\n") == 1 and "lifetime" in err and "from 1 to 100 yr" in err
    rc, _, err = _cli(capsys, *args, "--driver", "pv_yield=nan")
    assert rc != 0 and err.count("\n") == 1 and "pv_yield" in err and "not a finite number" in err
    rc, _, err = _cli(capsys, "brief", "test-pv-site", "test-heat-site", "--city", "sunville", "--db", str(rep_db),
                      "--param", "lifetime=20")
    assert rc != 0 and "SOLUTION:KEY=VALUE" in err


# --- guards: every model parameter has a bound, and the CLI refuses what is outside it -------------------------

ALL_KEYS = sorted({k for keys in MODEL_KEYS.values() for k in keys})


def test_every_model_key_has_a_bound() -> None:
    missing = [k for k in ALL_KEYS if k not in PARAM_BOUNDS]
    assert not missing, f"add a Bound to kb.replication.bounds.PARAM_BOUNDS for {missing}"
    for key in ALL_KEYS:
        b = param_bound(key)
        assert math.isfinite(b.low) and math.isfinite(b.high) and b.high < 1e308, key
    assert param_bound("lifetime").low >= 1
    for share in ("performance_ratio", "saving_fraction", "round_trip_efficiency"):  # fractions: (0, 1]
        b = param_bound(share)
        assert (b.low, b.high, b.low_open) == (0.0, 1.0, True), share


@pytest.mark.parametrize("key", ALL_KEYS)
def test_estimate_param_refuses_1e308_and_nan(key: str, rep_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for value, words in (("1e308", "outside the allowed range"), ("nan", "not a finite number")):
        rc, out, err = _cli(capsys, "estimate", "test-pv-site", "--city", "sunville", "--db", str(rep_db),
                            "--param", f"{key}={value}")
        lines = err.strip().splitlines()
        assert rc != 0 and out == "" and len(lines) == 1, (key, value, err)
        assert lines[0].startswith("error: --param ") and key in lines[0] and words in lines[0], lines[0]
        assert "allowed" in lines[0] and param_bound(key).describe() in lines[0]
    rc, _, err = _cli(capsys, "estimate", "test-pv-site", "--city", "sunville", "--db", str(rep_db),
                      "--param", "lifetime=0")
    assert rc != 0 and "lifetime: 0 is outside the allowed range (from 1 to 100 yr)" in err
