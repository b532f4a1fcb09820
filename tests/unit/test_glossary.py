"""Query language detection and glossary translation (kb.search.glossary), and search in other languages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.embeddings import FakeEmbedder, SentenceTransformerEmbedder
from kb.search import glossary
from kb.search.engine import SearchConfig, SearchEngine
from kb.store import database

BATTERY = {"test-battery-site", "test-battery"}
ROOT = Path(__file__).resolve().parents[2]
SCIFACT = ROOT.parent / "shared" / "bench" / "scifact"


@pytest.mark.parametrize(("query", "lang", "english"), [
    ("gdzie przechowywać nadwyżkę prądu z paneli", "pl", {"storage", "surplus", "electricity", "panels"}),
    ("magazyn energii", "pl", {"storage", "energy"}),
    ("napelemek és akkumulátorok a háztetőn", "hu", {"solar", "battery"}),
    ("výroba tepla z odpadovej vody", "sk", {"heat", "sewage"}),
    ("siltumsūkņi un saules paneļi", "lv", {"heat", "pump", "solar", "panels"}),
    ("fjernvarmeværket blev lukket", "da", {"district", "heating", "plant"}),
    ("jordvarmepumpe", "da", {"ground", "pump"}),
    ("telhados verdes e água da chuva", "pt", {"green", "roof", "rain"}),
    ("recarga de coches eléctricos en el barrio", "es", {"charging", "cars", "district"}),
    ("warmtepompen op grachtwater", "nl", {"heat", "pump", "canal"}),
])
def test_reads_the_language_and_renders_the_domain_terms_in_english(query: str, lang: str,
                                                                     english: set[str]) -> None:
    reading = glossary.detect(query)
    assert reading.language == lang, reading
    assert english <= set(reading.english.split()), reading.english
    assert reading.note().startswith(f"Query read as {reading.name}; searched also as: ")


def test_typed_without_diacritics() -> None:
    with_marks = glossary.detect("magazynowanie nadwyżki energii słonecznej")
    without = glossary.detect("magazynowanie nadwyzki energii slonecznej")
    assert with_marks.language == without.language == "pl"
    assert with_marks.english == without.english == "storage surplus energy solar"


@pytest.mark.parametrize("query", [
    "store surplus solar power for the evening", "heat from canal water", "who dealt with a grid operator that said no",
    "battery storage", "solar panels on the roof", "Republica battery", "gas", "red", "de", "el", "a", "ATES",
    "Kraków", "PED balance", "Participating in six months of physical activity improves cognitive functioning.",
])
def test_english_and_neutral_queries_stay_as_typed(query: str) -> None:
    reading = glossary.detect(query)
    assert reading.language == "en" and reading.english == "" and reading.note() == ""
    assert glossary.expand(query) == (query, query, reading)


def test_expand_adds_english_for_full_text_and_uses_it_alone_for_meaning() -> None:
    text_q, dense_q, reading = glossary.expand("odzysk ciepła ze ścieków")
    assert reading.language == "pl"
    assert text_q == "odzysk ciepła ze ścieków " + reading.english
    assert dense_q == reading.english and "sewage" in dense_q and "recovery" in dense_q


def test_glossary_rows_are_well_formed() -> None:
    pats = glossary.patterns()
    assert set(pats) == set(glossary.LANGS)
    assert all(len(p) > 100 for p in pats.values())
    assert all(p.words and all(p.words) for ps in pats.values() for p in ps)


@pytest.mark.skipif(not (SCIFACT / "queries.jsonl").exists(), reason="SciFact not present")
def test_no_scifact_query_is_read_as_another_language() -> None:
    for name in ("queries.jsonl", "queries_train.jsonl"):
        with open(SCIFACT / name, encoding="utf-8") as f:
            for line in f:
                text = json.loads(line)["text"]
                assert glossary.detect(text).language == "en", text


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_string_is_read_without_raising(text: str) -> None:
    reading = glossary.detect(text)
    assert reading.language in {"en", *glossary.LANGS}
    text_q, dense_q, _ = glossary.expand(text)
    assert isinstance(text_q, str) and isinstance(dense_q, str)


@pytest.mark.parametrize(("query", "lang", "english"), [
    ('magazyn "energii', "pl", "storage energy"),
    ("ciepło OR NEAR(x y) *", "pl", "heat"),
    ("x" * 10_000, "en", ""),
    ("ściek\x00ów", "pl", "sewage wastewater"),
    ("🔋 akumulator 🔋", "pl", "battery storage"),
    ("'; DROP TABLE chunk; --", "en", ""),
    ("ą" * 5000, "en", ""),
    (" ".join(["pompa ciepła"] * 500), "pl", "heat pump"),
])
def test_hostile_strings_are_safe(query: str, lang: str, english: str) -> None:
    """Quotes, FTS operators, NUL bytes, emoji and huge inputs are read like any query (not through the fallback
    for a failing detection), and only glossary English words, never the query's own text, are added to it."""
    reading = glossary.detect(query)
    assert (reading.language, reading.english) == (lang, english), reading
    glossary_english = {w for ps in glossary.patterns().values() for p in ps for w in p.english.split()}
    assert set(reading.english.split()) <= glossary_english
    assert len(reading.terms) <= glossary.MAX_TOKENS
    text_q, dense_q, _ = glossary.expand(query)
    assert text_q == (f"{query} {english}" if english else query) and dense_q == (english or query)


# --- through the search engine ------------------------------------------------------------------------------

@pytest.fixture
def search(fixture_db: Path, fake_embedder: FakeEmbedder) -> SearchEngine:
    return SearchEngine(database.get_engine(fixture_db), fake_embedder)


def test_polish_query_finds_the_battery_and_says_how_it_was_read(search: SearchEngine) -> None:
    res = search.search("magazynowanie nadwyżki energii słonecznej w akumulatorach")
    assert res.hits and res.hits[0].id in BATTERY
    assert res.language == "pl" and "battery" in res.translation.split()
    assert res.language_note.startswith("Query read as Polish; searched also as: ")


def test_english_response_has_no_note(search: SearchEngine) -> None:
    res = search.search("store surplus solar power for the evening")
    assert res.language == "en" and res.translation == "" and res.language_note == ""


def test_translation_can_be_switched_off(fixture_db: Path, fake_embedder: FakeEmbedder) -> None:
    eng = SearchEngine(database.get_engine(fixture_db), fake_embedder, SearchConfig(translate=False))
    res = eng.search("magazynowanie nadwyżki energii słonecznej w akumulatorach")
    assert res.language == "en" and res.translation == ""


@pytest.mark.slow
@pytest.mark.parametrize(("query", "wanted"), [
    ("magazynowanie nadwyżki energii słonecznej",
     {"ams-republica-battery", "bio-iberdrola-storage", "battery-storage"}),
    ("ogrzewanie ciepłem z kanału", {"ams-schoonschip-canal-heat", "aquathermal"}),
    ("hőszivattyú földhőszondákkal", {"ground-source-heat-pump", "bio-beta-boreholes", "bio-geothermal-ring"}),
    ("zöldtető esővíz", {"green-roof", "ams-poppies-green-roof", "ams-republica-greywater"}),
    ("ladestandere til elbiler", {"ev-charging", "bio-iberdrola-ev-charging", "ams-republica-ev-garage"}),
    ("varmegenvinding fra spildevand", {"wastewater-heat-recovery", "ams-republica-heat-recovery"}),
])
def test_bundled_corpus_answers_in_other_languages(bundled_search: SearchEngine, query: str,
                                                   wanted: set[str]) -> None:
    top3 = [h.id for h in bundled_search.search(query, limit=3).hits]
    assert wanted & set(top3), (query, top3)


@pytest.fixture(scope="module")
def bundled_search(tmp_path_factory: pytest.TempPathFactory,
                   real_embedder: SentenceTransformerEmbedder) -> SearchEngine:
    from ingest.loader import run_ingest

    db = tmp_path_factory.mktemp("bundled") / "kb.sqlite"
    res = run_ingest(ROOT / "solutions", db, real_embedder)
    assert not res.errors, res.errors
    return SearchEngine(database.get_engine(db), real_embedder)
