"""Lesson editor for hub staff: write or edit a draft, submit it for review, review, archive, restore; stale forms are
refused."""

from __future__ import annotations

import re
from datetime import UTC
from typing import Any

import streamlit as st
from babel.dates import format_datetime

from kb import accounts
from kb.i18n import N_, Said, translator
from kb.lessons import service as lessons
from kb.lessons.format import Lesson
from kb.lessons.input import LABELS, LessonInvalid, parse_source_lines, source_lines
from kb.records import vocab
from kb.text import escape_markdown
from kb.ui import lesson_review, lesson_view, routes, state
from kb.ui.state import t
from kb.views import lesson_hints as hints
from kb.views.fmt import format_share
from kb.views.messages import say
from kb.views.words import LESSON_FIELDS, word

FLASH = "lesson_flash"
FLASH_DUPLICATES = "lesson_flash_duplicates"

PROBLEMS: dict[str, str] = {m: m for m in (
    N_("must not be empty"), N_("is required"), N_("choose the city the lesson comes from"),
    N_("link at least one solution"), N_("must be a single line"),
    N_("must be plain text (no HTML tags or javascript: links)"),
    N_("a source url must start with http:// or https:// and contain no spaces"))}
"""The library's fixed validation sentences, shown in the reader's language; others stay as the library says."""
_LENGTH = re.compile(r"^is (\d+) characters long; at most (\d+) are allowed$")
_SOURCE_LINE = re.compile(r"^line (\d+): write 'S1 \| title \| url' \(id and title required\)$")


def problem_text(message: str) -> str:
    """A validation message of the lesson library in the reader's language (fixed sentences and the two with
    numbers; any other stays in English)."""
    if message in PROBLEMS:
        return t(PROBLEMS[message])
    m = _LENGTH.match(message)
    if m:
        return t("is {length} characters long; at most {limit} are allowed").format(length=m[1], limit=m[2])
    m = _SOURCE_LINE.match(message)
    if m:
        return t("line {n}: write 'S1 | title | url' (id and title required)").format(n=m[1])
    return message


def _version_key(lesson_id: str) -> str:
    return f"lesson_form_version_{lesson_id}"


def render() -> None:
    st.title(t("Write a lesson"))
    actor = state.current_actor()
    if not actor.at_least("staff"):
        st.warning(t("Only hub staff can write lessons. Log in with a staff account; visitors and viewers can "
                     "read published lessons on the Lessons page."))
        st.page_link(routes.page("login"), label=t("Log in"), icon="🔑")
        return
    flash = st.session_state.pop(FLASH, None)
    if flash:
        st.success(flash)
    dups = st.session_state.pop(FLASH_DUPLICATES, None)
    if isinstance(dups, hints.DraftCheck):
        show_hints(dups, "le_saved_")
    lesson_id = st.query_params.get("id", "")
    lesson: Lesson | None = None
    if lesson_id:
        try:
            lesson = lessons.get_lesson(state.engine(), lesson_id, actor)
        except lessons.LessonNotFound:
            st.warning(t("There is no lesson with the id {id}.").format(id=escape_markdown(lesson_id)))
            return
        version = st.session_state.setdefault(_version_key(lesson.id), lesson.version)
        st.caption(f"{escape_markdown(lesson.id)} · {word(lesson.status, t)} · "
                   + t("version {version}").format(version=version))
        if lesson.file_path:
            st.caption(t("This lesson comes from the file {path}. Your edit is saved here as a new version; the "
                         "command kb lessons export writes it back to the file.").format(
                             path=escape_markdown(lesson.file_path)))
        if version != lesson.version:
            st.warning(t("This lesson was changed by someone else (now version {version}) after you opened it. "
                         "Saving your form will be refused.").format(version=lesson.version))
            if st.button(t("Reload the current version"), key="lesson_reload"):
                st.session_state[_version_key(lesson.id)] = lesson.version
                st.rerun()
        lesson_review.panel(actor, lesson)
    else:
        version = 0
        lesson_review.awaiting(actor)
    form(actor, lesson, version)
    if lesson is not None:
        workflow(actor, lesson, version)
        st.page_link(routes.page("lesson-history"), label=t("History of this lesson"), icon="🕘",
                     query_params={"id": lesson.id})
        with st.expander(t("Preview as readers see it")):
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

    tr = translator(state.language())  # bound now: a format function may run outside the script run

    def _word(value: str) -> str:
        return word(value, tr)

    with st.form(k + "form"):
        data: dict[str, Any] = {"title": st.text_input(t("Title"), cur.get("title", ""), key=k + "title",
                                                       max_chars=200)}
        c1, c2, c3, c4 = st.columns(4)
        cities = [c for c, _ in opts["city"]]
        data["city"] = c1.selectbox(t("City"), cities, index=pick(cities, "city"), key=k + "city",
                                    format_func=lambda c: titles["city"].get(c, c), placeholder=t("Choose"))
        data["phase"] = c2.selectbox(t("Phase"), vocab.PHASES, index=pick(vocab.PHASES, "phase"), key=k + "phase",
                                     format_func=_word, placeholder=t("Choose"))
        data["barrier_type"] = c3.selectbox(t("Barrier type"), vocab.BARRIER_TYPES,
                                            index=pick(vocab.BARRIER_TYPES, "barrier_type"), key=k + "barrier",
                                            format_func=_word, placeholder=t("Choose"))
        data["outcome"] = c4.selectbox(t("Outcome"), vocab.OUTCOMES, index=pick(vocab.OUTCOMES, "outcome"),
                                       key=k + "outcome", format_func=_word, placeholder=t("Choose"))
        for field in ("solutions", "measure_types"):  # seeded here, not as defaults: a suggestion adds to them
            st.session_state.setdefault(k + field, list(cur.get(field) or []))
        data["solutions"] = st.multiselect(t("Solutions this lesson is about"), [s for s, _ in opts["solution"]],
                                           key=k + "solutions",
                                           format_func=lambda s: f"{titles['solution'].get(s, s)} ({s})",
                                           placeholder=t("Choose"))
        data["measure_types"] = st.multiselect(t("Measure types"), [m for m, _ in opts["measure_type"]],
                                               key=k + "measure_types",
                                               format_func=lambda m: titles["measure_type"].get(m, m),
                                               placeholder=t("Choose"))
        help_md = t("Markdown is allowed; HTML is shown as text.")
        for field, label in (("summary", N_("Summary")), ("what_happened", N_("What happened (the barrier)")),
                             ("what_was_tried", N_("What was tried")),
                             ("outcome_note", N_("Outcome in detail (optional)")),
                             ("applies_when", N_("Applies when"))):
            data[field] = st.text_area(t(label), cur.get(field, ""), key=k + field, help=help_md)
        sources = st.text_area(t("Sources, one per line: S1 | title | url | publisher | year"),
                               source_lines(cur.get("sources") or []), key=k + "sources")
        b1, b2 = st.columns(2)
        submitted = b1.form_submit_button(_save_label(lesson))
        check = b2.form_submit_button(t("Check for similar lessons and suggest links"), icon="🔍",
                                      help=t("Searches the knowledge base for the title and summary as written "
                                             "now: the solutions and measure types the lesson seems to be about, "
                                             "and lessons that already tell the same story. Nothing is saved."))
    if check:
        st.session_state[k + "hints"] = hints.check_draft(
            state.engine(), state.search_engine(), state.embedder(), actor, data, lesson.id if lesson else None)
    if submitted:
        save(actor, lesson, version, data, sources)
    shown = st.session_state.get(k + "hints")
    if isinstance(shown, hints.DraftCheck):
        show_hints(shown, k)


def _add(key: str, value: str, hints_key: str) -> None:
    """One-click addition of a suggested solution or measure type to the form's choice (a widget callback)."""
    chosen = list(st.session_state.get(key) or [])
    if value not in chosen:
        st.session_state[key] = [*chosen, value]
    held = st.session_state.get(hints_key)
    if isinstance(held, hints.DraftCheck):
        st.session_state[hints_key] = held.without(value)


def show_hints(found: hints.DraftCheck, k: str) -> None:
    """The result of the check: near-duplicate warnings with links, and the suggestions as buttons that add."""
    for dup in found.duplicates:
        st.warning(t("A similar lesson already exists ({similarity} similar, {status}): {title}. Consider "
                     "improving that one instead of writing a second.").format(
            similarity=format_share(dup.similarity, locale=state.locale()), status=word(dup.lesson.status, t),
            title=escape_markdown(dup.lesson.title)), icon="⚠️")
        st.page_link(routes.page("lesson-editor"), label=t("Open the similar lesson"), icon="✏️",
                     query_params={"id": dup.lesson.id})
    if found.checked and not found.duplicates:
        st.caption(t("No similar lesson found."))
    links = found.suggestions
    if not links:
        if found.checked:
            st.caption(t("No further solutions or measure types to suggest."))
        return
    st.markdown("**" + t("This lesson seems to be about (click to add):") + "**")
    for field, items, label in (("solutions", links.solutions, N_("Solution")),
                                ("measure_types", links.measure_types, N_("Measure type"))):
        for rid, title in items:
            st.button(f"➕ {t(label)}: {title}", key=f"{k}add_{field}_{rid}", on_click=_add,
                      args=(k + field, rid, k + "hints"))


def _save_label(lesson: Lesson | None) -> str:
    if lesson is None or lesson.status == "draft":
        return t("Save draft")
    if lesson.status == "in-review":
        return t("Save (withdraws it from review to draft)")
    return t("Save")


def save(actor: accounts.Actor, lesson: Lesson | None, version: int, data: dict[str, Any], sources: str) -> None:
    try:
        data["sources"] = parse_source_lines(sources)
        data = {f: ([] if v is None and f in ("solutions", "measure_types") else v if v is not None else "")
                for f, v in data.items()}
        if lesson is None:
            new = lessons.create_lesson(state.engine(), actor, data)
            st.query_params["id"] = new.id
            st.session_state[FLASH_DUPLICATES] = hints.duplicates_of(state.engine(), state.embedder(), actor, new)
            done(new, t("Saved the draft '{title}'.").format(title=escape_markdown(new.title)))
        else:
            new = lessons.update_lesson(state.engine(), actor, lesson.id, {"version": version, **data},
                                        state.embedder())
            done(new, t("Saved.") if new.version != version else t("Nothing changed."))
    except LessonInvalid as exc:
        st.error(t("Not saved. Please fix:") + "\n\n" + "\n".join(
            f"- **{escape_markdown(_label(f))}**: {escape_markdown(_problem(m))}" for f, m in exc.problems))
    except (lessons.LessonError, accounts.PermissionDenied) as exc:
        st.error(escape_markdown(refusal(exc)))


def _label(field: str) -> str:
    return t(LESSON_FIELDS[field]) if field in LESSON_FIELDS else LABELS.get(field, field)


_STALE = re.compile(r"^'.*' was changed by (.*) at \d{4}-\d\d-\d\d \d\d:\d\d UTC ", re.DOTALL)
_SOURCE_N = re.compile(r"^source #(\d+): (.*)$", re.DOTALL)


def _problem(message: str) -> str:
    if isinstance(message, Said):  # a structured message of the library: translated, the entry's words kept
        return say(message, t, state.locale())
    m = _SOURCE_N.match(message)
    if m:
        return t("source #{n}: {problem}").format(n=m[1], problem=problem_text(m[2]))
    return problem_text(message)


def refusal(exc: Exception) -> str:
    """Why a save or a workflow step was refused, in the reader's language where the library's sentence is one
    the page knows (a stale form, a missing permission); else the library's sentence."""
    stale = _STALE.match(str(exc)) if isinstance(exc, lessons.StaleEdit) else None
    if isinstance(exc, lessons.StaleEdit) and stale:
        when = format_datetime(exc.current.updated_at, format="short", locale=state.locale(), tzinfo=UTC)
        return t("'{title}' was changed by {who} at {when} UTC (now version {now}; your form has version "
                 "{loaded}). Nothing was saved: reload the lesson and apply your changes again.").format(
            title=exc.current.title, who=t("someone") if stale[1] == "someone" else stale[1], when=when,
            now=exc.current.version, loaded=exc.loaded)
    if isinstance(exc, accounts.PermissionDenied):
        return t("Only hub staff can do this; your account may only read.")
    return str(exc)


def done(new: Lesson, message: str) -> None:
    st.session_state[_version_key(new.id)] = new.version
    st.session_state[FLASH] = message
    st.rerun()


def workflow(actor: accounts.Actor, lesson: Lesson, version: int) -> None:
    """The review step (:mod:`kb.ui.lesson_review`), then archive or restore buttons for the lesson's status (at the
    form's version)."""
    engine = state.engine()
    lesson_review.actions(actor, lesson, version, done, refusal)
    cols = st.columns(3)
    try:
        if lesson.status in ("draft", "in-review", "published") and cols[1].button(t("Archive"), key="lesson_archive"):
            done(lessons.archive_lesson(engine, actor, lesson.id, version),
                 t("Archived: the lesson left search; its history is kept."))
        if lesson.status == "archived" and cols[2].button(t("Restore as draft"), key="lesson_restore"):
            done(lessons.restore_lesson(engine, actor, lesson.id, version), t("Restored as a draft."))
    except (lessons.LessonError, accounts.PermissionDenied) as exc:
        st.error(escape_markdown(refusal(exc)))

