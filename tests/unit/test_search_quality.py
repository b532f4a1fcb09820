"""What a searcher sees: body snippets (never the keyword list), no 1-2 letter highlights, a relevance floor for
nonsense, and built, measured solutions ahead of planned programmes without figures."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.loader import run_ingest
from kb.embeddings import FakeEmbedder
from kb.search.engine import DENSE_FLOORS, SearchConfig, SearchEngine, dense_floor, evidence_factor
from kb.search.snippets import highlightable, parse_marked
from kb.store import database
from kb.store.write import KEYWORDS_SECTION

ROOT = Path(__file__).resolve().parents[2]
NONSENSE = ["xqzvbnm", "asdfgh", "zzzqqq xylophone", "qwrtpsdf kjhgf"]


@pytest.fixture
def search(fixture_db: Path, fake_embedder: FakeEmbedder) -> SearchEngine:
    return SearchEngine(database.get_engine(fixture_db), fake_embedder)


@pytest.fixture(scope="module")
def bundled_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("bundled-fake") / "kb.sqlite"
    res = run_ingest(ROOT / "solutions", db, FakeEmbedder())
    assert not res.errors, res.errors
    return db


@pytest.fixture
def bundled(bundled_db: Path) -> SearchEngine:
    return SearchEngine(database.get_engine(bundled_db), FakeEmbedder())


# --- snippets -----------------------------------------------------------------------------------------------

def test_a_keyword_only_match_shows_the_summary_not_the_keyword_list(search: SearchEngine) -> None:
    res = search.search("akumulator", mode="bm25")  # only in test-battery-site's keywords
    hit = next(h for h in res.hits if h.id == "test-battery-site")
    assert hit.sections and all(s.section != KEYWORDS_SECTION for s in hit.sections)
    assert hit.sections[0].section == "Summary" and "basement" in "".join(s.text for s in hit.snippet).lower()


@pytest.mark.parametrize("query", ["magazyn energii dla osiedla", "battery storage for the evening",
                                   "ogrzewanie z kanału", "pompa ciepła w bloku", "heat from canal water"])
def test_bundled_snippets_come_from_the_body(bundled: SearchEngine, query: str) -> None:
    res = bundled.search(query, limit=20)
    assert res.hits
    for hit in res.hits:
        assert hit.sections, hit.id
        assert all(s.section != KEYWORDS_SECTION for s in hit.sections), (hit.id, hit.section)
        text = "".join(sp.text for sp in hit.snippet)
        assert text and "**" not in text and not text.lstrip("…").startswith("- "), (hit.id, text)
        for sp in hit.snippet:
            if sp.hit:
                assert len(sp.text.strip()) >= 3, (query, hit.id, sp.text)


def test_polish_z_and_stop_words_are_never_highlighted() -> None:
    spans = parse_marked("Ciepło \x02z\x03 kanału \x02dla\x03 osiedla, \x02w\x03 bloku; \x02heat\x03 \x02of\x03 it")
    marked = [s.text for s in spans if s.hit]
    assert marked == ["heat"]
    assert "".join(s.text for s in spans) == "Ciepło z kanału dla osiedla, w bloku; heat of it"


def test_list_marks_are_dropped_from_snippets() -> None:
    spans = parse_marked("- needs surface \x02water\x03\n- needs a permit")
    assert "".join(s.text for s in spans) == "needs surface water needs a permit"


@given(st.text(alphabet="abczółwi", min_size=1, max_size=2))
def test_no_term_of_one_or_two_letters_is_marked(term: str) -> None:
    assert not highlightable(term)
    assert not any(s.hit for s in parse_marked(f"before \x02{term}\x03 after"))


# --- relevance floor ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("query", NONSENSE)
def test_nonsense_finds_nothing_and_says_so(search: SearchEngine, bundled: SearchEngine, query: str) -> None:
    for eng in (search, bundled):
        res = eng.search(query, limit=20)
        assert res.hits == [] and res.total == 0 and res.below_floor, query


def test_real_queries_are_not_cut_by_the_floor(bundled: SearchEngine) -> None:
    for query in ("heat from canal water", "magazyn energii", "batery storage", "car sharing"):
        res = bundled.search(query, limit=20)
        assert res.hits and not res.below_floor, query


def test_a_filter_without_the_words_still_shows_the_closest(search: SearchEngine) -> None:
    res = search.search("battery", {"kind": "lesson"})
    assert [h.id for h in res.hits] == ["test-lesson-grid"] and not res.below_floor


def test_the_floor_is_only_for_hybrid_search_and_can_be_switched_off(fixture_db: Path,
                                                                     fake_embedder: FakeEmbedder) -> None:
    off = SearchEngine(database.get_engine(fixture_db), fake_embedder, SearchConfig(relevance_floor=False))
    assert off.search("xqzvbnm").hits, "without the floor the nearest vectors come back"
    on = SearchEngine(database.get_engine(fixture_db), fake_embedder)
    assert on.search("xqzvbnm", mode="dense").hits, "dense-only ranking (benchmarks) is never cut"


def test_floor_per_model() -> None:
    assert dense_floor("fake-hash") == math.inf
    assert dense_floor("all-MiniLM-L6-v2") == DENSE_FLOORS["all-MiniLM-L6-v2"]
    assert 0.3 < DENSE_FLOORS["all-MiniLM-L6-v2"] < 0.4
    assert dense_floor("some-unmeasured-model") is None


# --- status and evidence ------------------------------------------------------------------------------------

def test_evidence_factor() -> None:
    built = {"kind": "solution", "status": "operational", "evidence": ["installed"]}
    planned = {"kind": "solution", "status": "planned", "evidence": []}
    assert evidence_factor(built) > 1.0 > evidence_factor(planned)
    assert evidence_factor(built) / evidence_factor(planned) < 2.0, "a weighing, not a filter"
    for other in ({"kind": "lesson", "status": "published", "evidence": []}, {"kind": "document", "status": ""},
                  {"kind": "measure_type", "status": "", "evidence": ["reference"]}):
        assert evidence_factor(other) == 1.0


def test_built_battery_ranks_above_the_planned_programme(bundled: SearchEngine) -> None:
    ranked = [h.id for h in bundled.search("magazyn energii dla osiedla", limit=10).hits]
    assert ranked[0] != "bio-iberdrola-storage", ranked
    assert ranked.index("ams-republica-battery") < ranked.index("bio-iberdrola-storage"), ranked
    plain = SearchEngine(bundled.engine, FakeEmbedder(), SearchConfig(evidence_order=False))
    assert [h.id for h in plain.search("magazyn energii dla osiedla", limit=10).hits][0] == \
        "bio-iberdrola-storage", "without the weighing the planned programme came first (the issue)"


def test_weighed_hits_are_ordered_by_their_score(bundled: SearchEngine) -> None:
    scores = [h.score for h in bundled.search("magazyn energii dla osiedla", limit=20).hits]
    assert scores == sorted(scores, reverse=True)
