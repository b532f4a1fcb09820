"""Settings read once from the environment: database (file or URL), solutions directory, embedding model, data dir."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

DEFAULT_MODEL = "all-MiniLM-L6-v2"
_PACKAGE_PARENT = Path(__file__).resolve().parent.parent

DbLocation = Path | str
"""Where the database is: a SQLite file (a ``Path``) or a server URL such as ``postgresql+psycopg://user@host/db``
(a ``str``); :func:`db_location` tells them apart, ``kb.store.database`` opens either."""


def db_location(value: str | os.PathLike[str]) -> DbLocation:
    """A setting or ``--db`` value as a location: ``sqlite:///FILE`` and plain paths become a ``Path``, any other
    ``scheme://`` URL stays the string it is (the store says whether it can open it)."""
    raw = os.fspath(value)
    if raw.startswith("sqlite:///"):
        return Path(raw.removeprefix("sqlite:///"))
    if "://" in raw:
        return raw
    return Path(raw)


def source_root() -> Path | None:
    """The source checkout this package runs from (it has ``pyproject.toml`` and ``solutions/``), else None
    (an installed wheel: the defaults are then relative to the working directory)."""
    if (_PACKAGE_PARENT / "pyproject.toml").is_file() and (_PACKAGE_PARENT / "solutions").is_dir():
        return _PACKAGE_PARENT
    return None


@dataclass(frozen=True)
class Settings:
    """Where the knowledge base lives and which model embeds it; built once by the app or the CLI, passed in."""

    db_path: DbLocation
    solutions_dir: Path
    model: str = DEFAULT_MODEL

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """``KB_DB`` (a file, ``sqlite:///FILE`` or ``postgresql+psycopg://…``; else ``KB_DATA_DIR``/kb.sqlite, else
        ``data/kb.sqlite``), ``KB_SOLUTIONS_DIR`` (else
        ``./solutions`` if there is one, else the checkout's) and ``KB_MODEL`` (else the bundled all-MiniLM-L6-v2)."""
        env = os.environ if environ is None else environ
        base = source_root() or Path.cwd()
        db = env.get("KB_DB")
        data_dir = Path(env.get("KB_DATA_DIR") or base / "data")
        here = Path.cwd() / "solutions"
        solutions = env.get("KB_SOLUTIONS_DIR") or (here if here.is_dir() else base / "solutions")
        return cls(db_path=db_location(db) if db else data_dir / "kb.sqlite", solutions_dir=Path(solutions),
                   model=env.get("KB_MODEL") or DEFAULT_MODEL)

    def with_db(self, explicit: str | os.PathLike[str] | None) -> Settings:
        """These settings with an explicit database (``--db``: a file or a URL) if one is given."""
        return replace(self, db_path=db_location(explicit)) if explicit else self
