"""Lessons: roles enforced in the service, validation messages, workflow, audit log, stale edits, search, export."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from ingest.loader import run_ingest
from kb import accounts
from kb.accounts import ANONYMOUS, Actor, PermissionDenied
from kb.cli import main as kb_main
from kb.embeddings import FakeEmbedder
from kb.lessons import service as lessons
from kb.lessons.format import input_from_record, to_markdown, to_record
from kb.records.parse import parse_file, parse_text
from kb.search.engine import SearchEngine
from kb.store import catalog, database
from kb.store.tables import LessonAuditRow, LinkRow
from tests.factories import PAYLOADS, lesson_data

pytestmark = pytest.mark.backends  # each test runs on SQLite and on PostgreSQL

FIXTURE_LESSON = "test-lesson-grid"  # the fixture corpus's lesson file, a lesson row after ingest
STAFF = Actor("ann", "staff")
ADMIN = Actor.system("root")  # the operator publishes directly; review by people: test_lessons_review.py
VIEWER = Actor("vic", "viewer")


@pytest.fixture
def engine(fixture_db: Path):  # type: ignore[no-untyped-def]
    return database.get_engine(fixture_db)


# --- roles --------------------------------------------------------------------------------------------------

def test_viewer_and_anonymous_cannot_write_even_calling_the_service(engine, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    draft = lessons.create_lesson(engine, STAFF, lesson_data())
    for actor in (VIEWER, ANONYMOUS):
        with pytest.raises(PermissionDenied, match="needs the role 'staff'"):
            lessons.create_lesson(engine, actor, lesson_data())
        with pytest.raises(PermissionDenied):
            lessons.update_lesson(engine, actor, draft.id, {"version": 1, "title": "Hijacked"})
        with pytest.raises(PermissionDenied):
            lessons.publish_lesson(engine, actor, draft.id, 1, fake_embedder)
        with pytest.raises(PermissionDenied):
            lessons.archive_lesson(engine, actor, draft.id, 1)
        with pytest.raises(PermissionDenied):
            lessons.history(engine, actor, draft.id)
    assert lessons.get_lesson(engine, draft.id, STAFF).version == 1
    assert len(lessons.history(engine, STAFF, draft.id)) == 1


def test_drafts_are_hidden_from_visitors_and_viewers(engine, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    draft = lessons.create_lesson(engine, STAFF, lesson_data())
    pub = lessons.create_lesson(engine, STAFF, lesson_data(title="Published one"))
    lessons.publish_lesson(engine, ADMIN, pub.id, 1, fake_embedder)
    for actor in (ANONYMOUS, VIEWER):
        assert [x.id for x in lessons.list_lessons(engine, actor)] == [pub.id, FIXTURE_LESSON]
        with pytest.raises(lessons.LessonNotFound):
            lessons.get_lesson(engine, draft.id, actor)
    assert {x.id for x in lessons.list_lessons(engine, STAFF)} == {draft.id, pub.id, FIXTURE_LESSON}
    assert [x.id for x in lessons.list_lessons(engine, STAFF, status="draft")] == [draft.id]


# --- validation ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("over", "message"), [
    ({"solutions": ["no-such-solution"]}, "unknown solution 'no-such-solution'"),
    ({"solutions": ["testville"]}, "unknown solution 'testville'"),
    ({"solutions": []}, "link at least one solution"),
    ({"city": "atlantis"}, "unknown city 'atlantis'"),
    ({"measure_types": ["warp-drive"]}, "unknown measure type 'warp-drive'"),
    ({"title": "   "}, "Title: must not be empty"),
    ({"summary": ""}, "Summary: must not be empty"),
    ({"what_happened": "x" * 20_001}, "What happened: is 20001 characters long; at most 20000"),
    ({"title": "t" * 201}, "Title: is 201 characters long"),
    ({"title": "two\nlines"}, "single line"),
    ({"title": "<b>bold</b>"}, "plain text"),
    ({"phase": "dreaming"}, "Phase: 'dreaming' is not one of planning"),
    ({"outcome": "great"}, "Outcome: 'great' is not one of worked, partly, failed"),
    ({"applies_when": "text\n\n## New section"}, "headings of level 1 or 2"),
    ({"summary": "Setext\n---"}, "headings of level 1 or 2"),
    ({"what_happened": "as reported [S2]"}, "cites [S2] but no source"),
    ({"sources": [{"id": "S1", "title": "a", "url": "javascript:alert(1)"}]}, "http:// or https://"),
])
def test_invalid_input_has_clear_messages(engine, over: dict[str, Any], message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(lessons.LessonInvalid) as exc:
        lessons.create_lesson(engine, STAFF, lesson_data(**over))
    assert message in str(exc.value)
    assert [x.id for x in lessons.list_lessons(engine, STAFF)] == [FIXTURE_LESSON]


def test_missing_fields_are_listed(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(lessons.LessonInvalid) as exc:
        lessons.create_lesson(engine, STAFF, {"title": "Only a title"})
    fields = {f for f, _ in exc.value.problems}
    assert {"city", "solutions", "phase", "barrier_type", "summary", "outcome"} <= fields


def test_input_classes_are_not_tables() -> None:
    assert not getattr(lessons.LessonCreate, "__table__", None)
    assert not getattr(lessons.LessonUpdate, "__table__", None)


# --- workflow, audit, stale edits ---------------------------------------------------------------------------

def test_audit_log_records_every_change_with_before_and_after(engine, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    les = lessons.create_lesson(engine, STAFF, lesson_data())
    les = lessons.update_lesson(engine, STAFF, les.id, {"version": 1, "title": "Ask the operator first"})
    same = lessons.update_lesson(engine, STAFF, les.id, {"version": 2, "title": "Ask the operator first"})
    assert same.version == 2, "saving without changes is not a new version"
    les = lessons.publish_lesson(engine, ADMIN, les.id, 2, fake_embedder)
    les = lessons.archive_lesson(engine, STAFF, les.id, 3)
    les = lessons.restore_lesson(engine, STAFF, les.id, 4)
    log = lessons.history(engine, STAFF, les.id)
    assert [(e["action"], e["version"], e["actor"], e["role"]) for e in log] == [
        ("create", 1, "ann", "staff"), ("update", 2, "ann", "staff"), ("publish", 3, "root", "admin"),
        ("archive", 4, "ann", "staff"), ("restore", 5, "ann", "staff")]
    assert log[0]["before"] is None and log[0]["after"]["title"] == "Ask the grid operator before the design freeze"
    assert log[1]["before"]["title"] == "Ask the grid operator before the design freeze"
    assert log[1]["after"]["title"] == "Ask the operator first" and log[1]["changed"] == ["title"]
    assert (log[2]["before"]["status"], log[2]["after"]["status"]) == ("draft", "published")
    assert log[3]["changed"] == ["status"] and log[3]["after"]["status"] == "archived"
    assert all(e["at"].tzinfo is not None for e in log)
    with database.read_session(engine) as s:
        rows = list(s.exec(select(LessonAuditRow).where(LessonAuditRow.lesson_id == les.id)))
    assert len(rows) == 5 and all(json.loads(r.after or "{}")["id"] == les.id for r in rows)


def test_stale_form_is_refused_never_overwrites(engine) -> None:  # type: ignore[no-untyped-def]
    les = lessons.create_lesson(engine, STAFF, lesson_data())
    lessons.update_lesson(engine, Actor("bea", "staff"), les.id, {"version": 1, "summary": "Bea's summary."})
    with pytest.raises(lessons.StaleEdit) as exc:
        lessons.update_lesson(engine, STAFF, les.id, {"version": 1, "summary": "Ann's summary."})
    assert "changed by bea" in str(exc.value) and "reload" in str(exc.value).lower()
    assert exc.value.current.version == 2
    assert lessons.get_lesson(engine, les.id, STAFF).summary == "Bea's summary."
    with pytest.raises(lessons.StaleEdit):
        lessons.archive_lesson(engine, STAFF, les.id, 1)
    assert [e["action"] for e in lessons.history(engine, STAFF, les.id)] == ["create", "update"]


def test_simultaneous_saves_of_one_version_exactly_one_wins(new_db: Path | str, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    db = new_db
    assert not run_ingest(Path(__file__).parents[1] / "fixtures" / "corpus", db, fake_embedder).errors
    engine = database.get_engine(db)
    les = lessons.create_lesson(engine, STAFF, lesson_data())
    barrier = threading.Barrier(8)
    outcome: list[str] = []

    def save(n: int) -> None:
        barrier.wait()
        try:
            lessons.update_lesson(engine, Actor(f"s{n}", "staff"), les.id, {"version": 1, "summary": f"By {n}."})
            outcome.append("saved")
        except lessons.StaleEdit:
            outcome.append("stale")

    threads = [threading.Thread(target=save, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcome) == ["saved"] + ["stale"] * 7
    assert lessons.get_lesson(engine, les.id, STAFF).version == 2
    assert len(lessons.history(engine, STAFF, les.id)) == 2


def test_archived_lessons_cannot_be_edited(engine) -> None:  # type: ignore[no-untyped-def]
    les = lessons.create_lesson(engine, STAFF, lesson_data())
    lessons.archive_lesson(engine, STAFF, les.id, 1)
    with pytest.raises(lessons.LessonStateError, match="restore it"):
        lessons.update_lesson(engine, STAFF, les.id, {"version": 2, "title": "New"})
    with pytest.raises(lessons.LessonStateError):
        lessons.publish_lesson(engine, STAFF, les.id, 2, FakeEmbedder())


def test_ids_are_unique_slugs(engine) -> None:  # type: ignore[no-untyped-def]
    a = lessons.create_lesson(engine, STAFF, lesson_data(title="Kraków: heat pumps!"))
    b = lessons.create_lesson(engine, STAFF, lesson_data(title="Krakow heat pumps"))
    assert (a.id, b.id) == ("lesson-krakow-heat-pumps", "lesson-krakow-heat-pumps-2")
    with pytest.raises(lessons.LessonInvalid, match="already used"):
        lessons.create_lesson(engine, STAFF, lesson_data(id="test-battery-site"))
    assert lessons.create_lesson(engine, STAFF, lesson_data()).author == "ann"


# --- search index ---------------------------------------------------------------------------------------------

def test_publish_makes_it_searchable_and_archive_removes_it(engine, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    data = lesson_data(title="Seawater heat exchanger fouled by mussels",
                       summary="Mussels clogged the seawater intake within a summer.")
    les = lessons.create_lesson(engine, STAFF, data)
    search = SearchEngine(engine, fake_embedder)
    assert les.id not in [h.id for h in search.search("mussels seawater intake").hits], "drafts are not searchable"
    les = lessons.publish_lesson(engine, ADMIN, les.id, 1, fake_embedder)
    hits = search.search("mussels clogged the seawater intake").hits
    assert hits and hits[0].id == les.id and hits[0].kind == "lesson"
    rec = catalog.get_record(engine, les.id)
    assert rec.kind == "lesson" and rec.front["status"] == "published"
    with database.read_session(engine) as s:
        links = {(x.target_id, x.relation) for x in s.exec(select(LinkRow).where(LinkRow.record_id == les.id))}
    assert ("test-battery-site", "solution") in links and ("testville", "city") in links
    les = lessons.update_lesson(engine, STAFF, les.id, {"version": 2, "title": "Mussels in the heat exchanger"},
                                fake_embedder)
    assert catalog.get_record(engine, les.id).title == "Mussels in the heat exchanger", "edits re-index"
    lessons.archive_lesson(engine, STAFF, les.id, les.version)
    assert les.id not in [h.id for h in search.search("mussels clogged the seawater intake").hits]
    with pytest.raises(catalog.RecordNotFound):
        catalog.get_record(engine, les.id)


def test_ingest_keeps_app_lessons(engine, fixture_db: Path, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    les = lessons.create_lesson(engine, ADMIN, lesson_data(status="published"), fake_embedder)
    assert les.status == "published"
    result = run_ingest(Path(__file__).parents[1] / "fixtures" / "corpus", fixture_db, fake_embedder)
    assert not result.errors and result.removed == 0
    assert catalog.get_record(engine, les.id).kind == "lesson"


# --- Markdown, export and round trip --------------------------------------------------------------------------

def test_record_built_in_memory_equals_the_parsed_markdown(engine) -> None:  # type: ignore[no-untyped-def]
    les = lessons.create_lesson(engine, STAFF, lesson_data(summary="A\n\n" + "\n".join(PAYLOADS)))
    parsed, errors = parse_text(to_markdown(les), "x.md")
    built = to_record(les)
    assert errors == []
    assert parsed.sections == built.sections and parsed.body == built.body
    assert parsed.front == built.front
    assert parsed.sources == built.sources and parsed.content_hash == built.content_hash


def test_export_then_ingest_reads_every_lesson_back_whole(engine, fixture_db: Path, tmp_path: Path,
                                                          corpus_copy: Path, fake_embedder, capsys) -> None:  # type: ignore[no-untyped-def]
    made = [
        lessons.create_lesson(engine, STAFF, lesson_data(summary="Payloads:\n\n" + "\n\n".join(PAYLOADS)),
                              fake_embedder),
        lessons.create_lesson(engine, STAFF, lesson_data(
            title="Tenants' “energy cafés” raised sign-up — 50 %", city="testville", measure_types=[],
            phase="engagement", barrier_type="social", outcome="worked", outcome_note="Worked: 40 of 80 joined.",
            what_happened="Few came to letters: 'no time'.", sources=[],
            solutions=["test-battery-site", "test-canal-heat"]), fake_embedder),
    ]
    for m in made:
        lessons.publish_lesson(engine, ADMIN, m.id, 1, fake_embedder)
    draft = lessons.create_lesson(engine, STAFF, lesson_data(title="Still a draft"))
    out = corpus_copy / "lessons-app"
    assert kb_main(["lessons", "export", str(out), "--db", str(fixture_db)]) == 0
    assert "copied 3 lessons" in capsys.readouterr().out, "a folder other than the corpus gets copies"
    out = out / "lessons"
    assert sorted(p.stem for p in out.iterdir()) == sorted([FIXTURE_LESSON, *(m.id for m in made)])
    assert not (out / f"{draft.id}.md").exists()
    (out / f"{FIXTURE_LESSON}.md").unlink()  # the corpus holds it already

    fresh = tmp_path / "fresh.sqlite"
    result = run_ingest(corpus_copy, fresh, fake_embedder, strict=True)
    assert result.errors == [] and result.records == 6 + 2
    for m in made:
        app_rec = catalog.get_record(engine, m.id)
        file_rec = catalog.get_record(database.get_engine(fresh), m.id)
        for key in ("kind", "title", "city", "status", "front", "sections", "sources", "measure_types"):
            assert getattr(file_rec, key) == getattr(app_rec, key), key
        les = lessons.get_lesson(engine, m.id, STAFF)
        parsed, _ = parse_file(out / f"{m.id}.md")
        back = input_from_record(parsed)
        for field, value in back.items():
            expected = les.status if field == "status" else getattr(les, field)
            assert value == expected, field


def test_import_markdown_creates_drafts_or_as_stated(engine, fixture_db: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    src = Path(__file__).parents[1] / "fixtures" / "corpus" / "lessons" / "test-lesson-grid.md"
    folder = tmp_path / "in"
    folder.mkdir()
    text = src.read_text(encoding="utf-8")
    (folder / "a.md").write_text(text.replace("test-lesson-grid", "imported-a").replace("author: fixture\n", ""),
                                 encoding="utf-8")
    (folder / "b.md").write_text(text.replace("test-lesson-grid", "imported-b").replace("status: published\n", ""),
                                 encoding="utf-8")
    (folder / "bad.md").write_text(text.replace("test-lesson-grid", "imported-c").replace("[test-battery-site]",
                                                                                         "[nope]"), encoding="utf-8")
    code = kb_main(["lessons", "import", str(folder), "--author", "carla", "--db", str(fixture_db)])
    out = capsys.readouterr()
    assert code == 1 and "unknown solution 'nope'" in out.err and "2 created" in out.out
    a = lessons.get_lesson(engine, "imported-a", STAFF)
    b = lessons.get_lesson(engine, "imported-b", STAFF)
    assert (a.status, a.author) == ("published", "carla")
    assert (b.status, b.author) == ("draft", "fixture")
    assert catalog.get_record(engine, "imported-a").kind == "lesson"
    assert kb_main(["lessons", "import", str(folder / "a.md"), "--author", "carla", "--db", str(fixture_db)]) == 0
    assert "1 unchanged" in capsys.readouterr().out


def test_lessons_list_json(engine, fixture_db: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    les = lessons.create_lesson(engine, STAFF, lesson_data())
    assert kb_main(["lessons", "list", "--json", "--db", str(fixture_db)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows == [{"id": les.id, "title": les.title, "status": "draft", "solutions": ["test-battery-site"],
                     "outcome": "partly", "author": "ann", "file": ""},
                    {"id": FIXTURE_LESSON, "title": "Talk to the grid operator before designing a private grid",
                     "status": "published", "solutions": ["test-battery-site"], "outcome": "worked",
                     "author": "fixture", "file": "lessons/test-lesson-grid.md"}]


def test_operator_actor_is_admin() -> None:
    assert accounts.Actor.system().at_least("admin")


def test_export_zip_holds_the_published_lessons_as_markdown(engine, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    import io
    import zipfile

    pub = lessons.create_lesson(engine, STAFF, lesson_data(title="Exported one"))
    lessons.publish_lesson(engine, ADMIN, pub.id, 1, fake_embedder)
    lessons.create_lesson(engine, STAFF, lesson_data(title="Draft stays home"))
    data, n = lessons.export_zip(engine)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert n == 2 and sorted(zf.namelist()) == sorted([f"lessons/{pub.id}.md", f"lessons/{FIXTURE_LESSON}.md"])
        text = zf.read(f"lessons/{pub.id}.md").decode("utf-8")
    rec, errs = parse_text(text, "x.md")
    assert errs == [] and rec.id == pub.id and rec.title == "Exported one"
