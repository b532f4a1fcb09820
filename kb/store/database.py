"""The engine and its sessions: one engine per database file, WAL and busy timeout, BEGIN IMMEDIATE writes, migrate.

Everything else talks to the database through SQLModel sessions from here; the SQLite-specific parts are this
module's connection hooks and ``kb.store.fts`` (FTS5), so that a PostgreSQL deployment replaces those two.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, create_engine

from kb.errors import KbError, NotFound, StorageUnavailable
from kb.store import tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from kb.store.migrations import MIGRATIONS, SCHEMA_VERSION

BUSY_TIMEOUT_MS = 30_000
_engines: dict[str, Engine] = {}
_lock = threading.Lock()
_BUSY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


class DatabaseError(KbError):
    """The database cannot be used; one of the two kinds below says why."""


class DatabaseMissing(DatabaseError, NotFound):
    """The database file does not exist (and the command does not create one)."""


class DatabaseUnavailable(DatabaseError, StorageUnavailable):
    """The database file cannot be opened, is not a knowledge-base database, or stays locked by another writer."""


def get_engine(path: Path | str, create: bool = True) -> Engine:
    """One engine per database file, migrated to the latest schema."""
    key = str(Path(path).resolve())
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            p = Path(key)
            if not create and not p.exists():
                raise DatabaseMissing(f"database {p} does not exist: run 'kb ingest' first")
            p.parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(f"sqlite:///{key}", connect_args={"check_same_thread": False,
                                                                     "timeout": BUSY_TIMEOUT_MS / 1000})
            _install_sqlite_hooks(engine)
            try:
                migrate(engine)
            except DBAPIError as exc:  # a corrupt, foreign, unreadable or locked file
                engine.dispose()
                raise DatabaseUnavailable(f"cannot open database {p}: {exc.orig}") from exc
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
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
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
    """A session whose transaction starts with BEGIN IMMEDIATE and commits on success, else rolls back.

    A database still locked by another writer after the busy timeout raises :class:`DatabaseUnavailable`."""
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(kb_begin="IMMEDIATE")
            with Session(bind=conn, expire_on_commit=False) as session:
                try:
                    yield session
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise
    except OperationalError as exc:
        code = getattr(exc.orig, "sqlite_errorcode", None)
        if code is None or code & 0xFF not in _BUSY:
            raise
        raise DatabaseUnavailable(f"the database {engine.url.database} is locked by another writer: "
                                  f"try again in a moment") from exc


# --- migrations -------------------------------------------------------------------------------------------

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
    return int(session.execute(text("SELECT max(version) FROM schema_version")).scalar_one() or 0)


# --- full-text index ----------------------------------------------------------------------------------------

def integrity_ok(engine: Engine) -> bool:
    with engine.connect() as conn:
        return conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
