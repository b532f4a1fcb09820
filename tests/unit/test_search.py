"""Hybrid search on the fixture corpus: ranking, facets and counts, snippets, similar records, odd queries."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.cli import main as cli_main
from kb.embeddings import FakeEmbedder
from kb.search.collection import Collection, Document
from kb.search.engine import SearchConfig, SearchEngine, fuse
from kb.search.snippets import Span, parse_marked, spans_markup
from kb.store import database
from kb.store.catalog import RecordNotFound
from kb.text import escape_markdown

pytestmark = pytest.mark.backends  # each test runs on SQLite and on PostgreSQL

BATTERY = {"test-battery-site", "test-battery"}


@pytest.fixture
def search(fixture_db: Path, fake_embedder: FakeEmbedder) -> SearchEngine:
    return SearchEngine(database.get_engine(fixture_db), fake_embedder)


def ids(res) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.id for h in res.hits]


def test_storage_query_ranks_battery_first(search: SearchEngine) -> None:
    res = search.search("store surplus solar power for the evening")
    assert res.hits[0].id in BATTERY
    assert ids(search.search("store surplus solar power for the evening", {"kind": "solution"}))[0] \
        == "test-battery-site"
    assert ids(search.search("battery storage", mode="bm25"))[0] in BATTERY


def test_lesson_query_finds_the_lesson(search: SearchEngine) -> None:
    res = search.search("who dealt with a grid operator that said no")
    assert "test-lesson-grid" in ids(res)[:2]
    hit = next(h for h in res.hits if h.id == "test-lesson-grid")
    assert hit.kind == "lesson" and hit.sections[0].bm25_rank is not None
    assert any(s.hit and s.text.lower() == "operator" for s in hit.snippet)


def test_canal_heat(search: SearchEngine) -> None:
    assert ids(search.search("heat from canal water"))[0] == "test-canal-heat"


def test_facets_restrict_before_ranking(search: SearchEngine) -> None:
    q = "store surplus solar power for the evening"
    assert set(ids(search.search(q, {"kind": "lesson"}))) == {"test-lesson-grid"}
    assert ids(search.search(q, {"category": ["aquathermal"]})) == ["test-canal-heat"]
    assert ids(search.search(q, {"barrier_type": "regulatory", "kind": "solution"})) == ["test-battery-site"]
    assert ids(search.search(q, {"evidence": "design", "kind": "solution"})) == ["test-battery-site"]
    assert ids(search.search(q, {"city": "nowhere"})) == []
    assert ids(search.search(q, {"status": ["planned"]})) == []


def test_facet_counts(search: SearchEngine) -> None:
    res = search.search("battery", limit=50)
    by_kind = res.facets["kind"]
    assert by_kind.get("solution") == 2 and by_kind.get("lesson") == 1
    assert res.facets["city"]["testville"] == 4
    assert res.facets["category"]["storage"] == 1
    narrowed = search.search("battery", {"kind": "lesson"}, limit=50)
    assert narrowed.facets["kind"] == by_kind, "a facet's own counts ignore its own filter"
    assert narrowed.facets["category"] == {}, "other facets count only records passing the filter"
    assert search.search("", limit=5).hits == [] and search.search("").facets["kind"]["city"] == 1


def test_city_filter_folds_accents_and_case(fixture_db: Path, fake_embedder: FakeEmbedder) -> None:
    col = Collection(fixture_db)
    col.add_texts([Document(id="krk-doc", title="Kraków heat storage tank", text="A hot water tank stores heat.",
                            kind="solution", city="krakow", categories=["storage"])], fake_embedder)
    eng = SearchEngine(col.engine, fake_embedder)
    for city in ("Kraków", "KRAKOW", " krakow"):
        assert ids(eng.search("heat storage", {"city": city})) == ["krk-doc"]


def test_index_reloads_when_database_changes(fixture_db: Path, fake_embedder: FakeEmbedder) -> None:
    eng = SearchEngine(database.get_engine(fixture_db), fake_embedder)
    assert "zebra-doc" not in ids(eng.search("zebra crossing"))
    Collection(fixture_db).add_texts([Document(id="zebra-doc", title="Zebra crossing", text="zebra")],
                                     fake_embedder)
    assert ids(eng.search("zebra crossing"))[0] == "zebra-doc"
    assert eng.index().has_vector.sum() == len(eng.index().chunk_ids)


def test_results_grouped_per_record_with_sections(search: SearchEngine) -> None:
    res = search.search("grid operator", limit=10)
    assert len(ids(res)) == len(set(ids(res)))
    site = next(h for h in res.hits if h.id == "test-battery-site")
    scores = [s.score for s in site.sections]
    assert scores == sorted(scores, reverse=True) and site.score == scores[0]
    assert site.to_json().keys() == {"id", "kind", "title", "city", "score", "section", "snippet"}


def test_similar(search: SearchEngine) -> None:
    sim = [h.id for h in search.similar("test-battery-site", limit=3)]
    assert "test-battery-site" not in sim and sim
    with pytest.raises(RecordNotFound):
        search.similar("no-such-record")


def test_bm25_only_without_embedder(fixture_db: Path) -> None:
    res = SearchEngine(database.get_engine(fixture_db), None).search("canal water")
    assert res.mode == "bm25" and ids(res)[0] == "test-canal-heat"


def test_embedder_of_another_model_is_not_mixed(fixture_db: Path) -> None:
    res = SearchEngine(database.get_engine(fixture_db), FakeEmbedder(name="fake-other")).search("canal water")
    assert res.mode == "bm25"


def test_fusion() -> None:
    bm = [(1, 9.0), (2, 5.0), (3, 1.0)]
    de = [(3, 0.9), (1, 0.8)]
    assert fuse(bm, de, SearchConfig())[0][0] == 1
    assert fuse(bm, de, SearchConfig(fusion="convex", alpha=0.9))[0][0] == 3
    assert fuse([], [], SearchConfig()) == []


ODD = ['"', "'", '"unbalanced', "heat-island \"x", "title:battery", "text : x", "a OR", "NOT", "AND OR NOT",
       "NEAR(a b, 2)", "((", ")", "*", "^battery", "battery*", "-battery", "{title}: x", "x" * 10_000,
       "word " * 3000, "\x00\x01\x1f", "🔋⚡", "'; DROP TABLE record; --", "1=1 OR ''='", "\u202e", "",
       "   ", "\n\t", "\ud800", "%_%", "\\", "SELECT * FROM chunk"]


@pytest.mark.parametrize("query", ODD)
def test_odd_queries_never_raise(search: SearchEngine, query: str) -> None:
    for mode in ("hybrid", "bm25", "dense"):
        res = search.search(query, mode=mode)
        assert isinstance(res.hits, list)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.text(max_size=300), city=st.one_of(st.none(), st.text(max_size=20)))
def test_any_query_string_is_safe(search: SearchEngine, query: str, city: str | None) -> None:
    res = search.search(query, filters={"city": city}, limit=5)
    for h in res.hits:
        assert spans_markup(h.snippet).count("<mark>") == sum(s.hit for s in h.snippet)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200))
def test_markup_is_escape_safe(text: str) -> None:
    out = spans_markup([Span(text, True), Span(text)])
    body = out.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in body and ">" not in body and "[" not in body and "`" not in body
    assert escape_markdown("<script>") == "&lt;script&gt;"


def test_parse_marked_drops_stopword_hits() -> None:
    spans = parse_marked("the \x02the\x03 \x02grid\x03\nline")
    assert [s for s in spans if s.hit] == [Span("grid", True)] and "\n" not in "".join(s.text for s in spans)


def test_collection_indexes_any_documents(new_db: Path | str, fake_embedder: FakeEmbedder) -> None:
    col = Collection(new_db)
    docs = [Document(id=f"d{i}", title=t, text=x) for i, (t, x) in enumerate(
        [("Aspirin and headaches", "aspirin reduces pain"), ("Vitamin D", "bone density improves"),
         ("Sleep", "memory consolidation happens during sleep")])]
    vecs = fake_embedder.encode([f"{d.title} {d.text}" for d in docs])
    col.add(docs, vecs, fake_embedder.name)
    eng = col.search_engine(fake_embedder)
    assert ids(eng.search("does sleep help memory"))[0] == "d2"
    assert ids(eng.search("bone", mode="bm25")) == ["d1"]
    with pytest.raises(ValueError):
        col.add(docs, np.zeros((1, 4), dtype=np.float32))


def test_cli_search_and_similar(fixture_db: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("KB_MODEL", "fake-hash")
    assert cli_main(["search", "heat from canal water", "--db", str(fixture_db), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["id"] == "test-canal-heat"
    assert set(rows[0]) == {"id", "kind", "title", "city", "score", "section", "snippet"}
    assert cli_main(["search", "battery", "--db", str(fixture_db), "--kind", "lesson", "--city", "TESTVILLE",
                     "--limit", "1", "--json"]) == 0
    assert [r["id"] for r in json.loads(capsys.readouterr().out)] == ["test-lesson-grid"]
    # a city's alias resolves to its id in the facet filter
    assert cli_main(["search", "battery", "--db", str(fixture_db), "--kind", "lesson", "--city", "Testvile",
                     "--limit", "1", "--json"]) == 0
    assert [r["id"] for r in json.loads(capsys.readouterr().out)] == ["test-lesson-grid"]
    assert cli_main(["search", '"((title:x', "--db", str(fixture_db), "--category", "aquathermal",
                     "--json"]) == 0
    assert isinstance(json.loads(capsys.readouterr().out), list)
    assert cli_main(["similar", "test-battery-site", "--db", str(fixture_db), "--json"]) == 0
    assert "test-battery-site" not in [r["id"] for r in json.loads(capsys.readouterr().out)]
    assert cli_main(["similar", "nope", "--db", str(fixture_db)]) == 1
