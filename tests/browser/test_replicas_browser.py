"""Two replicas behind haproxy (deploy/cluster.sh): a login and a lesson published on one replica are seen on the
other through the proxy, and killing a replica leaves the other serving, with the login still valid."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.factories import FIXTURE_CORPUS, ROOT, choose_first, log_in, wait_for_app
from tests.factories import sidebar_nav as nav

pytestmark = [pytest.mark.browser]

SCRIPT = ROOT / "deploy" / "cluster.sh"
PROXY = "http://127.0.0.1:8610"
PORTS = (8611, 8612)
PG_URL = "postgresql+psycopg://kb@127.0.0.1:55532/kb"
NAME, PASSWORD = "replicastaff", "replica-staff-password"
TITLE = "Quokka-proof cable trays held up the battery permit"


def kb_opens_postgresql() -> bool:
    """Whether this kb takes a PostgreSQL URL for ``KB_DB`` (the PostgreSQL backend of issue 19)."""
    from kb.config import Settings

    return isinstance(Settings.from_env({"KB_DB": PG_URL}).db_path, str)


@pytest.fixture(scope="module")
def cluster_db() -> str:
    """The cluster's shared database: the script's own PostgreSQL cluster when kb opens PostgreSQL URLs and the
    server binaries are here, else one SQLite file shared by both replicas (set by the ``cluster`` fixture)."""
    if kb_opens_postgresql() and Path(os.environ.get("KB_PG_BIN", "/usr/lib/postgresql/15/bin"), "initdb").is_file():
        return PG_URL
    return ""


def _run(args: list[str], env: dict[str, str], stdin: str | None = None, timeout: float = 300) -> str:
    proc = subprocess.run(args, env=env, input=stdin, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


@pytest.fixture(scope="module")
def cluster(cluster_db: str) -> Iterator[dict[str, Any]]:
    """``deploy/cluster.sh start`` on a temporary directory (the fixture corpus, the fake embedder), a staff account
    added with ``kb users add``; ``stop`` afterwards, whatever happened."""
    if shutil.which("haproxy") is None:
        pytest.fail("haproxy is needed for the two-replica journey: apt-get install -y haproxy", pytrace=False)
    base = Path(tempfile.mkdtemp(prefix="kb-cluster-"))
    base.chmod(0o755)  # the postgres user enters it to reach the cluster's data directory
    env = {**os.environ, "KB_CLUSTER_DIR": str(base), "KB_PYTHON": sys.executable, "KB_MODEL": "fake-hash",
           "KB_SOLUTIONS_DIR": str(FIXTURE_CORPUS), "HF_HUB_OFFLINE": "1"}
    env.pop("KB_DB", None)
    db = cluster_db or str(base / "kb.sqlite")
    if not cluster_db:
        env["KB_DB"] = db
    try:
        _run(["bash", str(SCRIPT), "start"], env)
        kb_env = {**env, "KB_DB": db, "PYTHONPATH": str(ROOT)}
        _run([sys.executable, "-m", "kb.cli", "users", "add", NAME, "--role", "staff"], kb_env,
             stdin=f"{PASSWORD}\n{PASSWORD}\n")
        yield {"env": env, "kb_env": kb_env, "dir": base, "db": db}
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop"], env=env, capture_output=True, timeout=120, cwd=ROOT)
        shutil.rmtree(base, ignore_errors=True)


def search(page, query: str) -> Any:  # type: ignore[no-untyped-def]
    """Run a search on the Search page (a query other than the one in the box, or Streamlit does not rerun); the
    result links whose text holds the title's first word."""
    box = page.get_by_label("What do you need?", exact=True).and_(page.locator("input"))
    box.fill(query)
    box.press("Enter")
    wait_for_app(page)
    return page.locator("[data-testid=stPageLink] a").filter(has_text="Quokka-proof")


def replica_of(context) -> str:  # type: ignore[no-untyped-def]
    """The replica the proxy pinned this browser to (its sticky cookie)."""
    return next(c["value"] for c in context.cookies() if c["name"] == "SERVERID")


def test_two_replicas_share_logins_and_lessons_and_survive_losing_one(cluster, browser) -> None:  # type: ignore[no-untyped-def]
    env = cluster["kb_env"]
    writer = browser.new_context()
    page = writer.new_page()
    log_in(page, PROXY, NAME, PASSWORD)
    mine = replica_of(writer)
    other = next(f"app{p}" for p in PORTS if f"app{p}" != mine)
    session = next(c for c in writer.cookies() if c["name"] == "kb_session")

    # a second browser holding the same login, pinned to the other replica: logged in there too
    reader = browser.new_context()
    reader.add_cookies([{"name": "SERVERID", "value": other, "domain": "127.0.0.1", "path": "/"},
                        {**session}])
    other_page = reader.new_page()
    other_page.goto(f"{PROXY}/login")
    wait_for_app(other_page, timeout=240_000)
    other_page.get_by_text(f"Logged in as {NAME}").wait_for(timeout=60_000)
    assert replica_of(reader) == other, "the proxy kept the reader on the replica its cookie names"
    nav(other_page, "Search")
    assert search(other_page, "quokka cable trays").count() == 0, "not yet written"

    # the writer saves a lesson on its replica and submits it; a reviewer (the command line) publishes it
    nav(page, "Write a lesson")
    page.get_by_label("Title", exact=True).fill(TITLE)
    for label in ("City", "Phase", "Barrier type", "Outcome"):
        choose_first(page, "stSelectbox", label)
    choose_first(page, "stMultiSelect", "Solutions this lesson is about")
    page.get_by_label("Summary", exact=True).fill("The operator wanted the trays sealed against animals.")
    page.get_by_label("What happened (the barrier)", exact=True).fill("The permit waited for a cable tray test.")
    page.get_by_label("What was tried", exact=True).fill("Sealed trays from the catalogue.")
    page.get_by_label("Applies when", exact=True).fill("Batteries sit in outdoor cabinets.")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("Saved the draft").wait_for(timeout=60_000)
    wait_for_app(page)
    page.get_by_role("button", name="Submit for review").click()
    page.get_by_text("Submitted for review").wait_for(timeout=60_000)
    waiting = json.loads(_run([sys.executable, "-m", "kb.cli", "lessons", "list", "--status", "in-review", "--json"],
                              env))
    lesson_id = next(row["id"] for row in waiting if row["title"] == TITLE)
    _run([sys.executable, "-m", "kb.cli", "lessons", "approve", lesson_id], env)

    # the other replica finds it: its search engine saw the data version move
    search(other_page, "quokka cable trays permit").first.wait_for(timeout=30_000)  # another query: a rerun
    assert replica_of(reader) == other

    # the other replica dies; the proxy serves the reader from the remaining one, still logged in, lesson found
    pid = int((cluster["dir"] / "run" / f"{other.replace('app', 'app-')}.pid").read_text())
    os.killpg(pid, signal.SIGKILL)
    other_page.goto(f"{PROXY}/login")
    wait_for_app(other_page, timeout=120_000)
    other_page.get_by_text(f"Logged in as {NAME}").wait_for(timeout=60_000)
    assert replica_of(reader) == mine, "moved to the replica that runs"
    nav(other_page, "Search")
    search(other_page, "quokka cable trays").first.wait_for(timeout=30_000)
    status = subprocess.run(["bash", str(SCRIPT), "status"], env=cluster["env"], capture_output=True, text=True,
                            timeout=60, cwd=ROOT)
    assert status.returncode == 1 and f"replica   down  http://127.0.0.1:{other[3:]}" in status.stderr, status.stderr
    writer.close()
    reader.close()
