"""Failing storage: a read-only or locked database refuses every write with one sentence, fast, and still serves reads.

Read-only, as root: root ignores file permissions, so the CLI runs in a child with every capability dropped
(``setpriv --bounding-set=-all``: uid 0 then obeys ``chmod 0444`` like anyone else); in-process tests open the
engine with SQLite's ``mode=ro`` (``database.get_engine(read_only=True)``), which fails writes with the same
SQLITE_READONLY a 0444 file gives. Locked: a second sqlite3 connection holds ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from ingest import cli as ingest_cli
from ingest.loader import run_ingest
from kb import accounts
from kb.accounts import Actor
from kb.embeddings import FakeEmbedder
from kb.lessons import service as lessons
from kb.plans.model import read_plan
from kb.plans.saved import list_plans, save_plan
from kb.store import catalog, database
from tests.factories import FIXTURE_CORPUS, lesson_data

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "storage-password-1"
STAFF = Actor("ann", "staff")
PLAN = ROOT / "solutions" / "plans" / "budapest-kobanya-feherdulo.toml"
READ_ONLY = database.READ_ONLY_MESSAGE
BUSY = database.BUSY_MESSAGE


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """The fixture corpus ingested, with a staff account."""
    path = tmp_path / "kb.sqlite"
    assert not run_ingest(FIXTURE_CORPUS, path, FakeEmbedder(name="fake-hash")).errors
    accounts.add_user(database.get_engine(path), "ann", "staff", PASSWORD, by=Actor.system())
    database.dispose_all()
    return path


def changed_corpus(tmp_path: Path) -> Path:
    """The fixture corpus with one record edited: an ingest of it has something to write."""
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    rec = corpus / "solutions" / "test-battery-site.md"
    rec.write_text(rec.read_text(encoding="utf-8") + "\nAn edited paragraph.\n", encoding="utf-8")
    return corpus


def every_write(engine, corpus: Path, db: Path) -> dict[str, BaseException | None]:  # type: ignore[no-untyped-def]
    """Each write path of the app and the CLI, with the error it ended in (None: it succeeded)."""
    spec = read_plan(PLAN)
    calls = {
        "login (known name)": lambda: accounts.login(engine, "ann", PASSWORD),
        "login (unknown name)": lambda: accounts.login(engine, "nobody", PASSWORD),
        "wrong password": lambda: accounts.login(engine, "ann", "wrong-password"),
        "users add": lambda: accounts.add_user(engine, "bob", "viewer", PASSWORD, by=Actor.system()),
        "lesson save": lambda: lessons.create_lesson(engine, STAFF, lesson_data()),
        "plan save": lambda: save_plan(engine, spec, STAFF),
        "ingest": lambda: run_ingest(corpus, db, FakeEmbedder(name="fake-hash")),
    }
    out: dict[str, BaseException | None] = {}
    for name, call in calls.items():
        try:
            call()
        except Exception as exc:  # noqa: BLE001  (the test records what each path ended in)
            out[name] = exc
        else:
            out[name] = None
    return out


def state(engine) -> tuple[object, ...]:  # type: ignore[no-untyped-def]
    """What a user could lose or see changed."""
    rec = catalog.get_record(engine, "test-battery-site")
    return (accounts.list_users(engine), len(lessons.list_lessons(engine, Actor.system())), len(list_plans(engine)),
            repr(rec.sections), catalog.stats(engine))


# --- read-only -----------------------------------------------------------------------------------------------

def test_read_only_database_refuses_every_write_with_one_sentence_and_still_reads(db: Path, tmp_path: Path) -> None:
    engine = database.get_engine(db, read_only=True)
    before = state(engine)
    results = every_write(engine, changed_corpus(tmp_path), db)
    for path, exc in results.items():
        assert isinstance(exc, database.DatabaseReadOnly), (path, exc)
        assert str(exc) == READ_ONLY, (path, str(exc))
        assert str(db) not in str(exc) and "SQL" not in str(exc)
    assert state(engine) == before, "nothing written"
    assert catalog.get_record(engine, "test-battery-site").title, "reads still work"


def test_ingest_into_a_read_only_database_refuses_before_embedding(db: Path, tmp_path: Path) -> None:
    """A changed corpus and a read-only database: the refusal comes first, not after the model has run."""
    engine = database.get_engine(db, read_only=True)
    before = state(engine)
    embedder = FakeEmbedder(name="fake-hash")
    with pytest.raises(database.DatabaseReadOnly):
        run_ingest(changed_corpus(tmp_path), db, embedder)
    assert embedder.calls == 0, "nothing was embedded"
    assert state(engine) == before


def _unprivileged() -> list[str]:
    """A command prefix under which file permissions hold (root: all capabilities dropped)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot make a file read-only for this process")
    probe = subprocess.run([setpriv, "--bounding-set=-all", "--inh-caps=-all", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot drop capabilities here: {probe.stderr.decode(errors='replace').strip()}")
    return [setpriv, "--bounding-set=-all", "--inh-caps=-all"]


def _run(args: list[str], db: Path, stdin: str = "", prefix: list[str] | None = None,
         timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, KB_DB=str(db), KB_MODEL="fake-hash", PYTHONPATH=str(ROOT))
    return subprocess.run([*(prefix or []), sys.executable, *args], input=stdin, capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=timeout)


def _one_line(r: subprocess.CompletedProcess[str], code: int, line: str) -> None:
    assert r.returncode == code, (r.returncode, r.stderr)
    assert r.stderr == line + "\n", r.stderr


@pytest.fixture
def read_only_file(db: Path) -> Iterator[Path]:
    db.chmod(0o444)
    yield db
    db.chmod(0o644)
    db.parent.chmod(0o755)


def test_cli_on_a_read_only_file_is_one_line(read_only_file: Path, tmp_path: Path) -> None:
    """``chmod 0444``: ``kb users add`` and ``kb ingest`` exit 2 with the sentence; ``kb stats`` still reads."""
    prefix = _unprivileged()
    r = _run(["-m", "kb.cli", "users", "add", "bob", "--role", "viewer"], read_only_file, f"{PASSWORD}\n{PASSWORD}\n",
             prefix)
    _one_line(r, 2, f"error: {READ_ONLY}")
    r = _run(["-m", "kb.cli", "ingest", "--quiet", str(changed_corpus(tmp_path))], read_only_file, prefix=prefix)
    _one_line(r, 2, f"error: {READ_ONLY}")
    r = _run(["-m", "ingest", "--quiet", str(changed_corpus(tmp_path / "again"))], read_only_file, prefix=prefix)
    _one_line(r, 2, f"error: {READ_ONLY}")
    r = _run(["-m", "kb.cli", "stats"], read_only_file, prefix=prefix)
    assert r.returncode == 0 and "records" in r.stdout, r.stderr
    r = _run(["-m", "kb.cli", "users", "list"], read_only_file, prefix=prefix)
    assert r.returncode == 0 and "ann" in r.stdout, r.stderr


def test_a_read_only_directory_still_serves_reads(read_only_file: Path) -> None:
    """File and directory read-only (no -shm can be created, so WAL cannot even be read): opened immutable."""
    prefix = _unprivileged()
    for side in ("-wal", "-shm"):
        read_only_file.with_name(read_only_file.name + side).unlink(missing_ok=True)
    read_only_file.parent.chmod(0o555)
    r = _run(["-m", "kb.cli", "stats"], read_only_file, prefix=prefix)
    assert r.returncode == 0 and "records" in r.stdout, r.stderr
    r = _run(["-m", "kb.cli", "users", "add", "bob", "--role", "viewer"], read_only_file, f"{PASSWORD}\n{PASSWORD}\n",
             prefix)
    _one_line(r, 2, f"error: {READ_ONLY}")


# --- locked by another process ------------------------------------------------------------------------------

@pytest.fixture
def locked(db: Path) -> Iterator[Path]:
    """Another writer holds the write lock for the whole test."""
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    yield db
    other.execute("ROLLBACK")
    other.close()


def test_a_locked_database_refuses_interactive_writes_within_seconds(locked: Path, tmp_path: Path) -> None:
    engine = database.get_engine(locked)
    assert catalog.get_record(engine, "test-battery-site").title, "reads are not blocked by a writer"
    spec = read_plan(PLAN)
    for what, call in {"login": lambda: accounts.login(engine, "ann", PASSWORD),
                       "unknown login": lambda: accounts.login(engine, "nobody", PASSWORD),
                       "lesson save": lambda: lessons.create_lesson(engine, STAFF, lesson_data()),
                       "plan save": lambda: save_plan(engine, spec, STAFF)}.items():
        t0 = time.monotonic()
        with pytest.raises(database.DatabaseBusy) as exc:
            call()
        took = time.monotonic() - t0
        assert str(exc.value) == BUSY and took < database.INTERACTIVE_BUSY_TIMEOUT_MS / 1000 + 5, (what, took)


def test_cli_on_a_locked_database_is_one_line(locked: Path) -> None:
    t0 = time.monotonic()
    r = _run(["-m", "kb.cli", "users", "add", "bob", "--role", "viewer"], locked, f"{PASSWORD}\n{PASSWORD}\n")
    _one_line(r, 2, f"error: {BUSY}")
    assert time.monotonic() - t0 < 30, "kb users add waits the short timeout, not the batch one"


def test_ingest_waits_the_long_timeout_then_says_busy(locked: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """Batch writes wait :data:`database.BUSY_TIMEOUT_MS` (shortened here) and end in the same one line."""
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 4_000)
    monkeypatch.setattr(database, "INTERACTIVE_BUSY_TIMEOUT_MS", 500)
    monkeypatch.setenv("KB_MODEL", "fake-hash")
    t0 = time.monotonic()
    code = ingest_cli.main(["--quiet", "--db", str(locked), str(changed_corpus(tmp_path))])
    took = time.monotonic() - t0
    assert code == 2 and capsys.readouterr().err == f"error: {BUSY}\n"
    assert took >= 3.5, f"ingest gave up after {took:.1f} s: it should wait the batch timeout"


def test_ingest_outlasts_a_short_lock(db: Path, tmp_path: Path) -> None:
    """A writer that finishes within the batch timeout only delays an ingest."""
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    proc = subprocess.Popen([sys.executable, "-m", "ingest", "--quiet", str(changed_corpus(tmp_path))], cwd=ROOT,
                            env=dict(os.environ, KB_DB=str(db), KB_MODEL="fake-hash", PYTHONPATH=str(ROOT)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(database.INTERACTIVE_BUSY_TIMEOUT_MS / 1000 + 3)  # longer than any interactive write would wait
    other.execute("ROLLBACK")
    other.close()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "written" in out and "0 errors" in out


# --- the app ------------------------------------------------------------------------------------------------

def _login_route(engine: Engine, name: str, password: str) -> Any:
    """POST the login form to the login routes (kb/web/auth.py) that the app mounts beside Streamlit."""
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from kb.views import account
    from kb.web import auth

    with TestClient(Starlette(routes=auth.routes(engine=lambda: engine)), follow_redirects=False) as client:
        return client.post(account.LOGIN, data={"username": name, "password": password, "next": "/login"},
                           headers={"Origin": "http://testserver"})


@pytest.mark.parametrize("name", ["ann", "nobody"])
def test_login_on_a_read_only_database_shows_the_sentence(db: Path, name: str) -> None:
    engine = database.get_engine(db, read_only=True)  # the server's engine for this file: opened read-only
    response = _login_route(engine, name, PASSWORD)
    assert response.status_code == 503 and READ_ONLY in response.text
    assert not response.headers.get_list("set-cookie"), "no session: no cookie"
    assert "Traceback" not in response.text and str(db) not in response.text


def test_login_on_a_locked_database_says_busy_within_seconds(locked: Path) -> None:
    t0 = time.monotonic()
    response = _login_route(database.get_engine(locked), "ann", PASSWORD)
    assert time.monotonic() - t0 < database.INTERACTIVE_BUSY_TIMEOUT_MS / 1000 + 8
    assert response.status_code == 503 and BUSY in response.text
    assert not response.headers.get_list("set-cookie")
