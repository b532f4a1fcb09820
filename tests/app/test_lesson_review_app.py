"""AppTest of the review step, in English and Polish: submit, the reviewer sends back with a comment the author sees,
the author cannot publish their own lesson, another staff member publishes, an admin overrides (audited)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from kb import accounts
from kb.accounts import Actor
from kb.lessons import service as lessons
from kb.store import database
from kb.ui import state
from tests.factories import FIXTURE_CORPUS, app_on_corpus, lesson_data

PASSWORD = "staff-password-1"
pytestmark = pytest.mark.backends  # the pages on SQLite and on PostgreSQL (KB_DB=postgresql+psycopg://…)
ANN = Actor("ann", "staff")
SCRIPT = """
from kb.ui import {module}
{module}.render()
"""


def page(db: Path, module: str, user: str, lang: str = "en", **params: str) -> AppTest:
    at = AppTest.from_string(SCRIPT.format(module=module), default_timeout=90)
    at.session_state["lang"] = lang
    at.session_state["kb_token"] = accounts.login(database.get_engine(db), user, PASSWORD)
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def keys(at: AppTest) -> set[str]:
    return {b.key for b in at.button if b.key}


def links(at: AppTest) -> list[str]:
    return [e.proto.label for e in at.get("page_link")]


@pytest.fixture
def review_app(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    engine = app_on_corpus(FIXTURE_CORPUS, app_env, monkeypatch, PASSWORD)
    accounts.add_user(engine, "bea", "staff", PASSWORD, by=Actor.system())
    accounts.add_user(engine, "root", "admin", PASSWORD, by=Actor.system())
    return app_env


def submitted(db: Path, author: Actor = ANN) -> lessons.Lesson:
    engine = database.get_engine(db)
    les = lessons.create_lesson(engine, author, lesson_data())
    return lessons.submit_lesson(engine, author, les.id, les.version)


def test_send_back_with_a_comment_then_another_staff_member_publishes(review_app: Path) -> None:
    engine = database.get_engine(review_app)
    draft = lessons.create_lesson(engine, ANN, lesson_data())
    author = page(review_app, "lesson_editor_page", "ann", id=draft.id)
    assert not author.exception, author.exception
    assert "Status: **Draft**" in [m.value for m in author.markdown]
    author.button(key="lesson_submit").click().run()
    assert not author.exception and "Submitted for review" in author.success[0].value
    assert "Status: **In review**" in [m.value for m in author.markdown]
    assert "lesson_publish" not in keys(author), "the author has no Publish button"
    assert any("another staff member reviews it" in i.value for i in author.info)

    new_page = page(review_app, "lesson_editor_page", "bea")
    assert "Awaiting your review" in [s.value for s in new_page.subheader]
    new_page.button(key=f"lesson_review_open_{draft.id}").click().run()
    assert new_page.query_params["id"] == draft.id and new_page.text_input[0].value == draft.title
    assert "Lessons awaiting your review: 1" in links(page(review_app, "lessons_page", "bea"))

    reviewer = page(review_app, "lesson_editor_page", "bea", id=draft.id)
    assert any("Waiting for review: ann last changed it" in i.value for i in reviewer.info)
    reviewer.button(key="FormSubmitter:lesson_send_back_form-Send back").click().run()
    assert "Write a comment for the author" in reviewer.error[0].value
    assert lessons.get_lesson(engine, draft.id, ANN).status == "in-review"
    comment = "Name the source of the *one-year* saving <script>alert(1)</script>"
    reviewer.text_area(key="lesson_send_back_comment").input(comment)
    reviewer.button(key="FormSubmitter:lesson_send_back_form-Send back").click().run()
    assert not reviewer.exception and "Sent back to draft" in reviewer.success[0].value
    assert lessons.get_lesson(engine, draft.id, ANN).status == "draft"

    author = page(review_app, "lesson_editor_page", "ann", id=draft.id)
    assert author.warning[0].value.startswith("Sent back by bea at ")
    assert [x.value for x in author.text] == [comment], "the comment is shown as plain text, as written"
    author.button(key="lesson_submit").click().run()
    assert not [x.value for x in author.text], "submitted again: the comment is answered"

    reviewer = page(review_app, "lesson_editor_page", "bea", id=draft.id)
    reviewer.button(key="lesson_publish").click().run()
    assert not reviewer.exception and "Published" in reviewer.success[0].value
    assert lessons.get_lesson(engine, draft.id).status == "published"

    hist = page(review_app, "lesson_history_page", "ann", id=draft.id)
    frame = hist.dataframe[0].value
    assert list(frame["action"]) == ["create", "submit for review", "send back", "submit for review", "publish"]
    assert list(frame["note"])[2:] == [comment, "", "reviewed by bea; last author ann"]


def test_an_admin_publishes_their_own_lesson_only_by_overriding(review_app: Path) -> None:
    les = submitted(review_app, Actor("root", "admin"))
    admin = page(review_app, "lesson_editor_page", "root", id=les.id)
    assert "lesson_publish" not in keys(admin)
    admin.checkbox(key="lesson_override").check().run()
    admin.button(key="lesson_publish").click().run()
    assert not admin.exception and "Published" in admin.success[0].value
    engine = database.get_engine(review_app)
    assert lessons.get_lesson(engine, les.id).status == "published"
    hist = page(review_app, "lesson_history_page", "root", id=les.id)
    assert hist.dataframe[0].value["note"].iloc[-1] == (
        "published by admin root overriding the four-eyes rule (the last author of its content)")
    staff = page(review_app, "lesson_editor_page", "ann", id=submitted(review_app).id)
    assert not [c for c in staff.checkbox if c.key == "lesson_override"], "staff cannot override"


def test_review_in_polish(review_app: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # AppTest calls a selectbox's format_func outside the script run, where the session's language is unknown: the
    # translated options of the editor's selectboxes are only found again when that call speaks Polish too
    monkeypatch.setattr(state, "language", lambda: "pl")
    engine = database.get_engine(review_app)
    draft = lessons.create_lesson(engine, ANN, lesson_data())
    author = page(review_app, "lesson_editor_page", "ann", "pl", id=draft.id)
    assert "Stan: **Szkic**" in [m.value for m in author.markdown]
    assert author.button(key="lesson_submit").label == "Przekaż do recenzji"
    author.button(key="lesson_submit").click().run()
    assert author.success[0].value.startswith("Przekazano do recenzji")
    assert "Stan: **W recenzji**" in [m.value for m in author.markdown]
    assert any(i.value.startswith("Ostatnia zmiana tego wniosku jest Twoja") for i in author.info)

    reviewer = page(review_app, "lesson_editor_page", "bea", "pl", id=draft.id)
    assert reviewer.button(key="lesson_publish").label == "Opublikuj"
    assert reviewer.text_area(key="lesson_send_back_comment").label == "Komentarz dla autora (co trzeba zmienić)"
    send = reviewer.button(key="FormSubmitter:lesson_send_back_form-Zwróć do poprawy")
    send.click().run()
    assert reviewer.error[0].value == "Napisz komentarz dla autora: co trzeba zmienić."
    reviewer.text_area(key="lesson_send_back_comment").input("Dodaj źródło oszczędności.")
    reviewer.button(key="FormSubmitter:lesson_send_back_form-Zwróć do poprawy").click().run()
    assert reviewer.success[0].value == "Zwrócono do poprawy jako szkic; autor zobaczy Twój komentarz."

    author = page(review_app, "lesson_editor_page", "ann", "pl", id=draft.id)
    assert author.warning[0].value.startswith("Zwrócony do poprawy przez: bea, ")
    assert [x.value for x in author.text] == ["Dodaj źródło oszczędności."]
    hist = page(review_app, "lesson_history_page", "ann", "pl", id=draft.id)
    assert list(hist.dataframe[0].value["działanie"]) == ["utworzenie", "przekazanie do recenzji", "zwrot do poprawy"]
    waiting = page(review_app, "lesson_editor_page", "bea", "pl")
    assert "Czekają na Twoją recenzję" in [s.value for s in waiting.subheader]
    assert waiting.caption[0].value == "Żaden wniosek nie czeka na Twoją recenzję."
