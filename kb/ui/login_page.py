"""Log in and out; the session token lives in ``st.session_state`` and names the current actor."""

from __future__ import annotations

import re
import time

import streamlit as st

from kb import accounts
from kb.text import escape_markdown
from kb.ui import state
from kb.ui.state import t
from kb.views.words import word

WRONG = "wrong user name or password"
"""The library's sentence for a failed login (kb.accounts.login), shown in the reader's language."""
_DISABLED = re.compile(r"^the account '(.*)' is disabled; ask an admin$", re.DOTALL)


def refusal(message: str) -> str:
    """Why a login was refused, in the reader's language (the library's two sentences; any other as it is), as
    Markdown with the library's text escaped."""
    if message == WRONG:
        return t("Not logged in: wrong user name or password.")
    m = _DISABLED.match(message)
    if m:
        return t("Not logged in: the account {name} is disabled; ask an administrator.").format(
            name=escape_markdown(m[1]))
    return escape_markdown(message)


def render() -> None:
    st.title(t("Account"))
    actor = state.current_actor()
    if not actor.is_anonymous:
        st.success(t("Logged in as {name} ({role}).").format(name=escape_markdown(actor.name),
                                                             role=word(actor.role, t)))
        if st.button(t("Log out"), key="logout"):
            accounts.logout(state.engine(), st.session_state.pop(state.TOKEN_KEY, None))
            st.rerun()
        return
    st.caption(t("Visitors read published lessons without an account. Hub staff log in to write lessons."))
    with st.form("login_form"):
        name = st.text_input(t("User name"), key="login_name")
        password = st.text_input(t("Password"), type="password", key="login_password")
        submitted = st.form_submit_button(t("Log in"))
    if submitted:
        client, backoff = state.client_address(), state.client_backoff()
        wait = backoff.delay(client)
        if wait:  # a client that keeps failing waits longer before each attempt (never refused)
            time.sleep(wait)
        try:
            st.session_state[state.TOKEN_KEY] = accounts.login(state.engine(), name.strip(), password)
        except accounts.LoginFailed as exc:  # a read-only or busy database: the route shows the store's sentence
            backoff.failed(client)
            st.error(refusal(str(exc)))
        else:
            backoff.succeeded(client)
            st.rerun()
