"""The SQLite-specific half of search: FTS5 queries with a candidate filter, snippets, the database's fingerprint.

A PostgreSQL deployment replaces this module (``tsvector`` ranking and ``ts_headline``); ``kb.search.engine`` only
calls the functions below (the in-memory snapshot of vectors and facets is plain SQL: ``kb.store.snapshot``).
"""

from __future__ import annotations

import json
import logging
import os
import re

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

HIT_START = "\x02"
HIT_END = "\x03"
log = logging.getLogger(__name__)


def create_fts_table(conn: Connection) -> None:
    """The FTS5 table over chunks (title, section, text), Porter-stemmed, diacritics folded."""
    conn.exec_driver_sql(
        "CREATE VIRTUAL TABLE IF NOT EXISTS chunk_fts USING fts5("
        "title, section, text, tokenize='porter unicode61 remove_diacritics 2')"
    )


def fts_insert(session: Session, chunk_id: int, title: str, section: str, body: str) -> None:
    session.execute(text("INSERT INTO chunk_fts(rowid, title, section, text) VALUES (:id, :t, :s, :b)"),
                    params={"id": chunk_id, "t": title, "s": section, "b": body})


def fts_delete(session: Session, chunk_ids: list[int]) -> None:
    for cid in chunk_ids:
        session.execute(text("DELETE FROM chunk_fts WHERE rowid = :id"), params={"id": cid})


def fts_rebuild(session: Session) -> None:
    """Recreate every full-text row from the chunk table (after a restore)."""
    session.execute(text("DELETE FROM chunk_fts"))
    session.execute(text(
        "INSERT INTO chunk_fts(rowid, title, section, text) SELECT c.id, r.title, c.section, c.text "
        "FROM chunk c JOIN record r ON r.id = c.record_id"))


def fts_count(session: Session) -> int:
    return int(session.execute(text("SELECT count(*) FROM chunk_fts")).scalar_one())


def fts_quote(query: str, operator: str = "OR") -> str:
    """Turn any user string into a safe FTS5 query: every token double-quoted, joined by ``operator``."""


    tokens = re.findall(r"\w+", query.replace("\x00", " "), flags=re.UNICODE)[:64]
    return f" {operator} ".join('"' + t.replace('"', '""') + '"' for t in tokens)


def file_stamp(engine: Engine) -> tuple[int, ...] | None:
    """Modification times and sizes of the database file and its WAL (None when not a file database)."""
    path = engine.url.database
    if engine.url.get_backend_name() != "sqlite" or not path or path == ":memory:":
        return None
    out: list[int] = []
    for p in (path, path + "-wal"):
        try:
            st = os.stat(p)
            out += [st.st_mtime_ns, st.st_size, st.st_ino]
        except OSError:
            out += [0, 0, 0]
    return tuple(out)


def signature(session: Session) -> tuple[object, ...]:
    """A cheap fingerprint that changes whenever chunks or records are written or deleted."""
    row = session.execute(text(
        "SELECT (SELECT count(*) FROM chunk), (SELECT max(id) FROM chunk), (SELECT total(id) FROM chunk), "
        "(SELECT count(*) FROM record), (SELECT max(updated_at) FROM record), "
        "(SELECT value FROM meta WHERE key = 'corpus_version')")).first()
    return tuple(row) if row else ()


def fts_ranked(session: Session, query: str, limit: int, weights: tuple[float, float, float],
               allowed: list[int] | None = None) -> list[tuple[int, float]]:
    """BM25 over ``chunk_fts``: ``[(chunk_id, score)]`` best first, optionally only among ``allowed`` ids."""
    match = fts_quote(query)
    if not match or limit <= 0:
        return []
    w = ", ".join(f"{float(x):g}" for x in weights)
    params: dict[str, object] = {"q": match, "n": int(limit)}
    where = "chunk_fts MATCH :q"
    if allowed is not None:
        if not allowed:
            return []
        where += " AND rowid IN (SELECT value FROM json_each(:ids))"
        params["ids"] = json.dumps(allowed)
    sql = text(f"SELECT rowid, -bm25(chunk_fts, {w}) AS s FROM chunk_fts WHERE {where} "
               "ORDER BY s DESC LIMIT :n")
    try:
        return [(int(r[0]), float(r[1])) for r in session.execute(sql, params=params)]
    except OperationalError as exc:  # an FTS5 syntax error cannot happen with quoted tokens; never let one escape
        log.warning("full-text query %r failed: %s", match, exc.orig)
        return []


def fts_snippet(session: Session, query: str, chunk_id: int, tokens: int = 28) -> str | None:
    """The best fragment of a chunk's text, matches between ``HIT_START`` and ``HIT_END``; None: no match."""
    match = fts_quote(query)
    if not match:
        return None
    sql = text("SELECT snippet(chunk_fts, 2, :a, :b, '…', :k) FROM chunk_fts "
               "WHERE chunk_fts MATCH :q AND rowid = :id")
    try:
        row = session.execute(sql, params={"a": HIT_START, "b": HIT_END, "k": int(tokens),
                                           "q": match, "id": int(chunk_id)}).first()
    except OperationalError as exc:  # as in fts_ranked: the page shows a plain snippet instead
        log.warning("full-text snippet for %r failed: %s", match, exc.orig)
        return None
    return str(row[0]) if row and row[0] is not None else None


def fts_snippets(session: Session, query: str, chunk_ids: list[int], tokens: int = 28) -> dict[int, str]:
    """:func:`fts_snippet` of several chunks in one full-text query (one MATCH, not one per chunk): chunk id ->
    its best fragment, for the chunks that match."""
    match = fts_quote(query)
    if not match or not chunk_ids:
        return {}
    sql = text("SELECT rowid, snippet(chunk_fts, 2, :a, :b, '…', :k) FROM chunk_fts "
               "WHERE chunk_fts MATCH :q AND rowid IN (SELECT value FROM json_each(:ids))")
    try:
        rows = session.execute(sql, params={"a": HIT_START, "b": HIT_END, "k": int(tokens), "q": match,
                                            "ids": json.dumps([int(c) for c in chunk_ids])})
        return {int(r[0]): str(r[1]) for r in rows if r[1] is not None}
    except OperationalError as exc:  # as in fts_ranked: the page shows plain snippets instead
        log.warning("full-text snippets for %r failed: %s", match, exc.orig)
        return {}


def chunk_texts(session: Session, chunk_ids: list[int]) -> dict[int, str]:
    """The stored text of some chunks."""
    if not chunk_ids:
        return {}
    sql = text("SELECT id, text FROM chunk WHERE id IN (SELECT value FROM json_each(:ids))")
    return {int(i): str(t) for i, t in session.execute(sql, params={"ids": json.dumps(chunk_ids)})}
