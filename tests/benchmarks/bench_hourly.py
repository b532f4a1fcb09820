"""Benchmark: hour-by-hour dispatch of 8,760 hours × 500 samples with a battery, plus KPIs and PED classification.

Synthetic profiles (a seeded PV bell scaled by a seasonal factor and a load with an evening peak, each sample scaled
by a random factor; shapes only, no sourced figures) feed ``kb.hourly.dispatch``. Timed, interleaved in the same
run: the dispatch with a battery, the KPIs, the dispatch without a battery (fully vectorised), and the annual
arithmetic of the same inputs (import = max(load − PV, 0) summed; the annual model's view). Reports median wall
times, their ratio to the annual arithmetic, and the peak traced memory (tracemalloc) and the process's maximum
resident set size. Prints the figures and writes bench-results/hourly.json. Not a timed test.
Usage: python tests/benchmarks/bench_hourly.py [--repeats N] [--samples N]
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from kb.hourly.dispatch import HOURS_PER_YEAR, Battery, dispatch, kpis  # noqa: E402
from kb.hourly.ped import CarrierExchange, classify  # noqa: E402

OUT = ROOT / "bench-results"


def profiles(samples: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    h = np.arange(HOURS_PER_YEAR)
    hod = h % 24
    season = 0.6 + 0.4 * np.cos(2 * np.pi * (h / HOURS_PER_YEAR - 0.47))  # higher in summer
    bell = np.clip(np.sin(np.pi * (hod - 6) / 12), 0, None)
    pv = 100.0 * season * bell  # kWh/h for a 100-unit shape; scaled per sample
    load = 40.0 + 30.0 * ((hod >= 17) & (hod <= 21)) + 10.0 * (1 - season)
    pv_s = pv[None, :] * rng.uniform(0.7, 1.3, (samples, 1))
    load_s = load[None, :] * rng.uniform(0.8, 1.2, (samples, 1))
    return load_s, pv_s


def timed(fn: Callable[[], object], repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--samples", type=int, default=500)
    args = ap.parse_args()
    load, pv = profiles(args.samples)
    rng = np.random.default_rng(1)
    battery = Battery(capacity_kwh=rng.uniform(200, 800, args.samples), power_kw=250.0,
                      round_trip_efficiency=rng.uniform(0.85, 0.92, args.samples), min_soc=0.1)
    # warm-up (first touch of the arrays)
    result = dispatch(load, pv, battery)

    def annual() -> object:
        return np.clip(load - pv, 0, None).sum(axis=-1), np.clip(pv - load, 0, None).sum(axis=-1)

    def with_battery() -> object:
        return dispatch(load, pv, battery)

    def no_battery() -> object:
        return dispatch(load, pv)

    def kpi() -> object:
        return kpis(result)

    times: dict[str, list[float]] = {"annual": [], "dispatch_battery": [], "dispatch_no_battery": [], "kpis": []}
    for _ in range(args.repeats):  # interleaved so that machine load hits all alike
        times["annual"] += timed(annual, 1)
        times["dispatch_battery"] += timed(with_battery, 1)
        times["dispatch_no_battery"] += timed(no_battery, 1)
        times["kpis"] += timed(kpi, 1)
    t0 = time.perf_counter()
    # illustrative factors for the timing only (not sourced): the classification is not a finding
    status = classify([CarrierExchange("electricity", result.grid_import[0], pef=2.0, co2_kg_per_kwh=0.7,
                                      export_kwh=result.grid_export[0])])
    classify_s = time.perf_counter() - t0
    tracemalloc.start()
    r = dispatch(load, pv, battery)
    kpis(r)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    med = {k: statistics.median(v) for k, v in times.items()}
    figures = {
        "samples": args.samples, "hours": HOURS_PER_YEAR, "repeats": args.repeats,
        "median_s": med,
        "ratio_to_annual": {k: med[k] / med["annual"] for k in med if k != "annual"},
        "classify_one_sample_s": classify_s,
        "peak_traced_mb_dispatch_plus_kpis": peak / 2**20,
        "max_rss_mb_process": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "example_sample0": {"self_consumption": float(kpis(r)["self_consumption"][0]),
                            "cycles": float(r.cycles[0]), "ped_met": list(status.met)},
        "machine": {"python": platform.python_version(), "numpy": np.__version__, "cpu": platform.processor()},
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "hourly.json").write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))  # a benchmark script prints; the library does not
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
