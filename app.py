"""Streamlit entry point: page configuration and navigation over the pages in kb/ui/."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import streamlit as st  # noqa: E402

from kb.ui.pages import all_pages  # noqa: E402

st.set_page_config(page_title="ATELIER PED knowledge base", page_icon="⚡", layout="wide")
st.navigation(all_pages()).run()
