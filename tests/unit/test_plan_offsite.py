"""Off-site renewables and the services share of the load in district plans: format, refusals, PEDvirtual, profiles."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.loader import run_ingest
from kb.cli import main
from kb.embeddings import FakeEmbedder
from kb.plans.evaluate import PlanContext, PlanResult, load_context, run_plan
from kb.plans.model import Figure, OffsiteSupply, PlanError, PlanSpec, parse_plan, read_plan, to_toml, validate
from kb.store import database
from kb.views.plan import offsite_rows

ROOT = Path(__file__).resolve().parents[2]
KRAKOW = ROOT / "solutions" / "plans" / "krakow-example-district.toml"
SAMPLES = 40

PLAN = """
[district]
name = "Test district"
city = "krakow"
homes = 100

[[district.offsite]]
name = "Share in a wind park (contract)"
carrier = "electricity"
[district.offsite.supply]
value = 2000
unit = "MWh/yr"
evidence = "assumption"
source = "test-only figure, no source"

[[district.offsite]]
name = "PV park share"
supply = { low = 100, mid = 150, high = 300, evidence = "assumption", source = "test-only range" }

[district.load_profile]
services_share = { value = 0.3, evidence = "assumption", source = "test-only share" }
"""


def _assumed(value: float, what: str = "test-only figure (model assumption, no source)") -> Figure:
    return Figure(value, value, value, "MWh/yr", "assumption", what)


# --- the format ----------------------------------------------------------------------------------------------------

def test_offsite_and_load_profile_parse_and_round_trip() -> None:
    spec = parse_plan(PLAN)
    assert [o.name for o in spec.offsite] == ["Share in a wind park (contract)", "PV park share"]
    wind, pv = spec.offsite
    assert wind.carrier == pv.carrier == "electricity"
    assert wind.supply == Figure(2000, 2000, 2000, "MWh/yr", "assumption", "test-only figure, no source")
    assert (pv.supply.low, pv.supply.mid, pv.supply.high, pv.supply.unit) == (100, 150, 300, "MWh/yr")
    assert spec.services_share is not None and spec.services_share.mid == 0.3
    again = parse_plan(to_toml(spec))
    assert again == spec
    assert parse_plan(to_toml(again)) == spec


def test_a_plan_without_them_writes_neither() -> None:
    spec = read_plan(KRAKOW)
    assert spec.offsite == [] and spec.services_share is None
    text = to_toml(spec)
    assert "offsite" not in text and "load_profile" not in text


@settings(max_examples=40, deadline=None)
@given(names=st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30)
                      .filter(lambda s: s.strip() == s and s != ""), min_size=1, max_size=4),
       supply=st.floats(0, 1e9, allow_nan=False), share=st.floats(0, 1, allow_nan=False))
def test_any_valid_offsite_round_trips(names: list[str], supply: float, share: float) -> None:
    spec = PlanSpec("d", "krakow", homes=Figure.of(10, "homes"), services_share=Figure.of(share, "-"),
                    offsite=[OffsiteSupply(n, _assumed(supply)) for n in names])
    validate(spec)
    assert parse_plan(to_toml(spec)) == spec


@pytest.mark.parametrize(("entry", "message"), [
    ('carrier = "electricity"\nsupply = 10', "district.offsite[1].name: missing"),
    ('name = "  "\nsupply = 10', "district.offsite[1].name: missing"),
    ('name = "Wind"\nsupply = -5', "district.offsite[1].supply: must not be negative"),
    ('name = "Wind"\nsupply = { value = -5, evidence = "assumption" }', "district.offsite[1].supply"),
    ('name = "Wind"\nsupply = 1e12', "district.offsite[1].supply: 1,000,000,000,000 is outside the allowed range"),
    ('name = "Wind"\nsupply = nan', "district.offsite[1].supply: expected a finite number"),
    ('name = "Biogas"\ncarrier = "natural_gas"\nsupply = 10', "district.offsite[1].carrier: 'natural_gas' is not "
                                                              "supported; only electricity"),
    ('name = "Wind"\nsupply = 10\nshare = 0.5', "district.offsite[1]: unknown field(s) share"),
    ('name = "Wind"', "district.offsite[1].supply: missing"),
    ('name = "Wind"\nsupply = { value = 10, evidense = "x" }', "district.offsite[1].supply: unknown field(s) evidense"),
])
def test_bad_offsite_is_refused_naming_the_field(entry: str, message: str) -> None:
    text = f'[district]\nname = "d"\ncity = "krakow"\nhomes = 10\n\n[[district.offsite]]\n{entry}\n'
    with pytest.raises(PlanError) as exc:
        parse_plan(text)
    assert message in str(exc.value)


@pytest.mark.parametrize(("table", "message"), [
    ("[district.load_profile]\nservices_share = 1.5", "district.load_profile.services_share: 1.5 is outside"),
    ("[district.load_profile]\nservices_share = -0.1", "district.load_profile.services_share: must not be negative"),
    ("[district.load_profile]\nindustry_share = 0.2", "district.load_profile.industry_share: unknown field"),
    ("[district.ofsite]\nname = 'x'", "district: unknown field(s) ofsite"),
    ("offsite = 'wind'", "district.offsite: expected an array of tables"),
])
def test_bad_load_profile_or_district_key_is_refused(table: str, message: str) -> None:
    text = '[district]\nname = "d"\ncity = "krakow"\nhomes = 10\n' + table
    with pytest.raises(PlanError) as exc:
        parse_plan(text)
    assert message in str(exc.value)


def test_a_plan_built_in_the_app_is_validated_too() -> None:
    bad = PlanSpec("d", "krakow", homes=Figure.of(10), offsite=[OffsiteSupply("", _assumed(10))])
    with pytest.raises(PlanError, match=r"district\.offsite\[1\]\.name"):
        validate(bad)
    with pytest.raises(PlanError, match=r"district\.offsite\[1\]\.carrier"):
        validate(replace(bad, offsite=[OffsiteSupply("Gas", _assumed(10), "natural_gas")]))
    with pytest.raises(PlanError, match=r"district\.offsite\[1\]\.supply"):
        validate(replace(bad, offsite=[OffsiteSupply("Wind", _assumed(float("inf")))]))


# --- evaluated on the Kraków example ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("planoffsite") / "kb.sqlite"
    result = run_ingest(ROOT / "solutions", db, FakeEmbedder())
    assert not result.errors, result.errors
    return db


@pytest.fixture(scope="module")
def ctx(corpus_db: Path) -> PlanContext:
    return load_context(database.get_engine(corpus_db), "krakow")


@pytest.fixture(scope="module")
def krakow(ctx: PlanContext) -> PlanResult:
    return run_plan(read_plan(KRAKOW), ctx, samples=SAMPLES)


def _h(res: PlanResult) -> dict[str, Any]:
    assert res.hourly is not None, res.hourly_unavailable
    return res.hourly


def _defs(res: PlanResult) -> dict[str, dict[str, Any]]:
    return {d["key"]: d for d in _h(res)["ped"]["definitions"]}


def _pef(res: PlanResult) -> float:
    pef = res.by_carrier["electricity"]["pef"]
    assert isinstance(pef, float) and pef > 0
    return pef


def _with_supply(res: PlanResult, mwh: float) -> PlanSpec:
    return replace(res.spec, offsite=[OffsiteSupply("Share in a wind park (contract)", _assumed(mwh))])


def test_a_large_offsite_supply_meets_virtual_but_not_the_annual_balance(ctx: PlanContext, krakow: PlanResult) -> None:
    annual = _defs(krakow)["annual_primary_energy"]
    assert not annual["met"] and annual["margin"] < 0, "the example falls short within its boundary"
    assert not _defs(krakow)["virtual"]["met"]
    pef = _pef(krakow)
    supply = -annual["margin"] / pef * 1.5  # MWh/yr: half as much again as the shortfall needs
    res = run_plan(_with_supply(krakow, supply), ctx, samples=SAMPLES)
    defs = _defs(res)
    assert not defs["annual_primary_energy"]["met"]
    assert defs["annual_primary_energy"]["margin"] == pytest.approx(annual["margin"], rel=1e-12)
    assert defs["virtual"]["met"]
    assert defs["virtual"]["margin"] == pytest.approx(annual["margin"] + supply * pef, rel=1e-9)
    assert "Share in a wind park (contract)" in defs["virtual"]["explanation"]
    assert res.balance == krakow.balance, "the annual balance within the boundary is untouched, draw for draw"
    h = _h(res)
    assert h["ped"]["offsite_credit_mwh"] == pytest.approx(supply * pef)
    assert "offsite" in h["provenance"] and "assumption" in h["provenance"]["offsite"]
    assert h["ped_share"]["virtual"] == 1.0 and h["ped_share"]["annual_primary_energy"] == 0.0
    rows = offsite_rows(res)
    assert [r["off-site supply"] for r in rows] == ["Share in a wind park (contract)"]
    assert rows[0]["evidence"] == "assumption"
    assert any(a["key"] == "offsite_1" and a["evidence"] == "assumption" for a in res.assumptions)


def test_a_small_offsite_supply_meets_neither(ctx: PlanContext, krakow: PlanResult) -> None:
    annual = _defs(krakow)["annual_primary_energy"]
    pef = _pef(krakow)
    supply = -annual["margin"] / pef * 0.1
    defs = _defs(run_plan(_with_supply(krakow, supply), ctx, samples=SAMPLES))
    assert not defs["annual_primary_energy"]["met"] and not defs["virtual"]["met"]
    assert defs["virtual"]["margin"] == pytest.approx(annual["margin"] + supply * pef, rel=1e-9)
    assert "Even counting Share in a wind park (contract)" in defs["virtual"]["explanation"]


def test_cli_text_and_json_name_the_offsite_supply(corpus_db: Path, krakow: PlanResult, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    spec = _with_supply(krakow, 500.0)
    plan = tmp_path / "offsite.toml"
    plan.write_text(to_toml(spec), encoding="utf-8")
    db = corpus_db
    assert main(["plan", str(plan), "--db", str(db), "--samples", "20"]) == 0
    out = capsys.readouterr().out
    assert "off-site supply (PEDvirtual only): Share in a wind park (contract): 500 MWh/yr electricity" in out
    assert main(["plan", str(plan), "--db", str(db), "--samples", "20", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["hourly"]["offsite"][0]["mwh_per_year"] == pytest.approx(500.0)


# --- services share of the load ------------------------------------------------------------------------------------

def test_services_share_zero_gives_exactly_todays_hourly_kpis(ctx: PlanContext, krakow: PlanResult) -> None:
    res = run_plan(replace(krakow.spec, services_share=Figure.of(0.0, "-")), ctx, samples=SAMPLES)
    assert _h(res)["kpis"] == _h(krakow)["kpis"]
    assert _h(res)["kpi_ranges"] == _h(krakow)["kpi_ranges"]
    assert _h(res)["provenance"]["electricity"] == _h(krakow)["provenance"]["electricity"]
    assert "household profile (model assumption)" in _h(krakow)["provenance"]["electricity"]
    assert res.balance == krakow.balance


def _weekday_daytime_share(week_load: list[float]) -> float:
    load = np.asarray(week_load)
    hours = np.arange(len(load))
    day = (hours // 24 < 5) & (hours % 24 >= 8) & (hours % 24 < 18)
    return float(load[day].sum() / load.sum())


def test_services_share_one_shifts_the_load_to_weekday_daytime(ctx: PlanContext, krakow: PlanResult) -> None:
    share = Figure(1.0, 1.0, 1.0, "-", "assumption", "test-only: every remaining use on the services profile")
    res = run_plan(replace(krakow.spec, services_share=share), ctx, samples=SAMPLES)
    h, h0 = _h(res), _h(krakow)
    assert "G25" in h["provenance"]["electricity"] and "services" in h["provenance"]["electricity"]
    assert "test-only" in h["provenance"]["electricity"]
    assert h["annual_kwh"]["load"] == pytest.approx(h0["annual_kwh"]["load"], rel=1e-9), "the same energy"
    for season in h["weeks"]:
        assert _weekday_daytime_share(h["weeks"][season]["load"]) > _weekday_daytime_share(
            h0["weeks"][season]["load"]), season
    assert h["kpis"]["self_consumption"] > h0["kpis"]["self_consumption"]
    assert h["services_share"] == 1.0
    assert res.balance == krakow.balance, "the annual balance does not depend on when electricity is used"


def test_a_ranged_services_share_varies_across_the_draws(ctx: PlanContext, krakow: PlanResult) -> None:
    share = Figure(0.0, 0.5, 1.0, "-", "assumption", "test-only range")
    res = run_plan(replace(krakow.spec, services_share=share), ctx, samples=SAMPLES)
    h = _h(res)
    assert "services share of the load" in h["ranges_note"]
    r = h["kpi_ranges"]["self_consumption"]
    assert r["p10"] < r["p90"]
