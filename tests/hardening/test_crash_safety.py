"""Crash safety: ingest killed with SIGKILL at random moments leaves the old or the new state, never a mix."""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest.loader import run_ingest
from kb.embeddings import FakeEmbedder
from kb.store import database
from tests.factories import FIXTURE_CORPUS

ROOT = Path(__file__).resolve().parents[2]

SOLUTION = """---
id: gen-{n}
kind: solution
title: Generated solution {n} ({tag})
city: testville
categories: [solar]
measure_types: [test-pv]
status: planned
sources:
  - {{id: S1, title: Generated source}}
---
## Summary
Generated record {n}, version {tag}. {filler}

## Measures
| item | value | unit | year | evidence | source | key |
|---|---|---|---|---|---|---|
| PV capacity | {n} | kWp | 2024 | design | S1 | scale |
"""


def write_corpus(root: Path, tag: str, n: int = 300) -> None:
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(FIXTURE_CORPUS, root)
    for i in range(n):
        (root / "solutions" / f"gen-{i}.md").write_text(
            SOLUTION.format(n=i, tag=tag, filler=" ".join(f"word{tag}{j}" for j in range(200))))


def state(db: Path) -> tuple[str, int, set[str]]:
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        n = con.execute("SELECT count(*) FROM record").fetchone()[0]
        tags = {r[0].split("(")[-1].rstrip(")") for r in con.execute(
            "SELECT title FROM record WHERE id LIKE 'gen-%'")}
        fts = con.execute("SELECT count(*) FROM chunk_fts").fetchone()[0]
        chunks = con.execute("SELECT count(*) FROM chunk").fetchone()[0]
        assert fts == chunks
        return ("ok", n, tags)
    finally:
        con.close()


@pytest.mark.slow
def test_sigkill_during_ingest_never_leaves_a_mix(tmp_path: Path) -> None:
    db = tmp_path / "kb.sqlite"
    old, new = tmp_path / "old", tmp_path / "new"
    write_corpus(old, "old")
    write_corpus(new, "new")
    assert not run_ingest(old, db, FakeEmbedder()).errors
    _, n_old, tags = state(db)
    assert tags == {"old"}
    rng = random.Random(7)
    env = dict(os.environ, KB_MODEL="fake-hash")
    database.dispose_all()  # this process must hold no connection while others write (POSIX locks)
    probe = tmp_path / "probe.sqlite"
    assert not run_ingest(old, probe, FakeEmbedder()).errors
    database.dispose_all()
    t0 = time.perf_counter()  # how long one full run takes here, to spread the kills over it
    subprocess.run([sys.executable, "-m", "ingest", str(new), "--db", str(probe), "--quiet"],
                   cwd=ROOT, env=env, check=False)
    duration = time.perf_counter() - t0
    outcomes = []
    for _ in range(12):
        # re-point the database at the old corpus by re-ingesting it when a previous kill let "new" land
        if state(db)[2] != {"old"}:
            assert not run_ingest(old, db, FakeEmbedder()).errors
        proc = subprocess.Popen([sys.executable, "-m", "ingest", str(new), "--db", str(db), "--quiet"],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 1.5) * duration)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        _, n, tags = state(db)
        assert tags in ({"old"}, {"new"}), tags
        assert n == n_old
        outcomes.append(tags.pop())
    print(f"run takes {duration:.2f}s; kill outcomes:", outcomes)
