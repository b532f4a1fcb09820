"""Benchmark: SciFact nDCG@10 and Recall@100 of BM25-only, dense-only and hybrid, through kb.search.engine.

Fusion is tuned on the train split only, then all three are measured on the 300 test queries in one run.
Prints the figures and writes bench-results/scifact.json. Not a timed test.
Usage: python tests/benchmarks/bench_scifact.py [PATH_TO_SCIFACT]
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from kb.embeddings import SentenceTransformerEmbedder  # noqa: E402
from kb.search.collection import Collection, documents_from  # noqa: E402
from kb.search.engine import SearchConfig, SearchEngine, fuse  # noqa: E402
from tests.benchmarks.beir_data import (  # noqa: E402
    cached_embeddings,
    doc_text,
    evaluate,
    load_corpus,
    load_queries,
)

OUT = ROOT / "bench-results"
PUBLISHED = {"bm25": 0.679, "dense": 0.645}


def build(path: Path, emb: SentenceTransformerEmbedder) -> Collection:
    """The collection database (rebuilt when missing), with cached document embeddings."""
    corpus = load_corpus(path)
    vecs = cached_embeddings([doc_text(d) for d in corpus], emb, OUT / "scifact-corpus.npy")
    db = OUT / "scifact.sqlite"
    fresh = not db.exists()
    col = Collection(db)
    if fresh:
        col.add(documents_from(corpus), vecs, emb.name, replace=False)
    return col


def lists(eng: SearchEngine, queries: dict[str, str], mode: str, k: int) -> dict[str, list[tuple[str, float]]]:
    out = {}
    for qid, text in queries.items():
        res = eng.search(text, limit=k, mode=mode, snippets=False)
        out[qid] = [(h.id, h.score) for h in res.hits]
    return out


def fused_runs(bm: dict[str, list[tuple[str, float]]], de: dict[str, list[tuple[str, float]]],
               cfg: SearchConfig) -> dict[str, list[str]]:
    runs = {}
    for qid in bm:
        runs[qid] = [d for d, _ in fuse(bm[qid], de[qid], cfg)[:100]]  # type: ignore[arg-type]
    return runs


def tune(bm: dict[str, list[tuple[str, float]]], de: dict[str, list[tuple[str, float]]],
         qrels: dict[str, dict[str, int]]) -> tuple[SearchConfig, list[dict[str, object]]]:
    """Grid over RRF (k, BM25 weight) and convex fusion (alpha) on the train split; best nDCG@10 wins."""
    grid = [SearchConfig(fusion="rrf", rrf_k=k, bm25_weight=w)
            for k in (5, 10, 20, 40, 60, 100) for w in (0.5, 0.75, 1.0, 1.25, 1.5, 2.0)]
    grid += [SearchConfig(fusion="convex", alpha=a) for a in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)]
    table = []
    for cfg in grid:
        m = evaluate(fused_runs(bm, de, cfg), qrels)
        table.append({"fusion": cfg.fusion, "rrf_k": cfg.rrf_k, "bm25_weight": cfg.bm25_weight,
                      "alpha": cfg.alpha, **m})
    best = max(range(len(grid)), key=lambda i: (table[i]["ndcg@10"], table[i]["recall@100"]))
    return grid[best], table


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "bench" / "scifact"
    t0 = time.perf_counter()
    emb = SentenceTransformerEmbedder()
    col = build(path, emb)
    train_q, train_rel = load_queries(path, "train")
    test_q, test_rel = load_queries(path, "test")
    base = col.search_engine(emb)
    depth = base.config.depth * base.config.sections_per_hit  # what the engine takes for limit=100
    tr_bm, tr_de = lists(base, train_q, "bm25", depth), lists(base, train_q, "dense", depth)
    best, table = tune(tr_bm, tr_de, train_rel)
    print(f"chosen on train: {best.fusion} k={best.rrf_k} w_bm25={best.bm25_weight} alpha={best.alpha}")
    default_rrf = next(r for r in table if r["fusion"] == "rrf" and r["rrf_k"] == 60 and r["bm25_weight"] == 1.0)
    results: dict[str, object] = {"collection": str(path), "documents": len(load_corpus(path)),
                                  "model": emb.name, "train_tuning": table, "chosen": asdict(best),
                                  "train_rrf60": default_rrf}
    test: dict[str, dict[str, object]] = {}
    for name, mode, cfg in (("bm25", "bm25", base.config), ("dense", "dense", base.config),
                            ("hybrid", "hybrid", best),
                            ("hybrid_rrf60", "hybrid", replace(best, fusion="rrf", rrf_k=60.0, bm25_weight=1.0))):
        eng = SearchEngine(col.engine, emb, cfg)
        runs = {qid: [h.id for h in eng.search(text, limit=100, mode=mode, snippets=False).hits]
                for qid, text in test_q.items()}
        test[name] = evaluate(runs, test_rel)
        if name in PUBLISHED:
            test[name]["published_ndcg@10"] = PUBLISHED[name]
            test[name]["delta"] = round(float(test[name]["ndcg@10"]) - PUBLISHED[name], 4)  # type: ignore[arg-type]
        print(f"test {name:<13} nDCG@10 {test[name]['ndcg@10']:.4f}  Recall@100 {test[name]['recall@100']:.4f}",
              flush=True)
    results["test"] = test
    results["seconds"] = round(time.perf_counter() - t0, 1)
    OUT.mkdir(exist_ok=True)
    (OUT / "scifact.json").write_text(json.dumps(results, indent=2))
    print(f"wrote {OUT / 'scifact.json'} in {results['seconds']}s")


if __name__ == "__main__":
    main()
