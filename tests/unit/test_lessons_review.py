"""Review before publishing: submit, approve by another staff member, self-review refused, admin override audited,
send back with a comment the author sees, stale versions, edits during review, direct publishing by the operator."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest

from kb.accounts import Actor
from kb.cli import main as kb_main
from kb.lessons import review
from kb.lessons import service as lessons
from kb.search.engine import SearchEngine
from kb.store import catalog, database
from tests.factories import lesson_data

pytestmark = pytest.mark.backends  # each test runs on SQLite and on PostgreSQL

ANN = Actor("ann", "staff")
BEA = Actor("bea", "staff")
ROOT = Actor("root", "admin")
OPERATOR = Actor.system("cli:op")


@pytest.fixture
def engine(fixture_db: Path):  # type: ignore[no-untyped-def]
    return database.get_engine(fixture_db)


def in_review(engine, author: Actor = ANN, **over: object) -> lessons.Lesson:  # type: ignore[no-untyped-def]
    les = lessons.create_lesson(engine, author, lesson_data(**over))
    return lessons.submit_lesson(engine, author, les.id, les.version)


def actions(engine, lesson_id: str) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    return [(e["action"], e["actor"], e["note"]) for e in lessons.history(engine, ANN, lesson_id)]


def test_submit_then_another_staff_member_publishes(engine, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    les = in_review(engine, summary="Mussels clogged the seawater intake within a summer.")
    assert (les.status, les.version) == ("in-review", 2)
    assert les.id not in [x.id for x in lessons.list_lessons(engine)], "a lesson in review is not public"
    assert [x.id for x in review.awaiting_review(engine, BEA)] == [les.id]
    assert review.awaiting_review(engine, ANN) == [], "the author is not asked to review their own lesson"
    pub = lessons.approve_lesson(engine, BEA, les.id, les.version, fake_embedder)
    assert (pub.status, pub.version) == ("published", 3)
    assert les.id in [x.id for x in lessons.list_lessons(engine)]
    assert catalog.get_record(engine, les.id).kind == "lesson"
    hits = SearchEngine(engine, fake_embedder).search("mussels clogged the seawater intake").hits
    assert hits and hits[0].id == les.id
    assert actions(engine, les.id) == [("create", "ann", ""), ("submit", "ann", ""),
                                       ("publish", "bea", "reviewed by bea; last author ann")]
    assert review.awaiting_review(engine, BEA) == []


def test_the_last_author_cannot_review_their_own_lesson(engine, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    les = in_review(engine)
    for reviewer in (ANN, Actor("ann", "admin")):  # an admin too, unless overriding
        with pytest.raises(lessons.ReviewRefused, match=r"You last changed 'Ask the grid operator.*', so you cannot "
                                                         r"publish it: another staff member must review it"):
            lessons.approve_lesson(engine, reviewer, les.id, les.version, fake_embedder)
        with pytest.raises(lessons.ReviewRefused, match="so you cannot send it back"):
            lessons.send_back_lesson(engine, reviewer, les.id, les.version, "Looks fine to me.")
    with pytest.raises(lessons.ReviewRefused, match="another staff member"):
        lessons.publish_lesson(engine, ANN, les.id, les.version, fake_embedder)  # the old name, the same rule
    with pytest.raises(lessons.ReviewRefused):
        lessons.approve_lesson(engine, ANN, les.id, les.version, fake_embedder, override=True)  # staff cannot override
    now = lessons.get_lesson(engine, les.id, ANN)
    assert (now.status, now.version) == ("in-review", 2), "nothing changed"
    assert [a for a, _, _ in actions(engine, les.id)] == ["create", "submit"]


def test_the_last_author_is_who_changed_the_content_not_who_changed_the_status(engine, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    les = lessons.create_lesson(engine, ANN, lesson_data())
    les = lessons.update_lesson(engine, BEA, les.id, {"version": les.version, "summary": "Bea rewrote it."})
    les = lessons.submit_lesson(engine, ANN, les.id, les.version)  # ann submits bea's text
    assert review.last_author_of(engine, ANN, les) == "bea"
    with pytest.raises(lessons.ReviewRefused):
        lessons.approve_lesson(engine, BEA, les.id, les.version, fake_embedder)
    assert lessons.approve_lesson(engine, ANN, les.id, les.version, fake_embedder).status == "published"


def test_an_admin_may_override_for_their_own_lesson_and_the_log_says_so(engine, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    les = in_review(engine, author=ROOT)
    pub = lessons.approve_lesson(engine, ROOT, les.id, les.version, fake_embedder, override=True)
    assert pub.status == "published"
    last = lessons.history(engine, ROOT, les.id)[-1]
    assert (last["action"], last["actor"], last["role"]) == ("publish", "root", "admin")
    assert last["note"] == "published by admin root overriding the four-eyes rule (the last author of its content)"


def test_send_back_needs_a_comment_and_the_author_sees_it(engine, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    les = in_review(engine)
    for empty in ("", "   \n", None):
        with pytest.raises(review.CommentInvalid, match="a comment is required"):
            lessons.send_back_lesson(engine, BEA, les.id, les.version, empty)
    with pytest.raises(review.CommentInvalid, match="at most 2000"):
        lessons.send_back_lesson(engine, BEA, les.id, les.version, "x" * 2001)
    assert lessons.get_lesson(engine, les.id, ANN).status == "in-review", "a refused send-back changes nothing"
    comment = "Name the operator's <b>source</b> for the one-year saving."
    back = lessons.send_back_lesson(engine, BEA, les.id, les.version, f"  {comment}\n")
    assert back.status == "draft"
    note = review.feedback(engine, ANN, les.id)
    assert note is not None and (note.reviewer, note.comment, note.version) == ("bea", comment, back.version)
    assert actions(engine, les.id)[-1] == ("send-back", "bea", comment)
    # the author edits: the comment stays in view until the lesson is submitted again
    edited = lessons.update_lesson(engine, ANN, les.id, {"version": back.version, "summary": "Saved a year [S1]."})
    assert review.feedback(engine, ANN, les.id) == note
    again = lessons.submit_lesson(engine, ANN, les.id, edited.version)
    assert review.feedback(engine, ANN, les.id) is None
    assert lessons.approve_lesson(engine, BEA, les.id, again.version, fake_embedder).status == "published"


def test_stale_versions_are_refused_for_every_review_step(engine, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    draft = lessons.create_lesson(engine, ANN, lesson_data())
    les = lessons.submit_lesson(engine, ANN, draft.id, draft.version)
    with pytest.raises(lessons.StaleEdit):
        lessons.submit_lesson(engine, ANN, les.id, draft.version)
    lessons.update_lesson(engine, ANN, les.id, {"version": les.version, "title": "Ask the operator early"})
    with pytest.raises(lessons.StaleEdit, match="changed by ann"):  # bea's form shows the version ann replaced
        lessons.approve_lesson(engine, BEA, les.id, les.version, fake_embedder)
    with pytest.raises(lessons.StaleEdit):
        lessons.send_back_lesson(engine, BEA, les.id, les.version, "Please add a source.")
    assert lessons.get_lesson(engine, les.id, ANN).status == "draft"


def test_a_lesson_in_review_can_be_archived_and_comes_back_as_a_draft(engine) -> None:  # type: ignore[no-untyped-def]
    les = in_review(engine)
    gone = lessons.archive_lesson(engine, BEA, les.id, les.version)
    assert gone.status == "archived" and review.awaiting_review(engine, BEA) == []
    assert lessons.restore_lesson(engine, ANN, les.id, gone.version).status == "draft"


def test_an_edit_during_review_withdraws_it_to_draft(engine, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    les = in_review(engine)
    same = lessons.update_lesson(engine, ANN, les.id, {"version": les.version, "title": les.title})
    assert (same.status, same.version) == ("in-review", les.version), "saving unchanged text withdraws nothing"
    edited = lessons.update_lesson(engine, ANN, les.id, {"version": les.version, "summary": "Shorter."})
    assert edited.status == "draft"
    assert actions(engine, les.id)[-1] == ("update", "ann", review.WITHDRAWN)
    with pytest.raises(lessons.LessonStateError, match="is a draft: it is submitted for review first"):
        lessons.approve_lesson(engine, BEA, les.id, edited.version, fake_embedder)


def test_published_lessons_stay_editable_and_live(engine, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    les = in_review(engine)
    pub = lessons.approve_lesson(engine, BEA, les.id, les.version, fake_embedder)
    edited = lessons.update_lesson(engine, ANN, les.id, {"version": pub.version, "title": "Ask the operator early"},
                                   fake_embedder)
    assert edited.status == "published" and catalog.get_record(engine, les.id).title == "Ask the operator early"
    assert actions(engine, les.id)[-1][:2] == ("update", "ann")


def test_people_do_not_publish_directly_the_operator_and_imports_do(engine, fake_embedder) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(lessons.LessonStateError, match="submit it for review"):
        lessons.create_lesson(engine, BEA, lesson_data(status="published"), fake_embedder)
    assert [x.id for x in lessons.list_lessons(engine, BEA) if x.file_path is None or not x.file_path] == [], \
        "refused before anything was written"
    draft = lessons.create_lesson(engine, ANN, lesson_data())
    with pytest.raises(lessons.LessonStateError, match="is a draft"):
        lessons.publish_lesson(engine, BEA, draft.id, draft.version, fake_embedder)
    pub = lessons.publish_lesson(engine, OPERATOR, draft.id, draft.version, fake_embedder)
    assert pub.status == "published"
    assert actions(engine, draft.id)[-1] == (
        "publish", "cli:op", "published directly by cli:op (the operator or an import: not reviewed)")
    imported = lessons.create_lesson(engine, OPERATOR, lesson_data(title="Imported", status="published"),
                                     fake_embedder)
    assert imported.status == "published"
    submitted = lessons.create_lesson(engine, ANN, lesson_data(title="Ready", status="in-review"))
    assert submitted.status == "in-review"


# --- the command line: the operator reviews -------------------------------------------------------------------

def test_cli_submit_send_back_and_approve(engine, fixture_db: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    db = ["--db", str(fixture_db)]
    les = lessons.create_lesson(engine, ANN, lesson_data())
    assert kb_main(["lessons", "submit", les.id, *db]) == 0
    assert "submitted for review" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:  # argparse: --comment is required
        kb_main(["lessons", "send-back", les.id, *db])
    assert exc.value.code == 2 and "--comment" in capsys.readouterr().err
    assert kb_main(["lessons", "send-back", les.id, "--comment", "Add the source of the saving.", *db]) == 0
    note = review.feedback(engine, ANN, les.id)
    operator = f"cli:{getpass.getuser()}"
    assert note is not None and (note.reviewer, note.comment) == (operator, "Add the source of the saving.")
    assert kb_main(["lessons", "submit", les.id, *db]) == 0
    assert kb_main(["lessons", "approve", les.id, *db]) == 0
    assert "published: " + les.id in capsys.readouterr().out
    assert lessons.get_lesson(engine, les.id).status == "published"
    assert [e["action"] for e in lessons.history(engine, ANN, les.id)] == [
        "create", "submit", "send-back", "submit", "publish"]
    assert kb_main(["lessons", "list", "--status", "published", "--json", *db]) == 0


def test_cli_operator_who_wrote_it_needs_override(engine, fixture_db: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    db = ["--db", str(fixture_db)]
    operator = Actor.system(f"cli:{getpass.getuser()}")
    les = lessons.create_lesson(engine, operator, lesson_data(title="Written at the shell"))
    assert kb_main(["lessons", "submit", les.id, *db]) == 0
    capsys.readouterr()
    assert kb_main(["lessons", "approve", les.id, *db]) == 1
    err = capsys.readouterr().err
    assert "so you cannot publish it" in err and "four-eyes" in err and "Traceback" not in err
    assert lessons.get_lesson(engine, les.id, ANN).status == "in-review"
    assert kb_main(["lessons", "approve", les.id, "--override", *db]) == 0
    last = lessons.history(engine, ANN, les.id)[-1]
    assert last["action"] == "publish" and "overriding the four-eyes rule" in last["note"]
    assert kb_main(["lessons", "approve", "no-such-lesson", *db]) == 1
    assert "no lesson with id 'no-such-lesson'" in capsys.readouterr().err
