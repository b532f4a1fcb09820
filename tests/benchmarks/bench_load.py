"""Load: 20 readers search while 4 hub-staff writers save lessons for 30 s on one file database; nothing is lost.

The database is the bundled corpus (``solutions/``) ingested with the deterministic fake embedder (the load is
on SQLite, FTS5, the index reload and the lesson service, not on the model). Writers are staff accounts that
log in (argon2) and save through ``kb.lessons.service``; every 5th lesson is published, which embeds it and changes the
search index under the readers' feet. Afterwards the lessons and audit rows in the database are counted
against what the writers say they saved. Prints throughput and p50/p95 latencies and writes
bench-results/load.json. Not a timed test (tests/hardening/test_load.py runs a short version).
Usage: python tests/benchmarks/bench_load.py [--seconds 30] [--readers 20] [--writers 4] [--processes]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import tempfile
import threading
import time
import traceback
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from sqlalchemy import func  # noqa: E402
from sqlmodel import select  # noqa: E402

from ingest.loader import run_ingest  # noqa: E402
from kb import accounts  # noqa: E402
from kb.embeddings import FakeEmbedder  # noqa: E402
from kb.lessons import service as lessons  # noqa: E402
from kb.search.engine import SearchEngine  # noqa: E402
from kb.store import database  # noqa: E402
from kb.store.tables import LessonAuditRow, LessonRow  # noqa: E402

OUT = ROOT / "bench-results"
PASSWORD = "load-test-password"
PUBLISH_EVERY = 5
QUERIES = ["battery storage", "batery storage", "heat pump retrofit", "district heating from sewage",
           "solar panels on social housing", "energy community", "smart grid flexibility", "electric car sharing",
           "magazyn energii", "grid operator refused", "cost per home", "PED balance", "Amsterdam Buiksloterham",
           "Bilbao Zorrotzaurre", "what got in the way", "lessons learned permits", '"unbalanced quote',
           "heat-island", "positive energy district", "payback"]


def prepare(db: Path, writers: int, corpus: Path | None = None) -> dict[str, Any]:
    """Ingest the corpus, add the staff accounts; return what a lesson may link to."""
    res = run_ingest(corpus or ROOT / "solutions", db, FakeEmbedder())
    if res.errors:
        raise RuntimeError(f"the corpus has errors: {res.errors[:3]}")
    engine = database.get_engine(db)
    for w in range(writers):
        accounts.add_user(engine, f"staff{w}", "staff", PASSWORD, by=accounts.Actor.system("bench"))
    opts = lessons.reference_options(engine)
    database.dispose_all()
    return {"city": opts["city"][0][0], "solution": opts["solution"][0][0]}


def _lesson(refs: dict[str, Any], w: int, i: int) -> dict[str, Any]:
    return {"title": f"Load lesson {i} from writer {w}", "city": refs["city"], "solutions": [refs["solution"]],
            "measure_types": [], "phase": "permitting", "barrier_type": "regulatory",
            "summary": f"Writer {w} saved lesson {i} while readers searched.",
            "what_happened": "The permit took a year [S1].", "what_was_tried": "An early meeting.",
            "outcome": "partly", "applies_when": "Always, under load.",
            "sources": [{"id": "S1", "title": "Load test", "url": "https://example.org/load"}]}


def reader(db: str, n: int, until: float, shared: SearchEngine | None = None) -> dict[str, Any]:
    se = shared or SearchEngine(database.get_engine(Path(db)), FakeEmbedder())
    lat: list[float] = []
    errors: list[str] = []
    k = n
    while time.time() < until:
        q = QUERIES[k % len(QUERIES)]
        k += 1
        t0 = time.perf_counter()
        try:
            se.search(q, limit=10)
        except Exception:  # noqa: BLE001 - every error is reported
            errors.append(traceback.format_exc(limit=3))
        lat.append(time.perf_counter() - t0)
    return {"role": "reader", "lat": lat, "errors": errors}


def writer(db: str, w: int, until: float, refs: dict[str, Any]) -> dict[str, Any]:
    engine = database.get_engine(Path(db))
    embedder = FakeEmbedder()
    token = accounts.login(engine, f"staff{w}", PASSWORD)
    lat: list[float] = []
    errors: list[str] = []
    created: list[str] = []
    published = 0
    i = 0
    while time.time() < until:
        t0 = time.perf_counter()
        try:
            actor = accounts.actor_for_token(engine, token)
            les = lessons.create_lesson(engine, actor, _lesson(refs, w, i))
            created.append(les.id)
            if i % PUBLISH_EVERY == 0:
                lessons.publish_lesson(engine, accounts.Actor.system("bench"), les.id, les.version, embedder)
                published += 1
        except Exception:  # noqa: BLE001
            errors.append(traceback.format_exc(limit=3))
        lat.append(time.perf_counter() - t0)
        i += 1
    return {"role": "writer", "lat": lat, "errors": errors, "created": created, "published": published}


def _ms(xs: list[float], p: float) -> float:
    return round(float(np.percentile(np.array(xs), p)) * 1000, 2) if xs else 0.0


def run(db: Path, seconds: float = 30, readers: int = 20, writers: int = 4, processes: bool = False,
        corpus: Path | None = None) -> dict[str, Any]:
    """Prepare ``db``, run the load for ``seconds``, count what arrived; return the figures."""
    refs = prepare(db, writers, corpus)
    with database.read_session(database.get_engine(db)) as s:
        lessons_before = s.exec(select(func.count()).select_from(LessonRow)).one()
        audit_before = s.exec(select(func.count()).select_from(LessonAuditRow)).one()
        published_before = s.exec(select(func.count()).select_from(LessonRow)
                                  .where(LessonRow.status == "published")).one()
    database.dispose_all()  # no connection may cross a fork
    pool: Executor
    if processes:
        pool = ProcessPoolExecutor(readers + writers, mp_context=mp.get_context("spawn"))
    else:
        pool = ThreadPoolExecutor(readers + writers)
    shared = None if processes else SearchEngine(database.get_engine(db), FakeEmbedder())
    if shared is not None:
        shared.index()
    with pool:
        if processes:  # let every spawned worker start and import before the clock starts
            for f in [pool.submit(_warm) for _ in range(readers + writers)]:
                f.result()
        start = time.time() + 0.5
        until = start + seconds
        if not processes:
            go = threading.Barrier(readers + writers)

            def wait() -> None:
                go.wait()
        futures = []
        for n in range(readers):
            if processes:
                futures.append(pool.submit(_delayed, reader, start, str(db), n, until))
            else:
                futures.append(pool.submit(lambda n=n: (wait(), reader(str(db), n, until, shared))[1]))
        for w in range(writers):
            if processes:
                futures.append(pool.submit(_delayed, writer, start, str(db), w, until, refs))
            else:
                futures.append(pool.submit(lambda w=w: (wait(), writer(str(db), w, until, refs))[1]))
        results = [f.result() for f in futures]
    elapsed = time.time() - start
    engine = database.get_engine(db)
    with database.read_session(engine) as s:
        lessons_counted = s.exec(select(func.count()).select_from(LessonRow)).one() - lessons_before
        audit_counted = s.exec(select(func.count()).select_from(LessonAuditRow)).one() - audit_before
        published_counted = s.exec(select(func.count()).select_from(LessonRow)
                                   .where(LessonRow.status == "published")).one() - published_before
    integrity = database.integrity_ok(engine)
    database.dispose_all()
    rlat = [x for r in results if r["role"] == "reader" for x in r["lat"]]
    wres = [r for r in results if r["role"] == "writer"]
    wlat = [x for r in wres for x in r["lat"]]
    created = [i for r in wres for i in r["created"]]
    published = sum(r["published"] for r in wres)
    errors = [e for r in results for e in r["errors"]]
    return {
        "mode": "processes" if processes else "threads", "seconds": round(elapsed, 2), "readers": readers,
        "writers": writers, "searches": len(rlat), "saves": len(wlat),
        "searches_per_s": round(len(rlat) / elapsed, 1), "saves_per_s": round(len(wlat) / elapsed, 1),
        "search_p50_ms": _ms(rlat, 50), "search_p95_ms": _ms(rlat, 95),
        "save_p50_ms": _ms(wlat, 50), "save_p95_ms": _ms(wlat, 95),
        "lessons_written": len(created), "lessons_counted": int(lessons_counted),
        "distinct_ids": len(set(created)),
        "published_written": published, "published_counted": int(published_counted),
        "audit_expected": len(created) + published, "audit_counted": int(audit_counted),
        "integrity_ok": integrity, "errors": len(errors), "error_samples": errors[:3],
    }


def _warm() -> None:
    time.sleep(1.0)


def _delayed(fn: Any, start: float, *args: Any) -> dict[str, Any]:
    time.sleep(max(0.0, start - time.time()))
    return fn(*args)  # type: ignore[no-any-return]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--readers", type=int, default=20)
    p.add_argument("--writers", type=int, default=4)
    p.add_argument("--processes", action="store_true", help="one process per worker instead of threads")
    p.add_argument("--out", default=str(OUT / "load.json"))
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        figures = run(Path(tmp) / "load.sqlite", args.seconds, args.readers, args.writers, args.processes)
    print(json.dumps(figures, indent=2))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2))
    print(f"wrote {out}")
    ok = (figures["errors"] == 0 and figures["lessons_written"] == figures["lessons_counted"]
          and figures["audit_expected"] == figures["audit_counted"] and figures["integrity_ok"])
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
