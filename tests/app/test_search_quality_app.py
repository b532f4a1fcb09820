"""AppTest: result cards lead with the title, nonsense gets a plain answer, and record text shows no raw Markdown."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ingest.loader import run_ingest
from kb.embeddings import FakeEmbedder

ROOT = Path(__file__).resolve().parents[2]

SEARCH = """
from kb.ui import search_page
search_page.render()
"""

RECORD = """
from kb.ui import record_page
record_page.render()
"""


@pytest.fixture
def bundled_app(app_env: Path) -> Path:
    assert not run_ingest(ROOT / "solutions", app_env, FakeEmbedder(name="fake-hash")).errors
    return app_env


def test_a_result_card_leads_with_the_title_then_badges_then_a_body_snippet(bundled_app: Path) -> None:
    at = AppTest.from_string(SEARCH, default_timeout=60).run()
    at.text_input(key="q").input("magazyn energii dla osiedla").run()
    assert not at.exception, at.exception
    links = at.get("page_link")
    assert links[0].proto.label.startswith("Republica neighbourhood battery"), "the built battery comes first"
    assert any("st-key-hit_" in h.proto.body and "font-size" in h.proto.body for h in at.get("html")), \
        "result titles are styled as the prominent element"
    texts = [m.value for m in at.markdown]
    assert any(":green-badge[operational]" in t and ":blue-badge[installed]" in t for t in texts)
    snippets = [t for t in texts if "<small>" in t]
    assert snippets and not any("magazyn energii, " in t or "bateria osiedlowa" in t for t in snippets), \
        "no snippet is the multilingual keyword list"
    assert not any("<mark>z</mark>" in t or "<mark>dla</mark>" in t for t in texts)


def test_nonsense_says_no_record_matches_with_tips(bundled_app: Path) -> None:
    at = AppTest.from_string(SEARCH, default_timeout=60).run()
    at.text_input(key="q").input("xqzvbnm").run()
    assert not at.exception, at.exception
    assert not at.get("page_link")
    assert at.warning and "No record matches “xqzvbnm”" in at.warning[0].value.replace("no record", "No record")
    assert any("spelling" in m.value for m in at.markdown)
    assert not any("best" in c.value for c in at.caption), "no '20 best of 40' for nonsense"


def test_record_page_renders_markdown_and_whole_notes(bundled_app: Path) -> None:
    for record_id in ("plan-krakow", "ams-republica-vacuum-toilets-biogas", "ams-schoonschip-p2p-trading"):
        at = AppTest.from_string(RECORD, default_timeout=60)
        at.query_params["id"] = record_id
        at.run()
        assert not at.exception, at.exception
        body = " ".join(m.value for m in at.markdown if m.value.startswith("<"))  # the record's own text, as HTML
        assert body and "**" not in body and "&#42;&#42;" not in body and "\\*\\*" not in body, record_id
        assert "<strong>" in body or "<code>" in body, record_id
        assert at.table and not at.dataframe, "numbers in a table that wraps, not a grid that cuts the notes"
        notes = [str(n) for t in at.table for n in t.value["note"]]
        assert all("…" not in n for n in notes) and max(len(n) for n in notes) > 40, "notes are in the table whole"
