"""Log in and out; the session token lives in ``st.session_state`` and names the current actor."""

from __future__ import annotations

import time

import streamlit as st

from kb import accounts
from kb.text import escape_markdown
from kb.ui import state


def render() -> None:
    st.title("Account")
    actor = state.current_actor()
    if not actor.is_anonymous:
        st.success(f"Logged in as {escape_markdown(actor.name)} ({actor.role}).")
        if st.button("Log out", key="logout"):
            accounts.logout(state.engine(), st.session_state.pop(state.TOKEN_KEY, None))
            st.rerun()
        return
    st.caption("Visitors read published lessons without an account. Hub staff log in to write lessons.")
    with st.form("login_form"):
        name = st.text_input("User name", key="login_name")
        password = st.text_input("Password", type="password", key="login_password")
        submitted = st.form_submit_button("Log in")
    if submitted:
        client, backoff = state.client_address(), state.client_backoff()
        wait = backoff.delay(client)
        if wait:  # a client that keeps failing waits longer before each attempt (never refused)
            time.sleep(wait)
        try:
            st.session_state[state.TOKEN_KEY] = accounts.login(state.engine(), name.strip(), password)
        except accounts.LoginFailed as exc:  # a read-only or busy database: the route shows the store's sentence
            backoff.failed(client)
            st.error(str(exc))
        else:
            backoff.succeeded(client)
            st.rerun()
