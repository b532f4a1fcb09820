"""Security pass: roles checked in the service layer, sessions expire, lockout, no secret in git, no raw user HTML.

Every public function of ``kb`` that takes an actor (``actor`` or ``by``) and writes is found by introspection
and called directly with a viewer, an anonymous visitor and an unknown role: each must refuse with
``PermissionDenied`` *before* it looks at its other arguments. A new write function (saved plans, …) is covered
automatically as long as it takes the actor as ``actor``/``by`` and calls ``kb.accounts.require`` first; read
functions that take an actor are listed in ``READS``.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

import kb
from kb import accounts
from kb.accounts import ANONYMOUS, Actor, PermissionDenied
from kb.embeddings import FakeEmbedder
from kb.lessons import service as lessons
from kb.store import database
from kb.text import escape_markdown
from kb.views.markdown import render_markdown_safe
from tests.factories import FIXTURE_CORPUS, app_on_corpus, lesson_data

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "security-pass-1"
VIEWER = Actor("vic", "viewer")
STAFF = Actor("ann", "staff")
INTRUDERS = [VIEWER, ANONYMOUS, Actor("mallory", "superuser"), Actor("", "")]
# Public functions that take an actor but only read (visibility is checked inside; no write happens).
READS = {"kb.accounts.require", "kb.lessons.service.get_lesson", "kb.lessons.service.list_lessons",
         "kb.lessons.service.history",
         # the editor's hints read what the actor may see; a visit time is the logged-in user's own bookkeeping
         # (any role; anonymous visitors leave no trace: tests/unit/test_lesson_visits.py)
         "kb.lessons.hints.near_duplicates", "kb.views.lesson_hints.check_draft", "kb.views.lesson_hints.duplicates_of",
         "kb.lessons.visits.begin_visit", "kb.lessons.visits.last_visit"}
# Writes that need more than the staff role (the admin-only account functions).
ADMIN_WRITES = {"kb.accounts.add_user", "kb.accounts.disable_user", "kb.accounts.enable_user",
                "kb.accounts.set_password"}
XSS = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>",
       "[x](javascript:alert(1))", '"><iframe src=javascript:alert(1)>')
# Active HTML: a real (unescaped) tag that runs code, an event handler inside a real tag, a javascript: link.
DANGEROUS = re.compile(r"<\s*(script|img|svg|iframe|object|embed|style|link|meta)\b|<[a-z][^>]*\son[a-z]+\s*=|"
                       r"href\s*=\s*[\"']?\s*javascript:", re.IGNORECASE)


def actor_functions() -> Iterator[tuple[str, Callable[..., Any]]]:
    """Every public ``kb`` (core) function with an ``actor`` or ``by`` parameter."""
    for info in pkgutil.walk_packages(kb.__path__, "kb."):
        if info.name.startswith(("kb.ui", "kb.cli")):
            continue
        mod = importlib.import_module(info.name)
        for name, fn in inspect.getmembers(mod, inspect.isfunction):
            if name.startswith("_") or fn.__module__ != mod.__name__:
                continue
            if {"actor", "by"} & set(inspect.signature(fn).parameters):
                yield f"{info.name}.{name}", fn


WRITES = sorted(name for name, _ in actor_functions() if name not in READS)


@pytest.fixture
def engine(fixture_db: Path):  # type: ignore[no-untyped-def]
    eng = database.get_engine(fixture_db)
    accounts.add_user(eng, "ann", "staff", PASSWORD, by=Actor.system())
    accounts.add_user(eng, "vic", "viewer", PASSWORD, by=Actor.system())
    return eng


def test_the_known_write_paths_are_found() -> None:
    assert {"kb.lessons.service.create_lesson", "kb.lessons.service.update_lesson", "kb.lessons.service.publish_lesson",
            "kb.lessons.service.archive_lesson", "kb.lessons.service.restore_lesson", *ADMIN_WRITES} <= set(WRITES)


@pytest.mark.parametrize("name", WRITES)
def test_every_write_function_refuses_without_a_role(name: str, engine, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    """Called directly (no UI), with junk in every other argument: the role check comes first and refuses."""
    draft = lessons.create_lesson(engine, STAFF, lesson_data())
    module, fn_name = name.rsplit(".", 1)
    fn = getattr(importlib.import_module(module), fn_name)
    params = inspect.signature(fn).parameters
    plausible: dict[str, Any] = {"engine": engine, "lesson_id": draft.id, "version": draft.version,
                                 "data": lesson_data(), "embedder": fake_embedder, "name": "ann",
                                 "role": "admin", "password": "new-password-123"}
    for actor in INTRUDERS:
        for args in (plausible, {}):  # plausible arguments, then None everywhere
            kwargs = {p: args.get(p) for p in params if p not in ("actor", "by")}
            kwargs["actor" if "actor" in params else "by"] = actor
            with pytest.raises(PermissionDenied):
                fn(**kwargs)
    if name not in ADMIN_WRITES:
        who = "actor" if "actor" in params else "by"
        kwargs = {p: plausible.get(p) for p in params if p != who}
        with pytest.raises(PermissionDenied):  # a viewer acting for a staff member's lesson
            fn(**kwargs, **{who: Actor("ann", "viewer")})
    assert lessons.get_lesson(engine, draft.id, STAFF).version == 1, "nothing changed"
    assert [u["role"] for u in accounts.list_users(engine)] == ["staff", "viewer"]


def test_staff_cannot_manage_accounts(engine) -> None:  # type: ignore[no-untyped-def]
    for call in (lambda: accounts.add_user(engine, "eve", "admin", PASSWORD, by=STAFF),
                 lambda: accounts.disable_user(engine, "vic", by=STAFF),
                 lambda: accounts.enable_user(engine, "vic", by=STAFF),
                 lambda: accounts.set_password(engine, "vic", "taken-over-1", by=STAFF)):
        with pytest.raises(PermissionDenied, match="needs the role 'admin'"):
            call()
    assert accounts.authenticate(engine, "vic", PASSWORD).role == "viewer"


def test_drafts_and_history_are_not_readable_without_staff(engine) -> None:  # type: ignore[no-untyped-def]
    draft = lessons.create_lesson(engine, STAFF, lesson_data(title="Unpublished finding"))
    for actor in (VIEWER, ANONYMOUS):
        with pytest.raises(lessons.LessonNotFound):
            lessons.get_lesson(engine, draft.id, actor)
        assert [x.id for x in lessons.list_lessons(engine, actor)] == ["test-lesson-grid"], "the published one only"
        with pytest.raises(PermissionDenied):
            lessons.history(engine, actor, draft.id)


# --- sessions and lockout (time simulated through the ``now`` arguments) -------------------------------------

def test_an_expired_session_cannot_write(engine) -> None:  # type: ignore[no-untyped-def]
    t0 = datetime.now(UTC)
    token = accounts.login(engine, "ann", PASSWORD, now=t0)
    assert accounts.actor_for_token(engine, token, now=t0 + timedelta(hours=1)) == STAFF
    late = accounts.actor_for_token(engine, token, now=t0 + timedelta(hours=accounts.SESSION_HOURS, seconds=1))
    assert late.is_anonymous
    with pytest.raises(PermissionDenied):
        lessons.create_lesson(engine, late, lesson_data())
    assert accounts.actor_for_token(engine, token + "x", now=t0).is_anonymous, "a forged token is nobody"


def test_disabling_or_a_new_password_ends_sessions(engine) -> None:  # type: ignore[no-untyped-def]
    token = accounts.login(engine, "ann", PASSWORD)
    accounts.set_password(engine, "ann", "another-password-1", by=Actor.system())
    assert accounts.actor_for_token(engine, token).is_anonymous
    token = accounts.login(engine, "ann", "another-password-1")
    accounts.disable_user(engine, "ann", by=Actor.system())
    assert accounts.actor_for_token(engine, token).is_anonymous
    with pytest.raises(accounts.LoginFailed, match="disabled"):
        accounts.login(engine, "ann", "another-password-1")


def test_lockout_refuses_even_the_right_password_then_lets_in(engine) -> None:  # type: ignore[no-untyped-def]
    t = datetime(2031, 5, 1, tzinfo=UTC)
    for _ in range(accounts.FREE_FAILURES):
        with pytest.raises(accounts.LoginFailed):
            accounts.login(engine, "ann", "guess-password", now=t)
    with pytest.raises(accounts.AccountLocked):
        accounts.login(engine, "ann", PASSWORD, now=t + timedelta(seconds=1))
    for n in range(5):  # a guessing script is slowed down more and more
        with pytest.raises(accounts.LoginFailed):
            accounts.login(engine, "ann", f"guess-{n}-password", now=t + timedelta(hours=n + 1))
    until = accounts.list_users(engine)[0]["locked_until"]
    assert until - (t + timedelta(hours=5)) == timedelta(seconds=accounts.LOCK_MAX_SECONDS)
    token = accounts.login(engine, "ann", PASSWORD, now=until + timedelta(seconds=1))
    assert accounts.actor_for_token(engine, token, now=until + timedelta(seconds=2)) == STAFF


def test_passwords_are_stored_as_argon2id_never_in_clear(engine, fixture_db: Path) -> None:  # type: ignore[no-untyped-def]
    assert PASSWORD.encode() not in fixture_db.read_bytes()
    wal = fixture_db.with_name(fixture_db.name + "-wal")
    assert not wal.exists() or PASSWORD.encode() not in wal.read_bytes()
    with database.read_session(engine) as s:
        hashes = [h for (h,) in s.connection().exec_driver_sql("SELECT password_hash FROM user_account")]
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)


# --- no secret in the repository -----------------------------------------------------------------------------

SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY-----"),
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "API key": re.compile(r"\bsk-[A-Za-z0-9]{32,}\b"),
    "password assignment": re.compile(
        r"""(?i)\b(?:password|passwd|secret|api_key|apikey|client_secret|cookie_secret|token)\s*[:=]\s*["'][^"'\s]{8,}["']"""),
}
# Test code holds made-up passwords for throwaway databases; they are not secrets.
TEST_PATHS = ("tests/",)


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [p for p in out.decode().split("\0") if p]


def test_no_secret_is_tracked_by_git() -> None:
    files = tracked_files()
    assert files, "git ls-files found nothing"
    forbidden = [p for p in files if re.search(r"(^|/)(\.streamlit/secrets\.toml|\.env|id_rsa|id_ed25519)$|"
                                               r"\.(pem|key|p12|pfx)$", p)]
    assert forbidden == [], f"secret files are tracked: {forbidden}"
    found = []
    for rel in files:
        path = ROOT / rel
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        text = path.read_bytes().decode("utf-8", "ignore")
        for label, rx in SECRET_PATTERNS.items():
            if label == "password assignment" and rel.startswith(TEST_PATHS):
                continue
            for m in rx.finditer(text):
                found.append(f"{rel}: {label}: {m.group(0)[:40]}")
    assert found == [], "\n".join(found)


def test_local_secrets_are_ignored_by_git() -> None:
    for rel in (".streamlit/secrets.toml", ".env", "data/kb.sqlite"):
        r = subprocess.run(["git", "check-ignore", "-q", "--no-index", rel], cwd=ROOT)
        assert r.returncode == 0, f"{rel} is not in .gitignore"


# --- no unescaped user text on the app's own pages -----------------------------------------------------------

def test_unsafe_allow_html_only_wraps_escaped_text() -> None:
    """Each ``unsafe_allow_html=True`` in kb/ui passes its user text through an escaping function."""
    escapers = ("escape_markdown(", "render_markdown_safe(", "spans_markup(", "safe_url(")
    uses = []
    for path in sorted((ROOT / "kb" / "ui").glob("*.py")):
        src = path.read_text(encoding="utf-8")
        for m in re.finditer(r"unsafe_allow_html\s*=\s*True", src):
            call = src[src.rfind("st.markdown(", 0, m.start()):m.end()]
            line = src.count("\n", 0, m.start()) + 1
            uses.append(f"{path.name}:{line}")
            assert any(e in call for e in escapers) or "line" in call, f"{path.name}:{line}: {call}"
    # the one call that passes a variable (``line``) builds it from escaped parts: see record_page.render
    src = (ROOT / "kb" / "ui" / "record_page.py").read_text(encoding="utf-8")
    build = src[src.index('line = f"**'):src.index("st.markdown(line, unsafe_allow_html=True)")]
    assert "escape_markdown(s.id)" in build and "escape_markdown(s.title)" in build
    assert "escape_markdown(extra)" in build and "s.url" in build  # url made safe by record_view.safe_url
    assert uses, "the scan found the known uses"


@pytest.mark.parametrize("payload", XSS)
def test_escaping_functions_leave_nothing_active(payload: str) -> None:
    from kb.text import safe_url

    for html in (escape_markdown(payload), render_markdown_safe(payload),
                 render_markdown_safe(f"**{payload}** and [{payload}]({payload})")):
        assert not DANGEROUS.search(html), html
    url = safe_url(f"https://example.org/{payload}")
    assert url.startswith("https://example.org/") and not re.search(r"[<>\"' ()]", url), url
    assert safe_url("javascript:alert(1)") == "" and safe_url(" JavaScript:alert(1)") == ""


SCRIPT = """
import os
import streamlit as st
for k, v in {params!r}.items():
    st.query_params[k] = v
from kb.ui import {module}
{module}.render()
"""


def rendered(module: str, params: dict[str, str] | None = None, token: str | None = None,
             query: str | None = None) -> list[tuple[bool, str]]:
    at = AppTest.from_string(SCRIPT.format(module=module, params=params or {}), default_timeout=90)
    if token:
        at.session_state["kb_token"] = token
    at.run()
    if query is not None:
        at.text_input(key="q").input(query).run()
    assert not at.exception, at.exception
    return [(bool(m.proto.allow_html), m.value) for m in at.get("markdown")] + \
           [(False, t.value) for t in at.get("title")] + [(False, x.value) for x in at.get("subheader")]


def hostile_corpus(root: Path) -> Path:
    """The fixture corpus with payloads wherever a record accepts free text (the body, tables, barriers)."""
    shutil.copytree(FIXTURE_CORPUS, root)
    path = root / "solutions" / "test-battery-site.md"
    text = path.read_text(encoding="utf-8")
    payload = " ".join(XSS)
    text = text.replace("## Summary\n", f"## Summary\n{payload}\n\n")
    text = text.replace("| 2023 | design | S1 | scale | |", f"| 2023 | design | S1 | scale | {XSS[1]} |")
    text = text.replace("- what was tried: an exemption was requested", f"- what was tried: {payload}")
    text = text.replace("No measured results were published", f"{payload} No measured results")
    path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def hostile_app(app_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    corpus = hostile_corpus(tmp_path / "hostile")
    app_on_corpus(corpus, app_env, monkeypatch, PASSWORD)
    return app_env


def assert_inert(elements: list[tuple[bool, str]], must_show: str) -> None:
    assert elements
    for allow_html, value in elements:
        if allow_html:  # raw HTML reaches the browser: nothing active may be in it
            assert not DANGEROUS.search(value), value
    assert any(must_show in v for _, v in elements), f"the payload is shown as text: {must_show}"


def test_lesson_with_payloads_in_every_field_is_refused_or_shown_escaped(hostile_app: Path) -> None:
    engine = database.get_engine(hostile_app)
    payload = " ".join(XSS)
    for field in ("title", "author"):  # one-line fields: plain text only
        with pytest.raises(lessons.LessonInvalid, match="plain text|single line"):
            lessons.create_lesson(engine, STAFF, lesson_data(**{field: f"{XSS[0]}\n{XSS[1]}"}))
    for bad_source in ({"id": "S1", "title": XSS[0]}, {"id": "S1", "title": "ok", "url": "javascript:alert(1)"},
                       {"id": "S1", "title": "ok", "publisher": XSS[1]}, {"id": XSS[1], "title": "ok"}):
        with pytest.raises(lessons.LessonInvalid):
            lessons.create_lesson(engine, STAFF, lesson_data(sources=[bad_source]))
    les = lessons.create_lesson(engine, STAFF, lesson_data(
        title="Hostile lesson", summary=payload, what_happened=payload + " [S1]", what_was_tried=payload,
        applies_when=payload, outcome_note=payload,
        sources=[{"id": "S1", "title": "Source; DROP TABLE lesson; --",
                  "url": "https://example.org/a?b=<x>&c=\"d\""}]))
    lessons.publish_lesson(engine, Actor.system(), les.id, les.version, FakeEmbedder(name="fake-hash"))
    token = accounts.login(engine, "ann", PASSWORD)
    shown = "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert_inert(rendered("lessons_page"), shown)
    assert_inert(rendered("lessons_page", token=token), shown)
    assert_inert(rendered("record_page", {"id": les.id}), "script")
    assert_inert(rendered("lesson_history_page", {"id": les.id}, token=token), "Hostile lesson")


def test_record_page_and_search_show_record_payloads_escaped(hostile_app: Path) -> None:
    record = rendered("record_page", {"id": "test-battery-site"})
    assert_inert(record, "script")
    assert not any("<script" in v for _, v in record)
    found = rendered("search_page", query="<script>alert(1)</script> battery onerror")
    assert_inert(found, "Summary")
