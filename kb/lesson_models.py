"""SQLModel tables of accounts and lessons (users, sessions, lessons, audit log) and their migration m002."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection
from sqlmodel import Field, SQLModel

from kb.models import utcnow

TABLES: tuple[str, ...] = ("user_account", "user_session", "lesson", "lesson_audit")


class UserRow(SQLModel, table=True):
    """A user account; only the argon2 hash of the password is stored."""

    __tablename__ = "user_account"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)
    role: str
    password_hash: str
    disabled: bool = False
    failed_count: int = 0
    locked_until: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    last_login: datetime | None = None


class SessionRow(SQLModel, table=True):
    """A login session; the table holds the SHA-256 of the token, never the token."""

    __tablename__ = "user_session"
    token_hash: str = Field(primary_key=True)
    user_id: int = Field(index=True, foreign_key="user_account.id", ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


class LessonRow(SQLModel, table=True):
    """A lesson learned as stored (lists and sources as JSON); ``version`` grows with every change."""

    __tablename__ = "lesson"
    id: str = Field(primary_key=True)
    title: str
    city: str = Field(default="", index=True)
    solutions: str = "[]"
    measure_types: str = "[]"
    phase: str = Field(default="", index=True)
    barrier_type: str = Field(default="", index=True)
    summary: str = ""
    what_happened: str = ""
    what_was_tried: str = ""
    outcome: str = Field(default="", index=True)
    outcome_note: str = ""
    applies_when: str = ""
    sources: str = "[]"
    author: str = ""
    status: str = Field(default="draft", index=True)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class LessonAuditRow(SQLModel, table=True):
    """One change of a lesson: who, when, what, and the lesson before and after as JSON."""

    __tablename__ = "lesson_audit"
    id: int | None = Field(default=None, primary_key=True)
    lesson_id: str = Field(index=True)
    version: int
    action: str
    actor: str
    role: str
    at: datetime = Field(default_factory=utcnow)
    before: str | None = None
    after: str | None = None


def m002_accounts_and_lessons(conn: Connection) -> None:
    """Migration 2: users, sessions, lessons and the lesson audit log."""
    SQLModel.metadata.create_all(conn, tables=[SQLModel.metadata.tables[n] for n in TABLES])
