"""Publish → visible on another replica: a whole index reload (before the data version) against an incremental refresh.

Two search engines on one database play two replicas: A's staff publish a lesson, B must then show it. Before
the data version (issue 19) B re-read the database's fingerprint and then every chunk vector and facet; now B
reads one counter row, the few changed record ids, and replaces only the lesson's chunks in memory. Measured on
the bundled corpus (``solutions/``, fake 384-dimension embedder: the cost is reading and normalising vectors,
not the model) and on the same corpus padded with synthetic records to ``--pad`` chunks (a corpus the size
many cities would build). Also: the cost of the check alone when nothing changed. Prints a table and writes
bench-results/publish.json (publish-pg.json with ``--pg``). Not a timed test (tests/unit/test_data_version.py
checks the behaviour). ``--pg URL`` runs on PostgreSQL instead: URL names a server and a database to connect to for
creating the benchmark's own (``kb_bench_bundled``, ``kb_bench_padded``, dropped first), e.g. the one
deploy/cluster.sh starts: ``--pg postgresql+psycopg://kb@127.0.0.1:55532/postgres``.
Usage: python tests/benchmarks/bench_publish.py [--publishes 20] [--pad 20000] [--pg URL]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from ingest.loader import run_ingest  # noqa: E402
from kb.accounts import Actor  # noqa: E402
from kb.embeddings import FakeEmbedder  # noqa: E402
from kb.lessons import service as lessons  # noqa: E402
from kb.search import engine as search_engine  # noqa: E402
from kb.search.engine import SearchEngine  # noqa: E402
from kb.store import database, fts, snapshot, version  # noqa: E402
from kb.store.tables import ChunkRow, RecordRow  # noqa: E402

OUT = ROOT / "bench-results"
OPERATOR = Actor.system("bench")  # publishes directly: the review workflow is not what is measured
SECTIONS = 5


def _lesson(n: int) -> dict[str, Any]:
    return {"title": f"Benchmark lesson {n}: the grid operator asked for a second meter", "city": "amsterdam",
            "solutions": ["ams-ehub-papaverweg"], "measure_types": [], "phase": "permitting",
            "barrier_type": "regulatory",
            "summary": f"Lesson {n} about meters.", "what_happened": "The operator asked for a second meter.",
            "what_was_tried": "A shared meter.", "outcome": "partly", "outcome_note": "",
            "applies_when": "A block shares one grid connection.", "sources": []}


def pg_database(admin_url: str, name: str) -> str:
    """A new, empty PostgreSQL database ``name`` on the server of ``admin_url`` (dropped first); its URL."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def pad(db: Path | str, chunks: int, dim: int) -> None:
    """Synthetic records of ``SECTIONS`` sections each, with random vectors, up to about ``chunks`` chunks."""
    rng = np.random.default_rng(7)
    engine = database.get_engine(db)
    for start in range(0, chunks // SECTIONS, 500):
        with database.write_session(engine) as s:
            for i in range(start, min(start + 500, chunks // SECTIONS)):
                rid, title = f"pad-{i:06d}", f"Padding record {i}"
                s.add(RecordRow(id=rid, kind="document", title=title, origin="collection"))
                version.touch(s, rid)
                s.flush()
                for j in range(SECTIONS):
                    body = f"padding text {i} {j} heat pump battery"
                    vec = rng.standard_normal(dim).astype(np.float32).tobytes()
                    chunk = ChunkRow(record_id=rid, ordinal=j, section=f"Section {j}", text=body, model="fake-hash",
                                     dim=dim, embedding=vec)
                    s.add(chunk)
                    s.flush()
                    assert chunk.id is not None
                    fts.fts_insert(s, chunk.id, title, chunk.section, body)


def _ms(xs: list[float]) -> dict[str, float]:
    xs = sorted(xs)
    return {"p50_ms": round(1000 * statistics.median(xs), 3), "p95_ms": round(1000 * xs[int(0.95 * (len(xs) - 1))], 3),
            "mean_ms": round(1000 * statistics.fmean(xs), 3)}


def run(db: Path | str, publishes: int, embedder: FakeEmbedder) -> dict[str, Any]:
    """Publish ``publishes`` lessons; after each, time replica B's way to a snapshot that holds it, both ways."""
    engine = database.get_engine(db)
    replica_b = SearchEngine(engine, embedder)
    first = time.perf_counter()
    replica_b.index()
    first_load = time.perf_counter() - first
    whole, incremental, check, visible = [], [], [], []
    for n in range(publishes):
        draft = lessons.create_lesson(engine, OPERATOR, _lesson(n))
        t0 = time.perf_counter()
        lessons.publish_lesson(engine, OPERATOR, draft.id, draft.version, embedder)
        published = time.perf_counter()
        replica_b._checked -= search_engine.RECHECK_SECONDS  # B's next request after the publish
        idx = replica_b.index()
        done = time.perf_counter()
        assert any(r["id"] == draft.id for r in idx.records), "the published lesson is not visible on replica B"
        incremental.append(done - published)
        visible.append(done - t0)
        t1 = time.perf_counter()  # before the data version: the fingerprint, then everything read again
        with database.read_session(engine) as s:
            fts.signature(s)
            again = snapshot.load_index(s)
        whole.append(time.perf_counter() - t1)
        assert len(again.records) == len(idx.records) and again.chunk_ids.tolist() == idx.chunk_ids.tolist()
        replica_b._checked -= search_engine.RECHECK_SECONDS
        t2 = time.perf_counter()
        replica_b.index()  # nothing changed since: the check alone
        check.append(time.perf_counter() - t2)
    idx = replica_b.index()
    return {"records": len(idx.records), "chunks": int(len(idx.chunk_ids)), "dim": int(idx.vectors.shape[1]),
            "publishes": publishes, "first_load_ms": round(1000 * first_load, 1),
            "before_whole_reload": _ms(whole), "after_incremental_refresh": _ms(incremental),
            "after_publish_to_visible_including_the_publish": _ms(visible), "check_when_unchanged": _ms(check),
            "reloads": dict(replica_b.reloads),
            "speedup_p50": round(statistics.median(whole) / statistics.median(incremental), 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--publishes", type=int, default=20)
    ap.add_argument("--pad", type=int, default=20000, help="chunks of the padded corpus (0: bundled corpus only)")
    ap.add_argument("--pg", metavar="URL", help="run on PostgreSQL: a server URL to create the databases from")
    args = ap.parse_args(argv)
    embedder = FakeEmbedder(dim=384, name="fake-hash")
    out: dict[str, Any] = {"backend": "postgresql" if args.pg else "sqlite",
                           "embedder": f"{embedder.name} ({embedder.dim} dimensions)",
                           "recheck_seconds": search_engine.RECHECK_SECONDS, "corpora": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name, padding in (("bundled", 0), ("padded", args.pad)):
            if name == "padded" and not padding:
                continue
            db: Path | str = pg_database(args.pg, f"kb_bench_{name}") if args.pg else Path(tmp) / f"{name}.sqlite"
            res = run_ingest(ROOT / "solutions", db, embedder)
            if res.errors:
                raise SystemExit(f"the corpus has errors: {res.errors[:3]}")
            if padding:
                pad(db, padding, embedder.dim)
            row = run(db, args.publishes, embedder)
            out["corpora"][name] = row
            database.dispose_all()
    print(f"{'corpus':<9} {'records':>7} {'chunks':>7} | {'before: whole reload p50/p95 ms':>32} | "
          f"{'after: incremental p50/p95 ms':>30} | {'check p50 ms':>12} | speed-up")
    for name, r in out["corpora"].items():
        b, a, c = r["before_whole_reload"], r["after_incremental_refresh"], r["check_when_unchanged"]
        print(f"{name:<9} {r['records']:>7} {r['chunks']:>7} | {b['p50_ms']:>15.2f} / {b['p95_ms']:<14.2f} | "
              f"{a['p50_ms']:>13.2f} / {a['p95_ms']:<14.2f} | {c['p50_ms']:>12.3f} | {r['speedup_p50']}x")
    OUT.mkdir(exist_ok=True)
    target = OUT / ("publish-pg.json" if args.pg else "publish.json")
    target.write_text(json.dumps(out, indent=2))
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
