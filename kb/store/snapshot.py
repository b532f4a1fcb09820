"""What search keeps in memory (chunk vectors, record facets), loaded whole or refreshed for a few changed records.

Plain SQL (JSON front matter parsed in Python), so the same code serves SQLite and PostgreSQL. :func:`refresh`
replaces only the changed records' chunks and facets in an existing snapshot: a published lesson costs its own few
rows, not a reload of every vector (see ``tests/benchmarks/bench_publish.py``).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

import numpy as np
from sqlalchemy import bindparam, text
from sqlmodel import Session

INCREMENTAL_SHARE = 0.5
"""A refresh of more than this share of the records (or more than ``INCREMENTAL_MIN``) reloads the whole snapshot:
at that point replacing rows costs as much as reading them all."""
INCREMENTAL_MIN = 64


class IndexRecord(TypedDict):
    """One record as search keeps it: identity, display fields and the values of each list facet."""

    id: str
    kind: str
    title: str
    city: str
    status: str
    category: list[str]
    measure_type: list[str]
    barrier_type: list[str]
    evidence: list[str]


@dataclass
class IndexData:
    """Everything search keeps in memory: one row per chunk plus the facet values of each record."""

    chunk_ids: np.ndarray                       # int64, sorted
    chunk_record: np.ndarray                    # int32 index into ``records``
    chunk_section: list[str]
    vectors: np.ndarray                         # float32, unit rows; zero rows where no embedding
    has_vector: np.ndarray                      # bool
    model: str
    records: list[IndexRecord]                  # sorted by id


def _json_list(raw: object) -> list[str]:
    try:
        data = json.loads(str(raw or "[]"))
    except ValueError:
        return []
    return [str(x) for x in data] if isinstance(data, list) else []


def _where(column: str, ids: Collection[str] | None) -> tuple[str, dict[str, Any], list[Any]]:
    """A ``WHERE`` restricting ``column`` to ``ids`` (None: every row), its parameters and bind parameters."""
    if ids is None:
        return "", {}, []
    return f" WHERE {column} IN :ids", {"ids": sorted(ids)}, [bindparam("ids", expanding=True)]


def _query(session: Session, sql: str, column: str, ids: Collection[str] | None, suffix: str = "",
           order: str = "1") -> Sequence[Any]:
    where, params, binds = _where(column, ids)
    if suffix:
        suffix = (" AND " if where else " WHERE ") + suffix
    stmt = text(f"{sql}{where}{suffix} ORDER BY {order}")
    return list(session.execute(stmt.bindparams(*binds) if binds else stmt, params=params))


def _records(session: Session, ids: Collection[str] | None) -> list[IndexRecord]:
    """The records (all, or those of ``ids`` that exist) with their facet values, sorted by id (in Python: the
    database's collation may differ, and a refreshed snapshot must keep the same order as a whole load)."""
    recs: list[IndexRecord] = []
    by_id: dict[str, IndexRecord] = {}
    lesson_fronts: dict[str, str] = {}
    for rid, kind, title, city, status, cats, mts, front in _query(
            session, "SELECT id, kind, title, city, status, categories, measure_types, "
                     "CASE WHEN kind = 'lesson' THEN front END FROM record", "id", ids):
        rec: IndexRecord = {"id": rid, "kind": kind, "title": title, "city": city or "", "status": status or "",
                            "category": _json_list(cats), "measure_type": _json_list(mts),
                            "barrier_type": [], "evidence": []}
        by_id[rid] = rec
        recs.append(rec)
        if front:
            lesson_fronts[rid] = str(front)
    for rid, btype in _query(session, "SELECT DISTINCT record_id, type FROM barrier", "record_id", ids,
                             order="1, 2"):
        if rid in by_id and btype:
            by_id[rid]["barrier_type"].append(btype)
    for rid, ev in _query(session, "SELECT DISTINCT record_id, evidence FROM quantity", "record_id", ids,
                          "evidence != ''", order="1, 2"):
        if rid in by_id:
            by_id[rid]["evidence"].append(ev)
    for rid, front in lesson_fronts.items():  # a lesson's barrier type rides in its front matter
        try:
            btype = json.loads(front).get("barrier_type")
        except (ValueError, AttributeError):
            btype = None
        bts = by_id[rid]["barrier_type"]
        if isinstance(btype, str) and btype and btype not in bts:
            bts.append(btype)
    recs.sort(key=lambda r: r["id"])
    return recs


def _chunks(session: Session, ids: Collection[str] | None) -> list[Any]:
    return list(_query(session, "SELECT id, record_id, section, dim, model, embedding FROM chunk", "record_id", ids))


def _vectors(rows: Sequence[Any], dim: int, model: str) -> tuple[np.ndarray, np.ndarray]:
    """The unit-length vectors of chunk rows (zero rows where none of this model and dimension) and which exist."""
    vectors = np.zeros((len(rows), dim), dtype=np.float32)
    has = np.zeros(len(rows), dtype=bool)
    for i, r in enumerate(rows):
        blob = r[5]
        if blob is not None and int(r[3]) == dim and len(blob) == 4 * dim and str(r[4]) == model:
            vectors[i] = np.frombuffer(blob, dtype=np.float32, count=dim)
            has[i] = True
    if len(rows) and dim:
        norms = np.linalg.norm(vectors, axis=1)
        norms[norms == 0] = 1.0
        vectors /= norms[:, None]
    return vectors, has


def load_index(session: Session, dim_hint: int | None = None) -> IndexData:
    """Read every chunk (with embeddings) and record facet; vectors are re-normalised to unit length. The model
    and dimension are the most common among the stored vectors."""
    recs = _records(session, None)
    rec_index = {r["id"]: i for i, r in enumerate(recs)}
    rows = [r for r in _chunks(session, None) if r[1] in rec_index]
    dims = [int(r[3]) for r in rows if r[5] is not None and r[3]]
    dim = max(set(dims), key=dims.count) if dims else (dim_hint or 0)
    models = [str(r[4]) for r in rows if r[5] is not None]
    model = max(set(models), key=models.count) if models else ""
    vectors, has = _vectors(rows, dim, model)
    return IndexData(
        chunk_ids=np.array([int(r[0]) for r in rows], dtype=np.int64),
        chunk_record=np.array([rec_index[r[1]] for r in rows], dtype=np.int32),
        chunk_section=[str(r[2]) for r in rows], vectors=vectors, has_vector=has, model=model, records=recs)


def refresh(session: Session, idx: IndexData, changed: set[str]) -> IndexData | None:
    """``idx`` with the records of ``changed`` read again (their chunks and facets replaced, a deleted one dropped);
    None when a whole reload is due instead: too many changes, or vectors of another model or dimension than the
    snapshot's (a model change re-embeds everything)."""
    if not changed:
        return idx
    if len(changed) > max(INCREMENTAL_MIN, INCREMENTAL_SHARE * len(idx.records)):
        return None
    new_recs = _records(session, changed)
    present = {r["id"] for r in new_recs}
    rows = [r for r in _chunks(session, changed) if r[1] in present]
    dim = int(idx.vectors.shape[1])
    for r in rows:
        if r[5] is not None and (not idx.model or str(r[4]) != idx.model or int(r[3]) != dim):
            return None
    records = sorted([r for r in idx.records if r["id"] not in changed] + new_recs, key=lambda r: r["id"])
    rec_index = {r["id"]: i for i, r in enumerate(records)}
    rec_keep = np.array([r["id"] not in changed for r in idx.records], dtype=bool)
    keep = rec_keep[idx.chunk_record] if len(idx.chunk_record) else np.zeros(0, dtype=bool)
    remap = np.array([rec_index.get(r["id"], -1) for r in idx.records], dtype=np.int32)
    vectors, has = _vectors(rows, dim, idx.model)
    chunk_ids = np.concatenate([idx.chunk_ids[keep], np.array([int(r[0]) for r in rows], dtype=np.int64)])
    chunk_record = np.concatenate([remap[idx.chunk_record[keep]] if len(remap) else np.zeros(0, dtype=np.int32),
                                   np.array([rec_index[r[1]] for r in rows], dtype=np.int32)]).astype(np.int32)
    sections = [s for s, k in zip(idx.chunk_section, keep, strict=True) if k] + [str(r[2]) for r in rows]
    all_vectors = np.concatenate([idx.vectors[keep], vectors])
    all_has = np.concatenate([idx.has_vector[keep], has])
    order = np.argsort(chunk_ids, kind="stable")
    return IndexData(chunk_ids=chunk_ids[order], chunk_record=chunk_record[order],
                     chunk_section=[sections[i] for i in order], vectors=all_vectors[order],
                     has_vector=all_has[order], model=idx.model, records=records)
