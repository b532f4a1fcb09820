"""The data version: every write that changes search bumps it in its transaction, and replicas refresh incrementally."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text

from kb.accounts import Actor
from kb.embeddings import FakeEmbedder
from kb.lessons import service as lessons
from kb.search import engine as search_engine
from kb.search.engine import SearchEngine
from kb.store import database, snapshot, version
from kb.store import write as store
from kb.store.migrations import SCHEMA_VERSION
from tests.factories import lesson_data

pytestmark = pytest.mark.backends  # each test runs on SQLite and on PostgreSQL

ADMIN = Actor.system("root")  # publishes directly (review by people: test_lessons_review.py)
STAFF = Actor("ann", "staff")


def _version(engine) -> int:  # type: ignore[no-untyped-def]
    with database.read_session(engine) as s:
        return version.current(s)


def _same(a: snapshot.IndexData, b: snapshot.IndexData) -> None:
    """Two snapshots hold the same chunks, vectors and facets, in the same order."""
    assert a.records == b.records
    assert a.chunk_ids.tolist() == b.chunk_ids.tolist()
    assert a.chunk_record.tolist() == b.chunk_record.tolist()
    assert a.chunk_section == b.chunk_section
    assert a.has_vector.tolist() == b.has_vector.tolist()
    assert np.allclose(a.vectors, b.vectors) and a.model == b.model


def _fresh(engine) -> snapshot.IndexData:  # type: ignore[no-untyped-def]
    with database.read_session(engine) as s:
        return snapshot.load_index(s)


@pytest.fixture
def engine(fixture_db: Path):  # type: ignore[no-untyped-def]
    return database.get_engine(fixture_db)


def test_a_fresh_database_has_the_counter_and_every_ingested_record_a_change(engine) -> None:  # type: ignore[no-untyped-def]
    with database.read_session(engine) as s:
        assert database.schema_version(s) == SCHEMA_VERSION == 9
        changed = version.changed_since(s, 0)
        ids = set(s.execute(text("SELECT id FROM record")).scalars())
    assert ids and ids <= changed
    assert _version(engine) > len(ids)  # one bump per record written, one for the corpus version


def test_publish_edit_archive_each_bump_the_version_with_the_lesson_named(engine, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    v0 = _version(engine)
    draft = lessons.create_lesson(engine, STAFF, lesson_data())
    assert _version(engine) == v0  # a draft is not searchable: nothing search shows changed
    pub = lessons.publish_lesson(engine, ADMIN, draft.id, draft.version, fake_embedder)
    v1 = _version(engine)
    with database.read_session(engine) as s:
        assert v1 > v0 and version.changed_since(s, v0) == {draft.id}
    edited = lessons.update_lesson(engine, STAFF, pub.id, {"version": pub.version, "title": "Retitled"},
                                   fake_embedder)
    v2 = _version(engine)
    with database.read_session(engine) as s:
        assert v2 > v1 and version.changed_since(s, v1) == {draft.id}
    lessons.archive_lesson(engine, STAFF, edited.id, edited.version)
    with database.read_session(engine) as s:
        assert _version(engine) > v2 and version.changed_since(s, v2) == {draft.id}


def test_a_rolled_back_write_leaves_the_version(engine) -> None:  # type: ignore[no-untyped-def]
    v0 = _version(engine)
    with pytest.raises(RuntimeError), database.write_session(engine) as s:
        store.delete_record(s, "test-battery-site")
        raise RuntimeError("boom")
    assert _version(engine) == v0


def test_a_publish_refreshes_only_the_lesson_and_equals_a_whole_load(engine, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    search = SearchEngine(engine, fake_embedder)
    before = search.index()
    assert search.reloads == {"full": 1, "incremental": 0}
    draft = lessons.create_lesson(engine, STAFF, lesson_data(title="Aquathermal permits take a year"))
    lessons.publish_lesson(engine, ADMIN, draft.id, draft.version, fake_embedder)
    after = search.index()  # this process committed: checked at once, no wait
    assert search.reloads == {"full": 1, "incremental": 1}
    assert len(after.records) == len(before.records) + 1
    _same(after, _fresh(engine))
    assert search.search("aquathermal permits").hits[0].id == draft.id
    row = lessons.get_lesson(engine, draft.id, STAFF)
    lessons.archive_lesson(engine, STAFF, row.id, row.version)
    gone = search.index()
    assert search.reloads == {"full": 1, "incremental": 2}
    _same(gone, _fresh(engine))
    _same(gone, before)
    assert all(h.id != draft.id for h in search.search("aquathermal permits").hits)


def test_another_replica_sees_a_write_at_its_next_check(engine, fake_embedder, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Two engines as two replicas: B learns of A's write from the database, not from this process's commit count."""
    replica_b = SearchEngine(engine, fake_embedder)
    replica_b.index()
    monkeypatch.setattr(version, "local_commits", lambda: 0)  # as if the write came from another process
    replica_b._commits = 0
    draft = lessons.create_lesson(engine, STAFF, lesson_data(title="Heat network tariff dispute"))
    lessons.publish_lesson(engine, ADMIN, draft.id, draft.version, fake_embedder)
    assert all(r["id"] != draft.id for r in replica_b.index().records)  # within RECHECK_SECONDS: the snapshot held
    replica_b._checked -= search_engine.RECHECK_SECONDS
    assert any(r["id"] == draft.id for r in replica_b.index().records)
    assert replica_b.reloads == {"full": 1, "incremental": 1}


def test_a_model_change_or_a_bulk_change_reloads_whole(engine, fixture_db: Path) -> None:  # type: ignore[no-untyped-def]
    from ingest.loader import run_ingest
    from tests.factories import FIXTURE_CORPUS

    search = SearchEngine(engine, FakeEmbedder(dim=32, name="fake-other"))
    search.index()
    run_ingest(FIXTURE_CORPUS, fixture_db, FakeEmbedder(dim=32, name="fake-other"))  # re-embeds every record
    idx = search.index()
    assert search.reloads["full"] == 2 and search.reloads["incremental"] == 0
    assert idx.model == "fake-other" and idx.vectors.shape[1] == 32
    _same(idx, _fresh(engine))


def test_the_counter_is_plain_sql_on_a_database_migrated_from_an_older_schema(tmp_path: Path) -> None:
    """A database at schema 8 (before the counter) migrates up; the counter starts at 0 (no row: a new database
    stays empty, as a restore requires) and counts on from the first write."""
    db = tmp_path / "old.sqlite"
    database.migrate(database.unmigrated_engine(db), target=8)
    engine = database.get_engine(db)
    assert _version(engine) == 0
    with database.read_session(engine) as s:
        assert s.execute(text("SELECT count(*) FROM meta")).scalar_one() == 0
    with database.write_session(engine) as s:
        assert version.touch(s, "some-record") == 1
        assert version.bump(s) == 2
    with database.read_session(engine) as s:
        assert version.changed_since(s, 0) == {"some-record"} and version.changed_since(s, 1) == set()
