"""Shared fixtures: fake and real embedders, fixture databases, AppTest environment, a live app for browsers."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ingest.loader import run_ingest  # noqa: E402
from kb.embeddings import FakeEmbedder, SentenceTransformerEmbedder  # noqa: E402
from kb.store import database  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_CORPUS = ROOT / "tests" / "fixtures" / "corpus"
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


LIVE_DBS: dict[str, Path] = {}  # live app URL -> the database file its server uses (KB_DB)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Streamlit server on the bundled data (real model), for browser tests; yields its URL."""
    tmp = tmp_path_factory.mktemp("live")
    port = _free_port()
    env = dict(os.environ, KB_DB=str(tmp / "kb.sqlite"), HF_HUB_OFFLINE="1", KB_DATA_DIR=str(tmp))
    env.pop("KB_MODEL", None)
    log = open(tmp / "streamlit.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
         "--server.headless", "true", "--server.fileWatcherType", "none",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    LIVE_DBS[url] = tmp / "kb.sqlite"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        proc.terminate()
        raise RuntimeError(f"streamlit did not start; log: {(tmp / 'streamlit.log').read_text()[-2000:]}")
    yield url
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="session")
def live_staff(live_app: str) -> tuple[str, str]:
    """A staff account in the live app's database; returns ``(name, password)`` for logging in."""
    from kb import accounts

    name, password = "hubstaff", "live-staff-password"
    engine = database.get_engine(LIVE_DBS[live_app])
    if not any(u["name"] == name for u in accounts.list_users(engine)):
        accounts.add_user(engine, name, "staff", password, by=accounts.Actor.system("tests"))
    return name, password


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Debian's Chromium, never a downloaded browser."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


def wait_for_app(page, timeout: float = 120_000) -> None:  # type: ignore[no-untyped-def]
    """Wait until Streamlit has finished running the script."""
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=timeout)
