"""AppTest: the Estimate, My city, Match, Abatement cost and Overview pages speak plainly (bundled corpus, Kraków):
no raw metric or driver key, no exponent, no ``None``, no command-line flag in anything they show."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from tests.factories import rendered_text

ROOT = Path(__file__).resolve().parents[2]
RAW_KEYS = ("co2_avoided", "cost_per_tco2", "primary_energy_saved", "grid_co2", "hdd", "pv_yield", "MWh_PE")
FORBIDDEN = ("e+0", "None", "--scale", "kb estimate")


def open_page(url_path: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at._page_hash = calc_hash(url_path)
    return at.run()


def leaks(at: AppTest) -> list[tuple[str, str]]:
    """(what, where) for every raw key or forbidden word in the page's text (keys as whole words)."""
    found = []
    for text in rendered_text(at):
        for key in RAW_KEYS:
            if re.search(rf"(?<![A-Za-z]){re.escape(key)}(?![a-z])", text):
                found.append((key, text[:160]))
        found += [(word, text[:160]) for word in FORBIDDEN if word in text]
    return found


def test_estimate_of_schoonschip_in_krakow_is_in_plain_words(app_env: Path) -> None:
    at = open_page("estimate", solution="ams-schoonschip-pv-heatpumps", city="krakow")
    at.number_input(key="est_samples").set_value(200)
    at.text_input(key="scale_ams-schoonschip-pv-heatpumps_rooftop-pv").input("500")
    at.text_input(key="scale_ams-schoonschip-pv-heatpumps_battery-storage").input("500").run()
    assert not at.exception, at.exception
    assert not leaks(at), leaks(at)
    text = rendered_text(at)
    assert "CO₂ avoided (t CO₂/yr)" in at.selectbox(key="tornado_metric").options
    assert not any(t.startswith(": ") for t in text), "no input label starts with an empty measure"
    assert "Repeatable draws (seed)" in [n.label for n in at.number_input]
    assert "Advanced" in [e.label for e in at.expander]
    assert "Scale of Rooftop photovoltaics" in text, "a measure's scale named by its title"


def test_estimate_without_a_scale_asks_on_the_page(app_env: Path) -> None:
    at = open_page("estimate", solution="ams-schoonschip-pv-heatpumps", city="krakow")
    assert not at.exception, at.exception
    assert not leaks(at), leaks(at)


def test_my_city_krakow_is_in_plain_words(app_env: Path) -> None:
    at = open_page("my-city")
    at.selectbox(key="my_city_choice").set_value("krakow").run()
    assert not at.exception, at.exception
    assert not leaks(at), leaks(at)
    text = rendered_text(at)
    assert "Heating degree days" in text and "Grid electricity CO₂ intensity" in text


def test_match_for_krakow_is_in_plain_words(app_env: Path) -> None:
    at = open_page("match", city="krakow")
    assert not at.exception, at.exception
    assert not leaks(at), leaks(at)


def test_abatement_cost_for_krakow_is_in_plain_words(app_env: Path) -> None:
    at = open_page("abatement-cost")
    at.selectbox(key="macc_city").set_value("krakow").run()
    assert not at.exception, at.exception
    assert not leaks(at), leaks(at)
    assert "Net present value (EUR)" in rendered_text(at), "headers as configured, not the frame's keys"


def test_overview_is_in_plain_words(app_env: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    assert not leaks(at), leaks(at)
