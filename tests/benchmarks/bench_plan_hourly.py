"""Benchmark: the Kraków example plan at its default samples, with the hourly part (8,760 h) against the annual model.

Ingests the bundled records with the fake embedder into a temporary database (or uses --db), reads
solutions/plans/krakow-example-district.toml and times, interleaved in the same run, three evaluations of the plan
at its own number of samples and seed (``evaluate_plan``, shortfall and suggestions included):

- ``annual``: the annual model alone (``with_hourly=False``);
- ``central_hourly``: plus the hourly balance of the central estimate only (no draws: ``HOURLY_DRAWS`` set to 0 in
  this script, for the breakdown);
- ``hourly``: the page's evaluation, the central hourly balance and its ranges over the first ``HOURLY_DRAWS`` draws
  (one batched dispatch, a PED classification per draw).

The first call of each is a warm-up (the hourly one builds the cached PV, heat and load shapes with pvlib and
demandlib; its time is reported as ``cold_first_hourly_s``). Reports the median wall times, the ratio of each to the
annual model, the peak traced memory (tracemalloc) of one run of each, and the growth of the process's maximum
resident set size over the first hourly run. Prints the figures and writes bench-results/plan_hourly.json.
Not a timed test. Usage: python tests/benchmarks/bench_plan_hourly.py [--db FILE] [--repeats N]
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import kb.plans.evaluate as evaluate  # noqa: E402
from ingest.loader import run_ingest  # noqa: E402
from kb.config import Settings  # noqa: E402
from kb.embeddings import FakeEmbedder  # noqa: E402
from kb.plans.evaluate import PlanResult, evaluate_plan  # noqa: E402
from kb.plans.model import read_plan  # noqa: E402
from kb.store import database  # noqa: E402

OUT = ROOT / "bench-results"
PLAN = ROOT / "solutions" / "plans" / "krakow-example-district.toml"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    db = Path(args.db) if args.db else Path(tmp.name) / "kb.sqlite"
    if not args.db:
        run_ingest(Settings.from_env().solutions_dir, db, FakeEmbedder(name="fake-hash"))
    engine = database.get_engine(db)
    spec = read_plan(PLAN)
    draws = evaluate.HOURLY_DRAWS

    def annual() -> PlanResult:
        return evaluate_plan(engine, spec, with_hourly=False)

    def central_hourly() -> PlanResult:
        evaluate.HOURLY_DRAWS = 0  # the central hourly balance alone, for the breakdown
        try:
            return evaluate_plan(engine, spec)
        finally:
            evaluate.HOURLY_DRAWS = draws

    def hourly() -> PlanResult:
        return evaluate_plan(engine, spec)

    runs: dict[str, Callable[[], PlanResult]] = {"annual": annual, "central_hourly": central_hourly,
                                                 "hourly": hourly}
    annual()  # warm-up: record reading, first touch
    rss_before = _rss_mb()
    t = time.perf_counter()
    result = hourly()  # warm-up of the hourly part: builds the cached shapes
    cold = time.perf_counter() - t
    rss_growth = _rss_mb() - rss_before
    central_hourly()
    times: dict[str, list[float]] = {k: [] for k in runs}
    for _ in range(args.repeats):  # interleaved so that machine load hits all alike
        for name, fn in runs.items():
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    peaks: dict[str, float] = {}
    for name, fn in runs.items():
        tracemalloc.start()
        fn()
        peaks[name] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    med = {k: statistics.median(v) for k, v in times.items()}
    h = result.hourly or {}
    figures = {
        "benchmark": "Kraków example plan, hourly vs annual", "plan": PLAN.name, "samples": result.samples,
        "seed": result.seed, "hourly_draws": h.get("draws"), "hours": 8760, "repeats": args.repeats,
        "median_s": {k: round(v, 4) for k, v in med.items()},
        "min_s": {k: round(min(v), 4) for k, v in times.items()},
        "ratio_to_annual": {k: round(med[k] / med["annual"], 2) for k in med if k != "annual"},
        "hourly_part_s": {"central": round(med["central_hourly"] - med["annual"], 4),
                          "ranges": round(med["hourly"] - med["central_hourly"], 4)},
        "cold_first_hourly_s": round(cold, 3),
        "peak_traced_mb": {k: round(v, 1) for k, v in peaks.items()},
        "max_rss_growth_mb_first_hourly_run": round(rss_growth, 1),
        "max_rss_mb_process": round(_rss_mb(), 1),
        "aim": "an interactive page within about 2 s and under 1 GB",
        "meets_aim": med["hourly"] <= 2.0 and _rss_mb() < 1024,
        "kpis_central": {k: h.get("kpis", {}).get(k) for k in ("self_consumption", "self_sufficiency",
                                                                "peak_import_kw", "hours_of_net_import")},
        "kpi_ranges": {k: h.get("kpi_ranges", {}).get(k) for k in ("self_consumption", "self_sufficiency",
                                                                    "peak_import_kw", "hours_of_net_import")},
        "ped_share": h.get("ped_share"),
        "machine": {"python": platform.python_version(), "machine": platform.machine(),
                    "cpu": platform.processor()},
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "plan_hourly.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
    print(json.dumps(figures, indent=2))  # a benchmark script prints; the library does not
    print(f"written {OUT / 'plan_hourly.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
