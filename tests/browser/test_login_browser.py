"""A login in Chromium survives a reload and other tabs, the page's scripts never see its token, and a logout in one
tab makes the other anonymous at its next action; ``streamlit run app.py`` serves both the pages and the routes."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.factories import ROOT, start_streamlit, wait_for_app
from tests.factories import log_in as shared_log_in
from tests.factories import sidebar_nav as sidebar

pytestmark = [pytest.mark.browser]

NAME, PASSWORD = "loginstaff", "login-staff-password"


@pytest.fixture(scope="module")
def login_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("login")


@pytest.fixture(scope="module")
def login_app(login_dir: Path) -> Iterator[str]:
    """``streamlit run app.py`` (the README's command) on the fixture corpus with the fake embedder."""
    from kb import accounts
    from kb.store import database

    engine = database.get_engine(login_dir / "kb.sqlite")
    accounts.add_user(engine, NAME, "staff", PASSWORD, by=accounts.Actor.system("tests"))
    database.dispose_all()
    env = {"KB_MODEL": "fake-hash", "KB_SOLUTIONS_DIR": str(ROOT / "tests" / "fixtures" / "corpus")}
    with start_streamlit(ROOT / "app.py", login_dir, env) as url:
        yield url


def log_in(page, url: str) -> None:  # type: ignore[no-untyped-def]
    shared_log_in(page, url, NAME, PASSWORD)


def test_streamlit_run_serves_the_pages_the_login_routes_and_the_feeds(login_app: str) -> None:
    with urllib.request.urlopen(f"{login_app}/kb-auth/login") as r:
        assert r.status == 200 and b'name="password"' in r.read()
    with urllib.request.urlopen(f"{login_app}/kb-feeds/lessons.atom") as r:
        assert r.status == 200 and r.headers["Content-Type"].startswith("application/atom+xml")
        assert b"<feed" in r.read(), "the lesson feed a reader subscribes to"
    for path in ("/", "/search", "/lessons", "/login", "/district-plan"):
        with urllib.request.urlopen(f"{login_app}{path}") as r:
            assert r.status == 200 and b"<noscript>" in r.read(), f"Streamlit's page at {path}"


def test_every_page_of_the_menu_runs_under_st_app(login_app: str, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(login_app)
    wait_for_app(page, timeout=240_000)
    links = page.locator("[data-testid=stSidebarNav] a")
    labels = [text.strip().split("\n")[-1].strip() for text in links.all_inner_texts()]
    hrefs = [links.nth(i).get_attribute("href") or "" for i in range(links.count())]
    assert len(labels) >= 10 and "Account" in labels, labels
    for label, href in zip(labels, hrefs, strict=True):
        sidebar(page, label)
        page.wait_for_url(href.rstrip("/") or login_app, timeout=60_000)
        wait_for_app(page)
        assert page.locator("[data-testid=stMain] h1").count() >= 1, f"{label}: a title"
        assert page.locator("[data-testid=stException]").count() == 0, f"{label}: no exception"


def test_login_survives_a_reload_and_its_token_is_out_of_the_pages_reach(login_app: str, context, page) -> None:  # type: ignore[no-untyped-def]
    log_in(page, login_app)
    assert page.url == f"{login_app}/login", "back on the Account page; nothing added to the address"
    cookie = next(c for c in context.cookies() if c["name"] == "kb_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert cookie["value"] not in page.url
    assert cookie["value"] not in page.evaluate("document.cookie"), "no script on the page can read the token"
    assert cookie["value"] not in page.evaluate("JSON.stringify({...localStorage, ...sessionStorage})")

    page.reload()
    wait_for_app(page, timeout=120_000)
    page.get_by_text(f"Logged in as {NAME}").wait_for(timeout=60_000)
    page.goto(f"{login_app}/lesson-editor")  # a new page load on another page: still hub staff
    wait_for_app(page, timeout=120_000)
    page.get_by_label("Title", exact=True).wait_for(timeout=60_000)
    assert page.get_by_text("Only hub staff can write lessons").count() == 0


def test_logout_in_one_tab_logs_the_other_out_at_its_next_action(login_app: str, login_dir: Path, context,  # type: ignore[no-untyped-def]
                                                                 page) -> None:
    from kb import accounts
    from kb.store import database

    log_in(page, login_app)
    token = next(c for c in context.cookies() if c["name"] == "kb_session")["value"]
    other = context.new_page()
    other.goto(f"{login_app}/lesson-editor")
    wait_for_app(other, timeout=120_000)
    other.get_by_label("Title", exact=True).wait_for(timeout=60_000)  # the second tab is logged in too

    page.get_by_role("button", name="Log out").click()
    page.get_by_label("User name", exact=True).wait_for(timeout=60_000)
    wait_for_app(page)
    assert not [c for c in context.cookies() if c["name"] == "kb_session"], "the cookie is cleared"
    assert accounts.actor_for_token(database.get_engine(login_dir / "kb.sqlite"), token).is_anonymous

    sidebar(other, "Lessons")  # the other tab's next action: anonymous
    sidebar(other, "Write a lesson")
    other.get_by_text("Only hub staff can write lessons").wait_for(timeout=60_000)
    assert other.get_by_label("Title", exact=True).count() == 0
    sidebar(other, "Account")
    other.get_by_label("User name", exact=True).wait_for(timeout=60_000)
    assert other.get_by_text(f"Logged in as {NAME}").count() == 0

    other.reload()  # and the old token does not come back with a reload
    wait_for_app(other, timeout=120_000)
    other.get_by_label("User name", exact=True).wait_for(timeout=60_000)


def test_a_disabled_account_is_anonymous_at_the_next_action(login_app: str, login_dir: Path, page) -> None:  # type: ignore[no-untyped-def]
    from kb import accounts
    from kb.store import database

    name, password = "disabledstaff", "disabled-staff-password"
    engine = database.get_engine(login_dir / "kb.sqlite")
    accounts.add_user(engine, name, "staff", password, by=accounts.Actor.system("tests"))
    page.goto(f"{login_app}/login")
    wait_for_app(page, timeout=240_000)
    page.get_by_label("User name", exact=True).fill(name)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_text(f"Logged in as {name}").wait_for(timeout=60_000)
    accounts.disable_user(engine, name, by=accounts.Actor.system("tests"))
    sidebar(page, "Lessons")
    sidebar(page, "Account")
    page.get_by_label("User name", exact=True).wait_for(timeout=60_000)
    assert page.get_by_text(f"Logged in as {name}").count() == 0


def test_a_wrong_password_shows_the_refusal_and_the_form_again(login_app: str, context, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{login_app}/login")
    wait_for_app(page, timeout=240_000)
    page.get_by_label("User name", exact=True).fill(NAME)
    page.get_by_label("Password", exact=True).fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("alert").wait_for(timeout=60_000)
    assert "wrong user name or password" in page.get_by_role("alert").inner_text()
    assert not [c for c in context.cookies() if c["name"] == "kb_session"]
    page.get_by_label("User name", exact=True).fill(NAME)  # the route's own form logs in and goes back
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_text(f"Logged in as {NAME}").wait_for(timeout=120_000)
    assert page.url == f"{login_app}/login"
