"""AppTest: the My city page's hourly profiles (typical weeks, monthly totals, provenance) and the no-climate case."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from tests.factories import build_replication_corpus

ROOT = Path(__file__).resolve().parents[2]
SECTION = "Hour by hour: the city's profiles"


def _open_my_city() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    at._page_hash = calc_hash("my-city")
    return at.run()


def _charts(at: AppTest) -> int:
    return len(at.get("arrow_vega_lite_chart")) + len(at.get("vega_lite_chart"))


def test_krakow_shows_weeks_monthly_totals_and_how_each_profile_is_made(app_env: Path) -> None:
    at = _open_my_city()
    at.selectbox(key="my_city_choice").set_value("krakow").run()
    assert not at.exception, at.exception
    assert SECTION in [s.value for s in at.subheader]
    assert _charts(at) >= 3, "the week chart, the monthly bars and the comparison chart"
    expander = next(e for e in at.expander if e.label == "How each profile is made")
    text = " ".join(m.value for m in expander.markdown) + " ".join(c.value for c in expander.caption)
    assert "pvlib" in text and "BDEW" in text and "krakow S7" in text
    at.radio(key="city_hourly_season").set_value("summer").run()
    assert not at.exception, at.exception
    assert _charts(at) >= 3


def test_a_city_without_climate_says_why(app_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KB_SOLUTIONS_DIR", str(build_replication_corpus(tmp_path / "corpus")))
    at = _open_my_city()
    at.selectbox(key="my_city_choice").set_value("testville").run()
    assert not at.exception, at.exception
    assert SECTION in [s.value for s in at.subheader]
    assert any("No hourly profiles for" in i.value and "monthly climate" in i.value for i in at.info)
    assert not [e for e in at.expander if e.label == "How each profile is made"]
