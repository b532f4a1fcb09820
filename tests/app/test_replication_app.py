"""AppTest: the My city, Match and Estimate pages on the fixture corpus (fake embedder)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from tests.factories import build_replication_corpus as build_corpus

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def rep_app(app_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("KB_SOLUTIONS_DIR", str(build_corpus(tmp_path / "corpus")))
    return app_env


def open_page(url_path: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at._page_hash = calc_hash(url_path)
    return at.run()


def _charts(at: AppTest) -> int:
    return len(at.get("arrow_vega_lite_chart")) + len(at.get("vega_lite_chart"))


def test_my_city_shows_drivers_and_fills_missing(rep_app: Path) -> None:
    at = open_page("my-city")
    assert not at.exception, at.exception
    assert at.title[0].value == "My city"
    at.selectbox(key="my_city_choice").set_value("testville").run()
    assert not at.exception, at.exception
    assert any("Tëstville" in s.value for s in at.subheader)
    assert any("Primary energy factor of electricity" in w.value for w in at.warning), "missing drivers are listed"
    assert _charts(at) >= 1, "a comparison chart"
    at.number_input(key="fill_pef_electricity").set_value(2.2)
    at.button[0].click().run()
    assert not at.exception, at.exception
    mine = at.session_state["my_city"]
    assert mine.user_defined and mine.value("pef_electricity") == 2.2


def test_my_city_define_own(rep_app: Path) -> None:
    at = open_page("my-city")
    at.selectbox(key="my_city_choice").set_value("➕ Define my own city").run()
    at.text_input[0].input("Nowa Huta")
    at.number_input(key="own_pv_yield").set_value(1000)
    at.number_input(key="own_grid_co2").set_value(600)
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert at.session_state["my_city"].name == "Nowa Huta"
    assert any("Nowa Huta" in s.value for s in at.success)


def test_match_ranks_solutions_with_factors(rep_app: Path) -> None:
    at = open_page("match", city="sunville")
    assert not at.exception, at.exception
    assert at.selectbox(key="match_city").value == "sunville"
    assert any("Best fit for Sünville" in s.value for s in at.subheader)
    assert _charts(at) >= 2, "a ranking chart and a factor chart"
    assert len(at.expander) == 4
    assert any("**climate**" in m.value for m in at.markdown)
    at.text_input(key="match_needs").input("heat pumps instead of gas").run()
    assert not at.exception, at.exception
    assert any("**needs**" in m.value for m in at.markdown)


def test_estimate_shows_ranges_side_by_side_assumptions_tornado(rep_app: Path) -> None:
    at = open_page("estimate", solution="test-pv-site", city="sunville")
    assert not at.exception, at.exception
    assert at.selectbox(key="est_solution").value == "test-pv-site"
    assert at.text_input(key="scale_test-pv-site_test-pv").value == "100"
    heads = [s.value for s in at.subheader]
    assert "Source site vs my city" in heads and "Assumptions" in heads and "What matters most" in heads
    assert _charts(at) >= 2, "range chart and tornado chart"
    assert len(at.dataframe) >= 3
    at.text_input(key="scale_test-pv-site_test-pv").input("400").run()
    assert not at.exception, at.exception
    assert any("moves" in m.value for m in at.markdown)


def test_estimate_missing_scale_and_driver_are_messages(rep_app: Path) -> None:
    at = open_page("estimate", solution="test-pv-plan", city="sunville")
    assert not at.exception, at.exception
    assert any("Enter the scale" in w.value for w in at.warning)
    at = open_page("estimate", solution="test-pv-site", city="nosun")
    assert not at.exception, at.exception
    assert any("solar PV yield" in e.value and "My city page" in e.value for e in at.error), [e.value for e in at.error]


def _metric_value(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_estimate_shows_lifetime_economics_and_the_discount_rate_moves_them(app_env: Path) -> None:
    # the bundled corpus: the carrier-factors record gives the sourced discount rate (3 / 4 / 5 % real)
    at = open_page("estimate", solution="ams-republica-pv", city="krakow")
    at.text_input(key="scale_ams-republica-pv_rooftop-pv").input("400").run()
    assert not at.exception, at.exception
    assert "Over its lifetime" in [s.value for s in at.subheader]
    npv_at_4 = float(_metric_value(at, "Net present value").split()[0].replace(",", ""))
    assert _metric_value(at, "Internal rate of return").endswith("% per year")
    assert "Levelised cost of electricity" in [m.label for m in at.metric]
    assert any("CO2 life-cycle, primary energy non-renewable" in c.value for c in at.caption)
    at.text_input(key="est_discount").input("8.0").run()
    assert not at.exception, at.exception
    npv_at_8 = float(_metric_value(at, "Net present value").split()[0].replace(",", ""))
    assert npv_at_8 < npv_at_4, "a higher discount rate lowers the value of the savings to come"
    at.selectbox(key="est_co2_basis").set_value("direct").run()
    assert not at.exception, at.exception
    assert any("CO2 direct" in c.value for c in at.caption)


def _schoonschip_in_krakow() -> AppTest:
    """Schoonschip (PV + battery) estimated in Kraków with both scales entered and few samples (bundled corpus)."""
    at = open_page("estimate", solution="ams-schoonschip-pv-heatpumps", city="krakow")
    assert not at.exception, at.exception
    at.number_input(key="est_samples").set_value(200)
    at.text_input(key="scale_ams-schoonschip-pv-heatpumps_rooftop-pv").input("500")
    at.text_input(key="scale_ams-schoonschip-pv-heatpumps_battery-storage").input("500").run()
    assert not at.exception, at.exception
    return at


def test_estimate_hour_by_hour_shows_the_reference_district_and_what_the_battery_changes(app_env: Path) -> None:
    at = _schoonschip_in_krakow()
    assert "Hour by hour in a reference district" in [s.value for s in at.subheader]
    sentence = next(m.value for m in at.markdown if m.value.startswith("Reference district"))
    assert "107 homes" in sentence and "sized so that" in sentence, sentence
    sc = next(m for m in at.metric if m.label == "Self-consumption")
    assert sc.value == "76%" and "P10–P90 over 200 draws" in (sc.help or "")
    assert any("What the battery changes" in m.value for m in at.markdown)
    table = next(df.value for df in at.dataframe if "with battery" in df.value.columns)
    row = table[table[""] == "Self-consumption"].iloc[0]
    assert (row["without battery"], row["with battery"]) == ("40%", "76%"), "the battery raises self-consumption"
    assert any("full cycles a year" in m.value and "EUR a year" in m.value for m in at.markdown)
    assert any(c.value.startswith("Boundary") for c in at.caption), "the PED table states its boundary"
    assert "How the hourly profiles are made" in [e.label for e in at.expander]

    at.text_input(key="est_homes_ams-schoonschip-pv-heatpumps").input("50").run()
    assert not at.exception, at.exception
    sentence = next(m.value for m in at.markdown if m.value.startswith("Reference district"))
    assert "50 homes" in sentence and "entered by the user" in sentence, sentence


def test_estimate_refuses_fewer_than_one_home_with_a_message(app_env: Path) -> None:
    at = _schoonschip_in_krakow()
    at.text_input(key="est_homes_ams-schoonschip-pv-heatpumps").input("0.5").run()
    assert not at.exception, at.exception
    assert any("0.5 is outside the allowed range" in e.value for e in at.error), [e.value for e in at.error]
    assert not any("Traceback" in e.value or "went wrong" in e.value for e in at.error)


def _estimate_heading(at: AppTest) -> bool:
    return any(s.value.endswith(" in Kraków") for s in at.subheader)


def test_estimate_reads_a_decimal_comma_scale(app_env: Path) -> None:
    at = open_page("estimate", solution="ams-republica-pv", city="krakow")
    at.text_input(key="scale_ams-republica-pv_rooftop-pv").input("1,5").run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert _estimate_heading(at)
    assumptions = next(df.value for df in at.dataframe if {"input", "evidence"} <= set(df.value.columns))
    scale = next(r for r in assumptions.to_dict("records") if str(r["input"]).startswith("Scale of"))
    assert scale["value"] == "1.5", scale


@pytest.mark.parametrize("typed", ["-3", "1e15", "abc"])
def test_estimate_refuses_a_scale_out_of_range_with_the_range_and_shows_no_estimate(app_env: Path,
                                                                                     typed: str) -> None:
    at = open_page("estimate", solution="ams-republica-pv", city="krakow")
    at.text_input(key="scale_ams-republica-pv_rooftop-pv").input(typed).run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert any("more than 0 and at most 10,000,000 kWp" in e and typed in e for e in errors), errors
    assert not _estimate_heading(at), "no estimate on a refused scale"
    assert not at.download_button


def test_estimate_offers_the_sourced_typical_size_when_the_source_gives_no_scale(app_env: Path) -> None:
    at = open_page("estimate", solution="ams-schoonschip-pv-heatpumps", city="krakow")
    assert not at.exception, at.exception
    assert at.text_input(key="scale_ams-schoonschip-pv-heatpumps_rooftop-pv").value == ""
    assert any("No typical size in the sources" in c.value for c in at.caption), "battery: no sourced size"
    button = at.button(key="scale_ams-schoonschip-pv-heatpumps_rooftop-pv_typical")
    assert button.label == "Use the typical size (110 kWp)"
    assert any("Typical size in the sources" in c.value and "110 kWp (reference" in c.value for c in at.caption)
    button.click().run()
    assert at.text_input(key="scale_ams-schoonschip-pv-heatpumps_rooftop-pv").value == "110"
