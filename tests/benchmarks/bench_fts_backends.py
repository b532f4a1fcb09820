"""Benchmark: search quality on PostgreSQL's full-text search against SQLite's FTS5, on SciFact and the multilingual
query sets, in one run, so that switching the backend costs no quality unnoticed.

Both stores get the same documents and the same vectors (the dense half of hybrid search is numpy in the replica
either way); only the keyword half differs: FTS5 BM25 with its column weights, or a ``tsvector`` ranked by
``ts_rank_cd`` (kb/store/fts.py). Reported per backend, for keyword-only (``bm25``) and the shipped ``hybrid``:
SciFact test nDCG@10, Recall@100 and Recall@3; per query set (main, held-out) the multilingual recall@3 and MRR over
all languages and per language. Writes bench-results/fts_backends.json. Not a timed test.
Usage: python tests/benchmarks/bench_fts_backends.py [--pg-url URL | (a throwaway server is started)]
       [--scifact PATH] [--skip-scifact] [--skip-multilingual]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from ingest.loader import run_ingest  # noqa: E402
from kb.config import Settings  # noqa: E402
from kb.embeddings import SentenceTransformerEmbedder  # noqa: E402
from kb.search.collection import Collection, documents_from  # noqa: E402
from kb.search.engine import SearchConfig, SearchEngine  # noqa: E402
from kb.store import database  # noqa: E402
from tests.benchmarks import bench_multilingual as ml  # noqa: E402
from tests.benchmarks.beir_data import (  # noqa: E402
    cached_embeddings,
    doc_text,
    evaluate,
    load_corpus,
    load_queries,
    recall_at,
)
from tests.benchmarks.bench_load import fresh_pg_database  # noqa: E402

OUT = ROOT / "bench-results"


def scifact(path: Path, emb: SentenceTransformerEmbedder, stores: dict[str, str]) -> dict[str, Any]:
    """The SciFact collection in each store (same documents, same vectors); test-split figures per mode."""
    corpus = load_corpus(path)
    vecs = cached_embeddings([doc_text(d) for d in corpus], emb, OUT / "scifact-corpus.npy")
    queries, qrels = load_queries(path, "test")
    out: dict[str, Any] = {"documents": len(corpus), "queries": len(queries)}
    for name, where in stores.items():
        t0 = time.perf_counter()
        col = Collection(where)
        col.add(documents_from(corpus), vecs, emb.name, replace=False)
        loaded = time.perf_counter() - t0
        out[name] = {"load_s": round(loaded, 1)}
        for mode in ("bm25", "hybrid"):
            eng = SearchEngine(col.engine, emb, SearchConfig())
            t1 = time.perf_counter()
            runs = {qid: [h.id for h in eng.search(text, limit=100, mode=mode, snippets=False).hits]
                    for qid, text in queries.items()}
            figures = evaluate(runs, qrels)
            figures["recall@3"] = round(float(np.mean([recall_at(runs[q], qrels[q], 3) for q in runs])), 4)
            figures["ms_per_query"] = round((time.perf_counter() - t1) * 1000 / len(queries), 1)
            out[name][mode] = figures
            print(f"scifact {name:<8} {mode:<7} nDCG@10 {figures['ndcg@10']:.4f}  Recall@100 "
                  f"{figures['recall@100']:.4f}  Recall@3 {figures['recall@3']:.4f}  "
                  f"{figures['ms_per_query']} ms/query", flush=True)
        col.engine.dispose()
    return out


def multilingual(emb: SentenceTransformerEmbedder, stores: dict[str, str]) -> dict[str, Any]:
    """The bundled corpus ingested into each store; both query sets in each mode (shipped configuration)."""
    sets = {"main": ml.load_queries(ml.QUERIES), "heldout": ml.load_queries(ml.HELDOUT)}
    out: dict[str, Any] = {}
    for name, where in stores.items():
        res = run_ingest(Settings.from_env().solutions_dir, where, emb)
        if res.errors:
            raise SystemExit(f"ingest errors on {name}: {[str(e) for e in res.errors][:3]}")
        engine = database.get_engine(where)
        out[name] = {}
        for mode in ("bm25", "hybrid"):
            for set_name, queries in sets.items():
                table, rows = ml.evaluate(SearchEngine(engine, emb, SearchConfig()), queries, mode)
                overall = {"queries": len(rows),
                           "recall@3": round(sum(bool(r["hit@3"]) for r in rows) / len(rows), 4),
                           "mrr": round(sum(1.0 / r["rank"] if r["rank"] else 0.0 for r in rows)  # type: ignore[operator]
                                        / len(rows), 4)}
                out[name][f"{set_name}/{mode}"] = {"overall": overall, "per_language": table}
                print(f"multilingual {name:<8} {set_name:<8} {mode:<7} recall@3 {overall['recall@3']:.4f}  "
                      f"MRR {overall['mrr']:.4f}  ({overall['queries']} queries)", flush=True)
        engine.dispose()
    return out


@contextmanager
def _server(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    from tests.benchmarks.pg_server import durable_server

    with durable_server() as started:
        yield started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pg-url", default=os.environ.get("KB_BENCH_PG_URL"))
    ap.add_argument("--scifact", type=Path, default=ROOT.parent / "shared" / "bench" / "scifact")
    ap.add_argument("--skip-scifact", action="store_true")
    ap.add_argument("--skip-multilingual", action="store_true")
    ap.add_argument("--out", type=Path, default=OUT / "fts_backends.json")
    args = ap.parse_args()
    t0 = time.perf_counter()
    emb = SentenceTransformerEmbedder()
    results: dict[str, Any] = {"model": emb.name, "config": "SearchConfig() as shipped"}
    with tempfile.TemporaryDirectory() as tmp, _server(args.pg_url) as server:
        if not args.skip_scifact:
            results["scifact"] = scifact(args.scifact, emb, {
                "sqlite": str(Path(tmp) / "scifact.sqlite"), "postgres": fresh_pg_database(server, "kb_scifact")})
        if not args.skip_multilingual:
            results["multilingual"] = multilingual(emb, {
                "sqlite": str(Path(tmp) / "kb.sqlite"), "postgres": fresh_pg_database(server, "kb_multilingual")})
        database.dispose_all()
    results["seconds"] = round(time.perf_counter() - t0, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n")
    print(f"wrote {args.out} in {results['seconds']}s")


if __name__ == "__main__":
    main()
