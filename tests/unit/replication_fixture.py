"""Shared helpers for the replication tests: a fixture corpus with two more cities, heat pumps and a PV site."""

from __future__ import annotations

import shutil
from pathlib import Path

from ingest.loader import run_ingest
from kb.embeddings import FakeEmbedder

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "fixtures" / "corpus"
EXTRA = ROOT / "tests" / "fixtures" / "replication"


def build_corpus(dst: Path) -> Path:
    """The fixture corpus plus the replication fixtures, copied to ``dst``."""
    shutil.copytree(CORPUS, dst)
    shutil.copytree(EXTRA, dst, dirs_exist_ok=True)
    return dst


def build_db(tmp: Path) -> Path:
    corpus = build_corpus(tmp / "corpus")
    db = tmp / "rep.sqlite"
    result = run_ingest(corpus, db, FakeEmbedder(name="fake-hash"))
    assert not result.errors, result.errors
    return db
