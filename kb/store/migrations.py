"""Numbered schema migrations (m001, m002, …), for SQLite and PostgreSQL: each takes the migration transaction."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, inspect
from sqlmodel import SQLModel

from kb.store import tables
from kb.store.fts import create_fts_table


def m001_create_tables(conn: Connection) -> None:
    """Migration 1: every table registered on the metadata, and the full-text index."""
    SQLModel.metadata.create_all(conn)
    create_fts_table(conn)


def m002_accounts_and_lessons(conn: Connection) -> None:
    """Migration 2: users, sessions, lessons and the lesson audit log."""
    SQLModel.metadata.create_all(conn, tables=[SQLModel.metadata.tables[n] for n in tables.ACCOUNT_LESSON_TABLES])


def m003_district_plans(conn: Connection) -> None:
    """Migration 3: saved district plans."""
    SQLModel.metadata.create_all(conn, tables=[SQLModel.metadata.tables[tables.PLAN_TABLE]])


def m004_record_display_path(conn: Connection) -> None:
    """Migration 4: the display path of a record in its own column (it rode in the front matter JSON as ``_display``).

    Rows written before keep ``_display`` in ``front``; :mod:`kb.store.catalog` still reads it from there.
    """
    columns = {c["name"] for c in inspect(conn).get_columns("record")}
    if "display_path" not in columns:  # a database created by m001 at this version already has it
        conn.exec_driver_sql("ALTER TABLE record ADD COLUMN display_path VARCHAR NOT NULL DEFAULT ''")


def m005_login_throttle(conn: Connection) -> None:
    """Migration 5: failed logins per name, known or not (``kb.accounts``), keyed by a hash of the name.

    Transient security state, not part of the knowledge base: not a SQLModel table, so backups leave it out and a
    restored database starts with no lockouts.
    """
    conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS login_throttle (name_key VARCHAR PRIMARY KEY, "  # times: ISO, UTC
                         "failed_count INTEGER NOT NULL, locked_until VARCHAR, last_failed VARCHAR NOT NULL)")


def m006_lesson_audit_note(conn: Connection) -> None:
    """Migration 6: a note on an audit row of a lesson (a reviewer's comment, an admin's override of the review)."""
    columns = {c["name"] for c in inspect(conn).get_columns("lesson_audit")}
    if "note" not in columns:  # a database created by m001 at this version already has it
        conn.exec_driver_sql("ALTER TABLE lesson_audit ADD COLUMN note VARCHAR")


def m007_lesson_files(conn: Connection) -> None:
    """Migration 7: a lesson keeps what its file holds beyond the five sections, and which file it is in sync with.

    One lesson, one place: ingest turns ``solutions/lessons/*.md`` into lesson rows (:mod:`kb.lessons.files`).
    """
    columns = {c["name"] for c in inspect(conn).get_columns("lesson")}
    for name, sql_type in tables.LESSON_FILE_COLUMNS:
        if name not in columns:  # a database created by m001 at this version already has them
            if conn.dialect.name == "postgresql":  # PostgreSQL has no DATETIME; SQLAlchemy's DateTime is this
                sql_type = sql_type.replace("DATETIME", "TIMESTAMP WITHOUT TIME ZONE")
            conn.exec_driver_sql(f"ALTER TABLE lesson ADD COLUMN {name} {sql_type}")


def m008_lesson_visits(conn: Connection) -> None:
    """Migration 8: when each user last opened the Lessons page (its "new since your last visit")."""
    SQLModel.metadata.create_all(conn, tables=[SQLModel.metadata.tables[tables.VISIT_TABLE]])  # IF NOT EXISTS


def m009_data_version(conn: Connection) -> None:
    """Migration 9: the data version (``kb.store.version``): a counter in ``meta`` and the version at which each
    record last changed, so that app replicas sharing one database refresh only what changed. The counter's row is
    written by the first bump (a fresh database stays empty, as a restore requires).

    Derived state, not part of the knowledge base: ``record_change`` is no SQLModel table, so backups leave it out (a
    restored database starts with none, and a replica loads it whole); the counter rides in ``meta``. Plain SQL, the
    same on SQLite and PostgreSQL."""
    conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS record_change (record_id VARCHAR PRIMARY KEY, "
                         "version INTEGER NOT NULL)")
    conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_record_change_version ON record_change (version)")


MIGRATIONS: list[Callable[[Connection], None]] = [m001_create_tables, m002_accounts_and_lessons, m003_district_plans,
                                                  m004_record_display_path, m005_login_throttle,
                                                  m006_lesson_audit_note, m007_lesson_files, m008_lesson_visits,
                                                  m009_data_version]
SCHEMA_VERSION = len(MIGRATIONS)
