"""Numbered schema migrations (m001, m002, …): each takes a connection inside the migration transaction."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection
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


MIGRATIONS: list[Callable[[Connection], None]] = [m001_create_tables, m002_accounts_and_lessons, m003_district_plans]
SCHEMA_VERSION = len(MIGRATIONS)
