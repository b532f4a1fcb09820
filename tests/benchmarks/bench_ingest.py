"""Benchmark: full-ingest chunks/s against raw model.encode chunks/s on the same texts, and an unchanged re-ingest.

Prints the figures and writes them to bench-results/ingest.json. Not a timed test.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from ingest.loader import parse_tree, run_ingest  # noqa: E402
from kb.embeddings import SentenceTransformerEmbedder  # noqa: E402
from kb.store import write as store  # noqa: E402


class CountingEmbedder(SentenceTransformerEmbedder):
    """The real embedder, noting whether it was asked to load the model."""

    def _load(self):  # type: ignore[no-untyped-def]
        self.load_requests = getattr(self, "load_requests", 0) + 1
        return super()._load()


def main() -> None:
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "solutions"
    records, errors, _ = parse_tree(corpus)
    texts = [c.text for r in records for c in store.chunk_texts(r)]
    model = SentenceTransformerEmbedder()
    model.encode(texts[:8])  # load and warm up outside the timings
    raw_runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        model.encode(texts, batch_size=64)
        raw_runs.append(time.perf_counter() - t0)
    raw = statistics.median(raw_runs)
    ingest_runs, reingest_runs = [], []
    loads = 0
    for _ in range(3):
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "kb.sqlite"
            t0 = time.perf_counter()
            res = run_ingest(corpus, db, model)
            ingest_runs.append(time.perf_counter() - t0)
            cold = CountingEmbedder()
            t0 = time.perf_counter()
            again = run_ingest(corpus, db, cold)
            reingest_runs.append(time.perf_counter() - t0)
            loads += getattr(cold, "load_requests", 0)
            assert again.chunks_embedded == 0
    full = statistics.median(ingest_runs)
    out = {
        "records": len(records), "chunks": len(texts), "invalid_records": len(errors),
        "raw_encode_chunks_per_s": round(len(texts) / raw, 1),
        "ingest_chunks_per_s": round(res.chunks_embedded / full, 1),
        "ratio_ingest_to_raw": round((res.chunks_embedded / full) / (len(texts) / raw), 3),
        "reingest_unchanged_median_s": round(statistics.median(reingest_runs), 3),
        "reingest_model_loads": loads,
        "runs": 3,
    }
    print(json.dumps(out, indent=2))
    dest = ROOT / "bench-results"
    dest.mkdir(exist_ok=True)
    (dest / "ingest.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
