"""History of one lesson: every change from the audit log (who, when, action) with before and after."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from kb import accounts
from kb.lessons import service as lessons
from kb.text import escape_markdown
from kb.ui import routes, state


def render() -> None:
    st.title("Lesson history")
    lesson_id = st.query_params.get("id", "")
    actor = state.current_actor()
    try:
        entries = lessons.history(state.engine(), actor, lesson_id)
        lesson = lessons.get_lesson(state.engine(), lesson_id, actor) if lesson_id else None
    except accounts.PermissionDenied:
        st.warning("The history of a lesson is for hub staff: log in with a staff account.")
        st.page_link(routes.page("login"), label="Log in", icon="🔑")
        return
    except lessons.LessonNotFound:
        lesson = None
    if lesson is None:
        st.warning("No lesson chosen, or there is no lesson with this id.")
        return
    st.markdown(f"**{escape_markdown(lesson.title)}** — now version {lesson.version}, {lesson.status}")
    table = pd.DataFrame([{"when (UTC)": f"{e['at']:%Y-%m-%d %H:%M:%S}", "who": e["actor"], "role": e["role"],
                           "action": e["action"], "version": e["version"], "changed": ", ".join(e["changed"])}
                          for e in entries])
    st.dataframe(table, hide_index=True)
    for e in reversed(entries):
        who = escape_markdown(e["actor"])
        with st.expander(f"v{e['version']} · {e['action']} by {who} at {e['at']:%Y-%m-%d %H:%M}"):
            before, after = st.columns(2)
            before.caption("Before")
            before.json(e["before"] or {})
            after.caption("After")
            after.json(e["after"] or {})
