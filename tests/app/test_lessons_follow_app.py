"""AppTest: following lessons (the feed box for anyone), "new since your last visit" for a logged-in user, and the
editor's check for similar lessons with one-click suggested links."""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest
from streamlit.testing.v1 import AppTest

from ingest.loader import run_ingest
from kb import accounts
from kb.accounts import Actor
from kb.embeddings import FakeEmbedder
from kb.lessons import service as lessons
from kb.lessons import visits
from kb.store import database
from tests.factories import FIXTURE_CORPUS, lesson_data, publish_reviewed

PASSWORD = "staff-password-1"
STAFF = Actor("ann", "staff")

EMB = FakeEmbedder(name="fake-hash")
SCRIPT = """
from kb.ui import {module}
{module}.render()
"""


def app(module: str, token: str | None = None) -> AppTest:
    at = AppTest.from_string(SCRIPT.format(module=module), default_timeout=60)
    if token:
        at.session_state["kb_token"] = token
    return at


@pytest.fixture
def db(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KB_SOLUTIONS_DIR", str(FIXTURE_CORPUS))
    assert not run_ingest(FIXTURE_CORPUS, app_env, EMB).errors
    accounts.add_user(database.get_engine(app_env), "ann", "staff", PASSWORD, by=Actor.system())
    return app_env


def login(db: Path) -> str:
    return accounts.login(database.get_engine(db), "ann", PASSWORD)


BEA = Actor("bea", "staff")  # another member of staff: her changes are news to ann


def publish(db: Path, **over: object) -> lessons.Lesson:
    engine = database.get_engine(db)
    draft = lessons.create_lesson(engine, BEA, lesson_data(**over))
    return publish_reviewed(engine, BEA, draft, EMB)


def texts(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info])


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple[bytes, str, str | None]]:
    """What the page's download buttons would send the browser, by file id: ``(bytes, mime type, file name)``."""
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    seen: dict[str, tuple[bytes, str, str | None]] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def keep(self, path_or_data, mimetype, kind, filename=None):  # type: ignore[no-untyped-def]
        file_id = original(self, path_or_data, mimetype, kind, filename)
        seen[file_id] = (path_or_data, mimetype, filename)
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", keep)
    return seen


def badges(at: AppTest) -> set[str]:
    return {m.value for m in at.markdown if "-badge[" in m.value}


def test_anyone_follows_a_city_as_a_feed_download(db: Path, downloads: dict) -> None:  # type: ignore[type-arg]
    les = publish(db, title="Fresh lesson for the feed")
    other = publish(db, title="A financial lesson", barrier_type="financial")
    at = app("lessons_page").run()
    assert not at.exception, at.exception
    assert "since your last visit" not in texts(at) and "next visit" not in texts(at), "nothing for visitors"
    at.selectbox(key="follow_city").select("testville").run()
    at.selectbox(key="follow_barrier").select("regulatory").run()
    assert not at.exception, at.exception
    [button] = [b for b in at.get("download_button") if b.proto.label.startswith("Download the feed")]
    assert at.code[0].value.endswith("/kb-feeds/lessons.atom?city=testville&barrier_type=regulatory"), \
        "the address a feed reader subscribes to (served by kb/web/feeds.py)"
    assert "kb lessons feed --city testville --barrier-type regulatory" in at.code[1].value
    data, mime, name = downloads[button.proto.url.rsplit("/", 1)[-1].split(".")[0]]
    assert (mime, name) == ("application/atom+xml", "lessons-city-testville-barrier-type-regulatory.atom")
    parsed = feedparser.parse(data)
    assert not parsed.bozo
    titles = [e.title for e in parsed.entries]
    assert les.title in titles and other.title not in titles
    assert parsed.entries[0].link.endswith(f"/record?id={les.id}")
    assert button.proto.label == f"Download the feed (lessons in it now: {len(parsed.entries)})"


def test_new_since_the_last_visit_for_a_logged_in_user(db: Path) -> None:
    engine = database.get_engine(db)
    seen = publish(db, title="Seen at the first visit")
    token = login(db)
    first = app("lessons_page", token).run()
    assert not first.exception, first.exception
    assert "From your next visit on" in texts(first) and not badges(first)
    first.text_input(key="lessons_text").input("Seen").run()  # a rerun in the same visit records nothing new
    previous = visits.last_visit(engine, STAFF)
    assert previous is not None
    fresh = publish(db, title="Published after the first visit")
    lessons.update_lesson(engine, BEA, seen.id, {"version": seen.version, "summary": "Edited since."}, EMB)
    again = app("lessons_page", token).run()  # the next visit (a new browser session)
    assert not again.exception, again.exception
    [note] = [i.value for i in again.info if "since your last visit" in i.value]
    assert note.endswith(": 2")
    assert badges(again) == {":green-badge[🆕 New]", ":blue-badge[✏️ Changed]"}
    assert visits.last_visit(engine, STAFF) > previous, "this visit is recorded for the next one"
    page = "\n".join(m.value for m in again.markdown)
    assert fresh.title in page and seen.title in page
    current = lessons.get_lesson(engine, fresh.id)
    lessons.update_lesson(engine, STAFF, fresh.id, {"version": current.version, "summary": "Ann's own edit."}, EMB)
    third = app("lessons_page", token).run()  # ann's own edit is no news to her
    assert any("Nothing new since your last visit" in c.value for c in third.caption)
    assert not badges(third)


def test_the_editor_warns_of_a_near_duplicate_and_adds_a_suggestion(db: Path) -> None:
    old = publish(db, title="The neighbourhood battery waited two years for a grid permit",
                  summary="The battery site in Testville waited for the grid operator's permit.")
    before = len(lessons.list_lessons(database.get_engine(db), STAFF))
    at = app("lesson_editor_page", login(db)).run()
    assert not at.exception, at.exception
    k = "le_new_0_"
    at.text_input(key=k + "title").input(old.title)
    at.text_area(key=k + "summary").input(old.summary)
    at.selectbox(key=k + "city").select("testville")
    [check] = [b for b in at.button if b.label.startswith("Check for similar lessons")]
    check.click().run()
    assert not at.exception, at.exception
    assert any("A similar lesson already exists" in w.value and old.title in w.value for w in at.warning)
    assert len(lessons.list_lessons(database.get_engine(db), STAFF)) == before, "checking saves nothing"
    add = [b for b in at.button if b.key == k + "add_solutions_test-battery-site"]
    assert add, [b.label for b in at.button]
    add[0].click().run()
    assert not at.exception, at.exception
    assert at.multiselect(key=k + "solutions").value == ["test-battery-site"]
    assert not [b for b in at.button if b.key == k + "add_solutions_test-battery-site"], "taken, no longer offered"
    assert at.text_input(key=k + "title").value == old.title, "the form keeps what was typed"


def test_saving_a_new_draft_warns_of_a_duplicate(db: Path) -> None:
    old = publish(db)
    at = app("lesson_editor_page", login(db)).run()
    k = "le_new_0_"
    at.text_input(key=k + "title").input(old.title)
    at.selectbox(key=k + "city").select("testville")
    at.selectbox(key=k + "phase").select("permitting")
    at.selectbox(key=k + "barrier").select("regulatory")
    at.selectbox(key=k + "outcome").select("partly")
    at.multiselect(key=k + "solutions").select("test-battery-site")
    for field in ("summary", "what_happened", "what_was_tried", "applies_when"):
        at.text_area(key=k + field).input(getattr(old, field))
    at.text_area(key=k + "sources").input("S1 | Interview with the operator | https://example.org/i")
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert "Saved the draft" in at.success[0].value
    assert any("A similar lesson already exists" in w.value and old.title in w.value for w in at.warning)
    at.run()
    assert not any("A similar lesson already exists" in w.value for w in at.warning), "said once, after saving"
