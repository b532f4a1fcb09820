"""Configuration from the environment: the database file (``KB_DB``) and the embedding model (``KB_MODEL``)."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_MODEL = "all-MiniLM-L6-v2"
REPO_ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS_DIR = REPO_ROOT / "solutions"


def db_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The database file: an explicit path, else ``KB_DB``, else ``data/kb.sqlite`` beside the repository."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("KB_DB")
    if env:
        return Path(env)
    data_dir = Path(os.environ.get("KB_DATA_DIR") or (REPO_ROOT / "data"))
    return data_dir / "kb.sqlite"


def model_name() -> str:
    """The sentence-transformers model name or path (``KB_MODEL``), default the bundled all-MiniLM-L6-v2."""
    return os.environ.get("KB_MODEL") or DEFAULT_MODEL
