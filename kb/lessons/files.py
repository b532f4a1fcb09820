"""Lessons and their files: ingest of ``solutions/lessons/*.md`` into lesson rows, file/app conflicts, export.

One lesson, one place: a lesson file becomes a lesson row (as a lesson written in the app is), and every published
lesson is one search record built from its row. The row remembers its file (``file_path``), the SHA-256 of the
file's text as last ingested or exported (``file_hash``) and the lesson version that text holds (``file_version``).

The rule when a file is ingested again: the file changed (its hash is not ``file_hash``) and the app holds an
edit that was not exported (``version`` is not ``file_version``) is a *conflict*, unless both say the same. Without
a choice nothing changes for that lesson: the app version stays live, the file stays on disk, and the conflict is
reported. ``prefer="files"`` makes the file's text the new version (audited as an ``ingest`` by ``files``; the
app's text stays in the audit log as its ``before``); ``prefer="app"`` keeps the app version (audited as
``ingest-kept-app`` with the file's text as ``before``) and accepts the file's hash, so that ``kb lessons export``
may write the app version over the file. A changed file without an app edit is simply ingested; an app edit
with an unchanged file stays.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from kb.accounts import Actor, require
from kb.lessons.format import (
    Lesson,
    content_of,
    extras_from_record,
    input_from_record,
    text_hash,
    to_markdown,
    to_record,
)
from kb.lessons.input import LessonInvalid, validate_create
from kb.lessons.service import audit, index_lesson, set_content
from kb.records.errors import RecordError
from kb.records.model import Record
from kb.store import database
from kb.store import write as store
from kb.store.tables import ChunkRow, LessonRow, RecordRow

FILES = Actor.system("files")
"""Who an ingest of lesson files acts as in the audit log."""
PREFER: tuple[str, ...] = ("files", "app")
"""The operator's choices for a conflict between a changed file and an unexported app edit."""
LESSONS_DIR = "lessons"
"""Where a lesson written in the app is exported, inside the corpus folder: ``lessons/<id>.md``."""


@dataclass(frozen=True)
class LessonConflict:
    """A lesson whose file changed (or went) while the app holds an edit that was not exported."""

    id: str
    path: str
    version: int
    file_version: int
    removed: bool = False
    resolved: str = ""  # "", "files" or "app"

    def __str__(self) -> str:
        what = "its file was removed" if self.removed else "its file changed"
        edit = (f"the app holds version {self.version}, not exported (the file holds version {self.file_version})"
                if self.file_version else f"the app holds version {self.version}, never exported to this file")
        if self.resolved == "files":
            return (f"{self.path}: lesson '{self.id}': {what} and {edit}; the file's text was taken "
                    "(--prefer files; the app's text is kept in the lesson's audit log)")
        if self.resolved == "app":
            return (f"{self.path}: lesson '{self.id}': {what} and {edit}; the app version was kept (--prefer app): "
                    "run 'kb lessons export' to write it to the file")
        return (f"{self.path}: lesson '{self.id}': {what} and {edit}; nothing was changed for this lesson (the app "
                "version stays live, the file stays as it is): ingest again with --prefer files or --prefer app")

    def to_dict(self) -> dict[str, object]:
        return {"id": self.id, "path": self.path, "version": self.version, "file_version": self.file_version,
                "removed": self.removed, "resolved": self.resolved}


@dataclass
class _Step:
    """One change to a lesson row decided by :func:`plan_sync`, applied by :func:`apply_sync`."""

    action: str  # create | update | archive | bind | keep-app
    lesson: Lesson  # the lesson after the step
    base: int  # the row version the step was decided on (0: no row)
    file_path: str
    file_hash: str
    file_version: int
    before: dict[str, Any] | None = None
    audit_as: str = ""


@dataclass
class LessonSync:
    """What an ingest does to the lessons: row changes, the lessons whose search record is (re)written, conflicts."""

    steps: list[_Step] = field(default_factory=list)
    index: dict[str, Lesson] = field(default_factory=dict)  # id → the lesson to index (published) or unindex
    conflicts: list[LessonConflict] = field(default_factory=list)
    errors: list[RecordError] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: {"created": 0, "updated": 0, "archived": 0,
                                                             "unchanged": 0})

    def records(self) -> dict[str, Record]:
        """The search records to write (published lessons), by id, for embedding their chunks."""
        return {i: to_record(les) for i, les in self.index.items() if les.status == "published"}


def _now() -> datetime:
    return datetime.now(UTC)


def _when(value: Any) -> datetime | None:
    """A front-matter time (``created``/``updated``, as :func:`kb.lessons.format.to_markdown` writes them)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        dt = datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    return dt if dt is None or dt.tzinfo else dt.replace(tzinfo=UTC)


def lesson_from_file(rec: Record, key: str, version: int, created: datetime, now: datetime) -> Lesson:
    """The lesson a parsed lesson file says, at ``version``; raise :class:`LessonInvalid` when the file breaks a
    lesson rule (the same rules as the editor's)."""
    data = input_from_record(rec)
    data["author"] = str(rec.front.get("author") or "")
    data["status"] = str(rec.front.get("status") or "published")
    inp = validate_create(data)
    return Lesson(id=rec.id, title=inp.title, city=inp.city, solutions=inp.solutions,
                  measure_types=inp.measure_types, phase=inp.phase, barrier_type=inp.barrier_type,
                  summary=inp.summary, what_happened=inp.what_happened, what_was_tried=inp.what_was_tried,
                  outcome=inp.outcome, outcome_note=inp.outcome_note, applies_when=inp.applies_when,
                  sources=[x.to_front() for x in inp.sources], **extras_from_record(rec), author=inp.author or "",
                  status=inp.status, version=version, created_at=created, updated_at=now, file_path=key)


def plan_sync(engine: Engine, files: list[Record], gone: Callable[[str], bool], model: str,
              prefer: str | None = None) -> LessonSync:
    """Decide what an ingest of these valid lesson files (``path`` relative to the corpus) does to the lesson rows.

    ``gone(key)`` is true when the file ``key`` is answered for by this run (in its scope, not kept back) and so a
    lesson whose file is not among ``files`` has lost it. Reads only; :func:`apply_sync` writes.
    """
    if prefer is not None and prefer not in PREFER:
        raise ValueError(f"prefer must be one of {', '.join(PREFER)}")
    out = LessonSync()
    now = _now()
    with database.read_session(engine) as s:
        rows = {r.id: r for r in s.exec(select(LessonRow))}
        for r in rows.values():
            s.expunge(r)
        indexed = {r.id: (r.kind, r.content_hash) for r in s.exec(select(RecordRow).where(
            col(RecordRow.id).in_(list(rows) + [f.id for f in files])))}
        chunk_models = dict(s.exec(select(ChunkRow.record_id, ChunkRow.model).where(
            col(ChunkRow.record_id).in_(list(rows) + [f.id for f in files]))).all())
    seen: set[str] = set()
    for rec in files:
        seen.add(rec.id)
        row = rows.get(rec.id)
        try:
            if row is None:  # a new lesson: the times its file states (an exported lesson), else now
                les = lesson_from_file(rec, rec.path, 1, _when(rec.front.get("created")) or now,
                                       _when(rec.front.get("updated")) or now)
                out.steps.append(_Step("create", les, 0, rec.path, rec.content_hash, 1, audit_as="ingest"))
                out.counts["created"] += 1
                continue
            current = Lesson.from_row(row)
            theirs = lesson_from_file(rec, rec.path, row.version + 1, current.created_at, now)
        except LessonInvalid as exc:
            out.errors.append(RecordError(rec.display_path or rec.path, 1, f"lesson '{rec.id}': {exc}"))
            continue
        _plan_one(out, row, current, theirs, rec, prefer)
    for row in rows.values():
        if row.id in seen or not row.file_path or not row.file_hash or not gone(row.file_path):
            continue
        _plan_gone(out, row, Lesson.from_row(row), now, prefer)
    changed = {st.lesson.id: st.lesson for st in out.steps if st.action in ("create", "update", "archive")}
    out.index.update(changed)
    for lid, row in rows.items():  # the others: a record missing, stale, embedded by another model, or not due
        if lid in changed:
            continue
        les = Lesson.from_row(row)
        kind, chash = indexed.get(lid, ("", ""))
        if les.status == "published":
            if kind == "" or (kind == "lesson" and (chash != to_record(les).content_hash
                                                    or chunk_models.get(lid) != model)):
                out.index[lid] = les
        elif kind == "lesson":
            out.index[lid] = les
    return out


def _plan_one(out: LessonSync, row: LessonRow, current: Lesson, theirs: Lesson, rec: Record,
              prefer: str | None) -> None:
    key, h = rec.path, rec.content_hash
    file_changed = h != row.file_hash
    app_edited = row.version != row.file_version
    if content_of(theirs) == content_of(current):  # both say the same: only remember the file
        if file_changed or row.file_path != key or app_edited:
            out.steps.append(_Step("bind", current, row.version, key, h, row.version))
        out.counts["unchanged"] += 1
        return
    if not file_changed:  # the file is as last seen: an app edit (if any) stays
        if row.file_path != key:
            out.steps.append(_Step("bind", current, row.version, key, h, row.file_version))
        out.counts["unchanged"] += 1
        return
    if app_edited and row.file_version == 0 and not current.extra_front and not current.extra_sections and \
            {**content_of(theirs), "extra_front": {}, "extra_sections": []} == content_of(current):
        app_edited = False  # a lesson imported from this file before rows kept a file's extras: not an app edit
    if app_edited:
        conflict = LessonConflict(row.id, rec.display_path or key, row.version, row.file_version)
        if prefer is None:
            out.conflicts.append(conflict)
            return
        out.conflicts.append(replace(conflict, resolved=prefer))
        if prefer == "app":
            out.steps.append(_Step("keep-app", current, row.version, key, h, row.file_version,
                                   before=theirs.to_json(), audit_as="ingest-kept-app"))
            return
    out.steps.append(_Step("update", theirs, row.version, key, h, theirs.version, before=current.to_json(),
                           audit_as="ingest"))
    out.counts["updated"] += 1


def _plan_gone(out: LessonSync, row: LessonRow, current: Lesson, now: datetime, prefer: str | None) -> None:
    """The lesson's file is no longer in the corpus: archive the lesson (nothing is deleted), unless the app holds
    an edit that was not exported, which is a conflict."""
    if row.version != row.file_version:
        conflict = LessonConflict(row.id, row.file_path, row.version, row.file_version, removed=True)
        if prefer is None:
            out.conflicts.append(conflict)
            return
        out.conflicts.append(replace(conflict, resolved=prefer))
        if prefer == "app":  # the file counts as gone: the next export writes the app version back
            out.steps.append(_Step("keep-app", current, row.version, row.file_path, "", row.file_version,
                                   audit_as="ingest-kept-app"))
            return
    if current.status == "archived":
        out.steps.append(_Step("bind", current, row.version, row.file_path, "", row.version))
        return
    gone = replace(current, status="archived", version=row.version + 1, updated_at=now)
    out.steps.append(_Step("archive", gone, row.version, row.file_path, "", gone.version,
                           before=current.to_json(), audit_as="ingest"))
    out.counts["archived"] += 1


def apply_sync(s: Session, sync: LessonSync, vectors: dict[str, bytes], model: str, dim: int) -> None:
    """Write the planned lesson changes inside the ingest's write transaction. A lesson changed in the app since
    :func:`plan_sync` read it is left as it is (reported as an error: ingest again)."""
    if sync.steps:
        database.serialize(s, "lesson-ids")  # a lesson created in the app meanwhile cannot take a file's id
    for st in sync.steps:
        row = s.get(LessonRow, st.lesson.id, with_for_update=True)  # PostgreSQL: locked until the commit
        if (row.version if row is not None else 0) != st.base:
            sync.index.pop(st.lesson.id, None)
            sync.errors.append(RecordError(st.file_path, 1, f"lesson '{st.lesson.id}' was changed in the app during "
                                                            "the ingest; it was left as it is: ingest again"))
            continue
        if row is None:
            row = LessonRow(id=st.lesson.id, title=st.lesson.title, created_at=st.lesson.created_at)
        if st.action in ("create", "update", "archive"):
            set_content(row, st.lesson)
            row.updated_at = st.lesson.updated_at
        row.file_path, row.file_hash, row.file_version = st.file_path, st.file_hash, st.file_version
        s.add(row)
        s.flush()
        if st.audit_as:
            after = st.lesson.to_json()
            audit(s, FILES, st.audit_as, st.before, after, st.lesson.id, st.lesson.version)
    for les in sync.index.values():
        index_lesson(s, les, vectors, model, dim)


# --- export ---------------------------------------------------------------------------------------------------

@dataclass
class ExportResult:
    """What an export did: the files written, those already up to date, and those refused (with why)."""

    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def disk_hash(path: Path) -> str:
    """The hash of a file's text as ingest computes it; "" when there is no such file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return ""
    return text_hash(data.decode("utf-8-sig", errors="replace"))


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def export_lessons(engine: Engine, actor: Actor, corpus: Path) -> ExportResult:
    """Write each lesson back to its own file in the corpus folder: a lesson from a file to that file, a published
    lesson written in the app to ``lessons/<id>.md``; record the export on the row (hash, version, time; audited).

    A file that changed on disk since it was last ingested or exported is never overwritten (refused: ingest it
    first, choosing ``--prefer``); nor is a file of that name that is not the lesson's own. An unedited lesson whose
    file is as last seen is left alone (``unchanged``), so an export touches only what changed.
    """
    require(actor, "staff", "exporting lessons to files")
    out = ExportResult()
    with database.read_session(engine) as s:
        rows = list(s.exec(select(LessonRow).order_by(LessonRow.id)))
        for r in rows:
            s.expunge(r)
    for row in rows:
        if not row.file_path and row.status != "published":
            continue  # a draft written in the app has no file yet
        les = Lesson.from_row(row)
        key = row.file_path or f"{LESSONS_DIR}/{row.id}.md"
        target = corpus / key
        on_disk = disk_hash(target)
        if row.file_path and on_disk != row.file_hash and on_disk:
            out.refused.append(f"{key}: the file changed since it was last ingested or exported; not overwritten "
                               "(ingest it first: kb ingest --prefer files|app)")
            continue
        if not row.file_path and on_disk:
            out.refused.append(f"{key}: a file of this name exists that is not lesson '{row.id}''s own; not "
                               "overwritten (ingest it first)")
            continue
        if row.file_path and row.version == row.file_version and (on_disk or not row.file_hash):
            out.unchanged.append(key)  # the file holds this version, or its removal was ingested (archived)
            continue
        les.file_path = key
        text = to_markdown(les)
        _write_atomic(target, text)
        h = text_hash(text)
        with database.write_session(engine) as s:
            cur = s.get(LessonRow, row.id, with_for_update=True)
            if cur is None:
                continue
            cur.file_path, cur.file_hash, cur.file_version = key, h, row.version  # the version written, even if
            cur.exported_hash, cur.exported_at = h, _now()                       # the app moved on meanwhile
            s.add(cur)
            audit(s, actor, "export", None, {"file_path": key, "file_hash": h}, row.id, row.version)
        out.written.append(key)
    return out


def file_state(engine: Engine, lesson_id: str) -> dict[str, Any]:
    """Where a lesson stands with its file: path, hashes, the version the file holds, the last export, and whether
    the app holds an edit not yet exported (``unexported``)."""
    with database.read_session(engine) as s:
        row = s.get(LessonRow, lesson_id)
        if row is None:
            return {}
        return {"file_path": row.file_path, "file_hash": row.file_hash, "file_version": row.file_version,
                "exported_hash": row.exported_hash,
                "exported_at": row.exported_at.isoformat() if row.exported_at else None,
                "unexported": bool(row.file_path) and row.version != row.file_version,
                "extra_front": json.loads(row.extra_front or "{}")}


def chunk_texts(sync: LessonSync) -> dict[str, list[store.ChunkText]]:
    """The search chunks of the records :func:`apply_sync` will write, by lesson id (ingest embeds them)."""
    return {i: store.chunk_texts(rec) for i, rec in sync.records().items()}
