"""Benchmark: recall@3 and MRR per language (pl, hu, sk, lv, da, pt, es, nl beside en) on the bundled corpus.

Ingests ``solutions/`` into a temporary database with the configured model (``KB_MODEL``, default the bundled
all-MiniLM-L6-v2), runs every query of ``multilingual_queries.json`` through ``kb.search.engine`` (hybrid, the
shipped configuration) and prints one row per language. recall@3 is the share of queries with at least one
relevant record in the top 3 (every listed id answers the need); MRR is the mean reciprocal rank of the first
relevant record (0 when none in the top 10). Both query sets are run (the main set, seen while the glossary was
written, and the held-out set, written after it was frozen), each with the glossary on (shipped) and off (before).
Writes bench-results/multilingual.json. Not a timed test.
Usage: python tests/benchmarks/bench_multilingual.py [--mode hybrid|bm25|dense] [--show-misses] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path

from sqlalchemy import Engine

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from ingest.loader import run_ingest  # noqa: E402
from kb.config import Settings  # noqa: E402
from kb.embeddings import Embedder, make_embedder  # noqa: E402
from kb.search.engine import SearchConfig, SearchEngine  # noqa: E402
from kb.store import database  # noqa: E402

QUERIES = Path(__file__).with_name("multilingual_queries.json")
HELDOUT = Path(__file__).with_name("multilingual_queries_heldout.json")
OUT = ROOT / "bench-results"
LANGS = ("en", "pl", "hu", "sk", "lv", "da", "pt", "es", "nl")


def load_queries(path: Path = QUERIES) -> list[dict[str, object]]:
    """``[{"lang", "query", "relevant", "need"}]`` flattened from the needs file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    out: list[dict[str, object]] = []
    for need in data["needs"]:
        for lang, qs in need["queries"].items():
            for q in qs:
                out.append({"lang": lang, "query": q, "relevant": list(need["relevant"]), "need": need["need"]})
    return out


def keyword_overlap(queries: list[dict[str, object]], root: Path) -> int:
    """How many queries appear verbatim (case-folded) inside some record's ``keywords:`` list."""
    from ingest.loader import parse_tree

    records, _, _ = parse_tree(root)
    kws = {str(k).casefold() for r in records for k in (r.front.get("keywords") or [])}
    return sum(1 for q in queries if str(q["query"]).casefold() in kws)


def evaluate(engine: SearchEngine, queries: list[dict[str, object]], mode: str = "hybrid",
             k: int = 10) -> tuple[dict[str, dict[str, float]], list[dict[str, object]]]:
    """Per-language recall@3 and MRR, and one row per query (its top 3 and the language the engine read)."""
    rows: list[dict[str, object]] = []
    for q in queries:
        res = engine.search(str(q["query"]), limit=k, mode=mode, snippets=False)
        ids = [h.id for h in res.hits]
        rel = set(q["relevant"])  # type: ignore[arg-type]
        first = next((i + 1 for i, d in enumerate(ids) if d in rel), None)
        rows.append({"lang": q["lang"], "query": q["query"], "hit@3": bool(first and first <= 3),
                     "rank": first, "top3": ids[:3], "read_as": getattr(res, "language", "")})
    table: dict[str, dict[str, float]] = {}
    for lang in LANGS:
        mine = [r for r in rows if r["lang"] == lang]
        if not mine:
            continue
        table[lang] = {"queries": len(mine),
                       "recall@3": round(sum(bool(r["hit@3"]) for r in mine) / len(mine), 4),
                       "mrr": round(sum(1.0 / r["rank"] if r["rank"] else 0.0 for r in mine) / len(mine), 4)}  # type: ignore[operator]
    return table, rows


def build(embedder: Embedder, where: Path) -> Engine:
    db = where / "kb.sqlite"
    res = run_ingest(Settings.from_env().solutions_dir, db, embedder)
    if res.errors:
        raise SystemExit(f"ingest errors: {[e.to_dict() for e in res.errors][:3]}")
    return database.get_engine(db)


def print_table(title: str, after: dict[str, dict[str, float]], before: dict[str, dict[str, float]]) -> None:
    print(f"\n{title}")
    print(f"{'lang':<5}{'n':>4}{'recall@3':>10}{'MRR':>8}   {'before: recall@3':>16}{'MRR':>8}")
    for lang, m in after.items():
        b = before.get(lang, {})
        print(f"{lang:<5}{int(m['queries']):>4}{m['recall@3']:>10.3f}{m['mrr']:>8.3f}   "
              f"{b.get('recall@3', 0):>16.3f}{b.get('mrr', 0):>8.3f}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mode", default="hybrid", choices=["hybrid", "bm25", "dense"])
    ap.add_argument("--out", type=Path, default=OUT / "multilingual.json")
    ap.add_argument("--show-misses", action="store_true")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    sets = {"main": load_queries(QUERIES), "heldout": load_queries(HELDOUT)}
    embedder = make_embedder(Settings.from_env().model)
    shipped = SearchConfig()
    results: dict[str, object] = {"model": embedder.name, "mode": args.mode, "config": asdict(shipped),
                                  "definition": "recall@3: share of queries with a relevant record in the top 3; "
                                                "MRR: mean 1/rank of the first relevant record in the top 10"}
    with tempfile.TemporaryDirectory() as tmp:
        engine = build(embedder, Path(tmp))
        for name, queries in sets.items():
            after, rows = evaluate(SearchEngine(engine, embedder, shipped), queries, args.mode)
            before, _ = evaluate(SearchEngine(engine, embedder, replace(shipped, translate=False)), queries, args.mode)
            overlap = keyword_overlap(queries, Settings.from_env().solutions_dir)
            print_table(f"{name}: {len(queries)} queries ({overlap} verbatim in a keyword list), model "
                        f"{embedder.name}, mode {args.mode}; glossary on, and before (glossary off)", after, before)
            if args.show_misses:
                for r in rows:
                    if not r["hit@3"]:
                        print(f"  miss {r['lang']} rank={r['rank']} read as {r['read_as']!r}: {r['query']} "
                              f"-> {r['top3']}")
            results[name] = {"queries": len(queries), "verbatim_in_keywords": overlap, "table": after,
                             "before": before, "rows": rows}
        engine.dispose()
    results["seconds"] = round(time.perf_counter() - t0, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n")
    print(f"\nwrote {args.out} in {results['seconds']}s")


if __name__ == "__main__":
    main()
