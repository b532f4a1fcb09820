"""The ingest run: parse and validate a tree of records, embed changed chunks, load all in one transaction."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import select

from kb.embeddings import Embedder, to_blob
from kb.records.errors import RecordError, RecordInvalid
from kb.records.model import Record
from kb.records.parse import parse_file
from kb.records.validate import validate_record, validate_references
from kb.store import database
from kb.store import write as store
from kb.store.tables import ChunkRow, RecordRow

Progress = Callable[[str], None]
EMBED_BATCH = 256


@dataclass
class IngestResult:
    """What one ingest run did."""

    records: int = 0
    chunks_embedded: int = 0
    removed: int = 0
    written: int = 0
    errors: list[RecordError] = field(default_factory=list)
    seconds: float = 0.0
    model_loaded: bool = False

    def to_dict(self) -> dict[str, object]:
        return {"records": self.records, "chunks_embedded": self.chunks_embedded, "removed": self.removed,
                "errors": [e.to_dict() for e in self.errors]}


def find_files(root: Path) -> list[Path]:
    """Record files under ``root``: every ``*.md`` except README.md (or ``root`` itself if a file)."""
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*.md") if p.name.lower() != "readme.md" and p.is_file())


def parse_tree(root: Path, progress: Progress | None = None) -> tuple[list[Record], list[RecordError], set[str]]:
    """Parse and validate every file; return valid records, errors and the paths of invalid files."""
    records: list[Record] = []
    errors: list[RecordError] = []
    bad_paths: set[str] = set()
    files = find_files(root)
    seen: dict[str, str] = {}
    for n, path in enumerate(files, start=1):
        display = str(path)
        try:
            rec, errs = parse_file(path, display)
        except RecordInvalid as exc:
            errors.extend(exc.errors)
            bad_paths.add(str(path.resolve()))
            continue
        except OSError as exc:
            errors.append(RecordError(display, 1, f"cannot read file: {exc.strerror or exc}"))
            bad_paths.add(str(path.resolve()))
            continue
        errs = errs + validate_record(rec)
        if not errs and rec.id in seen:
            errs.append(RecordError(display, rec.line_of("id"),
                                    f"duplicate id '{rec.id}': already used by {seen[rec.id]}"))
        if errs:
            errors.extend(errs)
            bad_paths.add(str(path.resolve()))
            continue
        seen[rec.id] = display
        rec.path = str(path.resolve())
        rec.display_path = display
        records.append(rec)
        if progress and (n % 25 == 0 or n == len(files)):
            progress(f"parsed {n}/{len(files)} files")
    return records, errors, bad_paths


def run_ingest(root: Path | str, db: Path | str, embedder: Embedder, strict: bool = False,
               progress: Progress | None = None) -> IngestResult:
    """Validate and load the records under ``root`` into ``db``; see README for the guarantees."""
    t0 = time.perf_counter()
    root = Path(root)
    result = IngestResult()
    if not root.exists():
        result.errors.append(RecordError(str(root), 0, "no such file or directory"))
        return result
    records, errors, bad_paths = parse_tree(root, progress)
    engine = database.get_engine(db)
    root_abs = root.resolve()
    with database.read_session(engine) as s:
        existing = {r.id: r for r in s.exec(select(RecordRow))}
        stored_model = store.get_meta(s, "model")
        chunk_models = {rid: m for rid, m in s.exec(select(ChunkRow.record_id, ChunkRow.model))}
    run_ids = {r.id for r in records}

    def in_scope(row: RecordRow) -> bool:
        if row.origin != "file" or not row.path:
            return False
        p = Path(row.path)
        return p == root_abs or root_abs in p.parents or not p.exists()

    removed = [rid for rid, row in existing.items()
               if rid not in run_ids and in_scope(row) and row.path not in bad_paths]
    others = {rid: row.kind for rid, row in existing.items() if rid not in run_ids and rid not in removed}
    while True:  # drop records whose references fail, until stable
        ref_errs = validate_references(records, others)
        if not ref_errs:
            break
        bad = {e.file for e in ref_errs}
        for e in ref_errs:
            display = next((r.display_path or r.path for r in records if r.path == e.file), e.file)
            errors.append(RecordError(str(display), e.line, e.message))
        bad_paths |= bad
        records = [r for r in records if r.path not in bad]
        removed = [rid for rid in removed if rid not in {r.id for r in records}]
    result.errors = errors
    if strict and errors:
        result.seconds = time.perf_counter() - t0
        return result
    model = embedder.name
    changed = [r for r in records
               if r.id not in existing or existing[r.id].content_hash != r.content_hash
               or existing[r.id].path != r.path or chunk_models.get(r.id) != model]
    chunks = {r.id: store.chunk_texts(r) for r in changed}
    hashes = {c.hash(model) for cs in chunks.values() for c in cs}
    with database.read_session(engine) as s:
        vectors = store.known_vectors(s, hashes)
    todo: list[tuple[str, str]] = []
    seen_h: set[str] = set()
    for cs in chunks.values():
        for c in cs:
            h = c.hash(model)
            if h not in vectors and h not in seen_h:
                seen_h.add(h)
                todo.append((h, c.text))
    dim = 0
    if todo:
        if progress:
            progress(f"embedding {len(todo)} chunks with {model}")
        todo.sort(key=lambda ht: len(ht[1]))  # similar lengths share a batch: less padding, same vectors
        for i in range(0, len(todo), EMBED_BATCH):
            batch = todo[i:i + EMBED_BATCH]
            vecs = embedder.encode([t for _, t in batch], batch_size=64)
            dim = vecs.shape[1]
            for (h, _), v in zip(batch, vecs, strict=True):
                vectors[h] = to_blob(v)
            if progress:
                progress(f"embedded {min(i + EMBED_BATCH, len(todo))}/{len(todo)} chunks")
        result.model_loaded = True
    if not dim and vectors:
        dim = len(next(iter(vectors.values()))) // 4
    with database.write_session(engine) as s:
        for rid in removed:
            store.delete_record(s, rid)
        for r in changed:
            store.write_record(s, r, chunks[r.id], vectors, model, dim)
        if changed or removed or stored_model != model:
            store.set_meta(s, "model", model)
            digest = hashlib.sha256("".join(sorted(r.content_hash for r in records)).encode()).hexdigest()
            store.set_meta(s, "corpus_version", digest[:12])
    result.records = len(records)
    result.chunks_embedded = len(todo)
    result.removed = len(removed)
    result.written = len(changed)
    result.seconds = time.perf_counter() - t0
    if progress:
        progress(f"{len(records)} records ({len(changed)} written, {len(removed)} removed), "
                 f"{len(todo)} chunks embedded, {len(errors)} errors in {result.seconds:.2f}s")
    return result
