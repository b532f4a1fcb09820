"""Benchmark: a 10-measure portfolio in Kraków with 10,000 Monte Carlo samples (target ≤ 100 ms).

Ingests the bundled records with the fake embedder into a temporary database (or uses --db), prepares the
portfolio once (record reading is not timed), then times the full estimate — sampling, every metric,
percentiles, one-at-a-time sensitivity and the assumption table — and the sampling + metrics step alone.
Prints the figures and writes bench-results/portfolio.json. Not a timed test.
Usage: python tests/benchmarks/bench_portfolio.py [--db FILE] [--repeats N] [--samples N]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from ingest.loader import run_ingest  # noqa: E402
from kb.config import Settings  # noqa: E402
from kb.embeddings import FakeEmbedder  # noqa: E402
from kb.replication.cities import find_city  # noqa: E402
from kb.replication.inputs import NotAMeasureType, load_factors, load_measure_type  # noqa: E402
from kb.replication.simulation import PortfolioItem, estimate, prepare  # noqa: E402
from kb.store import database  # noqa: E402

OUT = ROOT / "bench-results"
PORTFOLIO: list[tuple[str, float]] = [
    ("rooftop-pv", 400), ("facade-pv", 80), ("battery-storage", 500), ("air-source-heat-pump", 120),
    ("ground-source-heat-pump", 60), ("thermal-network", 200), ("wastewater-heat-recovery", 300),
    ("energy-management", 500), ("ev-charging", 40), ("aquathermal", 46), ("deep-retrofit", 120),
    ("green-roof", 2000), ("car-sharing", 20), ("ates", 100),
]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db")
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--samples", type=int, default=10_000)
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    db = Path(args.db) if args.db else Path(tmp.name) / "kb.sqlite"
    if not args.db:
        run_ingest(Settings.from_env().solutions_dir, db, FakeEmbedder(name="fake-hash"))
    engine = database.get_engine(db)
    items: list[PortfolioItem] = []
    for mid, scale in PORTFOLIO:
        try:
            items.append(PortfolioItem(load_measure_type(engine, mid), scale))
        except (NotAMeasureType, LookupError):
            continue
        if len(items) == 10:
            break
    if len(items) < 10:
        print(f"only {len(items)} measure types with valid parameters; the portfolio repeats some", file=sys.stderr)
        items += [PortfolioItem(it.measure_type, it.scale * 2) for it in items][: 10 - len(items)]
    city = find_city(engine, "krakow")
    t0 = time.perf_counter()
    plan = prepare(items, city, load_factors(engine))
    prepare_ms = (time.perf_counter() - t0) * 1e3
    estimate(plan, args.samples, 0)  # warm-up
    full, sim = [], []
    for i in range(args.repeats):
        t = time.perf_counter()
        est = estimate(plan, args.samples, i)
        full.append((time.perf_counter() - t) * 1e3)
        t = time.perf_counter()
        plan.simulate(args.samples, i)
        sim.append((time.perf_counter() - t) * 1e3)
    result = {
        "benchmark": "portfolio Monte Carlo", "city": city.id, "measures": [it.measure_type.id for it in items],
        "samples": args.samples, "repeats": args.repeats, "uncertain_inputs": sum(i.uncertain for i in plan.inputs),
        "prepare_ms": round(prepare_ms, 2),
        "estimate_ms": {"median": round(statistics.median(full), 2),
                        "p95": round(sorted(full)[int(.95 * len(full)) - 1], 2), "min": round(min(full), 2)},
        "simulate_ms": {"median": round(statistics.median(sim), 2), "min": round(min(sim), 2)},
        "target_ms": 100, "meets_target": statistics.median(full) <= 100,
        "co2_avoided_tCO2_per_yr": est.metrics["co2_avoided"].to_dict(),
        "python": platform.python_version(), "machine": platform.machine(),
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "portfolio.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"{len(items)} measures × {args.samples} samples in {city.name}: full estimate median "
          f"{result['estimate_ms']['median']} ms (p95 {result['estimate_ms']['p95']}), sampling + metrics "
          f"{result['simulate_ms']['median']} ms; target ≤ 100 ms: {'met' if result['meets_target'] else 'MISSED'}")
    print(f"written {OUT / 'portfolio.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
