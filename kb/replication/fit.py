"""Transfer fit: rank lighthouse solutions for a city by climate, preconditions, economics, evidence and needs."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import Engine
from sqlmodel import col, select

from kb.embeddings import Embedder, from_blob
from kb.replication.cities import CityProfile, DriverMissing, find_city
from kb.replication.inputs import Input, MeasureType, load_factors, measure_types
from kb.replication.simulation import PortfolioItem, prepare
from kb.replication.solution import NoImpactModel, SolutionInputs, calibrate, solution_inputs
from kb.store import catalog, database
from kb.store.readmodel import RecordSummary, StoredRecord
from kb.store.tables import ChunkRow

WEIGHTS: dict[str, float] = {"climate": 0.2, "preconditions": 0.2, "economics": 0.25, "evidence": 0.15,
                             "needs": 0.2}
STRONG_EVIDENCE = ("measured", "installed")
HEAT_MODELS = frozenset({"heat_pump", "heat_recovery", "retrofit", "green_roof"})


@dataclass
class FitFactor:
    """One factor of the transfer fit: a score in 0–1 and one sentence."""

    name: str
    score: float
    explanation: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "score": round(self.score, 3), "explanation": self.explanation}


@dataclass
class Match:
    """A ranked solution with its fit and the per-factor breakdown."""

    id: str
    title: str
    city: str
    measure_types: list[str]
    fit: float
    factors: list[FitFactor] = field(default_factory=list)
    payback: float | None = None
    capex_at_source_scale: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "city": self.city, "measure_types": self.measure_types,
                "fit": round(self.fit, 3), "factors": [f.to_dict() for f in self.factors]}


def _closeness(a: float, b: float) -> float:
    """1 when equal, falling with the log ratio: 0.5 at a factor of about 1.65, 0 at a factor of e."""
    if a <= 0 or b <= 0:
        return 0.0
    return max(0.0, 1.0 - abs(math.log(a / b)))


def climate_factor(city: CityProfile, source: CityProfile, types: list[MeasureType]) -> FitFactor:
    keys: list[tuple[str, str, str]] = []
    models = {mt.model for mt in types}
    if models & HEAT_MODELS:
        keys.append(("hdd", "heating degree-days", "K·d"))
    if "pv" in models:
        keys.append(("pv_yield", "PV yield", "kWh/kWp/yr"))
    if not keys:
        keys = [("hdd", "heating degree-days", "K·d"), ("pv_yield", "PV yield", "kWh/kWp/yr")]
    scores, parts, unknown = [], [], []
    for key, label, unit in keys:
        a, b = city.value(key), source.value(key)
        if a is None or b is None:
            unknown.append(label)
            continue
        scores.append(_closeness(a, b))
        change = (a / b - 1) * 100
        parts.append(f"{abs(change):.0f} % {'more' if change >= 0 else 'fewer' if key == 'hdd' else 'less'} "
                     f"{label} ({a:g} vs {b:g} {unit})")
    if not scores:
        return FitFactor("climate", 0.5, f"Climate not compared: {', '.join(unknown)} missing for "
                                         f"{city.name} or {source.name}.")
    text = f"{city.name} has " + " and ".join(parts) + f" than {source.name}"
    if unknown:
        text += f"; {', '.join(unknown)} unknown"
    return FitFactor("climate", float(np.mean(scores)), text + ".")


def preconditions_factor(city: CityProfile, types: list[MeasureType]) -> FitFactor:
    """Preconditions of the measure types checked against the city's drivers where a driver speaks to them."""
    share = city.value("district_heating_share_city")
    label = "city"
    if share is None:
        share, label = city.value("district_heating_share"), "country"
    scores: list[float] = []
    notes: list[str] = []
    unchecked: list[str] = []
    for mt in types:
        for pre in mt.preconditions:
            low = pre.lower()
            if "district heating" in low and ("less attractive" in low or "compet" in low):
                if share is not None:
                    scores.append(1 - min(share, 100) / 100)
                    notes.append(f"district heating already serves {share:g} % ({label}), which competes with "
                                 f"{mt.title.lower()}")
                else:
                    unchecked.append(pre)
            elif "heat network" in low:
                if share is not None:
                    scores.append(0.4 + 0.6 * min(share, 100) / 100)
                    notes.append(f"needs a heat network; district heating serves {share:g} % ({label})")
                else:
                    unchecked.append(pre)
            else:
                unchecked.append(pre)
    if not scores:
        score = 0.7 if unchecked else 0.8
        first = f" (e.g. {unchecked[0].rstrip('.')})" if unchecked else ""
        return FitFactor("preconditions", score, f"No city driver contradicts the {len(unchecked)} precondition(s); "
                                                 f"check them locally{first}.")
    tail = f"; {len(unchecked)} more to check locally" if unchecked else ""
    return FitFactor("preconditions", float(np.mean(scores)) * (0.9 if unchecked else 1.0),
                     "; ".join(dict.fromkeys(notes)).capitalize() + tail + ".")


def economics_factor(si: SolutionInputs, city: CityProfile, source: CityProfile | None, general: dict[str, Input],
                     budget: float | None) -> tuple[FitFactor, float | None, float | None]:
    """Payback in the city (central estimate at the source scale, or per unit where the record has none)."""
    scales = {mt.id: si.source_scale(mt.id) if mt.id in si.source_scales else 1.0 for mt in si.types}

    items = [PortfolioItem(mt, scales[mt.id], si.overrides.get(mt.id, {})) for mt in si.types]
    try:
        plan = prepare(items, city, general)
        if source is not None:
            plan.calibration = calibrate(si, source, general, "household")[0]
        central = plan.central()
    except (DriverMissing, LookupError, ValueError) as exc:
        reason = exc.problem if isinstance(exc, DriverMissing) else str(exc)  # the fix is for the estimate, not here
        return FitFactor("economics", 0.5, f"Payback not computed: {reason}."), None, None
    pb = central.get("payback")
    life = float(np.mean([m.params["lifetime"].mid for m in plan.measures]))
    capex = central["capex"] if si.source_scales else None
    if pb is None:
        return FitFactor("economics", 0.5, "Payback not computed: a price factor is missing."), None, capex
    if not math.isfinite(pb):
        score, text = 0.0, f"Does not pay back on energy savings in {city.name} (savings ≤ running costs)"
    else:
        score = max(0.0, min(1.0, (life - pb) / life))
        text = f"Simple payback about {pb:.1f} years in {city.name} (lifetime about {life:.0f} years)"
    if budget is not None and capex:
        if capex > budget:
            score *= math.sqrt(budget / capex)
            text += f"; at the source scale it costs about {capex:,.0f} EUR, above the budget of {budget:,.0f} EUR"
        else:
            text += f"; the source scale (about {capex:,.0f} EUR) fits the budget of {budget:,.0f} EUR"
    return FitFactor("economics", score, text + "."), (pb if math.isfinite(pb) else None), capex


def evidence_factor(rec: StoredRecord) -> FitFactor:
    nums = [q for q in rec.all_numbers() if not q.missing]
    if not nums:
        return FitFactor("evidence", 0.0, "The record holds no numbers.")
    strong = sum(1 for q in nums if q.evidence in STRONG_EVIDENCE)
    measured = sum(1 for q in nums if q.evidence == "measured")
    return FitFactor("evidence", strong / len(nums),
                     f"{strong} of {len(nums)} numbers are measured or installed ({measured} measured); "
                     "the rest are design, target, estimate or reference figures.")


def _chunk_vectors(engine: Engine, record_ids: list[str], embedder: Embedder
                   ) -> dict[str, list[tuple[str, np.ndarray]]]:
    out: dict[str, list[tuple[str, np.ndarray]]] = {r: [] for r in record_ids}
    to_embed: list[tuple[str, str, str]] = []
    with database.read_session(engine) as s:
        rows = list(s.exec(select(ChunkRow).where(col(ChunkRow.record_id).in_(record_ids))))
    for c in rows:
        if c.embedding is not None and c.model == embedder.name and c.dim == embedder.dim:
            out[c.record_id].append((c.section, from_blob(c.embedding, c.dim)))
        elif c.text.strip():
            to_embed.append((c.record_id, c.section, c.text))
    if to_embed:
        vecs = embedder.encode([t for _, _, t in to_embed])
        for (rid, sec, _), v in zip(to_embed, vecs, strict=True):
            out[rid].append((sec, v))
    return out


def needs_factor(qvec: np.ndarray, chunks: list[tuple[str, np.ndarray]]) -> FitFactor:
    if not chunks:
        return FitFactor("needs", 0.0, "The record has no text to compare with the stated needs.")
    sims = [(float(np.dot(v, qvec)), sec) for sec, v in chunks]
    best, sec = max(sims)
    return FitFactor("needs", max(0.0, min(1.0, best)),
                     f"Its '{sec}' section is the closest to the stated needs (cosine similarity {best:.2f}).")


def lighthouse_solutions(engine: Engine) -> list[RecordSummary]:
    return [r for r in catalog.list_records(engine, kind="solution")
            if (r.scope or "lighthouse") == "lighthouse" and r.measure_types]


def match(engine: Engine, city: CityProfile | str, needs: str | None = None, budget: float | None = None,
          embedder: Embedder | None = None, limit: int | None = None) -> list[Match]:
    """Lighthouse solutions with an impact model, best transfer fit first."""
    target = find_city(engine, city) if isinstance(city, str) else city
    general = load_factors(engine)
    cities: dict[str, CityProfile | None] = {}
    types = measure_types(engine)
    sols: list[SolutionInputs] = []
    for rec in catalog.get_records(engine, [r.id for r in lighthouse_solutions(engine)]):
        try:
            sols.append(solution_inputs(rec, types))
        except NoImpactModel:
            continue
    qvec: np.ndarray | None = None
    chunks: dict[str, list[tuple[str, np.ndarray]]] = {}
    if needs and needs.strip():
        if embedder is None:
            raise ValueError("relevance to stated needs requires an embedder")
        qvec = embedder.encode([needs.strip()])[0]
        chunks = _chunk_vectors(engine, [si.record.id for si in sols], embedder)
    out: list[Match] = []
    for si in sols:
        rec = si.record
        if rec.city not in cities:
            try:
                cities[rec.city] = find_city(engine, rec.city)
            except LookupError:
                cities[rec.city] = None
        src = cities[rec.city]
        factors: list[FitFactor] = []
        factors.append(climate_factor(target, src, si.types) if src else
                       FitFactor("climate", 0.5, f"No profile of the source city '{rec.city}'."))
        factors.append(preconditions_factor(target, si.types))
        econ, payback, capex = economics_factor(si, target, src, general, budget)
        factors.append(econ)
        factors.append(evidence_factor(rec))
        if qvec is not None:
            factors.append(needs_factor(qvec, chunks.get(rec.id, [])))
        total_w = sum(WEIGHTS[f.name] for f in factors)
        fit = sum(WEIGHTS[f.name] * f.score for f in factors) / total_w
        out.append(Match(rec.id, rec.title, rec.city, [mt.id for mt in si.types], fit, factors,
                         payback, capex))
    out.sort(key=lambda m: (-m.fit, m.id))
    return out[:limit] if limit else out
