"""Tampered backups: every altered, damaged or oversized archive is refused with one sentence and nothing is written."""

from __future__ import annotations

import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlmodel import SQLModel

from ingest.loader import run_ingest
from kb import accounts
from kb.accounts import Actor
from kb.embeddings import FakeEmbedder
from kb.lessons import service as lessons
from kb.store import backup, database
from kb.store.backup import BackupError, Limits
from kb.store.migrations import SCHEMA_VERSION
from tests.factories import FIXTURE_CORPUS, lesson_data

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "tamper-password-1"
Files = dict[str, bytes]
Manifest = dict[str, Any]


# --- building and altering archives ---------------------------------------------------------------------------

def dump(db: Path) -> dict[str, list[tuple[str, ...]]]:
    eng = database.get_engine(db, create=False)
    with database.read_session(eng) as s:
        conn = s.connection()
        out = {t.name: sorted(tuple(map(repr, r)) for r in conn.execute(select(t))) for t in
               SQLModel.metadata.sorted_tables}
        fts = conn.exec_driver_sql("SELECT rowid, text FROM chunk_fts")
        out["chunk_fts"] = sorted(tuple(map(repr, r)) for r in fts)
    return out


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A database (the fixture corpus, a staff user with a session, a viewer, a lesson) and its archive."""
    d = tmp_path_factory.mktemp("source")
    db = d / "kb.sqlite"
    assert not run_ingest(FIXTURE_CORPUS, db, FakeEmbedder()).errors
    engine = database.get_engine(db)
    accounts.add_user(engine, "ann", "staff", PASSWORD, by=Actor.system())
    accounts.add_user(engine, "vic", "viewer", PASSWORD, by=Actor.system())
    accounts.login(engine, "ann", PASSWORD)
    lessons.create_lesson(engine, Actor("ann", "staff"), lesson_data(title="Survey the roof first"))
    archive = d / "backup.zip"
    backup.export_archive(engine, archive)
    database.dispose_all()
    return db, archive


@pytest.fixture
def archive(source: tuple[Path, Path]) -> Path:
    return source[1]


def read_zip(path: Path) -> Files:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def write_zip(path: Path, files: Files, method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def rows(files: Files, table: str) -> list[dict[str, Any]]:
    return [json.loads(ln) for ln in files[f"{table}.jsonl"].splitlines()]


def set_rows(files: Files, table: str, new: list[Any]) -> None:
    files[f"{table}.jsonl"] = b"".join(json.dumps(r).encode() + b"\n" for r in new)


def tamper(src: Path, dst: Path, edit: Callable[[Files, Manifest], None], *, fix_hashes: bool = True) -> Path:
    """A copy of ``src`` altered by ``edit``; with ``fix_hashes`` the manifest's counts and SHA-256 are recomputed,
    as anyone who can write the archive can do."""
    files = read_zip(src)
    manifest = json.loads(files.pop("manifest.json"))
    edit(files, manifest)
    if fix_hashes and isinstance(manifest, dict) and isinstance(manifest.get("tables"), dict):
        for t in manifest["tables"]:
            if f"{t}.jsonl" in files:
                data = files[f"{t}.jsonl"]
                manifest["tables"][t] = {"rows": len(data.splitlines()), "sha256": hashlib.sha256(data).hexdigest()}
    files["manifest.json"] = json.dumps(manifest).encode()
    return write_zip(dst, files)


def promote_vic(files: Files, _m: Manifest) -> None:
    users = rows(files, "user_account")
    for u in users:
        if u["name"] == "vic":
            u["role"] = "admin"
    set_rows(files, "user_account", users)


def add_admin(files: Files, _m: Manifest) -> None:
    users = rows(files, "user_account")
    users.append(dict(users[0], id=99, name="mallory", role="admin"))
    set_rows(files, "user_account", users)


def refused(archive: Path, target_dir: Path, match: str, **kw: Any) -> BackupError:
    """Restoring ``archive`` into a new file under ``target_dir`` is refused with one sentence; no file is left."""
    target_dir.mkdir(exist_ok=True)
    before = sorted(target_dir.iterdir())
    target = target_dir / "restored.sqlite"
    with pytest.raises(BackupError, match=match) as info:
        backup.restore(archive, target, **kw)
    assert "\n" not in str(info.value) and "Traceback" not in str(info.value)
    assert not target.exists() and sorted(target_dir.iterdir()) == before, "a refused import leaves no file"
    return info.value


def kb(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, KB_MODEL="fake-hash")
    return subprocess.run([sys.executable, "-m", "kb.cli", *args], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=120)


def one_line_error(r: subprocess.CompletedProcess[str], code: int = 1) -> str:
    assert r.returncode == code, r.stderr
    assert "Traceback" not in r.stderr and r.stderr.count("\n") == 1 and r.stderr.startswith("error: "), r.stderr
    return r.stderr


# --- accounts: a changed or added admin is refused unless the hashes are recomputed -------------------------------

def test_a_viewer_promoted_to_admin_without_the_hash_is_refused(archive: Path, tmp_path: Path) -> None:
    bad = tamper(archive, tmp_path / "bad.zip", promote_vic, fix_hashes=False)
    refused(bad, tmp_path / "out", "user_account does not match its SHA-256")
    target = tmp_path / "out" / "cli.sqlite"
    err = one_line_error(kb("import", str(bad), "--db", str(target)))
    assert "SHA-256" in err and not target.exists()


def test_an_added_admin_is_refused_by_count_and_by_hash(archive: Path, tmp_path: Path) -> None:
    refused(tamper(archive, tmp_path / "a.zip", add_admin, fix_hashes=False), tmp_path / "out",
            "user_account has more than 2 rows but the manifest declares 2")

    def add_and_count(files: Files, m: Manifest) -> None:
        add_admin(files, m)
        m["tables"]["user_account"]["rows"] = 3

    refused(tamper(archive, tmp_path / "b.zip", add_and_count, fix_hashes=False), tmp_path / "out",
            "does not match its SHA-256")


def test_recomputed_hashes_are_trusted_with_a_warning_and_without_accounts_leaves_them_out(
        archive: Path, tmp_path: Path) -> None:
    bad = tamper(archive, tmp_path / "bad.zip", promote_vic)
    with_accounts = tmp_path / "with.sqlite"
    r = kb("import", str(bad), "--db", str(with_accounts))
    assert r.returncode == 0, r.stderr
    assert r.stderr.startswith("warning: the archive brings 1 admin account;") and r.stderr.count("\n") == 1
    without = tmp_path / "without.sqlite"
    r = kb("import", str(bad), "--db", str(without), "--without-accounts")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert dump(without)["user_account"] == [] and dump(without)["user_session"] == []


# --- missing tables, versions, counts, damaged zips ---------------------------------------------------------

@pytest.mark.parametrize("table", ["user_account", "lesson", "record"])
def test_a_missing_table_is_refused(archive: Path, tmp_path: Path, table: str) -> None:
    def drop(files: Files, m: Manifest) -> None:
        del files[f"{table}.jsonl"], m["tables"][table]

    refused(tamper(archive, tmp_path / "bad.zip", drop), tmp_path / "out", f"has no {table} table")


def test_without_accounts_needs_no_account_tables(source: tuple[Path, Path], tmp_path: Path) -> None:
    def drop(files: Files, m: Manifest) -> None:
        for t in backup.ACCOUNT_TABLES:
            del files[f"{t}.jsonl"], m["tables"][t]

    target = tmp_path / "new.sqlite"
    backup.restore(tamper(source[1], tmp_path / "a.zip", drop), target, without_accounts=True)
    got, want = dump(target), dump(source[0])
    assert got["user_account"] == [] and got["lesson"] == want["lesson"] and got["record"] == want["record"]


def test_a_newer_schema_or_format_is_refused(archive: Path, tmp_path: Path) -> None:
    def schema(files: Files, m: Manifest) -> None:
        m["schema_version"] = 999

    bad = tamper(archive, tmp_path / "s.zip", schema)
    refused(bad, tmp_path / "out", "schema version 999, newer than this kb knows")
    err = one_line_error(kb("import", str(bad), "--db", str(tmp_path / "out" / "cli.sqlite")))
    assert "upgrade kb" in err

    for version, match in [(3, "newer than this kb reads"), (1, "no checksums"), (True, "not a positive whole")]:
        def fmt(files: Files, m: Manifest, v: object = version) -> None:
            m["version"] = v

        refused(tamper(archive, tmp_path / f"v{version}.zip", fmt), tmp_path / "out", match)


def test_wrong_row_counts_are_refused(archive: Path, tmp_path: Path) -> None:
    def fewer(files: Files, m: Manifest) -> None:
        m["tables"]["record"]["rows"] -= 1

    def more(files: Files, m: Manifest) -> None:
        m["tables"]["chunk"]["rows"] += 5

    refused(tamper(archive, tmp_path / "a.zip", fewer, fix_hashes=False), tmp_path / "out",
            "record has more than 5 rows but the manifest declares 5")
    refused(tamper(archive, tmp_path / "b.zip", more, fix_hashes=False), tmp_path / "out",
            "rows but the manifest declares")


def test_a_crc_corrupted_entry_is_refused(archive: Path, tmp_path: Path) -> None:
    stored = write_zip(tmp_path / "stored.zip", read_zip(archive), zipfile.ZIP_STORED)
    raw = bytearray(stored.read_bytes())
    at = raw.index(b'"vic"')
    raw[at + 1] = ord("w")  # the entry's bytes change, its CRC-32 does not
    stored.write_bytes(bytes(raw))
    refused(stored, tmp_path / "out", "entry user_account.jsonl is damaged .*CRC")
    err = one_line_error(kb("import", str(stored), "--db", str(tmp_path / "out" / "cli.sqlite")))
    assert "damaged" in err


def test_an_entry_that_unpacks_to_more_than_it_declares_is_refused(archive: Path, tmp_path: Path) -> None:
    raw = bytearray(archive.read_bytes())
    central = raw.index(b"PK\x01\x02")  # the first central directory entry (deflated data never holds it here)
    while True:  # find record.jsonl in the central directory, declare 10 bytes uncompressed
        name_len = struct.unpack_from("<H", raw, central + 28)[0]
        if raw[central + 46:central + 46 + name_len] == b"record.jsonl":
            struct.pack_into("<I", raw, central + 24, 10)
            break
        extra, comment = struct.unpack_from("<HH", raw, central + 30)
        central += 46 + name_len + extra + comment
    bomb = tmp_path / "bomb.zip"
    bomb.write_bytes(bytes(raw))
    refused(bomb, tmp_path / "out", "record.jsonl is damaged")


@pytest.mark.parametrize("content, match", [
    (b"not a zip at all", "is not a backup archive"),
    (b"", "is not a backup archive"),
])
def test_a_file_that_is_not_a_zip_is_refused(tmp_path: Path, content: bytes, match: str) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(content)
    refused(junk, tmp_path / "out", match)
    one_line_error(kb("import", str(junk), "--db", str(tmp_path / "out" / "cli.sqlite")))


def test_unexpected_or_missing_entries_are_refused(archive: Path, tmp_path: Path) -> None:
    files = read_zip(archive)
    refused(write_zip(tmp_path / "x.zip", {**files, "evil.sh": b"rm -rf /"}), tmp_path / "out", "unexpected entry")
    no_manifest = {k: v for k, v in files.items() if k != "manifest.json"}
    refused(write_zip(tmp_path / "m.zip", no_manifest), tmp_path / "out", "has no manifest.json")
    unlisted = json.loads(files["manifest.json"])
    del unlisted["tables"]["link"]
    refused(write_zip(tmp_path / "u.zip", {**files, "manifest.json": json.dumps(unlisted).encode()}),
            tmp_path / "out", "has no link table")
    unlisted = dict(json.loads(files["manifest.json"]), schema_version=1)  # plans came with schema version 3
    del unlisted["tables"]["district_plan"]
    refused(write_zip(tmp_path / "p.zip", {**files, "manifest.json": json.dumps(unlisted).encode()}),
            tmp_path / "out", "district_plan.jsonl is not in the manifest")


# --- the manifest and the lines -------------------------------------------------------------------------------

@pytest.mark.parametrize("manifest, match", [
    (b"[]", "manifest.json is not a JSON object"),
    (b"{\"format\": ", "manifest.json cannot be read"),
    (b"\xff\xfe{}", "manifest.json cannot be read"),
    (b"[" * 100_000 + b"]" * 100_000, "manifest.json cannot be read because it is nested too deeply"),
    (b'{"format": "something-else"}', "is not a knowledge-base backup"),
    (b'{"format": "atelier-kb-backup", "version": 2, "schema_version": 4, "tables": []}', "does not list the tables"),
    (b'{"format": "atelier-kb-backup", "version": 2, "schema_version": 4, "tables": {"users": {}}}',
     "unknown table 'users'"),
    (b'{"format": "atelier-kb-backup", "version": 2, "schema_version": 4, "tables": {"record": {"rows": 1}}}',
     "needs a row count and a SHA-256"),
])
def test_a_malformed_manifest_is_refused(archive: Path, tmp_path: Path, manifest: bytes, match: str) -> None:
    files = dict(read_zip(archive), **{"manifest.json": manifest})
    refused(write_zip(tmp_path / "bad.zip", files), tmp_path / "out", match)


LINE_CASES: list[tuple[str, Callable[[dict[str, Any]], Any], str]] = [
    ("a list", lambda u: [1, 2], "line 1 of user_account.jsonl does not fit table user_account: it is not a JSON "
                                 "object"),
    ("a string", lambda u: "admin", "it is not a JSON object"),
    ("a role that is a number", lambda u: dict(u, role=3), "column role should be of type str, not int"),
    ("a count that is text", lambda u: dict(u, failed_count="0"), "column failed_count should be of type int"),
    ("a flag that is a number", lambda u: dict(u, disabled=0), "column disabled should be of type bool"),
    ("an id that is a float", lambda u: dict(u, id=1.5), "column id should be of type int"),
    ("a null name", lambda u: dict(u, name=None), "column name is null"),
    ("a date that is text", lambda u: dict(u, created_at="yesterday"), "column created_at is not a date and time"),
    ("a bad date", lambda u: dict(u, created_at={"$dt": "not a date"}), "is not a date and time"),
    ("an unknown column", lambda u: dict(u, is_superuser=True), "unknown column 'is_superuser'"),
    ("a missing column", lambda u: {k: v for k, v in u.items() if k != "password_hash"},
     "lacks the column password_hash"),
]


@pytest.mark.parametrize("what, change, match", LINE_CASES, ids=[c[0] for c in LINE_CASES])
def test_a_line_that_does_not_fit_its_table_is_refused(archive: Path, tmp_path: Path, what: str,
                                                       change: Callable[[dict[str, Any]], Any], match: str) -> None:
    def edit(files: Files, _m: Manifest) -> None:
        users = rows(files, "user_account")
        set_rows(files, "user_account", [change(users[0]), *users[1:]])

    refused(tamper(archive, tmp_path / "bad.zip", edit), tmp_path / "out", match)


@pytest.mark.parametrize("line, match", [
    (b'{"key": "a", "value": "b", "key": "c"}', "the same key twice"),
    (b'{"key": "a", "value": NaN}', "NaN is not a number JSON allows"),
    (b"\n", "it is not valid JSON"),
    (b'{"key": "a", "value": "\xff"}', "it is not valid JSON"),
])
def test_raw_lines_that_are_not_clean_json_objects_are_refused(archive: Path, tmp_path: Path, line: bytes,
                                                               match: str) -> None:
    def edit(files: Files, _m: Manifest) -> None:
        files["meta.jsonl"] = line.rstrip(b"\n") + b"\n" + files["meta.jsonl"]

    refused(tamper(archive, tmp_path / "bad.zip", edit), tmp_path / "out", match)


def test_a_wrongly_typed_embedding_or_number_is_refused(archive: Path, tmp_path: Path) -> None:
    def chunk(files: Files, _m: Manifest) -> None:
        cs = rows(files, "chunk")
        set_rows(files, "chunk", [dict(cs[0], embedding={"$b64": "***"}), *cs[1:]])

    refused(tamper(archive, tmp_path / "a.zip", chunk), tmp_path / "out", "column embedding is not base64 bytes")

    def quantity(files: Files, _m: Manifest) -> None:
        qs = rows(files, "quantity")
        set_rows(files, "quantity", [dict(qs[0], value="12"), *qs[1:]])

    refused(tamper(archive, tmp_path / "b.zip", quantity), tmp_path / "out", "column value should be a number")


# --- integrity: unique and foreign-key rules, inside the transaction ----------------------------------------------

def dup_user(files: Files, _m: Manifest) -> None:
    users = rows(files, "user_account")
    set_rows(files, "user_account", [*users, dict(users[0], id=99)])  # a second "ann"


def orphan_session(files: Files, _m: Manifest) -> None:
    sessions = rows(files, "user_session")
    set_rows(files, "user_session", [*sessions, dict(sessions[0], token_hash="f" * 64, user_id=999)])


def orphan_chunk(files: Files, _m: Manifest) -> None:
    cs = rows(files, "chunk")
    set_rows(files, "chunk", [*cs, dict(cs[0], id=9999, record_id="no-such-record")])


@pytest.mark.parametrize("edit, match", [
    (dup_user, "user_account break a rule of the database .UNIQUE constraint failed: user_account.name"),
    (orphan_session, "table user_session has rows that refer to a missing user_account row"),
    (orphan_chunk, "table chunk has rows that refer to a missing record row"),
], ids=["duplicate user name", "session of no user", "chunk of no record"])
def test_integrity_violations_are_rolled_back(archive: Path, tmp_path: Path,
                                              edit: Callable[[Files, Manifest], None], match: str) -> None:
    bad = tamper(archive, tmp_path / "bad.zip", edit)
    refused(bad, tmp_path / "out", match)
    # an existing empty database stays empty: the inserts ran and were rolled back
    existing = tmp_path / "existing.sqlite"
    database.get_engine(existing)
    before = dump(existing)
    with pytest.raises(BackupError, match=match):
        backup.import_archive(bad, database.get_engine(existing))
    assert dump(existing) == before
    with pytest.raises(BackupError, match=match):
        backup.restore(bad, existing)
    assert dump(existing) == before
    one_line_error(kb("import", str(bad), "--db", str(tmp_path / "out" / "cli.sqlite")))
    assert not (tmp_path / "out" / "cli.sqlite").exists()


# --- size caps (a small cap stands in for a 1 GB entry) -----------------------------------------------------

def test_oversized_manifest_line_and_archive_are_refused(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    refused(archive, out, "manifest.json is larger than 100 bytes", limits=Limits(manifest_bytes=100))
    refused(archive, out, r"line 1 of \w+\.jsonl is longer than 300 bytes", limits=Limits(line_bytes=300))
    refused(archive, out, "unpacks to .* bytes, more than the limit of 1000", limits=Limits(total_bytes=1000))
    refused(archive, out, "more than a backup has .3.", limits=Limits(entries=3))
    with pytest.raises(BackupError, match="longer than 300 bytes"):
        backup.check_archive(archive, limits=Limits(line_bytes=300))


# --- export: atomic, never a .part left behind -------------------------------------------------------------

def test_export_into_a_directory_or_a_missing_one_is_refused(source: tuple[Path, Path], tmp_path: Path) -> None:
    d = tmp_path / "backups"
    d.mkdir()
    err = one_line_error(kb("export", str(d), "--db", str(source[0])))
    assert "is a directory" in err and list(d.iterdir()) == []
    err = one_line_error(kb("export", str(tmp_path / "nowhere" / "b.zip"), "--db", str(source[0])))
    assert "does not exist" in err and not (tmp_path / "nowhere").exists()


def test_a_failing_export_leaves_the_old_archive_and_no_temp_file(source: tuple[Path, Path], tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "b.zip"
    target.write_bytes(b"the previous archive")
    calls = {"n": 0}
    real = backup._row_line

    def failing(row: dict[str, Any]) -> bytes:
        calls["n"] += 1
        if calls["n"] > 20:
            raise OSError(28, "No space left on device")
        return real(row)

    monkeypatch.setattr(backup, "_row_line", failing)
    with pytest.raises(BackupError, match="No space left on device; no archive was written"):
        backup.export_archive(database.get_engine(source[0]), target)
    assert target.read_bytes() == b"the previous archive" and sorted(p.name for p in tmp_path.iterdir()) == ["b.zip"]


def test_the_manifest_declares_every_table_its_count_and_hash(archive: Path) -> None:
    files = read_zip(archive)
    m = json.loads(files["manifest.json"])
    assert (m["format"], m["version"], m["schema_version"]) == ("atelier-kb-backup", 2, SCHEMA_VERSION)
    assert set(m["tables"]) == {t.name for t in SQLModel.metadata.sorted_tables}
    for t, d in m["tables"].items():
        data = files[f"{t}.jsonl"]
        assert d == {"rows": len(data.splitlines()), "sha256": hashlib.sha256(data).hexdigest()}


# --- round trips still equal -------------------------------------------------------------------------------

def test_cli_round_trip_is_equal_and_without_accounts_keeps_everything_else(source: tuple[Path, Path],
                                                                            tmp_path: Path) -> None:
    db = source[0]
    archive = tmp_path / "b.zip"
    assert kb("export", str(archive), "--db", str(db)).returncode == 0
    assert not [p for p in tmp_path.iterdir() if p.name != "b.zip"], "no temporary file next to the archive"
    full = tmp_path / "full.sqlite"
    r = kb("import", str(archive), "--db", str(full))
    assert r.returncode == 0 and r.stderr == "", r.stderr  # no admin in the archive: no warning
    assert dump(full) == dump(db)
    assert accounts.authenticate(database.get_engine(full), "ann", PASSWORD).role == "staff"
    partial = tmp_path / "partial.sqlite"
    assert kb("import", str(archive), "--db", str(partial), "--without-accounts").returncode == 0
    got, want = dump(partial), dump(db)
    assert got["user_account"] == got["user_session"] == [] and want["user_account"] and want["user_session"]
    assert {k: v for k, v in got.items() if k not in backup.ACCOUNT_TABLES} == \
        {k: v for k, v in want.items() if k not in backup.ACCOUNT_TABLES}


def test_an_older_schema_is_restored_into_a_new_file_and_migrated_up(source: tuple[Path, Path],
                                                                    tmp_path: Path) -> None:
    def as_v3(files: Files, m: Manifest) -> None:  # before m004 (record.display_path)
        m["schema_version"] = 3
        set_rows(files, "record", [{k: v for k, v in r.items() if k != "display_path"} for r in rows(files, "record")])

    old = tamper(source[1], tmp_path / "v3.zip", as_v3)
    target = tmp_path / "restored.sqlite"
    backup.restore(old, target)
    got, want = dump(target), dump(source[0])
    assert got["lesson"] == want["lesson"] and len(got["record"]) == len(want["record"])
    with database.read_session(database.get_engine(target)) as s:
        assert database.schema_version(s) == database.migrate(database.get_engine(target))
    with pytest.raises(BackupError, match="older schema version 3: restore it with 'kb import' into a new file"):
        backup.import_archive(old, database.get_engine(tmp_path / "existing.sqlite"))

    def as_v1(files: Files, m: Manifest) -> None:  # before accounts, lessons and plans
        as_v3(files, m)
        m["schema_version"] = 1
        for t in ("user_account", "user_session", "lesson", "lesson_audit", "district_plan"):
            files.pop(f"{t}.jsonl"), m["tables"].pop(t)

    v1 = tmp_path / "v1.sqlite"
    backup.restore(tamper(source[1], tmp_path / "v1.zip", as_v1), v1)
    assert dump(v1)["chunk_fts"] == want["chunk_fts"] and dump(v1)["lesson"] == []


def test_every_migration_declares_what_it_adds_for_older_archives() -> None:
    """A migration that adds a table or column must say so in backup.TABLE_SINCE / COLUMN_SINCE (or this fails)."""
    # m005 adds only login_throttle, transient lockout state that is not a SQLModel table and never in an archive;
    # m006 adds lesson_audit.note; m007 the lesson's file columns (backup.COLUMN_SINCE); m008 the lesson_visit table;
    # m009 adds record_change, derived state that is no SQLModel table, and a meta row
    assert SCHEMA_VERSION == 9, ("a new migration: add the tables and columns it creates to backup.TABLE_SINCE / "
                                 "COLUMN_SINCE, then raise this number")


# --- any single flipped byte: refused with a BackupError, or (a byte no reader looks at) restored equal -----------

@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_flipped_byte_is_refused_or_harmless(source: tuple[Path, Path], tmp_path: Path,
                                                 data: st.DataObject) -> None:
    raw = bytearray(source[1].read_bytes())
    at = data.draw(st.integers(0, len(raw) - 1), label="offset")
    raw[at] ^= data.draw(st.integers(1, 255), label="xor")
    here = Path(tempfile.mkdtemp(dir=tmp_path))  # one directory per example: hypothesis reuses tmp_path
    bad = here / "flipped.zip"
    bad.write_bytes(bytes(raw))
    target = here / "restored.sqlite"
    try:
        backup.restore(bad, target)
    except BackupError as exc:
        assert "\n" not in str(exc)
        assert sorted(p.name for p in here.iterdir()) == ["flipped.zip"], "a refused import leaves no file"
    else:
        assert dump(target) == dump(source[0])
    finally:
        database.dispose_all()
