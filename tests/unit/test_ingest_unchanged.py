"""Start-up ingest: skipped when nothing it depends on changed since its last clean run, run again otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.loader import run_ingest, run_ingest_if_changed
from kb.embeddings import FakeEmbedder
from kb.store import catalog, database
from kb.store import write as store

pytestmark = pytest.mark.backends  # each test runs on SQLite and on PostgreSQL

SOLUTION = "solutions/test-battery-site.md"


def test_an_unchanged_corpus_is_not_parsed_again(corpus_copy: Path, new_db: Path | str,
                                                  fake_embedder: FakeEmbedder) -> None:
    db = new_db
    first = run_ingest_if_changed(corpus_copy, db, fake_embedder)
    assert first.errors == [] and not first.skipped and first.records == 6
    again = run_ingest_if_changed(corpus_copy, db, fake_embedder)
    assert again.skipped and again.records == first.records and again.errors == []
    assert catalog.stats(database.get_engine(db))["records"]["solution"] == 2


def test_an_edited_file_is_ingested(corpus_copy: Path, new_db: Path | str, fake_embedder: FakeEmbedder) -> None:
    db = new_db
    run_ingest_if_changed(corpus_copy, db, fake_embedder)
    path = corpus_copy / SOLUTION
    path.write_text(path.read_text().replace("Basement battery shared", "Cellar battery shared"))
    res = run_ingest_if_changed(corpus_copy, db, fake_embedder)
    assert not res.skipped and res.written == 1
    titles = [r.title for r in catalog.list_records(database.get_engine(db), kind="solution")]
    assert any(t.startswith("Cellar battery shared") for t in titles)
    assert run_ingest_if_changed(corpus_copy, db, fake_embedder).skipped


def test_another_model_or_a_changed_database_runs_it_again(corpus_copy: Path, new_db: Path | str,
                                                           fake_embedder: FakeEmbedder) -> None:
    db = new_db
    run_ingest_if_changed(corpus_copy, db, fake_embedder)
    other = FakeEmbedder(name="fake-other")
    res = run_ingest_if_changed(corpus_copy, db, other)
    assert not res.skipped and res.chunks_embedded > 0
    with database.write_session(database.get_engine(db)) as s:  # a record deleted behind the files' back
        store.delete_record(s, "test-battery-site")
    res = run_ingest_if_changed(corpus_copy, db, other)
    assert not res.skipped and res.written == 1
    assert "test-battery-site" in {r.id for r in catalog.list_records(database.get_engine(db), kind="solution")}


def test_a_run_with_errors_is_never_skipped(corpus_copy: Path, new_db: Path | str, fake_embedder: FakeEmbedder) -> None:
    db = new_db
    (corpus_copy / "solutions" / "broken.md").write_text("no front matter here\n")
    first = run_ingest_if_changed(corpus_copy, db, fake_embedder)
    again = run_ingest_if_changed(corpus_copy, db, fake_embedder)
    assert first.errors and not again.skipped
    assert [str(e) for e in again.errors] == [str(e) for e in first.errors], "the errors are reported again"


def test_a_plain_run_leaves_no_fingerprint_to_skip_by(corpus_copy: Path, new_db: Path | str,
                                                      fake_embedder: FakeEmbedder) -> None:
    db = new_db
    run_ingest(corpus_copy, db, fake_embedder)
    assert not run_ingest_if_changed(corpus_copy, db, fake_embedder).skipped
