"""Every SQLModel table: records and their parts, chunks, metadata, accounts, sessions, lessons, audit log, plans."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class RecordRow(SQLModel, table=True):
    """One record of any kind; ``front`` holds the whole front matter as JSON.

    ``path`` is the file the record was read from, relative to the corpus folder (the file that owns the id;
    rows from before held the resolved absolute path, which ingest still reads), ``display_path`` the path as given
    on the command line, shown by ``kb show`` (migration m004; older rows keep it as ``_display`` in ``front``).
    """

    __tablename__ = "record"
    id: str = Field(primary_key=True)
    kind: str = Field(index=True)
    title: str
    city: str = Field(default="", index=True)
    scope: str = ""
    status: str = ""
    categories: str = "[]"
    measure_types: str = "[]"
    front: str = "{}"
    body: str = ""
    path: str = ""
    display_path: str = ""
    origin: str = "file"
    content_hash: str = ""
    updated_at: datetime = Field(default_factory=utcnow)


class SourceRow(SQLModel, table=True):
    """A source declared by a record."""

    __tablename__ = "source"
    record_id: str = Field(primary_key=True, foreign_key="record.id", ondelete="CASCADE")
    source_id: str = Field(primary_key=True)
    title: str
    url: str = ""
    publisher: str = ""
    year: str = ""


class QuantityRow(SQLModel, table=True):
    """A number of a record (measures, costs, results, city drivers, measure-type parameters)."""

    __tablename__ = "quantity"
    id: int | None = Field(default=None, primary_key=True)
    record_id: str = Field(index=True, foreign_key="record.id", ondelete="CASCADE")
    section: str
    item: str
    key: str = Field(default="", index=True)
    value: float | None = None
    low: float | None = None
    mid: float | None = None
    high: float | None = None
    unit: str = ""
    year: str = ""
    evidence: str = Field(default="", index=True)
    sources: str = ""
    note: str = ""
    missing: bool = False
    line: int = 0


class BarrierRow(SQLModel, table=True):
    """A typed barrier met by a solution."""

    __tablename__ = "barrier"
    id: int | None = Field(default=None, primary_key=True)
    record_id: str = Field(index=True, foreign_key="record.id", ondelete="CASCADE")
    title: str
    type: str = Field(index=True)
    phase: str = ""
    what_happened: str = ""
    what_was_tried: str = ""
    outcome: str = ""
    source: str = ""


class LinkRow(SQLModel, table=True):
    """A reference from one record to another (city, measure type, solution)."""

    __tablename__ = "link"
    record_id: str = Field(primary_key=True, foreign_key="record.id", ondelete="CASCADE")
    target_id: str = Field(primary_key=True, index=True)
    relation: str = Field(primary_key=True)


class ChunkRow(SQLModel, table=True):
    """One searchable section of a record with its embedding (float32 bytes)."""

    __tablename__ = "chunk"
    id: int | None = Field(default=None, primary_key=True)
    record_id: str = Field(index=True, foreign_key="record.id", ondelete="CASCADE")
    ordinal: int = 0
    section: str = ""
    text: str = ""
    content_hash: str = Field(default="", index=True)
    model: str = ""
    dim: int = 0
    embedding: bytes | None = None


class MetaRow(SQLModel, table=True):
    """Key/value metadata: schema version, embedding model, corpus version."""

    __tablename__ = "meta"
    key: str = Field(primary_key=True)
    value: str = ""


# --- accounts and lessons (migration m002) ---------------------------------------------------------------

ACCOUNT_LESSON_TABLES: tuple[str, ...] = ("user_account", "user_session", "lesson", "lesson_audit")


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
    # what a lesson file holds beyond the five sections (migration m006): front matter such as keywords, as a JSON
    # object, and further ``##`` sections as a JSON list of {title, text}
    extra_front: str = "{}"
    extra_sections: str = "[]"
    # its file (m006): the path relative to the corpus folder ("" for a lesson never in a file), the SHA-256 of the
    # file's text as last ingested or exported, the lesson version that text holds (0: none), the last export
    file_path: str = ""
    file_hash: str = ""
    file_version: int = 0
    exported_hash: str = ""
    exported_at: datetime | None = None


LESSON_FILE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("extra_front", "VARCHAR NOT NULL DEFAULT '{}'"), ("extra_sections", "VARCHAR NOT NULL DEFAULT '[]'"),
    ("file_path", "VARCHAR NOT NULL DEFAULT ''"), ("file_hash", "VARCHAR NOT NULL DEFAULT ''"),
    ("file_version", "INTEGER NOT NULL DEFAULT 0"), ("exported_hash", "VARCHAR NOT NULL DEFAULT ''"),
    ("exported_at", "DATETIME"),
)
"""The columns migration m006 adds to ``lesson``, with their SQL types."""


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
    note: str | None = None  # a reviewer's comment, an override of the four-eyes rule (migration m006)


# --- saved district plans (migration m003) ------------------------------------------------------------

PLAN_TABLE = "district_plan"


class PlanRow(SQLModel, table=True):
    """A saved district plan: the TOML text is the plan; name and city are copied out for listing."""

    __tablename__ = PLAN_TABLE
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True)
    city: str = Field(default="", index=True)
    toml: str
    author: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


# --- the Lessons page's "new since your last visit" (migration m006) ----------------------------------------

VISIT_TABLE = "lesson_visit"


class LessonVisitRow(SQLModel, table=True):
    """When a user last opened the Lessons page (``kb.lessons.visits``): lessons changed since are marked new."""

    __tablename__ = VISIT_TABLE
    user_id: int = Field(primary_key=True, foreign_key="user_account.id", ondelete="CASCADE")
    visited_at: datetime
