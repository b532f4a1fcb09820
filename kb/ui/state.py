"""Shared resources of the app: one engine, embedder and search engine, the database built on first start, the actor."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import streamlit as st
from sqlalchemy import Engine

from kb import accounts, i18n
from kb.config import Settings
from kb.embeddings import Embedder, EmbedderError, make_embedder
from kb.search.engine import SearchEngine
from kb.store import database
from kb.views import account


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
    """The model, shared by every session; a query (a search, a needs text) is embedded on one thread, which is
    several times quicker than two on a busy machine (see ``SentenceTransformerEmbedder``)."""
    return make_embedder(settings().model, query_threads=1)


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
    from ingest.loader import run_ingest_if_changed  # the app shell may drive ingest; kb core never does

    try:
        with database.batch_writes():  # nobody waits on this write: the long busy timeout
            result = run_ingest_if_changed(settings().solutions_dir, settings().db_path, embedder())
    except (database.DatabaseReadOnly, database.DatabaseBusy) as exc:  # serve what the database holds
        return StartupReport("Records not refreshed at start-up.", (str(exc),))
    summary = (f"Knowledge base ready: {result.records} records"
               + (f", {result.chunks_embedded} sections embedded" if result.chunks_embedded else "") + ".")
    problems = [str(e) for e in result.errors[:20]] + [str(c) for c in result.unresolved]  # an unexported app edit
    return StartupReport(summary, tuple(problems), result.records, result.chunks_embedded)  # is never overwritten


def _warm_up(model: Embedder) -> None:
    """Load the embedding model in the background: the first query would otherwise wait for it (torch and the
    model take seconds to load) while the reader is still typing it; a search meanwhile waits on the model's lock.
    Not at start-up: loading torch holds the interpreter, and the first pages would wait for it."""

    def load() -> None:
        try:
            _ = model.dim
        except EmbedderError as exc:  # said again, to the user, by the search that needs the model
            logging.getLogger("kb").warning("embedding model not loaded in the background: %s", exc)

    threading.Thread(target=load, name="kb-model-warm-up", daemon=True).start()


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
    model = embedder()
    _warm_up(model)  # once per server, when a page that searches is first opened: before the first query
    return SearchEngine(_engine(), model)


def data_version() -> str:
    """The data version of the database (``kb.store.version``, one primary-key read): it moves with every ingest,
    record write or lesson publish on any replica, so results derived from the records can be cached under it."""
    from kb.store import version

    with database.read_session(engine()) as s:
        return str(version.current(s))


TOKEN_KEY = "kb_token"
"""Where an AppTest puts a session token: AppTest cannot send cookies (``st.context.cookies`` comes from the
browser's websocket handshake), so a test logs in with ``kb.accounts.login`` and sets this key. The app itself
never writes it: a login lives in the HttpOnly cookie that kb/web/auth.py sets."""


def session_token() -> str | None:
    """The token of this browser's login: the HttpOnly cookie ``kb_session`` the login route set (sent with the
    websocket handshake, so it is the one of this page load), else a token a test put in the session state."""
    cookie = st.context.cookies.get(account.COOKIE)
    if isinstance(cookie, str) and cookie:  # AppTest's client is a mock whose cookies are no strings
        return cookie
    token = st.session_state.get(TOKEN_KEY)
    return token if isinstance(token, str) and token else None


def current_actor() -> accounts.Actor:
    """The logged-in user, or anonymous: read from the database on every run, so a logout in another tab, an
    expired session or a disabled account is anonymous at the next action."""
    actor = accounts.actor_for_token(engine(), session_token())
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
