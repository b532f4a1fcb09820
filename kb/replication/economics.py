"""Life-cycle economics over Monte Carlo samples: NPV, IRR, discounted payback, LCOE/LCOH, net abatement cost.

Conventions (the labels in ``simulation.METRICS`` and the assumption notes repeat them):

- **Real terms, one price year.** Every cash flow is at the constant prices of the year of the city's energy
  prices; the discount rate is a real rate and energy prices do not escalate. Capex, opex and replacement costs
  given in an older price base (a unit such as ``EUR2015/kW_th``) are converted with the price-index rows of the
  carrier-factors record (Eurostat HICP, euro area): × index(price year) ÷ index(cost year). A unit without a
  price year, or a year without an index row, is used as it is and the notes say so.
- **Cash flows.** Year 0: capex. Years 1 … L: savings − opex, the same every year (the impact models give
  lifetime-average annual flows; PV degradation enters as its lifetime average). L = the measure's lifetime in
  whole years (rounded half up).
- **Horizon.** Each measure over its own lifetime: no renewal of the whole measure, no residual value. A portfolio
  sums its measures' cash flows year by year; a shorter-lived measure simply stops. A component with a shorter
  life (``replacement_interval`` and ``replacement_capex`` of a measure type, e.g. a battery's inverter) is bought
  again in the years k × interval < L; what the last one is still worth at the horizon is not credited.
- **Net abatement cost** (the MACC height) = −NPV ÷ discounted tonnes, Σ_t CO2_t/(1+r)^t: the levelised cost of
  a tonne (equivalently, the equivalent annual net cost ÷ the annual tonnes). Negative when the measure saves
  more than it costs. ``lcoe`` / ``lcoh`` = discounted costs ÷ discounted MWh generated / heat supplied; the
  costs of a heat supplier include the electricity it buys.

Computation: NPV, LCOE, LCOH and the discounted tonnes are closed-form annuities, vectorised over the samples.
Discounted payback and IRR need the year-by-year portfolio cash flow: one (samples × years) matrix built with two
``bincount`` calls (annual flows as start/stop steps, replacements as points), processed in chunks. IRR is solved
for every sample at once by a safeguarded Newton iteration (Horner evaluation of the cash-flow polynomial and its
derivative, started from the bracket that the NPV on a grid of 35 rates between −90 % and +1000 % gives (one
matrix product); a bisection step whenever Newton would leave it). ``numpy_financial.irr``
solves one series at a time through the eigenvalues of a companion matrix (``numpy.roots``): exact, but 10,000
samples would be 10,000 calls (seconds, not milliseconds), and it cannot take a different discount rate per sample
in one call. It is the reference the tests check the vectorised solver against; ``numpy_financial.npv`` computes
the central year-by-year table (:func:`cash_flow_table`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy_financial as npf
from numpy.typing import NDArray

from kb.i18n import N_, Msg, Param
from kb.i18n import Num as Figure
from kb.replication.inputs import Input

Array = NDArray[np.float64] | float
F64 = NDArray[np.float64]
Num = NDArray[Any] | float  # a number or an array of any numeric dtype (whole years are integers)

DISCOUNT_KEY = "discount_rate"
EXPORT_KEY = "price_electricity_export"
INDEX_PREFIX = "price_index_"
SELF_CONSUMPTION_KEY = "self_consumption_share"
REPLACEMENT_KEYS: tuple[str, str] = ("replacement_interval", "replacement_capex")
COST_KEYS: tuple[str, ...] = ("capex", "opex", "replacement_capex")
COST_WORDS: dict[str, str] = {"capex": N_("capex"), "opex": N_("opex"), "replacement_capex": N_("replacement capex")}
"""The cost keys in words, inside a sentence."""
LATE_KEYS = frozenset({DISCOUNT_KEY, EXPORT_KEY, SELF_CONSUMPTION_KEY, *REPLACEMENT_KEYS})
"""Inputs drawn after all others, so that adding them leaves the draws of the older inputs unchanged."""
LCOE_MODELS = frozenset({"pv"})
LCOH_MODELS = frozenset({"heat_pump", "heat_recovery"})
_CHUNK = 8192
_EUR_YEAR = re.compile(r"EUR((?:19|20)\d\d)")


@dataclass
class MeasureFlows:
    """One measure's annual flows for the economics (arrays of samples or numbers; money in the price year)."""

    capex: Array
    opex: Array
    savings: Array  # EUR/yr: energy cost saved (negative when the measure costs energy)
    co2: Array  # tCO2/yr avoided
    lifetime: Array  # yr
    replacement_interval: Array | None = None  # yr
    replacement_capex: Array = 0.0  # EUR per replacement
    output: Array = 0.0  # MWh/yr generated (LCOE) or heat supplied (LCOH)
    output_kind: str = ""  # "lcoe" | "lcoh" | ""
    energy_cost: Array = 0.0  # EUR/yr of energy bought to run the measure (counted in its LCOH)


@dataclass
class EconomicInputs:
    """The economic inputs of a plan: discount rate, export value, price indices and the cost conversions."""

    discount: Input | None
    export: Input | None
    price_year: int | None
    indices: dict[int, Input] = field(default_factory=dict)
    factors: dict[tuple[str, str], float] = field(default_factory=dict)  # (measure, cost key) -> price factor
    notes: list[str] = field(default_factory=list)
    unavailable: dict[str, str] = field(default_factory=dict)
    messages: list[Msg] = field(default_factory=list)  # the notes as structured messages (translated by the app)

    def inputs(self) -> list[Input]:
        rows = [i for i in (self.discount, self.export) if i is not None]
        return rows + [self.indices[y] for y in sorted(self.indices)]

    def to_dict(self) -> dict[str, Any]:
        d = self.discount
        return {"discount_rate": None if d is None else {"low": d.low, "mid": d.mid, "high": d.high,
                                                         "source": d.source, "evidence": d.evidence},
                "price_year": self.price_year, "horizon": "each measure over its own lifetime (whole years), "
                "no renewal, no residual value; components replaced within it",
                "price_factors": {f"{m}.{k}": v for (m, k), v in sorted(self.factors.items())},
                "notes": list(self.notes), "note_messages": [m.to_dict() for m in self.messages]}


def unit_year(unit: str) -> int | None:
    """The price year of a money unit (``EUR2015/kW_th`` → 2015), None when the unit states none."""
    m = _EUR_YEAR.search(unit.replace("€", "EUR"))
    return int(m.group(1)) if m else None


def price_factor(cost_year: int | None, price_year: int | None, indices: Mapping[int, Input]) -> float | None:
    """index(price year) ÷ index(cost year), or None when either year or index is unknown."""
    if cost_year is None or price_year is None:
        return None
    if cost_year == price_year:
        return 1.0
    if cost_year not in indices or price_year not in indices:
        return None
    return indices[price_year].mid / indices[cost_year].mid


def prepare_economics(general: Mapping[str, Input], price_year: int | None,
                      measures: Sequence[tuple[str, Mapping[str, Input]]],
                      discount_rate: float | None = None) -> EconomicInputs:
    """The economic inputs for measures given as (measure id, resolved parameters)."""
    notes: list[str] = []
    messages: list[Msg] = []
    unavailable: dict[str, str] = {}
    if discount_rate is not None:
        disc: Input | None = Input.fixed("real discount rate", DISCOUNT_KEY, float(discount_rate), "-", "estimate",
                                         "entered by the user", role="economics")
    elif DISCOUNT_KEY in general:
        g = general[DISCOUNT_KEY]
        disc = Input(g.name, g.key, g.low, g.mid, g.high, g.unit, g.evidence, g.source, role="economics",
                     note=g.note)
    else:
        disc = None
        reason = ("no discount rate: add a 'discount_rate' row to the carrier-factors record or give one "
                  "(kb estimate --discount-rate R)")
        for m in ("npv", "irr", "discounted_payback", "lcoe", "lcoh", "net_abatement_cost"):
            unavailable[m] = reason
    export = None
    if EXPORT_KEY in general:
        g = general[EXPORT_KEY]
        export = Input(g.name, g.key, g.low, g.mid, g.high, g.unit, g.evidence, g.source, role="economics",
                       note=g.note)
    all_idx = {int(k[len(INDEX_PREFIX):]): v for k, v in general.items()
               if k.startswith(INDEX_PREFIX) and k[len(INDEX_PREFIX):].isdigit()}
    used: dict[int, Input] = {}
    factors: dict[tuple[str, str], float] = {}
    for mid, params in measures:
        for key in COST_KEYS:
            inp = params.get(key)
            if inp is None:
                continue
            year = unit_year(inp.unit)
            f = price_factor(year, price_year, all_idx)
            values: dict[str, Param] = {"measure": mid, "cost": Msg(COST_WORDS.get(key, key)), "unit": inp.unit,
                                        "year": str(year), "price_year": str(price_year)}
            if year is None:
                notes.append(f"{mid} {key} ({inp.unit}): the unit states no price year; used as it is, "
                             f"not converted to {price_year or 'the energy prices’ year'}")
                messages.append(Msg(N_("{measure} {cost} ({unit}): the unit states no price year; used as it is, not "
                                       "converted to {price_year}"), values)
                                if price_year else
                                Msg(N_("{measure} {cost} ({unit}): the unit states no price year; used as it is, not "
                                       "converted to the energy prices’ year"), values))
            elif f is None:
                notes.append(f"{mid} {key} in EUR{year}, energy prices in {price_year or 'an unknown year'}: "
                             f"not converted (no sourced price index for both years)")
                messages.append(Msg(N_("{measure} {cost} in EUR{year}, energy prices in {price_year}: not converted "
                                       "(no sourced price index for both years)"), values)
                                if price_year else
                                Msg(N_("{measure} {cost} in EUR{year}, energy prices in an unknown year: not converted "
                                       "(no sourced price index for both years)"), values))
            elif price_year is not None:
                factors[(mid, key)] = f
                if f != 1.0:
                    used[year] = all_idx[year]
                    used[price_year] = all_idx[price_year]
                    notes.append(f"{mid} {key}: EUR{year} × {f:.4f} = EUR{price_year} (price index "
                                 f"{all_idx[price_year].mid:g} ÷ {all_idx[year].mid:g})")
                    messages.append(Msg(N_("{measure} {cost}: EUR{year} × {factor} = EUR{price_year} (price index "
                                           "{index} ÷ {base})"),
                                        {**values, "factor": Figure(f, ".4f"),
                                         "index": Figure(all_idx[price_year].mid, ".2f"),
                                         "base": Figure(all_idx[year].mid, ".2f")}))
    return EconomicInputs(disc, export, price_year, used, factors, notes, unavailable, messages)


# --- the arithmetic --------------------------------------------------------------------------------------------

def whole_years(lifetime: Num) -> NDArray[np.int64]:
    """A lifetime in whole years, rounded half up, at least 1."""
    return np.maximum(1, np.floor(np.asarray(lifetime, dtype=float) + 0.5)).astype(np.int64)


def annuity(rate: Num, years: Num) -> F64:
    """Σ_{t=1..n} (1+r)^−t = (1 − (1+r)^−n) / r (n when r = 0): the present value of 1 EUR a year for n years."""
    r = np.asarray(rate, dtype=float)
    n = np.asarray(years, dtype=float)
    small = np.abs(r) < 1e-12
    safe = np.where(small, 1.0, r)
    # −expm1(−n·log1p(r)) = 1 − (1+r)^−n without the cancellation that made a rate of 1e-8 worth more than 0 %
    return np.asarray(np.where(small, n, -np.expm1(-n * np.log1p(safe)) / safe), dtype=float)


def replacement_count(years: Num, interval: Num) -> NDArray[np.int64]:
    """How many times a component with this life is bought again within the horizon (k × interval < n)."""
    return np.asarray((np.asarray(years, dtype=np.int64) - 1) // whole_years(interval), dtype=np.int64)


def replacement_factor(rate: Num, years: Num, interval: Num) -> F64:
    """Σ_{k=1..K} (1+r)^−k·ℓ with ℓ the interval in whole years and K = :func:`replacement_count`."""
    r = np.asarray(rate, dtype=float)
    ell = whole_years(interval).astype(float)
    k = replacement_count(years, interval).astype(float)
    q = (1.0 + r) ** -ell
    near = np.abs(1.0 - q) < 1e-12
    return np.asarray(np.where(near, k, q * (1.0 - q ** k) / np.where(near, 1.0, 1.0 - q)), dtype=float)


def _vec(x: Array, n: int) -> F64:
    return np.broadcast_to(np.asarray(x, dtype=float), (n,))


def evaluate(flows: Sequence[MeasureFlows], rate: Array, n: int) -> dict[str, F64]:
    """npv, irr, discounted_payback, net_abatement_cost and (where a measure generates or supplies heat) lcoe /
    lcoh, each an array of ``n`` samples."""
    r = _vec(rate, n)
    npv = np.zeros(n)
    tonnes = np.zeros(n)
    cost = {"lcoe": np.zeros(n), "lcoh": np.zeros(n)}
    output = {"lcoe": np.zeros(n), "lcoh": np.zeros(n)}
    for f in flows:
        years = whole_years(_vec(f.lifetime, n))
        a = annuity(r, years)
        repl = (_vec(f.replacement_capex, n) * replacement_factor(r, years, _vec(f.replacement_interval, n))
                if f.replacement_interval is not None else np.zeros(n))
        capex, opex = _vec(f.capex, n), _vec(f.opex, n)
        npv += -capex + (_vec(f.savings, n) - opex) * a - repl
        tonnes += _vec(f.co2, n) * a
        if f.output_kind in cost:
            cost[f.output_kind] += capex + (opex + _vec(f.energy_cost, n)) * a + repl
            output[f.output_kind] += _vec(f.output, n) * a
    out: dict[str, F64] = {"npv": npv}
    with np.errstate(divide="ignore", invalid="ignore"):
        out["net_abatement_cost"] = np.where(tonnes > 0, -npv / np.where(tonnes > 0, tonnes, 1.0), np.inf)
        for kind in ("lcoe", "lcoh"):
            if any(f.output_kind == kind for f in flows):
                out[kind] = np.where(output[kind] > 0, cost[kind] / np.where(output[kind] > 0, output[kind], 1.0),
                                     np.inf)
    payback = np.empty(n)
    irr = np.empty(n)
    for start in range(0, n, _CHUNK):
        rows = slice(start, min(n, start + _CHUNK))
        cf = cash_flows(flows, n, rows)
        payback[rows] = discounted_payback(cf, r[rows])
        irr[rows] = internal_rate(cf)
    out["discounted_payback"] = payback
    out["irr"] = irr
    return out


def cash_flows(flows: Sequence[MeasureFlows], n: int, rows: slice | None = None) -> F64:
    """The portfolio's net cash flow by year (columns 0 … longest lifetime) for the samples in ``rows``."""
    rows = rows or slice(0, n)
    m = len(range(n)[rows])
    parts = []
    for f in flows:
        years = whole_years(_vec(f.lifetime, n)[rows])
        net = (_vec(f.savings, n) - _vec(f.opex, n))[rows]
        k = (replacement_count(years, _vec(f.replacement_interval, n)[rows]) if f.replacement_interval is not None
             else np.zeros(m, dtype=np.int64))
        parts.append((years, net, _vec(f.capex, n)[rows], k,
                      whole_years(_vec(f.replacement_interval, n)[rows]) if f.replacement_interval is not None
                      else np.ones(m, dtype=np.int64), _vec(f.replacement_capex, n)[rows]))
    width = int(max(int(p[0].max()) for p in parts)) + 2  # years 0 … L, plus one column for the stop steps
    base = np.arange(m, dtype=np.int64) * width
    step_idx, step_w, point_idx, point_w = [], [], [base], [-sum(p[2] for p in parts)]
    for years, net, _capex, k, ell, rc in parts:
        step_idx += [base + 1, base + years + 1]
        step_w += [net, -net]
        for j in range(1, int(k.max()) + 1 if k.size else 1):
            sel = k >= j
            point_idx.append((base + j * ell)[sel])
            point_w.append(-rc[sel])
    steps = np.bincount(np.concatenate(step_idx), np.concatenate(step_w), m * width).reshape(m, width)
    points = np.bincount(np.concatenate(point_idx), np.concatenate(point_w), m * width).reshape(m, width)
    return np.asarray((np.cumsum(steps, axis=1) + points)[:, :-1], dtype=float)


def _discount(rate: F64, width: int) -> F64:
    t = np.arange(width, dtype=float)
    if np.all(rate == rate[0]):
        return np.broadcast_to((1.0 + rate[0]) ** -t, (rate.size, width))
    return np.asarray(np.exp(-np.log1p(rate)[:, None] * t[None, :]), dtype=float)


def discounted_payback(cf: F64, rate: F64) -> F64:
    """Years until the cumulative discounted cash flow first reaches zero (interpolated within the year);
    inf when it never does within the horizon."""
    cum = np.cumsum(cf * _discount(rate, cf.shape[1]), axis=1)
    reached = cum >= 0
    first = np.argmax(reached, axis=1)
    rows = np.arange(cf.shape[0])
    prev = cum[rows, np.maximum(first - 1, 0)]
    here = cum[rows, first]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(here > prev, -prev / np.where(here > prev, here - prev, 1.0), 0.0)
    t = np.where(first == 0, 0.0, first - 1 + frac)
    return np.asarray(np.where(reached.any(axis=1), t, np.inf), dtype=float)


def _poly(cf: F64, x: F64) -> tuple[F64, F64]:
    """NPV(x) = Σ_j cf_j (1+x)^−j and its derivative in x: Horner's rule in w = 1/(1+x) for many rows (a few
    vector operations per year), one matrix of powers for a few rows (a few operations in all)."""
    w = 1.0 / (1.0 + x)
    if cf.shape[0] <= 2000:
        t = np.arange(cf.shape[1], dtype=float)
        terms = cf * w[:, None] ** t[None, :]
        return terms.sum(axis=1), -(terms * t[None, :]).sum(axis=1) * w
    b = cf[:, -1].copy()
    d = np.zeros_like(b)
    for j in range(cf.shape[1] - 2, -1, -1):
        d = d * w + b
        b = b * w + cf[:, j]
    return b, -d * w * w


_IRR_GRID = np.array([-0.9, -0.6, -0.4, -0.3, -0.2, -0.15, -0.1, -0.07, -0.05, -0.03, -0.02, -0.01, 0.0, 0.01,
                      0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1, 0.12, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1.0, 1.5,
                      2.0, 3.0, 5.0, 10.0])


def internal_rate(cf: F64, tol: float = 1e-10, max_iter: int = 60) -> F64:
    """The rate that makes the NPV of each row zero. −inf when even −90 % leaves the NPV ≤ 0 (the outlay is never
    recovered), +inf above +1000 %. The NPV on a grid of rates (one matrix product) brackets the first root; a
    safeguarded Newton iteration (bisection when a step leaves the bracket) refines it, only on the rows not yet
    converged."""
    t = np.arange(cf.shape[1], dtype=float)
    grid = cf @ ((1.0 + _IRR_GRID)[None, :] ** -t[:, None])  # NPV of each row at each grid rate
    pos = grid > 0
    change = pos[:, :-1] & ~pos[:, 1:]
    found = change.any(axis=1)
    k = np.argmax(change, axis=1)
    out = np.where(pos[:, 0], np.inf, -np.inf)  # no root: positive everywhere (> +1000 %) or never positive
    act = np.flatnonzero(found)
    sub = cf[act]
    lo, hi = _IRR_GRID[k[act]], _IRR_GRID[k[act] + 1]
    f_lo, f_hi = grid[act, k[act]], grid[act, k[act] + 1]
    x = lo + (hi - lo) * f_lo / np.where(f_lo > f_hi, f_lo - f_hi, 1.0)  # linear interpolation in the bracket
    for _ in range(max_iter):
        if act.size == 0:
            break
        f, df = _poly(sub, x)
        above = f > 0
        lo = np.where(above, x, lo)
        hi = np.where(above, hi, x)
        with np.errstate(divide="ignore", invalid="ignore"):
            nxt = x - f / df
        bad = ~np.isfinite(nxt) | (nxt <= lo) | (nxt >= hi)
        nxt = np.where(bad, (lo + hi) / 2, nxt)
        exact = f == 0
        nxt = np.where(exact, x, nxt)
        done = (np.abs(nxt - x) <= tol * (1 + np.abs(x))) | exact
        out[act[done]] = nxt[done]
        keep = ~done
        act, sub, lo, hi, x = act[keep], sub[keep], lo[keep], hi[keep], nxt[keep]
    out[act] = x  # rows still iterating after max_iter: the last estimate
    return np.asarray(out, dtype=float)


def cash_flow_table(flows: Sequence[MeasureFlows], rate: float) -> dict[str, Any]:
    """The central estimate year by year (net cash flow, discounted, cumulative) and its NPV by numpy_financial."""
    cf = cash_flows(flows, 1)[0]
    disc = cf * (1.0 + rate) ** -np.arange(cf.size, dtype=float)
    cum = np.cumsum(disc)
    return {"discount_rate": rate, "npv": float(npf.npv(rate, cf)),
            "years": [{"year": t, "net": float(cf[t]), "discounted": float(disc[t]), "cumulative": float(cum[t])}
                      for t in range(cf.size)]}
