"""The ingest run: parse and validate a tree of records, embed changed chunks, load all in one transaction."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import select

from kb.embeddings import Embedder, to_blob
from kb.lessons import files as lesson_files
from kb.lessons import format as lesson_format
from kb.lessons.files import LessonConflict
from kb.records import errors as record_errors
from kb.records import model as record_model
from kb.records import parse as record_parse
from kb.records import validate as record_validate
from kb.records.errors import RecordError, RecordInvalid
from kb.records.model import Record
from kb.records.parse import parse_file
from kb.records.validate import validate_record, validate_references
from kb.store import database, tables, version
from kb.store import write as store
from kb.store.tables import ChunkRow, LessonRow, RecordRow

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
    lessons: dict[str, int] = field(default_factory=dict)
    conflicts: list[LessonConflict] = field(default_factory=list)
    skipped: bool = False  # nothing changed since the last clean run (:func:`run_ingest_if_changed`)

    @property
    def unresolved(self) -> list[LessonConflict]:
        """Lessons whose file changed while the app holds an unexported edit, left as they were (no ``prefer``)."""
        return [c for c in self.conflicts if not c.resolved]

    def to_dict(self) -> dict[str, object]:
        return {"records": self.records, "chunks_embedded": self.chunks_embedded, "removed": self.removed,
                "errors": [e.to_dict() for e in self.errors], "lessons": self.lessons,
                "lesson_conflicts": [c.to_dict() for c in self.conflicts]}


def _outside(path: Path, corpus: Path) -> bool:
    """True when ``path`` (followed through every symbolic link) leads outside the folder ``corpus``."""
    try:
        return not path.resolve().is_relative_to(corpus)
    except (OSError, RuntimeError):  # a link loop counts as outside: nothing sane lies behind it
        return True


def walk_corpus(root: Path, corpus: Path | None = None) -> tuple[list[Path], list[RecordError], list[Path]]:
    """Record files under ``root`` (every ``*.md`` except README.md, or ``root`` itself if a file), in path order.

    A file or folder reached through a symbolic link that leads outside ``corpus`` (default ``root``) is refused
    with ``path: reason``; a linked folder that stays inside is not followed (its files are found where they are).
    Returns the files, those errors and the folders that could not be read.
    """
    corpus_abs = (corpus or (root if root.is_dir() else root.parent)).resolve()
    outside = "is a symbolic link that leads outside the corpus folder; records must live inside it"
    if root.is_file():
        if _outside(root, corpus_abs):
            return [], [RecordError(str(root), 0, outside)], []
        return [root], [], []
    files: list[Path] = []
    errors: list[RecordError] = []
    unreadable: list[Path] = []

    def fail(exc: OSError) -> None:
        where = Path(exc.filename) if exc.filename else root
        unreadable.append(where)
        errors.append(RecordError(str(where), 0, f"cannot read folder: {exc.strerror or exc}; "
                                                 "its records stay as they were"))

    for dirpath, dirnames, filenames in os.walk(root, onerror=fail):
        here = Path(dirpath)
        for d in sorted(dirnames):
            if (here / d).is_symlink() and _outside(here / d, corpus_abs):
                errors.append(RecordError(str(here / d), 0, f"folder {outside}"))
        for f in filenames:
            path = here / f
            if not f.endswith(".md") or f.lower() == "readme.md" or not path.is_file():
                continue  # a dangling link is a file that is gone
            if path.is_symlink() and _outside(path, corpus_abs):
                errors.append(RecordError(str(path), 0, f"file {outside}"))
                continue
            files.append(path)
    files.sort(key=lambda q: q.relative_to(root).parts)
    return files, errors, unreadable


def find_files(root: Path) -> list[Path]:
    """``root`` itself if a file (named on purpose), else the record files :func:`walk_corpus` finds under it."""
    return [root] if root.is_file() else walk_corpus(root)[0]


def _corpus_of(root: Path, corpus_root: Path | None) -> tuple[Path, str]:
    """The corpus folder (resolved) and the prefix of ``root`` inside it ("" when ``root`` is the corpus)."""
    base = root if root.is_dir() else root.parent
    corpus = (corpus_root or base).resolve()
    here = root.resolve() if root.is_dir() else root.parent.resolve() / root.name
    if not here.is_relative_to(corpus):
        corpus = base.resolve()
    return corpus, here.relative_to(corpus).as_posix() if here != corpus else ""


def _key(path: Path, root: Path, prefix: str) -> str:
    """Where a walked file lies, relative to the corpus folder, as stored in ``record.path``."""
    rel = path.relative_to(root).as_posix() if path != root else ""
    return "/".join(x for x in (prefix, rel) if x and x != ".")


def parse_tree(root: Path, progress: Progress | None = None,
               corpus_root: Path | None = None) -> tuple[list[Record], list[RecordError], set[str]]:
    """Parse and validate every file; return valid records, errors and the paths of invalid files.

    Each record's ``path`` is its file relative to the corpus folder (``corpus_root``, default ``root``), the key of
    its identity; ``display_path`` is the path as walked, which errors name. Two valid files with the same id are
    both returned: :func:`claim_ids` decides between them with what the database knows.
    """
    records: list[Record] = []
    corpus, prefix = _corpus_of(root, corpus_root)
    files, errors, unreadable = walk_corpus(root, corpus)
    bad_paths: set[str] = {_key(d, root, prefix) for d in unreadable}
    bad_paths |= {_key(Path(e.file), root, prefix) for e in errors}
    for n, path in enumerate(files, start=1):
        display = str(path)
        key = _key(path, root, prefix)
        try:
            rec, errs = parse_file(path, display)
        except RecordInvalid as exc:
            errors.extend(exc.errors)
            bad_paths.add(key)
            continue
        except OSError as exc:
            errors.append(RecordError(display, 1, f"cannot read file: {exc.strerror or exc}"))
            bad_paths.add(key)
            continue
        errs = errs + validate_record(rec)
        if errs:
            errors.extend(errs)
            bad_paths.add(key)
            continue
        rec.path = key
        rec.display_path = display
        records.append(rec)
        if progress and (n % 25 == 0 or n == len(files)):
            progress(f"parsed {n}/{len(files)} files")
    return records, errors, bad_paths


def stored_key(path: str, corpus: Path) -> str:
    """A stored ``record.path`` as a corpus-relative key; rows written before paths were relative held the resolved
    absolute file, which becomes relative when it lies in ``corpus`` and stays absolute (foreign) otherwise."""
    p = Path(path)
    if path and p.is_absolute() and p.is_relative_to(corpus):
        return p.relative_to(corpus).as_posix()
    return path


def _under(key: str, prefix: str) -> bool:
    return not prefix or key == prefix or key.startswith(prefix + "/")


def claim_ids(records: list[Record], owners: dict[str, tuple[str, str]],
              held: Callable[[str], bool]) -> tuple[list[Record], list[RecordError], set[str]]:
    """Decide which file may hold each id; return the records kept, the refusals and the keys of refused files.

    ``owners`` maps an id in the database to its file's key and the path to name it by; ``held(key)`` is true when
    that file is not read validly in this run yet keeps what it had (invalid now, unreadable, or outside this run).
    The owner keeps its id while its file still claims it or is held; any other file claiming the id is refused,
    naming the owner. An id nobody holds (new, or its file gone or now holding another id) goes to a file only when
    exactly one claims it: when several claim it, every one is refused, each naming the others, whatever their
    order (sorting first is no way to take a record over).
    """
    by_id: dict[str, list[Record]] = {}
    for r in records:
        by_id.setdefault(r.id, []).append(r)
    kept: list[Record] = []
    errors: list[RecordError] = []
    refused: set[str] = set()

    def refuse(r: Record, why: str) -> None:
        errors.append(RecordError(r.display_path, r.line_of("id"), f"duplicate id '{r.id}': {why}"))
        refused.add(r.path)

    for r in records:
        claimants = by_id[r.id]
        owner = owners.get(r.id)
        if owner is not None:
            key, name = owner
            if r.path == key:
                kept.append(r)
                continue
            here = next((c for c in claimants if c.path == key), None)
            if here is not None or held(key):
                refuse(r, f"it belongs to {here.display_path if here else name}; this file cannot take it over "
                          "(give it another id)")
                continue
        if len(claimants) > 1:
            others = ", ".join(c.display_path for c in claimants if c is not r)
            refuse(r, f"also claimed by {others}; none of these files is loaded until each has its own id")
        else:
            kept.append(r)
    return kept, errors, refused


def run_ingest(root: Path | str, db: Path | str, embedder: Embedder, strict: bool = False,
               progress: Progress | None = None, corpus_root: Path | str | None = None,
               prefer: str | None = None) -> IngestResult:
    """Validate and load the records under ``root`` into ``db``; see README for the guarantees.

    Lesson files become lesson rows (:mod:`kb.lessons.files`); a lesson whose file changed while the app holds an
    edit that was not exported is a conflict, left as it was unless ``prefer`` ("files" or "app") decides it.

    Record paths are stored relative to ``corpus_root`` (default: ``root``, or its folder when ``root`` is a file),
    so a database follows its corpus to another folder or server; ingesting a part of the corpus (a sub-folder or a
    file) should name the whole corpus here, or its records would read as other files.
    """
    t0 = time.perf_counter()
    root = Path(root)
    result = IngestResult()
    if not root.exists():
        result.errors.append(RecordError(str(root), 0, "no such file or directory"))
        return result
    corpus, prefix = _corpus_of(root, Path(corpus_root) if corpus_root is not None else None)
    records, errors, bad_paths = parse_tree(root, progress, corpus)
    engine = database.get_engine(db)
    with database.ingest_lock(engine):  # PostgreSQL: two replicas never ingest at once (SQLite: its write lock)
        with database.read_session(engine) as s:
            existing = {r.id: r for r in s.exec(select(RecordRow))}
            stored_model = store.get_meta(s, "model")
            chunk_models = {rid: m for rid, m in s.exec(select(ChunkRow.record_id, ChunkRow.model))}
            lesson_files_held = {lid: path for lid, path in s.exec(select(LessonRow.id, LessonRow.file_path)) if path}
        keys = {rid: stored_key(row.path, corpus) for rid, row in existing.items()}

        def in_scope(key: str) -> bool:
            """A stored file this run answers for: under ``root``, or gone (a foreign absolute path counts as under the
            whole corpus: it was loaded from outside it, through a link or another root)."""
            if not key:
                return False
            p = Path(key)
            if p.is_absolute():
                return not prefix or not p.exists()
            return _under(key, prefix) or not (corpus / key).exists()

        def kept_back(key: str) -> bool:  # invalid this run, or in a folder that could not be read: keep what was
            return any(_under(key, bad) for bad in bad_paths)

        owners = {rid: (keys[rid], row.display_path or keys[rid]) for rid, row in existing.items()
                  if row.origin == "file" and keys[rid]}
        for lid, path in lesson_files_held.items():  # a lesson's file owns its id as a record's file does
            owners.setdefault(lid, (path, path))
        records, claim_errors, refused = claim_ids(records, owners, lambda k: kept_back(k) or not in_scope(k))
        errors.extend(claim_errors)
        bad_paths |= refused
        run_ids = {r.id for r in records}
        removed = [rid for rid, row in existing.items()
                   if rid not in run_ids and row.origin == "file" and in_scope(keys[rid]) and not kept_back(keys[rid])]
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
        lesson_recs = [r for r in records if r.kind == "lesson"]  # lessons go to the lesson rows, indexed from there
        sync = lesson_files.plan_sync(engine, lesson_recs, lambda k: in_scope(k) and not kept_back(k), embedder.name,
                                      prefer)
        errors.extend(sync.errors)
        result.errors = errors
        if strict and errors:
            result.seconds = time.perf_counter() - t0
            return result
        model = embedder.name
        changed = [r for r in records if r.kind != "lesson" and (
                   r.id not in existing or existing[r.id].content_hash != r.content_hash
                   or existing[r.id].path != r.path or existing[r.id].origin != "file"
                   or chunk_models.get(r.id) != model)]
        chunks = {r.id: store.chunk_texts(r) for r in changed}
        lesson_chunks = lesson_files.chunk_texts(sync)
        hashes = {c.hash(model) for cs in (*chunks.values(), *lesson_chunks.values()) for c in cs}
        with database.read_session(engine) as s:
            vectors = store.known_vectors(s, hashes)
        todo: list[tuple[str, str]] = []
        seen_h: set[str] = set()
        for cs in (*chunks.values(), *lesson_chunks.values()):
            for c in cs:
                h = c.hash(model)
                if h not in vectors and h not in seen_h:
                    seen_h.add(h)
                    todo.append((h, c.text))
        dim = 0
        if todo:
            database.check_writable(engine)  # a read-only or locked database: say so before minutes of embedding
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
            lesson_files.apply_sync(s, sync, vectors, model, dim)
            if changed or removed or sync.steps or sync.index or stored_model != model:
                store.set_meta(s, "model", model)
                digest = hashlib.sha256("".join(sorted(r.content_hash for r in records)).encode()).hexdigest()
                store.set_meta(s, "corpus_version", digest[:12])
                version.bump(s)  # pages cache what they derive from the records under the data version
        result.errors = errors + [e for e in sync.errors if e not in errors]  # a lesson edited in the app meanwhile
        result.lessons = sync.counts
        result.conflicts = sync.conflicts
        result.records = len(records)
        result.chunks_embedded = len(todo)
        result.removed = len(removed)
        result.written = len(changed) + len(sync.index)
        result.seconds = time.perf_counter() - t0
        if progress:
            progress(f"{len(records)} records ({result.written} written, {len(removed)} removed), "
                     f"{len(todo)} chunks embedded, {len(errors)} errors in {result.seconds:.2f}s")
        return result


FINGERPRINT_KEY = "ingest_fingerprint"
"""Meta key: the fingerprint of the last clean run of :func:`run_ingest_if_changed` and its record count."""
_CODE_FILES = (__file__, record_model.__file__, record_parse.__file__, record_validate.__file__,
               record_errors.__file__, lesson_files.__file__, lesson_format.__file__, store.__file__, tables.__file__)
"""The code that decides what a run parses, refuses and writes: a new version of it runs the ingest again."""


def corpus_fingerprint(root: Path, engine: Any, model: str) -> str | None:
    """What a run of :func:`run_ingest` over ``root`` depends on, as one hash: every record file's path and bytes,
    the model, the ingest code (:data:`_CODE_FILES`) and the database's records, lessons and chunks as they are.
    None when a file or folder cannot be read (a run reports it; nothing is skipped)."""
    files, errors, unreadable = walk_corpus(root)
    if errors or unreadable:
        return None
    h = hashlib.sha256()
    for source in _CODE_FILES:
        h.update((Path(source).read_bytes() if source else b"") + b"\0")
    h.update(f"{model}\0{root.resolve()}\0".encode())
    try:
        for path in files:
            h.update(f"{_key(path, root, '')}\0".encode() + hashlib.sha256(path.read_bytes()).digest())
    except OSError:
        return None
    try:
        with database.read_session(engine) as s:
            for query in ("SELECT * FROM record ORDER BY id", "SELECT * FROM lesson ORDER BY id",
                          "SELECT count(*), max(id), coalesce(sum(id), 0) FROM chunk",
                          "SELECT DISTINCT model FROM chunk ORDER BY model",
                          "SELECT key, value FROM meta WHERE key IN ('model', 'corpus_version') ORDER BY key"):
                for row in s.execute(text(query)):
                    h.update(repr(tuple(row)).encode())
    except SQLAlchemyError:  # a database the app cannot read as it is: the run says why
        return None
    return h.hexdigest()


def run_ingest_if_changed(root: Path | str, db: Path | str, embedder: Embedder,
                          progress: Progress | None = None) -> IngestResult:
    """:func:`run_ingest` of ``root`` (the whole corpus), skipped when nothing it depends on changed since its last
    clean run here (:func:`corpus_fingerprint`: no file, model, ingest code or database row changed): a restart of
    the app then reads 85 files' bytes instead of parsing them (seconds). A run with errors or lesson conflicts is
    never skipped next time, so it reports them again. The result of a skipped run has ``skipped`` set."""
    t0 = time.perf_counter()
    root = Path(root)
    engine = database.get_engine(db)
    if root.is_dir():
        fingerprint = corpus_fingerprint(root, engine, embedder.name)
        with database.read_session(engine) as s:
            stored = store.get_meta(s, FINGERPRINT_KEY)
        last = json.loads(stored) if stored else {}
        if fingerprint and isinstance(last, dict) and last.get("fingerprint") == fingerprint:
            result = IngestResult(records=int(last.get("records", 0)), skipped=True)
            result.seconds = time.perf_counter() - t0
            if progress:
                progress(f"{result.records} records, unchanged since the last run: nothing to do")
            return result
    result = run_ingest(root, db, embedder, progress=progress)
    if root.is_dir() and not result.errors and not result.conflicts:
        after = corpus_fingerprint(root, engine, embedder.name)
        if after:
            try:
                with database.write_session(engine) as s:
                    store.set_meta(s, FINGERPRINT_KEY, json.dumps({"fingerprint": after, "records": result.records}))
            except (database.DatabaseReadOnly, database.DatabaseBusy):
                pass  # not remembered: the next start runs the ingest again
    return result
