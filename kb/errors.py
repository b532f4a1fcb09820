"""The one error hierarchy: ``KbError`` and the five kinds every domain error derives from (imports nothing from kb).

Domain errors are small classes defined next to the code that raises them (``CityNotFound`` in
``kb.replication.cities``, ``StaleEdit`` in ``kb.lessons.service``, ...); each derives from exactly one kind below,
and keeps a built-in base (``LookupError``, ``ValueError``) where callers catch it by that. ``str(exc)`` is a
message for the user. The edges translate the kinds in one place each: ``kb.cli.main`` into an exit code and one
line on stderr, ``kb.ui.routes`` into ``st.error``. Anything that is not a ``KbError`` is a bug.
"""

from __future__ import annotations

__all__ = ["KbError", "NotFound", "InvalidInput", "Forbidden", "Conflict", "StorageUnavailable", "KINDS"]


class KbError(Exception):
    """Base of every error the knowledge base raises on purpose; ``str(exc)`` is a message for the user."""


class NotFound(KbError):
    """What was asked for does not exist: no record, city, user, lesson or saved plan with this id, or a figure
    the knowledge base does not have (a city driver, a measure-type parameter)."""


class InvalidInput(KbError):
    """Input that breaks a rule: a malformed record, plan or lesson, a bad option value, a scale that is missing."""


class Forbidden(KbError):
    """The actor may not do this: the role is too low, or the login failed."""


class Conflict(KbError):
    """The request clashes with the current state: a name already taken, an edit of a stale version, an action
    the lesson's status does not allow."""


class StorageUnavailable(KbError):
    """A resource the operation needs cannot be used: the database is corrupt, foreign, unreadable or locked, or the
    embedding model cannot be loaded. Nothing was done; retrying after fixing the environment may succeed."""


KINDS: tuple[type[KbError], ...] = (NotFound, InvalidInput, Forbidden, Conflict, StorageUnavailable)
"""The kinds, in the order the CLI documents them."""
