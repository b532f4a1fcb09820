"""Match that listens, on the bundled corpus: the needs text, the city's district heating share and the records' status
move the ranking, and every factor is explained in a plain sentence."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

from ingest.loader import run_ingest
from kb.embeddings import FakeEmbedder
from kb.replication.cities import CityProfile, find_city
from kb.replication.fit import FACTOR_MEANINGS, Match, district_heating_factor, match, rank
from kb.replication.inputs import MeasureType, measure_types
from kb.replication.needs import heat_role, topics_in
from kb.store import database

ROOT = Path(__file__).resolve().parents[2]
NEEDS = "cut gas use in apartment blocks connected to district heating"
GAS_DH = "bio-gas-district-heating-dropped"
RAW = re.compile(r"\b\w+_\w+\b|kb\.|cosine|--\w|\bdriver\b")   # keys, module names, developer words, CLI flags


def _ingest(corpus: Path, db: Path) -> Engine:
    result = run_ingest(corpus, db, FakeEmbedder(name="fake-hash"))
    assert not result.errors, result.errors
    return database.get_engine(db)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return _ingest(ROOT / "solutions", tmp_path_factory.mktemp("listens") / "kb.sqlite")


@pytest.fixture(scope="module")
def krakow(engine: Engine) -> CityProfile:
    return find_city(engine, "krakow")


@pytest.fixture(scope="module")
def types(engine: Engine) -> dict[str, MeasureType]:
    return measure_types(engine)


def _role(m: Match, types: dict[str, MeasureType]) -> str:
    return heat_role(types[t] for t in m.measure_types)


def _rank_of(ranked: list[Match], pred: Callable[[Match], bool]) -> list[int]:
    return [i for i, m in enumerate(ranked) if pred(m)]


def test_needs_about_gas_and_district_heating_put_a_heat_solution_above_rooftop_pv(
        engine: Engine, krakow: CityProfile, types: dict[str, MeasureType]) -> None:
    ranked = match(engine, krakow, needs=NEEDS, embedder=FakeEmbedder(name="fake-hash"))
    heat = _rank_of(ranked, lambda m: _role(m, types) in ("network", "individual"))
    pv = _rank_of(ranked, lambda m: "rooftop-pv" in m.measure_types)
    assert heat and pv and heat[0] < pv[0], [m.id for m in ranked[:5]]
    assert _role(ranked[0], types) == "network", "the best fit supplies a heat network"
    needs = next(f for f in ranked[0].factors if f.name == "needs")
    assert "gas" in needs.explanation and "district heating" in needs.explanation
    # without the needs, the same city ranks rooftop PV first: the needs text moved the ranking
    assert "rooftop-pv" in match(engine, krakow)[0].measure_types


def test_krakow_district_heating_share_lifts_heat_network_solutions(engine: Engine, krakow: CityProfile,
                                                                    types: dict[str, MeasureType]) -> None:
    """What the model guarantees with no needs: at Kraków's 68 % the best heat-network solution is in the upper half,
    and every heat-network solution ranks higher (boiler replacement lower) than in the same city with no district
    heating. (Most heat solutions do not pay back at Kraków's prices, which keeps some of them in the lower half.)"""
    assert krakow.value("district_heating_share_city") == 68
    ranked = match(engine, krakow)
    network = _rank_of(ranked, lambda m: _role(m, types) == "network")
    assert network and network[0] < len(ranked) / 2, [m.id for m in ranked]
    no_dh = match(engine, krakow.with_drivers({"district_heating_share_city": 0}))
    pos = {m.id: i for i, m in enumerate(ranked)}
    pos0 = {m.id: i for i, m in enumerate(no_dh)}
    for m in ranked:
        if _role(m, types) == "network":
            assert pos[m.id] < pos0[m.id], m.id
        elif _role(m, types) == "individual":
            assert pos[m.id] > pos0[m.id], m.id
    dh = next(f for f in ranked[network[0]].factors if f.name == "district heating")
    assert dh.explanation.startswith("District heating serves about 68 % of Kraków (city figure)")


def test_dropped_scheme_is_a_lesson_not_a_solution_to_replicate(engine: Engine, krakow: CityProfile) -> None:
    ranking = rank(engine, krakow, needs=NEEDS, embedder=FakeEmbedder(name="fake-hash"))
    assert GAS_DH not in {m.id for m in ranking.matches}
    lesson = next(d for d in ranking.dropped if d.id == GAS_DH)
    assert ranking.dropped[0].id == GAS_DH, "the scheme about gas and district heating comes first for these needs"
    assert lesson.city_name == "Bilbao" and lesson.status == "dropped"
    assert "not ranked as a solution to replicate" in lesson.reason
    assert "abandoned in April 2012" in lesson.reason and "opposition" in lesson.reason
    assert "[S" not in lesson.reason and "**" not in lesson.reason


def test_a_dropped_record_with_an_impact_model_is_not_ranked(tmp_path: Path) -> None:
    corpus = tmp_path / "solutions"
    shutil.copytree(ROOT / "solutions", corpus)
    rec = corpus / "amsterdam" / "ams-republica-pv.md"
    rec.write_text(re.sub(r"(?m)^status: .*$", "status: dropped", rec.read_text(encoding="utf-8"), count=1),
                   encoding="utf-8")
    ranking = rank(_ingest(corpus, tmp_path / "kb.sqlite"), "krakow")
    assert "ams-republica-pv" not in {m.id for m in ranking.matches}
    assert "ams-republica-pv" in {d.id for d in ranking.dropped}


@pytest.mark.parametrize("needs", [None, NEEDS, "magazyn energii dla osiedla"])
def test_every_factor_is_a_plain_sentence(engine: Engine, krakow: CityProfile, needs: str | None) -> None:
    ranking = rank(engine, krakow, needs=needs, embedder=FakeEmbedder(name="fake-hash"))
    for m in ranking.matches:
        for f in m.factors:
            assert f.name in FACTOR_MEANINGS and not RAW.search(f.name)
            assert not f.explanation[0].islower() and f.explanation.endswith("."), f.explanation
            assert not RAW.search(f.explanation), (m.id, f.explanation)
    for d in ranking.dropped:
        assert not RAW.search(d.reason), d.reason


def test_needs_topics_read_english_and_polish() -> None:
    assert [t.name for t in topics_in(NEEDS)] == ["gas", "district heating", "heat", "apartment blocks"]
    pl = "ograniczyć zużycie gazu w blokach podłączonych do sieci ciepłowniczej"
    assert [t.name for t in topics_in(pl)] == ["gas", "district heating", "heat", "apartment blocks"]
    assert topics_in("xqzvbnm") == []


@given(st.floats(0, 100), st.floats(0, 100))
def test_district_heating_factor_moves_with_the_share(a: float, b: float) -> None:
    net = MeasureType("thermal-network", "thermal network", "heat_pump", "homes", "natural_gas")
    ashp = MeasureType("air-source-heat-pump", "air-source heat pump", "heat_pump", "homes", "natural_gas")
    pv = MeasureType("rooftop-pv", "rooftop PV", "pv", "kWp", "electricity")
    base = CityProfile("x", "Xcity")
    lo, hi = sorted((a, b))
    cl = base.with_drivers({"district_heating_share_city": lo})
    ch = base.with_drivers({"district_heating_share_city": hi})

    def score(city: CityProfile, mt: MeasureType) -> float:
        f = district_heating_factor(city, [mt])
        assert f is not None and 0 <= f.score <= 1
        return f.score

    assert score(cl, net) <= score(ch, net) and score(cl, ashp) >= score(ch, ashp)
    assert district_heating_factor(ch, [pv]) is None, "electricity measures are not weighed by the heat supply"
