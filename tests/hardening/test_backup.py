"""Backup and restore: ``kb export`` then ``kb import`` into a new file gives back every table equal; and between
SQLite and PostgreSQL (the tests whose source is ``fixture_db`` run from both; the restores go into a file)."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import SQLModel

from ingest.loader import run_ingest
from kb import accounts
from kb.accounts import Actor
from kb.embeddings import FakeEmbedder
from kb.lessons import service as lessons
from kb.search.engine import SearchEngine
from kb.store import backup, catalog, database
from kb.store.tables import LessonRow
from tests.factories import FIXTURE_CORPUS, lesson_data

pytestmark = pytest.mark.backends  # each test runs on SQLite and on PostgreSQL

ROOT = Path(__file__).resolve().parents[2]


def dump(db: Path | str) -> dict[str, list[tuple]]:
    """Every table's rows (as reprs: a bool stays a bool, a float a float), and which chunks the full-text index
    holds (its rows differ by backend: FTS5 columns, or a ``tsvector``)."""
    eng = database.get_engine(db)
    out: dict[str, list[tuple]] = {}
    with database.read_session(eng) as s:
        conn = s.connection()
        for t in SQLModel.metadata.sorted_tables:
            out[t.name] = sorted(tuple(map(repr, r)) for r in conn.execute(select(t)))
        fts_id = "chunk_id" if database.is_postgres(eng) else "rowid"
        out["chunk_fts"] = sorted((repr(int(r[0])),) for r in conn.exec_driver_sql(f"SELECT {fts_id} FROM chunk_fts"))
    return out


def test_round_trip_is_equal(fixture_db: Path, tmp_path: Path) -> None:
    archive = tmp_path / "backup.zip"
    counts = backup.export_archive(database.get_engine(fixture_db), archive)
    assert counts["record"] == 6 and counts["chunk"] > 0
    new = tmp_path / "restored.sqlite"
    backup.import_archive(archive, database.get_engine(new))
    assert dump(new) == dump(fixture_db)
    assert database.integrity_ok(database.get_engine(new))
    assert catalog.get_record(database.get_engine(new), "test-battery-site").title.startswith("Basement")


def test_import_refuses_a_non_empty_database_and_a_non_archive(fixture_db: Path, tmp_path: Path) -> None:
    archive = tmp_path / "b.zip"
    backup.export_archive(database.get_engine(fixture_db), archive)
    before = dump(fixture_db)
    with pytest.raises(backup.BackupError, match="not empty"):
        backup.import_archive(archive, database.get_engine(fixture_db))
    assert dump(fixture_db) == before
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    with pytest.raises(backup.BackupError, match="not a backup archive"):
        backup.import_archive(junk, database.get_engine(tmp_path / "x.sqlite"))


def test_cli_export_import(fixture_db: Path, tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "KB_MODEL": "fake-hash"}
    archive = tmp_path / "cli.zip"
    r = subprocess.run([sys.executable, "-m", "kb.cli", "export", str(archive), "--db", str(fixture_db)],
                       capture_output=True, text=True, cwd=ROOT, env=env)
    assert r.returncode == 0, r.stderr
    new = tmp_path / "cli-restored.sqlite"
    r = subprocess.run([sys.executable, "-m", "kb.cli", "import", str(archive), "--db", str(new)],
                       capture_output=True, text=True, cwd=ROOT, env=env)
    assert r.returncode == 0, r.stderr
    assert dump(new) == dump(fixture_db)


# --- the app's own data: lessons with their audit log, accounts with their hashes (and, when they land, plans) --

PASSWORD = "backup-password-1"
STAFF = Actor("ann", "staff")


def seed_accounts(engine) -> None:  # type: ignore[no-untyped-def]
    accounts.add_user(engine, "ann", "staff", PASSWORD, by=Actor.system())
    accounts.add_user(engine, "vic", "viewer", PASSWORD, by=Actor.system())
    accounts.disable_user(engine, "vic", by=Actor.system())
    accounts.login(engine, "ann", PASSWORD)  # a session row


def seed_lessons(engine) -> None:  # type: ignore[no-untyped-def]
    emb = FakeEmbedder()
    a = lessons.create_lesson(engine, STAFF, lesson_data(title="Zeppelin roof survey first"))
    a = lessons.submit_lesson(engine, STAFF, a.id, a.version)
    a = lessons.send_back_lesson(engine, Actor("bea", "staff"), a.id, a.version, "Name the roof survey's source.")
    a = lessons.submit_lesson(engine, STAFF, a.id, a.version)
    a = lessons.approve_lesson(engine, Actor("bea", "staff"), a.id, a.version, emb)
    lessons.update_lesson(engine, STAFF, a.id, {"version": a.version, "summary": "Edited after publishing."}, emb)
    b = lessons.create_lesson(engine, STAFF, lesson_data(title="Archived lesson"))
    lessons.archive_lesson(engine, STAFF, b.id, b.version)
    lessons.create_lesson(engine, STAFF, lesson_data(title="Draft lesson"))


# HOOK for saved plans (and any later table the app writes): append a seeder that writes at least one row of each
# new table through its service layer, e.g. ``def seed_plans(engine): plans.save_plan(engine, STAFF, ...)``.
# test_every_table_is_seeded_and_round_trips fails, naming the table, until its data is part of the round trip.
# A migration that adds a table or column also declares it in backup.TABLE_SINCE / COLUMN_SINCE (older archives).
def seed_plans(engine) -> None:  # type: ignore[no-untyped-def]
    """A saved district plan (staff only), written through kb.plans.saved."""
    from kb.plans.model import read_plan
    from kb.plans.saved import save_plan

    plan = Path(__file__).resolve().parents[2] / "solutions" / "plans" / "budapest-kobanya-feherdulo.toml"
    save_plan(engine, read_plan(plan), accounts.Actor("ann", "staff"))


def seed_visits(engine) -> None:  # type: ignore[no-untyped-def]
    """Ann's last visit of the Lessons page (its "new since your last visit"), written through kb.lessons.visits."""
    from kb.lessons import visits

    visits.begin_visit(engine, STAFF)


SEEDERS = [seed_accounts, seed_lessons, seed_plans, seed_visits]


def test_every_table_is_seeded_and_round_trips(fixture_db: Path, tmp_path: Path) -> None:
    engine = database.get_engine(fixture_db)
    for seed in SEEDERS:
        seed(engine)
    original = dump(fixture_db)
    empty = sorted(t for t, rows in original.items() if not rows and t != "meta")
    assert empty == [], (f"tables {empty} hold no rows, so the backup round trip does not prove them: add a "
                         "seeder to SEEDERS in tests/hardening/test_backup.py")
    archive = tmp_path / "full.zip"
    counts = backup.export_archive(engine, archive)
    assert counts["lesson"] == 3 + 1 and counts["lesson_audit"] == 9 + 1 and counts["user_account"] == 2  # + the
    with database.read_session(engine) as s:  # fixture corpus's lesson file, with what m006 keeps of it
        row = s.get(LessonRow, "test-lesson-grid")
        assert row is not None and row.file_path == "lessons/test-lesson-grid.md" and row.file_hash
    new = tmp_path / "restored.sqlite"
    backup.import_archive(archive, database.get_engine(new))
    assert dump(new) == original
    restored = database.get_engine(new)
    assert database.integrity_ok(restored)
    # accounts: the same argon2id hashes, so the same passwords log in; the disabled account stays disabled
    assert accounts.authenticate(restored, "ann", PASSWORD).role == "staff"
    with pytest.raises(accounts.LoginFailed, match="disabled"):
        accounts.authenticate(restored, "vic", PASSWORD)
    # lessons: every status and the whole audit log, who and when
    for les in lessons.list_lessons(engine, STAFF):
        assert lessons.get_lesson(restored, les.id, STAFF) == les
        assert lessons.history(restored, STAFF, les.id) == lessons.history(engine, STAFF, les.id)
    assert [h["action"] for h in lessons.history(restored, STAFF, "lesson-zeppelin-roof-survey-first")] == \
        ["create", "submit", "send-back", "submit", "publish", "update"]
    assert lessons.history(restored, STAFF, "lesson-zeppelin-roof-survey-first")[2]["note"] == \
        "Name the roof survey's source.", "a reviewer's comment survives the round trip"
    # the published lesson is found by search in the restored database (FTS rebuilt, vectors restored)
    hits = SearchEngine(restored, FakeEmbedder()).search("zeppelin roof survey", mode="bm25").hits
    assert hits and hits[0].id == "lesson-zeppelin-roof-survey-first"
    # and the restored database keeps working: a new edit continues the version sequence
    cur = lessons.get_lesson(restored, "lesson-zeppelin-roof-survey-first", STAFF)
    lessons.update_lesson(restored, STAFF, cur.id, {"version": cur.version, "title": "Zeppelin roof: survey first"},
                          FakeEmbedder())
    assert lessons.get_lesson(restored, cur.id, STAFF).version == cur.version + 1


def test_restore_into_a_new_file_is_equal_and_leaves_nothing_aside(fixture_db: Path, tmp_path: Path) -> None:
    engine = database.get_engine(fixture_db)
    for seed in SEEDERS:
        seed(engine)
    archive = tmp_path / "b.zip"
    backup.export_archive(engine, archive)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith((".b.zip", "b.zip"))) == ["b.zip"]
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600, "the archive holds password hashes: owner only"
    new = tmp_path / "restore" / "kb.sqlite"
    done = backup.restore(archive, new)
    assert sorted(p.name for p in new.parent.iterdir()) == ["kb.sqlite"], "no temporary or journal file aside"
    assert done.admins == 0 and done.counts["user_account"] == 2 and done.counts["lesson"] == 3 + 1
    assert dump(new) == dump(fixture_db)
    assert database.integrity_ok(database.get_engine(new))


def test_sqlite_to_postgresql_and_back_gives_equal_tables(tmp_path: Path, pg_cluster) -> None:  # type: ignore[no-untyped-def]
    """Moving a deployment: ``kb export`` from SQLite, ``kb import --db postgresql+psycopg://…``, and back."""
    fixture_db = tmp_path / "kb.sqlite"
    assert not run_ingest(FIXTURE_CORPUS, fixture_db, FakeEmbedder()).errors
    engine = database.get_engine(fixture_db)
    for seed in SEEDERS:
        seed(engine)
    original = dump(fixture_db)
    env = {"PATH": "/usr/bin:/bin", "KB_MODEL": "fake-hash"}

    def kb(*args: str) -> str:
        r = subprocess.run([sys.executable, "-m", "kb.cli", *args], capture_output=True, text=True, cwd=ROOT, env=env)
        assert r.returncode == 0, r.stderr
        return r.stdout

    kb("export", str(tmp_path / "from-sqlite.zip"), "--db", str(fixture_db))
    url = pg_cluster.new_database(empty=True)  # a database as createdb leaves it: no schema yet
    assert "restored into postgresql+psycopg://" in kb("import", str(tmp_path / "from-sqlite.zip"), "--db", url)
    assert dump(url) == original
    kb("export", str(tmp_path / "from-pg.zip"), "--db", url)
    back = tmp_path / "back.sqlite"
    kb("import", str(tmp_path / "from-pg.zip"), "--db", str(back))
    assert dump(back) == original
    # the moved database keeps working: search finds the published lesson, and the id sequences go on after the
    # imported ids (a new lesson and its audit row get new ids, on PostgreSQL as on SQLite)
    pg = database.get_engine(url)
    assert SearchEngine(pg, FakeEmbedder()).search("zeppelin roof survey", mode="bm25").hits[0].id == \
        "lesson-zeppelin-roof-survey-first"
    les = lessons.create_lesson(pg, STAFF, lesson_data(title="Written after the move"))
    assert [h["action"] for h in lessons.history(pg, STAFF, les.id)] == ["create"]
    accounts.add_user(pg, "cat", "viewer", PASSWORD, by=Actor.system())


def test_import_into_a_postgresql_database_that_is_not_empty_is_refused(tmp_path: Path, pg_cluster) -> None:  # type: ignore[no-untyped-def]
    fixture_db = pg_cluster.new_database()
    assert not run_ingest(FIXTURE_CORPUS, fixture_db, FakeEmbedder()).errors
    archive = tmp_path / "b.zip"
    backup.export_archive(database.get_engine(fixture_db), archive)
    before = dump(fixture_db)
    with pytest.raises(backup.BackupError, match="not empty"):
        backup.restore(archive, str(fixture_db))
    assert dump(fixture_db) == before
