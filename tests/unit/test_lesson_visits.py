""""New since your last visit": the visit time per user in the database, and which published lessons changed since."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kb import accounts
from kb.accounts import ANONYMOUS, Actor
from kb.embeddings import FakeEmbedder
from kb.lessons import service as lessons
from kb.lessons import visits
from kb.store import database
from tests.factories import lesson_data, publish_reviewed

pytestmark = pytest.mark.backends  # each test runs on SQLite and on PostgreSQL

STAFF = Actor("ann", "staff")

EMB = FakeEmbedder(name="fake-hash")


@pytest.fixture
def engine(fixture_db: Path):  # type: ignore[no-untyped-def]
    engine = database.get_engine(fixture_db)
    accounts.add_user(engine, "ann", "staff", "staff-password-1", by=Actor.system())
    accounts.add_user(engine, "vic", "viewer", "viewer-password-1", by=Actor.system())
    return engine


def test_each_visit_returns_the_previous_and_survives_a_restart(engine, fixture_db: Path) -> None:  # type: ignore[no-untyped-def]
    t1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert visits.begin_visit(engine, STAFF, now=t1) is None, "a first visit has no previous one"
    assert visits.begin_visit(engine, STAFF, now=t1 + timedelta(hours=2)) == t1
    database.dispose_all()  # the server restarts: only the database remembers
    engine = database.get_engine(fixture_db)
    assert visits.last_visit(engine, STAFF) == t1 + timedelta(hours=2)
    assert visits.begin_visit(engine, STAFF, now=t1 + timedelta(days=1)) == t1 + timedelta(hours=2)
    assert visits.last_visit(engine, Actor("vic", "viewer")) is None, "per user"


def test_anonymous_visitors_and_the_operator_leave_no_trace(engine) -> None:  # type: ignore[no-untyped-def]
    assert visits.begin_visit(engine, ANONYMOUS) is None and visits.begin_visit(engine, ANONYMOUS) is None
    assert visits.begin_visit(engine, Actor.system()) is None
    assert visits.last_visit(engine, ANONYMOUS) is None


def test_a_deleted_account_takes_its_visit_with_it(engine) -> None:  # type: ignore[no-untyped-def]
    from sqlmodel import select

    from kb.store.tables import LessonVisitRow, UserRow

    visits.begin_visit(engine, Actor("vic", "viewer"))
    visits.begin_visit(engine, STAFF)
    with database.read_session(engine) as s:
        assert len(s.exec(select(LessonVisitRow)).all()) == 2
    with database.write_session(engine) as s:
        s.delete(s.exec(select(UserRow).where(UserRow.name == "vic")).one())
    with database.read_session(engine) as s:
        ann = s.exec(select(UserRow).where(UserRow.name == "ann")).one()
        assert [v.user_id for v in s.exec(select(LessonVisitRow))] == [ann.id]


def test_new_and_changed_since_the_previous_visit(engine) -> None:  # type: ignore[no-untyped-def]
    old = lessons.create_lesson(engine, STAFF, lesson_data(title="Old and untouched"))
    old = publish_reviewed(engine, STAFF, old, EMB)
    edited = lessons.create_lesson(engine, STAFF, lesson_data(title="Old, edited later"))
    edited = publish_reviewed(engine, STAFF, edited, EMB)
    late = lessons.create_lesson(engine, STAFF, lesson_data(title="Drafted before, published after"))
    since = datetime.now(UTC)
    lessons.update_lesson(engine, STAFF, edited.id, {"version": edited.version, "summary": "Now clearer."}, EMB)
    publish_reviewed(engine, STAFF, late, EMB)
    fresh = lessons.create_lesson(engine, STAFF, lesson_data(title="Written after"))
    fresh = publish_reviewed(engine, STAFF, fresh, EMB)
    draft = lessons.create_lesson(engine, STAFF, lesson_data(title="Still a draft"))
    marks = visits.changes_since(engine, lessons.list_lessons(engine, STAFF), since)
    assert marks.get(edited.id) == visits.CHANGED
    assert marks.get(late.id) == visits.NEW and marks.get(fresh.id) == visits.NEW
    assert old.id not in marks and draft.id not in marks
    assert visits.changes_since(engine, lessons.list_lessons(engine, STAFF), datetime.now(UTC)) == {}
    assert visits.changes_since(engine, lessons.list_lessons(engine, STAFF), since, reader=Actor("bea", "staff")) \
        == marks, "news to another reader"
    since = datetime.now(UTC)
    bea = Actor("bea", "staff")
    lessons.update_lesson(engine, bea, old.id, {"version": old.version, "summary": "Bea's."}, EMB)
    assert visits.changes_since(engine, lessons.list_lessons(engine, STAFF), since, reader=bea) == {}, \
        "one's own changes are no news"
    assert visits.changes_since(engine, lessons.list_lessons(engine, STAFF), since, reader=STAFF) == \
        {old.id: visits.CHANGED}
