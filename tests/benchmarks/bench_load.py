"""Load: 20 readers search while 4 hub-staff writers save lessons for 30 s; nothing is lost. SQLite, PostgreSQL,
and two replicas on one PostgreSQL database, side by side in one run.

The database is the bundled corpus (``solutions/``) ingested with the deterministic fake embedder (the load is
on the store, its full-text search, the index refresh and the lesson service, not on the model). Writers are staff
accounts that log in (argon2) and save through ``kb.lessons.service``; every 5th lesson is published, which embeds
it and changes the search index under the readers' feet. Afterwards the lessons and audit rows in the database are
counted against what the writers say they saved.

Backends (``--backends``, one run each, in this order, then the ratios against the first):

- ``sqlite``: one replica (one process: its readers share one search engine) on a SQLite file;
- ``pg``: the same on PostgreSQL (``--pg-url`` names a server whose user may create databases; ``--start-pg``
  starts a throwaway cluster, as the tests do);
- ``pg2``: two replicas (two processes, each with its own search engine, caches and connection pool, as two app
  servers behind the proxy have) sharing one PostgreSQL database, the readers and writers split between them.
  (``sqlite2``: the same two replicas on one SQLite file, for comparison.)
  ``--kill-after S`` kills the second replica S seconds into the run (SIGKILL): the first must keep serving, and
  every write a replica acknowledged (its id is appended to an acknowledgement file once the call returned) must be
  in the database.

Prints throughput and p50/p95 latencies and writes bench-results/load.json. Not a timed test
(tests/hardening/test_load.py runs a short version).
Usage: python tests/benchmarks/bench_load.py [--seconds 30] [--readers 20] [--writers 4] [--processes]
       [--backends sqlite,pg,pg2] [--pg-url postgresql+psycopg://USER@HOST:PORT/postgres | --start-pg]
       [--kill-after 15]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
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


def prepare(db: Path | str, writers: int, corpus: Path | None = None) -> dict[str, Any]:
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


def _db(db: str) -> Path | str:
    return db if "://" in db else Path(db)


def reader(db: str, n: int, until: float, shared: SearchEngine | None = None,
           keep_ends: bool = False) -> dict[str, Any]:
    se = shared or SearchEngine(database.get_engine(_db(db)), FakeEmbedder())
    lat: list[float] = []
    ends: list[float] = []
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
        if keep_ends:
            ends.append(time.time())
    return {"role": "reader", "lat": lat, "errors": errors, "ends": ends}


def writer(db: str, w: int, until: float, refs: dict[str, Any],
           acknowledge: Callable[[str], None] | None = None) -> dict[str, Any]:
    engine = database.get_engine(_db(db))
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
            if acknowledge is not None:
                acknowledge(les.id)
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


def _counts(db: str | Path) -> dict[str, int]:
    with database.read_session(database.get_engine(db)) as s:
        return {"lessons": int(s.exec(select(func.count()).select_from(LessonRow)).one()),
                "audit": int(s.exec(select(func.count()).select_from(LessonAuditRow)).one()),
                "published": int(s.exec(select(func.count()).select_from(LessonRow)
                                        .where(LessonRow.status == "published")).one())}


def _stored_ids(db: str | Path, ids: list[str]) -> set[str]:
    with database.read_session(database.get_engine(db)) as s:
        found: set[str] = set()
        for k in range(0, len(ids), 500):
            found |= set(s.exec(select(LessonRow.id).where(LessonRow.id.in_(ids[k:k + 500]))).all())  # type: ignore[attr-defined]
        return found


def run(db: Path | str, seconds: float = 30, readers: int = 20, writers: int = 4, processes: bool = False,
        corpus: Path | None = None) -> dict[str, Any]:
    """Prepare ``db``, run the load for ``seconds`` in this process (one replica), count what arrived."""
    refs = prepare(db, writers, corpus)
    before = _counts(db)
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
    return _figures(db, results, elapsed, before, {"mode": "processes" if processes else "threads",
                                                    "replicas": 1, "readers": readers, "writers": writers})


def _figures(db: Path | str, results: list[dict[str, Any]], elapsed: float, before: dict[str, int],
             head: dict[str, Any]) -> dict[str, Any]:
    after = _counts(db)
    engine = database.get_engine(db)
    integrity = database.integrity_ok(engine)
    rlat = [x for r in results if r["role"] == "reader" for x in r["lat"]]
    wres = [r for r in results if r["role"] == "writer"]
    wlat = [x for r in wres for x in r["lat"]]
    created = [i for r in wres for i in r["created"]]
    published = sum(r["published"] for r in wres)
    errors = [e for r in results for e in r["errors"]]
    stored = _stored_ids(db, created)
    database.dispose_all()
    return {
        **head, "backend": engine.url.get_backend_name(), "seconds": round(elapsed, 2),
        "searches": len(rlat), "saves": len(wlat),
        "searches_per_s": round(len(rlat) / elapsed, 1), "saves_per_s": round(len(wlat) / elapsed, 1),
        "search_p50_ms": _ms(rlat, 50), "search_p95_ms": _ms(rlat, 95),
        "save_p50_ms": _ms(wlat, 50), "save_p95_ms": _ms(wlat, 95),
        "lessons_written": len(created), "lessons_counted": after["lessons"] - before["lessons"],
        "distinct_ids": len(set(created)), "acknowledged_lost": len(set(created) - stored),
        "published_written": published, "published_counted": after["published"] - before["published"],
        "audit_expected": len(created) + published, "audit_counted": after["audit"] - before["audit"],
        "integrity_ok": integrity, "errors": len(errors), "error_samples": errors[:3],
    }


# --- several replicas: one process each, sharing the database -------------------------------------------------

def replica(db: str, index: int, readers: list[int], writers: list[int], start: float, until: float,
            refs: dict[str, Any], ack: str, out: str) -> None:
    """One app replica: its own search engine (shared by its readers' threads) and engine pool; each acknowledged
    lesson id is appended to ``ack`` at once (so a killed replica's acknowledged writes are known); its figures go
    to ``out`` when it ends normally."""
    se = SearchEngine(database.get_engine(Path(db) if "://" not in db else db), FakeEmbedder())
    se.index()
    lock = threading.Lock()
    with open(ack, "a", buffering=1, encoding="utf-8") as acks:
        def acknowledge(lesson_id: str) -> None:
            with lock:
                acks.write(lesson_id + "\n")
                acks.flush()
                os.fsync(acks.fileno())

        time.sleep(max(0.0, start - time.time()))
        with ThreadPoolExecutor(len(readers) + len(writers)) as pool:
            futures = [pool.submit(reader, db, n, until, se, True) for n in readers]
            futures += [pool.submit(writer, db, w, until, refs, acknowledge) for w in writers]
            results = [f.result() for f in futures]
    Path(out).write_text(json.dumps({"replica": index, "results": results}))


def run_replicas(db: str, seconds: float = 30, readers: int = 20, writers: int = 4, replicas: int = 2,
                 corpus: Path | None = None, kill_after: float | None = None) -> dict[str, Any]:
    """Prepare ``db``, run the load on ``replicas`` processes (readers and writers dealt round-robin), optionally
    kill the last one ``kill_after`` seconds in; count what arrived and what was acknowledged."""
    refs = prepare(db, writers, corpus)
    before = _counts(db)
    database.dispose_all()
    ctx = mp.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.time() + 8.0  # the replicas import and load their index before the clock starts
        until = start + seconds
        procs = []
        for r in range(replicas):
            args = (db, r, list(range(r, readers, replicas)), list(range(r, writers, replicas)), start, until, refs,
                    f"{tmp}/ack-{r}.txt", f"{tmp}/out-{r}.json")
            procs.append(ctx.Process(target=replica, args=args, name=f"replica-{r}"))
        for p in procs:
            p.start()
        killed_at = None
        if kill_after is not None and replicas > 1:
            time.sleep(max(0.0, start + kill_after - time.time()))
            os.kill(procs[-1].pid, signal.SIGKILL)  # type: ignore[arg-type]
            killed_at = time.time()
        for p in procs:
            p.join(seconds + 300)
        elapsed = time.time() - start
        results: list[dict[str, Any]] = []
        per_replica = []
        for r in range(replicas):
            out = Path(f"{tmp}/out-{r}.json")
            acked = [x for x in Path(f"{tmp}/ack-{r}.txt").read_text().split("\n") if x] \
                if Path(f"{tmp}/ack-{r}.txt").exists() else []
            got = json.loads(out.read_text())["results"] if out.exists() else []
            results += got
            after_kill = sum(1 for g in got if g["role"] == "reader" for t in g.get("ends", [])
                             if killed_at is not None and t > killed_at)
            per_replica.append({"replica": r, "ended": "normally" if out.exists() else "killed",
                                "acknowledged": acked, "searches": sum(len(g["lat"]) for g in got
                                                                       if g["role"] == "reader"),
                                "searches_after_kill": after_kill})
    acknowledged = [i for pr in per_replica for i in pr["acknowledged"]]
    stored = _stored_ids(db, acknowledged)
    figures = _figures(db, results, elapsed, before, {"mode": "replicas", "replicas": replicas,
                                                     "readers": readers, "writers": writers})
    figures["replica_runs"] = [{k: v for k, v in pr.items() if k != "acknowledged"} | {
        "acknowledged": len(pr["acknowledged"])} for pr in per_replica]
    figures["acknowledged"] = len(acknowledged)
    figures["acknowledged_lost"] = len(set(acknowledged) - stored)
    if killed_at is not None:
        figures["killed_after_s"] = kill_after
        figures["lessons_counted_vs_acknowledged"] = figures["lessons_counted"] - len(acknowledged)
    return figures


def _warm() -> None:
    time.sleep(1.0)


def _delayed(fn: Any, start: float, *args: Any) -> dict[str, Any]:
    time.sleep(max(0.0, start - time.time()))
    return fn(*args)  # type: ignore[no-any-return]


# --- PostgreSQL databases for the runs ------------------------------------------------------------------------

def fresh_pg_database(server_url: str, name: str) -> str:
    """``name`` created empty on the server of ``server_url`` (dropped first); its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(server_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def ok(figures: dict[str, Any]) -> bool:
    """No error, no lost acknowledged write, every write counted (a killed replica may have committed a write it
    could not acknowledge: then the count may exceed the acknowledgements, never fall short)."""
    base = (figures["errors"] == 0 and figures["acknowledged_lost"] == 0 and figures["integrity_ok"]
            and figures["lessons_counted"] >= figures["lessons_written"])
    if figures.get("killed_after_s") is None:
        base = base and figures["lessons_written"] == figures["lessons_counted"] \
            and figures["audit_expected"] == figures["audit_counted"]
    return bool(base)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--readers", type=int, default=20)
    p.add_argument("--writers", type=int, default=4)
    p.add_argument("--processes", action="store_true", help="one process per worker instead of threads")
    p.add_argument("--backends", default="sqlite", help="comma-separated: sqlite, pg, pg2 (default sqlite)")
    p.add_argument("--pg-url", default=os.environ.get("KB_BENCH_PG_URL"),
                   help="a PostgreSQL server (postgresql+psycopg://USER@HOST:PORT/DB) whose user may create databases")
    p.add_argument("--start-pg", action="store_true", help="start a throwaway PostgreSQL cluster for the run")
    p.add_argument("--kill-after", type=float, default=None,
                   help="pg2, sqlite2: kill the second replica after S seconds")
    p.add_argument("--out", default=str(OUT / "load.json"))
    args = p.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(backends) - {"sqlite", "sqlite2", "pg", "pg2"}
    if unknown:
        p.error(f"unknown backend(s) {sorted(unknown)}: use sqlite, sqlite2, pg, pg2")
    runs: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp, _pg_server(args, backends, Path(tmp)) as server:
        for b in backends:
            print(f"== {b}", flush=True)
            if b == "sqlite":
                runs[b] = run(Path(tmp) / "load.sqlite", args.seconds, args.readers, args.writers, args.processes)
            elif b == "sqlite2":
                runs[b] = run_replicas(str(Path(tmp) / "load2.sqlite"), args.seconds, args.readers, args.writers, 2,
                                       kill_after=args.kill_after)
            elif b == "pg":
                runs[b] = run(fresh_pg_database(server, "kb_load_pg"), args.seconds, args.readers, args.writers,
                              args.processes)
            else:
                runs[b] = run_replicas(fresh_pg_database(server, "kb_load_pg2"), args.seconds, args.readers,
                                       args.writers, 2, kill_after=args.kill_after)
            print(json.dumps({k: v for k, v in runs[b].items() if k != "error_samples"}), flush=True)
    figures: dict[str, Any] = runs[backends[0]] if len(backends) == 1 else {"runs": runs}
    if len(backends) > 1:
        first = backends[0]
        figures["ratios"] = {f"{b}/{first}": {k: round(runs[b][k] / runs[first][k], 2) if runs[first][k] else None
                                              for k in ("searches_per_s", "saves_per_s", "search_p50_ms",
                                                        "search_p95_ms", "save_p50_ms", "save_p95_ms")}
                             for b in backends[1:]}
        _table(runs, figures["ratios"], first)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2))
    print(f"wrote {out}")
    sys.exit(0 if all(ok(r) for r in runs.values()) else 1)


def _table(runs: dict[str, dict[str, Any]], ratios: dict[str, dict[str, float | None]], first: str) -> None:
    cols = ("searches_per_s", "saves_per_s", "search_p50_ms", "search_p95_ms", "save_p50_ms", "save_p95_ms",
            "errors", "acknowledged_lost")
    print("| backend | " + " | ".join(cols) + " |")
    print("|---" * (len(cols) + 1) + "|")
    for b, r in runs.items():
        print(f"| {b} | " + " | ".join(str(r.get(c)) for c in cols) + " |")
    for name, ratio in ratios.items():
        print(f"| {name} | " + " | ".join(str(ratio.get(c, "")) for c in cols) + " |")


@contextmanager
def _pg_server(args: argparse.Namespace, backends: list[str], tmp: Path) -> Iterator[str]:
    """The PostgreSQL server URL for the pg runs: ``--pg-url``, or a throwaway cluster (``--start-pg``)."""
    if not {"pg", "pg2"} & set(backends):
        yield ""
        return
    if args.pg_url:
        yield args.pg_url
        return
    if not args.start_pg:
        raise SystemExit("the pg backends need --pg-url URL (or KB_BENCH_PG_URL) or --start-pg")
    from tests.benchmarks.pg_server import durable_server

    with durable_server() as url:
        yield url


if __name__ == "__main__":
    main()
