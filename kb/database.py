"""The SQLite-specific layer: engine with WAL and busy timeout, BEGIN IMMEDIATE writes, migrations, FTS5.

Everything else talks to the database through SQLModel sessions from here, so that a PostgreSQL
deployment only needs another implementation of this module's small interface.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, event, text
from sqlmodel import Session, SQLModel, create_engine

from kb import lesson_models, models, plan_table  # noqa: F401  (registers the tables on SQLModel.metadata)

BUSY_TIMEOUT_MS = 30_000
_engines: dict[str, Engine] = {}
_lock = threading.Lock()


class DatabaseError(Exception):
    """The database file cannot be opened or is not a knowledge-base database."""


def get_engine(path: Path | str, create: bool = True) -> Engine:
    """One engine per database file, migrated to the latest schema."""
    key = str(Path(path).resolve())
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            p = Path(key)
            if not create and not p.exists():
                raise DatabaseError(f"database {p} does not exist: run 'kb ingest' first")
            p.parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(f"sqlite:///{key}", connect_args={"check_same_thread": False,
                                                                     "timeout": BUSY_TIMEOUT_MS / 1000})
            _install_sqlite_hooks(engine)
            try:
                migrate(engine)
            except Exception as exc:  # a corrupt or foreign file
                engine.dispose()
                raise DatabaseError(f"cannot open database {p}: {exc}") from exc
            _engines[key] = engine
        return engine


def dispose_all() -> None:
    """Close every engine (tests, and before moving database files)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def _install_sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("kb_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session for reading (a deferred transaction, rolled back at the end)."""
    with Session(engine) as session:
        yield session


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session whose transaction starts with BEGIN IMMEDIATE and commits on success, else rolls back."""
    with engine.connect() as conn:
        conn = conn.execution_options(kb_begin="IMMEDIATE")
        with Session(bind=conn, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise


# --- migrations -------------------------------------------------------------------------------------------

def m001_create_tables(conn: Connection) -> None:
    SQLModel.metadata.create_all(conn)
    conn.exec_driver_sql(
        "CREATE VIRTUAL TABLE IF NOT EXISTS chunk_fts USING fts5("
        "title, section, text, tokenize='porter unicode61 remove_diacritics 2')"
    )


MIGRATIONS: list[Callable[[Connection], None]] = [m001_create_tables, lesson_models.m002_accounts_and_lessons,
                                                  plan_table.m003_district_plans]
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(engine: Engine) -> int:
    """Apply the numbered migrations not yet applied; return the schema version."""
    with engine.connect() as conn:
        conn = conn.execution_options(kb_begin="IMMEDIATE")
        with conn.begin():
            conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = conn.exec_driver_sql("SELECT max(version) FROM schema_version").first()
            current = row[0] or 0 if row else 0
            for n, step in enumerate(MIGRATIONS, start=1):
                if n > current:
                    step(conn)
                    conn.exec_driver_sql("INSERT INTO schema_version (version) VALUES (?)", (n,))
    return SCHEMA_VERSION


def schema_version(session: Session) -> int:
    return int(session.exec(text("SELECT max(version) FROM schema_version")).first()[0] or 0)  # type: ignore[call-overload,index]


# --- full-text index ----------------------------------------------------------------------------------------

def fts_insert(session: Session, chunk_id: int, title: str, section: str, body: str) -> None:
    session.exec(text("INSERT INTO chunk_fts(rowid, title, section, text) VALUES (:id, :t, :s, :b)"),  # type: ignore[call-overload]
                 params={"id": chunk_id, "t": title, "s": section, "b": body})


def fts_delete(session: Session, chunk_ids: list[int]) -> None:
    for cid in chunk_ids:
        session.exec(text("DELETE FROM chunk_fts WHERE rowid = :id"), params={"id": cid})  # type: ignore[call-overload]


def fts_rebuild(session: Session) -> None:
    """Recreate every full-text row from the chunk table (after a restore)."""
    session.exec(text("DELETE FROM chunk_fts"))  # type: ignore[call-overload]
    session.exec(text(  # type: ignore[call-overload]
        "INSERT INTO chunk_fts(rowid, title, section, text) SELECT c.id, r.title, c.section, c.text "
        "FROM chunk c JOIN record r ON r.id = c.record_id"))


def fts_count(session: Session) -> int:
    return int(session.exec(text("SELECT count(*) FROM chunk_fts")).first()[0])  # type: ignore[call-overload,index]


def fts_quote(query: str, operator: str = "OR") -> str:
    """Turn any user string into a safe FTS5 query: every token double-quoted, joined by ``operator``."""
    import re

    tokens = re.findall(r"\w+", query.replace("\x00", " "), flags=re.UNICODE)[:64]
    return f" {operator} ".join('"' + t.replace('"', '""') + '"' for t in tokens)


def fts_search(session: Session, query: str, limit: int = 100,
               weights: tuple[float, float, float] = (2.0, 1.0, 1.0)) -> list[tuple[int, float]]:
    """BM25 search over chunks: ``[(chunk_id, score)]`` best first (higher is better)."""
    match = fts_quote(query)
    if not match:
        return []
    sql = text(
        f"SELECT rowid, -bm25(chunk_fts, {weights[0]}, {weights[1]}, {weights[2]}) AS s FROM chunk_fts "
        "WHERE chunk_fts MATCH :q ORDER BY s DESC LIMIT :n"
    )
    return [(int(r[0]), float(r[1])) for r in session.exec(sql, params={"q": match, "n": limit})]  # type: ignore[call-overload]


def integrity_ok(engine: Engine) -> bool:
    with engine.connect() as conn:
        return conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
