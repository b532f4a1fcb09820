"""Concurrency: 8 threads × 50 lesson writes on one database (file or PostgreSQL); every lesson and audit row lands."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from ingest.loader import run_ingest
from kb.accounts import Actor
from kb.embeddings import FakeEmbedder
from kb.lessons import service as lessons
from kb.store import database
from kb.store.tables import LessonAuditRow, LessonRow, RecordRow
from tests.factories import lesson_data

THREADS, WRITES = 8, 50
FIXTURES = Path(__file__).parents[1] / "fixtures" / "corpus"

pytestmark = pytest.mark.backends  # each test runs on SQLite and on PostgreSQL


def test_400_concurrent_lesson_writes(new_db: Path | str) -> None:
    db = new_db
    embedder = FakeEmbedder()
    assert not run_ingest(FIXTURES, db, embedder).errors
    engine = database.get_engine(db)
    errors: list[BaseException] = []
    made: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def worker(n: int) -> None:
        actor = Actor(f"staff{n}", "staff")
        start.wait()
        for i in range(WRITES):
            try:
                # shared titles across threads: id slugs collide and must be resolved inside the transaction
                les = lessons.create_lesson(engine, actor, lesson_data(title=f"Concurrent lesson {i % 10}",
                                                                       summary=f"Thread {n}, write {i}."))
                if i % 10 == 0:  # some writes publish, which embeds and writes search rows as well
                    les = lessons.publish_lesson(engine, Actor.system(f"op{n}"), les.id, les.version, embedder)
                with lock:
                    made.append(les.id)
            except BaseException as exc:  # noqa: BLE001 - every error is a failure of the test
                errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(made) == len(set(made)) == THREADS * WRITES
    with database.read_session(engine) as s:
        made_rows = select(LessonRow).where(col(LessonRow.author) != "fixture")  # the fixture corpus has a lesson
        assert len(list(s.exec(made_rows))) == 400
        summaries = {r.summary for r in s.exec(made_rows)}
        assert summaries == {f"Thread {n}, write {i}." for n in range(THREADS) for i in range(WRITES)}
        audits = s.exec(select(func.count()).select_from(LessonAuditRow).where(
            col(LessonAuditRow.actor) != "files")).one()
        assert audits == 400 + THREADS * (WRITES // 10), "one audit row per create and per publish"
        published = s.exec(select(func.count()).select_from(RecordRow)
                           .where(RecordRow.origin == "lesson", RecordRow.kind == "lesson")).one()
        assert published == THREADS * (WRITES // 10) + 1, "and the fixture corpus's lesson"
    assert database.integrity_ok(engine)
