"""Ingest: validation catalogue (path:line: reason, nothing changed), idempotence, updates, deletion, atomicity."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.loader import run_ingest
from kb.embeddings import FakeEmbedder
from kb.store import catalog, database, fts
from kb.store import write as store

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = "solutions/test-battery-site.md"


def counts(db: Path) -> dict[str, int]:
    return catalog.stats(database.get_engine(db))["records"]


@pytest.mark.backends  # SQLite and PostgreSQL
def test_first_ingest_loads_everything(corpus_copy: Path, new_db: Path | str, fake_embedder: FakeEmbedder) -> None:
    db = new_db
    res = run_ingest(corpus_copy, db, fake_embedder)
    assert res.errors == []
    assert counts(db) == {"solution": 2, "city": 1, "measure_type": 2, "lesson": 1}
    st = catalog.stats(database.get_engine(db))
    assert st["chunks"] == st["embeddings"] == res.chunks_embedded > 0
    with database.read_session(database.get_engine(db)) as s:
        assert fts.fts_count(s) == st["chunks"]


@pytest.mark.backends  # SQLite and PostgreSQL
def test_second_run_embeds_nothing_and_does_not_touch_the_model(corpus_copy: Path, new_db: Path | str) -> None:
    db = new_db
    run_ingest(corpus_copy, db, FakeEmbedder())
    again = FakeEmbedder()
    res = run_ingest(corpus_copy, db, again)
    assert res.chunks_embedded == 0 and res.written == 0 and again.calls == 0


@pytest.mark.backends  # SQLite and PostgreSQL
def test_changed_record_reembeds_only_its_changed_sections(corpus_copy: Path, new_db: Path | str) -> None:
    db = new_db
    run_ingest(corpus_copy, db, FakeEmbedder())
    path = corpus_copy / SOLUTION
    path.write_text(path.read_text().replace("No measured results were published",
                                             "No measured results have been published yet"))
    emb = FakeEmbedder()
    res = run_ingest(corpus_copy, db, emb)
    assert res.written == 1 and res.chunks_embedded == 1 and emb.texts_encoded == 1
    rec = catalog.get_record(database.get_engine(db), "test-battery-site")
    assert "have been published yet" in rec.sections[-1].text


@pytest.mark.backends  # SQLite and PostgreSQL
def test_deleted_file_removes_record_chunks_fts_and_embeddings(corpus_copy: Path, new_db: Path | str) -> None:
    db = new_db
    run_ingest(corpus_copy, db, FakeEmbedder())
    before = catalog.stats(database.get_engine(db))
    (corpus_copy / "solutions" / "test-canal-heat.md").unlink()
    res = run_ingest(corpus_copy, db, FakeEmbedder())
    after = catalog.stats(database.get_engine(db))
    assert res.removed == 1 and after["records"]["solution"] == 1
    assert after["chunks"] < before["chunks"] and after["embeddings"] == after["chunks"]
    with database.read_session(database.get_engine(db)) as s:
        assert fts.fts_count(s) == after["chunks"]
    with pytest.raises(catalog.RecordNotFound):
        catalog.get_record(database.get_engine(db), "test-canal-heat")


@pytest.mark.backends  # SQLite and PostgreSQL
def test_changing_the_model_reembeds_everything(corpus_copy: Path, new_db: Path | str) -> None:
    db = new_db
    first = run_ingest(corpus_copy, db, FakeEmbedder(name="fake-a"))
    res = run_ingest(corpus_copy, db, FakeEmbedder(name="fake-b"))
    assert res.chunks_embedded == first.chunks_embedded
    assert catalog.stats(database.get_engine(db))["model"] == "fake-b"


@pytest.mark.backends  # SQLite and PostgreSQL
def test_failure_midway_leaves_the_previous_state(corpus_copy: Path, new_db: Path | str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    db = new_db
    run_ingest(corpus_copy, db, FakeEmbedder())
    before = catalog.stats(database.get_engine(db))
    shown = catalog.get_record(database.get_engine(db), "test-battery-site")
    for p in corpus_copy.rglob("*.md"):
        p.write_text(p.read_text().replace("## Summary\n", "## Summary\nEdited. "))
    real = store.write_record
    calls = {"n": 0}

    def flaky(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk on fire")
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "write_record", flaky)
    with pytest.raises(RuntimeError):
        run_ingest(corpus_copy, db, FakeEmbedder())
    assert catalog.stats(database.get_engine(db)) == before
    assert catalog.get_record(database.get_engine(db), "test-battery-site") == shown


BAD_CASES = {
    "broken_yaml": (lambda t: t.replace("title: Basement", "title: [Basement"), 5, "YAML syntax error"),
    "no_front_matter": (lambda t: t.split("---", 2)[2], 1, "no front matter"),
    "unclosed_front_matter": (lambda t: t.replace("---\n## Summary", "## Summary", 1), 1, "unclosed front matter"),
    "front_matter_list": (lambda t: "---\n- a\n- b\n---\n## Summary\nx\n", 2, "must be a mapping"),
    "empty_file": (lambda t: "", 1, "empty file"),
    "leading_blank_line": (lambda t: "\n" + t, 1, "first line"),
    "unknown_unit": (lambda t: t.replace("| 1 | MW |", "| 1 | megawatt |"), 24, "unknown unit"),
    "non_numeric": (lambda t: t.replace("| 2000 | kWh |", "| two thousand | kWh |"), 25, "not a number"),
    "thousands_separator": (lambda t: t.replace("| 2000 | kWh |", "| 2,000 | kWh |"), 25, "not a number"),
    "negative_capacity": (lambda t: t.replace("| 2000 | kWh |", "| -2000 | kWh |"), 25, "negative"),
    "bad_evidence": (lambda t: t.replace("| installed | S1 |", "| measured-ish | S1 |"), 24, "evidence"),
    "unknown_source": (lambda t: t.replace("| installed | S1 |", "| installed | S9 |"), 24, "not declared"),
    "unknown_cited_source": (lambda t: t.replace("car chargers [S1]", "car chargers [S7]"), 19, "[S7]"),
    "unknown_city": (lambda t: t.replace("city: testville", "city: atlantis"), 5, "unknown city"),
    "unknown_measure_type": (lambda t: t.replace("[test-battery]", "[flux-capacitor]"), 9, "unknown measure type"),
    "bad_barrier_type": (lambda t: t.replace("- type: regulatory", "- type: cosmic"), 28, "unknown type"),
    "bad_id": (lambda t: t.replace("id: test-battery-site", "id: ../etc/passwd"), 2, "id"),
    "script_in_title": (lambda t: t.replace("title: Basement", "title: <script>alert(1)</script>"), 4, "HTML"),
    "missing_status": (lambda t: t.replace("status: operational\n", ""), 1, "status"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_record_is_reported_with_path_line_reason_and_changes_nothing(
        case: str, corpus_copy: Path, tmp_path: Path) -> None:
    db = tmp_path / "kb.sqlite"
    run_ingest(corpus_copy, db, FakeEmbedder())
    before = catalog.stats(database.get_engine(db))
    shown = catalog.get_record(database.get_engine(db), "test-battery-site")
    path = corpus_copy / SOLUTION
    edit, line, reason = BAD_CASES[case]
    path.write_text(edit(path.read_text()), encoding="utf-8")
    res = run_ingest(corpus_copy, db, FakeEmbedder())
    assert res.errors, case
    err = res.errors[0]
    assert err.file == str(path) and err.line == line and reason in err.message, str(err)
    assert catalog.stats(database.get_engine(db)) == before
    assert catalog.get_record(database.get_engine(db), "test-battery-site") == shown


def test_binary_and_invalid_utf8_files_are_refused(corpus_copy: Path, tmp_path: Path) -> None:
    (corpus_copy / "solutions" / "nul.md").write_bytes(b"---\nid: x\n---\n\x00\x01")
    (corpus_copy / "solutions" / "latin1.md").write_bytes("---\nid: caf\xe9\n---\n".encode("latin-1"))
    res = run_ingest(corpus_copy, tmp_path / "kb.sqlite", FakeEmbedder())
    msgs = {Path(e.file).name: (e.line, e.message) for e in res.errors}
    assert msgs["nul.md"][0] == 4 and "NUL" in msgs["nul.md"][1]
    assert msgs["latin1.md"][0] == 2 and "UTF-8" in msgs["latin1.md"][1]
    assert res.records == 6


def test_duplicate_ids_are_refused(corpus_copy: Path, tmp_path: Path) -> None:
    src = corpus_copy / SOLUTION
    shutil.copy(src, corpus_copy / "solutions" / "zz-copy.md")
    res = run_ingest(corpus_copy, tmp_path / "kb.sqlite", FakeEmbedder())
    assert any("duplicate id 'test-battery-site'" in e.message and e.file.endswith("zz-copy.md")
               for e in res.errors)


def test_strict_loads_nothing_when_anything_is_invalid(corpus_copy: Path, tmp_path: Path) -> None:
    (corpus_copy / "solutions" / "bad.md").write_text("no front matter\n")
    db = tmp_path / "kb.sqlite"
    res = run_ingest(corpus_copy, db, FakeEmbedder(), strict=True)
    assert res.errors and sum(counts(db).values()) == 0


def test_referencing_an_invalid_record_cascades(corpus_copy: Path, tmp_path: Path) -> None:
    mt = corpus_copy / "measure-types" / "test-battery.md"
    mt.write_text(mt.read_text().replace("model: battery", "model: perpetual"))
    res = run_ingest(corpus_copy, tmp_path / "kb.sqlite", FakeEmbedder())
    files = {Path(e.file).name for e in res.errors}
    assert {"test-battery.md", "test-battery-site.md", "test-lesson-grid.md"} <= files


def run_cli(*args: str, env_db: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {"KB_MODEL": "fake-hash", "PATH": "/usr/bin:/bin", "HOME": str(ROOT)}
    if env_db:
        env["KB_DB"] = str(env_db)
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


def test_cli_json_summary_and_exit_codes(corpus_copy: Path, tmp_path: Path) -> None:
    db = tmp_path / "cli.sqlite"
    r = run_cli("-m", "ingest", str(corpus_copy), "--db", str(db), "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["records"] == 6 and out["chunks_embedded"] > 0 and out["errors"] == []
    assert "embedded" in r.stderr  # progress on stderr
    r2 = run_cli("-m", "ingest", str(corpus_copy), "--db", str(db), "--json")
    assert json.loads(r2.stdout)["chunks_embedded"] == 0
    path = corpus_copy / SOLUTION
    path.write_text(path.read_text().replace("title: Basement", "title: [Basement"))
    r3 = run_cli("-m", "ingest", str(corpus_copy), "--db", str(db))
    assert r3.returncode == 1 and f"{path}:5: YAML syntax error" in r3.stderr
    stats = json.loads(run_cli("-m", "kb.cli", "stats", "--json", env_db=db).stdout)
    assert stats["records"] == {"solution": 2, "city": 1, "measure_type": 2, "lesson": 1}
    assert stats["schema_version"] >= 1 and stats["model"] == "fake-hash"


def test_cli_show_and_list(fixture_db: Path) -> None:
    shown = json.loads(run_cli("-m", "kb.cli", "show", "test-battery-site", "--json", "--db", str(fixture_db)).stdout)
    numbers = [q for qs in shown["numbers"].values() for q in qs]
    assert numbers and all({"value", "unit", "evidence", "source"} <= q.keys() for q in numbers)
    assert all(q["evidence"] and q["source"] for q in numbers if not q["missing"])
    listed = json.loads(run_cli("-m", "kb.cli", "list", "--kind", "city", "--json", "--db", str(fixture_db)).stdout)
    assert listed == [{"id": "testville", "kind": "city", "title": "Testville", "city": "testville"}]
    missing = run_cli("-m", "kb.cli", "show", "nope", "--db", str(fixture_db))
    assert missing.returncode == 1 and missing.stderr.startswith("error: no record with id 'nope'")
    assert "Traceback" not in missing.stderr
    nodb = run_cli("-m", "kb.cli", "stats", "--db", str(fixture_db.parent / "absent.sqlite"))
    assert nodb.returncode == 1 and "does not exist" in nodb.stderr


# --- hardening additions (issue 9): the rest of the bad-input catalogue ------------------------------------

def test_very_large_file_is_refused_by_size_quickly(corpus_copy: Path, tmp_path: Path) -> None:
    """A 40 MB file is refused from its size alone (stat, no read) in well under a second; nothing changes."""
    import time

    db = tmp_path / "kb.sqlite"
    run_ingest(corpus_copy, db, FakeEmbedder())
    before = catalog.stats(database.get_engine(db))
    big = corpus_copy / "solutions" / "huge.md"
    with big.open("wb") as f:
        f.write(b"---\nid: huge\nkind: solution\ntitle: Huge\n---\n## Summary\n")
        f.truncate(40 * 1024 * 1024)  # sparse: 40 MB on the size, nothing on disk
    t0 = time.perf_counter()
    res = run_ingest(corpus_copy, db, FakeEmbedder())
    assert time.perf_counter() - t0 < 5
    err = next(e for e in res.errors if e.file == str(big))
    assert err.line == 1 and "MB" in err.message and "limit" in err.message, str(err)
    assert catalog.stats(database.get_engine(db)) == before


BINARY_CASES = {
    "png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), 3, "NUL"),
    "gzip": (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + bytes(range(256)), 1, "NUL"),
    "utf16": ("---\nid: x\n---\n".encode("utf-16"), 1, "NUL"),
    "invalid_utf8_in_body": (b"---\nid: x\nkind: solution\n---\n## Summary\ncaf\xe9 \xff\xfe\n", 6, "UTF-8"),
    "nul_in_front_matter": (b"---\nid: x\x00y\n---\n", 2, "NUL"),
}


@pytest.mark.parametrize("case", sorted(BINARY_CASES))
def test_binary_content_is_refused_with_a_line(case: str, corpus_copy: Path, tmp_path: Path) -> None:
    db = tmp_path / "kb.sqlite"
    run_ingest(corpus_copy, db, FakeEmbedder())
    before = catalog.stats(database.get_engine(db))
    data, line, reason = BINARY_CASES[case]
    path = corpus_copy / "solutions" / f"{case}.md"
    path.write_bytes(data)
    res = run_ingest(corpus_copy, db, FakeEmbedder())
    err = next(e for e in res.errors if e.file == str(path))
    assert err.line == line and reason in err.message, str(err)
    assert catalog.stats(database.get_engine(db)) == before


HOSTILE = {
    "script": "<script>alert(1)</script>",
    "img": "<img src=x onerror=alert(1)>",
    "js_link": "javascript:alert(1)",
}
# Front-matter fields of the fixture solution whose value is replaced with a hostile string.
HOSTILE_FIELDS = ("id", "title", "city", "district", "site", "status", "categories", "measure_types",
                  "years", "keywords")


def _set_field(text: str, field: str, value: str) -> str:
    out = []
    for ln in text.split("\n"):
        if ln.startswith(f"{field}:"):
            quoted = value.replace("'", "''")
            ln = f"{field}: ['{quoted}']" if ln.rstrip().endswith("]") else f"{field}: '{quoted}'"
        out.append(ln)
    return "\n".join(out)


@pytest.mark.parametrize("payload", sorted(HOSTILE))
@pytest.mark.parametrize("field", HOSTILE_FIELDS)
def test_markup_in_every_front_matter_field_is_refused(field: str, payload: str, corpus_copy: Path,
                                                       tmp_path: Path) -> None:
    db = tmp_path / "kb.sqlite"
    run_ingest(corpus_copy, db, FakeEmbedder())
    before = catalog.stats(database.get_engine(db))
    shown = catalog.get_record(database.get_engine(db), "test-battery-site")
    path = corpus_copy / SOLUTION
    text = path.read_text(encoding="utf-8")
    path.write_text(_set_field(text, field, HOSTILE[payload]), encoding="utf-8")
    lines = text.split("\n")
    field_line = next(i for i, ln in enumerate(lines, start=1) if ln.startswith(f"{field}:"))
    res = run_ingest(corpus_copy, db, FakeEmbedder())
    mine = [e for e in res.errors if e.file == str(path)]
    assert mine, (field, payload)
    assert all(e.line >= 1 for e in mine) and any(e.line == field_line for e in mine), mine
    assert catalog.stats(database.get_engine(db)) == before
    assert catalog.get_record(database.get_engine(db), "test-battery-site") == shown


@pytest.mark.parametrize(("where", "edit", "reason"), [
    ("source title", lambda t: t.replace("title: Fixture news item", "title: <script>x</script>"), "HTML"),
    ("source url", lambda t: t.replace("url: https://example.org/battery", "url: javascript:alert(1)"),
     "http"),
    ("source id", lambda t: t.replace("  - id: S1", "  - id: ../S1"), "not declared"),
    ("barrier type", lambda t: t.replace("- type: regulatory", "- type: <img src=x onerror=alert(1)>"),
     "unknown type"),
    ("table unit", lambda t: t.replace("| 1 | MW |", "| 1 | <script> |"), "unknown unit"),
    ("table value", lambda t: t.replace("| 1 | MW |", "| 1; DROP TABLE record | MW |"), "not a number"),
    ("table evidence", lambda t: t.replace("| installed | S1 |", "| ' OR 1=1 -- | S1 |"), "evidence"),
    ("table source", lambda t: t.replace("| installed | S1 |", "| installed | ../../etc/passwd |"),
     "not declared"),
    ("city path", lambda t: t.replace("city: testville", "city: ../../etc/passwd"), "unknown city"),
    ("measure type path", lambda t: t.replace("[test-battery]", "['../test-battery']"), "unknown measure type"),
    ("kind", lambda t: t.replace("kind: solution", "kind: \"solution'; DROP TABLE record; --\""), "kind"),
])
def test_hostile_strings_elsewhere_are_refused(where: str, edit, reason: str, corpus_copy: Path,  # type: ignore[no-untyped-def]
                                              tmp_path: Path) -> None:
    db = tmp_path / "kb.sqlite"
    run_ingest(corpus_copy, db, FakeEmbedder())
    before = catalog.stats(database.get_engine(db))
    path = corpus_copy / SOLUTION
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    res = run_ingest(corpus_copy, db, FakeEmbedder())
    mine = [e for e in res.errors if e.file == str(path)]
    assert mine and any(reason in e.message for e in mine), (where, mine)
    assert all(e.line >= 1 for e in mine)
    assert catalog.stats(database.get_engine(db)) == before


@pytest.mark.backends  # SQLite and PostgreSQL
def test_sql_fragments_in_plain_text_are_stored_verbatim_never_executed(corpus_copy: Path, new_db: Path | str) -> None:
    """Plain text that looks like SQL is not markup: it is accepted, stored as typed and harms nothing."""
    db = new_db
    path = corpus_copy / SOLUTION
    sql = "Robert'); DROP TABLE record; -- \" OR 1=1"
    text = path.read_text(encoding="utf-8").replace("title: Basement battery shared by a mixed-use block",
                                                    f"title: '{sql.replace(chr(39), chr(39) * 2)}'")
    text = text.replace("district: Fixture district", "district: ../../etc/passwd")
    path.write_text(text.replace("No measured results", f"{sql} No measured results"), encoding="utf-8")
    res = run_ingest(corpus_copy, db, FakeEmbedder())
    assert res.errors == []
    rec = catalog.get_record(database.get_engine(db), "test-battery-site")
    assert rec.title == sql and sql in rec.sections[-1].text
    assert counts(db) == {"solution": 2, "city": 1, "measure_type": 2, "lesson": 1}
    assert database.integrity_ok(database.get_engine(db))


def test_bom_crlf_and_trailing_whitespace_are_accepted_as_the_same_record(corpus_copy: Path, tmp_path: Path) -> None:
    db_plain, db_odd = tmp_path / "plain.sqlite", tmp_path / "odd.sqlite"
    assert run_ingest(corpus_copy, db_plain, FakeEmbedder()).errors == []
    plain = catalog.get_record(database.get_engine(db_plain), "test-battery-site")
    path = corpus_copy / SOLUTION
    text = path.read_text(encoding="utf-8")
    odd = "\r\n".join(ln + "  \t" if not ln.startswith("|") else ln + " " for ln in text.split("\n"))
    path.write_bytes(b"\xef\xbb\xbf" + odd.encode("utf-8"))
    res = run_ingest(corpus_copy, db_odd, FakeEmbedder())
    assert res.errors == [], [str(e) for e in res.errors]
    got = catalog.get_record(database.get_engine(db_odd), "test-battery-site")
    assert got.title == plain.title and got.city == plain.city
    assert got.numbers == plain.numbers
    assert [s.title for s in got.sections] == [s.title for s in plain.sections]


@pytest.mark.backends  # SQLite and PostgreSQL
def test_display_path_has_its_own_column_and_rows_from_before_m004_read_the_same(fixture_db: Path) -> None:
    """``_display`` no longer rides in the front matter; a row written before migration m004 shows the same path."""
    from sqlalchemy import text

    from kb.store.tables import RecordRow

    engine = database.get_engine(fixture_db)
    shown = catalog.get_record(engine, "test-battery-site")
    assert shown.path.endswith(SOLUTION) and "_display" not in shown.front
    with database.write_session(engine) as s:
        row = s.get(RecordRow, "test-battery-site")
        assert row is not None and row.display_path == shown.path and "_display" not in row.front
        old_front = json.dumps({**json.loads(row.front), "_display": shown.path}, ensure_ascii=False)
        s.exec(text("UPDATE record SET display_path = '', front = :f WHERE id = 'test-battery-site'"),  # type: ignore[call-overload]
               params={"f": old_front})
    assert catalog.get_record(engine, "test-battery-site") == shown
    assert catalog.get_record(engine, "test-battery-site").to_dict() == shown.to_dict()


@pytest.mark.backends  # SQLite and PostgreSQL
def test_bulk_reads_equal_one_by_one_reads(fixture_db: Path) -> None:
    engine = database.get_engine(fixture_db)
    rows = catalog.list_records(engine)
    assert catalog.get_records(engine, [r.id for r in reversed(rows)] + ["nope"]) == \
        [catalog.get_record(engine, r.id) for r in reversed(rows)]
    for kind in ("solution", "city", "measure_type", "lesson"):
        assert catalog.records_of_kind(engine, kind) == [catalog.get_record(engine, r.id) for r in rows
                                                         if r.kind == kind]
