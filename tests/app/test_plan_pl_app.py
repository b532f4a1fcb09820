"""AppTest: the District plan page in Polish on the bundled corpus (the Kraków example): Polish texts and numbers."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from kb.i18n import translator

T = translator("pl")
ROOT = Path(__file__).resolve().parents[2]
RAW = ("MWh_PE", "co2_", "None", "e+0")


def _krakow_in_polish() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state["lang"] = "pl"
    at.run()
    at._page_hash = calc_hash("district-plan")
    at.run()
    at.selectbox(key="plan_example").set_value("krakow-example-district").run()
    assert not at.exception, at.exception
    return at


def _texts(at: AppTest) -> list[str]:
    """Every text the page shows: headings, captions, messages, metrics, and the tables' headers and cells."""
    out = [e.value for e in [*at.title, *at.subheader, *at.caption, *at.markdown, *at.warning, *at.info, *at.success]]
    out += [f"{m.label} {m.value} {m.help or ''}" for m in at.metric]
    for df in at.dataframe:
        out += [str(c) for c in df.value.columns] + [str(v) for v in df.value.to_numpy().ravel()]
    return out


def test_the_krakow_example_reads_in_polish_with_polish_numbers(app_env: Path) -> None:
    at = _krakow_in_polish()
    assert at.title[0].value == "Plan dzielnicy"
    heads = [s.value for s in at.subheader]
    assert {"Działania", "Bilans energii pierwotnej", "Godzina po godzinie", "Zapis i eksport"} <= set(heads), heads
    balance = next(m for m in at.metric if m.label.startswith("Bilans, P50"))
    assert "energii pierwotnej" in balance.label
    # Polish digit groups are (non-breaking) spaces: −12 803, never 12,803
    assert re.fullmatch(r"-?\d{1,3}([\s\u00a0\u202f]\d{3})+", balance.value), balance.value
    assert any("brakuje" in w.value and "MWh energii pierwotnej/rok" in w.value for w in at.warning)
    reading = next(c.value for c in at.caption if "szacunek centralny" in c.value)
    assert "P50" in reading
    assert at.radio(key="plan_start").options[0] == "Przykładowy plan"


def test_the_ped_table_is_in_polish_with_the_shortfall_in_words(app_env: Path) -> None:
    at = _krakow_in_polish()
    # the table keeps its column keys; the headers are shown translated (column_config), the cells are Polish
    ped = next(df.value for df in at.dataframe if {"definition", "met", "by how much"} <= set(df.value.columns))
    assert set(ped["met"]) <= {"spełniona", "niespełniona"}
    assert "Roczny dodatni bilans energii pierwotnej" in set(ped["definition"])
    margins = " ".join(ped["by how much"])
    assert "brakuje" in margins and "MWh energii pierwotnej/rok" in margins, margins
    assert re.search(r"\d,\d", margins), "a decimal comma"
    assert not any(m.startswith(("-", "+", "−")) for m in ped["by how much"]), "the sign is said in words"
    boundary = T("Boundary: {boundary}").split(":")[0]
    assert any(boundary in c.value and "geograficzna granica dzielnicy" in c.value for c in at.caption)
    kpi = next(m for m in at.metric if m.label == "Autokonsumpcja")
    assert kpi.value.endswith("%") and "P10–P90 z" in (kpi.help or "")


def test_no_raw_key_or_developer_number_in_polish(app_env: Path) -> None:
    at = _krakow_in_polish()
    shown = [t for t in _texts(at) if not t.startswith("ℹ")]  # the library's English notes are left as they are
    for raw in RAW:
        hits = [t for t in shown if raw in t]
        assert not hits, (raw, hits[:3])
    tables = [df.value for df in at.dataframe]
    assert any("rodzaj działania" in df.columns and "samo domyka lukę" in df.columns for df in tables), "suggestions"
    assert any(T("carrier") in df.columns for df in tables)


def test_english_is_still_the_default(app_env: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state["lang"] = "en"
    at.run()
    at._page_hash = calc_hash("district-plan")
    at.run()
    at.selectbox(key="plan_example").set_value("krakow-example-district").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "District plan"
    ped = next(df.value for df in at.dataframe if "definition" in df.value.columns)
    assert any(m.startswith("short by ") and m.endswith("MWh primary energy/yr") for m in ped["by how much"])
    assert not any("MWh_PE" in str(c) for df in at.dataframe for c in df.value.columns)
