"""Marginal abatement cost curve for a city: every modelled solution at its source scale, cheapest tonne first."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from kb.replication.bounds import SAMPLES, check
from kb.replication.cities import CityProfile, DriverMissing
from kb.replication.inputs import Input, ParameterMissing, load_factors, measure_types
from kb.replication.simulation import DEFAULT_SEED, Estimate, PortfolioInvalid, ScaleMissing, finite_or_none
from kb.replication.solution import EstimateInvalid, NoImpactModel, estimate_solution
from kb.store import catalog

MACC_SAMPLES = 500
"""Monte Carlo samples per solution: P50 within about 1 % of a 5,000-sample run, ~40 solutions in a few seconds."""


@dataclass
class MaccRow:
    """One bar of the curve: width = CO2 avoided (tCO2/yr), height = net abatement cost (EUR/tCO2)."""

    solution: str
    title: str
    measure_types: list[str]
    scale: list[dict[str, Any]]
    status: str
    co2_avoided: dict[str, float | None]
    net_abatement_cost: dict[str, float | None]
    npv: dict[str, float | None]
    start: float = 0.0  # cumulative tCO2/yr before this bar (x of its left edge)

    @property
    def width(self) -> float:
        return float(self.co2_avoided["central"] or 0.0)

    def to_dict(self) -> dict[str, Any]:
        return {"solution": self.solution, "title": self.title, "measure_types": self.measure_types,
                "scale": self.scale, "status": self.status, "co2_avoided": self.co2_avoided,
                "net_abatement_cost": self.net_abatement_cost, "npv": self.npv, "start": self.start,
                "end": self.start + self.width}


@dataclass
class Macc:
    """The curve (rows sorted by central net abatement cost) and the solutions left out, each with its reason."""

    city: CityProfile
    rows: list[MaccRow]
    refused: list[dict[str, str]]
    samples: int
    seed: int
    discount_rate: float | None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"city": {"id": self.city.id, "name": self.city.name}, "samples": self.samples, "seed": self.seed,
                "discount_rate": self.discount_rate, "unit": {"width": "tCO2/yr", "height": "EUR/tCO2"},
                "sorted_by": "net_abatement_cost central (every input at its mid)", "notes": self.notes,
                "rows": [r.to_dict() for r in self.rows], "refused": self.refused}


def _pair(est: Estimate, name: str) -> dict[str, float | None]:
    m = est.metrics[name]
    return {"p50": finite_or_none(m.p50), "central": finite_or_none(m.central)}


def macc(engine: Engine, city: CityProfile, samples: int = MACC_SAMPLES, seed: int = DEFAULT_SEED,
         discount_rate: float | None = None, tariff: str = "household",
         general: dict[str, Input] | None = None,
         scales: Mapping[str, float | Mapping[str, float]] | None = None) -> Macc:
    """Every solution record with an impact model, estimated in ``city`` at its source scale or at the scale
    stated in ``scales`` (by solution id: a number for its first measure type, or a scale per measure type): the
    rows of a marginal abatement cost curve, and the solutions that cannot be on it with the reason."""
    scales = scales or {}
    known = {r.id for r in catalog.records_of_kind(engine, "solution")}
    unknown = sorted(set(scales) - known)
    if unknown:
        raise EstimateInvalid(f"scale given for {', '.join(unknown)}: no such solution")
    check(samples, SAMPLES, "samples", PortfolioInvalid)
    general = load_factors(engine) if general is None else general
    types = measure_types(engine)
    rows: list[MaccRow] = []
    refused: list[dict[str, str]] = []
    for rec in catalog.records_of_kind(engine, "solution"):
        if not any(mid in types for mid in rec.measure_types):
            refused.append({"solution": rec.id, "title": rec.title, "reason": "no measure type with an impact model"})
            continue
        try:
            est = estimate_solution(engine, rec.id, city, scales.get(rec.id), samples=samples, seed=seed,
                                    tariff=tariff, general=general, discount_rate=discount_rate)
        except ScaleMissing:
            refused.append({"solution": rec.id, "title": rec.title,
                            "reason": "its record gives no source scale; state one (kb macc CITY --scale "
                                      f"{rec.id}=Q, or {rec.id}.MEASURE_TYPE=Q for each of several types)"})
            continue
        except (NoImpactModel, ParameterMissing, DriverMissing, EstimateInvalid,
                PortfolioInvalid) as exc:
            refused.append({"solution": rec.id, "title": rec.title, "reason": str(exc)})
            continue
        reason = _not_on_curve(est)
        if reason:
            refused.append({"solution": rec.id, "title": rec.title, "reason": reason})
            continue
        stated = rec.id in scales
        rows.append(MaccRow(rec.id, rec.title, [m["measure_type"] for m in est.measures],
                            [{"measure_type": m["measure_type"], "value": m["scale"], "unit": m["unit"],
                              "stated": stated} for m in est.measures], rec.status, _pair(est, "co2_avoided"),
                            _pair(est, "net_abatement_cost"), _pair(est, "npv")))
    rows.sort(key=lambda r: (r.net_abatement_cost["central"] if r.net_abatement_cost["central"] is not None
                             else math.inf, r.solution))
    x = 0.0
    for r in rows:
        r.start = x
        x += r.width
    notes = ["each solution at the scale its own record gives (its source scale) unless one was stated, with the "
             "record's site figures; the bars are not additive where two solutions use the same roofs, homes or "
             "network",
             f"{samples} Monte Carlo samples per solution (seed {seed}); width and height are central values"]
    return Macc(city, rows, refused, samples, seed, discount_rate, notes)


def _not_on_curve(est: Estimate) -> str:
    """Why an estimate cannot be a bar (no CO2 avoided, no net abatement cost), or '' when it can."""
    if "net_abatement_cost" not in est.metrics or "co2_avoided" not in est.metrics:
        why = "; ".join(f"{u['metric']}: {u['reason']}" for u in est.unavailable
                        if u["metric"] in ("co2_avoided", "savings", "net_abatement_cost", "npv"))
        return f"no net abatement cost in this city ({why or 'no CO2 or savings figure'})"
    co2 = est.metrics["co2_avoided"].central
    if not co2 > 0:
        return f"avoids no CO2 here (central {co2:,.1f} tCO2/yr): no width on the curve"
    if not math.isfinite(est.metrics["net_abatement_cost"].central):
        return "net abatement cost is not finite"
    return ""
