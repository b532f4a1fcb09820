"""AppTest in Polish: Overview, Search, a record, Lessons, Write a lesson, Lesson history and Account speak Polish."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ingest.loader import run_ingest
from kb import accounts
from kb.accounts import Actor
from kb.embeddings import FakeEmbedder
from kb.lessons import service as lessons
from kb.store import database
from tests.factories import app_on_corpus, lesson_data, rendered_text

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "corpus"
PASSWORD = "staff-password-1"
SCRIPT = """
from kb.ui import {module}
{module}.render()
"""
ENGLISH = ("Search solutions and lessons", "What do you need?", "Narrow down", "The best ", "related records",
           "No results", "Check the spelling", "Sources", "Similar records", "Lessons learned", "Log in",
           "User name", "Password", "Only hub staff", "Solutions by category", "How well each number",
           "Knowledge base ready", "Estimate it for my city", ":green-badge[operational]")


def page(module: str, token: str | None = None, **params: str) -> AppTest:
    at = AppTest.from_string(SCRIPT.format(module=module), default_timeout=90)
    at.session_state["lang"] = "pl"
    if token:
        at.session_state["kb_token"] = token
    for k, v in params.items():
        at.query_params[k] = v
    return at


def clean(at: AppTest) -> list[str]:
    """The page's texts, asserted free of raw keys, 'None', exponents and the English frame."""
    assert not at.exception, at.exception
    texts = rendered_text(at)
    joined = "\n".join(texts)
    assert "None" not in texts and not re.search(r"\de[+-]0", joined), joined
    for english in ENGLISH:
        assert english not in joined, f"English left on a Polish page: {english!r}"
    return texts


@pytest.fixture
def bundled(app_env: Path) -> Path:
    assert not run_ingest(ROOT / "solutions", app_env, FakeEmbedder(name="fake-hash")).errors
    return app_env


def test_overview_search_and_record_in_polish(bundled: Path) -> None:
    at = page("overview").run()
    texts = clean(at)
    assert "Baza wiedzy ATELIER o dzielnicach dodatniego bilansu energetycznego" in texts
    assert {m.label for m in at.metric} == {"Rozwiązania", "Profile miast", "Rodzaje działań", "Wnioski z realizacji"}
    assert any(c.startswith("Baza wiedzy gotowa: rekordy: ") for c in texts)

    at = page("search_page").run()
    clean(at)
    assert at.title[0].value == "Wyszukaj rozwiązania i wnioski"
    assert at.text_input(key="q").label == "Czego potrzebujesz?"
    assert any("własnymi słowami" in i.value for i in at.info)
    at.text_input(key="q").input("magazyn energii dla osiedla").run()
    texts = clean(at)
    assert at.get("page_link"), "the Polish query finds records"
    assert any(re.fullmatch(r"Najlepsze wyniki: \d+ z \d+ powiązanych rekordów", c.value) for c in at.caption)
    assert any("Zapytanie rozpoznane jako język polski" in c.value for c in at.caption)
    badges = " ".join(m.value for m in at.markdown)
    assert ":green-badge[w eksploatacji]" in badges and ":blue-badge[zainstalowane]" in badges
    assert any(t.startswith("rozwiązanie (") for t in texts), "facet options in Polish, with counts"
    assert at.multiselect(key="facet_kind").label == "Rodzaj"
    at.text_input(key="q").input("xqzvbnm").run()
    clean(at)
    assert not at.get("page_link")
    assert "Brak wyników: żaden rekord nie pasuje do „xqzvbnm”." in at.warning[0].value
    assert any("Sprawdź pisownię." in m.value for m in at.markdown)

    at = page("record_page", id="ams-republica-pv").run()
    texts = clean(at)
    subs = [s.value for s in at.subheader]
    assert "Źródła" in subs and "Streszczenie" in subs
    frame = at.table[0].value
    assert {"wartość", "jednostka", "wiarygodność", "źródło", "uwaga"} <= set(frame.columns)
    values = [str(v) for t in at.table for v in t.value["wartość"]]
    assert any(re.fullmatch(r"[\d\u00a0 ]+,\d+", v) for v in values), values
    assert not any(re.search(r"\d\.\d", v) for v in values), "a decimal comma, never a point"
    evidence = {str(v) for t in at.table for v in t.value["wiarygodność"]}
    assert evidence <= {"zmierzone", "zainstalowane", "projektowe", "docelowe", "szacunkowe", "referencyjne", "—"}

    english = AppTest.from_string(SCRIPT.format(module="record_page"), default_timeout=90)
    english.query_params["id"] = "ams-republica-pv"
    english.run()
    assert not english.exception and "Sources" in [s.value for s in english.subheader]
    assert "value" in english.table[0].value.columns


@pytest.fixture
def lessons_app(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    engine = app_on_corpus(FIXTURES, app_env, monkeypatch, PASSWORD)
    accounts.add_user(engine, "vic", "viewer", PASSWORD, by=Actor.system())
    staff = Actor("ann", "staff")
    pub = lessons.create_lesson(engine, staff, lesson_data(title="Operator lesson"))
    lessons.publish_lesson(engine, Actor.system(), pub.id, 1, FakeEmbedder(name="fake-hash"))
    return app_env


def token(db: Path, name: str) -> str:
    return accounts.login(database.get_engine(db), name, PASSWORD)


def test_lessons_editor_history_and_account_in_polish(lessons_app: Path) -> None:
    at = page("lessons_page").run()
    texts = clean(at)
    assert at.title[0].value == "Wnioski z realizacji"
    assert "Znalezione wnioski: 2" in texts  # and the fixture corpus's lesson file
    facts = [html.unescape(c) for c in texts]  # the facts line is escaped Markdown (':' as an entity)
    assert any("bariera: prawna" in c and "rezultat: częściowo" in c and "autor: ann" in c for c in facts), facts
    assert {"Etap", "Bariera", "Rezultat", "Miasto"} <= set(texts)
    assert "pozwolenia" in at.selectbox(key="lessons_phase").options

    viewer = page("lesson_editor_page", token(lessons_app, "vic")).run()
    clean(viewer)
    assert viewer.warning[0].value.startswith("Wnioski mogą zapisywać tylko pracownicy centrum.")
    assert not viewer.text_input, "no form for a viewer"

    staff = page("lesson_editor_page", token(lessons_app, "ann")).run()
    clean(staff)
    assert staff.text_input[0].label == "Tytuł"
    staff.button[0].click().run()  # an empty form
    assert not staff.exception, staff.exception
    error = staff.error[0].value
    assert error.startswith("Nie zapisano. Popraw:") and "**Tytuł**: nie może być puste" in error, error
    assert "must not be empty" not in error
    assert lessons.list_lessons(database.get_engine(lessons_app), Actor("ann", "staff"), status="draft") == []

    lesson_id = lessons.list_lessons(database.get_engine(lessons_app), Actor("ann", "staff"))[0].id
    hist = page("lesson_history_page", token(lessons_app, "ann"), id=lesson_id).run()
    texts = clean(hist)
    frame = hist.dataframe[0].value
    assert list(frame["działanie"]) == ["utworzenie", "publikacja"] and list(frame["kto"]) == ["ann", "system"]
    assert frame["uwaga"].iloc[1] == "opublikowany bezpośrednio przez system (operator lub import: bez recenzji)"

    login = page("login_page").run()
    clean(login)
    form = login.get("html")[0].proto.body
    assert login.title[0].value == "Konto"
    assert all(f">{w}<" in form for w in ("Nazwa użytkownika", "Hasło", "Zaloguj się")), form
    assert not any(english in form for english in ENGLISH), form
    assert 'name="ui_lang" value="pl"' in form, "the login route answers a refusal in Polish too"
    staff_login = page("login_page", token(lessons_app, "ann")).run()
    clean(staff_login)
    assert staff_login.success[0].value == "Zalogowano jako ann (pracownik)."
    assert ">Wyloguj się<" in staff_login.get("html")[0].proto.body
    assert "godz." in staff_login.caption[0].value
