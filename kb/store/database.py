"""The engine and its sessions: one engine per database (SQLite file or PostgreSQL URL), writes, locks, migrate.

Everything else talks to the database through SQLModel sessions from here; the dialect-specific parts are this
module (SQLite: WAL, busy timeouts, BEGIN IMMEDIATE; PostgreSQL: lock timeouts, advisory locks) and
``kb.store.fts`` (FTS5 or ``tsvector``). ``KB_DB=postgresql+psycopg://user@host:port/db`` selects PostgreSQL.

Failing storage is translated here, once, for every caller: SQLite's error codes and PostgreSQL's SQLSTATE (never
the message wording) become :class:`DatabaseReadOnly`, :class:`DatabaseBusy`, :class:`DatabaseWriteFailed` or
:class:`DatabaseUnavailable`, whose text is a sentence for the user; the driver's message and the database go to
the log only (level INFO: the app's server log shows them, the command line prints only its one ``error:`` line).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import NoReturn
from urllib.parse import quote

import psycopg
from sqlalchemy import URL, Connection, Engine, event, inspect, make_url, text
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.pool import ConnectionPoolEntry, NullPool
from sqlmodel import Session, create_engine

from kb.config import db_location
from kb.errors import KbError, NotFound, StorageUnavailable
from kb.store import tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from kb.store.migrations import MIGRATIONS, SCHEMA_VERSION

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000
"""How long reads, migrations and batch writes (ingest, import: :func:`batch_writes`) wait for another writer."""
INTERACTIVE_BUSY_TIMEOUT_MS = 5_000
"""How long a :func:`write_session` waits by default: a person is waiting (login, saving a lesson or a plan)."""

_engines: dict[str, Engine] = {}
_lock = threading.Lock()
_writer_locks: dict[int, threading.RLock] = {}
_write_timeout: ContextVar[int | None] = ContextVar("kb_write_busy_timeout_ms", default=None)

# SQLite result codes (primary code = the low byte of the extended code); sqlite3 exports most of them.
_READONLY = sqlite3.SQLITE_READONLY
_BUSY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
_CANTOPEN = sqlite3.SQLITE_CANTOPEN
_DISK = {sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR}
_READONLY_DIRECTORY = 1544   # SQLITE_READONLY_DIRECTORY: a WAL database whose -shm file cannot be created
_READONLY_CANTINIT = 1288    # SQLITE_READONLY_CANTINIT: the -shm file exists but cannot be initialised

READ_ONLY_MESSAGE = "The knowledge base is read-only on this server; nothing was saved."
BUSY_MESSAGE = "The knowledge base is busy (locked by another writer); try again in a moment."
DISK_MESSAGE = "The knowledge base could not write to its disk on this server; nothing was saved."
UNREACHABLE_MESSAGE = "The knowledge base's database server cannot be reached; nothing was saved."

# PostgreSQL SQLSTATEs (https://www.postgresql.org/docs/15/errcodes-appendix.html), by what they mean for a user.
_PG_READONLY = {"25006", "42501"}                 # read_only_sql_transaction, insufficient_privilege
_PG_BUSY = {"55P03", "40P01", "40001", "57014"}   # lock_not_available, deadlock, serialization_failure, canceled
_PG_DISK_CLASSES = ("53", "58", "XX")             # insufficient resources (disk full), system error (I/O), internal
_PG_GONE_CLASSES = ("08", "57P", "28", "3D")      # connection, shutdown, authorisation, no such database
MIGRATE_LOCK_KEY = 0x6B62_0009
"""The PostgreSQL advisory lock (transaction level) two replicas take to run the migrations one after the other."""
INGEST_LOCK_KEY = 0x6B62_0019
"""The PostgreSQL advisory lock (session level) an ingest holds from its first read to its commit."""


class DatabaseError(KbError):
    """The database cannot be used; one of the kinds below says why."""


class DatabaseMissing(DatabaseError, NotFound):
    """The database file does not exist (and the command does not create one)."""


class DatabaseUnavailable(DatabaseError, StorageUnavailable):
    """The database file cannot be opened, is not a knowledge-base database, or stays locked by another writer."""


class DatabaseReadOnly(DatabaseUnavailable):
    """The database file (or its directory) cannot be written on this server; reads still work."""

    def __init__(self, message: str = READ_ONLY_MESSAGE) -> None:
        super().__init__(message)


class DatabaseBusy(DatabaseUnavailable):
    """Another writer held the lock for longer than the busy timeout; retrying later may work."""

    def __init__(self, message: str = BUSY_MESSAGE) -> None:
        super().__init__(message)


class DatabaseWriteFailed(DatabaseUnavailable):
    """The disk is full or failing (SQLITE_FULL, SQLITE_IOERR; PostgreSQL classes 53, 58, XX): rolled back."""

    def __init__(self, message: str = DISK_MESSAGE) -> None:
        super().__init__(message)


def sqlite_code(exc: BaseException) -> int | None:
    """The extended SQLite result code of ``exc`` (a ``sqlite3.Error``, or SQLAlchemy's wrapper of one)."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    code = getattr(orig, "sqlite_errorcode", None)
    return code if isinstance(code, int) else None


def pg_sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a PostgreSQL error ``exc`` (a ``psycopg.Error`` or SQLAlchemy's wrapper of one); ``""`` for
    a psycopg error without one (the server could not be reached); ``None`` for anything else."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    if not isinstance(orig, psycopg.Error):
        return None
    return orig.sqlstate or ""


def _pg_storage_error(state: str) -> DatabaseUnavailable | None:
    if state in _PG_READONLY:
        return DatabaseReadOnly()
    if state in _PG_BUSY:
        return DatabaseBusy()
    if state.startswith(_PG_DISK_CLASSES):
        return DatabaseWriteFailed()
    if not state or state.startswith(_PG_GONE_CLASSES):
        return DatabaseUnavailable(UNREACHABLE_MESSAGE)
    return None


def storage_error(exc: BaseException, path: object) -> DatabaseUnavailable | None:
    """The user-facing error for a failing-storage ``exc`` (logged with the driver's message and the database), or
    ``None`` when ``exc`` is some other database error (a bug, a constraint: the caller re-raises it)."""
    state = pg_sqlstate(exc)
    if state is not None:
        pg_error = _pg_storage_error(state)
        if pg_error is not None:
            orig = exc.orig if isinstance(exc, DBAPIError) else exc
            log.info("database %s: %s (SQLSTATE %s); shown as %r", path, orig, state or "none", str(pg_error))
        return pg_error
    code = sqlite_code(exc)
    if code is None:
        return None
    primary = code & 0xFF
    error: DatabaseUnavailable
    if primary == _READONLY or primary == _CANTOPEN:  # CANTOPEN while writing: no journal can be created
        error = DatabaseReadOnly()
    elif primary in _BUSY:
        error = DatabaseBusy()
    elif primary in _DISK:
        error = DatabaseWriteFailed()
    else:
        return None
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    log.info("database %s: %s (%s); shown as %r", path, orig, getattr(orig, "sqlite_errorname", code), str(error))
    return error


# --- engines ------------------------------------------------------------------------------------------------

def is_postgres(bind: Engine | Connection | Session) -> bool:
    """Whether ``bind`` talks to PostgreSQL (else SQLite)."""
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    return engine.dialect.name == "postgresql"


def display_name(engine: Engine) -> str:
    """The database as the log and messages name it: the file, or the URL without its password."""
    if is_postgres(engine):
        return engine.url.render_as_string(hide_password=True)
    return str(engine.url.database)


def describe(location: Path | str) -> str:
    """A database location as messages show it: the file, or the URL without its password."""
    found = db_location(location) if isinstance(location, str) else location
    if isinstance(found, str):
        try:
            return make_url(found).render_as_string(hide_password=True)
        except ArgumentError:
            return found.split("@")[-1]
    return str(found)


def get_engine(path: Path | str, create: bool = True, read_only: bool = False) -> Engine:
    """One engine per database, migrated to the latest schema (migrations write only when one is due).

    ``path`` is a SQLite file (a path or ``sqlite:///FILE``) or a PostgreSQL URL (``postgresql+psycopg://…``; a
    bare ``postgresql://`` uses psycopg 3 too), whose database must exist (``createdb``): it is migrated like a file.

    ``read_only``: open the file with SQLite's ``mode=ro`` (every write raises :class:`DatabaseReadOnly`); on
    PostgreSQL every transaction is read-only. A file that is not writable is detected by SQLite itself; one whose
    directory is not writable either (a WAL database then cannot even be read) is reopened immutable, read-only. The
    first caller decides for the process: the engine is cached per resolved path or URL."""
    location = db_location(path) if isinstance(path, str) else path
    if isinstance(location, str):
        return _server_engine(location, read_only)
    key = str(Path(location).resolve())
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            p = Path(key)
            if (read_only or not create) and not p.exists():
                raise DatabaseMissing(f"database {p} does not exist: run 'kb ingest' first")
            if not read_only:
                try:
                    p.parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    log.info("cannot create the directory of database %s: %s", p, exc)
                    raise DatabaseReadOnly("The knowledge base cannot be created on this server; nothing was "
                                           "saved.") from exc
            engine = _open(p, "ro" if read_only else "rwc")
            _engines[key] = engine
        return engine


def server_url(url: str) -> URL:
    """A PostgreSQL URL as SQLAlchemy's ``URL`` with the psycopg 3 driver; :class:`DatabaseUnavailable` for a URL
    that is malformed or names another kind of database."""
    try:
        u = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUnavailable(f"cannot read the database URL {url.split('@')[-1]!r}: {exc}") from exc
    if u.get_backend_name() != "postgresql":
        raise DatabaseUnavailable(f"unsupported database {u.render_as_string(hide_password=True)!r}: give a file, "
                                  "sqlite:///FILE or postgresql+psycopg://user@host:port/database")
    return u.set(drivername="postgresql+psycopg")


def _server_engine(url: str, read_only: bool) -> Engine:
    u = server_url(url)
    key = u.render_as_string(hide_password=False) + ("#ro" if read_only else "")
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _make_server_engine(u, read_only)
            try:
                migrate(engine)
            except DBAPIError as exc:
                engine.dispose()
                name = u.render_as_string(hide_password=True)
                if pg_sqlstate(exc) == "3D000" or _database_absent(u):  # libpq gives no SQLSTATE at connect time
                    raise DatabaseMissing(f"database {name} does not exist on its server: create it first "
                                          "(createdb), then run 'kb ingest'") from exc
                error = storage_error(exc, name)
                if isinstance(error, DatabaseReadOnly):
                    raise DatabaseReadOnly("The knowledge base is read-only on this server and its schema is out of "
                                           "date; open it once with write access.") from exc
                if error is not None:
                    raise error from exc
                raise DatabaseUnavailable(f"cannot open database {name}: {exc.orig}") from exc
            _engines[key] = engine
        return engine


def _database_absent(u: URL) -> bool:
    """Whether the server answers on its maintenance database and holds no database of ``u``'s name (a connection
    failure carries no SQLSTATE, and its wording is not a contract)."""
    probe = create_engine(u.set(database="postgres"), poolclass=NullPool, connect_args={"connect_timeout": 5})
    try:
        with probe.connect() as conn:
            found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": u.database}).first()
            return found is None
    except DBAPIError:
        return False
    finally:
        probe.dispose()


def _make_server_engine(u: URL, read_only: bool) -> Engine:
    """An engine on PostgreSQL: times in UTC (the columns hold UTC without a zone, as in SQLite), a short connect
    timeout, connections checked before use (a restarted server), read-only transactions when asked."""
    options = "-c timezone=UTC" + (" -c default_transaction_read_only=on" if read_only else "")
    return create_engine(u, pool_pre_ping=True, pool_size=5, max_overflow=10,
                         connect_args={"connect_timeout": 10, "options": options, "application_name": "atelier-kb"})


def unmigrated_server_engine(url: str) -> Engine:
    """An engine on a PostgreSQL database with the connection settings of every engine, not migrated nor cached: for
    building a database step by step (a restore)."""
    return _make_server_engine(server_url(url), False)


def _open(p: Path, mode: str) -> Engine:
    engine = _make_engine(p, mode)
    try:
        migrate(engine)
    except DBAPIError as exc:  # a corrupt, foreign, unreadable, locked or read-only file
        engine.dispose()
        code = sqlite_code(exc)
        if mode == "rwc" and code in (_READONLY_DIRECTORY, _READONLY_CANTINIT) and p.is_file():
            log.info("database %s: its directory is not writable (%s); opened immutable, read-only", p, exc.orig)
            return _open(p, "immutable")
        error = storage_error(exc, p)
        if isinstance(error, DatabaseReadOnly):
            raise DatabaseReadOnly("The knowledge base is read-only on this server and its schema is out of date; "
                                   "open it once with write access.") from exc
        if isinstance(error, DatabaseBusy):
            raise error from exc
        raise DatabaseUnavailable(f"cannot open database {p}: {exc.orig}") from exc
    return engine


def _make_engine(p: Path, mode: str) -> Engine:
    url = f"sqlite:///{p}"
    if mode != "rwc":  # a SQLite URI filename: read-only, or immutable (no locks, no -shm: nobody else writes it)
        query = "mode=ro&immutable=1" if mode == "immutable" else "mode=ro"
        url = f"sqlite:///file:{quote(str(p))}?{query}&uri=true"
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000})
    _install_sqlite_hooks(engine, p)
    return engine


def unmigrated_engine(path: Path) -> Engine:
    """An engine on a new database file with the connection settings of every engine (WAL, foreign keys, BEGIN
    mode) but no migration run and no caching: for building a database step by step (a restore)."""
    return _make_engine(path, "rwc")


def dispose_all() -> None:
    """Close every engine (tests, and before moving database files)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _writer_locks.clear()


def _install_sqlite_hooks(engine: Engine, path: Path) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            try:  # changing the journal mode needs write access: a read-only file keeps the mode it has
                cur.execute("PRAGMA journal_mode=WAL")
            except sqlite3.OperationalError as exc:
                if (sqlite_code(exc) or 0) & 0xFF != _READONLY or sqlite_code(exc) == _READONLY_DIRECTORY:
                    raise
                log.debug("database %s is read-only: journal mode left as it is (%s)", path, exc)
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("kb_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


# --- sessions -----------------------------------------------------------------------------------------------

def _raise_translated(exc: DBAPIError, engine: Engine) -> NoReturn:
    """Raise the store's sentence for a storage failure (read-only, busy, disk), or ``exc`` itself if it is not one."""
    error = storage_error(exc, display_name(engine))
    if error is None:
        raise exc
    raise error from exc


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session for reading (a deferred transaction, rolled back at the end)."""
    try:
        with Session(engine) as session:
            yield session
    except DBAPIError as exc:
        _raise_translated(exc, engine)


@contextmanager
def batch_writes(busy_timeout_ms: int | None = None) -> Iterator[None]:
    """Within this block, :func:`write_session` waits up to ``busy_timeout_ms`` (default :data:`BUSY_TIMEOUT_MS`)
    for another writer: for batch work nobody watches (ingest, import); interactive writes keep the short wait."""
    token = _write_timeout.set(busy_timeout_ms if busy_timeout_ms is not None else BUSY_TIMEOUT_MS)
    try:
        yield
    finally:
        _write_timeout.reset(token)


@contextmanager
def write_session(engine: Engine, busy_timeout_ms: int | None = None) -> Iterator[Session]:
    """A session whose transaction starts with BEGIN IMMEDIATE and commits on success, else rolls back.

    It waits for another writer up to ``busy_timeout_ms``: by default :data:`INTERACTIVE_BUSY_TIMEOUT_MS` (or the
    :func:`batch_writes` value). Writers of this process queue on a lock first (SQLite's busy handler polls, and
    under load a poller can starve); other processes are waited for by SQLite's busy timeout, with what is left.
    Storage that fails raises a :class:`DatabaseUnavailable` subclass whose text is a sentence for the user:
    :class:`DatabaseBusy` (still locked), :class:`DatabaseReadOnly`, :class:`DatabaseWriteFailed` (disk full or
    failing); nothing was written.

    On PostgreSQL writers do not queue: the transaction waits for a row another one holds up to the same timeout
    (``lock_timeout``); read-then-write checks lock their rows (``session.get(Row, key, with_for_update=True)``:
    ``SELECT … FOR UPDATE`` there, nothing on SQLite, where BEGIN IMMEDIATE already excludes every other writer)."""
    timeout = busy_timeout_ms if busy_timeout_ms is not None else _write_timeout.get()
    if timeout is None:
        timeout = min(INTERACTIVE_BUSY_TIMEOUT_MS, BUSY_TIMEOUT_MS)
    if is_postgres(engine):
        with _server_write_session(engine, timeout) as session:
            yield session
        return
    queue = _writer_lock(engine)
    t0 = time.monotonic()
    if not queue.acquire(timeout=timeout / 1000):
        log.info("database %s: another writer of this process held the lock for %d ms", display_name(engine), timeout)
        raise DatabaseBusy()
    try:
        left = max(100, timeout - int((time.monotonic() - t0) * 1000))
        with engine.connect() as conn:
            _set_busy_timeout(conn, left)
            try:
                conn = conn.execution_options(kb_begin="IMMEDIATE")
                with Session(bind=conn, expire_on_commit=False) as session:
                    try:
                        yield session
                        session.commit()
                    except BaseException:
                        _rollback(session)
                        raise
            finally:
                _set_busy_timeout(conn, BUSY_TIMEOUT_MS)
    except DBAPIError as exc:
        _raise_translated(exc, engine)
    finally:
        queue.release()


@contextmanager
def _server_write_session(engine: Engine, timeout_ms: int) -> Iterator[Session]:
    try:
        with Session(engine, expire_on_commit=False) as session:
            try:
                session.execute(text("SELECT set_config('lock_timeout', :t, true)"), {"t": f"{int(timeout_ms)}ms"})
                yield session
                session.commit()
            except BaseException:
                _rollback(session)
                raise
    except DBAPIError as exc:
        _raise_translated(exc, engine)


def serialize(session: Session, name: str) -> None:
    """Inside a :func:`write_session`: wait until no other transaction that called this with ``name`` is open, so that
    a check and the write it decides (a free id, a counter) are not interleaved with another writer's. PostgreSQL:
    a transaction-level advisory lock on the name's hash (released at the commit); SQLite: nothing, BEGIN IMMEDIATE
    already excludes every other writer."""
    if is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:n, 0))"), {"n": f"kb:{name}"})


def check_writable(engine: Engine) -> None:
    """Fail now, as a write would, if the database cannot be written (read-only, locked, failing disk): a probe row
    is written and rolled back, so a long job (an ingest that embeds for minutes) learns it before it starts."""
    with write_session(engine) as session:
        session.execute(text("DELETE FROM meta WHERE key = 'write_probe'"))
        session.execute(text("INSERT INTO meta (key, value) VALUES ('write_probe', '')"))
        session.rollback()


@contextmanager
def ingest_lock(engine: Engine, timeout_ms: int | None = None) -> Iterator[None]:
    """Held by an ingest from its first read to its commit, so that two replicas never ingest at once.

    PostgreSQL: a session-level advisory lock on a connection of its own, waited for up to ``timeout_ms`` (default:
    the :func:`batch_writes` value, else :data:`BUSY_TIMEOUT_MS`), then :class:`DatabaseBusy`; it goes with the
    connection if the process dies. SQLite: nothing more than the write transaction's own lock (BEGIN IMMEDIATE)."""
    if not is_postgres(engine):
        yield
        return
    wait = timeout_ms if timeout_ms is not None else (_write_timeout.get() or BUSY_TIMEOUT_MS)
    deadline = time.monotonic() + wait / 1000
    try:
        conn = engine.connect()
    except DBAPIError as exc:
        _raise_translated(exc, engine)
    try:
        try:
            while not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": INGEST_LOCK_KEY}).scalar_one():
                conn.rollback()
                if time.monotonic() >= deadline:
                    log.info("database %s: another ingest held the ingest lock for %d ms", display_name(engine), wait)
                    raise DatabaseBusy("Another server is loading the records into the knowledge base; try again "
                                       "when it has finished.")
                time.sleep(0.2)
            conn.commit()  # the lock is the session's: no transaction stays open while the ingest embeds
        except DBAPIError as exc:
            _raise_translated(exc, engine)
        try:
            yield
        finally:
            try:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": INGEST_LOCK_KEY})
                conn.commit()
            except DBAPIError as exc:  # the connection is gone, and the lock with it
                log.debug("releasing the ingest lock: %s", exc)
    finally:
        conn.close()


def _writer_lock(engine: Engine) -> threading.RLock:
    """The in-process queue of writers of one engine (re-entrant: a nested write fails in SQLite, as before)."""
    with _lock:
        return _writer_locks.setdefault(id(engine), threading.RLock())


def _set_busy_timeout(conn: Connection, ms: int) -> None:
    """``PRAGMA busy_timeout`` on the DBAPI connection itself (no SQLAlchemy autobegin); ignored once it is gone."""
    try:
        dbapi = conn.connection.driver_connection
        if isinstance(dbapi, sqlite3.Connection):
            dbapi.execute(f"PRAGMA busy_timeout={int(ms)}")
    except (sqlite3.Error, DBAPIError) as exc:
        log.debug("cannot set busy_timeout: %s", exc)


def _rollback(session: Session) -> None:
    """Roll back; a rollback that fails (SQLite may have ended the transaction itself) must not hide the cause."""
    try:
        session.rollback()
    except DBAPIError as exc:
        log.debug("rollback after a failed write: %s", exc)


# --- migrations -------------------------------------------------------------------------------------------

def _applied_version(conn: Connection) -> int:
    if not inspect(conn).has_table("schema_version"):
        return 0
    row = conn.exec_driver_sql("SELECT max(version) FROM schema_version").first()
    return int(row[0] or 0) if row else 0


def applied_version(engine: Engine) -> int:
    """The schema version a database holds (0: none yet), read without migrating."""
    with engine.connect() as conn:
        version = _applied_version(conn)
        conn.rollback()
    return version


def migrate(engine: Engine, target: int = SCHEMA_VERSION) -> int:
    """Apply the numbered migrations up to ``target`` (default: all) not yet applied; return ``target``.

    An up-to-date database is only read (so a read-only or busy file opens); a write transaction is taken only when a
    migration is due, and the version is checked again inside it. A restore builds an older schema with a lower
    ``target`` before migrating its rows up."""
    with engine.connect() as conn:
        current = _applied_version(conn)
        conn.rollback()
    if current >= target:
        return target
    with engine.connect() as conn:
        conn = conn.execution_options(kb_begin="IMMEDIATE")
        with conn.begin():
            if is_postgres(conn):  # another replica migrating waits here, then finds nothing due
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATE_LOCK_KEY})
            conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            current = _applied_version(conn)
            for n, step in enumerate(MIGRATIONS[:target], start=1):
                if n > current:
                    step(conn)
                    conn.execute(text("INSERT INTO schema_version (version) VALUES (:v)"), {"v": n})
    return target


def schema_version(session: Session) -> int:
    return int(session.execute(text("SELECT max(version) FROM schema_version")).scalar_one() or 0)


# --- full-text index ----------------------------------------------------------------------------------------

def integrity_ok(engine: Engine) -> bool:
    """SQLite's ``PRAGMA integrity_check``; PostgreSQL checks its pages itself: there, whether it answers."""
    with engine.connect() as conn:
        if is_postgres(conn):
            return conn.exec_driver_sql("SELECT 1").scalar() == 1
        return conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
