"""History of one lesson: every change from the audit log (who, when, action, a reviewer's note) with before and
after."""

from __future__ import annotations

from datetime import UTC

import pandas as pd
import streamlit as st
from babel.dates import format_datetime

from kb import accounts
from kb.lessons import service as lessons
from kb.text import escape_markdown
from kb.ui import lesson_review, routes, state
from kb.ui.state import t
from kb.views.words import LESSON_ACTIONS, LESSON_FIELDS, word


def render() -> None:
    st.title(t("Lesson history"))
    lesson_id = st.query_params.get("id", "")
    actor = state.current_actor()
    try:
        entries = lessons.history(state.engine(), actor, lesson_id)
        lesson = lessons.get_lesson(state.engine(), lesson_id, actor) if lesson_id else None
    except accounts.PermissionDenied:
        st.warning(t("The history of a lesson is for hub staff: log in with a staff account."))
        st.page_link(routes.page("login"), label=t("Log in"), icon="🔑")
        return
    except lessons.LessonNotFound:
        lesson = None
    if lesson is None:
        st.warning(t("No lesson chosen, or there is no lesson with this id."))
        return
    st.markdown(f"**{escape_markdown(lesson.title)}** — "
                + t("now version {version}, {status}").format(version=lesson.version, status=word(lesson.status, t)))
    loc = state.locale()
    table = pd.DataFrame([{t("when (UTC)"): format_datetime(e["at"], format="medium", locale=loc, tzinfo=UTC),
                           t("who"): e["actor"], t("role"): word(e["role"], t), t("action"): _action(e["action"]),
                           t("version"): str(e["version"]),
                           t("changed"): ", ".join(t(LESSON_FIELDS.get(f, f)) for f in e["changed"]),
                           t("note"): lesson_review.note_text(e["action"], e["note"])}
                          for e in entries])
    st.dataframe(table, hide_index=True)
    for e in reversed(entries):
        who = escape_markdown(e["actor"])
        with st.expander(t("version {version} · {action} by {who} at {when}").format(
                version=e["version"], action=_action(e["action"]), who=who,
                when=format_datetime(e["at"], format="short", locale=loc, tzinfo=UTC))):
            if e["note"]:
                st.caption(t("note"))
                st.text(lesson_review.note_text(e["action"], e["note"]))
            before, after = st.columns(2)
            before.caption(t("Before"))
            before.json(e["before"] or {})
            after.caption(t("After"))
            after.json(e["after"] or {})


def _action(action: str) -> str:
    return t(LESSON_ACTIONS[action]) if action in LESSON_ACTIONS else action
