"""The review step on the lesson editor: status in words, the reviewer's comment, submit / publish / send back."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC

import streamlit as st
from babel.dates import format_datetime

from kb import accounts
from kb.i18n import N_
from kb.lessons import review
from kb.lessons import service as lessons
from kb.lessons.format import Lesson
from kb.text import escape_markdown
from kb.ui import state
from kb.ui.state import t

STATUS: dict[str, str] = {"draft": N_("Draft"), "in-review": N_("In review"), "published": N_("Published"),
                          "archived": N_("Archived")}
"""A lesson's status as the editor names it."""

Done = Callable[[Lesson, str], None]


_NOTES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^reviewed by (?P<reviewer>.+); last author (?P<author>.+)$"),
     N_("reviewed by {reviewer}; last author {author}")),
    (re.compile(r"^published by admin (?P<admin>.+) overriding the four-eyes rule \(the last author of its content\)$"),
     N_("published by admin {admin} overriding the four-eyes rule (the last author of its content)")),
    (re.compile(r"^published directly by (?P<who>.+) \(the operator or an import: not reviewed\)$"),
     N_("published directly by {who} (the operator or an import: not reviewed)")),
    (re.compile("^" + re.escape(review.WITHDRAWN) + "$"),
     N_("withdrawn from review by this edit: submit it again when it is ready")),
)


def note_text(action: str, note: str) -> str:
    """An audit row's note in the reader's language: the workflow's fixed sentences translated, a reviewer's
    comment (``send-back``) as written."""
    if action != "send-back":
        for pattern, message in _NOTES:
            m = pattern.match(note)
            if m:
                return t(message).format(**m.groupdict())
    return note


def status_label(status: str) -> str:
    return t(STATUS[status]) if status in STATUS else status


def panel(actor: accounts.Actor, lesson: Lesson) -> None:
    """The status in words and what it means for this reader; the comment of a send-back for the author."""
    st.markdown(t("Status: **{status}**").format(status=status_label(lesson.status)))
    note = review.feedback(state.engine(), actor, lesson.id)
    if note is not None:
        when = format_datetime(note.at, format="short", locale=state.locale(), tzinfo=UTC)
        st.warning(t("Sent back by {reviewer} at {when} UTC. Change the lesson and submit it for review again. "
                     "The reviewer's comment:").format(reviewer=escape_markdown(note.reviewer), when=when))
        st.text(note.comment)
    if lesson.status == review.IN_REVIEW:
        author = review.last_author_of(state.engine(), actor, lesson)
        if author == actor.name:
            st.info(t("You last changed this lesson, so another staff member reviews it (the four-eyes rule). "
                      "Editing it withdraws it from review."))
        else:
            st.info(t("Waiting for review: {author} last changed it. Publish it, or send it back with a comment."
                      ).format(author=escape_markdown(author or t("someone"))))


def actions(actor: accounts.Actor, lesson: Lesson, version: int, done: Done,
            refusal: Callable[[Exception], str]) -> None:
    """Submit for review, publish (reviewers; admins may override for their own lesson) and send back."""
    engine = state.engine()
    try:
        if lesson.status == "draft" and st.button(t("Submit for review"), key="lesson_submit", type="primary"):
            done(lessons.submit_lesson(engine, actor, lesson.id, version),
                 t("Submitted for review: another staff member can now publish it or send it back."))
        if lesson.status != review.IN_REVIEW:
            return
        own = review.last_author_of(engine, actor, lesson) == actor.name
        override = False
        if own and actor.at_least("admin"):
            override = st.checkbox(t("Publish my own lesson anyway (an admin overriding the four-eyes rule; the "
                                     "history records it)"), key="lesson_override")
        if (not own or override) and st.button(t("Publish"), key="lesson_publish", type="primary"):
            done(lessons.approve_lesson(engine, actor, lesson.id, version, state.embedder(), override=override),
                 t("Published: the lesson is now in search and on its solutions' pages."))
        if own:
            return
        with st.form("lesson_send_back_form"):
            comment = st.text_area(t("Comment for the author (what should change)"), key="lesson_send_back_comment",
                                   max_chars=review.COMMENT_MAX)
            if st.form_submit_button(t("Send back")):
                done(lessons.send_back_lesson(engine, actor, lesson.id, version, comment),
                     t("Sent back to draft; the author sees your comment."))
    except review.CommentInvalid as exc:
        st.error(t("The comment is too long: at most {limit} characters.").format(limit=review.COMMENT_MAX)
                 if exc.too_long else t("Write a comment for the author: say what should change."))
    except review.ReviewRefused:
        st.error(t("You last changed '{title}', so you cannot publish it or send it back: another staff member must "
                   "review it (the four-eyes rule).").format(title=escape_markdown(lesson.title)))
    except (lessons.LessonError, accounts.PermissionDenied) as exc:
        st.error(escape_markdown(refusal(exc)))


def awaiting(actor: accounts.Actor) -> None:
    """The lessons in review that this staff member may decide on, each a button that opens it in this editor (a
    page link to the page itself lost its ``id`` on the next rerun in the browser)."""
    waiting = review.awaiting_review(state.engine(), actor)
    st.subheader(t("Awaiting your review"))
    if not waiting:
        st.caption(t("No lesson is waiting for your review."))
        return
    for les in waiting:
        if st.button(escape_markdown(les.title), key=f"lesson_review_open_{les.id}", icon="📝", type="tertiary"):
            st.query_params["id"] = les.id
            st.rerun()


def awaiting_count(actor: accounts.Actor) -> int:
    return len(review.awaiting_review(state.engine(), actor))
