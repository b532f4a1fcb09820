"""The login kept in a cookie: its name and addresses, where a login may send the browser back, the refusals, the forms.

The routes in ``kb/web/auth.py`` set and clear the cookie; the Account page (``kb/ui/login_page.py``) shows the same
forms (posting to those routes); ``kb.ui.state.current_actor`` reads the cookie. Everything here is plain text and
escaped HTML, no Streamlit and no web framework, so both sides and the tests share one definition.
"""

from __future__ import annotations

import re
from html import escape
from urllib.parse import urlsplit

from kb import accounts, errors, i18n
from kb.i18n import N_
from kb.views.fmt import Translate, identity
from kb.views.messages import app_message

__all__ = ["COOKIE", "PREFIX", "LOGIN", "LOGOUT", "MAX_AGE", "FOREIGN", "url", "safe_next", "refusal", "login_form",
           "logout_form", "login_page"]

COOKIE = "kb_session"
"""The cookie that holds the session token (HttpOnly: the page's scripts never see it)."""
PREFIX = "/kb-auth"
"""The login routes' prefix: outside what Streamlit reserves (``/_stcore``, ``/media``, ``/component``,
``/static``, and its own OIDC ``/auth/login``, ``/auth/logout``, ``/oauth2callback``)."""
LOGIN = PREFIX + "/login"
LOGOUT = PREFIX + "/logout"
MAX_AGE = int(accounts.SESSION_HOURS * 3600)
"""The cookie lives as long as the session row it names (kb.accounts.SESSION_HOURS); the row decides."""

FOREIGN = N_("The form did not come from this site; nothing was changed. Open the page again.")
"""A login or logout form that another site (or no browser) sent: refused before anything is read."""

_WRONG = "wrong user name or password"
_DISABLED = re.compile(r"^the account '(.*)' is disabled; ask an admin$", re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x20\x7f\\]")


def url(base: str, path: str) -> str:
    """``path`` (starting with ``/``) under Streamlit's ``server.baseUrlPath`` (``""`` or ``"kb"`` → ``/kb/...``)."""
    base = (base or "").strip("/")
    return f"/{base}{path}" if base else path


def safe_next(value: str | None, base: str = "") -> str:
    """Where a login or logout sends the browser: ``value`` if it is a path inside the app, else the app's first
    page. Never another site (``//evil.example``, ``https://…``, ``/\\evil.example``), never a control character,
    blank or backslash (which browsers read as a slash)."""
    root = url(base, "/")
    if not value or len(value) > 2000 or _CONTROL.search(value):
        return root
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith(root) or value.startswith("//"):
        return root
    return value


def refusal(exc: errors.KbError, t: Translate = identity) -> str:
    """Why a login (or logout) was refused, as a plain sentence in the reader's language: the library's sentences
    for a wrong password, a disabled account and a lock; the store's sentence when the database cannot be used."""
    message = str(exc)
    if isinstance(exc, accounts.AccountLocked):
        return t("Not logged in: too many failed logins; try again in {seconds} seconds.").format(
            seconds=exc.retry_after)
    if message == _WRONG:
        return t("Not logged in: wrong user name or password.")
    m = _DISABLED.match(message)
    if m:
        return t("Not logged in: the account {name} is disabled; ask an administrator.").format(name=m[1])
    return app_message(exc, t)


# Field names: Streamlit's st.html runs DOMPurify, which drops a ``name`` that a form or document property has
# (``name``, ``lang``, ``action``, …: DOM clobbering), so the fields are ``username``, ``password``, ``next``,
# ``ui_lang``.

def _hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{name}" value="{escape(value)}">'


_FIELD = "display:block;width:100%;max-width:22rem;padding:0.4rem;margin:0.2rem 0 0.8rem;font:inherit;" \
         "border:1px solid #888;border-radius:0.4rem"
_BUTTON = "padding:0.4rem 1rem;font:inherit;border:1px solid #888;border-radius:0.4rem;cursor:pointer"


def login_form(t: Translate, *, base: str, next_path: str, lang: str) -> str:
    """The login form (escaped HTML): name and password, posted to :data:`LOGIN` with where to go back to."""
    return (f'<form method="post" action="{escape(url(base, LOGIN))}" aria-label="{escape(t("Log in"))}">'
            + _hidden("next", next_path) + _hidden("ui_lang", lang)
            + f'<label for="kb-login-name">{escape(t("User name"))}</label>'
            f'<input id="kb-login-name" name="username" autocomplete="username" required maxlength="64" '
            f'autocapitalize="none" spellcheck="false" style="{_FIELD}">'
            f'<label for="kb-login-password">{escape(t("Password"))}</label>'
            f'<input id="kb-login-password" name="password" type="password" autocomplete="current-password" '
            f'required maxlength="{accounts.MAX_PASSWORD}" style="{_FIELD}">'
            f'<button type="submit" style="{_BUTTON}">{escape(t("Log in"))}</button></form>')


def logout_form(t: Translate, *, base: str, next_path: str) -> str:
    """The logout button (escaped HTML), posted to :data:`LOGOUT`: the session ends for every tab at once."""
    return (f'<form method="post" action="{escape(url(base, LOGOUT))}">' + _hidden("next", next_path)
            + f'<button type="submit" style="{_BUTTON}">{escape(t("Log out"))}</button></form>')


def login_page(t: Translate, *, base: str, next_path: str, lang: str, problem: str | None = None,
               form: bool = True) -> str:
    """The login route's own page (a whole HTML document): the refusal, if any, then the form (unless ``form`` is
    false: a logout that could not be written) and a way back."""
    lang = lang if lang in i18n.LANGUAGES else i18n.DEFAULT
    alert = f'<p role="alert" style="color:#a00;font-weight:bold">{escape(problem)}</p>' if problem else ""
    return ("<!DOCTYPE html>\n"
            f'<html lang="{lang}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(t('Account'))} · ATELIER</title></head>"
            '<body style="font-family:system-ui,sans-serif;max-width:30rem;margin:3rem auto;padding:0 1rem">'
            f"<main><h1>{escape(t('Account'))}</h1>{alert}"
            + (login_form(t, base=base, next_path=next_path, lang=lang) if form else "")
            + f'<p><a href="{escape(next_path)}">{escape(t("Back to the knowledge base"))}</a></p>'
            "</main></body></html>")
