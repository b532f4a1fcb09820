"""One lesson, one place: bundled lesson files become lesson rows; edit → export → ingest; file/app conflicts."""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from ingest.loader import run_ingest
from kb.accounts import ANONYMOUS, Actor
from kb.cli import main as kb_main
from kb.embeddings import FakeEmbedder
from kb.lessons import files as lesson_files
from kb.lessons import service as lessons
from kb.lessons.format import to_markdown
from kb.records.model import Record
from kb.records.parse import parse_file, parse_text
from kb.search.engine import SearchEngine
from kb.store import catalog, database
from kb.store.tables import LessonRow, RecordRow
from kb.views.record import lessons_for
from tests.pg import Cluster

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = sorted((ROOT / "solutions" / "lessons").glob("*.md"))
STAFF = Actor("ann", "staff")
LESSON = "lesson-ehub-lower-uptake"
pytestmark = pytest.mark.backends  # the tests on a copy of the bundled database: SQLite and PostgreSQL
FILE = f"lessons/{LESSON}.md"


@pytest.fixture(scope="module")
def bundled_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled corpus ingested once (fake embedder); tests copy it."""
    db = tmp_path_factory.mktemp("bundled") / "kb.sqlite"
    result = run_ingest(ROOT / "solutions", db, FakeEmbedder())
    assert not result.errors and not result.conflicts, result.errors
    database.dispose_all()
    return db


@pytest.fixture(scope="module")
def bundled_pg(pg_cluster: Cluster) -> str:
    """The same on PostgreSQL: a database the tests copy (CREATE DATABASE … TEMPLATE)."""
    url = pg_cluster.new_database()
    result = run_ingest(ROOT / "solutions", url, FakeEmbedder())
    assert not result.errors and not result.conflicts, result.errors
    database.dispose_all()
    return url


@pytest.fixture
def corpus(tmp_path: Path, backend: str, request: pytest.FixtureRequest,
           monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path | str]:
    """A writable copy of the bundled corpus (the configured corpus folder) and of its database (a file, or a
    PostgreSQL database)."""
    folder = tmp_path / "solutions"
    shutil.copytree(ROOT / "solutions", folder)
    db: Path | str
    if backend == "pg":
        database.dispose_all()
        db = request.getfixturevalue("pg_cluster").copy_database(request.getfixturevalue("bundled_pg"))
    else:
        db = tmp_path / "kb.sqlite"
        shutil.copy(request.getfixturevalue("bundled_db"), db)
    monkeypatch.setenv("KB_SOLUTIONS_DIR", str(folder))
    monkeypatch.setenv("KB_DB", str(db))
    monkeypatch.setenv("KB_MODEL", "fake")
    return folder, db


def ingest(folder: Path, db: Path, prefer: str | None = None):  # type: ignore[no-untyped-def]
    return run_ingest(folder, db, FakeEmbedder(), prefer=prefer)


def meaning(rec: Record) -> dict[str, Any]:
    """What a lesson record says: everything the parser reads except line numbers and the workflow timestamps (the
    sources as the parser reads them: ``year: 2021`` and ``year: "2021"`` say the same)."""
    front = {k: v for k, v in rec.front.items() if k not in ("created", "updated", "sources")}
    qs = [{k: v for k, v in asdict(q).items() if k != "line"} for q in rec.quantities]
    return {"id": rec.id, "kind": rec.kind, "title": rec.title, "front": front,
            "sections": [(s.title, s.text) for s in rec.sections], "quantities": qs,
            "sources": rec.sources, "barriers": rec.barriers}


# --- a fresh ingest: the 17 bundled lessons, once each -----------------------------------------------------------

def test_fresh_ingest_lists_the_17_bundled_lessons_once_each(corpus: tuple[Path, Path], capsys) -> None:  # type: ignore[no-untyped-def]
    folder, db = corpus
    assert len(BUNDLED) == 17
    assert kb_main(["lessons", "list", "--json", "--db", str(db)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert sorted(r["id"] for r in rows) == sorted(p.stem for p in BUNDLED)
    assert {r["file"] for r in rows} == {f"lessons/{p.name}" for p in BUNDLED}
    assert all(r["status"] == "published" for r in rows)
    engine = database.get_engine(db)
    assert len(lessons.list_lessons(engine, ANONYMOUS)) == 17, "visitors see them: they are published"
    with database.read_session(engine) as s:
        recs = list(s.exec(select(RecordRow).where(RecordRow.kind == "lesson")))
    assert sorted(r.id for r in recs) == sorted(p.stem for p in BUNDLED) and {r.origin for r in recs} == {"lesson"}
    sol = catalog.get_record(engine, "ams-ehub-papaverweg")
    assert [x.id for x in lessons_for(engine, sol)].count(LESSON) == 1
    hits = SearchEngine(engine, FakeEmbedder()).search("deelauto mobiliteitshub", limit=50).hits
    assert [h.id for h in hits].count(LESSON) == 1, "the keywords of the file are searched"
    again = ingest(folder, db)
    assert (again.written, again.lessons["created"], again.lessons["updated"]) == (0, 0, 0), "nothing changed"


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_every_bundled_lesson_round_trips_through_its_row(bundled_db: Path, path: Path) -> None:
    """The row keeps what the file holds (keywords, the quantity table with its evidence levels): to_markdown of the
    unedited lesson parses to the same record content as the file."""
    original, errs = parse_file(path)
    assert errs == []
    les = lessons.get_lesson(database.get_engine(bundled_db), original.id)
    assert les.file_path == f"lessons/{path.name}" and les.extra_front.get("keywords") == original.front["keywords"]
    back, errs = parse_text(to_markdown(les), path.name)
    assert errs == []
    assert meaning(back) == meaning(original)
    indexed = catalog.get_record(database.get_engine(bundled_db), original.id)
    assert [q.evidence for q in indexed.all_numbers()] == [q.evidence for q in original.quantities]


def test_extra_sections_and_front_matter_are_kept(corpus: tuple[Path, Path]) -> None:
    folder, db = corpus
    path = folder / FILE
    text = path.read_text(encoding="utf-8").replace("keywords:", "review_note: checked in 2025\nkeywords:")
    path.write_text(text + "\n## Further reading\nThe eHUBS final report [S3].\n", encoding="utf-8")
    result = ingest(folder, db)
    assert not result.errors and result.lessons["updated"] == 1
    les = lessons.get_lesson(database.get_engine(db), LESSON)
    assert les.extra_front["review_note"] == "checked in 2025"
    assert les.extra_sections == [{"title": "Further reading", "text": "The eHUBS final report [S3]."}]
    original, _ = parse_file(path)
    back, _ = parse_text(to_markdown(les), "x.md")
    assert meaning(back) == meaning(original)


# --- edit in the app → export → ingest: one lesson, the edited text, one audit trail ------------------------------

def test_edit_bundled_lesson_export_and_ingest_again(corpus: tuple[Path, Path], capsys) -> None:  # type: ignore[no-untyped-def]
    folder, db = corpus
    engine = database.get_engine(db)
    before = (folder / FILE).read_text(encoding="utf-8")
    les = lessons.get_lesson(engine, LESSON)
    edited = "Hub staff: the hub was used less than surveys predicted; residents kept their cars [S1]."
    les = lessons.update_lesson(engine, STAFF, LESSON, {"version": les.version, "summary": edited}, FakeEmbedder())
    assert lessons.get_lesson(engine, LESSON).extra_front["keywords"], "an edit keeps the keywords"
    assert lesson_files.file_state(engine, LESSON)["unexported"]
    again = ingest(folder, db)  # the file is unchanged: not a conflict, the app edit stays
    assert again.conflicts == [] and lessons.get_lesson(engine, LESSON).summary == edited

    assert kb_main(["lessons", "export", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert f"written: {FILE}" in out and "exported 1 lessons" in out and "16 unchanged" in out
    written = (folder / FILE).read_text(encoding="utf-8")
    assert written != before and edited in written and "deelauto" in written and "| installed | S2 |" in written
    assert sorted(p.name for p in (folder / "lessons").iterdir()) == sorted(p.name for p in BUNDLED)
    state = lesson_files.file_state(engine, LESSON)
    assert not state["unexported"] and state["exported_hash"] == state["file_hash"] != ""

    result = ingest(folder, db)
    assert not result.errors and result.conflicts == [] and result.lessons["updated"] == 0
    found = [x for x in lessons.list_lessons(engine, ANONYMOUS) if x.id == LESSON]
    assert len(found) == 1 and found[0].summary == edited and found[0].version == les.version
    with database.read_session(engine) as s:
        assert len(list(s.exec(select(RecordRow).where(col(RecordRow.id) == LESSON)))) == 1
    assert edited in catalog.get_record(engine, LESSON).sections[0].text
    log = lessons.history(engine, STAFF, LESSON)
    assert [(e["action"], e["actor"]) for e in log] == [("ingest", "files"), ("update", "ann"),
                                                         ("export", "cli:" + log[2]["actor"].split(":", 1)[1])]


# --- a file changed while the app edit is unexported: reported, nothing lost, the operator chooses ----------------

def _conflict(folder: Path, db: Path) -> tuple[str, str]:
    engine = database.get_engine(db)
    les = lessons.get_lesson(engine, LESSON)
    app_text = "The app's summary, written by hub staff [S1]."
    lessons.update_lesson(engine, STAFF, LESSON, {"version": les.version, "summary": app_text}, FakeEmbedder())
    file_text = "The file's summary, changed in git [S1]."
    path = folder / FILE
    text = path.read_text(encoding="utf-8")
    start = text.index("## Summary\n") + len("## Summary\n")
    path.write_text(text[:start] + file_text + "\n" + text[text.index("\n\n## What happened"):], encoding="utf-8")
    return app_text, file_text


def test_conflict_is_reported_and_neither_text_is_lost(corpus: tuple[Path, Path], capsys) -> None:  # type: ignore[no-untyped-def]
    folder, db = corpus
    app_text, file_text = _conflict(folder, db)
    engine = database.get_engine(db)
    version = lessons.get_lesson(engine, LESSON).version
    result = ingest(folder, db)
    assert [c.id for c in result.unresolved] == [LESSON] and "--prefer files or --prefer app" in str(
        result.conflicts[0])
    assert lessons.get_lesson(engine, LESSON).summary == app_text and lessons.get_lesson(engine, LESSON).version == \
        version, "the app version stays live, the database unchanged for it"
    assert file_text in (folder / FILE).read_text(encoding="utf-8"), "the file's text stays on disk"
    assert kb_main(["ingest", "--db", str(db), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert f"conflict: {folder / FILE}: lesson '{LESSON}'" in err
    assert kb_main(["lessons", "export", "--db", str(db)]) == 1, "export never overwrites the changed file"
    assert "refused: " + FILE in capsys.readouterr().err and file_text in (folder / FILE).read_text(encoding="utf-8")


def test_prefer_files_takes_the_file_and_keeps_the_app_text_in_the_audit_log(corpus: tuple[Path, Path]) -> None:
    folder, db = corpus
    app_text, file_text = _conflict(folder, db)
    engine = database.get_engine(db)
    result = ingest(folder, db, prefer="files")
    assert [(c.id, c.resolved) for c in result.conflicts] == [(LESSON, "files")] and not result.unresolved
    les = lessons.get_lesson(engine, LESSON)
    assert les.summary == file_text and file_text in catalog.get_record(engine, LESSON).sections[0].text
    last = lessons.history(engine, STAFF, LESSON)[-1]
    assert (last["action"], last["actor"]) == ("ingest", "files")
    assert last["before"]["summary"] == app_text and last["after"]["summary"] == file_text
    assert not lesson_files.file_state(engine, LESSON)["unexported"]
    assert ingest(folder, db).conflicts == []


def test_prefer_app_keeps_the_app_version_then_export_writes_it(corpus: tuple[Path, Path], capsys) -> None:  # type: ignore[no-untyped-def]
    folder, db = corpus
    app_text, file_text = _conflict(folder, db)
    engine = database.get_engine(db)
    assert kb_main(["ingest", "--db", str(db), "--quiet", "--prefer", "app"]) == 0
    assert "the app version was kept (--prefer app)" in capsys.readouterr().err
    assert lessons.get_lesson(engine, LESSON).summary == app_text
    assert file_text in (folder / FILE).read_text(encoding="utf-8"), "the file is left as it is"
    last = lessons.history(engine, STAFF, LESSON)[-1]
    assert last["action"] == "ingest-kept-app" and last["before"]["summary"] == file_text
    assert ingest(folder, db).conflicts == [], "decided: the next ingest does not ask again"
    assert kb_main(["lessons", "export", "--db", str(db)]) == 0
    assert app_text in (folder / FILE).read_text(encoding="utf-8")
    assert ingest(folder, db).conflicts == [] and lessons.get_lesson(engine, LESSON).summary == app_text


def test_changed_file_without_app_edit_is_ingested(corpus: tuple[Path, Path]) -> None:
    folder, db = corpus
    path = folder / FILE
    path.write_text(path.read_text(encoding="utf-8").replace("Partly. The hub kept running", "Partly. It ran"),
                    encoding="utf-8")
    result = ingest(folder, db)
    assert result.conflicts == [] and result.lessons["updated"] == 1
    les = lessons.get_lesson(database.get_engine(db), LESSON)
    assert les.outcome_note.startswith("Partly. It ran") and les.version == 2


def test_removed_file_archives_the_lesson_and_an_unexported_edit_is_a_conflict(corpus: tuple[Path, Path]) -> None:
    folder, db = corpus
    engine = database.get_engine(db)
    (folder / FILE).unlink()
    other = "lesson-republica-completed-late"
    les = lessons.get_lesson(engine, other)
    lessons.update_lesson(engine, STAFF, other, {"version": les.version, "title": "Republica was late"},
                          FakeEmbedder())
    (folder / f"lessons/{other}.md").unlink()
    result = ingest(folder, db)
    assert [(c.id, c.removed) for c in result.unresolved] == [(other, True)]
    assert lessons.get_lesson(engine, LESSON, STAFF).status == "archived", "archived, not deleted"
    assert LESSON not in [x.id for x in lessons.list_lessons(engine, ANONYMOUS)]
    with pytest.raises(catalog.RecordNotFound):
        catalog.get_record(engine, LESSON)
    assert lessons.get_lesson(engine, other).title == "Republica was late"
    assert kb_main(["lessons", "export", "--db", str(db)]) == 0
    assert not (folder / FILE).exists(), "an archived lesson whose file was removed is not written back"
    assert (folder / f"lessons/{other}.md").exists(), "the unexported app edit is"
    assert ingest(folder, db).conflicts == []


def test_lesson_imported_before_files_became_lessons_is_no_conflict(tmp_path: Path, bundled_db: Path) -> None:
    """An older database: a bundled lesson brought in with 'kb lessons import' (no file, no keywords on the row)."""
    db = tmp_path / "old.sqlite"
    shutil.copy(bundled_db, db)
    engine = database.get_engine(db)
    with database.write_session(engine) as s:
        row = s.get(LessonRow, LESSON)
        assert row is not None
        row.file_path, row.file_hash, row.file_version, row.extra_front, row.version = "", "", 0, "{}", 3
        s.add(row)
    result = ingest(ROOT / "solutions", db)
    assert result.conflicts == [] and result.lessons["updated"] == 1
    les = lessons.get_lesson(engine, LESSON)
    assert les.file_path == FILE and les.extra_front["keywords"] and les.version == 4


def test_app_lesson_exported_then_ingested_into_a_fresh_database_keeps_its_times(
        corpus: tuple[Path, Path], tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from tests.factories import lesson_data

    folder, db = corpus
    engine = database.get_engine(db)
    data = lesson_data(city="amsterdam", solutions=["ams-ehub-papaverweg"], measure_types=[], sources=[],
                       what_happened="Residents were asked twice.", status="published")
    les = lessons.create_lesson(engine, Actor.system("tests"), data, FakeEmbedder())  # published without review
    then = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    with database.write_session(engine) as s:
        row = s.get(LessonRow, les.id)
        assert row is not None
        row.created_at = row.updated_at = then
        s.add(row)
    assert lesson_files.export_lessons(engine, Actor.system("tests"), folder).written == [f"lessons/{les.id}.md"]
    assert lesson_files.file_state(engine, les.id)["file_path"] == f"lessons/{les.id}.md"
    fresh = tmp_path / "fresh.sqlite"
    assert not ingest(folder, fresh).errors
    back = lessons.get_lesson(database.get_engine(fresh), les.id)
    assert (back.created_at, back.updated_at) == (then, then) and back.what_happened == les.what_happened
    assert ingest(folder, db).conflicts == [], "the exported file is the lesson's own: no conflict"


def test_a_brief_shows_an_edited_bundled_lesson_once_with_its_edit(corpus: tuple[Path, Path]) -> None:
    from kb.briefs.build import BriefRequest, build_brief
    from kb.briefs.render import to_markdown as brief_markdown

    _, db = corpus
    engine = database.get_engine(db)
    lid = "lesson-republica-completed-late"
    les = lessons.get_lesson(engine, lid)
    title = "Republica finished more than a year late, edited by hub staff"
    lessons.update_lesson(engine, STAFF, lid, {"version": les.version, "title": title}, FakeEmbedder())
    md = brief_markdown(build_brief(engine, BriefRequest(["ams-republica-pv"], "krakow",
                                                         scales={"ams-republica-pv": 400}, date="2026-12-01")))
    assert md.count(f"**{title}**") == 1 and les.title not in md
