"""Reading the knowledge base: counts, record lists, whole records (one or in bulk) with every number's evidence."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from kb.errors import NotFound
from kb.records import vocab
from kb.records.vocab import KINDS
from kb.store import database
from kb.store import write as store
from kb.store.readmodel import Backlink, BarrierInfo, Number, RecordSummary, SectionText, SourceInfo, StoredRecord
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
                            .where(col(ChunkRow.embedding).is_not(None))).one()
        return {"records": kinds, "chunks": int(chunks), "embeddings": int(embeddings),
                "model": store.get_meta(s, "model"), "schema_version": database.schema_version(s),
                "corpus_version": store.get_meta(s, "corpus_version")}


def list_records(engine: Engine, kind: str | None = None, city: str | None = None) -> list[RecordSummary]:
    """Summaries of the records (of one kind, in one city) sorted by kind and id."""
    with database.read_session(engine) as s:
        stmt = select(RecordRow).order_by(RecordRow.kind, RecordRow.id)
        if kind:
            stmt = stmt.where(RecordRow.kind == kind)
        rows = list(s.exec(stmt))
    out = [RecordSummary(id=r.id, kind=r.kind, title=r.title, city=r.city, status=r.status, scope=r.scope,
                         categories=json.loads(r.categories or "[]"),
                         measure_types=json.loads(r.measure_types or "[]")) for r in rows]
    if city:
        out = [r for r in out if fold(r.city) == fold(city)]
    return out


def _number(q: QuantityRow) -> Number:
    """A stored quantity as a :class:`Number`; a range's value is its mid."""
    ranged = q.value is None and not q.missing
    return Number(item=q.item, value=q.mid if ranged else q.value, unit=q.unit, year=q.year,
                  evidence=q.evidence or "", source=q.sources or "", key=q.key or "", note=q.note, missing=q.missing,
                  low=q.low if ranged else None, mid=q.mid if ranged else None, high=q.high if ranged else None,
                  ranged=ranged)


def get_record(engine: Engine, record_id: str) -> StoredRecord:
    """The whole record: front matter, sections, numbers (value, unit, evidence, source), barriers, links."""
    found = get_records(engine, [record_id])
    if not found:
        raise RecordNotFound(record_id)
    return found[0]


def get_records(engine: Engine, record_ids: Iterable[str]) -> list[StoredRecord]:
    """Whole records in the order asked, unknown ids left out; a fixed number of queries per 500 ids."""
    wanted = list(dict.fromkeys(record_ids))
    out: dict[str, StoredRecord] = {}
    with database.read_session(engine) as s:
        for i in range(0, len(wanted), _BATCH):
            batch = wanted[i:i + _BATCH]
            rows = list(s.exec(select(RecordRow).where(col(RecordRow.id).in_(batch))))
            out.update((r.id, r) for r in _load(s, rows))
    return [out[rid] for rid in wanted if rid in out]


def records_of_kind(engine: Engine, kind: str) -> list[StoredRecord]:
    """Every whole record of one kind, sorted by id, in a fixed number of queries."""
    with database.read_session(engine) as s:
        rows = list(s.exec(select(RecordRow).where(RecordRow.kind == kind).order_by(RecordRow.id)))
        out: list[StoredRecord] = []
        for i in range(0, len(rows), _BATCH):
            out += _load(s, rows[i:i + _BATCH])
    return out


_BATCH = 500


def _load(s: Session, rows: list[RecordRow]) -> list[StoredRecord]:
    """The parts of these records in five queries (one per table), each record's parts in their stored order."""
    if not rows:
        return []
    ids = [r.id for r in rows]
    quantities: dict[str, list[QuantityRow]] = defaultdict(list)
    for q in s.exec(select(QuantityRow).where(col(QuantityRow.record_id).in_(ids)).order_by(col(QuantityRow.id))):
        quantities[q.record_id].append(q)
    sources: dict[str, list[SourceRow]] = defaultdict(list)
    for x in s.exec(select(SourceRow).where(col(SourceRow.record_id).in_(ids))
                    .order_by(SourceRow.record_id, SourceRow.source_id)):
        sources[x.record_id].append(x)
    barriers: dict[str, list[BarrierRow]] = defaultdict(list)
    for b in s.exec(select(BarrierRow).where(col(BarrierRow.record_id).in_(ids)).order_by(col(BarrierRow.id))):
        barriers[b.record_id].append(b)
    chunks: dict[str, list[str]] = defaultdict(list)
    for rid, section in s.exec(select(ChunkRow.record_id, ChunkRow.section).where(col(ChunkRow.record_id).in_(ids))
                               .order_by(ChunkRow.record_id, col(ChunkRow.ordinal))):
        chunks[rid].append(section)
    backlinks: dict[str, list[Backlink]] = defaultdict(list)
    for target, rid, rel in s.exec(select(LinkRow.target_id, LinkRow.record_id, LinkRow.relation)
                                   .where(col(LinkRow.target_id).in_(ids))
                                   .order_by(LinkRow.target_id, LinkRow.record_id, LinkRow.relation)):
        backlinks[target].append(Backlink(rid, rel))
    return [_stored(r, quantities[r.id], sources[r.id], barriers[r.id], chunks[r.id], backlinks[r.id]) for r in rows]


def _stored(row: RecordRow, quantities: list[QuantityRow], sources: list[SourceRow], barriers: list[BarrierRow],
            chunk_sections: list[str], backlinks: list[Backlink]) -> StoredRecord:
    front = store.front_of(row)
    legacy_display = front.pop("_display", None)  # written before migration m004
    numbers: dict[str, list[Number]] = {}
    for q in quantities:
        numbers.setdefault(q.section, []).append(_number(q))
    return StoredRecord(
        id=row.id, kind=row.kind, title=row.title, city=row.city, status=row.status, scope=row.scope,
        path=row.display_path or (legacy_display if legacy_display is not None else row.path), front=front,
        categories=json.loads(row.categories or "[]"), measure_types=json.loads(row.measure_types or "[]"),
        sections=[SectionText(sec, _section_text(row.body, sec)) for sec in chunk_sections if sec != "Keywords"],
        numbers=numbers,
        barriers=[BarrierInfo(title=b.title, type=b.type, phase=b.phase, what_happened=b.what_happened,
                              what_was_tried=b.what_was_tried, outcome=b.outcome, source=b.source) for b in barriers],
        sources=[SourceInfo(id=x.source_id, title=x.title, url=x.url, publisher=x.publisher, year=x.year)
                 for x in sources],
        referenced_by=backlinks,
    )


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
                              .join(RecordRow, col(RecordRow.id) == col(QuantityRow.record_id))))
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
