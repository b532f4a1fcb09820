"""BEIR-format data (corpus.jsonl, queries*.jsonl, qrels*.tsv), cached embeddings and nDCG/Recall metrics."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from kb.embeddings import Embedder


def load_corpus(path: Path) -> list[dict[str, str]]:
    """``[{"id", "title", "text"}]`` in file order."""
    out = []
    with open(path / "corpus.jsonl", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            out.append({"id": str(d["_id"]), "title": d.get("title") or "", "text": d.get("text") or ""})
    return out


def load_queries(path: Path, split: str) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    """Queries that have relevance judgements in ``split`` (``test`` or ``train``), and the judgements."""
    suffix = "" if split == "test" else f"_{split}"
    qrels: dict[str, dict[str, int]] = {}
    with open(path / f"qrels{suffix}.tsv", encoding="utf-8") as f:
        next(f)
        for line in f:
            qid, did, score = line.rstrip("\n").split("\t")
            qrels.setdefault(qid, {})[did] = int(score)
    queries: dict[str, str] = {}
    with open(path / f"queries{suffix}.jsonl", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            if str(d["_id"]) in qrels:
                queries[str(d["_id"])] = d["text"]
    return queries, qrels


def doc_text(doc: dict[str, str]) -> str:
    """Title and text, as MTEB and Pyserini index them."""
    return f"{doc['title']} {doc['text']}".strip()


def cached_embeddings(texts: list[str], embedder: Embedder, cache: Path, batch_size: int = 64) -> np.ndarray:
    """Embed ``texts`` once; later runs read ``cache`` (.npy) if the texts and model are unchanged."""
    key = hashlib.sha256((embedder.name + "\n" + "\n".join(texts)).encode()).hexdigest()
    meta = cache.with_suffix(".json")
    if cache.exists() and meta.exists() and json.loads(meta.read_text()).get("key") == key:
        return np.load(cache)
    cache.parent.mkdir(parents=True, exist_ok=True)
    vecs = embedder.encode(texts, batch_size=batch_size)
    np.save(cache, vecs)
    meta.write_text(json.dumps({"key": key, "model": embedder.name, "n": len(texts)}))
    return vecs


def ndcg_at(ranked: list[str], rel: dict[str, int], k: int = 10) -> float:
    """nDCG@k with graded gains (pytrec_eval / BEIR definition)."""
    dcg = sum(rel.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(rel.values(), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at(ranked: list[str], rel: dict[str, int], k: int = 100) -> float:
    relevant = {d for d, g in rel.items() if g > 0}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def evaluate(runs: dict[str, list[str]], qrels: dict[str, dict[str, int]]) -> dict[str, Any]:
    """Mean nDCG@10 and Recall@100 over the queries in ``runs``."""
    nd = [ndcg_at(runs[q], qrels[q]) for q in runs]
    rc = [recall_at(runs[q], qrels[q]) for q in runs]
    return {"ndcg@10": round(float(np.mean(nd)), 4), "recall@100": round(float(np.mean(rc)), 4),
            "queries": len(runs)}
