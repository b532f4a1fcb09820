"""Backup and restore: ``kb export`` then ``kb import`` into a new file gives back every table equal."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import SQLModel

from kb import backup, catalog, database

ROOT = Path(__file__).resolve().parents[2]


def dump(db: Path) -> dict[str, list[tuple]]:
    eng = database.get_engine(db)
    out: dict[str, list[tuple]] = {}
    with database.read_session(eng) as s:
        conn = s.connection()
        for t in SQLModel.metadata.sorted_tables:
            out[t.name] = sorted(tuple(map(repr, r)) for r in conn.execute(select(t)))
        out["chunk_fts"] = sorted(tuple(map(repr, r)) for r in conn.exec_driver_sql(
            "SELECT rowid, title, section, text FROM chunk_fts"))
    return out


def test_round_trip_is_equal(fixture_db: Path, tmp_path: Path) -> None:
    archive = tmp_path / "backup.zip"
    counts = backup.export_archive(database.get_engine(fixture_db), archive)
    assert counts["record"] == 6 and counts["chunk"] > 0
    new = tmp_path / "restored.sqlite"
    backup.import_archive(archive, database.get_engine(new))
    assert dump(new) == dump(fixture_db)
    assert database.integrity_ok(database.get_engine(new))
    assert catalog.get_record(database.get_engine(new), "test-battery-site")["title"].startswith("Basement")


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
