"""Streamlit entry point: the pages (``st.navigation`` over kb/ui/) and, around them, the login routes (``st.App``).

``streamlit run app.py`` finds ``app = st.App(...)`` below (it reads this file's syntax tree, whatever branch the
line is in), imports this file as the module ``app`` and serves that ASGI app with uvicorn: Streamlit plus the
routes of kb/web/auth.py, which keep a login in an HttpOnly cookie, and the lesson feeds of kb/web/feeds.py. The
app then runs this same file as its page script, as ``__main__`` (so does ``AppTest.from_file``), which draws the
pages.
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import streamlit as st  # noqa: E402

if __name__ == "__main__":  # the page script, run by Streamlit for every session (and by AppTest)
    from kb.ui.pages import all_pages

    st.set_page_config(page_title="ATELIER PED knowledge base", page_icon="⚡", layout="wide")
    st.navigation(all_pages()).run()
else:  # imported by `streamlit run` (or `uvicorn app:app`): the server
    from kb.web import auth, feeds

    _base = str(st.get_option("server.baseUrlPath") or "")
    app = st.App(__file__, routes=auth.routes(base=_base) + feeds.routes(base=_base))
