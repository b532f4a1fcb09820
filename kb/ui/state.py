"""Shared resources of the app: one engine, embedder and search engine, the database built on first start, the actor."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import streamlit as st
from sqlalchemy import Engine

from kb import accounts, i18n
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


@dataclass(frozen=True)
class StartupReport:
    """What the start-up ingest did, for the Overview page: one sentence, and the records it could not load."""

    summary: str
    problems: tuple[str, ...] = ()
    records: int | None = None  # the records loaded (None: not refreshed), for the summary in other languages
    embedded: int = 0


@st.cache_resource(show_spinner="Preparing the knowledge base (the first start embeds every record: about a minute)…")
def startup() -> StartupReport:
    """The incremental ingest of the bundled records, once per server. No Streamlit element inside: a cached
    function's elements are replayed on every rerun, so a status box would stay on every page. The decorator's
    spinner is transient: shown only while the first start runs it, never replayed on a cache hit."""
    from ingest.loader import run_ingest  # the app shell may drive ingest; kb core never does

    try:
        with database.batch_writes():  # nobody waits on this write: the long busy timeout
            result = run_ingest(settings().solutions_dir, settings().db_path, embedder())
    except (database.DatabaseReadOnly, database.DatabaseBusy) as exc:  # serve what the database holds
        return StartupReport("Records not refreshed at start-up.", (str(exc),))
    summary = (f"Knowledge base ready: {result.records} records"
               + (f", {result.chunks_embedded} sections embedded" if result.chunks_embedded else "") + ".")
    problems = [str(e) for e in result.errors[:20]] + [str(c) for c in result.unresolved]  # an unexported app edit
    return StartupReport(summary, tuple(problems), result.records, result.chunks_embedded)  # is never overwritten


def engine() -> Engine:
    """The database engine, after the start-up ingest. Not cached itself: ``startup`` must be the outermost cached
    call, or Streamlit hides its spinner (it shows only the outermost cached function's, and only on a miss)."""
    startup()
    return _engine()


@st.cache_resource(show_spinner=False)
def _engine() -> Engine:
    return database.get_engine(settings().db_path)


def search_engine() -> SearchEngine:
    """The search engine (after the start-up ingest, see :func:`engine`)."""
    startup()
    return _search_engine()


@st.cache_resource(show_spinner=False)
def _search_engine() -> SearchEngine:
    return SearchEngine(_engine(), embedder())


def data_version() -> str:
    """A cheap fingerprint of the records in the database (counts, last ids and update time, corpus version): it
    changes with every ingest or record write, so results derived from the records can be cached under it."""
    from kb.store import fts

    with database.read_session(engine()) as s:
        return repr(fts.signature(s))


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


def language() -> str:
    """The interface language of this session: the sidebar's choice, at first the browser's when offered."""
    lang = st.session_state.get("lang")
    if lang not in i18n.LANGUAGES:
        lang = i18n.language_from(st.context.locale)
        st.session_state["lang"] = lang
    return str(lang)


def t(message: str) -> str:
    """A text of the interface in the session's language (English where the catalogue has no entry)."""
    return i18n.translator(language())(message)


def locale() -> str:
    """The Babel locale of the session's language, for numbers and dates (``pl_PL``: decimal comma)."""
    return i18n.locale_of(language())
