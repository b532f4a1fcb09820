"""Shared fixtures: fake and real embedders, fixture databases on SQLite or PostgreSQL, AppTest, a live app."""

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
from tests import pg  # noqa: E402
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


BACKENDS = ("sqlite", "pg")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test (or module) marked ``backends`` runs once per backend: its ``backend`` fixture, and with it
    ``new_db`` and ``fixture_db``, is SQLite and then PostgreSQL."""
    if "backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("backends"):
        metafunc.parametrize("backend", BACKENDS, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """``sqlite`` (the default) or ``pg`` for a test marked ``backends``."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[pg.Cluster]:
    """A PostgreSQL 15 cluster for the session (started on first use). Without the binaries the tests that need it
    fail, saying so; ``KB_SKIP_PG=1`` skips them instead (never in CI)."""
    if pg.skip_requested():
        pytest.skip("KB_SKIP_PG=1: the PostgreSQL half of the backend tests is skipped")
    try:
        cluster = pg.Cluster()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield cluster
    finally:
        database.dispose_all()
        cluster.stop()


@pytest.fixture
def new_db(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Path | str:
    """Where a new database goes: a file in ``tmp_path``, or (backend ``pg``) a fresh migrated PostgreSQL database."""
    if backend == "pg":
        cluster: pg.Cluster = request.getfixturevalue("pg_cluster")
        return cluster.new_database()
    return tmp_path / "kb.sqlite"


@pytest.fixture
def fixture_db(new_db: Path | str, fake_embedder: FakeEmbedder) -> Path | str:
    """A database ingested from the fixture corpus with the fake embedder (a file, or a PostgreSQL URL)."""
    result = run_ingest(FIXTURE_CORPUS, new_db, fake_embedder)
    assert not result.errors, result.errors
    return new_db


@pytest.fixture(autouse=True)
def _dispose_engines() -> Iterator[None]:
    yield
    database.dispose_all()


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, backend: str,
            request: pytest.FixtureRequest) -> Path | str:
    """Environment for AppTest: a fresh database (a file; a PostgreSQL database in a module marked ``backends``),
    the fake embedder, cleared Streamlit caches."""
    import streamlit as st

    db: Path | str = tmp_path / "app.sqlite"
    if backend == "pg":
        db = request.getfixturevalue("pg_cluster").new_database()
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
