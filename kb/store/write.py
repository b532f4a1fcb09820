"""Writing records into the database: rows for every part, one chunk per section, FTS rows and embeddings."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, delete, select

from kb.records.model import Quantity, Record
from kb.store import fts, version
from kb.store.tables import BarrierRow, ChunkRow, LinkRow, MetaRow, QuantityRow, RecordRow, SourceRow

_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


@dataclass(frozen=True)
class ChunkText:
    """The text of one searchable section before embedding."""

    ordinal: int
    section: str
    text: str

    def hash(self, model: str) -> str:
        return hashlib.sha256(f"{model}\n{self.text}".encode()).hexdigest()


def _fmt(v: float | None) -> str:
    if v is None:
        return ""
    return f"{v:g}" if abs(v) < 1e15 else str(v)


def quantity_sentence(q: Quantity) -> str:
    """A quantity as one line of text for search: ``battery power: 1 MW (2023, installed)``."""
    if q.missing:
        return f"{q.item}: not published ({q.note})" if q.note else f"{q.item}: not published"
    if q.value is not None:
        val = f"{_fmt(q.value)} {q.unit}"
    else:
        val = " / ".join(_fmt(v) for v in (q.low, q.mid, q.high) if v is not None) + f" {q.unit}"
    extra = ", ".join(x for x in (q.year, q.evidence) if x)
    return f"{q.item}: {val}" + (f" ({extra})" if extra else "")


def plain_text(markdown: str) -> str:
    """Strip table rows, heading marks and link targets from Markdown prose."""
    out = []
    for ln in markdown.split("\n"):
        s = ln.strip()
        if s.startswith("|"):
            continue
        s = re.sub(r"^#+\s*", "", s)
        s = _LINK.sub(r"\1", s).replace("**", "").replace("`", "")
        if s:
            out.append(s)
    return "\n".join(out)


KEYWORDS_SECTION = "Keywords"
"""The section name of the chunk that holds a record's front-matter ``keywords`` (searched, never shown as text)."""


def chunk_texts(rec: Record) -> list[ChunkText]:
    """One chunk per ``##`` section (tables rendered as sentences), plus one for the keywords."""
    chunks: list[ChunkText] = []
    for n, sec in enumerate(rec.sections):
        body = plain_text(sec.text)
        qs = [quantity_sentence(q) for q in rec.quantities if q.section == sec.title]
        text = "\n".join(x for x in (f"{rec.title} — {sec.title}", body, *qs) if x)
        chunks.append(ChunkText(n, sec.title, text))
    kw = rec.front.get("keywords")
    if isinstance(kw, list) and kw:
        words = ", ".join(str(k) for k in kw)
        chunks.append(ChunkText(len(chunks), KEYWORDS_SECTION, f"{rec.title} — {KEYWORDS_SECTION}\n{words}"))
    if not chunks:
        chunks.append(ChunkText(0, "Title", rec.title))
    return chunks


def record_row(rec: Record, origin: str = "file") -> RecordRow:
    """The record's row; ``path`` is its file relative to the corpus folder (set by ingest), never a server path.

    The front matter is stored as strict JSON: the parser refuses NaN and infinity, so none can reach it.
    """
    front = rec.front
    return RecordRow(
        id=rec.id, kind=rec.kind, title=rec.title, city=rec.city,
        scope=str(front.get("scope") or ("lighthouse" if rec.kind == "solution" else "")),
        status=str(front.get("status") or ""),
        categories=json.dumps(front.get("categories") or []),
        measure_types=json.dumps(front.get("measure_types") or []),
        front=json.dumps(front, default=str, ensure_ascii=False, allow_nan=False), body=rec.body, path=rec.path,
        display_path=rec.display_path, origin=origin,
        content_hash=rec.content_hash,
    )


def delete_record(session: Session, record_id: str) -> None:
    """Remove a record with all its parts, chunks and FTS rows, under a new data version (``kb.store.version``:
    :func:`write_record` goes through here, so every record write tells the replicas which record changed)."""
    version.touch(session, record_id)
    ids = list(session.exec(select(ChunkRow.id).where(ChunkRow.record_id == record_id)))
    fts.fts_delete(session, [i for i in ids if i is not None])
    for table in (ChunkRow, QuantityRow, BarrierRow, SourceRow, LinkRow):
        session.exec(delete(table).where(col(table.record_id) == record_id))
    session.exec(delete(RecordRow).where(col(RecordRow.id) == record_id))


def write_record(session: Session, rec: Record, chunks: list[ChunkText], vectors: dict[str, bytes],
                 model: str, dim: int, origin: str = "file") -> None:
    """Replace a record and all its parts; ``vectors`` maps chunk hashes to float32 embedding bytes."""
    delete_record(session, rec.id)
    session.add(record_row(rec, origin))
    session.flush()
    for s in rec.sources:
        session.add(SourceRow(record_id=rec.id, source_id=s.id, title=s.title, url=s.url,
                              publisher=s.publisher, year=s.year))
    for q in rec.quantities:
        session.add(QuantityRow(record_id=rec.id, section=q.section, item=q.item, key=q.key, value=q.value,
                                low=q.low, mid=q.mid, high=q.high, unit=q.unit, year=q.year,
                                evidence=q.evidence, sources="; ".join(q.sources), note=q.note,
                                missing=q.missing, line=q.line))
    for b in rec.barriers:
        session.add(BarrierRow(record_id=rec.id, title=b.title, type=b.type, phase=b.phase,
                               what_happened=b.what_happened, what_was_tried=b.what_was_tried,
                               outcome=b.outcome, source=b.source))
    for target, relation in _links(rec):
        session.merge(LinkRow(record_id=rec.id, target_id=target, relation=relation))
    for c in chunks:
        h = c.hash(model)
        row = ChunkRow(record_id=rec.id, ordinal=c.ordinal, section=c.section, text=c.text, content_hash=h,
                       model=model, dim=dim, embedding=vectors.get(h))
        session.add(row)
        session.flush()
        assert row.id is not None
        fts.fts_insert(session, row.id, rec.title, c.section, c.text, language=_str_or_none(rec.front.get("language")))


def _links(rec: Record) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    city = rec.front.get("city")
    if isinstance(city, str) and city:
        out.append((city, "city"))
    for mt in rec.front.get("measure_types") or []:
        out.append((str(mt), "measure_type"))
    for sid in rec.front.get("solutions") or []:
        out.append((str(sid), "solution"))
    return out


def known_vectors(session: Session, hashes: set[str]) -> dict[str, bytes]:
    """Embeddings already stored for these chunk hashes (so unchanged text is never embedded twice)."""
    out: dict[str, bytes] = {}
    hl = list(hashes)
    for i in range(0, len(hl), 500):
        stmt = select(ChunkRow.content_hash, ChunkRow.embedding).where(
            col(ChunkRow.content_hash).in_(hl[i:i + 500]), col(ChunkRow.embedding).is_not(None))
        for h, emb in session.exec(stmt):
            if emb is not None:  # always true (the query excludes NULL embeddings)
                out[h] = emb
    return out


def set_meta(session: Session, key: str, value: str) -> None:
    session.merge(MetaRow(key=key, value=value))


def get_meta(session: Session, key: str, default: str = "") -> str:
    row = session.get(MetaRow, key)
    return row.value if row else default


def front_of(row: RecordRow) -> dict[str, Any]:
    data = json.loads(row.front or "{}")
    return data if isinstance(data, dict) else {}


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None
