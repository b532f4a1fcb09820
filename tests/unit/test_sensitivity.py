"""Global sensitivity: Sobol indices of hand cases, the verdict (dominant / no single input / no spread), seeding."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pytest

from kb.replication.inputs import Input
from kb.replication.sensitivity import (
    NO_SINGLE,
    NO_SPREAD,
    saltelli_design,
    sensitivity,
    sobol_indices,
    summary,
    triangular_ppf,
    verdict,
)


class ToyPlan:
    """A plan of named inputs and one output ``y = f(inputs)``: what the analysis needs of a Plan."""

    def __init__(self, f: Callable[[Mapping[str, Any]], Any], **ranges: tuple[float, float, float]) -> None:
        self.f = f
        self._inputs = [Input(k, k, lo, mid, hi, "-", "reference", "test", measure="toy")
                        for k, (lo, mid, hi) in ranges.items()]

    @property
    def inputs(self) -> list[Input]:
        return self._inputs

    def central_values(self) -> dict[str, float]:
        return {i.uid: i.mid for i in self._inputs}

    def evaluate(self, values: Mapping[str, Any], n: int = 1, calibrate: bool = True, *,
                 life_cycle: bool = True) -> dict[str, Any]:
        named = {uid.split(".", 1)[1]: v for uid, v in values.items()}
        return {"y": np.broadcast_to(np.asarray(self.f(named), dtype=float), (n,)).astype(float)}


def run(plan: ToyPlan, seed: int = 42) -> tuple[list[dict[str, Any]], dict[str, str]]:
    return sensitivity(plan, ["y"], {"y": "-"}, seed)


def by_input(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["input"]: r for r in rows}


def test_additive_hand_case_matches_the_variances() -> None:
    """y = a + 2b with a, b symmetric triangles on [0, 1]: Var(a) = Var(b) = w²/24 = 1/24 (w = 1).
    Var(y) = 1/24 + 4 × 1/24 = 5/24, so S1(a) = ST(a) = 1/5 = 0.2 and S1(b) = ST(b) = 4/5 = 0.8 (additive: no
    interactions, S1 = ST)."""
    rows, top = run(ToyPlan(lambda v: v["a"] + 2 * v["b"], a=(0, 0.5, 1), b=(0, 0.5, 1)))
    r = by_input(rows)
    for name, share in (("a", 0.2), ("b", 0.8)):
        assert r[name]["s1"] == pytest.approx(share, abs=0.05)
        assert r[name]["st"] == pytest.approx(share, abs=0.05)
    assert [x["input"] for x in rows] == ["b", "a"] and [x["rank"] for x in rows] == [1, 2]
    # ST(b) 0.8 ≥ 0.5 and ≥ 2 × 0.2: b dominates
    assert top == {"y": "b"} and r["b"]["dominant"] and not r["a"]["dominant"]
    assert r["b"]["verdict"].startswith("b dominates y: it explains 8")


def test_asymmetric_triangles_hand_case() -> None:
    """a on (0, 0, 1): Var = (0² + 0² + 1² − 0 − 0 − 0)/18 = 1/18; b on (0, 1, 3):
    Var = (0 + 1 + 9 − 0 − 0 − 3)/18 = 7/18. y = a + b: S(a) = 1/8 = 0.125, S(b) = 7/8 = 0.875."""
    rows, _ = run(ToyPlan(lambda v: v["a"] + v["b"], a=(0, 0, 1), b=(0, 1, 3)))
    r = by_input(rows)
    assert r["a"]["st"] == pytest.approx(0.125, abs=0.04)
    assert r["b"]["st"] == pytest.approx(0.875, abs=0.05)


def test_one_input_clearly_dominates_and_is_named() -> None:
    """y = 10 a + b, equal variances: ST(a) = 100/101 ≈ 0.99 → a dominates."""
    rows, top = run(ToyPlan(lambda v: 10 * v["a"] + v["b"], a=(0, 0.5, 1), b=(0, 0.5, 1)))
    assert top == {"y": "a"}
    assert rows[0]["input"] == "a" and rows[0]["st"] > 0.95


def test_two_equal_inputs_no_single_input_dominates() -> None:
    """y = a + b, equal variances: ST = 0.5 each; 0.5 is not twice 0.5 → nobody is named."""
    rows, top = run(ToyPlan(lambda v: v["a"] + v["b"], a=(0, 0.5, 1), b=(0, 0.5, 1)))
    assert top == {}
    assert all(r["verdict"].startswith(NO_SINGLE) and not r["dominant"] for r in rows)
    assert summary(rows, top, "y") == (rows[0]["verdict"], None)


def test_no_spread_says_so_instead_of_naming_an_arbitrary_input() -> None:
    """The issue's bug: every swing 0 named the first input. An output that no uncertain input moves, and a plan
    with no uncertain input at all, both say there is nothing to rank."""
    rows, top = run(ToyPlan(lambda v: 3.0 + 0 * v["a"], a=(0, 0.5, 1), b=(1, 2, 3)))
    assert top == {} and rows and all(r["verdict"] == NO_SPREAD for r in rows)
    assert all(r["swing"] == 0 and r["st"] is None for r in rows)
    rows, top = run(ToyPlan(lambda v: v["a"], a=(1, 1, 1)))
    assert rows == [] and top == {}
    assert summary(rows, top, "y") == (NO_SPREAD, None)
    # legacy rows (no verdict) with all swings 0: still no name
    legacy = [{"metric": "y", "input": "a", "swing": 0.0, "at_low": 1.0, "at_high": 1.0}]
    assert summary(legacy, {"y": "a"}, "y") == (NO_SPREAD, None)


def test_verdict_rule() -> None:
    assert verdict(["a", "b"], [0.6, 0.3])[1] == "a"  # ≥ 0.5 and exactly twice
    assert verdict(["a", "b"], [0.6, 0.31])[1] is None  # not twice the next
    assert verdict(["a", "b", "c"], [0.45, 0.1, 0.1])[1] is None  # twice the next but under half the variance
    assert verdict(["a"], [1.0]) == ("a dominates the output: it explains 100% of its variance (total Sobol "
                                     "index); no other uncertain input moves it", "a")
    assert verdict(["a"], None) == (NO_SPREAD, None)


def test_seeded_and_the_swing_is_kept_for_the_tornado() -> None:
    plan = ToyPlan(lambda v: v["a"] * v["b"], a=(1, 2, 4), b=(1, 1.5, 2))
    a, b = run(plan, seed=7), run(plan, seed=7)
    assert a == b
    r = by_input(a[0])
    # one-at-a-time: a at 1 and 4 with b at its mid 1.5 → 1.5 and 6.0
    assert (r["a"]["at_low"], r["a"]["at_high"], r["a"]["swing"], r["a"]["base"]) == (1.5, 6.0, 4.5, 3.0)


def test_triangular_ppf_quantiles() -> None:
    """Triangle (0, 1, 3): F(1) = 1/3; the median solves 1 − (3 − x)²/6 = 1/2 → x = 3 − √3."""
    u = np.array([0.0, 1 / 3, 0.5, 1.0])
    assert triangular_ppf(u, 0, 1, 3) == pytest.approx([0.0, 1.0, 3 - np.sqrt(3), 3.0])
    assert triangular_ppf(u, 2, 2, 2) == pytest.approx([2, 2, 2, 2])


def test_design_and_indices_are_salibs() -> None:
    """The array-built design and estimators give SALib's own numbers (sample.sobol / analyze.sobol)."""
    from SALib.analyze import sobol as analyze
    from SALib.sample import sobol as sample

    k, n, seed = 5, 64, 11
    problem = {"num_vars": k, "names": [f"x{i}" for i in range(k)], "bounds": [[0.0, 1.0]] * k}
    x = saltelli_design(n, k, seed)
    assert np.array_equal(x, sample.sample(problem, n, calc_second_order=False, scramble=True, seed=seed))
    y = x[:, 0] + 2 * x[:, 1] * x[:, 2] + np.sin(3 * x[:, 3])
    ours = sobol_indices(y, k, seed)
    ref = analyze.analyze(problem, y, calc_second_order=False, num_resamples=100, seed=seed)
    assert ours is not None
    for key in ("S1", "ST", "S1_conf", "ST_conf"):
        want = np.asarray(ref[key])
        if key in ("S1", "ST"):
            want = np.clip(want, 0, 1)
        assert ours[key] == pytest.approx(want, abs=1e-12), key
