"""Portable backup: every table to a zip with a checked manifest; an import verifies the whole archive, then writes."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import tempfile
import types
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeGuard, Union, get_args, get_origin

from sqlalchemy import Engine, Integer, Table, insert, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import SQLModel

from kb.config import DbLocation
from kb.errors import InvalidInput
from kb.store import database, fts, tables
from kb.store.migrations import SCHEMA_VERSION

FORMAT = "atelier-kb-backup"
FORMAT_VERSION = 2  # 2: the manifest declares each table's row count and SHA-256 (1 had counts only)
MANIFEST = "manifest.json"
ACCOUNT_TABLES: tuple[str, ...] = ("user_account", "user_session", tables.VISIT_TABLE)
"""Left out by ``without_accounts``: whoever could write an archive chose its accounts and password hashes (and the
per-user visit times, which refer to the accounts)."""

# The schema version that created each table and column; anything not listed exists since version 1. An archive of
# an older schema lacks what came later; it is restored into a fresh database migrated to the archive's version,
# and the migrations after it run on the restored rows. A migration that adds a table or column appends it here.
TABLE_SINCE: dict[str, int] = {"user_account": 2, "user_session": 2, "lesson": 2, "lesson_audit": 2,
                               tables.PLAN_TABLE: 3, tables.VISIT_TABLE: 8}
COLUMN_SINCE: dict[tuple[str, str], int] = {("record", "display_path"): 4, ("lesson_audit", "note"): 6,
                                            **{("lesson", c): 7 for c, _ in tables.LESSON_FILE_COLUMNS}}

_BATCH = 500


class BackupError(InvalidInput):
    """The archive cannot be written or read, or the target database is not empty."""


@dataclass(frozen=True)
class Limits:
    """Caps on what an import reads: the manifest, one JSON line, the archive's whole uncompressed size, entries."""

    manifest_bytes: int = 1 << 20
    line_bytes: int = 16 << 20
    total_bytes: int = 8 << 30
    entries: int = 64


LIMITS = Limits()


@dataclass(frozen=True)
class Declared:
    """A table as the manifest declares it."""

    rows: int
    sha256: str


@dataclass(frozen=True)
class Checked:
    """An archive that passed every check: its schema version, declared tables, and how many admins it holds."""

    schema_version: int
    tables: dict[str, Declared]
    admins: int


@dataclass(frozen=True)
class Restored:
    """What an import wrote: rows per table, and the admin accounts among them."""

    counts: dict[str, int]
    admins: int


# --- values -----------------------------------------------------------------------------------------------

def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"$b64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    return value


class _Bad(InvalidInput):
    """A value or line that does not fit; the caller adds where (module-internal, always turned into BackupError)."""


def _base_type(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        return next(a for a in get_args(annotation) if a is not type(None))
    return annotation


def _models() -> dict[str, type[SQLModel]]:
    """Every table class of :mod:`kb.store.tables` by table name."""
    return {str(v.__tablename__): v for v in vars(tables).values()
            if isinstance(v, type) and issubclass(v, SQLModel) and hasattr(v, "__table__")}


@dataclass(frozen=True)
class _Column:
    name: str
    type: Any
    nullable: bool


def _columns(table: Table) -> dict[str, _Column]:
    """The columns of a table with the Python type its SQLModel class declares and the database's nullability."""
    fields = _models()[table.name].model_fields
    return {c.name: _Column(c.name, _base_type(fields[c.name].annotation), bool(c.nullable)) for c in table.columns}


def _value(col: _Column, v: Any) -> Any:
    if v is None:
        if col.nullable:
            return None
        raise _Bad(f"column {col.name} is null")
    t = col.type
    if t is datetime:
        if isinstance(v, dict) and list(v) == ["$dt"] and isinstance(v["$dt"], str):
            try:
                return datetime.fromisoformat(v["$dt"])
            except ValueError:
                pass
        raise _Bad(f"column {col.name} is not a date and time")
    if t is bytes:
        if isinstance(v, dict) and list(v) == ["$b64"] and isinstance(v["$b64"], str):
            try:
                return base64.b64decode(v["$b64"], validate=True)
            except (binascii.Error, ValueError):
                pass
        raise _Bad(f"column {col.name} is not base64 bytes")
    ok = {bool: isinstance(v, bool), int: isinstance(v, int) and not isinstance(v, bool),
          float: isinstance(v, int | float) and not isinstance(v, bool), str: isinstance(v, str)}.get(t, False)
    if not ok:
        raise _Bad(f"column {col.name} should be {'a number' if t is float else 'of type ' + t.__name__}, "
                   f"not {type(v).__name__}")
    return float(v) if t is float else v


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _Bad("an object has the same key twice")
    return out


def _no_constant(name: str) -> Any:
    raise _Bad(f"{name} is not a number JSON allows")


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except RecursionError:
        raise _Bad("it is nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise _Bad(f"it is not valid JSON ({exc})") from None


# --- export -----------------------------------------------------------------------------------------------

def _row_line(row: dict[str, Any]) -> bytes:
    return (json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False, allow_nan=False) + "\n").encode()


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def export_archive(engine: Engine, path: Path) -> dict[str, int]:
    """Write every table to a zip of JSON-lines files plus a manifest (counts, SHA-256); return rows per table.

    The zip is written to a temporary file next to ``path``, synced and renamed over it: ``path`` is either the old
    file or the whole new archive, and on any failure no temporary file is left behind."""
    path = Path(path)
    if path.is_dir():
        raise BackupError(f"{path} is a directory: give the archive's file name, e.g. {path / 'kb-backup.zip'}")
    if not path.parent.is_dir():
        raise BackupError(f"the directory {path.parent} does not exist: create it first or choose another place")
    try:
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    except OSError as exc:
        raise BackupError(f"cannot write into {path.parent}: {exc.strerror}") from exc
    tmp = Path(tmp_name)
    counts: dict[str, int] = {}
    declared: dict[str, dict[str, Any]] = {}
    try:
        with os.fdopen(fd, "wb") as fh:
            with zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zf, database.read_session(engine) as s:
                schema = database.schema_version(s)
                for table in SQLModel.metadata.sorted_tables:
                    digest, n = hashlib.sha256(), 0
                    with zf.open(f"{table.name}.jsonl", "w", force_zip64=True) as out:
                        ordered = select(table).order_by(*table.primary_key.columns)  # the same on every backend
                        for row in s.connection().execute(ordered).mappings():
                            line = _row_line(dict(row))
                            digest.update(line)
                            out.write(line)
                            n += 1
                    counts[table.name] = n
                    declared[table.name] = {"rows": n, "sha256": digest.hexdigest()}
                zf.writestr(MANIFEST, json.dumps({"format": FORMAT, "version": FORMAT_VERSION, "schema_version": schema,
                                                  "tables": declared}, indent=2))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise BackupError(f"cannot write {path}: {exc.strerror or exc}; no archive was written") from exc
    except ValueError as exc:  # allow_nan=False: a stored NaN or infinity
        tmp.unlink(missing_ok=True)
        raise BackupError(f"cannot write {path}: the database holds a value that is not a finite number") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return counts


# --- reading and checking an archive ------------------------------------------------------------------------

# What zipfile and zlib raise on an archive or entry they cannot read: a damaged zip, bad deflate data, a truncated
# file, and (NotImplementedError) an entry compressed with a method zipfile does not support.
ZIP_READ_ERRORS: tuple[type[BaseException], ...] = (OSError, zipfile.BadZipFile, zlib.error, EOFError,
                                                   NotImplementedError)
ZIP_OPEN_ERRORS: tuple[type[BaseException], ...] = (*ZIP_READ_ERRORS, ValueError)  # plus a malformed central directory

def _open(path: Path) -> zipfile.ZipFile:
    if path.is_dir():
        raise BackupError(f"{path} is a directory, not a backup archive")
    if not path.exists():
        raise BackupError(f"{path} does not exist")
    try:
        return zipfile.ZipFile(path)
    except ZIP_OPEN_ERRORS as exc:
        raise BackupError(f"{path} is not a backup archive: {exc}") from exc


@contextmanager
def _damaged(path: Path, name: str) -> Iterator[None]:
    """Turn what zipfile and zlib raise on a corrupt entry (CRC, truncation, bad deflate data) into one sentence."""
    try:
        yield
    except ZIP_READ_ERRORS as exc:
        raise BackupError(f"{path}: the entry {name} is damaged ({exc}); nothing was restored") from exc
    except RuntimeError as exc:  # an encrypted entry
        raise BackupError(f"{path}: the entry {name} cannot be read ({exc}); nothing was restored") from exc


def _entries(zf: zipfile.ZipFile, path: Path, limits: Limits) -> dict[str, zipfile.ZipInfo]:
    """The archive's entries by name, refused if there are too many, unknown or repeated names, or too many bytes."""
    infos = zf.infolist()
    if len(infos) > limits.entries:
        raise BackupError(f"{path} has {len(infos)} entries, more than a backup has ({limits.entries}); not restored")
    known = {MANIFEST} | {f"{t.name}.jsonl" for t in SQLModel.metadata.sorted_tables}
    out: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        if info.filename in out:
            raise BackupError(f"{path} holds the entry {info.filename!r} twice; nothing was restored")
        if info.filename not in known:
            raise BackupError(f"{path} holds an unexpected entry {info.filename!r}; nothing was restored")
        out[info.filename] = info
    total = sum(i.file_size for i in infos)
    if total > limits.total_bytes:
        raise BackupError(f"{path} unpacks to {total} bytes, more than the limit of {limits.total_bytes}; "
                          "nothing was restored")
    return out


def _is_int(v: object) -> TypeGuard[int]:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_sha256(v: Any) -> bool:
    return isinstance(v, str) and len(v) == 64 and all(c in "0123456789abcdef" for c in v)


def _manifest(zf: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo], path: Path,
              limits: Limits) -> tuple[int, dict[str, Declared]]:
    """The schema version and declared tables, after checking format, version and every field."""
    info = infos.get(MANIFEST)
    if info is None:
        raise BackupError(f"{path} has no manifest.json: not a backup archive")
    too_big = BackupError(f"{path}: manifest.json is larger than {limits.manifest_bytes} bytes; not a backup archive")
    if info.file_size > limits.manifest_bytes:
        raise too_big
    with _damaged(path, MANIFEST), zf.open(info) as f:
        raw = f.read(limits.manifest_bytes + 1)
    if len(raw) > limits.manifest_bytes:
        raise too_big
    try:
        m = _json(raw)
    except _Bad as exc:
        raise BackupError(f"{path}: manifest.json cannot be read because {exc}; nothing was restored") from None
    if not isinstance(m, dict):
        raise BackupError(f"{path}: manifest.json is not a JSON object; not a backup archive")
    if m.get("format") != FORMAT:
        raise BackupError(f"{path} is not a knowledge-base backup")
    version, schema, declared = m.get("version"), m.get("schema_version"), m.get("tables")
    if not _is_int(version) or version < 1:
        raise BackupError(f"{path}: the manifest's format version is not a positive whole number")
    if version > FORMAT_VERSION:
        raise BackupError(f"{path} is in backup format {version}, newer than this kb reads ({FORMAT_VERSION}): "
                          "upgrade kb to restore it")
    if version < FORMAT_VERSION:
        raise BackupError(f"{path} is in backup format {version}, which has no checksums to verify it by: "
                          "export it again with this version of kb")
    if not _is_int(schema) or schema < 1:
        raise BackupError(f"{path}: the manifest's schema version is not a positive whole number")
    if schema > SCHEMA_VERSION:
        raise BackupError(f"{path} has schema version {schema}, newer than this kb knows ({SCHEMA_VERSION}): "
                          "upgrade kb to restore it")
    if not isinstance(declared, dict):
        raise BackupError(f"{path}: the manifest does not list the tables; nothing was restored")
    known = {t.name for t in SQLModel.metadata.sorted_tables}
    out: dict[str, Declared] = {}
    for name, d in declared.items():
        if name not in known:
            raise BackupError(f"{path}: the manifest lists an unknown table {name!r}; nothing was restored")
        if not isinstance(d, dict) or not _is_int(d.get("rows")) or d["rows"] < 0 or not _is_sha256(d.get("sha256")):
            raise BackupError(f"{path}: the manifest's entry for table {name} needs a row count and a SHA-256; "
                              "nothing was restored")
        out[name] = Declared(d["rows"], d["sha256"])
    return schema, out


def _rows(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, table: Table, schema: int, declared: Declared,
          limits: Limits) -> Iterator[dict[str, Any]]:
    """Stream one table's rows, each checked against the table's columns; at the end, count and SHA-256 checked."""
    name = info.filename
    cols = _columns(table)
    required = {c for c in cols if COLUMN_SINCE.get((table.name, c), 1) <= schema}
    digest, n, keys = hashlib.sha256(), 0, None
    with _damaged(path, name), zf.open(info) as f:
        while line := f.readline(limits.line_bytes + 1):
            n += 1
            digest.update(line)
            if len(line) > limits.line_bytes:
                raise BackupError(f"{path}: line {n} of {name} is longer than {limits.line_bytes} bytes; "
                                  "nothing was restored")
            if n > declared.rows:
                break
            try:
                obj = _json(line)
                if not isinstance(obj, dict):
                    raise _Bad("it is not a JSON object")
                unknown, missing = sorted(obj.keys() - cols.keys()), sorted(required - obj.keys())
                if unknown:
                    raise _Bad(f"it has the unknown column {unknown[0]!r}")
                if missing:
                    raise _Bad(f"it lacks the column {missing[0]}")
                if keys is None:
                    keys = set(obj)
                elif set(obj) != keys:
                    raise _Bad("its columns differ from those of line 1")
                row = {k: _value(cols[k], v) for k, v in obj.items()}
            except _Bad as exc:
                raise BackupError(f"{path}: line {n} of {name} does not fit table {table.name}: {exc}; "
                                  "nothing was restored") from None
            yield row
    if n != declared.rows:
        found = f"more than {declared.rows}" if n > declared.rows else str(n)
        raise BackupError(f"{path}: table {table.name} has {found} rows but the manifest declares {declared.rows}: "
                          "the archive was altered or damaged; nothing was restored")
    if digest.hexdigest() != declared.sha256:
        raise BackupError(f"{path}: table {table.name} does not match its SHA-256 in the manifest: the archive was "
                          "altered or damaged; nothing was restored")


def check_archive(path: Path, *, without_accounts: bool = False, limits: Limits = LIMITS) -> Checked:
    """Read the whole archive and check it (nothing is written): see :func:`import_archive`."""
    with _open(Path(path)) as zf:
        return _check(zf, Path(path), without_accounts, limits)


def _check(zf: zipfile.ZipFile, path: Path, without_accounts: bool, limits: Limits) -> Checked:
    infos = _entries(zf, path, limits)
    schema, declared = _manifest(zf, infos, path, limits)
    for table in SQLModel.metadata.sorted_tables:
        needed = TABLE_SINCE.get(table.name, 1) <= schema and not (without_accounts and table.name in ACCOUNT_TABLES)
        if needed and table.name not in declared:
            raise BackupError(f"{path} has no {table.name} table, which a backup of schema version {schema} holds; "
                              "nothing was restored")
    for name in declared:
        if f"{name}.jsonl" not in infos:
            raise BackupError(f"{path}: the manifest lists table {name} but the archive has no {name}.jsonl; "
                              "nothing was restored")
    for entry in infos:
        if entry != MANIFEST and entry.removesuffix(".jsonl") not in declared:
            raise BackupError(f"{path}: the entry {entry} is not in the manifest; nothing was restored")
    admins = 0
    for table in SQLModel.metadata.sorted_tables:
        if table.name in declared:
            for row in _rows(zf, infos[f"{table.name}.jsonl"], path, table, schema, declared[table.name], limits):
                if table.name == "user_account" and row["role"] == "admin":
                    admins += 1
    return Checked(schema, declared, 0 if without_accounts else admins)


# --- writing ----------------------------------------------------------------------------------------------

def _refuse_non_empty(engine: Engine) -> None:
    with database.read_session(engine) as s:
        conn = s.connection()
        for table in SQLModel.metadata.sorted_tables:
            if conn.execute(select(table).limit(1)).first() is not None:
                raise BackupError(f"target database is not empty (table {table.name}); import into a new file")


def _write(engine: Engine, zf: zipfile.ZipFile, path: Path, checked: Checked, without_accounts: bool,
           limits: Limits) -> dict[str, int]:
    """Insert every table in one transaction (the rows are read and checked again), check foreign keys, commit."""
    counts: dict[str, int] = {}
    infos = {i.filename: i for i in zf.infolist()}
    try:
        with database.write_session(engine) as s:
            conn = s.connection()
            for table in SQLModel.metadata.sorted_tables:
                if conn.execute(select(table).limit(1)).first() is not None:
                    raise BackupError(f"target database is not empty (table {table.name}); import into a new file")
            server = database.is_postgres(engine)
            if not server:  # PostgreSQL checks each row as it comes, parents first (sorted_tables)
                conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")  # checked below, before the commit
            for table in SQLModel.metadata.sorted_tables:
                declared = checked.tables.get(table.name)
                if declared is None or (without_accounts and table.name in ACCOUNT_TABLES):
                    continue
                batch: list[dict[str, Any]] = []
                try:
                    for row in _rows(zf, infos[f"{table.name}.jsonl"], path, table, checked.schema_version, declared,
                                     limits):
                        batch.append(row)
                        if len(batch) == _BATCH:
                            conn.execute(insert(table), batch)
                            batch = []
                    if batch:
                        conn.execute(insert(table), batch)
                except IntegrityError as exc:
                    raise BackupError(f"{path}: the rows of table {table.name} break a rule of the database "
                                      f"({exc.orig}); nothing was restored") from exc
                counts[table.name] = declared.rows
            bad = None if server else conn.exec_driver_sql("PRAGMA foreign_key_check").first()
            if bad is not None:
                raise BackupError(f"{path}: table {bad[0]} has rows that refer to a missing {bad[2]} row; "
                                  "nothing was restored")
            if server:
                _reset_sequences(s)
            fts.fts_rebuild(s)
    except IntegrityError as exc:  # at the commit
        raise BackupError(f"{path}: the archive's rows break a rule of the database ({exc.orig}); "
                          "nothing was restored") from exc
    except DBAPIError as exc:
        raise database.DatabaseUnavailable(f"cannot write the restored database: {exc.orig}") from exc
    return counts


def _reset_sequences(s: Any) -> None:
    """PostgreSQL: after rows with their own ids, each id sequence continues after the largest (SQLite's
    ``INTEGER PRIMARY KEY`` does so by itself)."""
    for table in SQLModel.metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and isinstance(pk[0].type, Integer) and pk[0].autoincrement in (True, "auto"):
            name, column = table.name, pk[0].name
            s.execute(text(f'SELECT setval(pg_get_serial_sequence(:t, :c), '
                           f'coalesce((SELECT max("{column}") FROM "{name}"), 0) + 1, false)'),
                      {"t": f'"{name}"', "c": column})


def import_archive(path: Path, engine: Engine, *, without_accounts: bool = False,
                   limits: Limits = LIMITS) -> dict[str, int]:
    """Restore an archive into an empty database of the current schema in one transaction; return rows per table.

    Before anything is written the whole archive is read and checked: format and version, a schema version this
    code knows (an older one is restored by :func:`restore` into a new file), every table of that schema present,
    its row count and SHA-256 as the manifest declares, every line a JSON object whose fields are the table's columns
    with their types; entries are streamed under ``limits``. Unique and foreign-key rules are checked inside the
    transaction. Any refusal raises :class:`BackupError` and leaves the database as it was. With
    ``without_accounts`` users and sessions are not restored."""
    path = Path(path)
    with _open(path) as zf:
        _refuse_non_empty(engine)
        checked = _check(zf, path, without_accounts, limits)
        if checked.schema_version != SCHEMA_VERSION:
            raise BackupError(f"{path} has the older schema version {checked.schema_version}: restore it with "
                              f"'kb import' into a new file, which migrates it to version {SCHEMA_VERSION}")
        return _write(engine, zf, path, checked, without_accounts, limits)


def _restore_new(zf: zipfile.ZipFile, path: Path, target: Path, checked: Checked, without_accounts: bool,
                 limits: Limits) -> dict[str, int]:
    """Build the database in a temporary file next to ``target`` and rename it into place only when complete."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        os.close(fd)
    except OSError as exc:
        raise BackupError(f"cannot create {target}: {exc.strerror}") from exc
    tmp = Path(tmp_name)
    engine = database.unmigrated_engine(tmp)  # the same connection settings as every engine (WAL, FKs, BEGIN mode)
    try:
        try:
            database.migrate(engine, target=checked.schema_version)
        except DBAPIError as exc:
            raise database.DatabaseUnavailable(f"cannot create {target}: {exc.orig}") from exc
        counts = _write(engine, zf, path, checked, without_accounts, limits)
        _migrate_up(engine, path, checked)
        engine.dispose()
        if target.exists():
            raise BackupError(f"{target} appeared while restoring; nothing was replaced")
        os.replace(tmp, target)
    except BaseException:
        engine.dispose()
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{tmp}{suffix}").unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)
    return counts


def _migrate_up(engine: Engine, path: Path, checked: Checked) -> None:
    """Rows restored at an older archive's schema version, migrated to the current one (and the full-text index
    rebuilt over them); nothing when the archive is current."""
    if checked.schema_version >= SCHEMA_VERSION:
        return
    try:
        database.migrate(engine)
    except DBAPIError as exc:
        raise BackupError(f"{path}: its rows cannot be migrated from schema version "
                          f"{checked.schema_version} to {SCHEMA_VERSION} ({exc.orig})") from exc
    with database.write_session(engine) as s:
        fts.fts_rebuild(s)


def _restore_server(zf: zipfile.ZipFile, path: Path, url: str, without_accounts: bool,
                    limits: Limits) -> tuple[Checked, dict[str, int]]:
    """Restore into a PostgreSQL database that exists: one with no schema yet is built as a new file is (migrated to
    the archive's version, filled, migrated up); one with the current schema must be empty."""
    engine = database.unmigrated_server_engine(url)
    try:
        try:
            version = database.applied_version(engine)
        except DBAPIError as exc:
            raise database.DatabaseUnavailable(f"cannot open {database.display_name(engine)}: {exc.orig}") from exc
        checked = _check(zf, path, without_accounts, limits)
        if version:
            if version < SCHEMA_VERSION:
                database.migrate(engine)
            _refuse_non_empty(engine)
            if checked.schema_version != SCHEMA_VERSION:
                raise BackupError(f"{path} has the older schema version {checked.schema_version}: restore it into a "
                                  f"new database, which migrates it to version {SCHEMA_VERSION}")
            return checked, _write(engine, zf, path, checked, without_accounts, limits)
        database.migrate(engine, target=checked.schema_version)
        counts = _write(engine, zf, path, checked, without_accounts, limits)
        _migrate_up(engine, path, checked)
        return checked, counts
    finally:
        engine.dispose()


def restore(path: Path, target: DbLocation, *, without_accounts: bool = False,
            limits: Limits = LIMITS) -> Restored:
    """``kb import``: restore an archive into ``target``, a new file or an empty database (see :func:`import_archive`).

    A new file is built aside and renamed into place when complete, so a refusal leaves no file behind. An archive
    of an older schema version goes into a new file only: migrated to the archive's version, filled, migrated up.
    A PostgreSQL ``target`` (a URL) must exist; it must be empty or have no schema yet (a new database)."""
    path = Path(path)
    if isinstance(target, str):
        with _open(path) as zf:
            checked, counts = _restore_server(zf, path, target, without_accounts, limits)
        return Restored(counts, checked.admins)
    target = Path(target)
    if target.is_dir():
        raise BackupError(f"{target} is a directory: give the database file to restore into")
    with _open(path) as zf:
        if target.exists():
            engine = database.get_engine(target, create=False)
            _refuse_non_empty(engine)
            checked = _check(zf, path, without_accounts, limits)
            if checked.schema_version != SCHEMA_VERSION:
                raise BackupError(f"{path} has the older schema version {checked.schema_version}: restore it into a "
                                  f"new file, which migrates it to version {SCHEMA_VERSION}")
            counts = _write(engine, zf, path, checked, without_accounts, limits)
        else:
            checked = _check(zf, path, without_accounts, limits)
            counts = _restore_new(zf, path, target, checked, without_accounts, limits)
    return Restored(counts, checked.admins)
