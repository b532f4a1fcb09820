"""The login routes beside Streamlit: a form, a POST that sets the HttpOnly session cookie, a POST that ends it.

Streamlit's pages cannot set a response header, so a login there lived only in ``st.session_state`` and ended with
the tab. These Starlette routes, mounted next to Streamlit by ``st.App`` in ``app.py``, keep it in a cookie instead:

- ``GET  /kb-auth/login[?next=/page&lang=pl]``: a plain HTML form (the Account page shows the same form).
- ``POST /kb-auth/login``: checks that the form came from this site (``Origin``, else ``Referer``, must name this
  host), waits the per-client delay, calls :func:`kb.accounts.login` (argon2, per-name lock), ends the session this
  browser had before, sets the cookie and answers ``303`` to ``next`` (a path inside the app, else the first page).
- ``POST /kb-auth/logout``: the same origin check, deletes the session row (every tab's next action is anonymous)
  and clears the cookie.

The cookie holds only the token (the database stores its SHA-256): ``HttpOnly`` (no script on the page can read
it), ``SameSite=Strict`` (never sent with a request another site starts), ``Path`` the app's, ``Max-Age`` the
session's lifetime, ``Secure`` when the request came over https. The websocket handshake sends it, and
``kb.ui.state.current_actor`` reads it from ``st.context.cookies`` on every run, so a reload keeps the login while
the row is valid and a logout, an expiry or a disabled account ends it at the next action.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from kb import accounts, errors, i18n
from kb.config import Settings
from kb.store import database
from kb.views import account

__all__ = ["routes", "AuthRoutes", "MAX_BODY"]

log = logging.getLogger(__name__)

MAX_BODY = 16 * 1024
"""A login form is a few hundred bytes; a larger body is refused before it is parsed."""
_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class _Refused(errors.Forbidden):
    """A request the routes refuse: answered with the login page, a sentence and the HTTP status ``status`` (which
    says why: 401 wrong, 403 foreign form, 413/415 not our form, 429 locked, 503 the database)."""

    def __init__(self, status: int, sentence: str, retry_after: int = 0, form: bool = True) -> None:
        super().__init__(sentence)
        self.status, self.retry_after, self.form = status, retry_after, form


def _default_engine() -> Engine:
    """The app's database (``KB_DB``): the same engine the pages use (``database.get_engine`` keeps one per file)."""
    return database.get_engine(Settings.from_env().db_path)


@dataclass
class AuthRoutes:
    """The login routes of one server: its database engine, its base path (Streamlit's ``server.baseUrlPath``)
    and its per-client login delay (in memory, per server process; the per-name lock is in the database)."""

    base: str = ""
    engine: Callable[[], Engine] = _default_engine
    backoff: accounts.ClientBackoff = field(default_factory=accounts.ClientBackoff)

    def routes(self) -> list[Route]:
        return [Route(account.url(self.base, account.LOGIN), self.login_form, methods=["GET"]),
                Route(account.url(self.base, account.LOGIN), self.login, methods=["POST"]),
                Route(account.url(self.base, account.LOGOUT), self.logout, methods=["POST"])]

    # --- the handlers ---------------------------------------------------------------------------------------

    async def login_form(self, request: Request) -> Response:
        lang = _language(request, request.query_params.get("lang"))
        return self._page(lang, account.safe_next(request.query_params.get("next"), self.base))

    async def login(self, request: Request) -> Response:
        try:
            form = await _form(request)
        except _Refused as exc:
            return self._page(_language(request, None), account.url(self.base, "/"), exc)
        lang = _language(request, form.get("ui_lang"))
        t = i18n.translator(lang)
        next_path = account.safe_next(form.get("next"), self.base)
        try:
            _same_origin(request, t)
            token = await self._authenticate(request, form.get("username", "").strip(), form.get("password", ""), t)
        except _Refused as exc:
            return self._page(lang, next_path, exc)
        previous = request.cookies.get(account.COOKIE)
        if previous:  # a new login ends the session this browser held: one live row per login, never two
            await run_in_threadpool(self._logout_quietly, previous)
        response = RedirectResponse(next_path, status_code=303, headers={"Cache-Control": "no-store"})
        response.set_cookie(account.COOKIE, token, max_age=account.MAX_AGE, path=account.url(self.base, "/"),
                            secure=request.url.scheme == "https", httponly=True, samesite="strict")
        return response

    async def logout(self, request: Request) -> Response:
        try:
            form = await _form(request)
            lang = _language(request, form.get("ui_lang"))
            _same_origin(request, i18n.translator(lang))
        except _Refused as exc:
            return self._page(_language(request, None), account.url(self.base, "/"),
                              _Refused(exc.status, str(exc), form=False))
        next_path = account.safe_next(form.get("next"), self.base)
        token = request.cookies.get(account.COOKIE)
        try:
            await run_in_threadpool(lambda: accounts.logout(self.engine(), token))
        except errors.KbError as exc:  # the row could not be deleted: say so, never pretend the session ended
            log.info("logout not written: %s", exc)
            return self._page(lang, next_path, _Refused(503, account.refusal(exc, i18n.translator(lang)), form=False))
        response = RedirectResponse(next_path, status_code=303, headers={"Cache-Control": "no-store"})
        response.delete_cookie(account.COOKIE, path=account.url(self.base, "/"),
                               secure=request.url.scheme == "https", httponly=True, samesite="strict")
        return response

    # --- the work -------------------------------------------------------------------------------------------

    async def _authenticate(self, request: Request, name: str, password: str, t: Callable[[str], str]) -> str:
        client = _client(request)
        wait = self.backoff.delay(client)
        if wait:  # a client that keeps failing waits longer before each attempt (never refused)
            await asyncio.sleep(wait)
        try:
            token: str = await run_in_threadpool(lambda: accounts.login(self.engine(), name, password))
        except accounts.LoginFailed as exc:
            self.backoff.failed(client)
            if isinstance(exc, accounts.AccountLocked):
                raise _Refused(429, account.refusal(exc, t), retry_after=exc.retry_after) from exc
            raise _Refused(401, account.refusal(exc, t)) from exc
        except errors.KbError as exc:  # a read-only or busy database: the store's sentence
            raise _Refused(503, account.refusal(exc, t)) from exc
        self.backoff.succeeded(client)
        return token

    def _logout_quietly(self, token: str) -> None:
        try:
            accounts.logout(self.engine(), token)
        except errors.KbError as exc:  # the new login stands; the old row still expires on its own
            log.info("previous session not ended at login: %s", exc)

    def _page(self, lang: str, next_path: str, problem: _Refused | None = None) -> HTMLResponse:
        body = account.login_page(i18n.translator(lang), base=self.base, next_path=next_path, lang=lang,
                                  problem=str(problem) if problem else None, form=problem is None or problem.form)
        headers = dict(_HEADERS)
        if problem is not None and problem.retry_after:
            headers["Retry-After"] = str(problem.retry_after)
        return HTMLResponse(body, status_code=problem.status if problem else 200, headers=headers)


def routes(base: str = "", engine: Callable[[], Engine] | None = None,
           backoff: accounts.ClientBackoff | None = None) -> list[Route]:
    """The login routes for ``st.App(..., routes=...)`` under Streamlit's ``server.baseUrlPath`` ``base``."""
    auth = AuthRoutes(base=base or "", engine=engine or _default_engine,
                      backoff=backoff or accounts.ClientBackoff())
    return auth.routes()


# --- request helpers ----------------------------------------------------------------------------------------

async def _form(request: Request) -> dict[str, str]:
    """The fields of a urlencoded form (the first value of each), read up to :data:`MAX_BODY` bytes."""
    foreign = i18n.translator(_language(request, None))(account.FOREIGN)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise _Refused(415, foreign)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise _Refused(413, foreign)
    fields: dict[str, str] = {}
    for key, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=20):
        fields.setdefault(key, value)
    return fields


def _same_origin(request: Request, t: Callable[[str], str]) -> None:
    """Refuse a form that another site made the browser send (login or logout CSRF): its ``Origin`` (or, when a
    browser sends none, its ``Referer``) must name this very host and port."""
    host = request.headers.get("host", "")
    origin = request.headers.get("origin")
    source = origin if origin is not None else request.headers.get("referer", "")
    parts = urlsplit(source)
    if not host or parts.scheme not in ("http", "https") or parts.netloc.lower() != host.lower():
        raise _Refused(403, t(account.FOREIGN))


def _language(request: Request, chosen: str | None) -> str:
    """The page's language: the one the form or address names (``lang``), else the browser's first offered one."""
    if chosen in i18n.LANGUAGES:
        return str(chosen)
    for item in request.headers.get("accept-language", "").split(",")[:20]:
        tag = item.split(";")[0].strip()
        if tag and tag != "*":
            lang = i18n.language_from(tag)
            if lang != i18n.DEFAULT or tag.lower().startswith(i18n.DEFAULT):
                return lang
    return i18n.DEFAULT


def _client(request: Request) -> str | None:
    """The key of the per-client delay: the peer's address, except a loopback one (a proxy on this machine would
    make every visitor one client; Streamlit's ``st.context.ip_address`` drops it the same way)."""
    host = request.client.host if request.client else None
    if not host:
        return None
    try:
        return None if ipaddress.ip_address(host).is_loopback else host
    except ValueError:
        return host
