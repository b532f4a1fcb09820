"""The ``kb users`` commands: password from stdin (two lines), list, disable; errors as one line and exit 1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from kb import accounts
from kb.store import database

ROOT = Path(__file__).resolve().parents[2]


def kb(args: list[str], db: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, KB_DB=str(db), KB_MODEL="fake-hash")
    return subprocess.run([sys.executable, "-m", "kb.cli", *args], input=stdin, capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)


def test_users_add_from_stdin_list_and_disable(tmp_path: Path) -> None:
    db = tmp_path / "kb.sqlite"
    r = kb(["users", "add", "admin", "--role", "admin"], db, "first-admin-pw\nfirst-admin-pw\n")
    assert r.returncode == 0, r.stderr
    assert "added admin (admin)" in r.stdout
    r = kb(["users", "add", "ann", "--role", "staff"], db, "ann-password\nann-password")
    assert r.returncode == 0, r.stderr
    r = kb(["users", "list", "--json"], db)
    assert [(u["name"], u["role"], u["disabled"]) for u in json.loads(r.stdout)] == \
        [("admin", "admin", False), ("ann", "staff", False)]
    assert accounts.authenticate(database.get_engine(db), "ann", "ann-password").role == "staff"
    r = kb(["users", "disable", "ann"], db)
    assert r.returncode == 0 and "disabled ann" in r.stdout
    assert "disabled" in kb(["users", "list"], db).stdout
    assert b"ann-password" not in db.read_bytes()


def test_users_add_errors(tmp_path: Path) -> None:
    db = tmp_path / "kb.sqlite"
    r = kb(["users", "add", "ann", "--role", "staff"], db, "one-password\nanother-password\n")
    assert r.returncode == 1 and r.stderr.strip() == "error: the two passwords differ; nothing was saved"
    r = kb(["users", "add", "ann", "--role", "staff"], db, "only-one-line\n")
    assert r.returncode == 1 and "two lines" in r.stderr
    r = kb(["users", "add", "ann", "--role", "staff"], db, "short\nshort\n")
    assert r.returncode == 1 and "at least 8 characters" in r.stderr
    r = kb(["users", "add", "ann", "--role", "owner"], db, "long-enough\nlong-enough\n")
    assert r.returncode == 2 and "invalid choice" in r.stderr
    kb(["users", "add", "ann", "--role", "staff"], db, "long-enough\nlong-enough\n")
    r = kb(["users", "add", "ann", "--role", "staff"], db, "long-enough\nlong-enough\n")
    assert r.returncode == 1 and "already exists" in r.stderr
    r = kb(["users", "disable", "nobody"], db)
    assert r.returncode == 1 and "no user named 'nobody'" in r.stderr
