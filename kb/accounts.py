"""Accounts and roles: argon2-hashed passwords, login with lockout backoff, expiring session tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine
from sqlmodel import Session, col, delete, select

from kb import errors
from kb.store import database
from kb.store.tables import SessionRow, UserRow

ROLES: tuple[str, ...] = ("viewer", "staff", "admin")
_RANK = {"anonymous": 0, "viewer": 1, "staff": 2, "admin": 3}
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
FREE_FAILURES = 3            # failed logins allowed before the account is locked
LOCK_BASE_SECONDS = 30       # first lock; doubles with every further failure
LOCK_MAX_SECONDS = 15 * 60
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

    @property
    def is_anonymous(self) -> bool:
        return self.role == "anonymous"

    def at_least(self, role: str) -> bool:
        return _RANK.get(self.role, 0) >= _RANK[role]

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        """The operator at the command line (shell access to the database file): admin rights."""
        return cls(name=label, role="admin")


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
        if s.exec(select(UserRow).where(UserRow.name == name)).first() is not None:
            raise UserExists(f"a user named '{name}' already exists")
        row = UserRow(name=name, role=role, password_hash=digest)
        s.add(row)
        s.flush()
        return _user_dict(row)


def _user_dict(row: UserRow) -> dict[str, Any]:
    return {"name": row.name, "role": row.role, "disabled": row.disabled,
            "created_at": _aware(row.created_at), "last_login": _aware(row.last_login),
            "locked_until": _aware(row.locked_until)}


def list_users(engine: Engine) -> list[dict[str, Any]]:
    """Every user with role and state (never the hash)."""
    with database.read_session(engine) as s:
        return [_user_dict(r) for r in s.exec(select(UserRow).order_by(UserRow.name))]


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
        row.disabled, row.failed_count, row.locked_until = False, 0, None
        s.add(row)


def set_password(engine: Engine, name: str, password: str, by: Actor) -> None:
    """Set a new password (admins, or the user themself) and end the user's sessions."""
    if by.name != name:
        require(by, "admin", "setting another user's password")
    check_password(password)
    digest = _hasher.hash(password)
    with database.write_session(engine) as s:
        row = _get(s, name)
        row.password_hash, row.failed_count, row.locked_until = digest, 0, None
        s.add(row)
        s.exec(delete(SessionRow).where(col(SessionRow.user_id) == row.id))


# --- login ---------------------------------------------------------------------------------------------------

def lock_seconds(failed_count: int) -> int:
    """How long an account stays locked after ``failed_count`` consecutive failures (0: not locked)."""
    if failed_count < FREE_FAILURES:
        return 0
    factor: int = 2 ** (failed_count - FREE_FAILURES)  # an int: the exponent is never negative here
    return min(LOCK_BASE_SECONDS * factor, LOCK_MAX_SECONDS)


def authenticate(engine: Engine, name: str, password: str, now: datetime | None = None) -> Actor:
    """Check a name and password; failures are counted per user and lock the account with a growing delay."""
    now = now or now_utc()
    with database.read_session(engine) as s:
        row = s.exec(select(UserRow).where(UserRow.name == name)).first()
        if row is not None:
            s.expunge(row)
    if row is None:
        _verify(_DUMMY_HASH, password)
        raise LoginFailed("wrong user name or password")
    locked = _aware(row.locked_until)
    if locked is not None and locked > now:
        raise AccountLocked(max(1, int((locked - now).total_seconds() + 0.999)))
    ok = _verify(row.password_hash, password)
    with database.write_session(engine) as s:
        cur = s.get(UserRow, row.id)
        assert cur is not None
        locked = _aware(cur.locked_until)
        if locked is not None and locked > now:  # a concurrent failure locked it meanwhile
            raise AccountLocked(max(1, int((locked - now).total_seconds() + 0.999)))
        if not ok:
            cur.failed_count += 1
            wait = lock_seconds(cur.failed_count)
            cur.locked_until = now + timedelta(seconds=wait) if wait else None
            s.add(cur)
        else:
            cur.failed_count, cur.locked_until = 0, None
            if not cur.disabled:
                cur.last_login = now
            if _hasher.check_needs_rehash(cur.password_hash):
                cur.password_hash = _hasher.hash(password)
            s.add(cur)
    if not ok:
        raise LoginFailed("wrong user name or password")
    if row.disabled:
        raise LoginFailed(f"the account '{name}' is disabled; ask an admin")
    return Actor(name=row.name, role=row.role)


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
