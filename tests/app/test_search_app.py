"""AppTest: the search page finds records, filters by facets, and the record page renders a whole record."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ingest.loader import run_ingest
from kb.embeddings import FakeEmbedder

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "corpus"

SEARCH = """
import os
from kb.ui import search_page
search_page.render()
"""

RECORD = """
import os
from kb.ui import record_page
record_page.render()
"""


@pytest.fixture
def fixture_app(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KB_SOLUTIONS_DIR", str(FIXTURES))
    assert not run_ingest(FIXTURES, app_env, FakeEmbedder(name="fake-hash")).errors
    return app_env


def test_search_page_states_and_results(fixture_app: Path) -> None:
    at = AppTest.from_string(SEARCH, default_timeout=60).run()
    assert not at.exception, at.exception
    assert any("own words" in i.value for i in at.info), "the empty state explains what to type"
    at.text_input(key="q").input("heat from canal water").run()
    assert not at.exception, at.exception
    links = [e for e in at.get("page_link")]
    assert links, "result cards link to the record page"
    assert "Heat pumps on canal water" in links[0].proto.label
    assert any("<mark>" in m.value for m in at.markdown), "snippets highlight the query terms"
    kinds = at.multiselect(key="facet_kind")
    assert any("solution (" in kinds.format_func(o) for o in kinds.options), "facet options show counts"
    kinds.set_value(["lesson"]).run()
    assert [e.proto.label for e in at.get("page_link")] == \
        ["Talk to the grid operator before designing a private grid"]
    at.text_input(key="q").input("zzzqqq xylophone").run()
    at.multiselect(key="facet_kind").set_value(["city"]).run()
    assert at.warning and "No results" in at.warning[0].value or at.get("page_link")


def test_search_page_escapes_user_text(fixture_app: Path) -> None:
    at = AppTest.from_string(SEARCH, default_timeout=60).run()
    at.text_input(key="q").input("<script>alert(1)</script> battery [x](javascript:1)").run()
    assert not at.exception
    for m in at.markdown:
        assert "<script" not in m.value and "javascript:" not in m.value


def test_record_page_renders_whole_record(fixture_app: Path) -> None:
    at = AppTest.from_string(RECORD, default_timeout=60)
    at.query_params["id"] = "test-battery-site"
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Basement battery shared by a mixed-use block"
    subs = [s.value for s in at.subheader]
    assert {"Summary", "Measures", "Barriers", "Results", "Sources", "Lessons learned from this",
            "Similar records"} <= set(subs)
    assert at.table, "numbers are shown as tables"
    df = at.table[0].value
    assert set(df["evidence"]) == {"installed", "design"} and set(df["source"]) == {"S1"}
    text = " ".join(m.value for m in at.markdown)
    assert "Fixture news item" in text and "https://example.org/battery" in text
    assert "grid operator said no" in text.replace("&#45;", "-")
    links = [e.proto.label for e in at.get("page_link")]
    assert "Talk to the grid operator before designing a private grid" in links


def test_record_page_unknown_and_missing_id(fixture_app: Path) -> None:
    at = AppTest.from_string(RECORD, default_timeout=60)
    at.query_params["id"] = "no-such-record"
    at.run()
    assert not at.exception and "no record" in at.warning[0].value
    at = AppTest.from_string(RECORD, default_timeout=60).run()
    assert not at.exception and "Search page" in at.info[0].value


def test_search_page_says_how_a_polish_query_was_read(fixture_app: Path) -> None:
    at = AppTest.from_string(SEARCH, default_timeout=60).run()
    at.text_input(key="q").input("magazynowanie nadwyżki energii słonecznej w akumulatorach").run()
    assert not at.exception, at.exception
    assert any("Query read as Polish; searched also as:" in c.value for c in at.caption)
    assert at.get("page_link"), "the Polish query finds records"
    at.text_input(key="q").input("heat from canal water").run()
    assert not any("Query read as" in c.value for c in at.caption), "no note for English"
