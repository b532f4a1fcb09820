"""Hostile record files (issue 14, items 1 and 2): each is refused with path:line: reason, the rest loads, nothing lost.

The catalogue: YAML nested hundreds deep, alias bombs, section and row floods, oversized front matter, an id taken
over by a file sorting before or after the owner, duplicate keys, an id with a trailing newline, symbolic links out
of the corpus and removed links, NaN and infinity. Every corpus is a copy of ``tests/fixtures/corpus``.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from ingest.loader import IngestResult, run_ingest
from kb.cli.common import print_json
from kb.embeddings import FakeEmbedder
from kb.records.errors import RecordError, RecordInvalid
from kb.records.parse import MAX_DEPTH, MAX_FRONT_MATTER_BYTES, MAX_SECTIONS, MAX_TABLE_ROWS, parse_text
from kb.records.validate import validate_record
from kb.store import catalog, database
from kb.store.readmodel import StoredRecord
from tests.factories import FIXTURE_CORPUS

SOLUTION = "solutions/test-battery-site.md"
ALL = {"solution": 2, "city": 1, "measure_type": 2, "lesson": 1}
FAST = settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])

NEW_RECORD = """---
id: {id}
kind: city
title: {title}
name: {title}
country: PL
sources:
  - {{id: S1, title: A source}}
---
## Summary
{body}
"""


def ingest(root: Path, db: Path) -> IngestResult:
    return run_ingest(root, db, FakeEmbedder())


def counts(db: Path) -> dict[str, int]:
    return dict(catalog.stats(database.get_engine(db))["records"])


def shown(db: Path, record_id: str = "test-battery-site") -> StoredRecord:
    return catalog.get_record(database.get_engine(db), record_id)


def errors_of(res: IngestResult, path: Path) -> list[RecordError]:
    return [e for e in res.errors if e.file == str(path)]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    dst = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, dst)
    return dst


@pytest.fixture
def loaded(corpus: Path, tmp_path: Path) -> Path:
    """The fixture corpus ingested once: the database whose state a hostile file must not change."""
    db = tmp_path / "kb.sqlite"
    assert ingest(corpus, db).errors == []
    return db


def with_front(text_: str, extra: str) -> str:
    """The record with ``extra`` front-matter lines inserted after its id (line 3 onwards)."""
    head, rest = text_.split("\n", 2)[:2], text_.split("\n", 2)[2]
    return "\n".join([*head, extra, rest])


def alias_bomb(levels: int, width: int = 9) -> str:
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(lines)


def nested(depth: int, style: str) -> str:
    if style == "flow":
        return "x: " + "[" * depth + "]" * depth
    if style == "mapping":
        return "x:\n" + "\n".join("  " * (i + 1) + f"k{i}:" for i in range(depth)) + " end"
    return "x:\n" + "\n".join("  " * i + "-" for i in range(depth)) + " end"


# --- the catalogue: a record edited into something hostile is refused and keeps its previous version ------------

HOSTILE = {
    "depth_400_flow": (lambda t: with_front(t, nested(400, "flow")), range(3, 4), "nested more than"),
    "depth_150_lists": (lambda t: with_front(t, nested(150, "list")), range(3 + MAX_DEPTH, 4 + MAX_DEPTH),
                        "nested more than"),  # indented 400 deep would be over the front-matter size limit first
    "depth_150_mappings": (lambda t: with_front(t, nested(150, "mapping")), range(3 + MAX_DEPTH, 4 + MAX_DEPTH),
                           "nested more than"),
    "alias_bomb_3": (lambda t: with_front(t, alias_bomb(3)), range(3, 4), "aliases are not allowed"),
    "alias_bomb_7": (lambda t: with_front(t, alias_bomb(7)), range(3, 4), "aliases are not allowed"),
    "alias_bomb_9": (lambda t: with_front(t, alias_bomb(9)), range(3, 4), "aliases are not allowed"),
    "anchor_alone": (lambda t: with_front(t, "x: &a 1"), range(3, 4), "anchor '&a'"),
    "alias_alone": (lambda t: with_front(t, "x: 1\ny: *x"), range(4, 5), "alias '*x'"),
    "merge_key": (lambda t: with_front(t, "<<: {title: Taken over}"), range(3, 4), "merge key"),
    "section_flood": (lambda t: t + "".join(f"\n## Section {n}\ntext\n" for n in range(10_000)),
                      range(40, 10**6), f"more than {MAX_SECTIONS} '##' sections"),
    "row_flood": (lambda t: t.replace("| battery power | 1 | MW | 2023 | installed | S1 | | |\n",
                                      "| battery power | 1 | MW | 2023 | installed | S1 | | |\n" * 2500),
                  range(24, 24 + 2500), f"more than {MAX_TABLE_ROWS} table rows"),
    "front_matter_size": (lambda t: with_front(t, "notes: " + "x" * (MAX_FRONT_MATTER_BYTES + 1)), range(2, 3),
                          "KB limit"),
    "duplicate_id_key": (lambda t: with_front(t, "id: someone-else"), range(3, 4), "duplicate key 'id'"),
    "duplicate_title_key": (lambda t: t.replace("city: testville", "city: testville\ntitle: Replaced"),
                            range(6, 7), "duplicate key 'title' (first at line 4, again at line 6)"),
    "duplicate_nested_key": (lambda t: t.replace("    title: Fixture news item",
                                                 "    title: Fixture news item\n    title: Other"),
                             range(16, 17), "duplicate key 'title'"),
    "id_trailing_newline": (lambda t: t.replace("id: test-battery-site", 'id: "test-battery-site\\n"'),
                            range(2, 3), "must be lowercase"),
    "nan_front": (lambda t: with_front(t, "share: .nan"), range(3, 4), "not a finite number"),
    "inf_front": (lambda t: with_front(t, "share: .inf"), range(3, 4), "not a finite number"),
    "minus_inf_nested": (lambda t: with_front(t, "shares: [1, {a: -.Inf}]"), range(3, 4), "not a finite number"),
    "tagged_nan": (lambda t: with_front(t, "share: !!float nan"), range(3, 4), "not a finite number"),
    "overflow_to_inf": (lambda t: with_front(t, "share: 1.0e+400"), range(3, 4), "not a finite number"),
    "nan_table": (lambda t: t.replace("| 1 | MW |", "| nan | MW |"), range(24, 25), "not a number"),
    "inf_table": (lambda t: t.replace("| 1 | MW |", "| inf | MW |"), range(24, 25), "not a number"),
    "overflow_table": (lambda t: t.replace("| 1 | MW |", "| 1e400 | MW |"), range(24, 25), "not a number"),
    "bad_date": (lambda t: with_front(t, "opened: 2024-13-45"), range(3, 4), "cannot be read"),
    "huge_int": (lambda t: with_front(t, "n: " + "1" * 5000), range(3, 4), "cannot be read"),
    "python_tag": (lambda t: with_front(t, "x: !!python/object/apply:os.system [ls]"), range(3, 4), "tag"),
    "set_tag": (lambda t: with_front(t, "x: !!set {a, b}"), range(3, 4), "tag"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_edit_is_refused_with_a_line_and_the_previous_version_stays(case: str, corpus: Path, loaded: Path,
                                                                             ) -> None:
    before, record = catalog.stats(database.get_engine(loaded)), shown(loaded)
    path = corpus / SOLUTION
    edit, lines, reason = HOSTILE[case]
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    res = ingest(corpus, loaded)  # no RecursionError, no hang: refused while reading
    mine = errors_of(res, path)
    assert mine and any(reason in e.message for e in mine), [str(e) for e in mine]
    assert all(e.line in lines for e in mine if reason in e.message), [str(e) for e in mine]
    assert str(mine[0]).startswith(f"{path}:{mine[0].line}: ")
    assert catalog.stats(database.get_engine(loaded)) == before
    assert shown(loaded) == record
    assert res.removed == 0 and res.written == 0


@pytest.mark.parametrize("case", ["depth_400_flow", "depth_150_lists", "alias_bomb_9", "section_flood", "nan_front"])
def test_a_hostile_new_file_never_stops_the_others_loading(case: str, corpus: Path, tmp_path: Path) -> None:
    """In a fresh database: the hostile file is refused, every valid record of the corpus loads."""
    edit, _, reason = HOSTILE[case]
    path = corpus / "solutions" / "hostile.md"
    base = NEW_RECORD.format(id="hostile", title="Hostile", body="text")
    path.write_text(edit(base) if case != "section_flood" else base + edit(""), encoding="utf-8")
    db = tmp_path / "fresh.sqlite"
    res = ingest(corpus, db)
    assert [e.file for e in res.errors] == [str(path)] and reason in res.errors[0].message
    assert counts(db) == ALL and res.records == 6


def test_the_bundled_corpus_is_far_below_every_limit() -> None:
    root = Path(__file__).resolve().parents[2] / "solutions"
    for p in root.rglob("*.md"):
        data = p.read_bytes()
        assert len(data) < 100 * 1024
        txt = data.decode("utf-8")
        assert txt.count("\n## ") < MAX_SECTIONS // 10 and txt.count("\n|") < MAX_TABLE_ROWS // 10
        if txt.startswith("---\n"):
            assert len(txt.split("\n---", 1)[0]) < MAX_FRONT_MATTER_BYTES // 4


# --- generated depths and alias sizes: always an answer, never an exception other than RecordInvalid ---------

@FAST
@given(depth=st.integers(1, 600), style=st.sampled_from(["flow", "list", "mapping"]))
def test_any_nesting_depth_parses_or_is_refused_with_a_line(depth: int, style: str) -> None:
    doc = f"---\nid: deep\nkind: city\ntitle: Deep\n{nested(depth, style)}\n---\n## Summary\nx\n"
    total = doc.count("\n") + 1
    try:
        rec, _ = parse_text(doc, "deep.md")
    except RecordInvalid as exc:
        assert depth + 1 > MAX_DEPTH, exc  # the root mapping is the first level
        (err,) = exc.errors
        if "KB limit" in err.message:  # deep indentation grows as the square of the depth: the size limit comes first
            assert err.line == 2 and len(doc.split("\n---")[0].encode()) > MAX_FRONT_MATTER_BYTES
        else:
            assert 5 <= err.line <= total and "nested more than" in err.message
    else:
        assert depth + 1 <= MAX_DEPTH and "x" in rec.front


@FAST
@given(levels=st.integers(1, 12), width=st.integers(1, 12))
def test_any_alias_is_refused_at_its_line(levels: int, width: int) -> None:
    bomb = alias_bomb(levels, width)
    doc = f"---\nid: bomb\nkind: city\ntitle: Bomb\n{bomb}\n---\n## Summary\nx\n"
    with pytest.raises(RecordInvalid) as exc:
        parse_text(doc, "bomb.md")
    (err,) = exc.value.errors
    assert err.line == 5 and "anchor '&l0'" in err.message  # refused at the first anchor, before any expansion
    if levels > 1:  # an alias to nothing is refused too, at its own line
        with pytest.raises(RecordInvalid) as exc:
            parse_text(re.sub(r"&l\d+ ", "", doc), "bomb.md")
        (err,) = exc.value.errors
        assert err.line == 6 and "alias '*l0'" in err.message


# --- identity: a record id belongs to the file that had it -----------------------------------------------------

@pytest.mark.parametrize("where", ["aaa/evil.md", "zzz/evil.md", "solutions/aaa-evil.md", "solutions/zzz-evil.md"])
def test_a_new_file_cannot_take_over_an_existing_id(where: str, corpus: Path, loaded: Path) -> None:
    record = shown(loaded)
    legit = corpus / SOLUTION
    evil = corpus / where
    evil.parent.mkdir(exist_ok=True)
    evil.write_text(legit.read_text(encoding="utf-8").replace("Basement battery", "Attacker battery"),
                    encoding="utf-8")
    res = ingest(corpus, loaded)
    (err,) = res.errors
    assert err.file == str(evil) and err.line == 2 and str(legit) in err.message, str(err)
    assert "duplicate id 'test-battery-site'" in err.message
    assert shown(loaded) == record and shown(loaded).title.startswith("Basement")
    assert counts(loaded) == ALL and res.written == 0 and res.removed == 0
    legit.write_text(legit.read_text(encoding="utf-8").replace("No measured", "Still no measured"), "utf-8")
    res = ingest(corpus, loaded)  # the owner's own edits still load while the claim stands refused
    assert [e.file for e in res.errors] == [str(evil)] and res.written == 1
    assert "Still no measured" in shown(loaded).sections[-1].text


def test_the_owner_keeps_its_id_while_its_own_file_is_invalid(corpus: Path, loaded: Path) -> None:
    record = shown(loaded)
    legit, evil = corpus / SOLUTION, corpus / "aaa" / "evil.md"
    evil.parent.mkdir()
    evil.write_text(legit.read_text(encoding="utf-8").replace("Basement battery", "Attacker battery"), "utf-8")
    legit.write_text(legit.read_text(encoding="utf-8").replace("title: Basement", "title: [Basement"), "utf-8")
    res = ingest(corpus, loaded)
    assert {e.file for e in res.errors} == {str(legit), str(evil)}
    assert shown(loaded) == record


def test_two_new_files_with_one_id_are_both_refused_whatever_their_order(corpus: Path, tmp_path: Path) -> None:
    """With no owner in the database, sorting first wins nothing: both files are refused, each naming the other."""
    a, b = corpus / "aaa" / "one.md", corpus / "zzz" / "two.md"
    for p, title in ((a, "First"), (b, "Second")):
        p.parent.mkdir()
        p.write_text(NEW_RECORD.format(id="twin", title=title, body="text"), encoding="utf-8")
    db = tmp_path / "fresh.sqlite"
    res = ingest(corpus, db)
    by_file = {e.file: e for e in res.errors}
    assert set(by_file) == {str(a), str(b)}
    assert str(b) in by_file[str(a)].message and str(a) in by_file[str(b)].message
    assert counts(db) == ALL
    with pytest.raises(catalog.RecordNotFound):
        shown(db, "twin")
    b.unlink()
    assert ingest(corpus, db).errors == [] and shown(db, "twin").title == "First"


def test_a_file_that_gives_up_an_id_frees_it_and_a_moved_file_keeps_it(corpus: Path, loaded: Path) -> None:
    legit = corpus / SOLUTION
    moved = corpus / "solutions" / "renamed" / "battery.md"
    moved.parent.mkdir()
    legit.rename(moved)
    res = ingest(corpus, loaded)
    assert res.errors == [] and res.removed == 0 and counts(loaded) == ALL
    with database.read_session(database.get_engine(loaded)) as s:
        path = s.execute(text("SELECT path FROM record WHERE id = 'test-battery-site'")).scalar_one()
    assert path == "solutions/renamed/battery.md"  # relative to the corpus folder: no server path stored


def test_paths_are_relative_so_the_database_follows_its_corpus(corpus: Path, loaded: Path, tmp_path: Path) -> None:
    with database.read_session(database.get_engine(loaded)) as s:
        paths = set(s.execute(text("SELECT path FROM record")).scalars())
    assert paths == {str(p.relative_to(corpus).as_posix()) for p in corpus.rglob("*.md")}
    database.dispose_all()
    moved = tmp_path / "elsewhere"
    corpus.rename(moved)
    res = ingest(moved, loaded)
    assert res.errors == [] and res.written == 0 and res.removed == 0
    sub = run_ingest(moved / "solutions", loaded, FakeEmbedder(), corpus_root=moved)
    assert sub.errors == [] and sub.written == 0 and sub.removed == 0 and counts(loaded) == ALL


def test_rows_from_before_relative_paths_are_taken_over_by_their_files(corpus: Path, loaded: Path) -> None:
    engine = database.get_engine(loaded)
    with database.write_session(engine) as s:
        s.execute(text("UPDATE record SET path = :root || '/' || path"), params={"root": str(corpus.resolve())})
    res = ingest(corpus, loaded)
    assert res.errors == [] and res.removed == 0 and res.chunks_embedded == 0 and counts(loaded) == ALL


# --- symbolic links -----------------------------------------------------------------------------------------------

def test_a_file_linked_from_outside_the_corpus_is_refused(corpus: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "evil.md").write_text(NEW_RECORD.format(id="evil", title="Evil", body="x"), encoding="utf-8")
    link = corpus / "solutions" / "evil.md"
    link.symlink_to(outside / "evil.md")
    folder = corpus / "linked"
    folder.symlink_to(outside, target_is_directory=True)
    db = tmp_path / "kb.sqlite"
    res = ingest(corpus, db)
    msgs = {e.file: str(e) for e in res.errors}
    assert set(msgs) == {str(link), str(folder)}
    assert msgs[str(link)] == f"{link}: file is a symbolic link that leads outside the corpus folder; records " \
                              "must live inside it"
    assert msgs[str(folder)].startswith(f"{folder}: folder is a symbolic link that leads outside")
    assert counts(db) == ALL


def test_a_removed_link_removes_its_record(corpus: Path, tmp_path: Path) -> None:
    store_dir = corpus / "store"
    store_dir.mkdir()
    (store_dir / "linked.txt").write_text(NEW_RECORD.format(id="linked", title="Linked", body="x"), "utf-8")
    link = corpus / "cities" / "linked.md"
    link.symlink_to(Path("..") / "store" / "linked.txt")  # inside the corpus: allowed, stored where the link is
    db = tmp_path / "kb.sqlite"
    assert ingest(corpus, db).errors == [] and shown(db, "linked").title == "Linked"
    link.unlink()
    res = ingest(corpus, db)
    assert res.errors == [] and res.removed == 1 and counts(db) == ALL
    with pytest.raises(catalog.RecordNotFound):
        shown(db, "linked")


def test_a_record_loaded_from_outside_before_is_removed_once_its_link_is_gone(corpus: Path, loaded: Path,
                                                                              tmp_path: Path) -> None:
    """Issue 14: a database written before links were refused holds the resolved path outside the corpus, and the
    file there still exists; once the link is gone the record goes too."""
    outside = tmp_path / "outside" / "linked.md"
    outside.parent.mkdir()
    outside.write_text(NEW_RECORD.format(id="linked", title="Linked", body="x"), "utf-8")
    link = corpus / "cities" / "linked.md"
    link.symlink_to(outside)
    assert [e.line for e in errors_of(ingest(corpus, loaded), link)] == [0]  # refused by this version
    link.unlink()
    shutil.copy(outside, link)
    assert ingest(corpus, loaded).errors == []
    with database.write_session(database.get_engine(loaded)) as s:  # the row as the old version wrote it
        s.execute(text("UPDATE record SET path = :p WHERE id = 'linked'"), params={"p": str(outside.resolve())})
    link.unlink()
    res = ingest(corpus, loaded)
    assert res.errors == [] and res.removed == 1 and counts(loaded) == ALL
    assert outside.exists()


# --- strict JSON out ----------------------------------------------------------------------------------------------

def _no_constants(name: str) -> None:
    raise AssertionError(f"non-standard JSON constant {name}")


def test_json_out_is_strict(capsys: pytest.CaptureFixture[str], loaded: Path) -> None:
    print_json({"payback": float("inf"), "x": [float("nan"), 1.5, {"y": float("-inf")}], "ok": "ü"})
    out = capsys.readouterr().out
    assert json.loads(out, parse_constant=_no_constants) == {"payback": None, "x": [None, 1.5, {"y": None}],
                                                             "ok": "ü"}
    from kb.cli import main as kb_main

    assert kb_main(["show", "test-battery-site", "--json", "--db", str(loaded)]) == 0
    shown_json = json.loads(capsys.readouterr().out, parse_constant=_no_constants)
    assert shown_json["id"] == "test-battery-site"


@pytest.mark.parametrize("field", ["model", "kind", "status", "scope", "role", "phase", "barrier_type", "outcome"])
@pytest.mark.parametrize("value", ["[]", "{a: 1}", "[x, y]"])
def test_a_list_or_mapping_where_a_word_belongs_is_an_error_not_a_crash(field: str, value: str) -> None:
    # Found by the fuzzer in CI: `model: []` in a measure type raised TypeError (unhashable) in validation.
    kinds = {"model": "measure_type", "role": "city", "phase": "lesson", "barrier_type": "lesson",
             "outcome": "lesson"}
    doc = ("---\nid: fuzz-a\n" + ("" if field == "kind" else f"kind: {kinds.get(field, 'solution')}\n")
           + "title: T\ncity: testville\nname: T\ncountry: PL\ncategories: [storage]\nmeasure_types: []\n"
           + "solutions: [x]\nsources: []\n"
           + ("" if field in ("kind", "status") else "status: concept\n")
           + f"{field}: {value}\n---\n## Summary\nText.\n")
    rec, errors = parse_text(doc, "solutions/fuzzed.md")
    errors += validate_record(rec)
    assert all(isinstance(e, RecordError) and e.file == "solutions/fuzzed.md" and e.line for e in errors)
    if field != "kind":
        assert any(field in e.message or "unknown" in e.message for e in errors)
