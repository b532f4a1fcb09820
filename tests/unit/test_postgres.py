"""PostgreSQL as the store: the URL setting, SQLSTATEs as the store's errors, advisory locks, tsvector search, m007."""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import inspect, text

from ingest.loader import run_ingest
from kb.config import Settings, db_location
from kb.embeddings import FakeEmbedder
from kb.search.engine import SearchEngine
from kb.store import database, fts
from tests.factories import FIXTURE_CORPUS
from tests.pg import Cluster


def test_one_setting_switches_the_backend(tmp_path: Path) -> None:
    url = "postgresql+psycopg://kb@db.example:5432/atelier"
    assert Settings.from_env({"KB_DB": url}).db_path == url
    assert Settings.from_env({"KB_DB": f"sqlite:///{tmp_path}/a.sqlite"}).db_path == tmp_path / "a.sqlite"
    assert Settings.from_env({"KB_DB": str(tmp_path / "b.sqlite")}).db_path == tmp_path / "b.sqlite"
    assert Settings.from_env({}).with_db(url).db_path == url
    assert db_location("sqlite:///relative.sqlite") == Path("relative.sqlite")
    assert database.describe("postgresql+psycopg://kb:secret@db.example/atelier") == \
        "postgresql+psycopg://kb:***@db.example/atelier"


def test_an_unknown_kind_of_database_is_refused_in_a_sentence() -> None:
    with pytest.raises(database.DatabaseUnavailable, match="unsupported database"):
        database.get_engine("mysql://kb@localhost/kb")


@pytest.mark.parametrize(("state", "kind"), [
    ("25006", database.DatabaseReadOnly), ("42501", database.DatabaseReadOnly),
    ("55P03", database.DatabaseBusy), ("40P01", database.DatabaseBusy), ("40001", database.DatabaseBusy),
    ("53100", database.DatabaseWriteFailed), ("58030", database.DatabaseWriteFailed),
    ("08006", database.DatabaseUnavailable), ("57P01", database.DatabaseUnavailable),
    ("", database.DatabaseUnavailable),
])
def test_sqlstate_classes_map_to_the_store_kinds(state: str, kind: type[database.DatabaseUnavailable]) -> None:
    exc = psycopg.errors.lookup(state)("boom") if state else psycopg.OperationalError("connection refused")
    error = database.storage_error(exc, "db")
    assert type(error) is kind
    assert "boom" not in str(error)


def test_a_constraint_is_not_a_storage_failure() -> None:
    assert database.storage_error(psycopg.errors.lookup("23505")("duplicate"), "db") is None


def test_a_server_that_is_not_there_is_unavailable() -> None:
    with pytest.raises(database.DatabaseUnavailable) as exc:
        database.get_engine("postgresql+psycopg://kb@127.0.0.1:55499/none")  # nothing listens on that port
    assert "password" not in str(exc.value)


def test_a_database_that_does_not_exist_is_missing(pg_cluster: Cluster) -> None:
    with pytest.raises(database.DatabaseMissing, match="createdb"):
        database.get_engine(pg_cluster.url("no_such_database"))


def test_read_only_and_busy_are_the_same_kinds_as_on_sqlite(pg_cluster: Cluster) -> None:
    url = pg_cluster.new_database()
    database.get_engine(url)
    ro = database.get_engine(url, read_only=True)
    with pytest.raises(database.DatabaseReadOnly):
        with database.write_session(ro) as s:
            s.execute(text("INSERT INTO meta (key, value) VALUES ('x', 'y')"))
    with pytest.raises(database.DatabaseReadOnly):
        database.check_writable(ro)
    engine = database.get_engine(url)
    with database.write_session(engine) as s:
        s.execute(text("INSERT INTO meta (key, value) VALUES ('held', '')"))
    holder = engine.connect()
    holder.execute(text("SELECT * FROM meta WHERE key = 'held' FOR UPDATE"))
    try:
        with pytest.raises(database.DatabaseBusy):
            with database.write_session(engine, busy_timeout_ms=200) as s:
                s.execute(text("UPDATE meta SET value = 'mine' WHERE key = 'held'"))
    finally:
        holder.rollback()
        holder.close()
    with database.write_session(engine) as s:  # the lock is gone: the same write goes through
        s.execute(text("UPDATE meta SET value = 'mine' WHERE key = 'held'"))


def test_two_ingests_never_run_at_once(pg_cluster: Cluster) -> None:
    """The ingest takes an advisory lock: while another holder has it, an ingest waits, then says it is busy."""
    url = pg_cluster.new_database()
    engine = database.get_engine(url)
    holder = engine.connect()
    assert holder.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": database.INGEST_LOCK_KEY}).scalar_one()
    holder.commit()
    try:
        with database.batch_writes(300), pytest.raises(database.DatabaseBusy, match="Another server"):
            run_ingest(FIXTURE_CORPUS, url, FakeEmbedder())
        with database.read_session(engine) as s:
            assert s.execute(text("SELECT count(*) FROM record")).scalar_one() == 0
    finally:
        holder.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": database.INGEST_LOCK_KEY})
        holder.commit()
        holder.close()
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(run_ingest(FIXTURE_CORPUS, url, FakeEmbedder()).written))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [0, 6], "one ingest wrote everything, the other, after it, found nothing to do"


@pytest.fixture
def pg_db(pg_cluster: Cluster) -> str:
    url = pg_cluster.new_database()
    assert not run_ingest(FIXTURE_CORPUS, url, FakeEmbedder()).errors
    return url


def test_full_text_is_a_tsvector_with_a_gin_index(pg_db: str) -> None:
    engine = database.get_engine(pg_db)
    indexes = {i["name"]: i for i in inspect(engine).get_indexes("chunk_fts")}
    assert "chunk_fts_tsv" in indexes
    with engine.connect() as conn:
        method = conn.execute(text("SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam "
                                   "WHERE c.relname = 'chunk_fts_tsv'")).scalar_one()
        assert method == "gin"
        assert conn.execute(text("SELECT count(*) FROM chunk_fts")).scalar_one() == \
            conn.execute(text("SELECT count(*) FROM chunk")).scalar_one()


def test_ranking_weights_title_over_text_and_ors_the_terms(pg_db: str) -> None:
    engine = database.get_engine(pg_db)
    with database.read_session(engine) as s:
        canal = fts.fts_ranked(s, "canal", 50, (2.0, 1.0, 1.0))
        both = fts.fts_ranked(s, "canal zzzunknownword", 50, (2.0, 1.0, 1.0))
        assert canal and [c for c, _ in both] == [c for c, _ in canal], "an unknown term does not empty an OR"
        scores = dict(canal)
        assert list(scores.values()) == sorted(scores.values(), reverse=True)
        only_body = fts.fts_ranked(s, "canal", 50, (0.0, 0.0, 1.0))
        assert dict(only_body) != scores, "the column weights change the ranking"
        allowed = [canal[-1][0]]
        assert [c for c, _ in fts.fts_ranked(s, "canal", 50, (2.0, 1.0, 1.0), allowed)] == allowed
        assert fts.fts_ranked(s, "canal", 50, (2.0, 1.0, 1.0), []) == []
        for hostile in ('"((title:x', "a & b | !c <-> d", "'; DROP TABLE chunk; --", "\x00", "or and not"):
            assert isinstance(fts.fts_ranked(s, hostile, 5, (2.0, 1.0, 1.0)), list)


def test_snippets_use_the_fts5_markers_and_accents_fold(pg_db: str) -> None:
    engine = database.get_engine(pg_db)
    with database.read_session(engine) as s:
        (cid, _), *_ = fts.fts_ranked(s, "canal", 1, (2.0, 1.0, 1.0))
        snip = fts.fts_snippet(s, "canal", cid)
        assert snip is not None and f"{fts.HIT_START}" in snip and fts.HIT_END in snip
        assert fts.HIT_START + "canal" in snip.lower()
        assert fts.fts_snippets(s, "canal", [cid]) == {cid: snip}
        assert fts.fts_snippet(s, "zzzunknownword", cid) is None
        # FTS5 folds diacritics (remove_diacritics 2): so does the PostgreSQL index, both ways
        assert fts.fts_ranked(s, "cánál", 5, (2.0, 1.0, 1.0)) == fts.fts_ranked(s, "canal", 5, (2.0, 1.0, 1.0))


def test_hybrid_search_reads_the_same_on_both_backends(pg_db: str, tmp_path: Path) -> None:
    lite = tmp_path / "kb.sqlite"
    assert not run_ingest(FIXTURE_CORPUS, lite, FakeEmbedder()).errors
    for q in ("heat from canal water", "battery storage", "grid"):
        on_pg = SearchEngine(database.get_engine(pg_db), FakeEmbedder()).search(q).hits
        on_lite = SearchEngine(database.get_engine(lite), FakeEmbedder()).search(q).hits
        assert on_pg and on_lite and on_pg[0].id == on_lite[0].id, q


def test_migrations_that_add_columns_run_on_postgresql(pg_cluster: Cluster) -> None:
    """A database of schema version 3 (no display path, audit note or lesson file columns) migrates up."""
    url = pg_cluster.new_database()
    engine = database.get_engine(url)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE record DROP COLUMN display_path"))
        conn.execute(text("ALTER TABLE lesson_audit DROP COLUMN note"))
        for name in ("extra_front", "extra_sections", "file_path", "file_hash", "file_version", "exported_hash",
                     "exported_at"):
            conn.execute(text(f"ALTER TABLE lesson DROP COLUMN {name}"))
        conn.execute(text("DELETE FROM schema_version WHERE version > 3"))
    database.dispose_all()
    engine = database.get_engine(url)
    with database.read_session(engine) as s:
        assert database.schema_version(s) == database.SCHEMA_VERSION
    columns = {c["name"]: c for c in inspect(engine).get_columns("lesson")}
    assert "TIMESTAMP" in str(columns["exported_at"]["type"]).upper()
    assert {c["name"] for c in inspect(engine).get_columns("record")} >= {"display_path"}


def test_concurrent_first_visits_and_logins_of_one_user_never_collide(pg_cluster: Cluster) -> None:
    """Writers are not queued on PostgreSQL: what SQLite's single writer made safe is locked explicitly."""
    from kb import accounts
    from kb.accounts import Actor
    from kb.lessons import visits

    engine = database.get_engine(pg_cluster.new_database())
    accounts.add_user(engine, "ann", "staff", "ann-password-1", by=Actor.system())
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def work(n: int) -> None:
        start.wait()
        try:
            visits.begin_visit(engine, Actor("ann", "staff"))
            with pytest.raises(accounts.LoginFailed):
                accounts.authenticate(engine, "bob", f"wrong-{n}")
        except BaseException as exc:  # noqa: BLE001 - every error fails the test
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with database.read_session(engine) as s:
        assert s.execute(text("SELECT count(*) FROM lesson_visit")).scalar_one() == 1
        locks_at = next(n for n in range(1, 9) if accounts.lock_seconds(n))
        assert s.execute(text("SELECT failed_count FROM login_throttle")).scalar_one() == locks_at, \
            "every failure up to the lock counted, none lost, none after it"


def test_every_index_configuration_is_read_by_the_query() -> None:
    assert fts.pg_config(None) == fts.pg_config("en") == "english" and fts.pg_config("pl") == "simple"
    assert set(fts.PG_CONFIGS.values()) | {"simple"} <= set(fts.PG_QUERY_CONFIGS)
