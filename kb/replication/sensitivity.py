"""Global sensitivity of an estimate: Sobol first-order and total indices (SALib) plus the low/high swing of each input.

Every uncertain input varies over its own triangle (low, mid, high). SALib draws a scrambled Sobol' sequence on the
unit cube (Saltelli's scheme without second-order terms: ``N × (k + 2)`` points for ``k`` inputs and ``N`` base
samples, :data:`BASE_SAMPLES` = 512); each point is mapped through the triangle's inverse distribution function and
the whole design is evaluated in one vectorised call of ``Plan.evaluate``. SALib's estimators then give, per
metric, the first-order index S1 (the share of the variance an input explains alone) and the total index ST (alone
and with every interaction), with bootstrap confidence half-widths. The design and the bootstrap are SALib's
(``SALib.sample.sobol.sample`` / ``SALib.analyze.sobol.analyze``, same numbers, tested) done with array operations
over all inputs at once: SALib's loops over inputs cost about a second for a 10-measure portfolio.

The verdict names an input only when it dominates (:func:`verdict`): **ST ≥ 0.5 and at least twice the ST of the
next input**. Otherwise it says "no single input dominates"; when the metric does not vary at all it says
:data:`NO_SPREAD` instead of naming an arbitrary input. The one-at-a-time swing (each input at its low and at its
high, all others at mid) is kept in every row as ``at_low`` / ``at_high`` / ``swing`` for the tornado chart.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from SALib.analyze.sobol import first_order, total_order  # type: ignore[import-untyped]  # SALib: no type hints
from scipy.stats import norm, qmc

from kb.replication.inputs import Input


class Plan(Protocol):
    """What the analysis needs of :class:`kb.replication.simulation.Plan` (no import: simulation calls this module)."""

    @property
    def inputs(self) -> list[Input]: ...

    def central_values(self) -> dict[str, float]: ...

    def evaluate(self, values: Mapping[str, Any], n: int = 1, calibrate: bool = True, *,
                 life_cycle: bool = True) -> dict[str, NDArray[np.float64]]: ...

BASE_SAMPLES = 512  # a power of two (Sobol' balance); N(k+2) model runs, e.g. 512 × 12 = 6,144 for 10 inputs
DOMINANT_TOTAL = 0.5  # an input dominates when it explains at least half of the variance (total index) ...
DOMINANT_RATIO = 2.0  # ... and at least twice what the next input explains
LIFE_CYCLE = False  # the ranked metrics are annual ones: the life-cycle economics are not evaluated for the design
NO_SPREAD = "the inputs given have no spread; nothing to rank"
NO_SINGLE = "no single input dominates"
BOOTSTRAP_LEADING = 5  # confidence half-widths for the five inputs with the largest total index; None elsewhere
_RELATIVE_ZERO = 1e-12  # a spread below this share of the output's size is rounding, not variance


def triangular_ppf(u: NDArray[np.float64], low: float, mid: float, high: float) -> NDArray[np.float64]:
    """The inverse distribution function of the triangle (low, mid, high) at probabilities ``u`` in [0, 1]."""
    width = high - low
    if width <= 0:
        return np.full_like(u, mid, dtype=float)
    fc = (mid - low) / width
    left = low + np.sqrt(np.clip(u, 0.0, 1.0) * width * (mid - low))
    right = high - np.sqrt(np.clip(1.0 - u, 0.0, 1.0) * width * (high - mid))
    return np.where(u < fc, left, right)


def _uncertain(plan: Plan) -> list[Input]:
    return sorted({i.uid: i for i in plan.inputs if i.uncertain}.values(), key=lambda i: i.uid)


def _one_at_a_time(plan: Plan, uncertain: list[Input]) -> dict[str, NDArray[np.float64]]:
    """Row 0 every input at mid; rows 1 + 2j / 2 + 2j input j at its low / high (one vectorised run)."""
    n = 1 + 2 * len(uncertain)
    values: dict[str, NDArray[np.float64]] = {uid: np.full(n, mid, dtype=float)
                                               for uid, mid in plan.central_values().items()}
    for j, inp in enumerate(uncertain):
        values[inp.uid][1 + 2 * j] = inp.low
        values[inp.uid][2 + 2 * j] = inp.high
    return plan.evaluate(values, n, life_cycle=LIFE_CYCLE)


def _base(n_base: int, k: int, seed: int | None) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The matrices A and B (``n_base`` × ``k`` each) of SALib's scrambled Sobol' base sequence."""
    base = np.asarray(qmc.Sobol(d=2 * k, scramble=True, seed=seed).random(n_base), dtype=float)
    return base[:, :k], base[:, k:]


def _assemble(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    """Per base point j the rows A_j, AB_1j … AB_kj (A with column i from B), B_j."""
    n, k = a.shape
    x = np.repeat(a[:, None, :], k + 2, axis=1)
    i = np.arange(k)
    x[:, 1 + i, i] = b
    x[:, k + 1, :] = b
    return x.reshape(n * (k + 2), k)


def saltelli_design(n_base: int, k: int, seed: int | None) -> NDArray[np.float64]:
    """The points of ``SALib.sample.sobol.sample(problem, n_base, calc_second_order=False, scramble=True,
    seed=seed)`` on the unit cube, built with array operations (SALib fills them in a Python loop, 0.7 s for 57
    inputs)."""
    return _assemble(*_base(n_base, k, seed))


def _sobol_design(plan: Plan, uncertain: list[Input], n_base: int, seed: int | None
                  ) -> dict[str, NDArray[np.float64]]:
    """Every metric evaluated on the Saltelli design, each input mapped through its own triangle (the base
    points are mapped before the design repeats them)."""
    a, b = _base(n_base, len(uncertain), seed)
    for j, inp in enumerate(uncertain):
        a[:, j] = triangular_ppf(a[:, j], inp.low, inp.mid, inp.high)
        b[:, j] = triangular_ppf(b[:, j], inp.low, inp.mid, inp.high)
    x = _assemble(a, b)
    values: dict[str, Any] = dict(plan.central_values())
    for j, inp in enumerate(uncertain):
        values[inp.uid] = x[:, j]
    return plan.evaluate(values, x.shape[0], life_cycle=LIFE_CYCLE)


def sobol_indices(y: NDArray[np.float64], k: int, seed: int | None, resamples: int = 100, conf_level: float = 0.95,
                  chunk: int = 16) -> dict[str, NDArray[np.float64]] | None:
    """S1, ST and their confidence half-widths from the outputs ``y`` of :func:`saltelli_design` — the numbers of
    ``SALib.analyze.sobol.analyze(..., calc_second_order=False, num_resamples=resamples, seed=seed)`` (SALib's own
    estimators, Saltelli 2010 for S1 and Jansen for ST, on the standardised output, bootstrapped), computed for
    ``chunk`` inputs at a time instead of one. None when ``y`` does not vary or is not finite."""
    if not np.isfinite(y).all():
        return None
    scale = max(float(np.max(np.abs(y))), 1.0)
    if float(np.ptp(y)) <= _RELATIVE_ZERO * scale:
        return None
    n = y.size // (k + 2)
    z = ((y - y.mean()) / y.std()).reshape(n, k + 2)
    a, ab, b = z[:, 0], z[:, 1:k + 1], z[:, k + 1]
    r = np.random.default_rng(seed).integers(n, size=(n, resamples))  # as SALib (which leaves seed 0 unseeded)
    zq = float(norm.ppf(0.5 + conf_level / 2))
    out = {key: np.zeros(k) for key in ("S1", "ST")}
    out.update({key: np.full(k, np.nan) for key in ("S1_conf", "ST_conf")})  # bootstrapped for the leading inputs
    moving = np.flatnonzero(np.any(ab != a[:, None], axis=0))  # an input that never changes y has 0 everywhere
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore")  # SALib warns on a constant resample; those indices are 0 as it says
        for lo in range(0, moving.size, chunk):
            cols = moving[lo:lo + chunk]
            aa, bb = np.repeat(a[:, None], cols.size, axis=1), np.repeat(b[:, None], cols.size, axis=1)
            out["S1"][cols] = first_order(aa, ab[:, cols], bb)
            out["ST"][cols] = total_order(aa, ab[:, cols], bb)
        # the bootstrap is most of the cost: only for the inputs that lead (the verdict rests on the first two)
        lead = moving[np.argsort(-np.nan_to_num(out["ST"][moving]), kind="stable")[:BOOTSTRAP_LEADING]]
        for lo in range(0, lead.size, chunk):
            cols = lead[lo:lo + chunk]
            aa, bb = np.repeat(a[:, None], cols.size, axis=1), np.repeat(b[:, None], cols.size, axis=1)
            ra, rab, rb = aa[r], ab[:, cols][r], bb[r]  # (n, resamples, inputs of the chunk)
            out["S1_conf"][cols] = zq * first_order(ra, rab, rb).std(axis=0, ddof=1)
            out["ST_conf"][cols] = zq * total_order(ra, rab, rb).std(axis=0, ddof=1)
    unmoved = np.setdiff1d(np.arange(k), moving)
    for key in ("S1_conf", "ST_conf"):
        out[key][unmoved] = 0.0  # an input that never moves the output: exactly 0, no uncertainty
    for key in ("S1", "ST"):
        out[key] = np.nan_to_num(out[key])
    for key in ("S1", "ST"):  # estimates scatter a little outside the indices' range [0, 1]
        out[key] = np.clip(out[key], 0.0, 1.0)
    return out


def verdict(names: Sequence[str], totals: Sequence[float] | None, label: str = "the output") -> tuple[str, str | None]:
    """(sentence, the dominant input or None) for inputs ranked by total index (highest first).

    None for ``totals`` means the output has no spread. Rule: the first input dominates when its total index is at
    least :data:`DOMINANT_TOTAL` and at least :data:`DOMINANT_RATIO` times the second's."""
    if totals is None or not names or max(totals, default=0.0) <= 0:
        return NO_SPREAD, None
    first = max(totals[0], 0.0)
    second = max(totals[1], 0.0) if len(totals) > 1 else 0.0
    if first >= DOMINANT_TOTAL and first >= DOMINANT_RATIO * second:
        rest = (f", more than twice the next input ({names[1]}, {second:.0%})" if second > 0
                else "; no other uncertain input moves it")
        return f"{names[0]} dominates {label}: it explains {first:.0%} of its variance (total Sobol index){rest}", \
            names[0]
    shown = ", ".join(f"{n} {max(t, 0.0):.0%}" for n, t in list(zip(names, totals, strict=False))[:3] if t > 0)
    return f"{NO_SINGLE} {label} (total Sobol index: {shown})", None


def _fin(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def sensitivity(plan: Plan, metrics: Sequence[str], units: Mapping[str, str], seed: int | None,
                n_base: int = BASE_SAMPLES) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Rows (metric × uncertain input, ranked by total index) and the dominant input by metric (only where one
    dominates). Each row: the input, its range, the low/high swing, ``s1`` / ``st`` with ``s1_conf`` / ``st_conf``
    (95 % half-widths), ``rank``, ``dominant`` and the metric's ``verdict`` sentence. Seeded: the same plan and seed
    give the same indices."""
    uncertain = _uncertain(plan)
    oat = _one_at_a_time(plan, uncertain)
    design = _sobol_design(plan, uncertain, n_base, seed) if uncertain else {}
    rows: list[dict[str, Any]] = []
    top: dict[str, str] = {}
    for metric in metrics:
        if metric not in oat:
            continue
        arr = oat[metric]
        base = float(arr[0])
        idx = sobol_indices(design[metric], len(uncertain), seed) if uncertain else None
        finite = bool(np.isfinite(design[metric]).all()) if uncertain else True
        mrows: list[dict[str, Any]] = []
        for j, inp in enumerate(uncertain):
            lo, hi = float(arr[1 + 2 * j]), float(arr[2 + 2 * j])
            swing = abs(hi - lo) if math.isfinite(hi) and math.isfinite(lo) else math.inf
            mrows.append({"metric": metric, "metric_unit": units.get(metric, ""), "input": inp.name,
                          "measure": inp.measure, "key": inp.key, "input_low": inp.low, "input_high": inp.high,
                          "input_unit": inp.unit, "base": _fin(base), "at_low": _fin(lo), "at_high": _fin(hi),
                          "swing": _fin(swing),
                          "s1": float(idx["S1"][j]) if idx else None, "st": float(idx["ST"][j]) if idx else None,
                          "s1_conf": _fin(float(idx["S1_conf"][j])) if idx else None,
                          "st_conf": _fin(float(idx["ST_conf"][j])) if idx else None,
                          "method": "sobol" if idx else "one-at-a-time"})
        if idx is not None:
            mrows.sort(key=lambda r: -float(r["st"]))
        else:
            mrows.sort(key=lambda r: -(r["swing"] if r["swing"] is not None else math.inf))
        several = len({r["measure"] for r in mrows}) > 1
        names = [f"{r['input']} ({r['measure']})" if several and r["measure"] else str(r["input"]) for r in mrows]
        if idx is not None:
            sentence, dominant = verdict(names, [float(r["st"]) for r in mrows], metric.replace("_", " "))
        elif not finite:
            sentence, dominant = (f"not ranked: {metric.replace('_', ' ')} has no finite value over part of the "
                                  "input ranges (e.g. it never pays back), so its variance is undefined; see the "
                                  "low/high swings"), None
        else:
            sentence, dominant = NO_SPREAD, None
        for rank, r in enumerate(mrows, 1):
            r.update(rank=rank, dominant=dominant is not None and rank == 1, verdict=sentence)
        if dominant is not None:
            top[metric] = str(mrows[0]["input"])
        rows += mrows
    return rows, top


def summary(rows: Sequence[Mapping[str, Any]], most_influential: Mapping[str, str], metric: str
            ) -> tuple[str, str | None]:
    """(verdict sentence, dominant input or None) for one metric of an estimate's sensitivity rows.

    Rows without a ``verdict`` (made before the global analysis, or by hand) fall back on ``most_influential``:
    its input is named only when the rows show that it moves the metric at all."""
    mine = [r for r in rows if r.get("metric") == metric]
    for r in mine:
        if r.get("verdict"):
            return str(r["verdict"]), most_influential.get(metric)
    name = most_influential.get(metric)
    moving = [r for r in mine if r.get("swing") is None or float(r["swing"]) > 0]
    if not moving:
        return NO_SPREAD, None
    if name is None:
        return NO_SINGLE, None
    return f"{name} moves {metric.replace('_', ' ')} most", name
