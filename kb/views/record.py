"""What the record page shows: the record, lessons that link to it, similar records, safe source links."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal, localcontext
from typing import Any, Literal

from babel.numbers import format_decimal
from sqlalchemy import Engine

from kb.records.vocab import EVIDENCE_LEVELS
from kb.search.engine import Hit, SearchEngine
from kb.store import catalog
from kb.store.readmodel import Number, SourceInfo, StoredRecord
from kb.text import safe_url
from kb.views.words import identity

BadgeColor = Literal["red", "orange", "yellow", "blue", "green", "violet", "gray"]
"""The colours a page may give an evidence badge (a subset of Streamlit's badge colours; no Streamlit import)."""

EVIDENCE_COLORS: dict[str, BadgeColor] = {"measured": "green", "installed": "blue", "design": "violet",
                                          "target": "orange", "estimate": "yellow", "reference": "gray"}


@dataclass(frozen=True)
class LessonLink:
    """A lesson record that links to the record shown."""

    id: str
    title: str
    city: str
    outcome: str
    barrier_type: str


@dataclass(frozen=True)
class RecordView:
    """What the record page shows: the record, its lessons, similar records, evidence levels, safe source links."""

    record: StoredRecord
    lessons: list[LessonLink]
    similar: list[Hit]
    evidence: list[str]
    sources: list[SourceInfo]


def evidence_levels(record: StoredRecord) -> list[str]:
    """The evidence levels present in a record's numbers, in the vocabulary's order."""
    found = {q.evidence for q in record.all_numbers()}
    return [e for e in EVIDENCE_LEVELS if e in found]


def record_number(value: float, locale: str = "en_GB") -> str:
    """A record's figure with every digit it was given, grouped for the locale (never an exponent):
    ``1819870.4`` → ``1,819,870.4`` (``1 819 870,4`` in Polish)."""
    with localcontext() as ctx:
        ctx.prec = 400
        return format_decimal(Decimal(repr(float(value))), format="#,##0.##########", locale=locale)


def number_rows(quantities: list[Number], t: Callable[[str], str] = identity,
                locale: str = "en_GB") -> list[dict[str, Any]]:
    """Table rows for a section's numbers: item, value, unit, year, evidence, source, note (the keys stay; the
    page names the columns). Values in the locale's format; "not published" in the reader's language."""
    rows = []
    for q in quantities:
        if q.missing:
            value = t("not published")
        elif q.value is not None and q.low is None and q.high is None:
            value = record_number(q.value, locale)
        else:
            value = " / ".join(record_number(v, locale) for v in (q.low, q.mid, q.high) if v is not None)
        rows.append({"item": q.item, "value": value, "unit": q.unit or "", "year": str(q.year or ""),
                     "evidence": q.evidence or "—", "source": q.source or "—", "note": q.note or ""})
    return rows


def prose(text: str) -> str:
    """A section's prose without its tables and barrier blocks (those are shown as tables and cards)."""
    lines = [ln for ln in text.split("\n") if not ln.lstrip().startswith("|")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def lessons_for(engine: Engine, record: StoredRecord) -> list[LessonLink]:
    """Lesson records that link to this record as their solution."""
    ids = [ref.id for ref in record.referenced_by if ref.relation == "solution"]
    return [LessonLink(id=lesson.id, title=lesson.title, city=lesson.city,
                       outcome=str(lesson.front.get("outcome") or ""),
                       barrier_type=str(lesson.front.get("barrier_type") or ""))
            for lesson in catalog.get_records(engine, ids) if lesson.kind == "lesson"]


def record_view(engine: Engine, search: SearchEngine | None, record_id: str, similar: int = 5) -> RecordView:
    """The record with its lessons, similar records and evidence levels; raises ``RecordNotFound``."""
    rec = catalog.get_record(engine, record_id)
    hits: list[Hit] = []
    if search is not None and similar > 0:
        try:
            hits = search.similar(record_id, limit=similar)
        except catalog.RecordNotFound:
            hits = []
    return RecordView(record=rec, lessons=lessons_for(engine, rec), similar=hits, evidence=evidence_levels(rec),
                      sources=[replace(s, url=safe_url(s.url or "")) for s in rec.sources])
