"""The read model: records as read back from the store (typed, frozen), each with the ``to_dict`` of ``kb show``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Number:
    """One stored number: value (the mid of a range), unit, year, evidence level, source ids, key and note.

    ``ranged`` numbers were given as low / mid / high; ``missing`` ones are figures the sources do not publish.
    Empty ``evidence``, ``source`` and ``key`` are ``None`` in :meth:`to_dict`.
    """

    item: str
    value: float | None
    unit: str
    year: str = ""
    evidence: str = ""
    source: str = ""
    key: str = ""
    note: str = ""
    missing: bool = False
    low: float | None = None
    mid: float | None = None
    high: float | None = None
    ranged: bool = False

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"item": self.item, "value": self.value, "unit": self.unit, "year": self.year,
                             "evidence": self.evidence or None, "source": self.source or None,
                             "key": self.key or None, "note": self.note, "missing": self.missing}
        if self.ranged:
            d.update(low=self.low, mid=self.mid, high=self.high)
        return d


@dataclass(frozen=True)
class SectionText:
    """A ``##`` section of a stored record: its title and Markdown text."""

    title: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "text": self.text}


@dataclass(frozen=True)
class BarrierInfo:
    """A barrier met by a solution, as stored."""

    title: str
    type: str
    phase: str = ""
    what_happened: str = ""
    what_was_tried: str = ""
    outcome: str = ""
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "type": self.type, "phase": self.phase, "what_happened": self.what_happened,
                "what_was_tried": self.what_was_tried, "outcome": self.outcome, "source": self.source}


@dataclass(frozen=True)
class SourceInfo:
    """A source declared by a record (``S1``)."""

    id: str
    title: str
    url: str = ""
    publisher: str = ""
    year: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "url": self.url, "publisher": self.publisher, "year": self.year}


@dataclass(frozen=True)
class Backlink:
    """Another record that refers to this one, and how (``city``, ``measure_type``, ``solution``)."""

    id: str
    relation: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "relation": self.relation}


@dataclass(frozen=True)
class RecordSummary:
    """One row of a record list."""

    id: str
    kind: str
    title: str
    city: str
    status: str = ""
    scope: str = ""
    categories: list[str] = field(default_factory=list)
    measure_types: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "title": self.title, "city": self.city, "status": self.status,
                "scope": self.scope, "categories": list(self.categories), "measure_types": list(self.measure_types)}


@dataclass(frozen=True)
class StoredRecord:
    """A whole stored record: front matter, sections, numbers by section, barriers, sources and backlinks.

    ``front`` is the free-form front matter; the fields every kind shares are attributes of their own.
    """

    id: str
    kind: str
    title: str
    city: str
    status: str
    scope: str
    path: str
    front: Mapping[str, Any]
    categories: list[str] = field(default_factory=list)
    measure_types: list[str] = field(default_factory=list)
    sections: list[SectionText] = field(default_factory=list)
    numbers: dict[str, list[Number]] = field(default_factory=dict)
    barriers: list[BarrierInfo] = field(default_factory=list)
    sources: list[SourceInfo] = field(default_factory=list)
    referenced_by: list[Backlink] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The front matter's ``name`` (cities), else the title."""
        return str(self.front.get("name") or self.title)

    def section(self, title: str) -> SectionText | None:
        """The first section with this exact title."""
        return next((s for s in self.sections if s.title == title), None)

    def numbers_in(self, section: str) -> list[Number]:
        """The numbers of one section, in file order ([] when it has none)."""
        return self.numbers.get(section, [])

    def all_numbers(self) -> list[Number]:
        """Every number of the record, section by section."""
        return [q for qs in self.numbers.values() for q in qs]

    def source(self, source_id: str) -> SourceInfo | None:
        return next((s for s in self.sources if s.id == source_id), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "title": self.title, "city": self.city, "status": self.status,
            "scope": self.scope, "path": self.path, "front": dict(self.front),
            "categories": list(self.categories), "measure_types": list(self.measure_types),
            "sections": [s.to_dict() for s in self.sections],
            "numbers": {k: [q.to_dict() for q in qs] for k, qs in self.numbers.items()},
            "barriers": [b.to_dict() for b in self.barriers],
            "sources": [s.to_dict() for s in self.sources],
            "referenced_by": [r.to_dict() for r in self.referenced_by],
        }
