"""Transfer fit: lighthouse solutions ranked for a city by climate, preconditions, economics, evidence, heat, needs.

Weights (:data:`WEIGHTS`): climate 0.2, preconditions 0.2, economics 0.25 and evidence 0.15 for every solution; the
city's district heating share 0.3 for solutions that supply a heat network or replace boilers building by building
(it does not apply to others); the stated needs 0.6 when needs are given, so that they count for more than a third of
the fit. The fit is the weighted mean of the factors a solution has. Dropped schemes are not ranked: :func:`rank`
returns them apart, as lessons.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from sqlalchemy import Engine
from sqlmodel import col, select

from kb.embeddings import Embedder, from_blob
from kb.i18n import AND, N_, Msg, Num, Param, joined
from kb.replication.cities import DRIVER_LABELS, CityProfile, DriverMissing, find_city
from kb.replication.inputs import Input, MeasureType, load_factors, measure_types
from kb.replication.needs import Topic, answers, heat_role, named_in, topics_in
from kb.replication.simulation import PortfolioItem, prepare
from kb.replication.solution import NoImpactModel, SolutionInputs, calibrate, solution_inputs
from kb.store import catalog, database
from kb.store.readmodel import RecordSummary, StoredRecord
from kb.store.tables import ChunkRow

log = logging.getLogger(__name__)

# What each factor weighs, in one plain sentence (the page shows these; `kb match` prints the per-solution ones).
FACTOR_MEANINGS: dict[str, str] = {
    "climate": "How close your city's climate is to the source city's, for what the measure depends on.",
    "preconditions": "Whether what is known about your city meets the conditions the measure needs.",
    "economics": "How soon the measure pays back on energy savings at your city's prices.",
    "evidence": "How much of the record's evidence was measured or installed rather than designed or targeted.",
    "district heating": "How the share of your city on district heating suits a heat solution: heat-network "
                        "solutions fit better, boiler replacement worse, the larger that share.",
    "needs": "How well the solution answers what you said your city needs.",
}

WEIGHTS: dict[str, float] = {"climate": 0.2, "preconditions": 0.2, "economics": 0.25, "evidence": 0.15,
                             "district heating": 0.3, "needs": 0.6}
TOPIC_SHARE = 0.7     # of the needs score: the named topics a solution answers; the rest is closeness in meaning
LESSON_STATUSES = frozenset({"dropped", "abandoned", "cancelled", "canceled"})
STRONG_EVIDENCE = ("measured", "installed")
HEAT_MODELS = frozenset({"heat_pump", "heat_recovery", "retrofit", "green_roof"})


@dataclass
class FitFactor:
    """One factor of the transfer fit: a score in 0–1 and one sentence."""

    name: str
    score: float
    explanation: str
    message: Msg | None = None
    """The explanation as a structured message (translated by the app); ``explanation`` is its English."""

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


def _factor(name: str, score: float, message: Msg) -> FitFactor:
    return FitFactor(name, score, str(message), message)


_CLIMATE_PARTS: dict[tuple[str, bool], str] = {
    ("hdd", True): N_("{change} % more heating degree-days ({city} vs {source} K·d)"),
    ("hdd", False): N_("{change} % fewer heating degree-days ({city} vs {source} K·d)"),
    ("pv_yield", True): N_("{change} % more PV yield ({city} vs {source} kWh/kWp/yr)"),
    ("pv_yield", False): N_("{change} % less PV yield ({city} vs {source} kWh/kWp/yr)"),
}
_CLIMATE_LABELS = {"hdd": N_("heating degree-days"), "pv_yield": N_("PV yield")}


def _closeness(a: float, b: float) -> float:
    """1 when equal, falling with the log ratio: 0.5 at a factor of about 1.65, 0 at a factor of e."""
    if a <= 0 or b <= 0:
        return 0.0
    return max(0.0, 1.0 - abs(math.log(a / b)))


def climate_factor(city: CityProfile, source: CityProfile, types: list[MeasureType]) -> FitFactor:
    keys: list[str] = []
    models = {mt.model for mt in types}
    if models & HEAT_MODELS:
        keys.append("hdd")
    if "pv" in models:
        keys.append("pv_yield")
    if not keys:
        keys = ["hdd", "pv_yield"]
    scores: list[float] = []
    parts: list[Param] = []
    unknown: list[Param] = []
    for key in keys:
        a, b = city.value(key), source.value(key)
        if a is None or b is None:
            unknown.append(Msg(_CLIMATE_LABELS[key]))
            continue
        scores.append(_closeness(a, b))
        change = (a / b - 1) * 100
        parts.append(Msg(_CLIMATE_PARTS[key, change >= 0],
                         {"change": Num(abs(change), ".0f"), "city": Num(a), "source": Num(b)}))
    if not scores:
        return _factor("climate", 0.5, Msg(N_("Climate not compared: the {what} of {city} or {source} is not known."),
                                           {"what": joined(unknown, ", ", Msg(AND)),
                                            "city": city.name, "source": source.name}))
    values: dict[str, Param] = {"city": city.name, "differences": joined(parts, ", ", Msg(AND)),
                                "source": source.name}
    if unknown:
        values["unknown"] = joined(unknown)
        return _factor("climate", float(np.mean(scores)),
                       Msg(N_("{city} has {differences} than {source}; {unknown} unknown."), values))
    return _factor("climate", float(np.mean(scores)), Msg(N_("{city} has {differences} than {source}."), values))


def preconditions_factor(city: CityProfile, types: list[MeasureType]) -> FitFactor:
    """Preconditions of the measure types checked against the city's drivers where a driver speaks to them."""
    share = city.value("district_heating_share_city")
    label = Msg(N_("city figure"))
    if share is None:
        share, label = city.value("district_heating_share"), Msg(N_("country figure"))
    scores: list[float] = []
    notes: list[Msg] = []
    unchecked: list[str] = []
    for mt in types:
        for pre in mt.preconditions:
            low = pre.lower()
            if "district heating" in low and ("less attractive" in low or "compet" in low):
                if share is not None:
                    scores.append(1 - min(share, 100) / 100)
                    notes.append(Msg(N_("district heating already serves {share} % ({where}), which competes "
                                        "with {measure}"),
                                     {"share": Num(share), "where": label, "measure": mt.title.lower()}))
                else:
                    unchecked.append(pre)
            elif "heat network" in low:
                if share is not None:
                    scores.append(0.4 + 0.6 * min(share, 100) / 100)
                    notes.append(Msg(N_("needs a heat network; district heating serves {share} % ({where})"),
                                     {"share": Num(share), "where": label}))
                else:
                    unchecked.append(pre)
            else:
                unchecked.append(pre)
    if not scores:
        score = 0.7 if unchecked else 0.8
        n = len(unchecked)
        values: dict[str, Param] = {"city": city.name, "n": n,
                                    "example": unchecked[0].rstrip(".") if unchecked else ""}
        if n == 0:
            template = N_("Nothing known about {city} contradicts its {n} preconditions; check them locally.")
        elif n == 1:
            template = N_("Nothing known about {city} contradicts its one precondition; check it locally, for "
                          "example: {example}.")
        else:
            template = N_("Nothing known about {city} contradicts its {n} preconditions; check them locally, for "
                          "example: {example}.")
        return _factor("preconditions", score, Msg(template, values))
    said: dict[str, Param] = {"notes": joined(list({str(n): n for n in notes}.values()), "; ")}
    if unchecked:
        said["more"] = len(unchecked)
        message = Msg(N_("{notes}; {more} more to check locally."), said, capital=True)
    else:
        message = Msg(N_("{notes}."), said, capital=True)
    return _factor("preconditions", float(np.mean(scores)) * (0.9 if unchecked else 1.0), message)


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
    except (DriverMissing, LookupError, ValueError) as exc:  # the fix is for the estimate, not here
        log.info("fit: payback of %s in %s not computed: %s", si.record.id, city.name, exc)
        if isinstance(exc, DriverMissing):
            what = Msg(DRIVER_LABELS[exc.key]) if exc.key in DRIVER_LABELS else Msg(N_("input it needs"))
            reason = Msg(N_("Payback not computed: there is no figure for the {what} of {city}."),
                         {"what": what, "city": exc.city})
        else:
            reason = Msg(N_("Payback not computed: an input the estimate needs is missing."))
        return _factor("economics", 0.5, reason), None, None
    pb = central.get("payback")
    life = float(np.mean([m.params["lifetime"].mid for m in plan.measures]))
    capex = central["capex"] if si.source_scales else None
    if pb is None:
        return _factor("economics", 0.5, Msg(N_("Payback not computed: a price factor is missing."))), None, capex
    if not math.isfinite(pb):
        score, text = 0.0, Msg(N_("Does not pay back on energy savings in {city}: the energy saved is worth no more "
                                  "than the running costs"), {"city": city.name})
    else:
        score = max(0.0, min(1.0, (life - pb) / life))
        text = Msg(N_("Simple payback about {payback} years in {city} (lifetime about {lifetime} years)"),
                   {"payback": Num(pb, ".1f"), "city": city.name, "lifetime": Num(life, ".0f")})
    values: dict[str, Param] = {"text": text}
    template = N_("{text}.")
    if budget is not None and capex:
        values |= {"capex": Num(capex, ",.0f"), "budget": Num(budget, ",.0f")}
        if capex > budget:
            score *= math.sqrt(budget / capex)
            template = N_("{text}; at the source scale it costs about {capex} EUR, above the budget of {budget} EUR.")
        else:
            template = N_("{text}; the source scale (about {capex} EUR) fits the budget of {budget} EUR.")
    return _factor("economics", score, Msg(template, values)), (pb if math.isfinite(pb) else None), capex


def evidence_factor(rec: StoredRecord) -> FitFactor:
    nums = [q for q in rec.all_numbers() if not q.missing]
    if not nums:
        return _factor("evidence", 0.0, Msg(N_("The record holds no figures, measured or otherwise.")))
    strong = sum(1 for q in nums if q.evidence in STRONG_EVIDENCE)
    measured = sum(1 for q in nums if q.evidence == "measured")
    template = (N_("{strong} of {n} figures in the record are measured or installed ({measured} measured); the rest "
                   "are design, target, estimate or reference figures.") if strong < len(nums) else
                N_("{strong} of {n} figures in the record are measured or installed ({measured} measured)."))
    return _factor("evidence", strong / len(nums), Msg(template, {"strong": strong, "n": len(nums),
                                                                  "measured": measured}))


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


def needs_factor(qvec: np.ndarray, chunks: list[tuple[str, np.ndarray]], topics: list[Topic] | None = None,
                 types: list[MeasureType] | None = None, text: str = "") -> FitFactor:
    """Relevance to the stated needs: the topics they name (gas, district heating, heat, apartment blocks, ...) that
    the solution answers (:data:`TOPIC_SHARE` of the score), and the closeness in meaning of its text."""
    if chunks:
        sims = [(float(np.dot(v, qvec)), sec) for sec, v in chunks]
        best, sec = max(sims)
        sim = max(0.0, min(1.0, best))
        close = Msg(N_("its {section} section is the closest in meaning to your needs (similarity {similarity} on a "
                       "0–1 scale)"), {"section": sec, "similarity": Num(sim, ".2f")})
    else:
        sim, close = 0.0, Msg(N_("the record has no text to compare with your needs"))
    if not topics:
        return _factor("needs", sim, Msg(N_("{text}."), {"text": close}, capital=True))
    met = [(t, answers(t, types or [], text)) for t in topics]
    topic_score = sum(a for _, a in met) / len(met)
    named = joined([Msg(t.name) for t in topics], ", ", Msg(AND))
    hit: list[Param] = [Msg(N_("{topic} ({answer})"), {"topic": Msg(t.name), "answer": Msg(t.answer)})
                        for t, a in met if a > 0]
    said = (Msg(N_("it answers {n} of them: {topics}"), {"n": len(hit), "topics": joined(hit, "; ")}) if hit else
            Msg(N_("it answers none of them")))
    return _factor("needs", TOPIC_SHARE * topic_score + (1 - TOPIC_SHARE) * sim,
                   Msg(N_("Your needs name {named}; {answered}. Also, {closest}."),
                       {"named": named, "answered": said, "closest": close}))


def district_heating_share(city: CityProfile) -> tuple[float | None, str]:
    """The city's district heating share (%) and where it comes from, in words: the city figure, else the country's."""
    share, where = district_heating_share_said(city)
    return share, str(where)


def district_heating_share_said(city: CityProfile) -> tuple[float | None, Msg]:
    """:func:`district_heating_share` with where it comes from as a message (translated by the app)."""
    share = city.value("district_heating_share_city")
    if share is not None:
        return share, Msg(N_("city figure"))
    share = city.value("district_heating_share")
    return share, Msg(N_("national figure; no city figure on record"))


def district_heating_factor(city: CityProfile, types: list[MeasureType]) -> FitFactor | None:
    """How the city's district heating share changes the fit of a heat solution; None for a solution it does not
    concern (electricity, mobility, or saving heat whatever supplies it).

    Heat-network solutions: 0.5 + 0.5 × share (an existing network is a customer base to supply and decarbonise).
    Solutions replacing gas boilers building by building: 1 − share (fewer buildings have a boiler to replace)."""
    role = heat_role(types)
    if role not in ("network", "individual"):
        return None
    share, where = district_heating_share_said(city)
    if share is None:
        return _factor("district heating", 0.5, Msg(N_("There is no district heating share for {city}, so how its "
                                                       "homes are heated was not weighed."), {"city": city.name}))
    s = min(max(share, 0.0), 100.0) / 100
    values: dict[str, Param] = {"share": Num(share), "city": city.name, "where": where}
    if role == "network":
        return _factor("district heating", 0.5 + 0.5 * s,
                       Msg(N_("District heating serves about {share} % of {city} ({where}): heat-network solutions "
                              "such as this one fit better the larger that share, as they can supply or decarbonise "
                              "the network."), values))
    return _factor("district heating", 1.0 - s,
                   Msg(N_("District heating serves about {share} % of {city} ({where}): this measure replaces gas "
                          "boilers building by building, and the larger that share, the fewer buildings have one to "
                          "replace."), values))


def lighthouse_solutions(engine: Engine) -> list[RecordSummary]:
    """Lighthouse solutions with measure types that are still solutions to replicate (not dropped)."""
    return [r for r in catalog.list_records(engine, kind="solution")
            if (r.scope or "lighthouse") == "lighthouse" and r.measure_types and r.status not in LESSON_STATUSES]


@dataclass
class DroppedScheme:
    """A lighthouse scheme that was dropped: a lesson, not a solution to replicate, with why in words."""

    id: str
    title: str
    city: str
    status: str
    reason: str
    city_name: str = ""    # the city's name as written (``city`` is its id)
    score: float = 0.0     # relevance to the stated needs (topics named), for the order only
    message: Msg | None = None  # the reason as a structured message (translated by the app)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "city": self.city, "city_name": self.city_name,
                "status": self.status, "reason": self.reason}


@dataclass
class Ranking:
    """The ranked solutions to replicate and, apart, the dropped schemes to learn from."""

    matches: list[Match]
    dropped: list[DroppedScheme] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"matches": [m.to_dict() for m in self.matches], "dropped": [d.to_dict() for d in self.dropped]}


_CITATION = re.compile(r"\s*\[S\d+(?:[;,]\s*S\d+)*\]")


def _first_sentence(text: str) -> str:
    plain = _CITATION.sub("", text.replace("**", "")).strip()
    first = re.split(r"(?<=[.!?])\s+", plain, maxsplit=1)[0].strip() if plain else ""
    return first.rstrip(".") + "." if first else ""


def dropped_reason(rec: StoredRecord) -> str:
    """Why a dropped scheme is a lesson: what became of it (its Results) and the barriers it failed on."""
    return str(dropped_reason_said(rec))


def dropped_reason_said(rec: StoredRecord) -> Msg:
    """:func:`dropped_reason` as a message: the frame translated by the app, the record's words kept."""
    results = rec.section("Results")
    parts: list[Param] = [Msg(N_("Recorded as {status}, so it is shown for its lessons, not ranked as a solution to "
                                 "replicate."), {"status": Msg(rec.status or "")})]
    if results and results.text.strip():
        parts.append(_first_sentence(results.text))
    failed = [b.title.rstrip(".") for b in rec.barriers if b.outcome == "failed"]
    if failed:
        barriers = "; ".join(b[0].lower() + b[1:] for b in failed)
        parts.append(Msg(N_("It failed on: {barriers}."), {"barriers": barriers}))
    return joined(parts, " ")


def dropped_schemes(engine: Engine, topics: list[Topic] | None = None) -> list[DroppedScheme]:
    """Dropped lighthouse schemes, those naming more of the needs' topics first, then by title."""
    return order_dropped(_dropped_base(engine), topics)


def _dropped_base(engine: Engine) -> list[tuple[DroppedScheme, str]]:
    """Every dropped lighthouse scheme (score 0) with the text its relevance to the needs' topics is read from."""
    ids = [r.id for r in catalog.list_records(engine, kind="solution")
           if (r.scope or "lighthouse") == "lighthouse" and r.status in LESSON_STATUSES]
    out: list[tuple[DroppedScheme, str]] = []
    for rec in catalog.get_records(engine, ids):
        text = " ".join([rec.title, *map(str, rec.front.get("keywords") or [])])
        try:
            name = find_city(engine, rec.city).name
        except LookupError:
            name = rec.city
        said = dropped_reason_said(rec)
        out.append((DroppedScheme(rec.id, rec.title, rec.city, rec.status, str(said), name, 0.0, said), text))
    return out


def order_dropped(base: list[tuple[DroppedScheme, str]], topics: list[Topic] | None) -> list[DroppedScheme]:
    """The dropped schemes scored by the needs' topics their text names (new objects; ``base`` is left as it is),
    more topics first, then by title."""
    out: list[DroppedScheme] = []
    for d, text in base:
        score = sum(1.0 for t in topics if named_in(t, text)) / len(topics) if topics else 0.0
        out.append(replace(d, score=score))
    out.sort(key=lambda d: (-d.score, d.title))
    return out


def _needs_text(rec: StoredRecord) -> str:
    summary = rec.section("Summary")
    return " ".join([rec.title, *map(str, rec.front.get("keywords") or []), summary.text if summary else ""])


@dataclass(frozen=True)
class _Candidate:
    """A solution's part of a ranking that does not depend on the stated needs."""

    id: str
    title: str
    city: str
    types: list[MeasureType]
    factors: list[FitFactor]
    payback: float | None
    capex: float | None
    needs_text: str


@dataclass(frozen=True)
class FitBase:
    """What a ranking for one city and budget computes without the needs (the solutions' climate, preconditions,
    economics, evidence and heat factors, and the dropped schemes): :func:`rank_needs` adds the needs to it, so an
    app that keeps it per city, budget and data answers a new needs text without reading every solution again."""

    candidates: list[_Candidate]
    dropped: list[tuple[DroppedScheme, str]]

    @property
    def record_ids(self) -> list[str]:
        """The ranked solutions' ids (the records whose sections :func:`needs_chunks` reads)."""
        return [c.id for c in self.candidates]


def fit_base(engine: Engine, city: CityProfile | str, budget: float | None = None) -> FitBase:
    """The needs-independent part of :func:`rank` for ``city`` and ``budget``."""
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
    out: list[_Candidate] = []
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
                       _factor("climate", 0.5, Msg(N_("Climate not compared: the knowledge base has no profile of "
                                                      "the source city ({city})."), {"city": rec.city})))
        factors.append(preconditions_factor(target, si.types))
        econ, payback, capex = economics_factor(si, target, src, general, budget)
        factors.append(econ)
        factors.append(evidence_factor(rec))
        dh = district_heating_factor(target, si.types)
        if dh is not None:
            factors.append(dh)
        out.append(_Candidate(rec.id, rec.title, rec.city, si.types, factors, payback, capex, _needs_text(rec)))
    return FitBase(out, _dropped_base(engine))


def needs_chunks(engine: Engine, base: FitBase, embedder: Embedder) -> dict[str, list[tuple[str, np.ndarray]]]:
    """The section vectors of the ranked solutions, which :func:`rank_needs` compares with the needs (read once per
    data version by an app; sections stored without a vector of this model are embedded here)."""
    return _chunk_vectors(engine, base.record_ids, embedder)


def rank_needs(base: FitBase, needs: str | None = None, qvec: np.ndarray | None = None,
               chunks: dict[str, list[tuple[str, np.ndarray]]] | None = None,
               limit: int | None = None) -> Ranking:
    """A ranking from its needs-independent part and the needs: ``qvec`` is the embedder's vector of
    ``needs.strip()`` and ``chunks`` the :func:`needs_chunks` (both required when ``needs`` is given)."""
    topics: list[Topic] = []
    if needs and needs.strip():
        if qvec is None or chunks is None:
            raise ValueError("relevance to stated needs requires the needs' vector and the solutions' sections")
        topics = topics_in(needs)
    else:
        qvec = None
    out: list[Match] = []
    for c in base.candidates:
        factors = list(c.factors)
        if qvec is not None:
            factors.append(needs_factor(qvec, (chunks or {}).get(c.id, []), topics, c.types, c.needs_text))
        total_w = sum(WEIGHTS[f.name] for f in factors)
        fit = sum(WEIGHTS[f.name] * f.score for f in factors) / total_w
        out.append(Match(c.id, c.title, c.city, [mt.id for mt in c.types], fit, factors, c.payback, c.capex))
    out.sort(key=lambda m: (-m.fit, m.id))
    return Ranking(out[:limit] if limit else out, order_dropped(base.dropped, topics))


def rank(engine: Engine, city: CityProfile | str, needs: str | None = None, budget: float | None = None,
         embedder: Embedder | None = None, limit: int | None = None) -> Ranking:
    """Lighthouse solutions with an impact model, best transfer fit first, and the dropped schemes apart."""
    base = fit_base(engine, city, budget)
    if not (needs and needs.strip()):
        return rank_needs(base, limit=limit)
    if embedder is None:
        raise ValueError("relevance to stated needs requires an embedder")
    qvec = embedder.encode([needs.strip()])[0]
    return rank_needs(base, needs, qvec, needs_chunks(engine, base, embedder), limit)


def match(engine: Engine, city: CityProfile | str, needs: str | None = None, budget: float | None = None,
          embedder: Embedder | None = None, limit: int | None = None) -> list[Match]:
    """Lighthouse solutions with an impact model, best transfer fit first (dropped schemes are not among them)."""
    return rank(engine, city, needs, budget, embedder, limit).matches
