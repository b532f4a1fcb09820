"""AppTest: login, lessons list (payloads inert), editor refused for visitors, write → publish, stale form, history."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ingest.loader import run_ingest
from kb import accounts
from kb.accounts import Actor
from kb.embeddings import FakeEmbedder
from kb.lessons import service as lessons
from kb.store import database
from tests.factories import PAYLOADS, lesson_data

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "corpus"
PASSWORD = "staff-password-1"

SCRIPT = """
import os
from kb.ui import {module}
{module}.render()
"""


def app(module: str) -> AppTest:
    return AppTest.from_string(SCRIPT.format(module=module), default_timeout=60)


@pytest.fixture
def lessons_app(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KB_SOLUTIONS_DIR", str(FIXTURES))
    assert not run_ingest(FIXTURES, app_env, FakeEmbedder(name="fake-hash")).errors
    engine = database.get_engine(app_env)
    accounts.add_user(engine, "ann", "staff", PASSWORD, by=Actor.system())
    accounts.add_user(engine, "vic", "viewer", PASSWORD, by=Actor.system())
    return app_env


def token(db: Path, name: str) -> str:
    return accounts.login(database.get_engine(db), name, PASSWORD)


def all_markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_account_page_posts_to_the_login_route_and_follows_the_session_row(lessons_app: Path) -> None:
    """The form is the login route's (kb/web/auth.py, tested in tests/unit/test_auth_routes.py); the page reads the
    session on every run, so a logout elsewhere (the row deleted) makes it anonymous at the next action."""
    at = app("login_page").run()
    assert not at.exception
    form = at.get("html")[0].proto.body
    assert '<form method="post" action="/kb-auth/login"' in form and 'name="next" value="/login"' in form
    assert '<label for="kb-login-name">User name</label>' in form and 'type="password"' in form
    assert "kb_session" not in form, "nothing about the token reaches the page"
    engine = database.get_engine(lessons_app)
    session = token(lessons_app, "ann")
    at.session_state["kb_token"] = session  # AppTest cannot send the cookie; the page reads this key instead
    at.run()
    assert "Logged in as ann" in at.success[0].value
    assert 'action="/kb-auth/logout"' in at.get("html")[0].proto.body
    assert "8 hours" in at.caption[0].value
    accounts.logout(engine, session)  # another tab logs out
    at.run()
    assert not at.success and 'action="/kb-auth/login"' in at.get("html")[0].proto.body
    assert "kb_token" not in at.session_state


def test_lessons_page_shows_published_only_and_payloads_inert(lessons_app: Path) -> None:
    engine = database.get_engine(lessons_app)
    staff = Actor("ann", "staff")
    pub = lessons.create_lesson(engine, staff, lesson_data(
        title="Payload lesson", summary="\n\n".join(PAYLOADS), what_happened="**bold** [ok](https://example.org)"))
    lessons.publish_lesson(engine, Actor.system(), pub.id, 1, FakeEmbedder(name="fake-hash"))
    lessons.create_lesson(engine, staff, lesson_data(title="Secret draft"))
    at = app("lessons_page").run()
    assert not at.exception, at.exception
    text = all_markdown(at)
    assert "Payload lesson" in text and "Secret draft" not in text
    assert "<script" not in text and "<img" not in text and "javascript:alert(1)</a>" not in text
    assert 'href="javascript' not in text.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "[x](javascript:alert(1))" in text, "a javascript: link stays plain text"
    assert '<a href="https://example.org">ok</a>' in text and "<strong>bold</strong>" in text
    at = app("lessons_page")
    at.session_state["kb_token"] = token(lessons_app, "ann")
    at.run()
    assert "Secret draft" in all_markdown(at), "staff also see drafts"


@pytest.mark.parametrize("who", [None, "vic"])
def test_editor_refused_for_visitors_and_viewers(lessons_app: Path, who: str | None) -> None:
    at = app("lesson_editor_page")
    if who:
        at.session_state["kb_token"] = token(lessons_app, who)
    at.run()
    assert not at.exception
    assert "Only hub staff can write lessons" in at.warning[0].value
    assert not at.text_input, "no form is shown"


def fill(at: AppTest, prefix: str) -> None:
    at.text_input(key=prefix + "title").input("Residents trusted the cooperative, not the utility")
    at.selectbox(key=prefix + "city").select("testville")
    at.selectbox(key=prefix + "phase").select("engagement")
    at.selectbox(key=prefix + "barrier").select("social")
    at.selectbox(key=prefix + "outcome").select("worked")
    at.multiselect(key=prefix + "solutions").select("test-battery-site")
    at.text_area(key=prefix + "summary").input("A cooperative got people to join. <script>alert(1)</script>")
    at.text_area(key=prefix + "what_happened").input("Letters from the utility went unanswered [S1].")
    at.text_area(key=prefix + "what_was_tried").input("Neighbours knocked on doors.")
    at.text_area(key=prefix + "applies_when").input("Trust in the utility is low.")
    at.text_area(key=prefix + "sources").input("S1 | Door-to-door campaign report | https://example.org/r")


def test_staff_writes_publishes_and_sees_history(lessons_app: Path) -> None:
    at = app("lesson_editor_page")
    at.session_state["kb_token"] = token(lessons_app, "ann")
    at.run()
    assert not at.exception, at.exception
    at.button[0].click().run()  # empty form: refused with messages
    assert "Not saved" in at.error[0].value and "Title" in at.error[0].value
    fill(at, "le_new_0_")
    at.button[0].click().run()
    assert not at.exception, at.exception
    engine = database.get_engine(lessons_app)
    [les] = [x for x in lessons.list_lessons(engine, Actor("ann", "staff")) if not x.file_path]
    assert (les.status, les.author, les.sources[0]["id"]) == ("draft", "ann", "S1")
    assert at.query_params["id"] == les.id and "Saved the draft" in at.success[0].value
    at.button(key="lesson_submit").click().run()
    assert not at.exception, at.exception
    assert lessons.get_lesson(engine, les.id, Actor("ann", "staff")).status == "in-review"
    assert "Submitted for review" in at.success[0].value
    assert not [b for b in at.button if b.key == "lesson_publish"], "the author cannot publish their own lesson"
    assert any("another staff member reviews it" in i.value for i in at.info)

    accounts.add_user(engine, "bea", "staff", PASSWORD, by=Actor.system())  # the reviewer publishes it
    rev = app("lesson_editor_page")
    rev.session_state["kb_token"] = token(lessons_app, "bea")
    rev.query_params["id"] = les.id
    rev.run()
    rev.button(key="lesson_publish").click().run()
    assert not rev.exception, rev.exception
    assert lessons.get_lesson(engine, les.id).status == "published"
    assert "Published" in rev.success[0].value

    hist = app("lesson_history_page")
    hist.session_state["kb_token"] = token(lessons_app, "ann")
    hist.query_params["id"] = les.id
    hist.run()
    assert not hist.exception, hist.exception
    df = hist.dataframe[0].value
    assert list(df["action"]) == ["create", "submit for review", "publish"]
    assert list(df["who"]) == ["ann", "ann", "bea"]

    anon = app("lesson_history_page")
    anon.query_params["id"] = les.id
    anon.run()
    assert "for hub staff" in anon.warning[0].value


def test_stale_form_is_refused_in_the_editor(lessons_app: Path) -> None:
    engine = database.get_engine(lessons_app)
    les = lessons.create_lesson(engine, Actor("ann", "staff"), lesson_data())
    at = app("lesson_editor_page")
    at.session_state["kb_token"] = token(lessons_app, "ann")
    at.query_params["id"] = les.id
    at.run()
    prefix = f"le_{les.id}_1_"
    assert at.text_input(key=prefix + "title").value == les.title
    lessons.update_lesson(engine, Actor("bea", "staff"), les.id, {"version": 1, "summary": "Bea was faster."})
    at.text_area(key=prefix + "summary").input("Ann's late edit.")
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert any("changed by bea" in e.value and "Nothing was saved" in e.value for e in at.error)
    assert lessons.get_lesson(engine, les.id, Actor("ann", "staff")).summary == "Bea was faster."
    at.button(key="lesson_reload").click().run()
    assert at.text_area(key=f"le_{les.id}_2_summary").value == "Bea was faster."


def test_lessons_page_shows_the_bundled_lessons_on_a_fresh_database(app_env: Path) -> None:
    """No ingest beforehand: the app's start-up ingest turns solutions/lessons/*.md into lessons."""
    at = app("lessons_page").run()
    assert not at.exception, at.exception
    text = all_markdown(at)
    bundled = sorted((ROOT / "solutions" / "lessons").glob("*.md"))
    assert len(bundled) == 17 and "No lessons match" not in text
    assert "The shared e-mobility hub was used less than surveys predicted" in text
    assert any("17" in c.value for c in at.caption), "Lessons found: 17"
    at.selectbox(key="lessons_city").select("bilbao").run()
    assert not at.exception
    shown = [m.value for m in at.markdown if m.value.startswith("#### ")]
    assert shown and len(shown) == len({m for m in shown}), "each lesson once"
    assert "The shared e-mobility hub" not in "\n".join(shown), "the city filter applies to bundled lessons"


def test_staff_edit_a_bundled_lesson_in_the_editor(app_env: Path) -> None:
    app("lessons_page").run()  # the start-up ingest
    engine = database.get_engine(app_env)
    accounts.add_user(engine, "ann", "staff", PASSWORD, by=Actor.system())
    lid = "lesson-ehub-lower-uptake"
    before = lessons.get_lesson(engine, lid)
    at = app("lesson_editor_page")
    at.session_state["kb_token"] = token(app_env, "ann")
    at.query_params["id"] = lid
    at.run()
    assert not at.exception, at.exception
    assert any("lessons/lesson-ehub-lower-uptake.md" in c.value for c in at.caption)
    prefix = f"le_{lid}_{before.version}_"
    at.text_area(key=prefix + "summary").input("Edited by hub staff: fewer users than the surveys implied [S1].")
    at.button[0].click().run()
    assert not at.exception, at.exception
    after = lessons.get_lesson(engine, lid)
    assert after.version == before.version + 1 and after.summary.startswith("Edited by hub staff")
    assert after.extra_front == before.extra_front and "| installed | S2 |" in after.what_happened
    assert [e["action"] for e in lessons.history(engine, Actor("ann", "staff"), lid)] == ["ingest", "update"]
