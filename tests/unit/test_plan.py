"""District plans: a hand-computed district, stacking guards, the zero boundary, invalid plans, the examples, CLI."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from ingest.loader import run_ingest
from kb import accounts
from kb.briefs.plan import build_plan_brief
from kb.cli import main
from kb.embeddings import FakeEmbedder
from kb.plans.evaluate import PlanContext, evaluate_plan, run_plan
from kb.plans.model import (
    Figure,
    PlanError,
    PlanMeasure,
    PlanSpec,
    parse_plan,
    read_plan,
    share_sum_error,
    to_toml,
    validate,
)
from kb.plans.saved import list_plans, load_plan, save_plan
from kb.replication.cities import CityProfile, Driver
from kb.replication.inputs import Input, MeasureType
from kb.store import backup, database

ROOT = Path(__file__).resolve().parents[2]
PLANS = ROOT / "solutions" / "plans"
EXAMPLES = sorted(PLANS.glob("*.toml"))


# --- a test world with fixed parameters (low = mid = high), so every result is exact ------------------------------

def _fixed(measure: str, **values: float) -> dict[str, Input]:
    return {k: Input.fixed(k, k, v, "-", "reference", "test", measure=measure) for k, v in values.items()}


def _mt(mid: str, model: str, unit: str, displaces: str, **values: float) -> MeasureType:
    return MeasureType(mid, mid, model, unit, displaces, _fixed(mid, **values))


TYPES = {
    "retro": _mt("retro", "retrofit", "homes", "natural_gas", heat_demand=10000, reference_hdd=3000,
                 space_heating_share=1.0, saving_fraction=0.5, displaced_efficiency=0.8, capex=20000,
                 lifetime=30),  # space_heating_share 1: the test world counts all delivered heat as space heating
    "hp": _mt("hp", "heat_pump", "homes", "natural_gas", heat_demand=10000, reference_hdd=3000, scop=4,
              displaced_efficiency=0.8, capex=10000, opex=100, lifetime=20),
    "hp2": _mt("hp2", "heat_pump", "homes", "natural_gas", heat_demand=10000, reference_hdd=3000, scop=4,
               displaced_efficiency=0.8, capex=10000, opex=100, lifetime=20),
    "pv": _mt("pv", "pv", "kWp", "electricity", performance_ratio=0.9, capex=1000, opex=10, lifetime=25),
    "pv1": _mt("pv1", "pv", "kWp", "electricity", performance_ratio=1.0, capex=1000, opex=10, lifetime=25),
    "nopar": _mt("nopar", "pv", "kWp", "electricity", capex=1000, opex=10, lifetime=25),  # no performance_ratio
}


def _city(**drop: bool) -> CityProfile:
    values = {"hdd": (3000, "K·d"), "pv_yield": (1000, "kWh/kWp/yr"), "grid_co2": (500, "g/kWh"),
              "pef_electricity": (2.0, "kWh/kWh"), "electricity_price_household": (0.25, "EUR/kWh"),
              "gas_price_household": (0.08, "EUR/kWh")}
    drivers = {k: Driver(k, v, u, evidence="reference", source="test") for k, (v, u) in values.items()
               if not drop.get(k)}
    return CityProfile("testville", "Testville", "XX", (), "other", drivers)


GENERAL = {k: Input.fixed(k, k, v, "kWh/kWh", "reference", "test", role="factor")
           for k, v in (("co2_natural_gas", 0.2), ("pef_natural_gas", 1.1))}
REFERENCE = {k: Input.fixed(k, k, v, "-", "reference", "test", role="reference")
             for k, v in (("heat_intensity", 100), ("reference_hdd", 3000), ("electricity_use", 2000),
                          ("boiler_efficiency", 0.8), ("kwp_per_m2", 0.125))}


def _ctx(city: CityProfile | None = None) -> PlanContext:
    return PlanContext(city or _city(), TYPES, GENERAL, REFERENCE, {"pv": [("sol-pv", "A PV site")]})


def _spec(*measures: tuple[str, float], **kw: object) -> PlanSpec:
    spec = PlanSpec("Test district", "testville", homes=Figure.of(100),
                    floor_area={"residential": Figure.of(8000, "m2")}, heating={"natural_gas": Figure.of(1.0)},
                    limits={"roof_area": Figure.of(2000, "m2")}, samples=50,
                    measures=[PlanMeasure(t, Figure.of(s)) for t, s in measures])
    return replace(spec, **kw)  # type: ignore[arg-type]


def test_hand_computed_district() -> None:
    """Baseline, retrofit → heat pumps on the reduced demand → PV, all by hand."""
    res = run_plan(_spec(("pv", 200), ("hp", 40), ("retro", 50)), _ctx())  # file order ≠ physical order
    d = res.to_dict()
    # baseline: heat = 8000 m² × 100 kWh/m² × 3000/3000 = 800,000 kWh; gas = 800,000 / 0.8 = 1,000 MWh
    #           electricity = 100 homes × 2,000 kWh = 200 MWh
    assert d["by_carrier"]["natural_gas"]["baseline"]["p50"] == pytest.approx(1000)
    assert d["by_carrier"]["electricity"]["baseline"]["p50"] == pytest.approx(200)
    # baseline balance = −(200 × 2.0 + 1000 × 1.1) = −1,500 MWh_PE
    assert d["metrics"]["baseline_balance"]["p50"] == pytest.approx(-1500)
    # one heat basis (issue 15): the heat measures use the district's heat per home, 8,000 m² ÷ 100 homes × 100
    # kWh/m² = 8,000 kWh (not the types' 10,000, which would make a home save more than its baseline share)
    # retrofit: 50 × 8,000 × 1.0 × 0.5 = 200,000 kWh heat → −250,000 kWh gas; remaining gas 750,000 (ratio 0.75)
    # heat pumps on the reduced demand: 40 × 8,000 × 0.75 = 240,000 kWh heat → +60,000 kWh el, −300,000 kWh gas
    # PV: 200 kWp × 1000 × 0.9 = 180,000 kWh
    # net: electricity 200,000 + 60,000 − 180,000 = 80,000; gas 1,000,000 − 250,000 − 300,000 = 450,000
    assert d["by_carrier"]["electricity"]["net"]["p50"] == pytest.approx(80)
    assert d["by_carrier"]["natural_gas"]["net"]["p50"] == pytest.approx(450)
    # balance = −(80 × 2 + 450 × 1.1) = −(160 + 495) = −655 MWh_PE
    assert d["balance"] == pytest.approx({"p10": -655, "p50": -655, "p90": -655,
                                          "unit": "MWh_PE/yr", "central": -655})
    assert not res.positive and d["status"] == "short"
    by = {m["measure_type"]: m for m in d["measures"]}
    assert [m["measure_type"] for m in d["measures"]] == ["pv", "hp", "retro"]  # reported in file order
    assert by["retro"]["primary_energy"]["p50"] == pytest.approx(250 * 1.1)  # 275
    assert by["hp"]["primary_energy"]["p50"] == pytest.approx(-60 * 2 + 300 * 1.1)  # 210
    assert by["pv"]["primary_energy"]["p50"] == pytest.approx(360)
    # the waterfall runs in physical order and adds up: −1500 + 275 + 210 + 360 = −655
    steps = [w["step"] for w in d["waterfall"]]
    assert steps == ["baseline", "retro", "hp", "pv", "balance"]
    assert sum(w["value"] for w in d["waterfall"][:-1]) == pytest.approx(d["waterfall"][-1]["value"])
    # CO2: before 200,000 × 0.5 + 1,000,000 × 0.2 = 300 t; after 80,000 × 0.5 + 450,000 × 0.2 = 130 t
    assert d["metrics"]["co2_avoided"]["p50"] == pytest.approx(170)
    # capex 50 × 20,000 + 40 × 10,000 + 200 × 1,000; savings 120,000 × 0.25 + 550,000 × 0.08; opex 4,000 + 2,000
    assert d["metrics"]["capex"]["p50"] == pytest.approx(1_600_000)
    assert d["metrics"]["savings"]["p50"] == pytest.approx(74_000)
    assert d["metrics"]["payback"]["p50"] == pytest.approx(1_600_000 / (74_000 - 6_000))
    assert d["warnings"] == []


def test_shortfall_suggests_pv_bounded_by_the_roof() -> None:
    d = run_plan(_spec(("pv", 200), ("hp", 40), ("retro", 50)), _ctx()).to_dict()
    sf = d["shortfall"]
    assert sf["mwh_pe"] == pytest.approx(655)  # the balance of test_hand_computed_district
    pv = next(s for s in sf["suggestions"] if s["measure_type"] == "rooftop-pv") if any(
        s["measure_type"] == "rooftop-pv" for s in sf["suggestions"]) else None
    assert pv is None  # the test world has no rooftop-pv type: nothing invented


def test_shortfall_with_knowledge_base_types_names_solutions() -> None:
    types = {**TYPES, "rooftop-pv": replace(TYPES["pv"], id="rooftop-pv")}
    ctx = replace(_ctx(), types=types, solutions={"rooftop-pv": [("sol-pv", "A PV site")]})
    d = run_plan(_spec(("rooftop-pv", 200), ("hp", 40), ("retro", 50)), ctx).to_dict()
    pv = next(s for s in d["shortfall"]["suggestions"] if s["measure_type"] == "rooftop-pv")
    # 1 kWp → 900 kWh × 2.0 = 1.8 MWh_PE; the roof holds 2000 × 0.125 = 250 kWp, 200 used → 50 left
    assert pv["per_unit_mwh_pe"] == pytest.approx(1.8)
    assert pv["needed"] == pytest.approx(655 / 1.8)
    assert pv["bound"] == pytest.approx(50) and pv["scale"] == 50 and not pv["closes_gap_alone"]
    assert pv["solutions"] == [{"id": "sol-pv", "title": "A PV site"}]


def test_zero_boundary_is_neutral_not_positive() -> None:
    """1,000 MWh of electricity against 1,000 kWp × 1,000 kWh/kWp × 1.0: exactly zero → 'neutral', not positive."""
    spec = PlanSpec("Zero", "testville", baseline={"electricity": Figure.of(1000)}, samples=20,
                    measures=[PlanMeasure("pv1", Figure.of(1000))])
    res = run_plan(spec, _ctx())
    assert res.balance["p50"] == 0.0 and res.status == "neutral" and res.positive is False
    assert res.to_dict()["positive"] is False
    more = run_plan(replace(spec, measures=[PlanMeasure("pv1", Figure.of(1001))]), _ctx())
    assert more.balance["p50"] == pytest.approx(2.0) and more.positive  # 1 MWh × 2.0
    less = run_plan(replace(spec, measures=[PlanMeasure("pv1", Figure.of(999))]), _ctx())
    assert less.status == "short" and less.shortfall["mwh_pe"] == pytest.approx(2.0)


def test_guard_pv_larger_than_the_roof() -> None:
    w = run_plan(_spec(("pv", 300)), _ctx()).warnings
    assert any("exceeds the roof" in x and "250 kWp" in x for x in w), w


def test_guard_two_heating_systems_for_the_same_homes() -> None:
    w = run_plan(_spec(("hp", 60), ("hp2", 60)), _ctx()).warnings
    assert any("120 homes" in x and "two heating systems" in x for x in w), w


def test_guard_retrofit_beyond_the_district() -> None:
    w = run_plan(_spec(("retro", 150)), _ctx()).warnings
    assert any("retrofit covers 150 homes but the district has 100" in x for x in w), w


def test_displaced_demand_is_clipped_with_a_warning() -> None:
    """100 heat-pump homes want 100 × 10,000 / 0.8 = 1,250 MWh of gas; only 1,000 exist → clipped to 1,000.

    The gas baseline is entered (1,000 MWh), so the heat pumps keep the type's 10,000 kWh per home; with a baseline
    from floor area they would use the district's own heat per home and fit exactly (test below)."""
    res = run_plan(_spec(("hp", 100), baseline={"natural_gas": Figure.of(1000), "electricity": Figure.of(200)}),
                   _ctx())
    d = res.to_dict()
    assert d["by_carrier"]["natural_gas"]["net"]["p50"] == pytest.approx(0)
    # heat actually supplied 1,000,000 × 0.8 = 800,000 kWh → electricity 800,000 / 4 = +200 MWh on top of 200
    assert d["by_carrier"]["electricity"]["net"]["p50"] == pytest.approx(400)
    assert any("would displace 1,250 MWh/yr of natural gas" in x and "clipped" in x for x in res.warnings)


def test_missing_parameter_and_driver_are_per_measure_warnings() -> None:
    res = run_plan(_spec(("nopar", 10), ("retro", 10)), _ctx())
    bad = res.measures[0]
    assert bad["status"] == "error" and "performance_ratio" in bad["error"]
    assert any("left out of the balance" in w and "performance_ratio" in w for w in res.warnings)
    assert res.measures[1]["status"] == "ok"
    res2 = run_plan(_spec(("pv", 10)), _ctx(_city(pv_yield=True)))
    assert res2.measures[0]["status"] == "error" and "pv_yield" in res2.measures[0]["error"]


def test_seeded_and_reproducible() -> None:
    uncertain = {**REFERENCE, "electricity_use": Input("electricity_use", "electricity_use", 1000, 2000, 4000, "-",
                                                       "reference", "test", role="reference")}
    ctx = replace(_ctx(), reference=uncertain)
    a = run_plan(_spec(("pv", 100)), ctx, samples=500, seed=7).balance
    b = run_plan(_spec(("pv", 100)), ctx, samples=500, seed=7).balance
    c = run_plan(_spec(("pv", 100)), ctx, samples=500, seed=8).balance
    assert a == b and a != c and a["p10"] < a["p50"] < a["p90"]


# --- invalid plans ------------------------------------------------------------------------------------------------

GOOD = """
[district]
name = "D"
city = "testville"
homes = 10
[district.floor_area]
residential = 800
[district.heating]
natural_gas = 1.0
[[measures]]
type = "pv"
scale = {value = 5, evidence = "design", source = "drawing"}
"""


def test_plan_round_trips_through_toml() -> None:
    spec = parse_plan(GOOD)
    assert spec.measures[0].scale.evidence == "design"
    again = parse_plan(to_toml(spec))
    assert again == spec


@pytest.mark.parametrize(("text", "message"), [
    (GOOD.replace("residential = 800", "residential = -800"), "must not be negative"),
    (GOOD.replace('city = "testville"', ""), "district.city"),
    (GOOD.replace("[district]", "[distrikt]"), "unknown section"),
    (GOOD.replace("natural_gas = 1.0", "natural_gas = 0.5"), "add up to 1"),
    (GOOD.replace('scale = {value = 5, evidence = "design", source = "drawing"}', ""), "missing field 'scale'"),
    (GOOD.replace('evidence = "design"', 'evidence = "hearsay"'), "evidence 'hearsay'"),
    (GOOD + "\n[[measures]]\ntype = 'pv'\nscale = 'lots'\n", "expected a number"),
    (GOOD.replace("homes = 10", "homes = = 10"), "malformed TOML at line 5"),
])
def test_invalid_plans_raise_clear_errors(text: str, message: str) -> None:
    with pytest.raises(PlanError, match=message):
        parse_plan(text)


def test_unknown_measure_type_is_a_plan_error() -> None:
    with pytest.raises(PlanError, match="unknown measure type 'solar-sails'"):
        run_plan(_spec(("solar-sails", 1)), _ctx())


def test_district_heat_without_a_factor_asks_for_one() -> None:
    spec = _spec(heating={"district_heat": Figure.of(1.0)})
    with pytest.raises(PlanError, match=r"pef_district_heat"):
        run_plan(spec, _ctx())
    ok = run_plan(replace(spec, factors={"pef_district_heat": Figure.of(0.5)}), _ctx())
    # 800,000 kWh of heat × 0.5 + 200,000 kWh × 2.0 → −800 MWh_PE
    assert ok.balance["p50"] == pytest.approx(-800)
    assert any("district heat" in x for x in ok.to_dict()["not_computed"])


# --- the bundled corpus: both example plans, CLI, saving, backup, brief ------------------------------------------

@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("plans") / "kb.sqlite"
    result = run_ingest(ROOT / "solutions", db, FakeEmbedder())
    assert not result.errors, result.errors
    return db


def test_ingest_ignores_plan_files(corpus_db: Path) -> None:
    from kb.store import catalog

    ids = {r.id for r in catalog.list_records(database.get_engine(corpus_db))}
    assert EXAMPLES and not {p.stem for p in EXAMPLES} & ids


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_plans_evaluate(corpus_db: Path, path: Path) -> None:
    spec = read_plan(path)
    res = evaluate_plan(database.get_engine(corpus_db), spec, samples=400)
    d = res.to_dict()
    assert d["city"] in ("krakow", "budapest") and d["balance"]["unit"] == "MWh_PE/yr"
    assert d["balance"]["p10"] <= d["balance"]["p50"] <= d["balance"]["p90"]
    # HU has no national PEF: the EU default is labelled FALLBACK. PL now has its national non-renewable factors
    # (electricity 2.5, gas 1.1; Dz.U. 2023 poz. 697, issue 15), so Kraków's notes carry no fallback.
    assert any("FALLBACK" in n for n in d["notes"]) == (d["city"] == "budapest")
    assert all(m["status"] == "ok" or m["error"] for m in d["measures"])
    if not res.positive:
        assert d["shortfall"]["mwh_pe"] > 0 and d["shortfall"]["suggestions"]


def test_krakow_example_reports_the_missing_car_sharing_parameter(corpus_db: Path) -> None:
    res = evaluate_plan(database.get_engine(corpus_db), read_plan(PLANS / "krakow-example-district.toml"),
                        samples=200)
    cs = next(m for m in res.measures if m["measure_type"] == "car-sharing")
    assert cs["status"] == "error" and "km_per_shared_car" in cs["error"]


def test_cli_json(corpus_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["plan", str(PLANS / "budapest-kobanya-feherdulo.toml"), "--json", "--db", str(corpus_db),
               "--samples", "300"])
    assert rc == 0
    data = json.loads(capsys.readouterr().out)
    assert {"district", "city", "balance", "positive", "by_carrier", "measures", "warnings", "shortfall"} <= set(data)
    assert set(data["balance"]) >= {"p10", "p50", "p90", "unit"} and isinstance(data["positive"], bool)


def test_cli_table_and_brief(corpus_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "plan.md"
    rc = main(["plan", str(PLANS / "krakow-example-district.toml"), "--db", str(corpus_db), "--samples", "200",
               "--brief", str(out), "--date", "2025-01-01"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "primary-energy balance" in text and "shortfall at P50" in text
    md = out.read_text(encoding="utf-8")
    # Kraków's PEF is now the national one (Dz.U. 2023 poz. 697), not the labelled EU fallback (issue 15)
    assert md.startswith("# District plan for Kraków") and "## What would close the gap" in md and "697" in md


@pytest.mark.parametrize(("body", "message"), [
    ("[district]\nname = 'x'\ncity = 'atlantis'\nhomes = 1\n", "no city 'atlantis'"),
    ("[district]\nname = 'x'\ncity = 'krakow'\nhomes = -1\n", "must not be negative"),
    ("[district]\nname = 'x'\ncity = 'krakow'\nhomes = 1\n[[measures]]\ntype = 'warp-drive'\nscale = 1\n",
     "unknown measure type 'warp-drive'"),
    ("[district\nname = 'x'\n", "malformed TOML at line 1"),
])
def test_cli_invalid_plan_exits_2(corpus_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str,
                                  message: str) -> None:
    f = tmp_path / "bad.toml"
    f.write_text(body, encoding="utf-8")
    assert main(["plan", str(f), "--db", str(corpus_db)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: invalid plan:") and message in err and "Traceback" not in err


def test_saving_needs_staff_and_plans_survive_backup(corpus_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "own.sqlite"
    import shutil

    shutil.copy(corpus_db, db)
    engine = database.get_engine(db)
    spec = read_plan(PLANS / "budapest-kobanya-feherdulo.toml")
    with pytest.raises(accounts.PermissionDenied):
        save_plan(engine, spec, accounts.ANONYMOUS)
    with pytest.raises(accounts.PermissionDenied):
        save_plan(engine, spec, accounts.Actor("v", "viewer"))
    pid = save_plan(engine, spec, accounts.Actor("eva", "staff"))
    assert [p["name"] for p in list_plans(engine)] == [spec.name]
    archive = tmp_path / "backup.zip"
    counts = backup.export_archive(engine, archive)
    assert counts["district_plan"] == 1
    restored = database.get_engine(tmp_path / "restored.sqlite")
    backup.import_archive(archive, restored)
    assert load_plan(restored, pid) == load_plan(engine, pid) == parse_plan(to_toml(spec))


def test_plan_brief_renders_in_every_format(corpus_db: Path) -> None:
    from kb.briefs.formats import render

    res = evaluate_plan(database.get_engine(corpus_db), read_plan(PLANS / "budapest-kobanya-feherdulo.toml"),
                        samples=200)
    brief = build_plan_brief(res, "2025-01-01")
    assert render(brief, "pdf").startswith(b"%PDF")
    assert render(brief, "docx")[:2] == b"PK"
    html = render(brief, "html").decode()
    assert "<svg" in html and "Kőbánya" in html


# --- suggestions keep to the plan's own limits (issue 17) --------------------------------------------------------

def _kb_types() -> dict[str, MeasureType]:
    """The test world plus the measure-type ids the shortfall tries (rooftop, façade PV, air-source heat pump)."""
    return {**TYPES, "rooftop-pv": replace(TYPES["pv"], id="rooftop-pv"),
            "facade-pv": replace(TYPES["pv"], id="facade-pv"),
            "air-source-heat-pump": replace(TYPES["hp"], id="air-source-heat-pump")}


def test_no_facade_pv_suggested_without_a_facade_area() -> None:
    ctx = replace(_ctx(), types=_kb_types())
    sugg = run_plan(_spec(("rooftop-pv", 250)), ctx).shortfall["suggestions"]  # the roof is full (250 kWp)
    assert not any(s["measure_type"] == "facade-pv" for s in sugg), sugg
    assert not any(s["measure_type"] == "rooftop-pv" for s in sugg), "the roof limit is used up: nothing to add"


def test_facade_pv_suggested_within_the_facade_area_left() -> None:
    ctx = replace(_ctx(), types=_kb_types())
    limits = {"roof_area": Figure.of(2000, "m2"), "facade_area": Figure.of(400, "m2")}
    sugg = run_plan(_spec(("facade-pv", 20), limits=limits), ctx).shortfall["suggestions"]
    fac = next(s for s in sugg if s["measure_type"] == "facade-pv")
    # 400 m² × 0.125 kWp/m² = 50 kWp of façade, 20 planned: at most 30 more
    assert fac["bound"] == pytest.approx(30) and 0 < fac["scale"] <= 30
    full = run_plan(_spec(("facade-pv", 50), limits=limits), ctx).shortfall["suggestions"]
    assert not any(s["measure_type"] == "facade-pv" for s in full), "the façade is full"


def test_no_more_heat_pumps_where_the_planned_ones_are_clipped() -> None:
    """150 heat pumps on gas in a district of 100 gas-heated homes: clipped in every draw, so no more are suggested
    for gas; the suggested heat pumps never exceed the homes heated by a carrier and not yet covered."""
    ctx = replace(_ctx(), types=_kb_types())
    res = run_plan(_spec(("air-source-heat-pump", 150)), ctx)
    assert any("clipped" in w for w in res.warnings)
    assert not any(s["measure_type"] == "air-source-heat-pump" for s in res.shortfall["suggestions"])
    some = run_plan(_spec(("air-source-heat-pump", 30)), ctx).shortfall["suggestions"]
    hp = next(s for s in some if s["measure_type"] == "air-source-heat-pump")
    assert hp["scale"] <= 70, "100 gas-heated homes, 30 already have heat pumps"


def test_together_is_the_rerun_of_rows_from_the_table() -> None:
    """The combination adds only measures of the suggestion table, none beyond its limit, and its balance is the
    plan re-run with them (the same seed), so the summary and the table agree."""
    ctx = replace(_ctx(), types=_kb_types())
    spec = _spec(("rooftop-pv", 100))
    res = run_plan(spec, ctx)
    sf = res.shortfall
    table = {(s["measure_type"], s["displaces"]): s for s in sf["suggestions"]}
    assert sf["combination"]
    for c in sf["combination"]:
        row = table[(c["measure_type"], c["displaces"])]
        assert row["bound"] is None or c["scale"] <= row["bound"]
    extra = [PlanMeasure(c["measure_type"], Figure.of(c["scale"]), c["displaces"] if c["unit"] != "kWp" else "")
             for c in sf["combination"]]
    again = run_plan(replace(spec, measures=[*spec.measures, *extra]), ctx, suggest=False)
    assert sf["with_combination"]["balance"]["p50"] == pytest.approx(again.balance["p50"])


def test_heat_shares_above_one_are_refused_naming_the_shares() -> None:
    with pytest.raises(PlanError, match=r"natural_gas 0\.9 \+ district_heat 0\.9 = 1\.8"):
        parse_plan(GOOD.replace("natural_gas = 1.0", "natural_gas = 0.9\ndistrict_heat = 0.9"))
    spec = parse_plan(GOOD)
    spec.heating = {"natural_gas": Figure.of(0.9), "district_heat": Figure.of(0.9)}  # as a builder could make it
    with pytest.raises(PlanError, match=r"more than all of the heat: natural_gas 0\.9 \+ district_heat 0\.9 = 1\.8"):
        validate(spec)
    sentence = share_sum_error({"gas": 0.9, "district heat": 0.9})
    assert sentence.startswith("Shares of heat: gas 90 % + district heat 90 % = 180 %")
    assert share_sum_error({"gas": 0.5, "district heat": 0.5}) == ""
