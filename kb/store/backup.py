"""Portable backup: every table (records, lessons and their audit log, accounts with hashes, plans) to a zip."""

from __future__ import annotations

import base64
import json
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlmodel import SQLModel

from kb.errors import InvalidInput
from kb.store import database, fts

FORMAT = "atelier-kb-backup"
FORMAT_VERSION = 1


class BackupError(InvalidInput):
    """The archive cannot be written or read, or the target database is not empty."""


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"$b64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and "$b64" in value:
        return base64.b64decode(value["$b64"])
    if isinstance(value, dict) and "$dt" in value:
        return datetime.fromisoformat(value["$dt"])
    return value


def _tables() -> list[Any]:
    return list(SQLModel.metadata.sorted_tables)


def export_archive(engine: Engine, path: Path) -> dict[str, int]:
    """Write every table to a zip of JSON-lines files; return row counts per table."""
    counts: dict[str, int] = {}
    tmp = path.with_suffix(path.suffix + ".part")
    with database.read_session(engine) as s, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        schema = database.schema_version(s)
        for table in _tables():
            rows = s.connection().execute(select(table)).mappings().all()
            counts[table.name] = len(rows)
            lines = (json.dumps({k: _encode(v) for k, v in r.items()}, ensure_ascii=False) for r in rows)
            zf.writestr(f"{table.name}.jsonl", "\n".join(lines))
        zf.writestr("manifest.json", json.dumps({"format": FORMAT, "version": FORMAT_VERSION,
                                                  "schema_version": schema, "tables": counts}, indent=2))
    tmp.replace(path)
    return counts


def import_archive(path: Path, engine: Engine) -> dict[str, int]:
    """Restore an archive into an empty database (one transaction); rebuild the full-text index."""
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise BackupError(f"{path} is not a backup archive: {exc}") from exc
    with zf:
        try:
            manifest = json.loads(zf.read("manifest.json"))
        except KeyError:
            raise BackupError(f"{path} has no manifest.json: not a backup archive") from None
        if manifest.get("format") != FORMAT:
            raise BackupError(f"{path} is not a knowledge-base backup")
        counts: dict[str, int] = {}
        with database.write_session(engine) as s:
            conn = s.connection()
            for table in _tables():
                if conn.execute(select(table).limit(1)).first() is not None:
                    raise BackupError(f"target database is not empty (table {table.name}); import into a new file")
            for table in _tables():
                name = f"{table.name}.jsonl"
                if name not in zf.namelist():
                    continue
                text = zf.read(name).decode("utf-8")
                rows = [{k: _decode(v) for k, v in json.loads(ln).items()} for ln in text.split("\n") if ln]
                if rows:
                    conn.execute(insert(table), rows)
                counts[table.name] = len(rows)
            fts.fts_rebuild(s)
    return counts
