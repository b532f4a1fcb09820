""""New since your last visit": when each user last opened the Lessons page, and which lessons changed since."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import col, select

from kb.accounts import Actor
from kb.lessons.format import Lesson
from kb.store import database
from kb.store.tables import LessonAuditRow, LessonVisitRow, UserRow

__all__ = ["NEW", "CHANGED", "last_visit", "begin_visit", "changes_since"]

NEW = "new"
CHANGED = "changed"


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def last_visit(engine: Engine, actor: Actor) -> datetime | None:
    """When ``actor`` last opened the Lessons page (None: never, anonymous, or not an account)."""
    if actor.is_anonymous:
        return None
    with database.read_session(engine) as s:
        user_id = s.exec(select(UserRow.id).where(UserRow.name == actor.name)).first()
        row = s.get(LessonVisitRow, user_id) if user_id is not None else None
        return _aware(row.visited_at) if row is not None else None


def begin_visit(engine: Engine, actor: Actor, now: datetime | None = None) -> datetime | None:
    """Record that ``actor`` opens the Lessons page now and return the previous visit (None: the first, or no
    account: anonymous visitors and the CLI operator leave no trace). Read and write are one transaction, so two
    tabs opening at once both get the same previous visit."""
    if actor.is_anonymous:
        return None
    now = now or datetime.now(UTC)
    with database.write_session(engine) as s:
        user_id = s.exec(select(UserRow.id).where(UserRow.name == actor.name)).first()
        if user_id is None:
            return None
        database.serialize(s, f"visit:{user_id}")  # PostgreSQL: two first visits at once insert one row
        row = s.get(LessonVisitRow, user_id)
        previous = _aware(row.visited_at) if row is not None else None
        if row is None:
            row = LessonVisitRow(user_id=user_id, visited_at=now)
        elif previous is None or previous < now:
            row.visited_at = now
        s.add(row)
    return previous


def changes_since(engine: Engine, found: Sequence[Lesson], since: datetime, reader: Actor | None = None
                  ) -> dict[str, str]:
    """For the published lessons among ``found`` changed after ``since``: ``{id: NEW | CHANGED}``.

    A lesson is new when it was created after ``since`` or first published after it (a draft finished today is new
    to its readers); otherwise changed when its last change came after ``since``. Changes the ``reader`` made
    themselves are no news to them: a lesson whose every change since was theirs is left out.
    """
    since = _aware(since)
    recent = [les for les in found if les.status == "published" and les.updated_at > since]
    if not recent:
        return {}
    ids = [les.id for les in recent]
    first_publish: dict[str, datetime] = {}
    changed_after: dict[str, set[str]] = {}  # who changed each lesson after ``since``
    with database.read_session(engine) as s:
        stmt = select(LessonAuditRow.lesson_id, LessonAuditRow.at, LessonAuditRow.action, LessonAuditRow.actor).where(
            col(LessonAuditRow.lesson_id).in_(ids))
        for lesson_id, at, action, who in s.exec(stmt):
            at = _aware(at)
            if action == "publish" and (lesson_id not in first_publish or at < first_publish[lesson_id]):
                first_publish[lesson_id] = at
            if at > since:
                changed_after.setdefault(lesson_id, set()).add(who)
    out: dict[str, str] = {}
    for les in recent:
        if reader is not None and changed_after.get(les.id) == {reader.name}:
            continue
        published = first_publish.get(les.id)
        is_new = les.created_at > since or (published is not None and published > since)
        out[les.id] = NEW if is_new else CHANGED
    return out

