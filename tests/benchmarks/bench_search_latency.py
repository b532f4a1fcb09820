"""Benchmark: p50/p95 of a full hybrid search on synthetic 1k/10k/100k-chunk collections against the floor.

The floor, measured in the same run on the same queries: one query encoding + one matrix-vector product + one
FTS5 query. Texts are SciFact sentences (a realistic word distribution); vectors are random unit vectors of
the model's dimension (the product's cost does not depend on their values). Prints the figures and writes
bench-results/search_latency.json. Not a timed test.
Usage: python tests/benchmarks/bench_search_latency.py [SIZES...]
"""

from __future__ import annotations

import json
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from kb.embeddings import SentenceTransformerEmbedder  # noqa: E402
from kb.search.collection import Collection, Document  # noqa: E402
from kb.search.engine import SearchEngine  # noqa: E402
from kb.store import database  # noqa: E402
from kb.store import fts as search_backend  # noqa: E402
from tests.benchmarks.beir_data import load_corpus, load_queries  # noqa: E402

OUT = ROOT / "bench-results"
SCIFACT = ROOT.parent / "shared" / "bench" / "scifact"
SECTIONS = ["Summary", "Measures", "Costs", "Barriers", "Results"]
CITIES = ["amsterdam", "bilbao", "krakow", "riga", "matosinhos", "budapest"]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def build(n_chunks: int, dim: int, model: str) -> Path:
    """A collection of ``n_chunks`` sections (5 per document), cached under bench-results/."""
    db = OUT / f"latency-{n_chunks}.sqlite"
    if db.exists():
        return db
    rng = random.Random(n_chunks)
    sentences = [s for d in load_corpus(SCIFACT) for s in re.split(r"(?<=\.)\s+", d["text"]) if len(s) > 30]
    docs = []
    for i in range(n_chunks // len(SECTIONS)):
        parts = [(sec, " ".join(rng.choices(sentences, k=3))) for sec in SECTIONS]
        docs.append(Document(id=f"doc-{i}", title=" ".join(rng.choice(sentences).split()[:8]), text="",
                             kind="solution", city=rng.choice(CITIES), sections=parts))
    vecs = np.random.default_rng(n_chunks).standard_normal((len(docs) * len(SECTIONS), dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    tmp = db.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    Collection(tmp).add(docs, vecs, model, replace=False)
    database.dispose_all()
    tmp.rename(db)
    return db


def pct(xs: list[float], p: float) -> float:
    return float(np.percentile(np.array(xs), p)) * 1000


def main() -> None:
    sizes = [int(x) for x in sys.argv[1:]] or [1_000, 10_000, 100_000]
    emb = SentenceTransformerEmbedder()
    dim = emb.dim
    queries = list(load_queries(SCIFACT, "test")[0].values())[:100]
    emb.encode(queries[:4])
    out: dict[str, object] = {"model": emb.name, "queries": len(queries), "sizes": {}}
    for n in sizes:
        db = build(n, dim, emb.name)
        engine = database.get_engine(db)
        before = rss_mb()
        se = SearchEngine(engine, emb)
        t0 = time.perf_counter()
        idx = se.index()
        load_s = time.perf_counter() - t0
        after = rss_mb()
        cfg = se.config
        for q in queries[:5]:  # warm caches of both paths
            se.search(q)
        floor, full = [], []
        for q in queries:
            t0 = time.perf_counter()
            qv = emb.encode([q])[0]
            _ = idx.vectors @ qv
            with database.read_session(engine) as s:
                search_backend.fts_ranked(s, q, cfg.depth, cfg.fts_weights)
            floor.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            se.search(q, limit=10)
            full.append(time.perf_counter() - t0)
        row = {"chunks": int(len(idx.chunk_ids)), "records": len(idx.records),
               "floor_p50_ms": round(pct(floor, 50), 2), "floor_p95_ms": round(pct(floor, 95), 2),
               "search_p50_ms": round(pct(full, 50), 2), "search_p95_ms": round(pct(full, 95), 2),
               "ratio_p50": round(statistics.median(full) / statistics.median(floor), 3),
               "ratio_p95": round(pct(full, 95) / pct(floor, 95), 3),
               "index_load_s": round(load_s, 2), "vector_matrix_mb": round(idx.vectors.nbytes / 2**20, 1),
               "rss_growth_mb": round(after - before, 1), "rss_mb": round(after, 1)}
        out["sizes"][str(n)] = row  # type: ignore[index]
        print(json.dumps(row), flush=True)
    OUT.mkdir(exist_ok=True)
    (OUT / "search_latency.json").write_text(json.dumps(out, indent=2))
    print(f"wrote {OUT / 'search_latency.json'}")


if __name__ == "__main__":
    main()
