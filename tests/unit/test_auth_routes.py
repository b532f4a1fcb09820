"""The login routes (kb/web/auth.py) through Starlette's TestClient: the cookie's flags, CSRF and open-redirect
refusals, throttling, rotation, logout, a disabled account, a read-only database; the shared views they draw on."""

from __future__ import annotations

import time
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.testclient import TestClient

from kb import accounts
from kb.accounts import Actor
from kb.store import database
from kb.views import account
from kb.web import auth

PASSWORD = "staff-password-1"
ORIGIN = "http://testserver"
SAME_SITE = {"Origin": ORIGIN}


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = database.get_engine(tmp_path / "kb.sqlite")
    accounts.add_user(engine, "ann", "staff", PASSWORD, by=Actor.system())
    return engine


def client_for(engine: Engine, base: str = "", backoff: accounts.ClientBackoff | None = None,
               **kwargs: Any) -> TestClient:
    app = Starlette(routes=auth.routes(base=base, engine=lambda: engine, backoff=backoff))
    return TestClient(app, follow_redirects=False, **kwargs)


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with client_for(engine) as c:
        yield c


def log_in(client: TestClient, name: str = "ann", password: str = PASSWORD, next_path: str = "/login",
           headers: dict[str, str] | None = None, **extra: str) -> Any:
    return client.post(account.LOGIN, data={"username": name, "password": password, "next": next_path, **extra},
                       headers=SAME_SITE if headers is None else headers)


def set_cookie(response: Any) -> SimpleCookie:
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        jar.load(header)
    return jar


def session_rows(engine: Engine) -> int:
    from sqlmodel import func, select

    from kb.store.tables import SessionRow

    with database.read_session(engine) as s:
        return int(s.exec(select(func.count()).select_from(SessionRow)).one())


# --- the form -------------------------------------------------------------------------------------------------

def test_the_form_is_plain_html_in_the_browsers_language(client: TestClient) -> None:
    page = client.get(account.LOGIN, params={"next": "/lessons"}, headers={"Accept-Language": "pl-PL,pl;q=0.9"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<html lang="pl">' in page.text and "Nazwa użytkownika" in page.text and "Zaloguj się" in page.text
    assert '<label for="kb-login-name">' in page.text and 'autocomplete="current-password"' in page.text
    assert 'name="next" value="/lessons"' in page.text
    assert "<script" not in page.text and page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    english = client.get(account.LOGIN, params={"lang": "en"}, headers={"Accept-Language": "pl"})
    assert '<html lang="en">' in english.text and "User name" in english.text
    hostile = client.get(account.LOGIN, params={"next": '/x"><script>alert(1)</script>'})
    assert "<script>" not in hostile.text and "&lt;script&gt;" in hostile.text


# --- logging in ------------------------------------------------------------------------------------------------

def test_login_sets_an_httponly_strict_cookie_for_the_sessions_lifetime(client: TestClient, engine: Engine) -> None:
    response = log_in(client)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    cookie = set_cookie(response)[account.COOKIE]
    assert cookie["httponly"] is True and cookie["samesite"] == "strict" and cookie["path"] == "/"
    assert cookie["max-age"] == str(accounts.SESSION_HOURS * 3600) and not cookie["secure"]
    token = cookie.value
    assert token and token not in response.headers["location"], "the token is never in the address"
    assert accounts.actor_for_token(engine, token) == Actor("ann", "staff")
    assert [h for h in response.headers.get_list("set-cookie") if "kb_session" in h] == \
        [h for h in response.headers.get_list("set-cookie")], "the only cookie set holds the token"


def test_over_https_the_cookie_is_secure(engine: Engine) -> None:
    with client_for(engine, base_url="https://kb.example") as c:
        response = log_in(c, headers={"Origin": "https://kb.example"})
    assert response.status_code == 303 and set_cookie(response)[account.COOKIE]["secure"] is True


def test_a_wrong_password_is_refused_in_the_readers_language_without_a_cookie(client: TestClient,
                                                                              engine: Engine) -> None:
    response = log_in(client, password="wrong-password", ui_lang="pl")
    assert response.status_code == 401 and not response.headers.get_list("set-cookie")
    assert "Nie zalogowano: błędna nazwa użytkownika lub hasło." in response.text
    assert 'role="alert"' in response.text and session_rows(engine) == 0
    assert 'name="next" value="/login"' in response.text, "the form again, still going back to the same page"


def test_a_disabled_account_is_refused_and_its_open_sessions_end_at_once(client: TestClient, engine: Engine) -> None:
    token = set_cookie(log_in(client))[account.COOKIE].value
    accounts.disable_user(engine, "ann", by=Actor.system())
    assert accounts.actor_for_token(engine, token).is_anonymous
    response = log_in(client)
    assert response.status_code == 401 and "the account ann is disabled" in response.text


def test_a_new_login_ends_the_session_the_browser_held(client: TestClient, engine: Engine) -> None:
    first = set_cookie(log_in(client))[account.COOKIE].value
    client.cookies.set(account.COOKIE, first)
    second = set_cookie(log_in(client))[account.COOKIE].value
    assert second != first
    assert accounts.actor_for_token(engine, first).is_anonymous, "the row from before is never valid again"
    assert accounts.actor_for_token(engine, second).name == "ann" and session_rows(engine) == 1


# --- CSRF -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [
    {},                                                     # neither Origin nor Referer: not our form
    {"Origin": "https://evil.example"},
    {"Origin": "null"},
    {"Origin": "http://testserver.evil.example"},
    {"Referer": "https://evil.example/login"},
    {"Origin": "https://evil.example", "Referer": f"{ORIGIN}/login"},  # a forged Referer does not outvote Origin
])
def test_a_form_sent_by_another_site_is_refused_before_anything_is_read(client: TestClient, engine: Engine,
                                                                        headers: dict[str, str]) -> None:
    response = log_in(client, headers=headers)
    assert response.status_code == 403 and not response.headers.get_list("set-cookie")
    assert "did not come from this site" in response.text and session_rows(engine) == 0
    assert accounts.list_users(engine)[0]["last_login"] is None, "not even the password was checked"
    good = client.post(account.LOGIN, data={"username": "ann", "password": PASSWORD},
                       headers={"Referer": f"{ORIGIN}/login"})
    assert good.status_code == 303, "a browser that sends only a Referer of this site is let in"


def test_only_a_small_urlencoded_form_is_read(client: TestClient) -> None:
    as_json = client.post(account.LOGIN, json={"username": "ann", "password": PASSWORD}, headers=SAME_SITE)
    assert as_json.status_code == 415
    huge = client.post(account.LOGIN, data={"username": "ann", "password": "x" * (auth.MAX_BODY + 1)},
                       headers=SAME_SITE)
    assert huge.status_code == 413 and not huge.headers.get_list("set-cookie")


# --- where the browser is sent back -------------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "\\\\evil.example",
                                    "javascript:alert(1)", "/\t/evil.example", " //evil.example", "evil.example",
                                    "http:/evil.example", "/login\r\nSet-Cookie: x=1"])
def test_next_never_leaves_the_app(client: TestClient, target: str) -> None:
    response = log_in(client, next_path=target)
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_next_inside_the_app_is_kept_with_its_query(client: TestClient) -> None:
    response = log_in(client, next_path="/lesson-editor?id=lesson-1")
    assert response.headers["location"] == "/lesson-editor?id=lesson-1"


def test_under_a_base_path_the_routes_cookie_and_redirects_stay_inside_it(engine: Engine) -> None:
    with client_for(engine, base="kb") as c:
        assert c.get("/kb/kb-auth/login").status_code == 200 and c.get(account.LOGIN).status_code == 404
        outside = c.post("/kb/kb-auth/login", data={"username": "ann", "password": PASSWORD, "next": "/other"},
                         headers=SAME_SITE)
        assert outside.headers["location"] == "/kb/"
        assert set_cookie(outside)[account.COOKIE]["path"] == "/kb/"


@given(st.text(max_size=60))
def test_safe_next_is_always_a_path_of_the_app(value: str) -> None:
    for base in ("", "kb"):
        out = account.safe_next(value, base)
        root = account.url(base, "/")
        assert out.startswith(root) and not out.startswith("//") and "\\" not in out
        assert not any(ord(ch) < 0x21 for ch in out)
        assert out == root or out == value


# --- throttling ---------------------------------------------------------------------------------------------------

def test_a_name_is_locked_after_three_failures_even_for_the_right_password(client: TestClient) -> None:
    for _ in range(accounts.FREE_FAILURES):
        assert log_in(client, password="wrong-password").status_code == 401
    locked = log_in(client)
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) >= 1
    assert "too many failed logins" in locked.text and not locked.headers.get_list("set-cookie")


def test_a_client_that_keeps_failing_waits_longer_and_loopback_is_not_one_client(engine: Engine) -> None:
    backoff = accounts.ClientBackoff(free=2, base=0.4, max_delay=0.4)
    with client_for(engine, backoff=backoff, client=("203.0.113.7", 50000)) as c:
        for n in range(2):  # different names: no per-name lock, only the address counts
            assert log_in(c, name=f"guess{n}", password="wrong-password").status_code == 401
        t0 = time.monotonic()
        assert log_in(c, name="guess9", password="wrong-password").status_code == 401
        assert time.monotonic() - t0 >= 0.4, "the third failure from this address waited"
        assert backoff.delay("203.0.113.7") > 0
        assert log_in(c).status_code == 303 and backoff.delay("203.0.113.7") == 0, "a success clears it"
    local = accounts.ClientBackoff(free=0, base=5, max_delay=5)
    with client_for(engine, backoff=local, client=("127.0.0.1", 50000)) as c:
        t0 = time.monotonic()
        assert log_in(c, name="guess", password="wrong-password").status_code == 401
        assert time.monotonic() - t0 < 4, "a proxy on this machine would make every visitor one client"


# --- logging out ------------------------------------------------------------------------------------------------

def test_logout_deletes_the_row_and_clears_the_cookie(client: TestClient, engine: Engine) -> None:
    token = set_cookie(log_in(client))[account.COOKIE].value
    client.cookies.set(account.COOKIE, token)
    response = client.post(account.LOGOUT, data={"next": "/login"}, headers=SAME_SITE)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    cleared = set_cookie(response)[account.COOKIE]
    assert cleared.value == "" and cleared["max-age"] == "0" and cleared["httponly"] is True
    assert accounts.actor_for_token(engine, token).is_anonymous and session_rows(engine) == 0


def test_a_logout_sent_by_another_site_changes_nothing(client: TestClient, engine: Engine) -> None:
    token = set_cookie(log_in(client))[account.COOKIE].value
    client.cookies.set(account.COOKIE, token)
    response = client.post(account.LOGOUT, data={"next": "/login"}, headers={"Origin": "https://evil.example"})
    assert response.status_code == 403 and not response.headers.get_list("set-cookie")
    assert accounts.actor_for_token(engine, token).name == "ann"


def test_a_logout_the_database_cannot_write_says_so_and_keeps_the_cookie(client: TestClient, engine: Engine,
                                                                         tmp_path: Path) -> None:
    token = set_cookie(log_in(client))[account.COOKIE].value
    database.dispose_all()
    read_only = database.get_engine(tmp_path / "kb.sqlite", read_only=True)
    with client_for(read_only) as c:
        c.cookies.set(account.COOKIE, token)
        response = c.post(account.LOGOUT, data={"next": "/login"}, headers=SAME_SITE)
    assert response.status_code == 503 and database.READ_ONLY_MESSAGE in response.text
    assert not response.headers.get_list("set-cookie") and "Traceback" not in response.text
    assert 'name="password"' not in response.text, "no login form on a failed logout"


@pytest.mark.parametrize("name", ["ann", "nobody"])
def test_login_on_a_read_only_database_shows_the_stores_sentence(engine: Engine, tmp_path: Path, name: str) -> None:
    database.dispose_all()
    read_only = database.get_engine(tmp_path / "kb.sqlite", read_only=True)
    with client_for(read_only) as c:
        response = log_in(c, name=name)
    assert response.status_code == 503 and database.READ_ONLY_MESSAGE in response.text
    assert "Traceback" not in response.text and str(tmp_path) not in response.text
    assert not response.headers.get_list("set-cookie")
