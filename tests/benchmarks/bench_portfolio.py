"""Benchmark: a 10-measure portfolio in Kraków with 10,000 Monte Carlo samples (target ≤ 100 ms).

Ingests the bundled records with the fake embedder into a temporary database (or uses --db), prepares the
portfolio once (record reading is not timed), then times the full estimate — sampling, every metric (life-cycle
economics included: NPV, IRR, discounted payback, LCOE/LCOH, net abatement cost), percentiles, the Sobol
sensitivity and the assumption table — and the sampling + metrics step alone. The same plan without its economic
inputs (the evaluation path before the life-cycle economics) is timed in the same run, interleaved, and the ratio
is reported. Prints the figures and writes bench-results/portfolio.json. Not a timed test.
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
from dataclasses import replace
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
    city = find_city(engine, "krakow")
    general = load_factors(engine)
    skipped: list[str] = []
    for mid, scale in PORTFOLIO:
        try:
            item = PortfolioItem(load_measure_type(engine, mid), scale)
            if "npv" not in prepare([item], city, general).available():  # e.g. no district-heat price: no economics
                skipped.append(mid)
                continue
            items.append(item)
        except (NotAMeasureType, LookupError):
            continue
        if len(items) == 10:
            break
    if skipped:
        print(f"left out (no life-cycle economics in Kraków, e.g. no district-heat price): {', '.join(skipped)}",
              file=sys.stderr)
    if len(items) < 10:
        print(f"only {len(items)} measure types with valid parameters; the portfolio repeats some", file=sys.stderr)
        items += [PortfolioItem(it.measure_type, it.scale * 2) for it in items][: 10 - len(items)]
    t0 = time.perf_counter()
    plan = prepare(items, city, general)
    prepare_ms = (time.perf_counter() - t0) * 1e3
    # the evaluation path without life-cycle economics: the same plan, no discount rate, no economic inputs
    old = replace(plan, economics=None)
    estimate(plan, args.samples, 0)  # warm-up
    estimate(old, args.samples, 0)
    full, sim, old_full, old_sim = [], [], [], []
    for i in range(args.repeats):
        t = time.perf_counter()
        est = estimate(plan, args.samples, i)
        full.append((time.perf_counter() - t) * 1e3)
        t = time.perf_counter()
        plan.simulate(args.samples, i)
        sim.append((time.perf_counter() - t) * 1e3)
        t = time.perf_counter()
        estimate(old, args.samples, i)
        old_full.append((time.perf_counter() - t) * 1e3)
        t = time.perf_counter()
        old.simulate(args.samples, i)
        old_sim.append((time.perf_counter() - t) * 1e3)
    ratio = statistics.median(full) / statistics.median(old_full)
    result = {
        "benchmark": "portfolio Monte Carlo", "city": city.id, "measures": [it.measure_type.id for it in items],
        "left_out": skipped,
        "samples": args.samples, "repeats": args.repeats, "uncertain_inputs": sum(i.uncertain for i in plan.inputs),
        "prepare_ms": round(prepare_ms, 2),
        "estimate_ms": {"median": round(statistics.median(full), 2),
                        "p95": round(sorted(full)[int(.95 * len(full)) - 1], 2), "min": round(min(full), 2)},
        "simulate_ms": {"median": round(statistics.median(sim), 2), "min": round(min(sim), 2)},
        "without_economics_ms": {"estimate_median": round(statistics.median(old_full), 2),
                                 "simulate_median": round(statistics.median(old_sim), 2)},
        "ratio_to_without_economics": round(ratio, 2),
        "economic_metrics": sorted(m for m in est.metrics if m in ("npv", "irr", "discounted_payback", "lcoe",
                                                                   "lcoh", "net_abatement_cost")),
        "target_ms": 100, "meets_target": statistics.median(full) <= 100,
        "co2_avoided_tCO2_per_yr": est.metrics["co2_avoided"].to_dict(),
        "npv_EUR": est.metrics["npv"].to_dict() if "npv" in est.metrics else None,
        "python": platform.python_version(), "machine": platform.machine(),
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "portfolio.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"{len(items)} measures × {args.samples} samples in {city.name}: full estimate median "
          f"{result['estimate_ms']['median']} ms (p95 {result['estimate_ms']['p95']}), sampling + metrics "
          f"{result['simulate_ms']['median']} ms; target ≤ 100 ms: {'met' if result['meets_target'] else 'MISSED'}")
    print(f"without the life-cycle economics (same run): full estimate median "
          f"{result['without_economics_ms']['estimate_median']} ms → ratio {result['ratio_to_without_economics']}×")
    print(f"written {OUT / 'portfolio.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
