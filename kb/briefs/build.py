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
from kb.briefs.lang import current, directed, language, localized, percent, said, t, term, word
from kb.briefs.model import Brief, Bullets, Heading, Paragraph, RangeBar, RangeChart, Section, Table, fmt, inert
from kb.briefs.sources import SENTENCE, SourceBook
from kb.i18n import N_
from kb.lessons.format import Lesson
from kb.replication.factors import DEFAULT_BASIS, FactorBasis
from kb.replication.fit import Match
from kb.replication.sensitivity import summary as sensitivity_summary
from kb.replication.simulation import Estimate, Metric, finite_or_none
from kb.replication.words import direction_of, generates, oriented
from kb.store import catalog
from kb.store.readmodel import Number, StoredRecord

__all__ = ["BriefError", "BriefRequest", "build_brief"]

METRIC_LABELS: dict[str, str] = {  # the metric names of kb.replication.simulation.METRICS
    "electricity": N_("electricity"), "natural_gas": N_("natural gas"), "district_heat": N_("district heat"),
    "petrol": N_("petrol/diesel"), "co2_avoided": N_("CO₂ avoided"),
    "primary_energy_saved": N_("primary energy saved"), "nox_avoided": N_("NOx avoided"),
    "capex": N_("capital cost"), "opex": N_("operating cost"), "savings": N_("energy cost savings"),
    "payback": N_("simple payback"),
    "cost_per_tco2": N_("gross cost per tonne of CO₂ (undiscounted, savings not deducted)"),
    "npv": N_("net present value (NPV)"), "irr": N_("internal rate of return (IRR, per year)"),
    "discounted_payback": N_("discounted payback"), "lcoe": N_("levelised cost of electricity (LCOE)"),
    "lcoh": N_("levelised cost of heat (LCOH)"),
    "net_abatement_cost": N_("net abatement cost (savings deducted, discounted)"),
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
    lang: str = "en"  # the language of the brief's frame (kb.i18n.LANGUAGES); the records' text stays English


def metric_label(name: str) -> str:
    """The metric's plain name in the brief's language."""
    return t(METRIC_LABELS[name]) if name in METRIC_LABELS else name.replace("_", " ")


def cell(metric: str, value: float, heading_word: str, gen: bool = False) -> str:
    """A value under a heading oriented to ``heading_word`` (:func:`kb.replication.words.cell`), its word in the
    brief's language: ``4 added`` in a *saved* column."""
    d = direction_of(metric, gen)
    if d is None or not heading_word or value >= 0:
        return fmt(value)
    other = d.loss if heading_word != d.loss else d.gain
    return f"{fmt(-value)} {word(other)}"


def build_brief(engine: Engine, req: BriefRequest, estimate: EstimateFn | None = None, fit: FitFn | None = None,
                lessons: LessonsFn | None = None) -> Brief:
    """The brief, its frame in ``req.lang``; raises ``BriefError`` (unknown city, no estimate) or ``RecordNotFound``."""
    with language(req.lang):
        return _build(engine, req, estimate, fit, lessons)


def _build(engine: Engine, req: BriefRequest, estimate: EstimateFn | None, fit: FitFn | None,
           lessons: LessonsFn | None) -> Brief:
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
    purpose = (t("What this is: an estimate of what these solutions would deliver if built in {city}, made from the "
                 "ATELIER PED knowledge base; every figure carries its evidence level and a numbered source.")
               if len(sols) > 1 else
               t("What this is: an estimate of what this solution would deliver if built in {city}, made from the "
                 "ATELIER PED knowledge base; every figure carries its evidence level and a numbered source."))
    brief = Brief(title=t("Replication brief for {city}: ").format(city=cname) + "; ".join(titles), city_id=city.id,
                  city_name=cname, solutions=[(s.id, s.title) for s in sols], date=req.date,
                  kb_version=version, seed=req.seed, lang=current(),
                  purpose=purpose.format(city=cname))
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
    w, s10, s50, s90 = oriented(k, p10, p50, p90, gen)
    label = metric_label(k)
    d = direction_of(k, gen)
    if k in METRIC_WORDLESS and d is not None and w == d.gain:
        pass  # "CO₂ avoided", "energy cost savings" already say which way
    elif d is not None:
        label = directed(d.noun, w)
    return label, [cell(k, v, w, gen) for v in (s10, s50, s90)]


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
        return f"{model} ({t('input')})"
    refs = "; ".join(dict.fromkeys(n for a in scale_rows for n in book.assumption(a, sol).strip("[]").split("; ")))
    evidence = ", ".join(dict.fromkeys(evidence_word(a.get("evidence")) for a in scale_rows))
    return f"[{refs}] ({evidence})"


def _scale_text(est: Estimate, sol: StoredRecord, model: str, book: SourceBook) -> str:
    model = _scale_ref(est, sol, model, book)
    measures = [m for m in est.measures if m["scale"] is not None]
    if len(measures) > 1:
        parts = [_of_measure(m) for m in measures]
        return t("at a scale of {scale} {ref}").format(scale=", ".join(parts), ref=model)
    scale = est.scale
    if scale["value"] is None:
        return t("at the scale of the source site")
    return t("at a scale of {scale} {ref}").format(scale=f"{fmt(scale['value'])} {scale['unit']}", ref=model)


def _of_measure(m: dict[str, Any]) -> str:
    """``500 kWp of Rooftop photovoltaics`` (the measure's title stays as the record names it)."""
    return t("{amount} {unit} of {measure}").format(amount=fmt(m["scale"]), unit=m["unit"],
                                                     measure=m["title"] or m["measure_type"])


EVIDENCE = (N_("measured"), N_("installed"), N_("design"), N_("target"), N_("estimate"), N_("reference"),
            N_("missing"))


def evidence_word(level: object) -> str:
    """An evidence level in the brief's language (``—`` for none)."""
    return t(str(level)) if level else "—"


def _summary(sols: list[StoredRecord], ests: list[Estimate], fits: list[Match | None], cname: str, book: SourceBook,
             model: str, source_names: dict[str, str], engine: Engine) -> Section:
    """What the solutions would deliver (median and range), what they cost and earn back, and what the city must
    decide: every line derived from the estimate and the records."""
    sec = Section(t("Executive summary"))
    decide: list[str] = []
    for sol, est, fit in zip(sols, ests, fits, strict=True):
        rec = book.record(sol)
        sec.blocks.append(Paragraph(t(
            "**{title}** — built in {place} (status: {status}) {ref} — replicated to {city} {scale}. Estimated yearly "
            "effect: the median, and the range from P10 to P90 within which most outcomes of the estimate fall:"
        ).format(title=sol.title, place=source_names[sol.id], status=t(sol.status), ref=rec, city=cname,
                 scale=_scale_text(est, sol, model, book))))
        estimate = t("estimate")
        items = [f"{label}: {text} {model} — {estimate}" for label, text in
                 (_range(est, k, m) for k, m in _main_metrics(est) if not _is_cost(k))]
        money = _money(est, model)
        if money:
            items.append(money)
        if fit is not None:
            items.append(t("transfer fit: **{score}** of 1 {ref} — estimate").format(
                score=fmt(_fit_value(fit.fit)), ref=model))
        sec.blocks.append(Bullets(items or [t("no estimated outputs")]))
        decide += _decisions(engine, sol, est, book, model, len(sols) > 1)
    sec.blocks.append(Heading(t("What the city must decide")))
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
            parts.append(t("simple payback: **never** at the median (the savings do not repay the cost)"))
        elif p50 is None:
            continue
        elif k == "irr":
            lo, hi = (percent(v, 1) if v is not None else "—" for v in (p10, p90))
            parts.append(f"{metric_label(k)}: **{percent(p50, 1)}** (P10 {lo} – P90 {hi})")
        else:
            parts.append(f"{metric_label(k)}: **{fmt(p50)} {m.unit}** (P10 {fmt(p10)} – P90 {fmt(p90)})")
    if "payback" not in est.metrics and "npv" not in est.metrics:
        parts.append(t("payback and net present value: not estimated (no savings or no cost in the model)"))
    return ("; ".join(parts) + f" {model} — {t('estimate')}") if parts else ""


def _decisions(engine: Engine, sol: StoredRecord, est: Estimate, book: SourceBook, model: str, several: bool
               ) -> list[str]:
    """What the city must decide for one solution: the scale, the inputs the estimate lacks, the assumption that
    dominates (the Sobol verdict), and the barriers and lessons of the source — each derived from the brief's data."""
    of = t(" of {title}").format(title=sol.title) if several else ""
    out: list[str] = []
    scale = [_of_measure(m) for m in est.measures if m["scale"] is not None]
    if scale:
        out.append(t("**The scale{of}:** this brief assumes {scale} {ref}; the effects and costs grow with it, so "
                     "choose the site and the size and rerun the brief.").format(
            of=of, scale=", ".join(scale), ref=_scale_ref(est, sol, model, book)))
    else:
        out.append(t("**The scale{of}:** none was given, so the source site's own scale is used; choose the site and "
                     "the size and rerun the brief.").format(of=of))
    missing = [f"{metric_label(u['metric'])} ({u['reason'].rstrip('.')})" for u in est.unavailable]
    unpublished = [q.item for q in sol.all_numbers() if q.missing]
    if missing:
        out.append(t("**Inputs the estimate lacks{of}:** not estimated — {missing}. Supply local figures to complete "
                     "it.").format(of=of, missing="; ".join(missing[:3])))
    if unpublished:
        out.append(t("**Figures the source has not published{of}:** {items} {ref}; ask the source site or measure "
                     "them in a pilot.").format(of=of, items=", ".join(unpublished[:4]), ref=book.record(sol)))
    metric, name, sentence, moving = _sensitivity(est)
    if name:
        st = next((r.get("st") for r in est.sensitivity if r["metric"] == metric and r.get("dominant")), None)
        share = t(" (it explains {share} of the variance, total Sobol index)").format(share=localized(f"{st:.0%}")) \
            if isinstance(st, int | float) else ""
        out.append(t("**The assumption that dominates{of}:** *{name}* drives {metric}{share} {ref}; confirm it with "
                     "local data before committing.").format(of=of, name=name, metric=metric_label(metric),
                                                              share=share, ref=model))
    elif moving:
        several_inputs = ", ".join(str(r["input"]) for r in moving[:3])
        out.append(t("**The assumptions that matter{of}:** no single input dominates {metric}; pin down {inputs} "
                     "together {ref}.").format(of=of, metric=metric_label(metric), inputs=several_inputs, ref=model))
    hard = [b for b in sol.barriers if b.outcome in ("open", "failed", "partly")]
    lessons = corpus_lessons(engine, sol)
    if hard or sol.barriers or lessons:
        named = [b.title for b in (hard or sol.barriers)][:3]
        text = t("**Barriers and lessons from the source{of}:** ").format(of=of)
        text += ((t("not fully solved there: {barriers}") if hard else t("met there: {barriers}")).format(
            barriers="; ".join(named)) if named else "")
        if lessons:
            text += ("; " if named else "") + (t("one lesson learned there") if len(lessons) == 1 else
                                               t("{n} lessons learned there").format(n=len(lessons)))
        out.append(text + t(" — plan for them with the grid operator, regulator and financiers (see Barriers and "
                            "Lessons learned)."))
    return [book.prose(None, line, fallback=book.record(sol)) for line in out]


def _number_table(qs: list[Number], rec: StoredRecord, book: SourceBook) -> Table:
    rows = []
    for q in qs:
        if q.missing:
            rows.append([q.item, t("not published"), q.unit, "", "—", "—"])
            continue
        if q.low is not None or q.high is not None:
            value = " / ".join(fmt(v) for v in (q.low, q.mid, q.high) if v is not None)
        else:
            value = fmt(q.value)
        rows.append([q.item, value, q.unit, q.year, evidence_word(q.evidence), book.cite(rec, q.source)])
    return Table([t("item"), t("value"), t("unit"), t("year"), t("evidence"), t("source")], rows)


def _as_built(sols: list[StoredRecord], book: SourceBook, source_names: dict[str, str]) -> Section:
    sec = Section(t("The solution as built at the source"))
    for sol in sols:
        sec.blocks.append(Heading(f"{sol.title} — {source_names[sol.id]}"))
        meta = [x for x in (sol.front.get("district"), sol.front.get("site")) if x]
        years = sol.front.get("years") or []
        summary = _section(sol, "Summary")
        if summary:
            sec.blocks.append(Paragraph(book.prose(sol, summary)))
        facts = [t("status: {status}").format(status=term(sol.status))]
        if meta:
            facts.append(t("site: {site}").format(site=", ".join(str(m) for m in meta)) + f" {book.record(sol)}")
        if years and years[0]:
            facts.append(t("years: {start}–{end}").format(start=years[0], end=years[1] or t("ongoing"))
                         + f" {book.record(sol)}")
        if sol.front.get("partners"):
            facts.append(t("partners: {partners}").format(partners=", ".join(str(p) for p in sol.front["partners"]))
                         + f" {book.record(sol)}")
        sec.blocks.append(Bullets(facts))
        for title in (N_("Measures"), N_("Results")):
            qs = sol.numbers_in(title)
            if qs:
                sec.blocks.append(Paragraph(f"*{t(title)}*"))
                sec.blocks.append(_number_table(qs, sol, book))
        results = _section(sol, "Results")
        if results:
            sec.blocks.append(Paragraph(book.prose(sol, results)))
    return sec


def _fit(sols: list[StoredRecord], fits: list[Match | None], cname: str, model: str) -> Section:
    sec = Section(t("Fit for {city}").format(city=cname))
    for sol, fit in zip(sols, fits, strict=True):
        if len(sols) > 1:
            sec.blocks.append(Paragraph(f"*{sol.title}*"))
        if fit is None or not fit.factors:
            sec.blocks.append(Paragraph(t("No transfer-fit breakdown is available for this solution.")))
            continue
        rows = [[t(f.name), fmt(_fit_value(f.score)), t("estimate"), model, said(f.message, f.explanation)]
                for f in fit.factors]
        rows.append([t("overall fit"), fmt(_fit_value(fit.fit)), t("estimate"), model,
                     t("weighted over the factors above")])
        sec.blocks.append(Table([t("factor"), t("score"), t("evidence"), t("source"), t("why")], rows))
    return sec


def _metric_rows(est: Estimate, metrics: list[tuple[str, Metric]], model: str) -> list[list[str]]:
    rows = []
    for k, m in metrics:
        label, (p10, p50, p90) = _shown(est, k, m)
        unit = m.unit
        if k == "irr":  # a rate reads as a percentage
            unit, (p10, p50, p90) = t("%/yr"), (localized(f"{v * 100:.1f}") if v is not None else "–" for v in _pct(m))
        rows.append([label, unit, p10, p50, p90, t("estimate"), model])
    return rows


def _impact(sols: list[StoredRecord], ests: list[Estimate], cname: str, model: str) -> Section:
    sec = Section(t("Estimated impact in {city}").format(city=cname))
    for sol, est in zip(sols, ests, strict=True):
        metrics = _metrics(est)
        title = sol.title if len(sols) > 1 else ""
        if title:
            sec.blocks.append(Paragraph(f"*{title}*"))
        if not metrics:
            sec.blocks.append(Paragraph(t("The model gives no outputs for this solution.")))
            continue
        sec.blocks.append(Table([t("output"), t("unit"), "P10", "P50", "P90", t("evidence"), t("source")],
                                _metric_rows(est, metrics, model)))
        bars = []
        for k, m in _main_metrics(est, 8):
            p10, p50, p90 = _pct(m)
            if not _is_cost(k) and p10 is not None and p50 is not None and p90 is not None:
                _, s10, s50, s90 = oriented(k, p10, p50, p90, generates(est.measures))
                label, _ = _shown(est, k, m)
                bars.append(RangeBar(label, m.unit, s10, s50, s90, model))
        bars = bars[:5]
        if bars:
            sec.blocks.append(RangeChart(t("Estimated yearly effect in {city} (P10–P50–P90)").format(city=cname), bars))
        sens = _sensitivity_rows(est, model)
        metric, top, sentence, _ = _sensitivity(est)
        if metric:
            if top:
                lead = t("The input that moves {metric} most: **{name}** {ref}").format(
                    metric=metric_label(metric), name=top, ref=model)
                st = next((r.get("st") for r in est.sensitivity if r["metric"] == metric
                           and r.get("dominant")), None)
                share = localized(f"{st:.0%}") if st is not None else ""
                lead += t(" (it explains {share} of the variance, total Sobol index)").format(share=share) + "." \
                    if st is not None else "."
            else:
                lead = f"{sentence[:1].upper()}{sentence[1:]} {model}."
            sec.blocks.append(Paragraph(
                lead + (t(" Each input at its low and at its high, all others at their mid value, with its share of "
                          "the variance alone (S1) and with its interactions (ST):") if sens else "")))
            if sens:
                sec.blocks.append(Table([t("input"), t("output"), t("at input low"), t("at input high"), "S1", "ST",
                                         t("evidence"), t("source")], sens))
        for u in est.unavailable:
            sec.blocks.append(Paragraph(t("Not estimated: {metric} — {reason}.").format(
                metric=metric_label(u["metric"]), reason=u["reason"].rstrip("."))))
    return sec


def _hour_by_hour(sols: list[StoredRecord], ests: list[Estimate], model: str) -> list[Section]:
    """The estimates dispatched hour by hour in a reference district (no section when none is)."""
    if not any(est.hourly for est in ests):
        return []
    sec = Section(t("Hour by hour"))
    for sol, est in zip(sols, ests, strict=True):
        if len(sols) > 1:
            sec.blocks.append(Paragraph(f"*{sol.title}*"))
        if est.hourly:
            sec.blocks.extend(estimate_hour_by_hour(est.hourly, est.n_samples, model))
        else:
            reason = est.hourly_unavailable or t("no measure of this solution is dispatched hour by hour")
            sec.blocks.append(Paragraph(inert(reason[:1].upper() + reason[1:].rstrip(".") + ".")))
    return [sec]


def _basis_paragraph(est: Estimate, model: str) -> str:
    """One paragraph on how the figures are counted: the factor basis, and the life-cycle economics' discount
    rate, price year and horizon; each sentence cites ``model`` (the factors' own sources are in the assumptions)."""
    parts = []
    label = (est.factor_basis or {}).get("label")
    if label:
        parts.append(t("Factors on one basis for every carrier: {basis} {ref}.").format(basis=label, ref=model))
    econ = est.economics or {}
    rate = econ.get("discount_rate") or {}
    if rate.get("mid") is not None:
        span = (t("{mid} (range {low}–{high})").format(mid=localized(f"{rate['mid']:.1%}"),
                                                        low=localized(f"{rate['low']:.1%}"),
                                                        high=localized(f"{rate['high']:.1%}"))
                if rate.get("low") != rate.get("high") else localized(f"{rate['mid']:.1%}"))
        year = econ.get("price_year") or t("the year of the energy prices")
        parts.append(t("Life-cycle economics in real terms at a discount rate of {rate} ({evidence}; its sources are "
                       "in the assumptions); money in EUR of {year}; {horizon} {ref}.").format(
            rate=span, evidence=t(str(rate.get("evidence", ""))) if rate.get("evidence") else "", year=year,
            horizon=econ.get("horizon", ""), ref=model))
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
    if direction_of(metric, gen) is not None and rows and rows[0].get("base") is not None:
        w = oriented(metric, 0.0, float(rows[0]["base"]), 0.0, gen)[0]
    else:
        w = ""
    flip = -1.0 if w and _opposite(metric, w, gen) else 1.0
    out = []
    for s in rows:
        lo, hi = s["at_low"], s["at_high"]
        unit = f" ({s['metric_unit']})" if s.get("metric_unit") else ""
        name = metric_label(metric)
        d = direction_of(metric, gen)
        if d is not None and w and not (metric in METRIC_WORDLESS and w == d.gain):
            name = directed(d.noun, w)
        out.append([str(s["input"]), f"{name}{unit}",
                    cell(metric, flip * lo, w, gen) if isinstance(lo, int | float) else "—",
                    cell(metric, flip * hi, w, gen) if isinstance(hi, int | float) else "—",
                    _share(s.get("s1")), _share(s.get("st")), t("estimate"), model])
    return out


def _opposite(metric: str, word: str, gen: bool) -> bool:
    """Whether values of ``metric`` change sign when shown as amounts ``word`` (a carrier saved, CO₂ added)."""
    d = direction_of(metric, gen)
    return d is not None and (word == d.gain) != (d.gain_sign > 0)


def _share(x: object) -> str:
    return localized(f"{x:.0%}") if isinstance(x, int | float) else "—"


def _is_cost(name: str) -> bool:
    return any(w in name for w in COST_WORDS)


def _costs(sols: list[StoredRecord], ests: list[Estimate], book: SourceBook, model: str) -> Section:
    sec = Section(t("Costs and financing"))
    for sol, est in zip(sols, ests, strict=True):
        if len(sols) > 1:
            sec.blocks.append(Paragraph(f"*{sol.title}*"))
        costs = [(k, m) for k, m in _metrics(est) if _is_cost(k)]
        if costs:
            sec.blocks.append(Table([t("item"), t("unit"), "P10", "P50", "P90", t("evidence"), t("source")],
                                    _metric_rows(est, costs, model)))
        else:
            sec.blocks.append(Paragraph(t("The model gives no cost figures for this solution.")))
        site = sol.numbers_in("Costs")
        if site:
            sec.blocks.append(Paragraph(t("At the source site:")))
            sec.blocks.append(_number_table(site, sol, book))
        text = _section(sol, "Costs")
        if text:
            sec.blocks.append(Paragraph(book.prose(sol, text)))
    return sec


def _barriers(sols: list[StoredRecord], fits: list[Match | None], book: SourceBook, model: str) -> Section:
    sec = Section(t("Barriers"))
    met: list[str] = []
    likely: list[str] = []
    for sol, fit in zip(sols, fits, strict=True):
        for b in sol.barriers:
            ref = book.cite(sol, b.source)
            ref = book.record(sol) if ref == "—" else ref
            parts = [f"**{b.title}** ({term(b.type)}{', ' + term(b.phase) if b.phase else ''}) {ref}: "
                     f"{book.prose(sol, b.what_happened)}"]
            if b.what_was_tried:
                parts.append(t("Tried: {text}").format(text=book.prose(sol, b.what_was_tried)))
            parts.append(t("Outcome: {outcome}").format(outcome=term(b.outcome) if b.outcome else t("not reported"))
                         + f" {ref}")
            met.append(". ".join(p.rstrip(".") for p in parts) + ".")
            if b.outcome in ("open", "failed", "partly"):
                likely.append(t("{title} — not fully solved at the source ({outcome}) {ref}; expect it here.").format(
                    title=b.title, outcome=term(b.outcome), ref=ref))
            elif b.type in ("regulatory", "market"):
                likely.append(t("{title} — a {type} barrier that depends on national rules {ref}; check how they "
                                "apply here.").format(title=b.title, type=term(b.type), ref=ref))
        for f in fit.factors if fit is not None else []:
            score = _fit_value(f.score)
            if score < LOW_FIT:
                likely.append(t("weak {factor} (score {score} {ref}): {why}").format(
                    factor=t(f.name), score=fmt(score), ref=model, why=said(f.message, f.explanation)))
    sec.blocks += [Heading(t("Met at the source")), Bullets(met or [t("No barriers were recorded at the source.")]),
                   Heading(t("Likely here")),
                   Bullets(likely or [t("None identified from the records; check local rules and grid capacity.")])]
    return sec


def _lessons(engine: Engine, sols: list[StoredRecord], book: SourceBook, lessons: LessonsFn) -> Section:
    """Each lesson as its own item: a bold title line (phase, outcome, source) and a summary of two or three
    sentences (the whole lesson is in its record)."""
    sec = Section(t("Lessons learned"))
    for sol in sols:
        linked = corpus_lessons(engine, sol)
        for les in linked:
            head = t("**{title}** ({phase}, outcome: {outcome}) {ref}").format(
                title=les.title, phase=term(str(les.front.get("phase", ""))),
                outcome=term(str(les.front.get("outcome", ""))), ref=book.record(les))
            text = " ".join(_first_sentences(_section(les, name), 2) for name in ("Summary", "What happened")
                            if _section(les, name))
            sec.blocks += [Paragraph(head), Paragraph(book.prose(les, _sentences(text, 3)))]
            applies = _first_sentences(_section(les, "Applies when"), 1)
            if applies:
                sec.blocks.append(Paragraph(t("*Applies when:* {text}").format(text=book.prose(les, applies))))
        seen = {les.id for les in linked}
        for app in lessons(sol.id):
            if app.id not in seen:
                sec.blocks += _app_lesson(app, book)
        own = _section(sol, "Lessons learned")
        if own:
            sec.blocks += [Paragraph(t("**From the record of {title}** {ref}").format(title=sol.title,
                                                                                      ref=book.record(sol))),
                           Paragraph(book.prose(sol, _sentences(own, 3)))]
    if not sec.blocks:
        sec.blocks.append(Paragraph(t("No published lessons are linked to these solutions yet.")))
    return sec


def _sentences(text: str, n: int) -> str:
    """At most ``n`` sentences of a flattened text, with `` …`` when some were left out."""
    flat = " ".join(ln.strip().removeprefix("- ").removeprefix("* ") for ln in text.split("\n") if ln.strip())
    parts = [p for p in SENTENCE.split(flat) if p.strip() and p.strip() != "…"]
    return " ".join(parts[:n]) + (" …" if len(parts) > n and not parts[n - 1].endswith("…") else "")


def _app_lesson(les: Lesson, book: SourceBook) -> list[Paragraph]:
    """One lesson written in the app: its text is user input, so every part is made inert."""
    ref = book.app_lesson(les)
    head = t("**{title}** ({phase}, outcome: {outcome}) {ref}").format(
        title=inert(les.title or t("lesson")), phase=term(les.phase), outcome=term(les.outcome), ref=ref)
    text = " ".join(inert(v) for v in (les.summary, les.what_happened, les.what_was_tried) if v)
    out = [Paragraph(head)]
    if text:
        out.append(Paragraph(book.prose(None, _sentences(text, 3), fallback=ref)))
    if les.applies_when:
        applies = book.prose(None, _first_sentences(inert(les.applies_when), 1), fallback=ref)
        out.append(Paragraph(t("*Applies when:* {text}").format(text=applies)))
    return out


def _next_steps(sols: list[StoredRecord], ests: list[Estimate], cname: str, book: SourceBook) -> Section:
    steps = [t("Check the assumptions marked `reference` against local quotes and data for {city}; they are "
               "generic figures, not from a site.").format(city=cname)]
    for sol, est in zip(sols, ests, strict=True):
        metric, name, sentence, moving = _sensitivity(est)
        if name:
            steps.append(t("For {title}: pin down *{name}* first — it dominates {metric}.").format(
                title=sol.title, name=name, metric=metric_label(metric)))
        elif moving:
            several = ", ".join(f"*{r['input']}*" for r in moving[:3])
            steps.append(t("For {title}: no single input dominates {metric}; pin down {inputs} together.").format(
                title=sol.title, metric=metric_label(metric), inputs=several))
        missing = [q.item for q in sol.all_numbers() if q.missing]
        if missing:
            steps.append(t("Ask the source site for what it has not published ({items}) {ref}.").format(
                items=", ".join(missing[:4]), ref=book.record(sol)))
        if sol.barriers:
            steps.append(t("Meet the grid operator, regulator and financiers early about the barriers met at the "
                           "source of {title}.").format(title=sol.title))
    steps.append(t("Choose a site, set the scale, and rerun this brief with the chosen scale."))
    steps.append(t("Agree monitoring from day one so that your results can be reported as `measured`."))
    return Section(t("Next steps"), [Bullets(steps)])


def _assumptions(sols: list[StoredRecord], ests: list[Estimate], book: SourceBook, model: str, seed: int
                 ) -> Section:
    """The annex: how the estimate was made (samples, seed, factor basis, economics, model notes), then every
    input with its range, evidence and source."""
    method: list[Any] = [Heading(t("Annex: methods")), Paragraph(t(
        "Ranges come from a Monte Carlo estimate: each input is drawn from a triangular distribution over its low, "
        "mid and high value ({samples} samples, random seed {seed}, so the same inputs give the same figures) {ref}. "
        "Figures from the source site keep their own evidence level (measured, installed, design, target), and a "
        "target is never presented as a result. The sensitivity is a variance-based (Sobol) analysis: S1 is an "
        "input's share of the variance alone, ST with its interactions.").format(
        samples=", ".join(sorted({localized(f"{e.n_samples:,}") for e in ests})), seed=seed, ref=model))]
    for sol, est in zip(sols, ests, strict=True):
        basis = _basis_paragraph(est, model)
        notes = [t("Note from the model: {note}").format(note=w) for w in est.warnings]
        if (basis or notes) and len(sols) > 1:
            method.append(Paragraph(f"*{sol.title}*"))
        if basis:
            method.append(Paragraph(basis))
        method += [Paragraph(n) for n in notes]
    method.append(Heading(t("Inputs")))
    rows = []
    for sol, est in zip(sols, ests, strict=True):
        for a in est.assumptions:
            value = a.get("value")
            shown = fmt(value) if isinstance(value, int | float) else _range_text(a)
            lo, hi = a.get("low"), a.get("high")
            spread = f"{fmt(lo)} – {fmt(hi)}" if isinstance(lo, int | float) and isinstance(hi, int | float) \
                and lo != hi else ""
            name = _measure_names(said(a.get("name_message"), str(a.get("name", ""))), est)
            if str(a.get("source") or "").startswith(USER):
                name += f" ({t(USER)})"
            rows.append(([sol.id] if len(sols) > 1 else []) + [
                name, shown, spread, str(a.get("unit") or ""), evidence_word(a.get("evidence")),
                book.assumption(a, sol)])
    header = ([t("solution")] if len(sols) > 1 else []) + [t("input"), t("value"), t("low – high"), t("unit"),
                                                             t("evidence"), t("source")]
    blocks: list[Any] = [Table(header, rows)] if rows else [Paragraph(t("The model lists no assumptions."))]
    return Section(t("Assumptions"), method + blocks)


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
