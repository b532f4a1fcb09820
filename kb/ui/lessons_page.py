"""Lessons page: published lessons with filters (staff also see drafts and archived ones), what is new since the
user's last visit, and a feed to follow a city, measure type or barrier type."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st
from babel.dates import format_datetime

from kb import accounts
from kb.lessons import service as lessons
from kb.lessons import visits
from kb.lessons.format import Lesson
from kb.records import vocab
from kb.text import escape_markdown
from kb.ui import lesson_review, lesson_view, routes, state
from kb.ui.state import t
from kb.views import follow
from kb.views.fmt import format_count
from kb.views.words import word

VISIT_KEY = "lessons_previous_visit"
"""Session state: ``(user name, previous visit)``, read and recorded once per browser session, so the marks stay
while the user filters and moves between pages, and the next session shows what changed after this one began."""


def render() -> None:
    st.title(t("Lessons learned"))
    actor = state.current_actor()
    staff = actor.at_least("staff")
    marks = news(actor)
    cols = st.columns(6 if staff else 5)
    text = cols[0].text_input(t("Words"), key="lessons_text")
    phase = cols[1].selectbox(t("Phase"), vocab.PHASES, index=None, key="lessons_phase",
                              format_func=_word, placeholder=t("Any"))
    barrier = cols[2].selectbox(t("Barrier"), vocab.BARRIER_TYPES, index=None, key="lessons_barrier",
                                format_func=_word, placeholder=t("Any"))
    outcome = cols[3].selectbox(t("Outcome"), vocab.OUTCOMES, index=None, key="lessons_outcome",
                                format_func=_word, placeholder=t("Any"))
    cities = sorted({les.city for les in lessons.list_lessons(state.engine(), actor)})
    city = cols[4].selectbox(t("City"), cities, index=None, key="lessons_city", placeholder=t("Any"))
    status = cols[5].selectbox(t("Status"), vocab.LESSON_STATUSES, index=None, key="lessons_status",
                                format_func=_word, placeholder=t("Any")) if staff else None
    found = lessons.list_lessons(state.engine(), actor, status=status, city=city, phase=phase,
                                 barrier_type=barrier, outcome=outcome, text=text)
    follow_box()
    if staff:
        st.page_link(routes.page("lesson-editor"), label=t("Write a new lesson"), icon="✏️")
        waiting = lesson_review.awaiting_count(actor)
        if waiting:
            count = format_count(waiting, locale=state.locale())
            label = t("Lessons awaiting your review: {count}").format(count=count)
            st.page_link(routes.page("lesson-editor"), icon="📝", label=label)
    if not found:
        st.info(t("No lessons match.") if staff else t("No lessons match. Hub staff publish lessons after review."))
        return
    st.caption(t("Lessons found: {count}").format(count=format_count(len(found), locale=state.locale())))
    data, n = lessons.export_zip(state.engine())
    st.download_button(t("Export the {count} published lessons (Markdown, zip)").format(
        count=format_count(n, locale=state.locale())), data=data, file_name="lessons.zip", mime="application/zip",
        key="lessons_export", icon="📦", on_click="ignore", disabled=n == 0,
        help=t("One Markdown file per published lesson: commit them under solutions/lessons/ so that the "
               "project's history keeps them."))
    for les in found:
        with st.container(border=True):
            mark = marks.get(les.id)
            if mark:
                st.badge(t("New") if mark == visits.NEW else t("Changed"), icon="🆕" if mark == visits.NEW else "✏️",
                         color="green" if mark == visits.NEW else "blue")
            st.markdown(f"#### {escape_markdown(les.title)}")
            st.caption(lesson_view.facts(les))
            with st.expander(t("Read the lesson")):
                lesson_view.body(les)
            if staff:
                c1, c2 = st.columns(2)
                c1.page_link(routes.page("lesson-editor"), label=t("Edit"), icon="✏️", query_params={"id": les.id})
                c2.page_link(routes.page("lesson-history"), label=t("History"), icon="🕘", query_params={"id": les.id})


def _previous_visit(actor: accounts.Actor) -> datetime | None:
    held = st.session_state.get(VISIT_KEY)
    if isinstance(held, tuple) and held[0] == actor.name:
        previous: datetime | None = held[1]
        return previous
    previous = visits.begin_visit(state.engine(), actor)
    st.session_state[VISIT_KEY] = (actor.name, previous)
    return previous


def news(actor: accounts.Actor) -> dict[str, str]:
    """For a logged-in user: what changed since the previous visit, said at the top; the marks by lesson id.
    Anonymous visitors see nothing of it."""
    if actor.is_anonymous:
        return {}
    previous = _previous_visit(actor)
    if previous is None:
        st.caption(t("From your next visit on, lessons published or changed after this one are marked here."))
        return {}
    published: list[Lesson] = lessons.list_lessons(state.engine(), actor, status="published")
    marks = visits.changes_since(state.engine(), published, previous, reader=actor)
    when = format_datetime(previous, format="short", locale=state.locale(), tzinfo=UTC) + " UTC"
    if marks:
        st.info(t("New or changed since your last visit ({when}): {count}").format(
            when=when, count=format_count(len(marks), locale=state.locale())), icon="🆕")
    else:
        st.caption(t("Nothing new since your last visit ({when}).").format(when=when))
    return marks


def follow_box() -> None:
    """Anyone picks a city, a measure type and/or a barrier type and takes its Atom feed."""
    with st.expander(t("Follow lessons: a feed for a city, measure type or barrier type"), icon="📡"):
        opts = lessons.reference_options(state.engine())
        titles = {k: dict(v) for k, v in opts.items()}
        c1, c2, c3 = st.columns(3)
        city = c1.selectbox(t("City"), [c for c, _ in opts["city"]], index=None, key="follow_city",
                            format_func=lambda c: titles["city"].get(c, c), placeholder=t("Any"))
        mtype = c2.selectbox(t("Measure type"), [m for m, _ in opts["measure_type"]], index=None,
                             key="follow_measure_type", format_func=lambda m: titles["measure_type"].get(m, m),
                             placeholder=t("Any"))
        barrier = c3.selectbox(t("Barrier type"), vocab.BARRIER_TYPES, index=None, key="follow_barrier",
                               format_func=_word, placeholder=t("Any"))
        base = follow.base_url_of(st.context.url, routes.ROUTES["lessons"].url_path)
        got = follow.feed_download(state.engine(), city, mtype, barrier, base)
        st.download_button(t("Download the feed (lessons in it now: {count})").format(
            count=format_count(got.lessons, locale=state.locale())), data=got.data, file_name=got.file_name,
            mime=follow.FEED_MIME, key="follow_download", icon="📡", on_click="ignore")
        st.caption(t("Or subscribe: paste this address into your feed reader (Thunderbird, Feedly, Outlook …). "
                     "It lists the published lessons of your choice, newest change first, each linked to its page "
                     "here, and the reader checks it for new ones by itself:"))
        st.code(got.url, language=None)
        st.caption(t("A server or a script can print the same feed, to publish it elsewhere or check it on a "
                     "schedule:"))
        st.code(got.command, language="bash")


def _word(value: str) -> str:
    return word(value, t)
