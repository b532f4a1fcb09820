"""What the record page shows: the record, lessons that link to it, similar records, safe source links."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Engine

from kb.records.vocab import EVIDENCE_LEVELS
from kb.search.engine import Hit, SearchEngine
from kb.store import catalog
from kb.text import safe_url

EVIDENCE_COLORS: dict[str, str] = {"measured": "green", "installed": "blue", "design": "violet",
                                   "target": "orange", "estimate": "yellow", "reference": "gray"}



def evidence_levels(record: dict[str, Any]) -> list[str]:
    """The evidence levels present in a record's numbers, in the vocabulary's order."""
    found = {q.get("evidence") for qs in record.get("numbers", {}).values() for q in qs}
    return [e for e in EVIDENCE_LEVELS if e in found]


def number_rows(quantities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Table rows for a section's numbers: item, value, unit, year, evidence, source, note."""
    rows = []
    for q in quantities:
        if q.get("missing"):
            value = "not published"
        elif q.get("value") is not None and q.get("low") is None and q.get("high") is None:
            value = f"{q['value']:g}"
        else:
            value = " / ".join(f"{v:g}" for v in (q.get("low"), q.get("mid"), q.get("high")) if v is not None)
        rows.append({"item": q["item"], "value": value, "unit": q.get("unit") or "", "year": q.get("year") or "",
                     "evidence": q.get("evidence") or "—", "source": q.get("source") or "—",
                     "note": q.get("note") or ""})
    return rows


def prose(text: str) -> str:
    """A section's prose without its tables and barrier blocks (those are shown as tables and cards)."""
    lines = [ln for ln in text.split("\n") if not ln.lstrip().startswith("|")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def lessons_for(engine: Engine, record: dict[str, Any]) -> list[dict[str, Any]]:
    """Lesson records that link to this record as their solution."""
    out = []
    for ref in record.get("referenced_by", []):
        if ref["relation"] != "solution":
            continue
        try:
            lesson = catalog.get_record(engine, ref["id"])
        except catalog.RecordNotFound:
            continue
        if lesson["kind"] == "lesson":
            out.append({"id": lesson["id"], "title": lesson["title"], "city": lesson["city"],
                        "outcome": str(lesson["front"].get("outcome") or ""),
                        "barrier_type": str(lesson["front"].get("barrier_type") or "")})
    return out


def record_view(engine: Engine, search: SearchEngine | None, record_id: str, similar: int = 5) -> dict[str, Any]:
    """The record with its lessons, similar records and evidence levels; raises ``RecordNotFound``."""
    rec = catalog.get_record(engine, record_id)
    hits: list[Hit] = []
    if search is not None and similar > 0:
        try:
            hits = search.similar(record_id, limit=similar)
        except catalog.RecordNotFound:
            hits = []
    return {"record": rec, "lessons": lessons_for(engine, rec), "similar": hits,
            "evidence": evidence_levels(rec),
            "sources": [{**s, "url": safe_url(s.get("url") or "")} for s in rec["sources"]]}
