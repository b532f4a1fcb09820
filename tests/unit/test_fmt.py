"""The one formatter of the pages: thousands separators, three significant figures, whole counts, words for gaps."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from kb.records.vocab import DRIVER_KEYS
from kb.replication.simulation import METRICS
from kb.views.fmt import (
    format_count,
    format_money,
    format_number,
    format_range,
    format_share,
    format_years,
    label_of,
    label_with_unit,
    unit_of,
)


def test_large_numbers_keep_every_digit_with_thousands_separators() -> None:
    assert format_number(1819870.4) == "1,819,870"
    assert format_number(202945.2548) == "202,945"
    assert format_number(1819870.4, "kWh") == "1,819,870 kWh"


def test_decimals_get_three_significant_figures() -> None:
    assert format_number(17.1379) == "17.1"
    assert format_number(0.2477, "EUR/kWh") == "0.248 EUR/kWh"
    assert format_number(2.5) == "2.5"
    assert format_number(0.0) == "0"


def test_counts_are_whole() -> None:
    assert format_number(500.00, "homes") == "500 homes"
    assert format_count(107.4, "homes") == "107 homes"
    assert format_number(200.0, "cycles/yr") == "200 cycles/yr"


def test_missing_values_are_words_not_none() -> None:
    assert format_number(None) == "—"
    assert format_number(math.nan) == "—"
    assert format_years(None) == "never pays back"
    assert format_years(math.inf) == "never pays back"
    assert format_years(7.43) == "7.43 years"
    assert format_share(None) == "—"
    assert format_range(None, 3.0, "t") == "—"


def test_money_share_and_range() -> None:
    assert format_money(233059.4) == "233,059 EUR"
    assert format_share(0.123) == "12%"
    assert format_share(0.0123) == "1.2%"
    assert format_range(4560.2, 1230.0, "MWh/yr") == "1,230 – 4,560 MWh/yr"


def test_polish_locale_gives_a_decimal_comma() -> None:
    assert format_number(17.1379, locale="pl") == "17,1"
    assert format_number(1819870.4, locale="pl").replace("\xa0", " ") == "1 819 870"


def test_labels_are_plain_words_with_plain_units() -> None:
    assert label_of("co2_avoided") == "CO₂ avoided"
    assert label_of("cost_per_tco2") == "Gross cost per tonne of CO₂ avoided"
    assert label_of("primary_energy_saved") == "Primary energy saved"
    assert unit_of("primary_energy_saved") == "MWh primary energy/yr"
    assert label_of("grid_co2") == "Grid electricity CO₂ intensity"
    assert label_of("hdd") == "Heating degree days"
    assert label_with_unit("co2_avoided") == "CO₂ avoided (t CO₂/yr)"


def test_every_metric_and_driver_key_has_a_label_that_is_not_the_key() -> None:
    for key in (*METRICS, *DRIVER_KEYS):
        assert label_of(key) != key and "_" not in label_of(key), key
        assert "_" not in unit_of(key), key


@given(st.floats(allow_nan=True, allow_infinity=True, width=64))
def test_never_an_exponent(x: float) -> None:
    text = format_number(x)
    assert "e+" not in text and "e-" not in text and "E" not in text


@given(st.floats(min_value=100, max_value=1e12))
def test_whole_numbers_from_100_up_round_to_the_nearest_unit(x: float) -> None:
    assert abs(float(format_number(x).replace(",", "")) - x) <= 0.5 + 1e-9
