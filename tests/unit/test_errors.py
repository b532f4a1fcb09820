"""One error hierarchy: every domain error is a KbError of one kind; the CLI and the app translate them in one place."""

from __future__ import annotations

import ast
import importlib
import inspect
import logging
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import kb
from kb import accounts, errors
from kb.cli import EXITS, CliError, main, outcome
from kb.errors import KINDS, KbError
from kb.lessons.service import LessonError
from kb.plans.model import PlanError
from kb.replication.cities import CityNotFound, DriverMissing
from kb.replication.fit import match
from kb.store import database
from kb.store.database import DatabaseError, DatabaseMissing, DatabaseUnavailable
from kb.text import escape_markdown
from tests.factories import build_replication_db as build_db

ROOT = Path(__file__).resolve().parents[2]
GROUPS = {accounts.AccountError, LessonError, DatabaseError}  # bases that only group errors; their subclasses pick


def _domain_errors() -> list[type[BaseException]]:
    found = []
    for info in pkgutil.walk_packages(kb.__path__, "kb."):
        if info.name.startswith("kb.ui") or info.name.endswith(".__main__"):
            continue
        mod = importlib.import_module(info.name)
        found += [c for _, c in inspect.getmembers(mod, inspect.isclass)
                  if issubclass(c, BaseException) and c.__module__ == info.name]
    return found


# --- the hierarchy ---------------------------------------------------------------------------------------------

def test_every_domain_error_is_a_kb_error_of_exactly_one_kind() -> None:
    classes = _domain_errors()
    names = {c.__name__ for c in classes}
    assert {"CityNotFound", "DriverMissing", "PlanError", "LessonInvalid", "StaleEdit", "PermissionDenied",
            "RecordNotFound", "RecordInvalid", "BriefError", "EmbedderError", "BackupError", "CliError"} <= names
    assert not [c for c in classes if not issubclass(c, KbError)], "every error class in kb derives from KbError"
    for cls in classes:
        kinds = [k for k in KINDS if issubclass(cls, k)]
        if cls is KbError or cls in KINDS:
            continue
        assert len(kinds) == 1 or (cls in GROUPS and not kinds), f"{cls.__qualname__}: kinds {kinds}"


def test_built_in_bases_are_kept_where_callers_catch_them() -> None:
    from kb.lessons.input import LessonInvalid
    from kb.plans.saved import PlanNotFound
    from kb.replication.simulation import ScaleMissing

    assert issubclass(ScaleMissing, ValueError) and issubclass(PlanError, ValueError)
    assert issubclass(LessonInvalid, ValueError)
    assert issubclass(CityNotFound, LookupError) and issubclass(DriverMissing, LookupError)
    assert issubclass(PlanNotFound, LookupError)


def test_errors_module_is_the_bottom_layer() -> None:
    tree = ast.parse(Path(errors.__file__).read_text(encoding="utf-8"))
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in imported if m == "kb" or m.startswith("kb.")]


def test_driver_missing_has_structured_fields_and_fit_uses_them(tmp_path: Path) -> None:
    exc = DriverMissing("Nosun", "pv_yield", "PV yield")
    assert (exc.city, exc.key, exc.purpose) == ("Nosun", "pv_yield", "PV yield")
    assert str(exc) == f"{exc.problem}. {exc.remedy}" and exc.remedy.startswith("Supply it")
    ranked = match(database.get_engine(build_db(tmp_path)), "nosun")
    pv = next(m for m in ranked if m.id == "test-pv-site")
    econ = next(f for f in pv.factors if f.name == "economics")
    # the fit explains in plain words what is missing (the structured fields, not the key, reach the reader)
    assert econ.explanation.startswith("Payback not computed: there is no figure for the PV specific yield")
    assert econ.explanation.endswith("of Nosun.") and "Supply" not in econ.explanation
    assert "pv_yield" not in econ.explanation


def test_a_locked_database_is_storage_unavailable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    from sqlalchemy import text

    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 100)
    db = tmp_path / "locked.sqlite"
    engine = database.get_engine(db)
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        with pytest.raises(DatabaseUnavailable, match="locked by another writer"), \
                database.write_session(engine) as s:
            s.exec(text("CREATE TABLE t (x INTEGER)"))  # type: ignore[call-overload]
    finally:
        other.execute("ROLLBACK")
        other.close()
    with database.write_session(engine) as s:  # free again: the next write works
        s.exec(text("CREATE TABLE t (x INTEGER)"))  # type: ignore[call-overload]


# --- the CLI: one mapping --------------------------------------------------------------------------------------

def test_outcome_maps_each_kind_to_an_exit_code_and_one_line() -> None:
    assert {k: EXITS[k][0] for k in KINDS} == {errors.NotFound: 1, errors.InvalidInput: 1, errors.Forbidden: 1,
                                                 errors.Conflict: 1, errors.StorageUnavailable: 2}
    assert outcome(accounts.PermissionDenied("saving needs the role 'staff'")) == \
        (1, "error: saving needs the role 'staff'")
    assert outcome(DatabaseMissing("no file")) == (1, "error: no file"), "the most specific kind wins"
    assert outcome(DatabaseUnavailable("locked")) == (2, "error: locked")
    assert outcome(PlanError("district.homes: must not be negative")) == \
        (2, "error: invalid plan: district.homes: must not be negative")
    assert outcome(CliError("first line\n  second line\n")) == (1, "error: first line second line")


def _kb(args: list[str], db: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, KB_DB=str(db), KB_MODEL="fake-hash")
    return subprocess.run([sys.executable, "-m", "kb.cli", *args], input=stdin, capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)


def _one_line(r: subprocess.CompletedProcess[str], code: int, starts: str) -> None:
    assert r.returncode == code, r.stderr
    assert r.stderr.startswith(starts) and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr


def test_cli_exit_code_and_message_per_kind(tmp_path: Path) -> None:
    db = tmp_path / "kb.sqlite"
    assert _kb(["users", "add", "ann", "--role", "staff"], db, "ann-password\nann-password\n").returncode == 0
    _one_line(_kb(["users", "disable", "nobody"], db), 1, "error: no user named 'nobody'")         # NotFound
    _one_line(_kb(["users", "add", "bob", "--role", "staff"], db, "short\nshort\n"), 1,            # InvalidInput
              "error: the password must have at least 8 characters")
    _one_line(_kb(["users", "add", "ann", "--role", "staff"], db, "ann-password\nann-password\n"), 1,
              "error: a user named 'ann' already exists")                                          # Conflict
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database file " * 100)
    _one_line(_kb(["stats", "--db", str(junk)], db), 2, f"error: cannot open database {junk}")    # StorageUnavailable
    plan = tmp_path / "bad.toml"
    plan.write_text("[district\n", encoding="utf-8")
    _one_line(_kb(["plan", str(plan)], db), 2, "error: invalid plan: bad.toml: malformed TOML at line 1")


def test_cli_forbidden_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """No command is refused to the operator (shell access is admin), so a handler stands in for one."""
    from kb.cli import core

    def refused(_args: object) -> int:
        accounts.require(accounts.ANONYMOUS, "staff", "reading the counts")
        return 0

    monkeypatch.setattr(core, "cmd_stats", refused)
    assert main(["stats"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: reading the counts needs the role 'staff'") and err.count("\n") == 1


def test_cli_lets_a_bug_raise(monkeypatch: pytest.MonkeyPatch) -> None:
    from kb.cli import core

    def broken(_args: object) -> int:
        return {}["missing"]  # type: ignore[no-any-return]

    monkeypatch.setattr(core, "cmd_stats", broken)
    with pytest.raises(KeyError):
        main(["stats"])


# --- the app: one dispatcher -----------------------------------------------------------------------------------

PAGE = """
import streamlit as st
from kb import accounts
from kb.replication.cities import CityNotFound
from kb.ui import routes

def render():
    st.write("before")
{body}
    st.write("after")

routes.register({{"overview": render}})
st.navigation([routes.page("overview")]).run()
"""


def _app(body: str) -> AppTest:
    return AppTest.from_string(PAGE.format(body=body), default_timeout=60).run()


def test_dispatcher_shows_a_kb_error_as_its_message(app_env: Path) -> None:
    at = _app("    raise CityNotFound('atlantis', ['krakow'])")
    assert not at.exception, at.exception
    # shown as text: the message escaped for Markdown (it can quote what the user typed)
    assert [e.value for e in at.error] == [escape_markdown(str(CityNotFound("atlantis", ["krakow"])))]
    assert [m.value for m in at.markdown] == ["before"]
    at = _app("    accounts.require(accounts.ANONYMOUS, 'staff', 'writing a lesson')")
    assert not at.exception and "writing a lesson needs the role 'staff'" in at.error[0].value


def test_dispatcher_logs_a_bug_under_an_id(app_env: Path, caplog: pytest.LogCaptureFixture,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KB_DEBUG", raising=False)
    with caplog.at_level(logging.ERROR, logger="kb.ui.routes"):
        at = _app("    raise RuntimeError('internal detail 42')")
    assert not at.exception, at.exception
    m = re.fullmatch(r"Something went wrong; it was logged as ([0-9a-f]{8})\.", at.error[0].value)
    assert m, at.error[0].value
    shown = " ".join(str(e.value) for e in (*at.error, *at.markdown))
    assert "internal detail" not in shown and "Traceback" not in shown
    logged = [r for r in caplog.records if r.name == "kb.ui.routes" and m.group(1) in r.getMessage()]
    assert logged and logged[0].exc_info and "internal detail 42" in str(logged[0].exc_info[1])


def test_dispatcher_re_raises_a_bug_with_kb_debug(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_DEBUG", "1")
    at = _app("    raise RuntimeError('internal detail 42')")
    assert at.exception and "internal detail 42" in at.exception[0].message
    assert not at.error


def test_dispatcher_lets_streamlit_control_flow_through(app_env: Path) -> None:
    at = _app("    st.stop()")
    assert not at.exception and not at.error
    assert [m.value for m in at.markdown] == ["before"]
