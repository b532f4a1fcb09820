"""Shared resources of the app: one engine, embedder and search engine, the database built on first start, the actor."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from kb import accounts
from kb.config import Settings
from kb.embeddings import Embedder, make_embedder
from kb.search.engine import SearchEngine
from kb.store import database


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    """The environment, read once per server (tests clear this cache between apps)."""
    return Settings.from_env()


@st.cache_resource(show_spinner=False)
def embedder() -> Embedder:
    return make_embedder(settings().model)


@st.cache_resource(show_spinner=False)
def engine() -> Engine:
    """The database engine, after an incremental ingest of the bundled records (progress shown)."""
    from ingest.loader import run_ingest  # the app shell may drive ingest; kb core never does

    path = settings().db_path
    with st.status("Preparing the knowledge base…", expanded=False) as status:
        result = run_ingest(settings().solutions_dir, path, embedder(), progress=status.write)
        label = (f"Knowledge base ready: {result.records} records"
                 + (f", {result.chunks_embedded} sections embedded" if result.chunks_embedded else ""))
        status.update(label=label, state="error" if result.errors else "complete")
        for e in result.errors[:20]:
            status.write(f"⚠ {e}")
    return database.get_engine(path)


@st.cache_resource(show_spinner=False)
def search_engine() -> SearchEngine:
    return SearchEngine(engine(), embedder())


TOKEN_KEY = "kb_token"


def current_actor() -> accounts.Actor:
    """The logged-in user, or anonymous (also when the session expired or the account was disabled)."""
    actor = accounts.actor_for_token(engine(), st.session_state.get(TOKEN_KEY))
    if actor.is_anonymous:
        st.session_state.pop(TOKEN_KEY, None)
    return actor
