"""The My city page's hourly profiles: four typical weeks per profile, monthly totals, provenance and sources."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from ingest.loader import run_ingest
from kb.embeddings import FakeEmbedder
from kb.replication.cities import city_from_dict, find_city
from kb.store import database
from kb.views.profiles import SEASONS, CityProfiles, city_profiles, monthly_rows, reference_figures, week_rows

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    db = tmp_path_factory.mktemp("cityprofiles") / "kb.sqlite"
    result = run_ingest(ROOT / "solutions", db, FakeEmbedder())
    assert not result.errors, result.errors
    return database.get_engine(db)


@pytest.fixture(scope="module")
def krakow(engine: Engine) -> CityProfiles:
    return city_profiles(find_city(engine, "krakow"), reference_figures(engine))


def test_every_profile_has_four_weeks_of_168_hours_and_monthly_totals(krakow: CityProfiles) -> None:
    assert not krakow.reason
    assert [p.key for p in krakow.profiles] == ["pv", "household", "services", "heat", "temperature", "cop"]
    for p in krakow.profiles:
        assert set(p.weeks) == set(SEASONS)
        assert all(len(w) == 168 for w in p.weeks.values()), p.key
        assert len(p.monthly) == 12 and p.unit and p.provenance and p.sources
        if p.monthly_kind == "sum":
            assert sum(p.monthly) == pytest.approx(p.annual, rel=1e-9), p.key
        else:
            assert min(p.monthly) <= p.annual <= max(p.monthly), p.key
    p = {x.key: x for x in krakow.profiles}
    assert p["heat"].annual == pytest.approx(1000.0) and p["services"].annual == pytest.approx(1000.0)
    assert p["household"].annual == pytest.approx(3600.0) and "per home" in p["household"].unit
    assert 900 < p["pv"].annual < 1300, "Kraków: about 1,000 kWh/kWp/yr at 35° south"


def test_seasons_differ_the_way_the_climate_says(krakow: CityProfiles) -> None:
    p = {x.key: x for x in krakow.profiles}
    assert sum(p["pv"].weeks["summer"]) > 2 * sum(p["pv"].weeks["winter"])
    assert sum(p["heat"].weeks["winter"]) > 3 * sum(p["heat"].weeks["summer"])
    assert max(p["temperature"].weeks["winter"]) < min(p["temperature"].weeks["summer"])
    assert sum(p["cop"].weeks["summer"]) > sum(p["cop"].weeks["winter"])
    assert max(p["pv"].weeks["winter"][:6]) == 0.0, "no PV before dawn on a January Monday"


def test_provenance_names_the_methods_and_the_city_sources(krakow: CityProfiles) -> None:
    p = {x.key: x for x in krakow.profiles}
    assert "pvlib" in p["pv"].provenance and "tilt 35°" in p["pv"].provenance
    assert "UTC+1" in p["pv"].provenance
    assert any(s.startswith("krakow S7:") for s in p["pv"].sources), "the typical-year climate file"
    assert any(s.startswith("krakow S2:") for s in p["pv"].sources), "the coordinates"
    assert "BDEW" in p["household"].provenance and "H25" in p["household"].provenance
    assert "G25" in p["services"].provenance
    assert any("district-baseline" in s for s in p["household"].sources)
    assert any("deep-retrofit" in s for s in p["heat"].sources)
    assert any(s.startswith("krakow S7:") for s in p["temperature"].sources + p["cop"].sources)
    assert "model assumption" in p["cop"].provenance


def test_chart_rows_are_long_form(krakow: CityProfiles) -> None:
    rows = week_rows(krakow, "spring")
    assert len(rows) == 6 * 168 and {"profile", "hour", "value"} == set(rows[0])
    assert len(monthly_rows(krakow)) == 6 * 12


def test_a_city_without_climate_gets_a_reason(engine: Engine) -> None:
    own = city_from_dict({"name": "Nowa Huta", "country": "PL", "drivers": {"pv_yield": 1000, "latitude": 50.07,
                                                                          "longitude": 20.04}})
    result = city_profiles(own, reference_figures(engine))
    assert result.profiles == ()
    assert "Nowa Huta" in result.reason and "monthly climate" in result.reason and "ghi_01" in result.reason


def test_without_knowledge_base_figures_the_profiles_are_per_mwh(engine: Engine) -> None:
    result = city_profiles(find_city(engine, "krakow"))
    household = next(p for p in result.profiles if p.key == "household")
    assert household.annual == pytest.approx(1000.0) and "MWh/yr" in household.unit
