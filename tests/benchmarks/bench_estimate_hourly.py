"""Benchmark: a PV + battery estimate in Kraków at the default samples, hour by hour against the annual model.

Ingests the bundled records with the fake embedder into a temporary database (or uses --db) and times, interleaved
in the same run, ``estimate_solution`` of Schoonschip's PV and batteries replicated to Kraków (500 kWp, 500 kWh) at
the default 5,000 samples and seed 42:

- ``annual``: ``hourly=False`` (PV self-consumption and battery cycles from the annual parameters);
- ``hourly``: the default, dispatched hour by hour in the reference district (one exact run for the central
  estimate, a grid of dispatch runs for the draws, the Sobol design and the KPI ranges).

The first hourly call builds the cached PV and load shapes (pvlib, demandlib): reported as ``cold_first_hourly_s``.
Reports the median wall times, their ratio, the peak traced memory (tracemalloc) of one run of each, the grid size,
and the figures a planner reads (self-consumption without and with the battery, cycles, the battery's value).
Prints them and writes bench-results/estimate_hourly.json. Not a timed test.
Usage: python tests/benchmarks/bench_estimate_hourly.py [--db FILE] [--repeats N] [--samples N]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from ingest.loader import run_ingest  # noqa: E402
from kb.config import Settings  # noqa: E402
from kb.embeddings import FakeEmbedder  # noqa: E402
from kb.replication.simulation import DEFAULT_SAMPLES, Estimate  # noqa: E402
from kb.replication.solution import estimate_solution  # noqa: E402
from kb.store import database  # noqa: E402

OUT = ROOT / "bench-results"
SOLUTION = "ams-schoonschip-pv-heatpumps"
SCALES = {"rooftop-pv": 500.0, "battery-storage": 500.0}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--samples", type=int, default=DEFAULT_SAMPLES)
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    db = Path(args.db) if args.db else Path(tmp.name) / "kb.sqlite"
    if not args.db:
        run_ingest(Settings.from_env().solutions_dir, db, FakeEmbedder(name="fake-hash"))
    engine = database.get_engine(db)

    def run(hourly: bool) -> Estimate:
        return estimate_solution(engine, SOLUTION, "krakow", SCALES, samples=args.samples, hourly=hourly)

    run(False)  # warm-up: record reading
    t = time.perf_counter()
    est = run(True)
    cold = time.perf_counter() - t
    times: dict[str, list[float]] = {"annual": [], "hourly": []}
    for _ in range(args.repeats):  # interleaved so that machine load hits both alike
        for name in times:
            t = time.perf_counter()
            run(name == "hourly")
            times[name].append(time.perf_counter() - t)
    peaks: dict[str, float] = {}
    for name in times:
        tracemalloc.start()
        run(name == "hourly")
        peaks[name] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    med = {k: statistics.median(v) for k, v in times.items()}
    h = est.hourly or {}
    gain = h.get("battery_gain", {})
    figures = {
        "benchmark": "PV + battery estimate in Kraków, hour by hour vs annual", "solution": SOLUTION,
        "scales": SCALES, "samples": args.samples, "seed": 42, "repeats": args.repeats,
        "median_s": {k: round(v, 4) for k, v in med.items()},
        "min_s": {k: round(min(v), 4) for k, v in times.items()},
        "ratio_hourly_to_annual": round(med["hourly"] / med["annual"], 2),
        "cold_first_hourly_s": round(cold, 3),
        "peak_traced_mb": {k: round(v, 1) for k, v in peaks.items()},
        "note": h.get("note"),
        "homes": h.get("district", {}).get("homes"),
        "self_consumption_without_with_battery": gain.get("self_consumption"),
        "battery_cycles": gain.get("cycles"), "battery_value_eur": gain.get("value_eur"),
        "aim": "an interactive page within about 2 s and under 1 GB",
        "meets_aim": med["hourly"] <= 2.0 and peaks["hourly"] < 1024,
        "machine": {"python": platform.python_version(), "machine": platform.machine(),
                    "cpu": platform.processor()},
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "estimate_hourly.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
    print(json.dumps(figures, indent=2))  # a benchmark script prints; the library does not
    print(f"written {OUT / 'estimate_hourly.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
