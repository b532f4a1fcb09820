"""Log in and out: the forms post to the login routes (kb/web/auth.py), which keep the login in an HttpOnly cookie."""

from __future__ import annotations

import streamlit as st

from kb import accounts
from kb.text import escape_markdown
from kb.ui import routes, state
from kb.ui.state import t
from kb.views import account
from kb.views.fmt import format_count
from kb.views.words import word


def render() -> None:
    st.title(t("Account"))
    actor = state.current_actor()
    base = str(st.get_option("server.baseUrlPath") or "")
    here = account.url(base, "/" + routes.ROUTES["login"].url_path)
    if not actor.is_anonymous:
        st.success(t("Logged in as {name} ({role}).").format(name=escape_markdown(actor.name),
                                                             role=word(actor.role, t)))
        st.caption(t("The login lasts {hours} hours in this browser, also across reloads and tabs; logging out ends "
                     "it in every tab.").format(hours=format_count(accounts.SESSION_HOURS, locale=state.locale())))
        st.html(account.logout_form(t, base=base, next_path=here))
        return
    st.caption(t("Visitors read published lessons without an account. Hub staff log in to write lessons."))
    st.html(account.login_form(t, base=base, next_path=here, lang=state.language()))
