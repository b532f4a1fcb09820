"""Shared fixtures: fake and real embedders, fixture databases, AppTest environment, a live app for browsers."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ingest.loader import run_ingest  # noqa: E402
from kb.embeddings import FakeEmbedder, SentenceTransformerEmbedder  # noqa: E402
from kb.store import database  # noqa: E402
from tests.factories import FIXTURE_CORPUS, ROOT, start_streamlit  # noqa: E402

CHROMIUM = os.environ.get("KB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="session")
def real_embedder() -> SentenceTransformerEmbedder:
    """The bundled all-MiniLM-L6-v2, loaded once per test session."""
    return SentenceTransformerEmbedder()


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A writable copy of the fixture corpus."""
    dst = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, dst)
    return dst


@pytest.fixture
def fixture_db(tmp_path: Path, fake_embedder: FakeEmbedder) -> Path:
    """A database ingested from the fixture corpus with the fake embedder."""
    db = tmp_path / "kb.sqlite"
    result = run_ingest(FIXTURE_CORPUS, db, fake_embedder)
    assert not result.errors, result.errors
    return db


@pytest.fixture(autouse=True)
def _dispose_engines() -> Iterator[None]:
    yield
    database.dispose_all()


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Environment for AppTest: a fresh database file, the fake embedder, cleared Streamlit caches."""
    import streamlit as st

    db = tmp_path / "app.sqlite"
    monkeypatch.setenv("KB_SOLUTIONS_DIR", str(ROOT / "solutions"))
    monkeypatch.setenv("KB_DB", str(db))
    monkeypatch.setenv("KB_MODEL", "fake-hash")
    st.cache_resource.clear()
    st.cache_data.clear()
    yield db
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture(scope="session")
def live_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The live app's directory: its database ``kb.sqlite``, data directory and ``streamlit.log``."""
    return tmp_path_factory.mktemp("live")


@pytest.fixture(scope="session")
def live_app(live_dir: Path) -> Iterator[str]:
    """A Streamlit server on the bundled data (real model), for browser tests; yields its URL. ``KB_LIVE_PORT`` fixes
    its port (default: a free one), for machines where a run is given a range of ports."""
    port = int(os.environ["KB_LIVE_PORT"]) if os.environ.get("KB_LIVE_PORT") else None
    with start_streamlit(ROOT / "app.py", live_dir, {"KB_MODEL": None}, port=port) as url:
        yield url


@pytest.fixture(scope="session")
def live_db(live_app: str, live_dir: Path) -> Path:
    """The database file the live app's server uses (``KB_DB``)."""
    return live_dir / "kb.sqlite"


@pytest.fixture(scope="session")
def live_staff(live_db: Path) -> tuple[str, str]:
    """A staff account in the live app's database; returns ``(name, password)`` for logging in."""
    from kb import accounts

    name, password = "hubstaff", "live-staff-password"
    engine = database.get_engine(live_db)
    if not any(u["name"] == name for u in accounts.list_users(engine)):
        accounts.add_user(engine, name, "staff", password, by=accounts.Actor.system("tests"))
    return name, password


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Debian's Chromium, never a downloaded browser."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}
