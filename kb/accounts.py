"""Accounts and roles: argon2-hashed passwords, login with lockout backoff, expiring session tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine
from sqlmodel import Session, col, delete, select, text

from kb import errors
from kb.store import database
from kb.store.tables import SessionRow, UserRow

ROLES: tuple[str, ...] = ("viewer", "staff", "admin")
_RANK = {"anonymous": 0, "viewer": 1, "staff": 2, "admin": 3}
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
FREE_FAILURES = 3            # failed logins allowed per name before it is locked
LOCK_BASE_SECONDS = 30       # first lock; doubles with every further failure ...
LOCK_MAX_SECONDS = 60        # ... up to a minute: slows a guessing script, never locks a real user out for long
FORGET_AFTER = timedelta(hours=24)  # failures of a name are forgotten a day after its last one
SESSION_HOURS = 8

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a real password: equalises timing for unknown names")


def now_utc() -> datetime:
    return datetime.now(UTC)


def _aware(dt: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; every stored time is UTC."""
    if dt is None:
        return None
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


# --- errors (translated at the edges: CLI exit code, st.error) -----------------------------------------------

class AccountError(errors.KbError):
    """Base of account errors; ``str(exc)`` is a message for the user."""


class PermissionDenied(AccountError, errors.Forbidden):
    """The actor's role does not allow this operation."""


class LoginFailed(AccountError, errors.Forbidden):
    """Wrong name or password, or the account is disabled."""


class AccountLocked(LoginFailed):
    """Too many failed logins: the account is locked for ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins: try again in {retry_after} seconds")
        self.retry_after = retry_after


class UserExists(AccountError, errors.Conflict):
    """A user with this name already exists."""


class UserNotFound(AccountError, errors.NotFound):
    """No user has this name."""


class InvalidInput(AccountError, errors.InvalidInput):
    """A name, role or password is not acceptable."""


# --- actors --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Actor:
    """Who is calling a service: a user name and role (``anonymous`` for visitors)."""

    name: str
    role: str
    is_system: bool = False
    """The operator or a program (imports, seeds), not a person logged in: exempt from the review of lessons."""

    @property
    def is_anonymous(self) -> bool:
        return self.role == "anonymous"

    def at_least(self, role: str) -> bool:
        return _RANK.get(self.role, 0) >= _RANK[role]

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        """The operator at the command line (shell access to the database file): admin rights."""
        return cls(name=label, role="admin", is_system=True)


ANONYMOUS = Actor(name="", role="anonymous")


def require(actor: Actor, role: str, action: str) -> None:
    """Raise :class:`PermissionDenied` unless ``actor`` has at least ``role``."""
    if not actor.at_least(role):
        who = "anonymous visitors" if actor.is_anonymous else f"the role '{actor.role}'"
        raise PermissionDenied(f"{action} needs the role '{role}' or higher; {who} may only read")


# --- users ---------------------------------------------------------------------------------------------------

def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(f"the password must have at most {MAX_PASSWORD} characters")


def add_user(engine: Engine, name: str, role: str, password: str, by: Actor) -> dict[str, Any]:
    """Create a user (admins only); the password is stored as an argon2id hash."""
    require(by, "admin", "adding a user")
    if not NAME_PATTERN.match(name):
        raise InvalidInput("a user name is 1-64 letters, digits, '_', '.', '@' or '-', starting with a letter "
                           "or digit")
    if role not in ROLES:
        raise InvalidInput(f"unknown role '{role}': one of {', '.join(ROLES)}")
    check_password(password)
    digest = _hasher.hash(password)
    with database.write_session(engine) as s:
        database.serialize(s, "user-names")  # PostgreSQL: the check and the insert in one step
        if s.exec(select(UserRow).where(UserRow.name == name)).first() is not None:
            raise UserExists(f"a user named '{name}' already exists")
        row = UserRow(name=name, role=role, password_hash=digest)
        s.add(row)
        s.flush()
        return _user_dict(row)


def _user_dict(row: UserRow, locked_until: datetime | None = None) -> dict[str, Any]:
    return {"name": row.name, "role": row.role, "disabled": row.disabled,
            "created_at": _aware(row.created_at), "last_login": _aware(row.last_login),
            "locked_until": locked_until}


def list_users(engine: Engine, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every user with role and state (never the hash); ``locked_until`` is the end of the name's last lock."""
    now = now or now_utc()
    with database.read_session(engine) as s:
        return [_user_dict(r, _throttle(s, _name_key(r.name), now).locked_until)
                for r in s.exec(select(UserRow).order_by(UserRow.name))]


def _get(s: Session, name: str) -> UserRow:
    row = s.exec(select(UserRow).where(UserRow.name == name)).first()
    if row is None:
        raise UserNotFound(f"no user named '{name}' (see 'kb users list')")
    return row


def disable_user(engine: Engine, name: str, by: Actor) -> None:
    """Disable an account (users are never deleted) and end its sessions."""
    require(by, "admin", "disabling a user")
    with database.write_session(engine) as s:
        row = _get(s, name)
        row.disabled = True
        s.add(row)
        s.exec(delete(SessionRow).where(col(SessionRow.user_id) == row.id))


def enable_user(engine: Engine, name: str, by: Actor) -> None:
    """Re-enable a disabled account and clear its lockout."""
    require(by, "admin", "enabling a user")
    with database.write_session(engine) as s:
        row = _get(s, name)
        row.disabled = False
        s.add(row)
        _clear_failures(s, name)


def set_password(engine: Engine, name: str, password: str, by: Actor) -> None:
    """Set a new password (admins, or the user themself) and end the user's sessions."""
    if by.name != name:
        require(by, "admin", "setting another user's password")
    check_password(password)
    digest = _hasher.hash(password)
    with database.write_session(engine) as s:
        row = _get(s, name)
        row.password_hash = digest
        s.add(row)
        _clear_failures(s, name)
        s.exec(delete(SessionRow).where(col(SessionRow.user_id) == row.id))


# --- login ---------------------------------------------------------------------------------------------------
#
# Failed logins are counted per name in ``login_throttle`` (migration 5) whether or not a user has that name, so a
# name that does not exist fails, locks and waits exactly like one that does: the same message, one argon2 verify
# (against a dummy hash), one write. The key is a SHA-256 of the case-folded name (a password typed into the name
# field is never stored). Failures are forgotten FORGET_AFTER after the last one, for every name alike.

def _doubling(count: int, free: int, base: float, cap: float) -> float:
    """0 for the first ``free`` failures, then ``base`` doubling with every further one, never above ``cap``."""
    if count < free:
        return 0.0
    factor: int = 2 ** min(count - free, 16)  # an int: the exponent is never negative here
    return float(min(base * factor, cap))


def lock_seconds(failed_count: int) -> int:
    """How long a name stays locked after ``failed_count`` consecutive failures (0: not locked)."""
    return int(_doubling(failed_count, FREE_FAILURES, LOCK_BASE_SECONDS, LOCK_MAX_SECONDS))


def _name_key(name: str) -> str:
    return hashlib.sha256(name.strip().casefold().encode("utf-8", "surrogatepass")).hexdigest()


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class _Throttle:
    failed_count: int = 0
    locked_until: datetime | None = None

    def retry_after(self, now: datetime) -> int:
        """Seconds until the lock ends (0: not locked)."""
        if self.locked_until is None or self.locked_until <= now:
            return 0
        return max(1, int((self.locked_until - now).total_seconds() + 0.999))


def _throttle(s: Session, key: str, now: datetime) -> _Throttle:
    row = s.execute(text("SELECT failed_count, locked_until, last_failed FROM login_throttle WHERE name_key = :k"),
                    {"k": key}).first()
    if row is None or datetime.fromisoformat(row[2]) < now - FORGET_AFTER:
        return _Throttle()
    return _Throttle(int(row[0]), datetime.fromisoformat(row[1]) if row[1] else None)


def _record_failure(s: Session, key: str, now: datetime, before: _Throttle) -> None:
    count = before.failed_count + 1
    wait = lock_seconds(count)
    s.execute(text("DELETE FROM login_throttle WHERE last_failed < :old"), {"old": _iso(now - FORGET_AFTER)})
    s.execute(text("INSERT INTO login_throttle (name_key, failed_count, locked_until, last_failed) "
                   "VALUES (:k, :n, :until, :now) ON CONFLICT (name_key) DO UPDATE SET "
                   "failed_count = excluded.failed_count, locked_until = excluded.locked_until, "
                   "last_failed = excluded.last_failed"),
              {"k": key, "n": count, "until": _iso(now + timedelta(seconds=wait)) if wait else None,
               "now": _iso(now)})


def _clear_failures(s: Session, name: str) -> None:
    s.execute(text("DELETE FROM login_throttle WHERE name_key = :k"), {"k": _name_key(name)})


def authenticate(engine: Engine, name: str, password: str, now: datetime | None = None) -> Actor:
    """Check a name and password; failures are counted per name (existing or not) and lock it with a growing delay.

    While a name is locked even the right password is refused (:class:`AccountLocked`). The database being read-only
    or busy raises the store's sentence (a failure could not be counted), for every name alike."""
    now = now or now_utc()
    key = _name_key(name)
    with database.read_session(engine) as s:
        row = s.exec(select(UserRow).where(UserRow.name == name)).first()
        if row is not None:
            s.expunge(row)
        wait = _throttle(s, key, now).retry_after(now)
    if wait:
        raise AccountLocked(wait)
    ok = _verify(row.password_hash if row is not None else _DUMMY_HASH, password) and row is not None
    with database.write_session(engine) as s:
        database.serialize(s, f"login:{key}")  # PostgreSQL: concurrent failures of one name count one by one
        throttle = _throttle(s, key, now)
        wait = throttle.retry_after(now)
        if wait:  # a concurrent failure locked it meanwhile
            raise AccountLocked(wait)
        if not ok or row is None:
            _record_failure(s, key, now, throttle)
        else:
            _clear_failures(s, name)
            cur = s.get(UserRow, row.id)
            assert cur is not None
            if not cur.disabled:
                cur.last_login = now
            if _hasher.check_needs_rehash(cur.password_hash):
                cur.password_hash = _hasher.hash(password)
            s.add(cur)
    if not ok or row is None:
        raise LoginFailed("wrong user name or password")
    if row.disabled:
        raise LoginFailed(f"the account '{name}' is disabled; ask an admin")
    return Actor(name=row.name, role=row.role)


class ClientBackoff:
    """A per-client delay before each login attempt (in memory, bounded): a client that keeps failing (any names)
    waits longer and longer, up to ``max_delay`` seconds; it is never refused, so a shared address slows down but
    never locks anyone out. The UI knows the client (its address) and sleeps :meth:`delay` before calling login."""

    def __init__(self, free: int = FREE_FAILURES, base: float = 0.5, max_delay: float = 5.0,
                 max_clients: int = 10_000, forget_seconds: float = 15 * 60) -> None:
        self.free, self.base, self.max_delay = free, base, max_delay
        self.max_clients, self.forget_seconds = max_clients, forget_seconds
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self._lock = threading.Lock()

    def delay(self, client: str | None, now: float | None = None) -> float:
        """Seconds this client should wait before its next attempt (0 for unknown clients and the first few)."""
        if client is None:
            return 0.0
        now = time.monotonic() if now is None else now
        with self._lock:
            count, last = self._failures.get(client, (0, now))
            if now - last > self.forget_seconds:
                self._failures.pop(client, None)
                return 0.0
        return _doubling(count, self.free, self.base, self.max_delay)

    def failed(self, client: str | None, now: float | None = None) -> None:
        if client is None:
            return
        now = time.monotonic() if now is None else now
        with self._lock:
            count, _ = self._failures.pop(client, (0, now))
            self._failures[client] = (count + 1, now)
            while len(self._failures) > self.max_clients:
                self._failures.popitem(last=False)

    def succeeded(self, client: str | None) -> None:
        if client is not None:
            with self._lock:
                self._failures.pop(client, None)


def _verify(digest: str, password: str) -> bool:
    try:
        return _hasher.verify(digest, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login(engine: Engine, name: str, password: str, hours: float = SESSION_HOURS,
          now: datetime | None = None) -> str:
    """Authenticate and open a session; return the token (only its hash is stored)."""
    now = now or now_utc()
    actor = authenticate(engine, name, password, now=now)
    token = secrets.token_urlsafe(32)
    with database.write_session(engine) as s:
        user = s.exec(select(UserRow).where(UserRow.name == actor.name)).one()
        assert user.id is not None
        s.exec(delete(SessionRow).where(col(SessionRow.expires_at) < now))
        s.add(SessionRow(token_hash=_token_hash(token), user_id=user.id, created_at=now,
                         expires_at=now + timedelta(hours=hours)))
    return token


def actor_for_token(engine: Engine, token: str | None, now: datetime | None = None) -> Actor:
    """The actor of a session token; anonymous when the token is unknown, expired or the user disabled."""
    if not token:
        return ANONYMOUS
    now = now or now_utc()
    with database.read_session(engine) as s:
        sess = s.get(SessionRow, _token_hash(token))
        if sess is None or (_aware(sess.expires_at) or now) <= now:
            return ANONYMOUS
        user = s.get(UserRow, sess.user_id)
        if user is None or user.disabled:
            return ANONYMOUS
        return Actor(name=user.name, role=user.role)


def logout(engine: Engine, token: str | None) -> None:
    """End a session (unknown tokens are ignored)."""
    if not token:
        return
    with database.write_session(engine) as s:
        s.exec(delete(SessionRow).where(col(SessionRow.token_hash) == _token_hash(token)))
