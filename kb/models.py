"""SQLModel tables: records and their parts (quantities, sources, barriers, links) and searchable chunks."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class RecordRow(SQLModel, table=True):
    """One record of any kind; ``front`` holds the whole front matter as JSON."""

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
