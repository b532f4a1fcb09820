"""Lessons learned: create, edit, review, publish, archive with roles, an audit log and optimistic concurrency."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from kb.accounts import ANONYMOUS, Actor, PermissionDenied, require
from kb.embeddings import Embedder, to_blob
from kb.errors import Conflict, KbError, NotFound
from kb.lessons import review
from kb.lessons.format import CONTENT_FIELDS, EXTRA_FIELDS, Lesson, to_markdown, to_record
from kb.lessons.input import (
    LessonCreate,
    LessonInvalid,
    LessonUpdate,
    cited_problems,
    validate_create,
    validate_update,
)
from kb.store import database
from kb.store import write as store
from kb.store.tables import LessonAuditRow, LessonRow, RecordRow
from kb.text import fold

__all__ = ["Lesson", "LessonCreate", "LessonUpdate", "LessonInvalid", "LessonNotFound", "StaleEdit",
           "LessonStateError", "PermissionDenied", "create_lesson", "update_lesson", "publish_lesson",
           "archive_lesson", "restore_lesson", "get_lesson", "list_lessons", "history", "reference_options",
           "export_zip", "submit_lesson", "approve_lesson", "send_back_lesson", "ReviewRefused"]

ReviewRefused = review.ReviewRefused


LESSON_ORIGIN = "lesson"
"""The ``origin`` of a lesson's search record: built from the lesson row (older databases say ``app``)."""


class LessonError(KbError):
    """Base of lesson errors; ``str(exc)`` is a message for the user."""


class LessonNotFound(LessonError, NotFound, LookupError):
    """No lesson with this id is visible to the caller."""


class StaleEdit(LessonError, Conflict):
    """The lesson changed since the form was loaded: saving would overwrite someone else's edit."""

    def __init__(self, lesson: Lesson, loaded: int, by: str) -> None:
        super().__init__(
            f"'{lesson.title}' was changed by {by or 'someone'} at {lesson.updated_at:%Y-%m-%d %H:%M} UTC "
            f"(now version {lesson.version}; your form has version {loaded}). Nothing was saved: reload the "
            "lesson and apply your changes again.")
        self.current = lesson
        self.loaded = loaded


class LessonStateError(LessonError, Conflict):
    """The action does not apply to the lesson's status (e.g. editing an archived lesson)."""


def _now() -> datetime:
    return datetime.now(UTC)


def _snapshot(row: LessonRow) -> dict[str, Any]:
    return Lesson.from_row(row).to_json()


def _audit(s: Session, actor: Actor, action: str, before: dict[str, Any] | None,
           after: dict[str, Any] | None, lesson_id: str, version: int, note: str | None = None) -> None:
    s.add(LessonAuditRow(lesson_id=lesson_id, version=version, action=action, actor=actor.name,
                         role=actor.role, at=_now(), note=note,
                         before=json.dumps(before, ensure_ascii=False) if before is not None else None,
                         after=json.dumps(after, ensure_ascii=False) if after is not None else None))


# --- references ----------------------------------------------------------------------------------------------

def _reference_problems(s: Session, data: Mapping[str, Any]) -> list[tuple[str, str]]:
    wanted = {str(data["city"]), *data["solutions"], *data["measure_types"]}
    kinds = dict(s.exec(select(RecordRow.id, RecordRow.kind).where(col(RecordRow.id).in_(wanted))).all())
    out: list[tuple[str, str]] = []
    if kinds.get(data["city"]) != "city":
        out.append(("city", f"unknown city '{data['city']}': no city record has this id"))
    out += [("solutions", f"unknown solution '{x}': no solution record has this id")
            for x in data["solutions"] if kinds.get(x) != "solution"]
    out += [("measure_types", f"unknown measure type '{x}': no measure_type record has this id")
            for x in data["measure_types"] if kinds.get(x) != "measure_type"]
    return out


def reference_options(engine: Engine) -> dict[str, list[tuple[str, str]]]:
    """``{"city"|"solution"|"measure_type": [(id, title)]}`` for the editor's choices."""
    out: dict[str, list[tuple[str, str]]] = {"city": [], "solution": [], "measure_type": []}
    with database.read_session(engine) as s:
        stmt = select(RecordRow.id, RecordRow.title, RecordRow.kind).where(col(RecordRow.kind).in_(list(out)))
        for rid, title, kind in s.exec(stmt.order_by(RecordRow.id)):
            out[kind].append((rid, title))
    return out


def _slug(title: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", fold(title)).strip("-")[:60].strip("-")
    return f"lesson-{base}" if base else "lesson"


def _free_id(s: Session, wanted: str | None, title: str) -> str:
    def taken(i: str) -> bool:
        return s.get(LessonRow, i) is not None or s.get(RecordRow, i) is not None

    if wanted:  # an imported lesson may share its id with the same lesson loaded from a file
        rec = s.get(RecordRow, wanted)
        if s.get(LessonRow, wanted) is not None or (rec is not None and rec.kind != "lesson"):
            raise LessonInvalid([("id", f"the id '{wanted}' is already used by another lesson or record")])
        return wanted
    base = _slug(title)
    n, cand = 1, base
    while taken(cand):
        n += 1
        cand = f"{base}-{n}"
    return cand


# --- writing -------------------------------------------------------------------------------------------------

def create_lesson(engine: Engine, actor: Actor, data: LessonCreate | Mapping[str, Any],
                  embedder: Embedder | None = None) -> Lesson:
    """Create a draft (staff or admin); a stated status is applied afterwards (``in-review``: submitted;
    ``published``: only for system actors, see :mod:`kb.lessons.review`; ``archived``)."""
    require(actor, "staff", "writing a lesson")
    inp = validate_create(data)
    if inp.status == "published" and not actor.is_system:
        raise LessonStateError(review.DIRECT_PUBLISH)
    now = _now()
    with database.write_session(engine) as s:
        problems = _reference_problems(s, inp.model_dump())
        if problems:
            raise LessonInvalid(problems)
        database.serialize(s, "lesson-ids")  # the free id is decided and taken in one step (PostgreSQL)
        lesson_id = _free_id(s, inp.id, inp.title)
        row = LessonRow(id=lesson_id, title=inp.title, city=inp.city, solutions=json.dumps(inp.solutions),
                        measure_types=json.dumps(inp.measure_types), phase=inp.phase,
                        barrier_type=inp.barrier_type, summary=inp.summary, what_happened=inp.what_happened,
                        what_was_tried=inp.what_was_tried, outcome=inp.outcome, outcome_note=inp.outcome_note,
                        applies_when=inp.applies_when,
                        sources=json.dumps([x.to_front() for x in inp.sources], ensure_ascii=False),
                        author=inp.author or actor.name, status="draft", version=1, created_at=now,
                        updated_at=now)
        s.add(row)
        s.flush()
        _audit(s, actor, "create", None, _snapshot(row), lesson_id, 1)
        lesson = Lesson.from_row(row)
    if inp.status == "published":
        return publish_lesson(engine, actor, lesson.id, lesson.version, embedder)
    if inp.status == "archived":
        return archive_lesson(engine, actor, lesson.id, lesson.version)
    if inp.status == review.IN_REVIEW:
        return submit_lesson(engine, actor, lesson.id, lesson.version)
    return lesson


Change = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class _Plan:
    before: dict[str, Any]
    after: dict[str, Any]
    vectors: dict[str, bytes]
    model: str
    dim: int


def _load(engine: Engine, lesson_id: str) -> LessonRow:
    with database.read_session(engine) as s:
        row = s.get(LessonRow, lesson_id)
        if row is None:
            raise LessonNotFound(f"no lesson with id '{lesson_id}'")
        s.expunge(row)
        return row


def _last_editor(s: Session, lesson_id: str) -> str:
    stmt = select(LessonAuditRow.actor).where(LessonAuditRow.lesson_id == lesson_id)
    return s.exec(stmt.order_by(col(LessonAuditRow.id).desc())).first() or ""


def _embed(lesson: Lesson, engine: Engine, embedder: Embedder | None) -> tuple[dict[str, bytes], str, int]:
    if embedder is None:
        raise LessonStateError("publishing needs the embedding model (pass an embedder)")
    chunks = store.chunk_texts(to_record(lesson))
    hashes = {c.hash(embedder.name): c.text for c in chunks}
    with database.read_session(engine) as s:
        vectors = store.known_vectors(s, set(hashes))
    todo = [h for h in hashes if h not in vectors]
    if todo:
        for h, v in zip(todo, embedder.encode([hashes[h] for h in todo]), strict=True):
            vectors[h] = to_blob(v)
    dim = len(next(iter(vectors.values()))) // 4 if vectors else 0
    return vectors, embedder.name, dim


def _change(engine: Engine, actor: Actor, lesson_id: str, version: int, action: str, change: Change,
            embedder: Embedder | None = None, note: str | None = None) -> Lesson:
    """Apply ``change`` to the lesson at ``version``; audit it; keep the search index in step with the status.

    Embedding happens before the write transaction; inside it (BEGIN IMMEDIATE) the version is checked
    again, so two saves of the same version can never both succeed.
    """
    row = _load(engine, lesson_id)
    current = Lesson.from_row(row)
    if current.version != version:
        with database.read_session(engine) as s:
            raise StaleEdit(current, version, _last_editor(s, lesson_id))
    before = current.to_json()
    after = change(dict(before))
    if after == before:
        return current
    now = _now()
    after.update(version=version + 1, updated_at=now.isoformat())
    new = Lesson(**{**after, "created_at": current.created_at, "updated_at": now})
    plan = _Plan(before, new.to_json(), {}, "", 0)
    note = note or review.edit_note(action, before, after)
    if new.status == "published":
        plan.vectors, plan.model, plan.dim = _embed(new, engine, embedder)
    with database.write_session(engine) as s:
        cur = s.get(LessonRow, lesson_id, with_for_update=True)  # PostgreSQL: locked until the commit
        assert cur is not None
        if cur.version != version:
            raise StaleEdit(Lesson.from_row(cur), version, _last_editor(s, lesson_id))
        set_content(cur, new)
        cur.updated_at = now
        s.add(cur)
        _audit(s, actor, action, plan.before, plan.after, lesson_id, new.version, note)
        index_lesson(s, new, plan.vectors, plan.model, plan.dim)
    return new


def set_content(row: LessonRow, lesson: Lesson) -> None:
    """Copy what ``lesson`` says (fields, extras, status, version, author) onto its row; lists and mappings as JSON."""
    for key in (*CONTENT_FIELDS, *EXTRA_FIELDS, "status", "version", "author"):
        value = getattr(lesson, key)
        setattr(row, key, json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else value)


def index_lesson(s: Session, lesson: Lesson, vectors: dict[str, bytes], model: str, dim: int) -> None:
    """Keep the lesson's search record in step with the lesson: a published lesson is one record of kind lesson
    (origin ``lesson``, built from the row, wherever the lesson came from); any other status has none. A record of
    another kind that holds the id is never touched."""
    indexed = s.get(RecordRow, lesson.id)
    if indexed is not None and indexed.kind != "lesson":
        return
    if lesson.status == "published":
        rec = to_record(lesson)
        store.write_record(s, rec, store.chunk_texts(rec), vectors, model, dim, origin=LESSON_ORIGIN)
    elif indexed is not None:
        store.delete_record(s, lesson.id)


def audit(s: Session, actor: Actor, action: str, before: dict[str, Any] | None, after: dict[str, Any] | None,
          lesson_id: str, version: int) -> None:
    """Add one entry to a lesson's audit log (inside the caller's write transaction); staff or admin only."""
    require(actor, "staff", "writing a lesson's audit log")
    _audit(s, actor, action, before, after, lesson_id, version)


def embed_lesson(lesson: Lesson, engine: Engine, embedder: Embedder | None) -> tuple[dict[str, bytes], str, int]:
    """The vectors of a lesson's search chunks (known ones reused), the model name and the dimension."""
    return _embed(lesson, engine, embedder)


def update_lesson(engine: Engine, actor: Actor, lesson_id: str, data: LessonUpdate | Mapping[str, Any],
                  embedder: Embedder | None = None) -> Lesson:
    """Save edits made on the lesson at ``data.version``; a stale version raises :class:`StaleEdit`.

    Editing a published lesson re-embeds it (pass the embedder) and keeps it published; editing a lesson in
    review withdraws it to draft; archived lessons must be restored first.
    """
    require(actor, "staff", "editing a lesson")
    upd = validate_update(data)
    given = upd.model_dump(exclude_unset=True, exclude={"version"})
    if "sources" in given:
        given["sources"] = [x.to_front() for x in (upd.sources or [])]
    given = {k: v for k, v in given.items() if v is not None}

    def change(state: dict[str, Any]) -> dict[str, Any]:
        if state["status"] == "archived":
            raise LessonStateError(f"'{state['title']}' is archived: restore it before editing")
        changed = any(state[k] != v for k, v in given.items())
        state.update(given)
        if changed and state["status"] == review.IN_REVIEW:
            state["status"] = "draft"
        problems = cited_problems(state)
        if problems:
            raise LessonInvalid(problems)
        return state

    if any(k in given for k in ("city", "solutions", "measure_types")):
        merged = {**Lesson.from_row(_load(engine, lesson_id)).to_json(), **given}
        with database.read_session(engine) as s:
            problems = _reference_problems(s, merged)
        if problems:
            raise LessonInvalid(problems)
    return _change(engine, actor, lesson_id, upd.version, "update", change, embedder)


def _set_status(status: str, allowed_from: tuple[str, ...], verb: str) -> Change:
    def change(state: dict[str, Any]) -> dict[str, Any]:
        if state["status"] not in allowed_from:
            raise LessonStateError(f"'{state['title']}' is {state['status']}: it cannot be {verb}")
        state["status"] = status
        return state

    return change


def publish_lesson(engine: Engine, actor: Actor, lesson_id: str, version: int,
                   embedder: Embedder | None, override: bool = False) -> Lesson:
    """Publish a lesson: it is embedded and becomes a search record of kind lesson.

    A system actor (the operator, an import) publishes a draft or a lesson in review directly; a person (staff or
    admin) publishes only a lesson in review, as its reviewer: :func:`approve_lesson`.
    """
    require(actor, "staff", "publishing a lesson")
    if not actor.is_system:
        return approve_lesson(engine, actor, lesson_id, version, embedder, override)
    return _change(engine, actor, lesson_id, version, "publish",
                   _set_status("published", ("draft", review.IN_REVIEW), "published"), embedder,
                   review.direct_note(actor))


def archive_lesson(engine: Engine, actor: Actor, lesson_id: str, version: int) -> Lesson:
    """Archive a lesson instead of deleting it; it leaves the search index and stays in the audit log."""
    require(actor, "staff", "archiving a lesson")
    return _change(engine, actor, lesson_id, version, "archive",
                   _set_status("archived", ("draft", review.IN_REVIEW, "published"), "archived"))


def restore_lesson(engine: Engine, actor: Actor, lesson_id: str, version: int) -> Lesson:
    """Bring an archived lesson back as a draft."""
    require(actor, "staff", "restoring a lesson")
    return _change(engine, actor, lesson_id, version, "restore", _set_status("draft", ("archived",), "restored"))


# --- review before publishing (the rules: kb.lessons.review) -----------------------------------------------

def submit_lesson(engine: Engine, actor: Actor, lesson_id: str, version: int) -> Lesson:
    """Submit a draft for review (staff or admin); a staff member other than its last author then decides."""
    require(actor, "staff", "submitting a lesson for review")
    return _change(engine, actor, lesson_id, version, "submit",
                   _set_status(review.IN_REVIEW, ("draft",), "submitted for review"))


def _decision_note(engine: Engine, actor: Actor, lesson_id: str, version: int, verb: str, override: bool) -> str:
    """The four-eyes check of a review decision at ``version`` (a stale version is left to :func:`_change`)."""
    row = _load(engine, lesson_id)
    if row.version != version:
        return ""
    if row.status != review.IN_REVIEW:
        raise LessonStateError(review.not_in_review(row.title, row.status, verb))
    with database.read_session(engine) as s:
        author = review.last_author(s, lesson_id, version)
    return review.approval_note(actor, author, row.title, override, verb)


def approve_lesson(engine: Engine, actor: Actor, lesson_id: str, version: int, embedder: Embedder | None,
                   override: bool = False) -> Lesson:
    """Publish a lesson in review as its reviewer (staff or admin other than its last author; an admin who is the
    last author may ``override``, and the audit row says so). Raises :class:`ReviewRefused` for self-review."""
    require(actor, "staff", "publishing a lesson")
    note = _decision_note(engine, actor, lesson_id, version, "publish", override)
    return _change(engine, actor, lesson_id, version, "publish",
                   _set_status("published", (review.IN_REVIEW,), "published"), embedder, note or None)


def send_back_lesson(engine: Engine, actor: Actor, lesson_id: str, version: int, comment: str | None) -> Lesson:
    """Send a lesson in review back to draft with a comment for its author (a reviewer other than its last author).
    The comment is stored on the audit row; :func:`kb.lessons.review.feedback` shows it until it is submitted again."""
    require(actor, "staff", "sending a lesson back")
    text = review.check_comment(comment)
    _decision_note(engine, actor, lesson_id, version, "send back", False)
    return _change(engine, actor, lesson_id, version, "send-back",
                   _set_status("draft", (review.IN_REVIEW,), "sent back"), note=text)


# --- reading -------------------------------------------------------------------------------------------------

def _visible(actor: Actor, status: str) -> bool:
    return status == "published" or actor.at_least("staff")


def get_lesson(engine: Engine, lesson_id: str, actor: Actor = ANONYMOUS) -> Lesson:
    """One lesson; drafts and archived lessons only for staff and admins."""
    row = _load(engine, lesson_id)
    if not _visible(actor, row.status):
        raise LessonNotFound(f"no lesson with id '{lesson_id}'")
    return Lesson.from_row(row)


def list_lessons(engine: Engine, actor: Actor = ANONYMOUS, status: str | None = None, city: str | None = None,
                 solution: str | None = None, phase: str | None = None, barrier_type: str | None = None,
                 outcome: str | None = None, text: str | None = None) -> list[Lesson]:
    """Lessons visible to ``actor`` (published only for visitors and viewers), newest change first."""
    with database.read_session(engine) as s:
        stmt = select(LessonRow).order_by(col(LessonRow.updated_at).desc(), LessonRow.id)
        for column, value in ((LessonRow.status, status), (LessonRow.city, city), (LessonRow.phase, phase),
                              (LessonRow.barrier_type, barrier_type), (LessonRow.outcome, outcome)):
            if value:
                stmt = stmt.where(column == value)
        rows = [Lesson.from_row(r) for r in s.exec(stmt)]
    out = [les for les in rows if _visible(actor, les.status)]
    if solution:
        out = [les for les in out if solution in les.solutions]
    if text and text.strip():
        words = fold(text).split()
        out = [les for les in out if all(w in fold(" ".join(
            str(getattr(les, f)) for f in CONTENT_FIELDS)) for w in words)]
    return out


def history(engine: Engine, actor: Actor, lesson_id: str) -> list[dict[str, Any]]:
    """The audit log of a lesson, oldest first: who, when, action, version, changed fields, before/after."""
    require(actor, "staff", "reading a lesson's history")
    with database.read_session(engine) as s:
        stmt = select(LessonAuditRow).where(LessonAuditRow.lesson_id == lesson_id)
        rows = list(s.exec(stmt.order_by(col(LessonAuditRow.id))))
    out = []
    for r in rows:
        before = json.loads(r.before) if r.before else None
        after = json.loads(r.after) if r.after else None
        changed = sorted(k for k in (after or {}) if k not in ("version", "updated_at")
                         and (before or {}).get(k) != (after or {}).get(k))
        at = r.at if r.at.tzinfo else r.at.replace(tzinfo=UTC)
        out.append({"at": at, "actor": r.actor, "role": r.role, "action": r.action, "version": r.version,
                    "changed": changed, "before": before, "after": after, "note": r.note or ""})
    return out


def export_zip(engine: Engine) -> tuple[bytes, int]:
    """Every published lesson as a Markdown record (``lessons/ID.md``, as ``kb lessons export`` writes them) in a
    zip, and how many; the files can be committed under ``solutions/lessons/`` so that git keeps them."""
    published = sorted(list_lessons(engine, ANONYMOUS), key=lambda x: x.id)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for les in published:
            zf.writestr(les.file_path or f"lessons/{les.id}.md", to_markdown(les))
    return buf.getvalue(), len(published)
