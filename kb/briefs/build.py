"""Build a replication brief for solutions in a city: every figure with its evidence level and a numbered source."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from kb.briefs.data import (
    USER,
    BriefError,
    EstimateFn,
    FitFn,
    LessonsFn,
    app_lessons,
    corpus_lessons,
    find_city,
    replication_estimate,
    replication_fit,
)
from kb.briefs.hourly import estimate_hour_by_hour
from kb.briefs.model import Brief, Bullets, Heading, Paragraph, RangeBar, RangeChart, Section, Table, fmt, inert
from kb.briefs.sources import SENTENCE, SourceBook
from kb.lessons.format import Lesson
from kb.replication.factors import DEFAULT_BASIS, FactorBasis
from kb.replication.fit import Match
from kb.replication.sensitivity import summary as sensitivity_summary
from kb.replication.simulation import Estimate, Metric, finite_or_none
from kb.replication.words import cell, direction_of, generates, oriented
from kb.store import catalog
from kb.store.readmodel import Number, StoredRecord

__all__ = ["BriefError", "BriefRequest", "build_brief"]

METRIC_LABELS: dict[str, str] = {  # the metric names of kb.replication.simulation.METRICS
    "electricity": "electricity", "natural_gas": "natural gas", "district_heat": "district heat",
    "petrol": "petrol/diesel", "co2_avoided": "CO₂ avoided", "primary_energy_saved": "primary energy saved",
    "nox_avoided": "NOx avoided", "capex": "capital cost", "opex": "operating cost", "savings": "energy cost savings",
    "payback": "simple payback", "cost_per_tco2": "gross cost per tonne of CO₂ (undiscounted, savings not deducted)",
    "npv": "net present value (NPV)", "irr": "internal rate of return (IRR, per year)",
    "discounted_payback": "discounted payback", "lcoe": "levelised cost of electricity (LCOE)",
    "lcoh": "levelised cost of heat (LCOH)",
    "net_abatement_cost": "net abatement cost (savings deducted, discounted)",
}
MAIN_ORDER = ("co2_avoided", "electricity", "primary_energy_saved", "natural_gas", "district_heat", "petrol", "savings",
              "capex", "payback", "cost_per_tco2")
METRIC_WORDLESS = frozenset({"co2_avoided", "primary_energy_saved", "nox_avoided", "savings"})  # label has the word
COST_WORDS = ("capex", "opex", "saving", "payback", "tco2", "per_t", "cost", "eur")
LOW_FIT = 0.5


@dataclass
class BriefRequest:
    """What to brief: solution ids, a city (id, name or alias), scales by solution id, a fixed date and seed."""

    solutions: list[str]
    city: str
    scales: dict[str, float | dict[str, float]] = field(default_factory=dict)
    params: dict[str, dict[str, float]] = field(default_factory=dict)  # by solution id: KEY or TYPE.KEY → value
    drivers: dict[str, float] = field(default_factory=dict)  # city drivers entered by the user, for every estimate
    date: str = ""
    seed: int = 42
    co2_basis: str = ""  # "" = the default basis (kb.replication.factors.DEFAULT_BASIS)
    pef_basis: str = ""
    discount_rate: float | None = None  # None = the sourced range of the carrier-factors record
    homes: float | None = None  # homes of the reference district of the hourly dispatch; None = sized automatically


def metric_label(name: str) -> str:
    return METRIC_LABELS.get(name, name.replace("_", " "))


def build_brief(engine: Engine, req: BriefRequest, estimate: EstimateFn | None = None, fit: FitFn | None = None,
                lessons: LessonsFn | None = None) -> Brief:
    """The brief; raises ``BriefError`` (unknown city, no estimate) or ``RecordNotFound``."""
    if not req.solutions:
        raise BriefError("choose at least one solution")
    if not req.date:
        raise BriefError("a brief needs a date (YYYY-MM-DD)")
    if estimate is None:  # options only when given: callers may stand in a two-argument replication_estimate
        options: dict[str, Any] = {}
        if req.drivers:
            options["drivers"] = req.drivers
        basis = FactorBasis(req.co2_basis or DEFAULT_BASIS.co2, req.pef_basis or DEFAULT_BASIS.pef)
        if basis != DEFAULT_BASIS:
            options["basis"] = basis
        if req.discount_rate is not None:
            options["discount_rate"] = req.discount_rate
        if req.homes is not None:
            options["homes"] = req.homes
        estimate = replication_estimate(engine, req.params, **options) if options else \
            replication_estimate(engine, req.params)
    fit = fit or replication_fit(engine)
    lessons = lessons or app_lessons(engine)
    city = find_city(engine, req.city)
    cname = city.name
    wanted = list(dict.fromkeys(req.solutions))
    sols = catalog.get_records(engine, wanted)
    if len(sols) < len(wanted):
        raise catalog.RecordNotFound(next(sid for sid in wanted if sid not in {s.id for s in sols}))
    for s in sols:
        if s.kind != "solution":
            raise BriefError(f"'{s.id}' is a {s.kind} record, not a solution")
    ests = [estimate(s.id, city.id, req.scales.get(s.id), req.seed) for s in sols]
    fits = [fit(s.id, city.id) for s in sols]
    book = SourceBook(engine)
    model = book.model(req.seed)
    version = str(catalog.stats(engine).get("corpus_version") or "unversioned")
    titles = [s.title for s in sols]
    brief = Brief(title=f"Replication brief for {cname}: " + "; ".join(titles), city_id=city.id,
                  city_name=cname, solutions=[(s.id, s.title) for s in sols], date=req.date,
                  kb_version=version, seed=req.seed,
                  purpose=f"What this is: an estimate of what {'these solutions' if len(sols) > 1 else 'this solution'}"
                          f" would deliver if built in {cname}, made from the ATELIER PED knowledge base; every "
                          "figure carries its evidence level and a numbered source.")
    source_names = {s.id: _source_city(engine, s) for s in sols}
    brief.sections = [
        _summary(sols, ests, fits, cname, book, model, source_names, engine),
        _as_built(sols, book, source_names),
        _fit(sols, fits, cname, model),
        _impact(sols, ests, cname, model),
        *_hour_by_hour(sols, ests, model),
        _costs(sols, ests, book, model),
        _barriers(sols, fits, book, model),
        _lessons(engine, sols, book, lessons),
        _next_steps(sols, ests, cname, book),
        _assumptions(sols, ests, book, model, req.seed),
    ]
    brief.sources = book.entries()
    return brief


def _source_city(engine: Engine, sol: StoredRecord) -> str:
    try:
        return catalog.get_record(engine, sol.city).name
    except catalog.RecordNotFound:
        return sol.city


def _pct(m: Metric) -> tuple[float | None, float | None, float | None]:
    """P10, P50, P90 with infinite or undefined values (a payback that never comes) as None."""
    return finite_or_none(m.p10), finite_or_none(m.p50), finite_or_none(m.p90)


def _metrics(est: Estimate) -> list[tuple[str, Metric]]:
    return [(k, m) for k, m in est.metrics.items() if finite_or_none(m.p50) is not None]


def _main_metrics(est: Estimate, n: int = 5) -> list[tuple[str, Metric]]:
    ms = _metrics(est)
    rank = {k: i for i, k in enumerate(MAIN_ORDER)}
    return sorted(ms, key=lambda kv: rank.get(kv[0], len(rank)))[:n]


def _shown(est: Estimate, k: str, m: Metric) -> tuple[str, list[str]]:
    """The metric's label with its direction in words and P10/P50/P90 as positive amounts in that direction
    (``electricity generated``: 303 / 318 / 338); a value the other way reads ``4 added``."""
    p10, p50, p90 = _pct(m)
    gen = generates(est.measures)
    if direction_of(k, gen) is None or None in (p10, p50, p90):
        return metric_label(k), [fmt(p10), fmt(p50), fmt(p90)]
    assert p10 is not None and p50 is not None and p90 is not None
    word, s10, s50, s90 = oriented(k, p10, p50, p90, gen)
    label = metric_label(k)
    d = direction_of(k, gen)
    if k in METRIC_WORDLESS and d is not None and word == d.gain:
        pass  # "CO₂ avoided", "energy cost savings" already say which way
    elif d is not None:
        label = f"{d.noun} {word}"
    return label, [cell(k, v, word, gen, fmt) for v in (s10, s50, s90)]


def _range(est: Estimate, k: str, m: Metric) -> tuple[str, str]:
    label, (p10, p50, p90) = _shown(est, k, m)
    return label, f"**{p50} {m.unit}** (P10 {p10} – P90 {p90})"


def _fit_value(x: float) -> float:
    """A fit score as the replication model reports it (three decimals)."""
    return round(x, 3)


def _scale_ref(est: Estimate, sol: StoredRecord, model: str, book: SourceBook) -> str:
    """``[n] (evidence)`` of the scale rows of the assumptions (``model (input)`` when there are none)."""
    scale_rows = [a for a in est.assumptions if str(a.get("name", "")).startswith("scale")
                  or a.get("role") == "scale"]
    if not scale_rows:
        return f"{model} (input)"
    refs = "; ".join(dict.fromkeys(n for a in scale_rows for n in book.assumption(a, sol).strip("[]").split("; ")))
    evidence = ", ".join(dict.fromkeys(str(a.get("evidence") or "—") for a in scale_rows))
    return f"[{refs}] ({evidence})"


def _scale_text(est: Estimate, sol: StoredRecord, model: str, book: SourceBook) -> str:
    model = _scale_ref(est, sol, model, book)
    measures = [m for m in est.measures if m["scale"] is not None]
    if len(measures) > 1:
        parts = [f"{fmt(m['scale'])} {m['unit']} of {m['title'] or m['measure_type']}" for m in measures]
        return f"at a scale of {', '.join(parts)} {model}"
    scale = est.scale
    if scale["value"] is None:
        return "at the scale of the source site"
    return f"at a scale of {fmt(scale['value'])} {scale['unit']} {model}"


def _summary(sols: list[StoredRecord], ests: list[Estimate], fits: list[Match | None], cname: str, book: SourceBook,
             model: str, source_names: dict[str, str], engine: Engine) -> Section:
    """What the solutions would deliver (median and range), what they cost and earn back, and what the city must
    decide: every line derived from the estimate and the records."""
    sec = Section("Executive summary")
    decide: list[str] = []
    for sol, est, fit in zip(sols, ests, fits, strict=True):
        rec = book.record(sol)
        sec.blocks.append(Paragraph(
            f"**{sol.title}** — built in {source_names[sol.id]} (status: {sol.status}) {rec} — "
            f"replicated to {cname} {_scale_text(est, sol, model, book)}. Estimated yearly effect: the median, "
            f"and the range from P10 to P90 within which most outcomes of the estimate fall:"))
        items = [f"{label}: {text} {model} — estimate" for label, text in
                 (_range(est, k, m) for k, m in _main_metrics(est) if not _is_cost(k))]
        money = _money(est, model)
        if money:
            items.append(money)
        if fit is not None:
            items.append(f"transfer fit: **{fmt(_fit_value(fit.fit))}** of 1 {model} — estimate")
        sec.blocks.append(Bullets(items or ["no estimated outputs"]))
        decide += _decisions(engine, sol, est, book, model, len(sols) > 1)
    sec.blocks.append(Heading("What the city must decide"))
    sec.blocks.append(Bullets(decide))
    return sec


def _money(est: Estimate, model: str) -> str:
    """Cost, simple payback, NPV and IRR in one line (``never pays back`` in words when it does not)."""
    parts = []
    for k in ("capex", "payback", "npv", "irr"):
        m = est.metrics.get(k)
        if m is None:
            continue
        p10, p50, p90 = _pct(m)
        if k == "payback" and p50 is None:
            parts.append("simple payback: **never** at the median (the savings do not repay the cost)")
        elif p50 is None:
            continue
        elif k == "irr":
            lo, hi = (f"{v * 100:.1f} %" if v is not None else "—" for v in (p10, p90))
            parts.append(f"{metric_label(k)}: **{p50 * 100:.1f} %** (P10 {lo} – P90 {hi})")
        else:
            parts.append(f"{metric_label(k)}: **{fmt(p50)} {m.unit}** (P10 {fmt(p10)} – P90 {fmt(p90)})")
    if "payback" not in est.metrics and "npv" not in est.metrics:
        parts.append("payback and net present value: not estimated (no savings or no cost in the model)")
    return ("; ".join(parts) + f" {model} — estimate") if parts else ""


def _decisions(engine: Engine, sol: StoredRecord, est: Estimate, book: SourceBook, model: str, several: bool
               ) -> list[str]:
    """What the city must decide for one solution: the scale, the inputs the estimate lacks, the assumption that
    dominates (the Sobol verdict), and the barriers and lessons of the source — each derived from the brief's data."""
    of = f" of {sol.title}" if several else ""
    out: list[str] = []
    scale = [f"{fmt(m['scale'])} {m['unit']} of {m['title'] or m['measure_type']}" for m in est.measures
             if m["scale"] is not None]
    if scale:
        out.append(f"**The scale{of}:** this brief assumes {', '.join(scale)} {_scale_ref(est, sol, model, book)}; "
                   "the effects and costs grow "
                   "with it, so choose the site and the size and rerun the brief.")
    else:
        out.append(f"**The scale{of}:** none was given, so the source site's own scale is used; choose the site and "
                   "the size and rerun the brief.")
    missing = [f"{metric_label(u['metric'])} ({u['reason'].rstrip('.')})" for u in est.unavailable]
    unpublished = [q.item for q in sol.all_numbers() if q.missing]
    if missing:
        out.append(f"**Inputs the estimate lacks{of}:** not estimated — {'; '.join(missing[:3])}. Supply local "
                   "figures to complete it.")
    if unpublished:
        out.append(f"**Figures the source has not published{of}:** {', '.join(unpublished[:4])} {book.record(sol)}; "
                   "ask the source site or measure them in a pilot.")
    metric, name, sentence, moving = _sensitivity(est)
    if name:
        st = next((r.get("st") for r in est.sensitivity if r["metric"] == metric and r.get("dominant")), None)
        share = f" (it explains {st:.0%} of the variance, total Sobol index)" if isinstance(st, int | float) else ""
        out.append(f"**The assumption that dominates{of}:** *{name}* drives {metric_label(metric)}{share} {model}; "
                   "confirm it with local data before committing.")
    elif moving:
        several_inputs = ", ".join(str(r["input"]) for r in moving[:3])
        out.append(f"**The assumptions that matter{of}:** no single input dominates {metric_label(metric)}; pin down "
                   f"{several_inputs} together {model}.")
    hard = [b for b in sol.barriers if b.outcome in ("open", "failed", "partly")]
    lessons = corpus_lessons(engine, sol)
    if hard or sol.barriers or lessons:
        named = [b.title for b in (hard or sol.barriers)][:3]
        text = f"**Barriers and lessons from the source{of}:** "
        text += (f"{'not fully solved there' if hard else 'met there'}: {'; '.join(named)}" if named else "")
        if lessons:
            text += ("; " if named else "") + ("one lesson" if len(lessons) == 1 else f"{len(lessons)} lessons") + \
                " learned there"
        out.append(text + " — plan for them with the grid operator, regulator and financiers (see Barriers and "
                   "Lessons learned).")
    return [book.prose(None, t, fallback=book.record(sol)) for t in out]


def _number_table(qs: list[Number], rec: StoredRecord, book: SourceBook) -> Table:
    rows = []
    for q in qs:
        if q.missing:
            rows.append([q.item, "not published", q.unit, "", "—", "—"])
            continue
        if q.low is not None or q.high is not None:
            value = " / ".join(fmt(v) for v in (q.low, q.mid, q.high) if v is not None)
        else:
            value = fmt(q.value)
        rows.append([q.item, value, q.unit, q.year, q.evidence or "—", book.cite(rec, q.source)])
    return Table(["item", "value", "unit", "year", "evidence", "source"], rows)


def _as_built(sols: list[StoredRecord], book: SourceBook, source_names: dict[str, str]) -> Section:
    sec = Section("The solution as built at the source")
    for sol in sols:
        sec.blocks.append(Heading(f"{sol.title} — {source_names[sol.id]}"))
        meta = [x for x in (sol.front.get("district"), sol.front.get("site")) if x]
        years = sol.front.get("years") or []
        summary = _section(sol, "Summary")
        if summary:
            sec.blocks.append(Paragraph(book.prose(sol, summary)))
        facts = [f"status: {sol.status}"]
        if meta:
            facts.append("site: " + ", ".join(str(m) for m in meta) + f" {book.record(sol)}")
        if years and years[0]:
            facts.append(f"years: {years[0]}–{years[1] or 'ongoing'} {book.record(sol)}")
        if sol.front.get("partners"):
            facts.append("partners: " + ", ".join(str(p) for p in sol.front["partners"]) + f" {book.record(sol)}")
        sec.blocks.append(Bullets(facts))
        for title in ("Measures", "Results"):
            qs = sol.numbers_in(title)
            if qs:
                sec.blocks.append(Paragraph(f"*{title}*"))
                sec.blocks.append(_number_table(qs, sol, book))
        results = _section(sol, "Results")
        if results:
            sec.blocks.append(Paragraph(book.prose(sol, results)))
    return sec


def _fit(sols: list[StoredRecord], fits: list[Match | None], cname: str, model: str) -> Section:
    sec = Section(f"Fit for {cname}")
    for sol, fit in zip(sols, fits, strict=True):
        if len(sols) > 1:
            sec.blocks.append(Paragraph(f"*{sol.title}*"))
        if fit is None or not fit.factors:
            sec.blocks.append(Paragraph("No transfer-fit breakdown is available for this solution."))
            continue
        rows = [[f.name, fmt(_fit_value(f.score)), "estimate", model, f.explanation] for f in fit.factors]
        rows.append(["overall fit", fmt(_fit_value(fit.fit)), "estimate", model, "weighted over the factors above"])
        sec.blocks.append(Table(["factor", "score", "evidence", "source", "why"], rows))
    return sec


def _metric_rows(est: Estimate, metrics: list[tuple[str, Metric]], model: str) -> list[list[str]]:
    rows = []
    for k, m in metrics:
        label, (p10, p50, p90) = _shown(est, k, m)
        unit = m.unit
        if k == "irr":  # a rate reads as a percentage
            unit, (p10, p50, p90) = "%/yr", (f"{v * 100:.1f}" if v is not None else "–" for v in _pct(m))
        rows.append([label, unit, p10, p50, p90, "estimate", model])
    return rows


def _impact(sols: list[StoredRecord], ests: list[Estimate], cname: str, model: str) -> Section:
    sec = Section(f"Estimated impact in {cname}")
    for sol, est in zip(sols, ests, strict=True):
        metrics = _metrics(est)
        title = sol.title if len(sols) > 1 else ""
        if title:
            sec.blocks.append(Paragraph(f"*{title}*"))
        if not metrics:
            sec.blocks.append(Paragraph("The model gives no outputs for this solution."))
            continue
        sec.blocks.append(Table(["output", "unit", "P10", "P50", "P90", "evidence", "source"],
                                _metric_rows(est, metrics, model)))
        bars = []
        for k, m in _main_metrics(est, 8):
            p10, p50, p90 = _pct(m)
            if not _is_cost(k) and p10 is not None and p50 is not None and p90 is not None:
                word, s10, s50, s90 = oriented(k, p10, p50, p90, generates(est.measures))
                label, _ = _shown(est, k, m)
                bars.append(RangeBar(label, m.unit, s10, s50, s90, model))
        bars = bars[:5]
        if bars:
            sec.blocks.append(RangeChart(f"Estimated yearly effect in {cname} (P10–P50–P90)", bars))
        sens = _sensitivity_rows(est, model)
        metric, top, sentence, _ = _sensitivity(est)
        if metric:
            if top:
                lead = f"The input that moves {metric_label(metric)} most: **{top}** {model}"
                st = next((r.get("st") for r in est.sensitivity if r["metric"] == metric
                           and r.get("dominant")), None)
                lead += f" (it explains {st:.0%} of the variance, total Sobol index)." if st is not None else "."
            else:
                lead = f"{sentence[:1].upper()}{sentence[1:]} {model}."
            sec.blocks.append(Paragraph(
                lead + (" Each input at its low and at its high, all others at their mid value, with its share of "
                        "the variance alone (S1) and with its interactions (ST):" if sens else "")))
            if sens:
                sec.blocks.append(Table(["input", "output", "at input low", "at input high", "S1", "ST", "evidence",
                                         "source"], sens))
        for u in est.unavailable:
            sec.blocks.append(Paragraph(f"Not estimated: {metric_label(u['metric'])} — {u['reason'].rstrip('.')}."))
    return sec


def _hour_by_hour(sols: list[StoredRecord], ests: list[Estimate], model: str) -> list[Section]:
    """The estimates dispatched hour by hour in a reference district (no section when none is)."""
    if not any(est.hourly for est in ests):
        return []
    sec = Section("Hour by hour")
    for sol, est in zip(sols, ests, strict=True):
        if len(sols) > 1:
            sec.blocks.append(Paragraph(f"*{sol.title}*"))
        if est.hourly:
            sec.blocks.extend(estimate_hour_by_hour(est.hourly, est.n_samples, model))
        else:
            reason = est.hourly_unavailable or "no measure of this solution is dispatched hour by hour"
            sec.blocks.append(Paragraph(inert(reason[:1].upper() + reason[1:].rstrip(".") + ".")))
    return [sec]


def _basis_paragraph(est: Estimate, model: str) -> str:
    """One paragraph on how the figures are counted: the factor basis, and the life-cycle economics' discount
    rate, price year and horizon; each sentence cites ``model`` (the factors' own sources are in the assumptions)."""
    parts = []
    label = (est.factor_basis or {}).get("label")
    if label:
        parts.append(f"Factors on one basis for every carrier: {label} {model}.")
    econ = est.economics or {}
    rate = econ.get("discount_rate") or {}
    if rate.get("mid") is not None:
        span = (f"{rate['mid']:.1%} (range {rate['low']:.1%}–{rate['high']:.1%})" if rate.get("low") != rate.get("high")
                else f"{rate['mid']:.1%}")
        year = econ.get("price_year") or "the year of the energy prices"
        parts.append(f"Life-cycle economics in real terms at a discount rate of {span} ({rate.get('evidence', '')}; "
                     f"its sources are in the assumptions); money in EUR of {year}; {econ.get('horizon', '')} {model}.")
    for note in econ.get("notes", []):
        parts.append(f"{note[:1].upper()}{note[1:]} {model}.")
    return " ".join(parts)


def _sensitivity(est: Estimate) -> tuple[str, str, str, list[dict[str, Any]]]:
    """(metric, dominant input or "", verdict sentence, that metric's top moving rows) of the sensitivity: the
    first metric in the brief's order. An input is named only when it dominates (kb.replication.sensitivity)."""
    rows = est.sensitivity
    if not rows:
        return "", "", "", []
    metrics = list(dict.fromkeys(str(s["metric"]) for s in rows))
    rank = {k: i for i, k in enumerate(MAIN_ORDER)}
    metric = sorted(metrics, key=lambda m: rank.get(m, len(rank)))[0]
    sentence, top = sensitivity_summary(rows, est.most_influential, metric)
    mine = [s for s in rows if s["metric"] == metric
            and not (s["at_low"] is not None and s["at_low"] == s["at_high"])]
    return metric, top or "", sentence, mine[:5]


def _sensitivity_rows(est: Estimate, model: str) -> list[list[str]]:
    metric, _, _, rows = _sensitivity(est)
    gen = generates(est.measures)
    word = ""
    if direction_of(metric, gen) is not None and rows and rows[0].get("base") is not None:
        word = oriented(metric, 0.0, float(rows[0]["base"]), 0.0, gen)[0]
    flip = -1.0 if word and _opposite(metric, word, gen) else 1.0
    out = []
    for s in rows:
        lo, hi = s["at_low"], s["at_high"]
        unit = f" ({s['metric_unit']})" if s.get("metric_unit") else ""
        name = metric_label(metric)
        d = direction_of(metric, gen)
        if d is not None and word and not (metric in METRIC_WORDLESS and word == d.gain):
            name = f"{d.noun} {word}"
        out.append([str(s["input"]), f"{name}{unit}",
                    cell(metric, flip * lo, word, gen, fmt) if isinstance(lo, int | float) else "—",
                    cell(metric, flip * hi, word, gen, fmt) if isinstance(hi, int | float) else "—",
                    _share(s.get("s1")), _share(s.get("st")), "estimate", model])
    return out


def _opposite(metric: str, word: str, gen: bool) -> bool:
    """Whether values of ``metric`` change sign when shown as amounts ``word`` (a carrier saved, CO₂ added)."""
    d = direction_of(metric, gen)
    return d is not None and (word == d.gain) != (d.gain_sign > 0)


def _share(x: object) -> str:
    return f"{x:.0%}" if isinstance(x, int | float) else "—"


def _is_cost(name: str) -> bool:
    return any(w in name for w in COST_WORDS)


def _costs(sols: list[StoredRecord], ests: list[Estimate], book: SourceBook, model: str) -> Section:
    sec = Section("Costs and financing")
    for sol, est in zip(sols, ests, strict=True):
        if len(sols) > 1:
            sec.blocks.append(Paragraph(f"*{sol.title}*"))
        costs = [(k, m) for k, m in _metrics(est) if _is_cost(k)]
        if costs:
            sec.blocks.append(Table(["item", "unit", "P10", "P50", "P90", "evidence", "source"],
                                    _metric_rows(est, costs, model)))
        else:
            sec.blocks.append(Paragraph("The model gives no cost figures for this solution."))
        site = sol.numbers_in("Costs")
        if site:
            sec.blocks.append(Paragraph("At the source site:"))
            sec.blocks.append(_number_table(site, sol, book))
        text = _section(sol, "Costs")
        if text:
            sec.blocks.append(Paragraph(book.prose(sol, text)))
    return sec


def _barriers(sols: list[StoredRecord], fits: list[Match | None], book: SourceBook, model: str) -> Section:
    sec = Section("Barriers")
    met: list[str] = []
    likely: list[str] = []
    for sol, fit in zip(sols, fits, strict=True):
        for b in sol.barriers:
            ref = book.cite(sol, b.source)
            ref = book.record(sol) if ref == "—" else ref
            parts = [f"**{b.title}** ({b.type}{', ' + b.phase if b.phase else ''}) {ref}: "
                     f"{book.prose(sol, b.what_happened)}"]
            if b.what_was_tried:
                parts.append(f"Tried: {book.prose(sol, b.what_was_tried)}")
            parts.append(f"Outcome: {b.outcome or 'not reported'} {ref}")
            met.append(". ".join(p.rstrip(".") for p in parts) + ".")
            if b.outcome in ("open", "failed", "partly"):
                likely.append(f"{b.title} — not fully solved at the source ({b.outcome}) {ref}; expect it here.")
            elif b.type in ("regulatory", "market"):
                likely.append(f"{b.title} — a {b.type} barrier that depends on national rules {ref}; "
                              "check how they apply here.")
        for f in fit.factors if fit is not None else []:
            score = _fit_value(f.score)
            if score < LOW_FIT:
                likely.append(f"weak {f.name} (score {fmt(score)} {model}): {f.explanation}")
    sec.blocks += [Heading("Met at the source"), Bullets(met or ["No barriers were recorded at the source."]),
                   Heading("Likely here"),
                   Bullets(likely or ["None identified from the records; check local rules and grid capacity."])]
    return sec


def _lessons(engine: Engine, sols: list[StoredRecord], book: SourceBook, lessons: LessonsFn) -> Section:
    """Each lesson as its own item: a bold title line (phase, outcome, source) and a summary of two or three
    sentences (the whole lesson is in its record)."""
    sec = Section("Lessons learned")
    for sol in sols:
        linked = corpus_lessons(engine, sol)
        for les in linked:
            head = (f"**{les.title}** ({les.front.get('phase', '')}, outcome: {les.front.get('outcome', '')}) "
                    f"{book.record(les)}")
            text = " ".join(_first_sentences(_section(les, name), 2) for name in ("Summary", "What happened")
                            if _section(les, name))
            sec.blocks += [Paragraph(head), Paragraph(book.prose(les, _sentences(text, 3)))]
            applies = _first_sentences(_section(les, "Applies when"), 1)
            if applies:
                sec.blocks.append(Paragraph(f"*Applies when:* {book.prose(les, applies)}"))
        seen = {les.id for les in linked}
        for app in lessons(sol.id):
            if app.id not in seen:
                sec.blocks += _app_lesson(app, book)
        own = _section(sol, "Lessons learned")
        if own:
            sec.blocks += [Paragraph(f"**From the record of {sol.title}** {book.record(sol)}"),
                           Paragraph(book.prose(sol, _sentences(own, 3)))]
    if not sec.blocks:
        sec.blocks.append(Paragraph("No published lessons are linked to these solutions yet."))
    return sec


def _sentences(text: str, n: int) -> str:
    """At most ``n`` sentences of a flattened text, with `` …`` when some were left out."""
    flat = " ".join(ln.strip().removeprefix("- ").removeprefix("* ") for ln in text.split("\n") if ln.strip())
    parts = [p for p in SENTENCE.split(flat) if p.strip() and p.strip() != "…"]
    return " ".join(parts[:n]) + (" …" if len(parts) > n and not parts[n - 1].endswith("…") else "")


def _app_lesson(les: Lesson, book: SourceBook) -> list[Paragraph]:
    """One lesson written in the app: its text is user input, so every part is made inert."""
    ref = book.app_lesson(les)
    head = f"**{inert(les.title or 'lesson')}** ({les.phase}, outcome: {les.outcome}) {ref}"
    text = " ".join(inert(v) for v in (les.summary, les.what_happened, les.what_was_tried) if v)
    out = [Paragraph(head)]
    if text:
        out.append(Paragraph(book.prose(None, _sentences(text, 3), fallback=ref)))
    if les.applies_when:
        applies = book.prose(None, _first_sentences(inert(les.applies_when), 1), fallback=ref)
        out.append(Paragraph(f"*Applies when:* {applies}"))
    return out


def _next_steps(sols: list[StoredRecord], ests: list[Estimate], cname: str, book: SourceBook) -> Section:
    steps = [f"Check the assumptions marked `reference` against local quotes and data for {cname}; they are "
             "generic figures, not from a site."]
    for sol, est in zip(sols, ests, strict=True):
        metric, name, sentence, moving = _sensitivity(est)
        if name:
            steps.append(f"For {sol.title}: pin down *{name}* first — it dominates {metric_label(metric)}.")
        elif moving:
            several = ", ".join(f"*{r['input']}*" for r in moving[:3])
            steps.append(f"For {sol.title}: no single input dominates {metric_label(metric)}; pin down {several} "
                         "together.")
        missing = [q.item for q in sol.all_numbers() if q.missing]
        if missing:
            steps.append(f"Ask the source site for what it has not published ({', '.join(missing[:4])}) "
                         f"{book.record(sol)}.")
        if sol.barriers:
            steps.append(f"Meet the grid operator, regulator and financiers early about the barriers met at the "
                         f"source of {sol.title}.")
    steps.append("Choose a site, set the scale, and rerun this brief with the chosen scale.")
    steps.append("Agree monitoring from day one so that your results can be reported as `measured`.")
    return Section("Next steps", [Bullets(steps)])


def _assumptions(sols: list[StoredRecord], ests: list[Estimate], book: SourceBook, model: str, seed: int
                 ) -> Section:
    """The annex: how the estimate was made (samples, seed, factor basis, economics, model notes), then every
    input with its range, evidence and source."""
    method: list[Any] = [Heading("Annex: methods"), Paragraph(
        f"Ranges come from a Monte Carlo estimate: each input is drawn from a triangular distribution over its low, "
        f"mid and high value ({', '.join(sorted({f'{e.n_samples:,}' for e in ests}))} samples, random seed {seed}, "
        f"so the same inputs give the same figures) {model}. Figures from the source site keep their own evidence "
        "level (measured, installed, design, target), and a target is never presented as a result. The sensitivity "
        "is a variance-based (Sobol) analysis: S1 is an input's share of the variance alone, ST with its "
        "interactions.")]
    for sol, est in zip(sols, ests, strict=True):
        basis = _basis_paragraph(est, model)
        notes = [f"Note from the model: {w}" for w in est.warnings]
        if (basis or notes) and len(sols) > 1:
            method.append(Paragraph(f"*{sol.title}*"))
        if basis:
            method.append(Paragraph(basis))
        method += [Paragraph(n) for n in notes]
    method.append(Heading("Inputs"))
    rows = []
    for sol, est in zip(sols, ests, strict=True):
        for a in est.assumptions:
            value = a.get("value")
            shown = fmt(value) if isinstance(value, int | float) else _range_text(a)
            lo, hi = a.get("low"), a.get("high")
            spread = f"{fmt(lo)} – {fmt(hi)}" if isinstance(lo, int | float) and isinstance(hi, int | float) \
                and lo != hi else ""
            name = _measure_names(str(a.get("name", "")), est)
            if str(a.get("source") or "").startswith(USER):
                name += f" ({USER})"
            rows.append(([sol.id] if len(sols) > 1 else []) + [
                name, shown, spread, str(a.get("unit") or ""), str(a.get("evidence") or "—"),
                book.assumption(a, sol)])
    header = (["solution"] if len(sols) > 1 else []) + ["input", "value", "low – high", "unit", "evidence",
                                                          "source"]
    blocks: list[Any] = [Table(header, rows)] if rows else [Paragraph("The model lists no assumptions.")]
    return Section("Assumptions", method + blocks)


def _measure_names(name: str, est: Estimate) -> str:
    """``scale of rooftop-pv`` → ``scale of Rooftop photovoltaics``: a measure type's title, never its id."""
    for m in est.measures:
        mt, title = str(m.get("measure_type") or ""), str(m.get("title") or "")
        if mt and title and name.endswith(f" of {mt}"):
            return f"{name[: -len(mt)]}{title}"
    return name


def _range_text(a: dict[str, Any]) -> str:
    vals = [a.get(k) for k in ("low", "mid", "high") if isinstance(a.get(k), int | float)]
    return " / ".join(fmt(v) for v in vals) if vals else str(a.get("value") if a.get("value") is not None else "—")


def _first_sentences(text: str, n: int = 2) -> str:
    """The first ``n`` sentences of a text (lessons are summarised; the full text is in the source record)."""
    flat = " ".join(ln.strip().removeprefix("- ") for ln in text.split("\n") if ln.strip())
    parts = SENTENCE.split(flat)
    return " ".join(parts[:n]) + (" …" if len(parts) > n else "")


def _section(rec: StoredRecord, title: str) -> str:
    s = rec.section(title)
    if s is None:
        return ""
    text = "\n".join(ln for ln in s.text.split("\n") if not ln.lstrip().startswith("|"))
    return re.sub(r"\n{2,}", "\n\n", text).strip()
