"""Lessons as data, as corpus Markdown (kind ``lesson``) and as search records; and back from parsed records."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import yaml

from kb.records.model import Record, Section, Source
from kb.store.tables import LessonRow

SECTIONS: tuple[tuple[str, str], ...] = (
    ("Summary", "summary"), ("What happened", "what_happened"), ("What was tried", "what_was_tried"),
    ("Outcome", "outcome_note"), ("Applies when", "applies_when"),
)
CONTENT_FIELDS: tuple[str, ...] = (
    "title", "city", "solutions", "measure_types", "phase", "barrier_type", "summary", "what_happened",
    "what_was_tried", "outcome", "outcome_note", "applies_when", "sources",
)


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


@dataclass
class Lesson:
    """A lesson learned: barrier → what was tried → outcome → applies when, with its workflow state."""

    id: str
    title: str
    city: str
    solutions: list[str]
    measure_types: list[str]
    phase: str
    barrier_type: str
    summary: str
    what_happened: str
    what_was_tried: str
    outcome: str
    outcome_note: str
    applies_when: str
    sources: list[dict[str, str]] = field(default_factory=list)
    author: str = ""
    status: str = "draft"
    version: int = 1
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @classmethod
    def from_row(cls, row: LessonRow) -> Lesson:
        return cls(id=row.id, title=row.title, city=row.city, solutions=json.loads(row.solutions),
                   measure_types=json.loads(row.measure_types), phase=row.phase, barrier_type=row.barrier_type,
                   summary=row.summary, what_happened=row.what_happened, what_was_tried=row.what_was_tried,
                   outcome=row.outcome, outcome_note=row.outcome_note, applies_when=row.applies_when,
                   sources=json.loads(row.sources), author=row.author, status=row.status, version=row.version,
                   created_at=_aware(row.created_at), updated_at=_aware(row.updated_at))

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        data["updated_at"] = self.updated_at.isoformat()
        return data

    def outcome_text(self) -> str:
        """The text of the ``## Outcome`` section: the note, else the outcome word."""
        return self.outcome_note or f"{self.outcome.capitalize()}."


def front_matter(lesson: Lesson) -> dict[str, Any]:
    """The front matter of the lesson's record, in the corpus field order."""
    return {
        "id": lesson.id, "kind": "lesson", "title": lesson.title, "city": lesson.city,
        "solutions": list(lesson.solutions), "measure_types": list(lesson.measure_types),
        "phase": lesson.phase, "barrier_type": lesson.barrier_type, "outcome": lesson.outcome,
        "status": lesson.status, "author": lesson.author,
        "created": lesson.created_at.isoformat(timespec="seconds"),
        "updated": lesson.updated_at.isoformat(timespec="seconds"),
        "sources": [dict(s) for s in lesson.sources],
    }


def _section_texts(lesson: Lesson) -> list[tuple[str, str]]:
    return [(title, lesson.outcome_text() if attr == "outcome_note" else getattr(lesson, attr))
            for title, attr in SECTIONS]


def to_markdown(lesson: Lesson) -> str:
    """The lesson as a corpus record file (``python -m ingest`` reads it back)."""
    front = yaml.safe_dump(front_matter(lesson), sort_keys=False, allow_unicode=True, default_flow_style=None,
                           width=100_000)
    body = "\n\n".join(f"## {title}\n{text}" for title, text in _section_texts(lesson))
    return f"---\n{front}---\n{body}\n"


def to_record(lesson: Lesson) -> Record:
    """The lesson as a parsed record, identical to what the parser makes of :func:`to_markdown`."""
    md = to_markdown(lesson)
    front_end = md.index("\n---\n") + 5
    body = md[front_end:]
    lines_before = md[:front_end].count("\n")
    sections: list[Section] = []
    line = lines_before + 1
    for title, text in _section_texts(lesson):
        sections.append(Section(title=title, text=text.strip(), line=line))
        line += 2 + text.count("\n") + 1
    sources = [Source(id=s["id"], title=s["title"], url=s.get("url", ""), publisher=s.get("publisher", ""),
                      year=s.get("year", ""), accessed=s.get("accessed", "")) for s in lesson.sources]
    return Record(id=lesson.id, kind="lesson", title=lesson.title, path="", front=front_matter(lesson),
                  sections=sections, sources=sources, body=body,
                  content_hash=hashlib.sha256(md.encode("utf-8")).hexdigest())


def input_from_record(rec: Record) -> dict[str, Any]:
    """Create input (for ``LessonCreate``) from a parsed lesson record; ``status`` as stated, else draft."""
    f = rec.front
    texts = {attr: (sec.text if (sec := rec.section(title)) else "") for title, attr in SECTIONS}
    outcome = str(f.get("outcome") or "")
    note = texts.pop("outcome_note")
    if note.strip().rstrip(".").lower() == outcome.lower():
        note = ""
    return {
        "id": rec.id, "title": rec.title, "city": f.get("city") or "", "solutions": f.get("solutions") or [],
        "measure_types": f.get("measure_types") or [], "phase": f.get("phase") or "",
        "barrier_type": f.get("barrier_type") or "", "outcome": outcome, "outcome_note": note,
        "sources": [{k: v for k, v in asdict(s).items() if v} for s in rec.sources],
        "status": str(f.get("status") or "draft"), **texts,
    }
