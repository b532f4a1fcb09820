"""Typed, validated records as parsed from Markdown: quantities, sources, barriers, sections."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Source:
    """A declared source of a record (``S1``), cited by tables and prose."""

    id: str
    title: str
    url: str = ""
    publisher: str = ""
    year: str = ""
    accessed: str = ""


@dataclass
class Quantity:
    """One number of a record, always with unit, evidence level and source ids."""

    section: str
    item: str
    unit: str
    evidence: str
    sources: list[str]
    value: float | None = None
    low: float | None = None
    mid: float | None = None
    high: float | None = None
    year: str = ""
    key: str = ""
    note: str = ""
    line: int = 0
    missing: bool = False

    @property
    def central(self) -> float | None:
        """The value, else the mid, else the mean of low and high."""
        if self.value is not None:
            return self.value
        if self.mid is not None:
            return self.mid
        vals = [v for v in (self.low, self.high) if v is not None]
        return sum(vals) / len(vals) if vals else None


@dataclass
class Barrier:
    """A barrier met by a solution: type, what happened, what was tried, outcome."""

    title: str
    type: str
    what_happened: str
    source: str
    phase: str = ""
    what_was_tried: str = ""
    outcome: str = ""
    line: int = 0


@dataclass
class Section:
    """A ``##`` section of a record body, its Markdown text and first line."""

    title: str
    text: str
    line: int


@dataclass
class Record:
    """A whole record of any kind, as parsed from one Markdown file.

    ``path`` is where the record was read from (ingest makes it relative to the corpus folder: the key of the
    record's identity), ``display_path`` the path as the user gave it
    (shown by ``kb show``; empty when the record was not read from a file), ``front_lines`` the line of each
    front-matter key in the file.
    """

    id: str
    kind: str
    title: str
    path: str
    front: dict[str, Any]
    front_lines: dict[str, int] = field(default_factory=dict)
    display_path: str = ""
    sections: list[Section] = field(default_factory=list)
    quantities: list[Quantity] = field(default_factory=list)
    barriers: list[Barrier] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    body: str = ""
    content_hash: str = ""

    @property
    def city(self) -> str:
        return str(self.front.get("city") or (self.id if self.kind == "city" else ""))

    def line_of(self, key: str) -> int:
        """The line of a front-matter key in the file (1 when unknown)."""
        return self.front_lines.get(key, 1)

    def section(self, title: str) -> Section | None:
        for s in self.sections:
            if s.title.lower() == title.lower():
                return s
        return None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
