"""AppTest in Polish: the Estimate, My city, Match and Abatement cost pages speak Polish (bundled corpus, Kraków):
Polish headings and labels, numbers with a decimal comma, no English leftover among the key labels, no raw key,
no ``None`` and no exponent; the Estimate page reads a decimal comma ("1,5" = 1.5)."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from tests.factories import rendered_text

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = "ams-schoonschip-pv-heatpumps"
FORBIDDEN = ("e+0", "None", "co2_avoided", "cost_per_tco2", "grid_co2", "MWh_PE", "--scale")
DECIMAL_COMMA = re.compile(r"(?<![\d,])\d+,\d+(?![\d,])")


def open_page_pl(url_path: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["lang"] = "pl"
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at._page_hash = calc_hash(url_path)
    return at.run()


def leftovers(text: list[str], english: tuple[str, ...]) -> list[str]:
    """The English labels still shown as a whole text (a heading, a label, a column header)."""
    shown = set(text)
    return [e for e in english if e in shown]


def leaks(text: list[str]) -> list[tuple[str, str]]:
    return [(w, s[:120]) for s in text for w in FORBIDDEN if w in s]


def estimate_pl(scale: str = "500") -> AppTest:
    at = open_page_pl("estimate", solution=SOLUTION, city="krakow")
    at.number_input(key="est_samples").set_value(200)
    at.text_input(key=f"scale_{SOLUTION}_rooftop-pv").input(scale)
    at.text_input(key=f"scale_{SOLUTION}_battery-storage").input(scale).run()
    return at


def test_estimate_in_polish_has_polish_labels_and_decimal_commas(app_env: Path) -> None:
    at = estimate_pl()
    assert not at.exception, at.exception
    text = rendered_text(at)
    assert [t.value for t in at.title] == ["Co dałoby to rozwiązanie u nas?"]
    subheaders = [s.value for s in at.subheader]
    assert "Założenia" in subheaders and "Co ma największe znaczenie" in subheaders
    assert "W całym okresie eksploatacji" in subheaders
    assert any(DECIMAL_COMMA.search(s) for s in text), "a number with a decimal comma"
    assert any(re.search(r"\d+,\d+ lat", s) for s in text), "a payback in years with a decimal comma"
    assert not leftovers(text, ("Assumptions", "What matters most", "Over its lifetime", "Source site vs my city",
                                "Input", "Value", "Evidence", "Advanced", "Output", "Solution",
                                "Hour by hour in a reference district", "Net present value", "Self-consumption")), \
        leftovers(text, ("Assumptions", "Input", "Value", "Output", "Net present value"))
    assert "Zaawansowane" in [e.label for e in at.expander]
    assert any(o.startswith("Uniknięta emisja CO₂") for o in at.selectbox(key="tornado_metric").options)
    assert not leaks(text), leaks(text)


def test_estimate_in_polish_reads_a_decimal_comma(app_env: Path) -> None:
    at = estimate_pl("1,5")
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assumptions = next(df.value for df in at.dataframe if "evidence" in df.value.columns)
    scale_rows = assumptions[assumptions["input"].str.startswith("Skala")]
    assert set(scale_rows["value"]) == {"1,5"}, scale_rows


def test_estimate_in_polish_refuses_text_in_polish(app_env: Path) -> None:
    at = estimate_pl("abc")
    assert [e.value for e in at.error], "the refusal is shown"
    assert all("nie jest liczbą" in e.value and "dozwolone" in e.value for e in at.error)


def test_my_city_in_polish(app_env: Path) -> None:
    at = open_page_pl("my-city")
    at.selectbox(key="my_city_choice").set_value("krakow").run()
    assert not at.exception, at.exception
    text = rendered_text(at)
    assert [t.value for t in at.title] == ["Moje miasto"]
    assert "Stopniodni grzania" in text and "Emisyjność CO₂ energii elektrycznej z sieci" in text
    assert not leftovers(text, ("Heating degree days", "Value", "Unit", "Source", "Compare with another city")), \
        leftovers(text, ("Heating degree days", "Value", "Unit", "Source"))
    assert any(DECIMAL_COMMA.search(s) for s in text), "a driver with a decimal comma"
    assert not leaks(text), leaks(text)


def test_match_in_polish(app_env: Path) -> None:
    at = open_page_pl("match", city="krakow")
    assert not at.exception, at.exception
    text = rendered_text(at)
    assert [t.value for t in at.title] == ["Które rozwiązania pasują do mojego miasta?"]
    assert any(s.startswith("Najlepiej dopasowane dla miasta") for s in text)
    assert any("dopasowanie 0," in e.label for e in at.expander), "scores with a decimal comma"
    assert not leftovers(text, ("What does your city need? (optional)", "Budget, EUR (optional)"))
    assert not leaks(text), leaks(text)


def test_abatement_cost_in_polish(app_env: Path) -> None:
    at = open_page_pl("abatement-cost")
    at.selectbox(key="macc_city").set_value("krakow").run()
    assert not at.exception, at.exception
    text = rendered_text(at)
    assert [t.value for t in at.title] == ["Ile kosztuje u nas tona CO₂?"]
    assert "Skala każdego rozwiązania" in text and "Wartość bieżąca netto (NPV) (EUR)" in text
    assert not leftovers(text, ("Solution", "Scale of each solution", "Net present value (EUR)", "Measure"))
    assert not leaks(text), leaks(text)


def test_english_stays_english(app_env: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["lang"] = "en"
    at.query_params["solution"] = SOLUTION
    at.query_params["city"] = "krakow"
    at.run()
    at._page_hash = calc_hash("estimate")
    at.run()
    assert [t.value for t in at.title] == ["What would it deliver here?"]
    at.text_input(key=f"scale_{SOLUTION}_rooftop-pv").input("1,500").run()
    assert any("unclear" in e.value for e in at.error), "English keeps refusing the unclear 1,500"
