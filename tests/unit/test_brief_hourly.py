"""The replication brief's "Hour by hour" section: the reference district, the battery's gain, PED status, weeks."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from ingest.loader import run_ingest
from kb.briefs.build import BriefRequest, build_brief
from kb.briefs.model import Brief, XYChart
from kb.briefs.render import to_html, to_markdown
from kb.cli import main
from kb.embeddings import FakeEmbedder
from kb.errors import InvalidInput
from kb.replication.simulation import Estimate
from kb.replication.solution import estimate_solution
from kb.store import database

ROOT = Path(__file__).resolve().parents[2]
SOL = "ams-schoonschip-pv-heatpumps"
SCALES: dict[str, float | dict[str, float]] = {SOL: {"rooftop-pv": 500, "battery-storage": 500}}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("briefhourly") / "kb.sqlite"
    result = run_ingest(ROOT / "solutions", path, FakeEmbedder())
    assert not result.errors, result.errors
    return path


@pytest.fixture(scope="module")
def engine(db: Path) -> Engine:
    return database.get_engine(db, create=False)


def _brief(engine: Engine, homes: float | None = None) -> Brief:
    """The Kraków brief; with ``homes`` through the default estimate (BriefRequest.homes), else with few samples."""
    def few_samples(solution_id: str, city: str, scale: float | dict[str, float] | None, seed: int) -> Estimate:
        return estimate_solution(engine, solution_id, city, scale, samples=200, seed=seed)

    req = BriefRequest([SOL], "krakow", scales=SCALES, date="2025-01-01", homes=homes)
    return build_brief(engine, req, few_samples if homes is None else None)


@pytest.fixture(scope="module")
def brief(engine: Engine) -> Brief:
    return _brief(engine)


def _hour_by_hour(md: str) -> str:
    start = md.index("\n## Hour by hour\n")
    return md[start:md.index("\n## ", start + 5)]


def test_krakow_pv_and_battery_brief_says_what_the_battery_changes(brief: Brief) -> None:
    md = to_markdown(brief)
    heads = [s.title for s in brief.sections]
    assert heads.index("Hour by hour") == heads.index("Estimated impact in Kraków") + 1
    text = _hour_by_hour(md)
    assert "Reference district: 107 homes" in text and "sized so that" in text
    assert "With the battery, self-consumption rises from 40 % to 76 %" in text
    assert "263 full cycles a year" in text and "20,699 EUR a year" in text
    assert "PED definitions tested" in text and "Boundary: the reference district's electricity connection" in text
    html = to_html(brief)
    assert "With the battery, self-consumption rises from 40 % to 76 %" in html
    titles = [c.title for s in brief.sections if s.title == "Hour by hour" for c in s.blocks if isinstance(c, XYChart)]
    assert titles == ["A typical winter week: PV and load, import and export",
                      "A typical summer week: PV and load, import and export",
                      "Battery state of charge in the typical weeks"]


def test_homes_reach_the_estimate_and_are_labelled_as_entered(engine: Engine) -> None:
    text = _hour_by_hour(to_markdown(_brief(engine, homes=50)))
    assert "Reference district: 50 homes" in text and "Number of homes: entered by the user" in text


def test_fewer_than_one_home_is_refused_with_a_message(engine: Engine) -> None:
    with pytest.raises(InvalidInput, match="homes in the reference district: 0.5 is outside the allowed range"):
        _brief(engine, homes=0.5)


def test_no_section_without_an_hourly_dispatch(engine: Engine) -> None:
    def annual(solution_id: str, city: str, scale: float | dict[str, float] | None, seed: int) -> Estimate:
        return estimate_solution(engine, solution_id, city, scale, samples=200, seed=seed, hourly=False)

    req = BriefRequest([SOL], "krakow", scales=SCALES, date="2025-01-01")
    assert "Hour by hour" not in [s.title for s in build_brief(engine, req, annual).sections]


def test_cli_homes_below_one_is_one_line_error(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "brief.md"
    args = ["brief", SOL, "--city", "krakow", "--scale", "rooftop-pv=500", "--scale", "battery-storage=500",
            "--homes", "0.5", "--output", str(out), "--db", str(db)]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: --homes") and "0.5" in err and err.count("\n") == 1, err
    assert not out.exists(), "nothing is written"
