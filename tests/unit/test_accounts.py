"""Accounts: argon2 hashes only (no plain text in the database file), roles, lockout backoff, sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kb import accounts
from kb.accounts import Actor
from kb.store import database

ADMIN = Actor.system("test")
PASSWORD = "Plain-Text-Secret-4711"


@pytest.fixture
def engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    return database.get_engine(tmp_path / "acc.sqlite")


def test_password_stored_as_argon2_only(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    accounts.add_user(engine, "ann", "staff", PASSWORD, by=ADMIN)
    token = accounts.login(engine, "ann", PASSWORD)
    database.dispose_all()
    blob = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("acc.sqlite"))
    assert b"argon2id" in blob
    for secret in (PASSWORD, token):
        assert secret.encode() not in blob
        assert secret.encode("utf-16-le") not in blob
    assert "password_hash" not in accounts.list_users(database.get_engine(tmp_path / "acc.sqlite"))[0]


def test_login_and_session_expiry(engine) -> None:  # type: ignore[no-untyped-def]
    accounts.add_user(engine, "ann", "staff", PASSWORD, by=ADMIN)
    t0 = datetime(2030, 1, 1, tzinfo=UTC)
    token = accounts.login(engine, "ann", PASSWORD, hours=1, now=t0)
    assert accounts.actor_for_token(engine, token, now=t0 + timedelta(minutes=59)) == Actor("ann", "staff")
    assert accounts.actor_for_token(engine, token, now=t0 + timedelta(minutes=61)).is_anonymous
    assert accounts.actor_for_token(engine, "forged").is_anonymous
    assert accounts.actor_for_token(engine, None).is_anonymous
    token = accounts.login(engine, "ann", PASSWORD)
    accounts.logout(engine, token)
    assert accounts.actor_for_token(engine, token).is_anonymous


def test_backoff_locks_then_grows_and_success_resets(engine) -> None:  # type: ignore[no-untyped-def]
    accounts.add_user(engine, "ann", "staff", PASSWORD, by=ADMIN)
    t = datetime(2030, 1, 1, tzinfo=UTC)
    for _ in range(accounts.FREE_FAILURES - 1):
        with pytest.raises(accounts.LoginFailed) as exc:
            accounts.authenticate(engine, "ann", "wrong-password", now=t)
        assert not isinstance(exc.value, accounts.AccountLocked)
    with pytest.raises(accounts.LoginFailed):
        accounts.authenticate(engine, "ann", "wrong-password", now=t)  # third failure: locked for 30 s
    with pytest.raises(accounts.AccountLocked) as locked:
        accounts.authenticate(engine, "ann", PASSWORD, now=t + timedelta(seconds=10))
    assert locked.value.retry_after == 20, "even the right password is refused while locked"
    with pytest.raises(accounts.LoginFailed):
        accounts.authenticate(engine, "ann", "wrong-again", now=t + timedelta(seconds=31))  # fourth: 60 s
    with pytest.raises(accounts.AccountLocked) as locked:
        accounts.authenticate(engine, "ann", PASSWORD, now=t + timedelta(seconds=61))
    assert locked.value.retry_after == 30
    state = accounts.list_users(engine)[0]
    assert state["locked_until"] == t + timedelta(seconds=91)
    assert accounts.authenticate(engine, "ann", PASSWORD, now=t + timedelta(seconds=92)).role == "staff"
    with pytest.raises(accounts.LoginFailed) as exc:
        accounts.authenticate(engine, "ann", "wrong", now=t + timedelta(seconds=93))
    assert not isinstance(exc.value, accounts.AccountLocked), "success resets the failure count"
    assert [accounts.lock_seconds(n) for n in range(1, 10)] == [0, 0, 30, 60, 120, 240, 480, 900, 900]


def test_unknown_user_and_disabled_user(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(accounts.LoginFailed, match="wrong user name or password"):
        accounts.authenticate(engine, "nobody", PASSWORD)
    accounts.add_user(engine, "ann", "staff", PASSWORD, by=ADMIN)
    token = accounts.login(engine, "ann", PASSWORD)
    accounts.disable_user(engine, "ann", by=ADMIN)
    assert accounts.actor_for_token(engine, token).is_anonymous, "disabling ends sessions"
    with pytest.raises(accounts.LoginFailed, match="disabled"):
        accounts.login(engine, "ann", PASSWORD)
    assert accounts.list_users(engine)[0]["disabled"] is True, "disabled, not deleted"
    accounts.enable_user(engine, "ann", by=ADMIN)
    assert accounts.login(engine, "ann", PASSWORD)


def test_user_management_needs_admin(engine) -> None:  # type: ignore[no-untyped-def]
    for actor in (accounts.ANONYMOUS, Actor("v", "viewer"), Actor("s", "staff")):
        with pytest.raises(accounts.PermissionDenied):
            accounts.add_user(engine, "eve", "admin", PASSWORD, by=actor)
        with pytest.raises(accounts.PermissionDenied):
            accounts.disable_user(engine, "eve", by=actor)
    assert accounts.list_users(engine) == []


@pytest.mark.parametrize(("name", "role", "password", "error"), [
    ("ann", "owner", PASSWORD, "unknown role"),
    ("bad name", "staff", PASSWORD, "user name"),
    ("ann", "staff", "short", "at least 8"),
])
def test_add_user_rejects_bad_input(engine, name: str, role: str, password: str, error: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(accounts.InvalidInput, match=error):
        accounts.add_user(engine, name, role, password, by=ADMIN)


def test_duplicate_user(engine) -> None:  # type: ignore[no-untyped-def]
    accounts.add_user(engine, "ann", "staff", PASSWORD, by=ADMIN)
    with pytest.raises(accounts.UserExists):
        accounts.add_user(engine, "ann", "admin", PASSWORD, by=ADMIN)
