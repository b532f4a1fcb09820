"""SQLModel table of saved district plans (the plan's TOML text, who saved it and when) and its migration m003."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection
from sqlmodel import Field, SQLModel

from kb.models import utcnow

TABLE = "district_plan"


class PlanRow(SQLModel, table=True):
    """A saved district plan: the TOML text is the plan; name and city are copied out for listing."""

    __tablename__ = TABLE
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True)
    city: str = Field(default="", index=True)
    toml: str
    author: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


def m003_district_plans(conn: Connection) -> None:
    """Migration 3: saved district plans."""
    SQLModel.metadata.create_all(conn, tables=[SQLModel.metadata.tables[TABLE]])
