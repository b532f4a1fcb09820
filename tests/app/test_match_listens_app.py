"""AppTest: the Match page on the bundled corpus lists dropped schemes apart, as lessons, with why (fake embedder)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

ROOT = Path(__file__).resolve().parents[2]


def _match_page(city: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["city"] = city
    at.run()
    at._page_hash = calc_hash("match")
    return at.run()


def test_match_page_shows_lessons_from_dropped_schemes_below_the_ranking(app_env: Path) -> None:
    at = _match_page("krakow")
    assert not at.exception, at.exception
    heads = [s.value for s in at.subheader]
    assert "Best fit for Kraków" in heads and "Lessons from dropped schemes" in heads
    ranked = [e.label for e in at.expander]
    assert ranked and not any("abandoned in 2012" in label for label in ranked), "not ranked as a solution"
    lesson = next(m.value for m in at.markdown if "abandoned in 2012" in m.value)
    assert "Bilbao" in lesson and "not ranked as a solution to replicate" in lesson and "April 2012" in lesson
    at.text_input(key="match_needs").input("cut gas use in apartment blocks connected to district heating").run()
    assert not at.exception, at.exception
    first = at.expander[0].label
    assert "PV" not in first and "solar" not in first.lower(), first
    assert any("**district heating**" in m.value and "68 %" in m.value for m in at.markdown)
