"""Reading the knowledge base: counts, record lists, whole records with every number's evidence and source."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import select

from kb.errors import NotFound
from kb.records import vocab
from kb.records.vocab import KINDS
from kb.store import database
from kb.store import write as store
from kb.store.tables import BarrierRow, ChunkRow, LinkRow, QuantityRow, RecordRow, SourceRow
from kb.text import fold


class RecordNotFound(NotFound):
    """No record has the requested id."""

    def __init__(self, record_id: str) -> None:
        super().__init__(f"no record with id '{record_id}' (try 'kb list')")
        self.record_id = record_id


def stats(engine: Engine) -> dict[str, Any]:
    """Counts by kind, chunks, embeddings, model and schema version."""
    with database.read_session(engine) as s:
        kinds = dict.fromkeys(KINDS, 0)
        for kind, n in s.exec(select(RecordRow.kind, func.count()).group_by(RecordRow.kind)):
            kinds[kind] = int(n)
        chunks = s.exec(select(func.count()).select_from(ChunkRow)).one()
        embeddings = s.exec(select(func.count()).select_from(ChunkRow)
                            .where(ChunkRow.embedding.is_not(None))).one()  # type: ignore[union-attr]
        return {"records": kinds, "chunks": int(chunks), "embeddings": int(embeddings),
                "model": store.get_meta(s, "model"), "schema_version": database.schema_version(s),
                "corpus_version": store.get_meta(s, "corpus_version")}


def list_records(engine: Engine, kind: str | None = None, city: str | None = None) -> list[dict[str, Any]]:
    """``[{"id", "kind", "title", "city"}]`` sorted by kind and id."""
    with database.read_session(engine) as s:
        stmt = select(RecordRow).order_by(RecordRow.kind, RecordRow.id)
        if kind:
            stmt = stmt.where(RecordRow.kind == kind)
        rows = list(s.exec(stmt))
    out = [{"id": r.id, "kind": r.kind, "title": r.title, "city": r.city, "status": r.status,
            "scope": r.scope, "categories": json.loads(r.categories or "[]"),
            "measure_types": json.loads(r.measure_types or "[]")} for r in rows]
    if city:
        out = [r for r in out if fold(r["city"]) == fold(city)]
    return out


def quantity_dict(q: QuantityRow) -> dict[str, Any]:
    d: dict[str, Any] = {"item": q.item, "value": q.value, "unit": q.unit, "year": q.year,
                         "evidence": q.evidence or None, "source": q.sources or None, "key": q.key or None,
                         "note": q.note, "missing": q.missing}
    if q.value is None and not q.missing:
        d.update(low=q.low, mid=q.mid, high=q.high, value=q.mid if q.mid is not None else None)
    return d


def get_record(engine: Engine, record_id: str) -> dict[str, Any]:
    """The whole record: front matter, sections, numbers (value, unit, evidence, source), barriers, links."""
    with database.read_session(engine) as s:
        row = s.get(RecordRow, record_id)
        if row is None:
            raise RecordNotFound(record_id)
        quantities = list(s.exec(select(QuantityRow).where(QuantityRow.record_id == record_id)
                                 .order_by(QuantityRow.id)))
        sources = list(s.exec(select(SourceRow).where(SourceRow.record_id == record_id)))
        barriers = list(s.exec(select(BarrierRow).where(BarrierRow.record_id == record_id)
                               .order_by(BarrierRow.id)))
        chunks = list(s.exec(select(ChunkRow).where(ChunkRow.record_id == record_id).order_by(ChunkRow.ordinal)))
        backlinks = list(s.exec(select(LinkRow.record_id, LinkRow.relation)
                                .where(LinkRow.target_id == record_id)))
    front = store.front_of(row)
    sections: dict[str, list[dict[str, Any]]] = {}
    for q in quantities:
        sections.setdefault(q.section, []).append(quantity_dict(q))
    return {
        "id": row.id, "kind": row.kind, "title": row.title, "city": row.city, "status": row.status,
        "scope": row.scope, "path": front.pop("_display", row.path), "front": front,
        "categories": json.loads(row.categories or "[]"), "measure_types": json.loads(row.measure_types or "[]"),
        "sections": [{"title": c.section, "text": _section_text(row.body, c.section)} for c in chunks
                     if c.section != "Keywords"],
        "numbers": sections,
        "barriers": [{"title": b.title, "type": b.type, "phase": b.phase, "what_happened": b.what_happened,
                      "what_was_tried": b.what_was_tried, "outcome": b.outcome, "source": b.source}
                     for b in barriers],
        "sources": [{"id": x.source_id, "title": x.title, "url": x.url, "publisher": x.publisher,
                     "year": x.year} for x in sources],
        "referenced_by": [{"id": rid, "relation": rel} for rid, rel in backlinks],
    }


def _section_text(body: str, title: str) -> str:
    lines = body.split("\n")
    out: list[str] = []
    inside = False
    for ln in lines:
        if ln.startswith("## "):
            inside = ln[3:].strip() == title
            continue
        if inside:
            out.append(ln)
    return "\n".join(out).strip()


def corpus_overview(engine: Engine) -> dict[str, Any]:
    """Counts of the corpus by city, kind, category and evidence level."""
    with database.read_session(engine) as s:
        rows = list(s.exec(select(RecordRow)))
        numbers = list(s.exec(select(RecordRow.kind, RecordRow.city, QuantityRow.evidence, QuantityRow.missing)
                              .join(RecordRow, RecordRow.id == QuantityRow.record_id)))
    by_source: dict[str, Counter[str]] = {}
    for kind, city, ev, miss in numbers:
        group = city if kind == "solution" else kind
        by_source.setdefault(group, Counter())["missing" if miss else (ev or "missing")] += 1
    evidence = sum(by_source.values(), Counter())
    missing = evidence.pop("missing", 0)
    by_city: Counter[str] = Counter()
    by_kind: Counter[str] = Counter()
    by_cat: Counter[str] = Counter()
    for r in rows:
        by_kind[r.kind] += 1
        if r.kind in ("solution", "lesson"):
            by_city[r.city] += 1
        for c in json.loads(r.categories or "[]"):
            by_cat[c] += 1
    return {"kind": dict(sorted(by_kind.items())), "city": dict(sorted(by_city.items())),
            "category": dict(sorted(by_cat.items())), "evidence": dict(sorted(evidence.items())),
            "missing_values": int(missing),
            "evidence_by_group": {g: dict(sorted(c.items())) for g, c in sorted(by_source.items())}}


def overview_markdown(overview: dict[str, Any]) -> str:
    """The overview as Markdown tables, for solutions/README.md."""
    parts = []
    for title, key in (("Records by kind", "kind"), ("Solutions and lessons by city", "city"),
                       ("Solutions by category", "category"), ("Numbers by evidence level", "evidence")):
        parts.append(f"**{title}**\n\n| {key} | count |\n|---|---|")
        parts.extend(f"| {k} | {v} |" for k, v in overview[key].items())
        parts.append("")
    groups = overview.get("evidence_by_group", {})
    if groups:
        levels = [*vocab.EVIDENCE_LEVELS, "missing"]
        parts.append("**Numbers by evidence level and where they come from** (solutions by city; other kinds by "
                     "kind)\n")
        parts.append("| group | " + " | ".join(levels) + " | total |")
        parts.append("|---|" + "---|" * (len(levels) + 1))
        for g, c in groups.items():
            parts.append(f"| {g} | " + " | ".join(str(c.get(lv, 0)) for lv in levels) + f" | {sum(c.values())} |")
        parts.append("")
    parts.append(f"Figures the sources do not give (rows marked `missing`): {overview['missing_values']}.")
    return "\n".join(parts)
