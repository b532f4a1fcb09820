"""The data version: a counter in ``meta`` bumped by every write that changes what search shows, and which records.

Plain SQL on both SQLite and PostgreSQL, so that several app replicas sharing one database stay in step cheaply: a
replica reads one primary-key row (:func:`current`) and, when the number moved, only the records changed since the
version it holds (:func:`changed_since`) instead of fingerprinting or reloading everything.

:func:`touch` runs inside the writer's transaction (``kb.store.write.delete_record`` and so ``write_record`` call it),
so the counter and the rows it describes commit together or not at all. On PostgreSQL the upsert takes the counter
row's lock until the commit, which serialises concurrent writers on it: versions never repeat and a reader that sees
a version also sees every ``record_change`` row up to it.
"""

from __future__ import annotations

import threading

from sqlalchemy import event, text
from sqlmodel import Session

KEY = "data_version"
"""The ``meta`` key of the counter (a decimal string, as every ``meta`` value)."""

_BUMP = text("INSERT INTO meta (key, value) VALUES (:k, '1') ON CONFLICT (key) DO UPDATE "
             "SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS VARCHAR) RETURNING value")
_CHANGE = text("INSERT INTO record_change (record_id, version) VALUES (:r, :v) ON CONFLICT (record_id) DO UPDATE "
               "SET version = excluded.version")

_local_lock = threading.Lock()
_local_commits = 0


def bump(session: Session) -> int:
    """Raise the counter by one in the caller's transaction (a change that touches no one record, e.g. the corpus
    version); returns the new value."""
    value = int(session.execute(_BUMP, params={"k": KEY}).scalar_one())
    if not event.contains(session, "after_commit", _committed):
        event.listen(session, "after_commit", _committed)
    return value


def touch(session: Session, record_id: str) -> int:
    """Record that ``record_id`` was written or deleted, under a new version, in the caller's transaction."""
    value = bump(session)
    session.execute(_CHANGE, params={"r": record_id, "v": value})
    return value


def current(session: Session) -> int:
    """The counter (0 before the first write that bumps it)."""
    raw = session.execute(text("SELECT value FROM meta WHERE key = :k"), params={"k": KEY}).scalar()
    try:
        return int(raw) if raw is not None else 0
    except ValueError:  # never written so by kb; a hand-edited row counts as a change at the next bump
        return 0


def changed_since(session: Session, version: int) -> set[str]:
    """The records written or deleted after ``version`` (one indexed range read)."""
    return {str(r) for r in session.execute(
        text("SELECT record_id FROM record_change WHERE version > :v"), params={"v": int(version)}).scalars()}


def local_commits() -> int:
    """How many transactions that bumped the counter this process has committed: a search engine that saw the same
    number a moment ago need not read the counter again (another process's write is seen at its next check)."""
    return _local_commits


def _committed(_session: Session) -> None:
    global _local_commits
    with _local_lock:
        _local_commits += 1
