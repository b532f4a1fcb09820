"""AppTest: the Abatement cost page on the bundled corpus (fake embedder): the curve, scales typed in, left out."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from kb.store import database
from kb.views.macc import scale_rows

ROOT = Path(__file__).resolve().parents[2]


def open_page(city: str = "krakow") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at._page_hash = calc_hash("abatement-cost")
    at.run()
    at.selectbox(key="macc_city").set_value(city).run()
    return at


def _bars(at: AppTest) -> list[str]:
    frames = [d.value for d in at.dataframe if "Solution" in d.value.columns or "solution" in d.value.columns]
    curve = next(f for f in frames if "eur_per_tco2" in f.columns)
    return list(curve["solution"])


def test_the_curve_for_krakow_has_the_solutions_with_a_source_scale_cheapest_first(app_env: Path) -> None:
    at = open_page()
    assert not at.exception, at.exception
    assert at.title[0].value == "What does a tonne of CO2 cost here?"
    assert len(at.get("arrow_vega_lite_chart")) + len(at.get("vega_lite_chart")) >= 1, "the curve"
    bars = _bars(at)
    assert len(bars) >= 2
    curve = next(d.value for d in at.dataframe if "eur_per_tco2" in d.value.columns)
    costs = list(curve["eur_per_tco2"])
    assert costs == sorted(costs), "cheapest tonne first"
    assert (curve["tco2_per_year"] > 0).all(), "every bar has a width"
    assert not any("--scale" in str(v) for d in at.dataframe for v in d.value.to_numpy().ravel()), \
        "no command-line option on the page"


def test_a_scale_typed_in_puts_a_solution_on_the_curve(app_env: Path) -> None:
    at = open_page()
    before = _bars(at)
    # the scale table lists one row per (solution, measure type), in the view's order; AppTest has no data-editor
    # element, so the edit goes in as the editor's own state (what the browser sends when a cell is typed in)
    rows = scale_rows(database.get_engine(app_env))
    i = next(n for n, r in enumerate(rows) if r["solution"] == "ams-republica-pv")
    at.session_state["macc_scales_krakow"] = {"edited_rows": {str(i): {"scale": 400.0}}, "added_rows": [],
                                              "deleted_rows": []}
    at.run()
    assert not at.exception, at.exception
    after = _bars(at)
    title = rows[i]["title"]
    assert title not in before and title in after
