"""Shared resources of the app: one engine, embedder and search engine, the database built on first start, the actor."""

from __future__ import annotations

import logging

import streamlit as st
from sqlalchemy import Engine

from kb import accounts
from kb.config import Settings
from kb.embeddings import Embedder, make_embedder
from kb.search.engine import SearchEngine
from kb.store import database


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    """The environment, read once per server (tests clear this cache between apps); the server's log set up."""
    _server_log()
    return Settings.from_env()


def _server_log() -> None:
    """The server's console gets the library's log from INFO up: why the database refused a write (the SQLite
    message, the file), while the page shows only a sentence."""
    kb_log = logging.getLogger("kb")
    if not kb_log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        kb_log.addHandler(handler)
    if kb_log.level == logging.NOTSET or kb_log.level > logging.INFO:
        kb_log.setLevel(logging.INFO)


@st.cache_resource(show_spinner=False)
def embedder() -> Embedder:
    return make_embedder(settings().model)


@st.cache_resource(show_spinner=False)
def engine() -> Engine:
    """The database engine, after an incremental ingest of the bundled records (progress shown)."""
    from ingest.loader import run_ingest  # the app shell may drive ingest; kb core never does

    path = settings().db_path
    with st.status("Preparing the knowledge base…", expanded=False) as status:
        try:
            with database.batch_writes():  # nobody waits on this write: the long busy timeout
                result = run_ingest(settings().solutions_dir, path, embedder(), progress=status.write)
        except (database.DatabaseReadOnly, database.DatabaseBusy) as exc:  # serve what the database holds
            status.update(label="Knowledge base ready (records not refreshed)", state="error")
            status.write(f"⚠ {exc}")
        else:
            label = (f"Knowledge base ready: {result.records} records"
                     + (f", {result.chunks_embedded} sections embedded" if result.chunks_embedded else ""))
            status.update(label=label, state="error" if result.errors else "complete")
            for e in result.errors[:20]:
                status.write(f"⚠ {e}")
    return database.get_engine(path)


@st.cache_resource(show_spinner=False)
def search_engine() -> SearchEngine:
    return SearchEngine(engine(), embedder())


@st.cache_resource(show_spinner=False)
def client_backoff() -> accounts.ClientBackoff:
    """The per-client login delay of this server (in memory)."""
    return accounts.ClientBackoff()


def client_address() -> str | None:
    """The visitor's address as Streamlit sees it (``None`` on localhost, in AppTest and behind a proxy that hides
    it): the key of the per-client login delay."""
    return st.context.ip_address


TOKEN_KEY = "kb_token"


def current_actor() -> accounts.Actor:
    """The logged-in user, or anonymous (also when the session expired or the account was disabled)."""
    actor = accounts.actor_for_token(engine(), st.session_state.get(TOKEN_KEY))
    if actor.is_anonymous:
        st.session_state.pop(TOKEN_KEY, None)
    return actor
