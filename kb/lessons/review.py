"""Review before publishing: draft → in review → published by a staff member other than the lesson's last author.

The rules (the service functions ``submit_lesson``, ``approve_lesson``, ``send_back_lesson`` and ``publish_lesson``
in :mod:`kb.lessons.service` apply them; this module holds them and reads what they need from the audit log):

- Staff submit a draft for review (``submit``). A reviewer (staff or admin) then publishes it (audit action
  ``publish``) or sends it back to draft with a comment the author sees (``send-back``, the comment stored on the
  audit row).
- The reviewer must be another person than the lesson's *last author*: the last actor whose audit row changed
  its content (creation, or an edit of a content field). Status changes do not make anyone an author.
- An admin who is the last author may publish anyway (``override``); the audit row then says "published by admin X
  overriding the four-eyes rule". Staff cannot override.
- An edit of a lesson in review withdraws it to draft (the edit is audited with that note); it is submitted again.
  An edit of a published lesson keeps it published (audited like every edit) - published lessons stay directly
  editable by staff; a second review of such edits is not built.
- System actors (:meth:`kb.accounts.Actor.system`: the operator at the command line, imports of Markdown files,
  seeds) publish directly, from draft or review, without review: they have the database file anyway. Restoring a
  backup writes rows as they were and involves no workflow.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from kb.accounts import Actor, require
from kb.errors import Forbidden, InvalidInput
from kb.lessons.format import CONTENT_FIELDS, Lesson
from kb.store import database
from kb.store.tables import LessonAuditRow, LessonRow

__all__ = ["IN_REVIEW", "COMMENT_MAX", "ReviewRefused", "CommentInvalid", "Feedback", "last_author", "approval_note",
           "check_comment", "edit_note", "not_in_review", "direct_note", "feedback", "awaiting_review",
           "last_author_of", "WITHDRAWN", "DIRECT_PUBLISH"]

IN_REVIEW = "in-review"
COMMENT_MAX = 2000
WITHDRAWN = "withdrawn from review by this edit: submit it again when it is ready"
DIRECT_PUBLISH = ("only the operator and imports publish a lesson directly; save it as a draft and submit it for "
                  "review")
_DECISIONS = ("submit", "send-back", "publish")
_DO = {"publish": "publish it", "send back": "send it back"}
_DONE = {"publish": "published", "send back": "sent back"}


class ReviewRefused(Forbidden):
    """The reviewer is the lesson's last author (the four-eyes rule); ``str(exc)`` says who may review instead."""

    def __init__(self, message: str, author: str) -> None:
        super().__init__(message)
        self.author = author


class CommentInvalid(InvalidInput, ValueError):
    """A send-back without a comment, or one that is too long (``too_long``)."""

    def __init__(self, message: str, too_long: bool = False) -> None:
        super().__init__(message)
        self.too_long = too_long


def _changed_content(row: LessonAuditRow) -> bool:
    if row.before is None:
        return True
    before, after = json.loads(row.before), json.loads(row.after or "{}")
    return any(before.get(f) != after.get(f) for f in CONTENT_FIELDS)


def last_author(s: Session, lesson_id: str, version: int) -> str:
    """The actor of the newest audit row up to ``version`` that created the lesson or changed its content."""
    stmt = (select(LessonAuditRow).where(LessonAuditRow.lesson_id == lesson_id, col(LessonAuditRow.version) <= version)
            .order_by(col(LessonAuditRow.id).desc()))
    for row in s.exec(stmt):
        if _changed_content(row):
            return row.actor
    return ""


def approval_note(reviewer: Actor, author: str, title: str, override: bool, verb: str = "publish") -> str:
    """The audit note of a review decision by ``reviewer``; raises :class:`ReviewRefused` if ``reviewer`` is the last
    author (unless an admin overrides, which only publishing allows)."""
    if reviewer.name != author:
        return f"reviewed by {reviewer.name}; last author {author or 'unknown'}"
    if override and verb == "publish" and reviewer.at_least("admin"):
        return f"published by admin {reviewer.name} overriding the four-eyes rule (the last author of its content)"
    extra = " An admin may publish it anyway by overriding the rule." if verb == "publish" else (
        " To take it back, edit it: an edit withdraws it to draft.")
    raise ReviewRefused(f"You last changed '{title}', so you cannot {_DO.get(verb, verb)}: another staff member "
                        f"must review it (the four-eyes rule).{extra}", author)


def check_comment(comment: str | None) -> str:
    """The send-back comment, stripped; it must say something and stay under :data:`COMMENT_MAX` characters."""
    text = (comment or "").strip()
    if not text:
        raise CommentInvalid("a comment is required when sending a lesson back: tell the author what to change")
    if len(text) > COMMENT_MAX:
        raise CommentInvalid(f"the comment is {len(text)} characters long; at most {COMMENT_MAX} are allowed",
                             too_long=True)
    return text


def not_in_review(title: str, status: str, verb: str) -> str:
    """Why a review decision does not apply to a lesson of this status."""
    if status == "draft":
        return (f"'{title}' is a draft: it is submitted for review first, then another staff member can "
                f"{_DO.get(verb, verb)}")
    return f"'{title}' is {status.replace('-', ' ')}, not in review: it cannot be {_DONE.get(verb, verb)}"


def direct_note(publisher: Actor) -> str:
    return f"published directly by {publisher.name} (the operator or an import: not reviewed)"


def edit_note(action: str, before: dict[str, Any], after: dict[str, Any]) -> str | None:
    """The note of an edit that withdrew a lesson from review."""
    if action == "update" and before.get("status") == IN_REVIEW and after.get("status") == "draft":
        return WITHDRAWN
    return None


@dataclass(frozen=True)
class Feedback:
    """A reviewer's comment on a lesson sent back to draft."""

    reviewer: str
    at: datetime
    comment: str
    version: int


def feedback(engine: Engine, actor: Actor, lesson_id: str) -> Feedback | None:
    """The comment of the last send-back while the lesson is a draft that has not been submitted again (staff)."""
    require(actor, "staff", "reading a review comment")
    with database.read_session(engine) as s:
        row = s.get(LessonRow, lesson_id)
        if row is None or row.status != "draft":
            return None
        stmt = (select(LessonAuditRow).where(LessonAuditRow.lesson_id == lesson_id,
                                             col(LessonAuditRow.action).in_(_DECISIONS))
                .order_by(col(LessonAuditRow.id).desc()))
        last = s.exec(stmt).first()
    if last is None or last.action != "send-back":
        return None
    at = last.at if last.at.tzinfo else last.at.replace(tzinfo=UTC)
    return Feedback(reviewer=last.actor, at=at, comment=last.note or "", version=last.version)


def last_author_of(engine: Engine, actor: Actor, lesson: Lesson) -> str:
    """Who last changed the content of ``lesson`` (at its version), for the editor to say who may review (staff)."""
    require(actor, "staff", "reading who wrote a lesson")
    with database.read_session(engine) as s:
        return last_author(s, lesson.id, lesson.version)


def awaiting_review(engine: Engine, actor: Actor) -> list[Lesson]:
    """Lessons in review that ``actor`` may decide on (its last author is someone else), longest waiting first."""
    require(actor, "staff", "listing lessons in review")
    with database.read_session(engine) as s:
        rows = s.exec(select(LessonRow).where(LessonRow.status == IN_REVIEW)
                      .order_by(col(LessonRow.updated_at), LessonRow.id)).all()
        return [Lesson.from_row(r) for r in rows if last_author(s, r.id, r.version) != actor.name]
