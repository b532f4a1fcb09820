"""Lessons as data, as corpus Markdown (kind ``lesson``) and as search records; and back from parsed records."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import yaml

from kb.records.errors import RecordInvalid
from kb.records.model import Record, Section, Source
from kb.records.parse import parse_text
from kb.store.tables import LessonRow

SECTIONS: tuple[tuple[str, str], ...] = (
    ("Summary", "summary"), ("What happened", "what_happened"), ("What was tried", "what_was_tried"),
    ("Outcome", "outcome_note"), ("Applies when", "applies_when"),
)
CONTENT_FIELDS: tuple[str, ...] = (
    "title", "city", "solutions", "measure_types", "phase", "barrier_type", "summary", "what_happened",
    "what_was_tried", "outcome", "outcome_note", "applies_when", "sources",
)
EXTRA_FIELDS: tuple[str, ...] = ("extra_front", "extra_sections")
"""What a lesson file may hold beyond the editor's fields: other front matter (``keywords``) and other sections."""
KNOWN_FRONT: frozenset[str] = frozenset({
    "id", "kind", "title", "city", "solutions", "measure_types", "phase", "barrier_type", "outcome", "status",
    "author", "created", "updated", "sources"})
"""Front-matter keys a lesson has fields for; any other key is kept whole in ``extra_front``."""


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
    extra_front: dict[str, Any] = field(default_factory=dict)
    extra_sections: list[dict[str, str]] = field(default_factory=list)
    author: str = ""
    status: str = "draft"
    version: int = 1
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    file_path: str = ""

    @classmethod
    def from_row(cls, row: LessonRow) -> Lesson:
        return cls(id=row.id, title=row.title, city=row.city, solutions=json.loads(row.solutions),
                   measure_types=json.loads(row.measure_types), phase=row.phase, barrier_type=row.barrier_type,
                   summary=row.summary, what_happened=row.what_happened, what_was_tried=row.what_was_tried,
                   outcome=row.outcome, outcome_note=row.outcome_note, applies_when=row.applies_when,
                   sources=json.loads(row.sources), extra_front=json.loads(row.extra_front or "{}"),
                   extra_sections=json.loads(row.extra_sections or "[]"), author=row.author, status=row.status,
                   version=row.version, created_at=_aware(row.created_at), updated_at=_aware(row.updated_at),
                   file_path=row.file_path or "")

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
        **{k: v for k, v in lesson.extra_front.items() if k not in KNOWN_FRONT},
    }


def _section_texts(lesson: Lesson) -> list[tuple[str, str]]:
    own = [(title, lesson.outcome_text() if attr == "outcome_note" else getattr(lesson, attr))
           for title, attr in SECTIONS]
    return own + [(str(x.get("title", "")), str(x.get("text", ""))) for x in lesson.extra_sections]


def to_markdown(lesson: Lesson) -> str:
    """The lesson as a corpus record file (``python -m ingest`` reads it back)."""
    front = yaml.safe_dump(front_matter(lesson), sort_keys=False, allow_unicode=True, default_flow_style=None,
                           width=100_000)
    body = "\n\n".join(f"## {title}\n{text}" for title, text in _section_texts(lesson))
    return f"---\n{front}---\n{body}\n"


def text_hash(text: str) -> str:
    """The SHA-256 of a file's text as the parser hashes it (the ``content_hash`` of its record)."""
    return hashlib.sha256(text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")).hexdigest()


def to_record(lesson: Lesson) -> Record:
    """The lesson as a parsed record: what the parser makes of :func:`to_markdown`, quantity tables included."""
    md = to_markdown(lesson)
    try:
        rec, _ = parse_text(md, lesson.file_path or f"{lesson.id}.md")  # a table's faults only leave rows out
    except RecordInvalid:  # over a parser limit: the sections and sources as written, without tables
        return _built_record(lesson, md)
    rec.path = lesson.file_path
    return rec


def _built_record(lesson: Lesson, md: str) -> Record:
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
    return Record(id=lesson.id, kind="lesson", title=lesson.title, path=lesson.file_path, front=front_matter(lesson),
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


def extras_from_record(rec: Record) -> dict[str, Any]:
    """What a lesson file holds beyond the editor's fields: ``extra_front`` (e.g. ``keywords``) and
    ``extra_sections`` (``##`` sections other than the five, in file order)."""
    own = {title.lower() for title, _ in SECTIONS}
    return {"extra_front": {k: v for k, v in rec.front.items() if k not in KNOWN_FRONT},
            "extra_sections": [{"title": sec.title, "text": sec.text} for sec in rec.sections
                               if sec.title.lower() not in own]}


def content_of(lesson: Lesson) -> dict[str, Any]:
    """What a lesson says (its fields, extras, status and author), to tell whether two texts differ in meaning."""
    return {k: getattr(lesson, k) for k in (*CONTENT_FIELDS, *EXTRA_FIELDS, "status", "author")}
