"""Number fields' text: a decimal comma or point, digit groups, the unclear 1,500 and the bounds, in words."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import format_decimal
from hypothesis import given
from hypothesis import strategies as st

from kb.replication.bounds import DISTRICT_HOMES, scale_bound
from kb.replication.inputs import Input, MeasureType
from kb.views.inputs import NO_TYPICAL, EntryRefused, entry_text, parse_number, read_entry, typical_scale

KWP = scale_bound("kWp")
RANGE = "more than 0 and at most 10,000,000 kWp"


@pytest.mark.parametrize(("text", "value"), [
    ("1,5", 1.5), ("1.5", 1.5), ("1 500", 1500), ("1\u00a0500", 1500), ("1\u202f500,25", 1500.25), ("0,125", 0.125),
    ("1234,567", 1234.567), ("1,234,567", 1234567), ("1,500.5", 1500.5), ("1.500,5", 1500.5), ("12", 12),
    ("  7 ", 7), ("+4", 4), ("1e3", 1000), ("1,5e3", 1500), ("\u22122", -2), (".5", 0.5),
])
def test_a_decimal_comma_or_point_and_space_groups_are_read(text: str, value: float) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["", "   "])
def test_blank_is_no_number(text: str) -> None:
    assert parse_number(text) is None
    assert read_entry(text, KWP, "Scale").empty


@pytest.mark.parametrize(("text", "why"), [
    ("abc", "is not a number"), ("nan", "is not a number"), ("inf", "is not a number"), ("1,,5", "is not a number"),
    ("1.2.3", "several points"), ("1 500,5.2", "mixes spaces"), ("1,5 00", "is not a number"), ("1" * 80, "too long"),
    ("1,500", "is unclear"), ("2,000", "is unclear"),
])
def test_text_that_is_not_a_clear_number_is_refused_with_the_range(text: str, why: str) -> None:
    with pytest.raises(EntryRefused, match=why):
        parse_number(text)
    entry = read_entry(text, KWP, "Scale of rooftop PV")
    assert entry.value is None and why in entry.error and RANGE in entry.error


def test_the_unclear_comma_says_both_readings_and_a_locale_settles_it() -> None:
    with pytest.raises(EntryRefused, match=r"write 1500 for the whole number or 1\.500 for the decimal"):
        parse_number("1,500")
    assert parse_number("1,500", "en") == 1500 and parse_number("1,500", "pl") == 1.5


@pytest.mark.parametrize("text", ["-3", "0", "1e15", "10000001", "1e999999"])
def test_a_scale_out_of_range_is_refused_never_changed(text: str) -> None:
    entry = read_entry(text, KWP, "Scale of rooftop PV")
    assert entry.value is None
    assert entry.error == f"Scale of rooftop PV: {text} is outside the allowed range ({RANGE})."


def test_homes_below_one_are_refused_in_plain_words() -> None:
    assert read_entry("0", DISTRICT_HOMES, "Homes").error == \
        "Homes: 0 is outside the allowed range (from 1 to 10,000,000 homes)."
    assert read_entry("1,5", DISTRICT_HOMES, "Homes").value == 1.5


finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15)
typed = finite.filter(lambda x: x == 0 or abs(x) >= 1e-9)  # what a person types: not 165 zeros after the point


@given(x=typed, locale=st.sampled_from(["en", "pl"]))
def test_any_number_formatted_in_english_or_polish_reads_back(x: float, locale: str) -> None:
    text = format_decimal(Decimal(repr(x)), locale=locale, decimal_quantization=False)
    assert parse_number(text, locale) == x


@given(x=st.floats(allow_nan=False, allow_infinity=False))
def test_a_fields_own_text_reads_back_without_a_locale(x: float) -> None:
    assert parse_number(entry_text(x)) == x
    assert "," not in entry_text(x)


@given(x=st.floats(min_value=0.01, max_value=1e7))
def test_a_number_in_range_typed_with_a_decimal_comma_is_accepted_as_itself(x: float) -> None:
    text = f"{x:.2f}".replace(".", ",")
    assert read_entry(text, KWP, "Scale").value == float(f"{x:.2f}")


def _mt(*rows: tuple[str, str], unit: str = "kWp") -> MeasureType:
    params = {key or f"row{i}": Input(name, key, 1, 1, 1, "EUR/kWp", "reference", "rooftop-pv S1: DEA")
              for i, (name, key) in enumerate(rows)}
    return MeasureType("rooftop-pv", "Rooftop photovoltaics", "pv", unit, "electricity", params)


def test_the_typical_size_is_the_unit_a_sourced_row_names_the_models_cost_first() -> None:
    mt = _mt(("capex, residential rooftop (6.3 kWp unit)", ""), ("capex, commercial rooftop (110 kWp unit)", "capex"))
    typical = typical_scale(mt)
    assert typical is not None and typical.value == 110 and typical.label() == "110 kWp"
    assert typical.source == "rooftop-pv S1: DEA" and typical.evidence == "reference"


def test_no_typical_size_is_invented() -> None:
    assert typical_scale(_mt(("capex per home (10 kW unit)", "capex"), unit="homes")) is None
    assert typical_scale(_mt(("lifetime", "lifetime"))) is None
    assert "enter your own" in NO_TYPICAL


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False).filter(lambda x: x == 0 or abs(x) >= 1e-6))
def test_a_prefilled_field_in_polish_shows_a_decimal_comma_and_reads_back(x: float) -> None:
    text = entry_text(x, "pl_PL")
    assert "." not in text or "e" in text.lower(), text
    assert parse_number(text, "pl_PL") == pytest.approx(x, rel=1e-12, abs=1e-12)
