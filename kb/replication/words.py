"""The sign convention in words: a signed model output as a positive amount with *saved*, *generated* or *added*.

The model keeps carrier flows signed (negative = less of the carrier bought from outside: saved, or generated on
site; positive = more of it used) and outcome metrics signed the other way (``co2_avoided`` > 0 is CO₂ avoided).
A reader never sees the sign: :func:`in_words` gives "317 MWh/yr electricity generated", :func:`range_in_words`
"between 12 MWh/yr saved and 4 MWh/yr added". Pages (via :mod:`kb.views.replication`) and briefs use these.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kb.records.vocab import CARRIERS

Fmt = Callable[[float], str]
GENERATING_MODELS = frozenset({"pv"})  # models whose negative electricity is generation on site, not a saving


@dataclass(frozen=True)
class Direction:
    """How a signed metric reads: its noun, the word for a gain and for a loss, and which sign is the gain."""

    noun: str
    gain: str  # "saved", "generated", "avoided"
    loss: str  # "added"
    gain_sign: int  # -1: a negative value is a gain (carrier flows); +1: a positive value is (co2_avoided)

    def word(self, value: float) -> str:
        if value == 0:
            return "unchanged"
        return self.gain if value * self.gain_sign > 0 else self.loss


_NOUNS = {"electricity": "electricity", "natural_gas": "natural gas", "district_heat": "district heat",
          "petrol": "petrol/diesel"}
_OUTCOMES: dict[str, Direction] = {
    "co2_avoided": Direction("CO₂", "avoided", "added", 1),
    "primary_energy_saved": Direction("primary energy", "saved", "added", 1),
    "nox_avoided": Direction("NOx", "avoided", "added", 1),
    "savings": Direction("energy cost", "saved", "added", 1),
}


def direction_of(metric: str, generates: bool = False) -> Direction | None:
    """The direction of a signed metric (a carrier or an avoided/saved outcome); None for costs, payback and such."""
    if metric in CARRIERS:
        gain = "generated" if generates and metric == "electricity" else "saved"
        return Direction(_NOUNS.get(metric, metric.replace("_", " ")), gain, "added", -1)
    return _OUTCOMES.get(metric)


def generates(measures: Iterable[Mapping[str, Any]]) -> bool:
    """Whether a negative electricity flow of these measures (``Estimate.measures`` rows) is generation on site."""
    return any(m.get("model") in GENERATING_MODELS for m in measures)


def number(x: float) -> str:
    """A magnitude for a reader: about three significant figures, thousands separated."""
    if not math.isfinite(x):
        return "∞"
    a = abs(x)
    if a >= 100:
        return f"{round(x):,}"
    if a == 0:
        return "0"
    s = f"{x:.3g}"
    return f"{x:.6f}".rstrip("0").rstrip(".") if "e" in s else s


def word(metric: str, value: float, generates: bool = False) -> str:
    """``saved`` / ``generated`` / ``avoided`` / ``added`` / ``unchanged`` for a signed value; ``""`` for a metric
    with no direction (capex, payback, ...)."""
    d = direction_of(metric, generates)
    return d.word(value) if d is not None else ""


def in_words(metric: str, value: float, unit: str, generates: bool = False, fmt: Fmt = number) -> str:
    """``317 MWh/yr electricity generated``, ``27.7 tCO2/yr CO₂ avoided``; a metric with no direction as
    ``320,000 EUR``."""
    d = direction_of(metric, generates)
    u = f" {unit}" if unit else ""
    if d is None:
        return f"{fmt(value)}{u}"
    if value == 0:
        return f"no change in {d.noun}"
    return f"{fmt(abs(value))}{u} {d.noun} {d.word(value)}"


def range_in_words(metric: str, low: float, high: float, unit: str, generates: bool = False,
                   fmt: Fmt = number) -> str:
    """The range between two signed values: ``between 12 and 20 MWh/yr saved``; across zero ``between 12 MWh/yr
    saved and 4 MWh/yr added``."""
    d = direction_of(metric, generates)
    u = f" {unit}" if unit else ""
    if d is None:
        return f"between {fmt(min(low, high))} and {fmt(max(low, high))}{u}"
    lo, hi = sorted((low, high), key=lambda v: v * d.gain_sign, reverse=True)  # the larger gain first
    if lo == hi:
        return in_words(metric, lo, unit, generates, fmt)
    wa, wb = d.word(lo), d.word(hi)
    if wa == wb:
        small, large = sorted((abs(lo), abs(hi)))
        return f"between {fmt(small)} and {fmt(large)}{u} {d.noun} {wa}"
    a = f"{fmt(abs(lo))}{u} {wa}" if lo != 0 else "no change"
    b = f"{fmt(abs(hi))}{u} {wb}" if hi != 0 else "no change"
    return f"between {a} and {b} ({d.noun})"


def oriented(metric: str, p10: float, p50: float, p90: float, generates: bool = False
             ) -> tuple[str, float, float, float]:
    """The word of the median's direction and P10/P50/P90 of the quantity "``metric`` *word*" (positive where it
    goes that way): natural gas P10 −12, P50 −5, P90 4 → ``("saved", -4, 5, 12)``. ``("", p10, p50, p90)`` for a
    metric with no direction."""
    d = direction_of(metric, generates)
    if d is None:
        return "", p10, p50, p90
    w = d.word(p50) if p50 != 0 else d.word(p90 if p90 != 0 else p10)
    if w == "unchanged" or (w == d.gain) == (d.gain_sign > 0):
        return (d.gain if w == "unchanged" else w), p10, p50, p90
    return w, -p90, -p50, -p10


def cell(metric: str, value: float, heading_word: str, generates: bool = False, fmt: Fmt = number) -> str:
    """A value shown under a heading already oriented to ``heading_word`` (see :func:`oriented`): the magnitude,
    with the opposite word where the value goes the other way (``4 added`` in a *saved* column)."""
    d = direction_of(metric, generates)
    if d is None or not heading_word or value >= 0:
        return fmt(value)
    other = d.loss if heading_word != d.loss else d.gain
    return f"{fmt(-value)} {other}"
