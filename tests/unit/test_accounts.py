"""Accounts: argon2 hashes only (no plain text in the database), roles, lockout backoff, sessions; both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kb import accounts
from kb.accounts import Actor
from kb.store import database

ADMIN = Actor.system("test")
PASSWORD = "Plain-Text-Secret-4711"

pytestmark = pytest.mark.backends  # each test on SQLite and on PostgreSQL (those that read the file: SQLite only)


@pytest.fixture
def engine(new_db: Path | str):  # type: ignore[no-untyped-def]
    return database.get_engine(new_db)


@pytest.fixture
def file_engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A SQLite file, for the tests that read its bytes."""
    return database.get_engine(tmp_path / "acc.sqlite")


def test_password_stored_as_argon2_only(file_engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    engine = file_engine
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
    assert [accounts.lock_seconds(n) for n in range(1, 10)] == [0, 0, 30, 60, 60, 60, 60, 60, 60], "capped at a minute"


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


# --- equal treatment of unknown and known names (issue 14, item 7) ----------------------------------------------

def _outcome(engine, name: str, password: str, now: datetime) -> tuple[str, str, int]:  # type: ignore[no-untyped-def]
    try:
        accounts.authenticate(engine, name, password, now=now)
    except accounts.LoginFailed as exc:
        return type(exc).__name__, str(exc).replace(name, "NAME"), getattr(exc, "retry_after", 0)
    return "ok", "", 0


def test_unknown_and_known_names_fail_and_lock_alike(engine) -> None:  # type: ignore[no-untyped-def]
    """Probing: the same message, the same lock and the same wait for a name that exists and one that does not."""
    accounts.add_user(engine, "ann", "staff", PASSWORD, by=ADMIN)
    t = datetime(2030, 1, 1, tzinfo=UTC)
    steps = [0, 1, 2, 3, 40, 95, 160]  # seconds: failures, attempts while locked, failures after
    seen = {name: [_outcome(engine, name, "wrong-password", t + timedelta(seconds=s)) for s in steps]
            for name in ("ann", "nobody")}
    assert seen["ann"] == seen["nobody"], seen
    kinds = [k for k, _, _ in seen["ann"]]
    assert kinds[:3] == ["LoginFailed"] * 3 and "AccountLocked" in kinds, "both names lock after three failures"
    assert max(wait for _, _, wait in seen["ann"]) <= accounts.LOCK_MAX_SECONDS == 60


def test_each_name_pays_one_verify_and_one_write(engine, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """The same work for both names (the timing class): one argon2 verify (a dummy hash for unknown names), one
    write transaction."""
    accounts.add_user(engine, "ann", "staff", PASSWORD, by=ADMIN)
    calls: list[str] = []
    real_verify, real_write = accounts._verify, database.write_session
    monkeypatch.setattr(accounts, "_verify", lambda d, p: calls.append("verify") or real_verify(d, p))
    monkeypatch.setattr(database, "write_session", lambda e, **kw: calls.append("write") or real_write(e, **kw))
    for name in ("ann", "nobody"):
        calls.clear()
        with pytest.raises(accounts.LoginFailed, match="^wrong user name or password$"):
            accounts.authenticate(engine, name, "wrong-password")
        assert calls == ["verify", "write"], (name, calls)


def test_lock_is_short_and_the_right_password_waits_it_out(engine) -> None:  # type: ignore[no-untyped-def]
    """An attacker can lock a real user out for a minute at most; during the lock even the right password is refused."""
    accounts.add_user(engine, "ann", "staff", PASSWORD, by=ADMIN)
    t = datetime(2030, 1, 1, tzinfo=UTC)
    for n in range(8):  # a guessing script, one try whenever the lock allows
        with pytest.raises(accounts.LoginFailed):
            accounts.authenticate(engine, "ann", f"guess-{n}-password", now=t + timedelta(minutes=n))
    with pytest.raises(accounts.AccountLocked) as locked:
        accounts.authenticate(engine, "ann", PASSWORD, now=t + timedelta(minutes=7, seconds=1))
    assert locked.value.retry_after == 59
    assert accounts.authenticate(engine, "ann", PASSWORD, now=t + timedelta(minutes=8)).role == "staff"


def test_failures_are_forgotten_a_day_later_for_every_name(engine) -> None:  # type: ignore[no-untyped-def]
    accounts.add_user(engine, "ann", "staff", PASSWORD, by=ADMIN)
    t = datetime(2030, 1, 1, tzinfo=UTC)
    later = t + accounts.FORGET_AFTER + timedelta(seconds=1)
    for name in ("ann", "nobody"):
        for _ in range(accounts.FREE_FAILURES):
            with pytest.raises(accounts.LoginFailed):
                accounts.authenticate(engine, name, "wrong-password", now=t)
        assert _outcome(engine, name, "wrong-password", t + timedelta(seconds=1))[0] == "AccountLocked"
        assert _outcome(engine, name, "wrong-password", later)[0] == "LoginFailed", "a fresh start, not a lock"


def test_admin_reset_clears_the_lock(engine) -> None:  # type: ignore[no-untyped-def]
    accounts.add_user(engine, "ann", "staff", PASSWORD, by=ADMIN)
    for _ in range(accounts.FREE_FAILURES):
        with pytest.raises(accounts.LoginFailed):
            accounts.authenticate(engine, "ann", "wrong-password")
    assert accounts.list_users(engine)[0]["locked_until"] is not None
    accounts.set_password(engine, "ann", "a-new-password", by=ADMIN)
    assert accounts.list_users(engine)[0]["locked_until"] is None
    assert accounts.authenticate(engine, "ann", "a-new-password").role == "staff"


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(min_size=1, max_size=80).filter(lambda n: n.strip() and n.strip() != "ann"))
def test_any_unknown_name_gets_the_same_answer_and_is_never_stored(file_engine, tmp_path: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    """Whatever is typed as a name (a password by mistake, say), the answer is the generic one and the database keeps
    only a hash of it."""
    engine = file_engine
    typed = name.strip().encode("utf-8", "surrogatepass")

    def stored() -> bytes:
        database.dispose_all()
        return b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("acc.sqlite"))

    assume(len(typed) < 4 or typed not in stored())  # a name that is a word of the schema ("phas") proves nothing
    with pytest.raises(accounts.LoginFailed) as exc:
        accounts.authenticate(engine, name, PASSWORD)
    assert str(exc.value) == "wrong user name or password" or isinstance(exc.value, accounts.AccountLocked)
    if len(typed) >= 4:
        assert typed not in stored()


def test_client_backoff_slows_a_failing_client_and_never_refuses() -> None:
    b = accounts.ClientBackoff(free=3, base=0.5, max_delay=5.0, max_clients=2, forget_seconds=60)
    delays = []
    for n in range(10):
        delays.append(b.delay("10.0.0.1", now=n))
        b.failed("10.0.0.1", now=n)
    assert delays == [0, 0, 0, 0.5, 1, 2, 4, 5, 5, 5], "grows, capped at a few seconds"
    assert b.delay("10.0.0.1", now=100) == 0, "forgotten after a quiet minute"
    assert b.delay(None) == 0, "no address known (localhost, a hidden proxy): no delay"
    for n in range(5):
        b.failed("10.0.0.1", now=200 + n)
    b.succeeded("10.0.0.1")
    assert b.delay("10.0.0.1", now=206) == 0, "a success clears the client"
    for client in ("a", "b", "c"):
        b.failed(client, now=300)
    assert len(b._failures) == 2, "bounded memory"
