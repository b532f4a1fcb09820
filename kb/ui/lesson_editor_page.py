"""Lesson editor for hub staff: write or edit a draft, publish, archive, restore; stale forms are refused."""

from __future__ import annotations

from typing import Any

import streamlit as st

from kb import accounts
from kb.lessons import service as lessons
from kb.lessons.format import Lesson
from kb.lessons.input import LABELS, LessonInvalid, parse_source_lines, source_lines
from kb.records import vocab
from kb.text import escape_markdown
from kb.ui import lesson_view, routes, state

FLASH = "lesson_flash"



def _version_key(lesson_id: str) -> str:
    return f"lesson_form_version_{lesson_id}"


def render() -> None:
    st.title("Write a lesson")
    actor = state.current_actor()
    if not actor.at_least("staff"):
        st.warning("Only hub staff can write lessons. Log in with a staff account; visitors and viewers can "
                   "read published lessons on the Lessons page.")
        st.page_link(routes.page("login"), label="Log in", icon="🔑")
        return
    flash = st.session_state.pop(FLASH, None)
    if flash:
        st.success(flash)
    lesson_id = st.query_params.get("id", "")
    lesson: Lesson | None = None
    if lesson_id:
        try:
            lesson = lessons.get_lesson(state.engine(), lesson_id, actor)
        except lessons.LessonNotFound:
            st.warning(f"There is no lesson with the id {escape_markdown(lesson_id)}.")
            return
        version = st.session_state.setdefault(_version_key(lesson.id), lesson.version)
        st.caption(f"{escape_markdown(lesson.id)} · {lesson.status} · version {version}")
        if version != lesson.version:
            st.warning(f"This lesson was changed by someone else (now version {lesson.version}) after you "
                       "opened it. Saving your form will be refused.")
            if st.button("Reload the current version", key="lesson_reload"):
                st.session_state[_version_key(lesson.id)] = lesson.version
                st.rerun()
    else:
        version = 0
    form(actor, lesson, version)
    if lesson is not None:
        workflow(actor, lesson, version)
        st.page_link(routes.page("lesson-history"), label="History of this lesson", icon="🕘",
                     query_params={"id": lesson.id})
        with st.expander("Preview as readers see it"):
            st.markdown(f"#### {escape_markdown(lesson.title)}")
            st.caption(lesson_view.facts(lesson))
            lesson_view.body(lesson)



def form(actor: accounts.Actor, lesson: Lesson | None, version: int) -> None:
    opts = lessons.reference_options(state.engine())
    titles = {k: dict(v) for k, v in opts.items()}
    cur: dict[str, Any] = lesson.to_json() if lesson else {}
    k = f"le_{lesson.id if lesson else 'new'}_{version}_"

    def pick(options: tuple[str, ...] | list[str], field: str) -> int | None:
        return list(options).index(cur[field]) if cur.get(field) in options else None

    with st.form(k + "form"):
        data: dict[str, Any] = {"title": st.text_input("Title", cur.get("title", ""), key=k + "title",
                                                       max_chars=200)}
        c1, c2, c3, c4 = st.columns(4)
        cities = [c for c, _ in opts["city"]]
        data["city"] = c1.selectbox("City", cities, index=pick(cities, "city"), key=k + "city",
                                    format_func=lambda c: titles["city"].get(c, c))
        data["phase"] = c2.selectbox("Phase", vocab.PHASES, index=pick(vocab.PHASES, "phase"), key=k + "phase")
        data["barrier_type"] = c3.selectbox("Barrier type", vocab.BARRIER_TYPES,
                                            index=pick(vocab.BARRIER_TYPES, "barrier_type"), key=k + "barrier")
        data["outcome"] = c4.selectbox("Outcome", vocab.OUTCOMES, index=pick(vocab.OUTCOMES, "outcome"),
                                       key=k + "outcome")
        data["solutions"] = st.multiselect("Solutions this lesson is about", [s for s, _ in opts["solution"]],
                                           default=cur.get("solutions") or [], key=k + "solutions",
                                           format_func=lambda s: f"{titles['solution'].get(s, s)} ({s})")
        data["measure_types"] = st.multiselect("Measure types", [m for m, _ in opts["measure_type"]],
                                               default=cur.get("measure_types") or [], key=k + "measure_types",
                                               format_func=lambda m: titles["measure_type"].get(m, m))
        help_md = "Markdown is allowed; HTML is shown as text."
        for field, label in (("summary", "Summary"), ("what_happened", "What happened (the barrier)"),
                             ("what_was_tried", "What was tried"), ("outcome_note", "Outcome in detail (optional)"),
                             ("applies_when", "Applies when")):
            data[field] = st.text_area(label, cur.get(field, ""), key=k + field, help=help_md)
        sources = st.text_area("Sources, one per line: S1 | title | url | publisher | year",
                               source_lines(cur.get("sources") or []), key=k + "sources")
        submitted = st.form_submit_button("Save draft" if not lesson or lesson.status == "draft" else "Save")
    if submitted:
        save(actor, lesson, version, data, sources)


def save(actor: accounts.Actor, lesson: Lesson | None, version: int, data: dict[str, Any], sources: str) -> None:
    try:
        data["sources"] = parse_source_lines(sources)
        data = {f: ([] if v is None and f in ("solutions", "measure_types") else v if v is not None else "")
                for f, v in data.items()}
        if lesson is None:
            new = lessons.create_lesson(state.engine(), actor, data)
            st.query_params["id"] = new.id
            done(new, f"Saved the draft '{escape_markdown(new.title)}'.")
        else:
            new = lessons.update_lesson(state.engine(), actor, lesson.id, {"version": version, **data},
                                        state.embedder())
            done(new, "Saved." if new.version != version else "Nothing changed.")
    except LessonInvalid as exc:
        st.error("Not saved. Please fix:\n\n" + "\n".join(
            f"- **{escape_markdown(LABELS.get(f, f))}**: {escape_markdown(m)}" for f, m in exc.problems))
    except (lessons.LessonError, accounts.PermissionDenied) as exc:
        st.error(escape_markdown(str(exc)))


def done(new: Lesson, message: str) -> None:
    st.session_state[_version_key(new.id)] = new.version
    st.session_state[FLASH] = message
    st.rerun()


def workflow(actor: accounts.Actor, lesson: Lesson, version: int) -> None:
    """Publish, archive or restore buttons for the lesson's status (at the form's version)."""
    engine = state.engine()
    cols = st.columns(3)
    try:
        if lesson.status == "draft" and cols[0].button("Publish", key="lesson_publish", type="primary"):
            done(lessons.publish_lesson(engine, actor, lesson.id, version, state.embedder()),
                 "Published: the lesson is now in search and on its solutions' pages.")
        if lesson.status in ("draft", "published") and cols[1].button("Archive", key="lesson_archive"):
            done(lessons.archive_lesson(engine, actor, lesson.id, version),
                 "Archived: the lesson left search; its history is kept.")
        if lesson.status == "archived" and cols[2].button("Restore as draft", key="lesson_restore"):
            done(lessons.restore_lesson(engine, actor, lesson.id, version), "Restored as a draft.")
    except (lessons.LessonError, accounts.PermissionDenied) as exc:
        st.error(escape_markdown(str(exc)))
