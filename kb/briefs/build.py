"""Build a replication brief for solutions in a city: every figure with its evidence level and a numbered source."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from kb.briefs.data import (
    BriefError,
    Estimate,
    EstimateFn,
    FitFn,
    LessonsFn,
    app_lessons,
    city_name,
    corpus_lessons,
    find_city,
    replication_estimate,
    replication_fit,
)
from kb.briefs.model import Brief, Bullets, Heading, Paragraph, RangeBar, RangeChart, Section, Table, fmt, inert
from kb.briefs.sources import SENTENCE, SourceBook
from kb.store import catalog

__all__ = ["BriefError", "BriefRequest", "build_brief"]

METRIC_LABELS: dict[str, str] = {  # the metric names of kb.replication.simulation.METRICS
    "electricity": "electricity", "natural_gas": "natural gas", "district_heat": "district heat",
    "petrol": "petrol/diesel", "co2_avoided": "CO₂ avoided", "primary_energy_saved": "primary energy saved",
    "nox_avoided": "NOx avoided", "capex": "capital cost", "opex": "operating cost", "savings": "energy cost savings",
    "payback": "simple payback", "cost_per_tco2": "cost per tonne of CO₂",
}
MAIN_ORDER = ("co2_avoided", "electricity", "primary_energy_saved", "natural_gas", "district_heat", "petrol", "savings",
              "capex", "payback", "cost_per_tco2")
COST_WORDS = ("capex", "opex", "saving", "payback", "tco2", "per_t", "cost", "eur")
LOW_FIT = 0.5


@dataclass
class BriefRequest:
    """What to brief: solution ids, a city (id, name or alias), scales by solution id, a fixed date and seed."""

    solutions: list[str]
    city: str
    scales: dict[str, float | dict[str, float]] = field(default_factory=dict)
    params: dict[str, dict[str, float]] = field(default_factory=dict)
    date: str = ""
    seed: int = 42


def metric_label(name: str) -> str:
    return METRIC_LABELS.get(name, name.replace("_", " "))


def build_brief(engine: Engine, req: BriefRequest, estimate: EstimateFn | None = None, fit: FitFn | None = None,
                lessons: LessonsFn | None = None) -> Brief:
    """The brief; raises ``BriefError`` (unknown city, no estimate) or ``RecordNotFound``."""
    if not req.solutions:
        raise BriefError("choose at least one solution")
    if not req.date:
        raise BriefError("a brief needs a date (YYYY-MM-DD)")
    estimate = estimate or replication_estimate(engine, req.params)
    fit = fit or replication_fit(engine)
    lessons = lessons or app_lessons(engine)
    city = find_city(engine, req.city)
    cname = city_name(city)
    sols = [catalog.get_record(engine, sid) for sid in dict.fromkeys(req.solutions)]
    for s in sols:
        if s["kind"] != "solution":
            raise BriefError(f"'{s['id']}' is a {s['kind']} record, not a solution")
    ests = [estimate(s["id"], city["id"], req.scales.get(s["id"]), req.seed) for s in sols]
    fits = [fit(s["id"], city["id"]) for s in sols]
    book = SourceBook(engine)
    model = book.model(req.seed)
    version = str(catalog.stats(engine).get("corpus_version") or "unversioned")
    titles = [s["title"] for s in sols]
    brief = Brief(title=f"Replication brief for {cname}: " + "; ".join(titles), city_id=city["id"],
                  city_name=cname, solutions=[(s["id"], s["title"]) for s in sols], date=req.date,
                  kb_version=version, seed=req.seed)
    source_names = {s["id"]: _source_city(engine, s) for s in sols}
    brief.sections = [
        _summary(sols, ests, fits, cname, book, model, source_names),
        _as_built(sols, book, source_names),
        _fit(sols, fits, cname, model),
        _impact(sols, ests, cname, model),
        _costs(sols, ests, book, model),
        _barriers(sols, fits, book, model),
        _lessons(engine, sols, book, lessons),
        _next_steps(sols, ests, cname, book),
        _assumptions(sols, ests, book),
    ]
    brief.sources = book.entries()
    return brief


def _source_city(engine: Engine, sol: dict[str, Any]) -> str:
    try:
        return city_name(catalog.get_record(engine, sol["city"]))
    except catalog.RecordNotFound:
        return str(sol["city"] or "")


def _metrics(est: Estimate) -> list[tuple[str, dict[str, Any]]]:
    return [(k, v) for k, v in (est.get("metrics") or {}).items() if isinstance(v, dict) and v.get("p50") is not None]


def _main_metrics(est: Estimate, n: int = 5) -> list[tuple[str, dict[str, Any]]]:
    ms = _metrics(est)
    rank = {k: i for i, k in enumerate(MAIN_ORDER)}
    return sorted(ms, key=lambda kv: rank.get(kv[0], len(rank)))[:n]


def _range(m: dict[str, Any]) -> str:
    return f"**{fmt(m['p50'])} {m.get('unit', '')}** (P10 {fmt(m.get('p10'))} – P90 {fmt(m.get('p90'))})"


def _scale_text(est: Estimate, sol: dict[str, Any], model: str, book: SourceBook) -> str:
    scale_rows = [a for a in est.get("assumptions") or [] if str(a.get("name", "")).startswith("scale")
                  or a.get("role") == "scale"]
    if scale_rows:
        refs = "; ".join(book.assumption(a, sol).strip("[]") for a in scale_rows)
        evidence = ", ".join(dict.fromkeys(str(a.get("evidence") or "—") for a in scale_rows))
        model = f"[{refs}] ({evidence})"
    else:
        model = f"{model} (input)"
    measures = [m for m in est.get("measures") or [] if isinstance(m, dict) and m.get("scale") is not None]
    if len(measures) > 1:
        parts = [f"{fmt(m['scale'])} {m.get('unit', '')} of {m.get('title') or m.get('measure_type')}"
                 for m in measures]
        return f"at a scale of {', '.join(parts)} {model}"
    scale = est.get("scale") or {}
    if scale.get("value") is None:
        return "at the scale of the source site"
    return f"at a scale of {fmt(scale['value'])} {scale.get('unit', '')} {model}"


def _summary(sols: list[dict[str, Any]], ests: list[Estimate], fits: list[Any], cname: str, book: SourceBook,
             model: str, source_names: dict[str, str]) -> Section:
    sec = Section("Executive summary")
    for sol, est, fit in zip(sols, ests, fits, strict=True):
        rec = book.record(sol)
        sec.blocks.append(Paragraph(
            f"**{sol['title']}** — built in {source_names[sol['id']]} (status: {sol['status']}) {rec} — "
            f"replicated to {cname} {_scale_text(est, sol, model, book)}. Estimated yearly effect, median with "
            f"the P10–P90 range:"))
        items = [f"{metric_label(k)}: {_range(m)} {model} — estimate" for k, m in _main_metrics(est)]
        if fit and fit.get("fit") is not None:
            items.append(f"transfer fit: **{fmt(fit['fit'])}** of 1 {model} — estimate")
        sec.blocks.append(Bullets(items or ["no estimated outputs"]))
    sec.blocks.append(Paragraph(
        "Ranges come from a seeded Monte Carlo over the low/mid/high assumptions listed at the end; figures "
        "from the source site keep their own evidence level (measured, installed, design, target), and a "
        "target is never presented as a result."))
    return sec


def _number_table(qs: list[dict[str, Any]], rec: dict[str, Any], book: SourceBook) -> Table:
    rows = []
    for q in qs:
        if q.get("missing"):
            rows.append([q["item"], "not published", q.get("unit") or "", "", "—", "—"])
            continue
        if q.get("low") is not None or q.get("high") is not None:
            value = " / ".join(fmt(v) for v in (q.get("low"), q.get("mid"), q.get("high")) if v is not None)
        else:
            value = fmt(q.get("value"))
        rows.append([q["item"], value, q.get("unit") or "", str(q.get("year") or ""), q.get("evidence") or "—",
                     book.cite(rec, q.get("source"))])
    return Table(["item", "value", "unit", "year", "evidence", "source"], rows)


def _as_built(sols: list[dict[str, Any]], book: SourceBook, source_names: dict[str, str]) -> Section:
    sec = Section("The solution as built at the source")
    for sol in sols:
        sec.blocks.append(Heading(f"{sol['title']} — {source_names[sol['id']]}"))
        meta = [x for x in (sol["front"].get("district"), sol["front"].get("site")) if x]
        years = sol["front"].get("years") or []
        summary = _section(sol, "Summary")
        if summary:
            sec.blocks.append(Paragraph(book.prose(sol, summary)))
        facts = [f"status: {sol['status']}"]
        if meta:
            facts.append("site: " + ", ".join(str(m) for m in meta) + f" {book.record(sol)}")
        if years and years[0]:
            facts.append(f"years: {years[0]}–{years[1] or 'ongoing'} {book.record(sol)}")
        if sol["front"].get("partners"):
            facts.append("partners: " + ", ".join(str(p) for p in sol["front"]["partners"]) + f" {book.record(sol)}")
        sec.blocks.append(Bullets(facts))
        for title in ("Measures", "Results"):
            qs = sol["numbers"].get(title) or []
            if qs:
                sec.blocks.append(Paragraph(f"*{title}*"))
                sec.blocks.append(_number_table(qs, sol, book))
        results = _section(sol, "Results")
        if results:
            sec.blocks.append(Paragraph(book.prose(sol, results)))
    return sec


def _fit(sols: list[dict[str, Any]], fits: list[Any], cname: str, model: str) -> Section:
    sec = Section(f"Fit for {cname}")
    for sol, fit in zip(sols, fits, strict=True):
        if len(sols) > 1:
            sec.blocks.append(Paragraph(f"*{sol['title']}*"))
        if not fit or not fit.get("factors"):
            sec.blocks.append(Paragraph("No transfer-fit breakdown is available for this solution."))
            continue
        rows = [[f["name"], fmt(f.get("score")), "estimate", model, str(f.get("explanation") or "")]
                for f in fit["factors"]]
        rows.append(["overall fit", fmt(fit.get("fit")), "estimate", model, "weighted over the factors above"])
        sec.blocks.append(Table(["factor", "score", "evidence", "source", "why"], rows))
    return sec


def _impact(sols: list[dict[str, Any]], ests: list[Estimate], cname: str, model: str) -> Section:
    sec = Section(f"Estimated impact in {cname}")
    for sol, est in zip(sols, ests, strict=True):
        metrics = _metrics(est)
        title = sol["title"] if len(sols) > 1 else ""
        if title:
            sec.blocks.append(Paragraph(f"*{title}*"))
        if not metrics:
            sec.blocks.append(Paragraph("The model gives no outputs for this solution."))
            continue
        sec.blocks.append(Table(["output", "unit", "P10", "P50", "P90", "evidence", "source"],
                                [[metric_label(k), str(m.get("unit", "")), fmt(m.get("p10")), fmt(m.get("p50")),
                                  fmt(m.get("p90")), "estimate", model] for k, m in metrics]))
        bars = [RangeBar(metric_label(k), str(m.get("unit", "")), float(m["p10"]), float(m["p50"]), float(m["p90"]),
                         model)
                for k, m in _main_metrics(est, 8) if not _is_cost(k) and m.get("p10") is not None
                and m.get("p90") is not None][:5]
        if bars:
            sec.blocks.append(RangeChart(f"Estimated yearly effect in {cname} (P10–P50–P90)", bars))
        sens = _sensitivity_rows(est, model)
        metric, top, _ = _sensitivity(est)
        if sens:
            sec.blocks.append(Paragraph(f"The input that moves {metric_label(metric)} most: **{top}** {model}. "
                                        "Each input at its low and at its high, all others at their mid value:"))
            sec.blocks.append(Table(["input", "output", "at input low", "at input high", "evidence", "source"],
                                    sens))
        for u in est.get("unavailable") or []:
            sec.blocks.append(Paragraph(f"Not estimated: {metric_label(str(u.get('metric')))} — "
                                        f"{str(u.get('reason') or '').rstrip('.')}."))
        for w in est.get("warnings") or []:
            sec.blocks.append(Paragraph(f"Note from the model: {w}"))
    return sec


def _sensitivity(est: Estimate) -> tuple[str, str, list[dict[str, Any]]]:
    """(metric, most influential input, that metric's top rows) of the one-at-a-time sensitivity."""
    rows = [s for s in est.get("sensitivity") or [] if isinstance(s, dict)]
    if not rows:
        return "", "", []
    metrics = list(dict.fromkeys(str(s.get("metric") or "") for s in rows))
    rank = {k: i for i, k in enumerate(MAIN_ORDER)}
    metric = sorted(metrics, key=lambda m: rank.get(m, len(rank)))[0]
    mine = [s for s in rows if str(s.get("metric") or "") == metric
            and not (s.get("at_low") is not None and s.get("at_low") == s.get("at_high"))]
    if not mine:
        return "", "", []
    top = (est.get("most_influential") or {}).get(metric) or str(mine[0].get("input") or mine[0].get("name") or "")
    return metric, top, mine[:5]


def _sensitivity_rows(est: Estimate, model: str) -> list[list[str]]:
    metric, _, rows = _sensitivity(est)
    out = []
    for s in rows:
        lo = s.get("at_low", s.get("low"))
        hi = s.get("at_high", s.get("high"))
        unit = str(s.get("metric_unit") or (est.get("metrics") or {}).get(metric, {}).get("unit") or "")
        out.append([str(s.get("input") or s.get("name") or "?"), f"{metric_label(metric)} ({unit})".replace(" ()", ""),
                    fmt(lo) if isinstance(lo, int | float) else "—", fmt(hi) if isinstance(hi, int | float) else "—",
                    "estimate", model])
    return out


def _is_cost(name: str) -> bool:
    return any(w in name for w in COST_WORDS)


def _costs(sols: list[dict[str, Any]], ests: list[Estimate], book: SourceBook, model: str) -> Section:
    sec = Section("Costs and financing")
    for sol, est in zip(sols, ests, strict=True):
        if len(sols) > 1:
            sec.blocks.append(Paragraph(f"*{sol['title']}*"))
        costs = [(k, m) for k, m in _metrics(est) if _is_cost(k)]
        if costs:
            sec.blocks.append(Table(["item", "unit", "P10", "P50", "P90", "evidence", "source"],
                                    [[metric_label(k), str(m.get("unit", "")), fmt(m.get("p10")), fmt(m.get("p50")),
                                      fmt(m.get("p90")), "estimate", model] for k, m in costs]))
        else:
            sec.blocks.append(Paragraph("The model gives no cost figures for this solution."))
        site = sol["numbers"].get("Costs") or []
        if site:
            sec.blocks.append(Paragraph("At the source site:"))
            sec.blocks.append(_number_table(site, sol, book))
        text = _section(sol, "Costs")
        if text:
            sec.blocks.append(Paragraph(book.prose(sol, text)))
    return sec


def _barriers(sols: list[dict[str, Any]], fits: list[Any], book: SourceBook, model: str) -> Section:
    sec = Section("Barriers")
    met: list[str] = []
    likely: list[str] = []
    for sol, fit in zip(sols, fits, strict=True):
        for b in sol["barriers"]:
            ref = book.cite(sol, b.get("source"))
            ref = book.record(sol) if ref == "—" else ref
            parts = [f"**{b['title']}** ({b['type']}{', ' + b['phase'] if b.get('phase') else ''}) {ref}: "
                     f"{book.prose(sol, b.get('what_happened') or '')}"]
            if b.get("what_was_tried"):
                parts.append(f"Tried: {book.prose(sol, b['what_was_tried'])}")
            parts.append(f"Outcome: {b.get('outcome') or 'not reported'} {ref}")
            met.append(". ".join(p.rstrip(".") for p in parts) + ".")
            if b.get("outcome") in ("open", "failed", "partly"):
                likely.append(f"{b['title']} — not fully solved at the source ({b['outcome']}) {ref}; expect it here.")
            elif b.get("type") in ("regulatory", "market"):
                likely.append(f"{b['title']} — a {b['type']} barrier that depends on national rules {ref}; "
                              "check how they apply here.")
        for f in (fit or {}).get("factors") or []:
            score = f.get("score")
            if isinstance(score, int | float) and score < LOW_FIT:
                likely.append(f"weak {f['name']} (score {fmt(score)} {model}): {f.get('explanation') or ''}")
    sec.blocks += [Heading("Met at the source"), Bullets(met or ["No barriers were recorded at the source."]),
                   Heading("Likely here"),
                   Bullets(likely or ["None identified from the records; check local rules and grid capacity."])]
    return sec


def _lessons(engine: Engine, sols: list[dict[str, Any]], book: SourceBook, lessons: LessonsFn) -> Section:
    sec = Section("Lessons learned")
    items: list[str] = []
    for sol in sols:
        for les in corpus_lessons(engine, sol):
            parts = [f"**{les['title']}** ({les['front'].get('phase', '')}, "
                     f"outcome: {les['front'].get('outcome', '')}) {book.record(les)}"]
            for name in ("Summary", "What happened", "What was tried", "Applies when"):
                text = _first_sentences(_section(les, name))
                if text:
                    parts.append(f"{name}: {book.prose(les, text)}")
            items.append(" ".join(p if p.endswith(".") else p + "." for p in parts))
        seen = {les["id"] for les in corpus_lessons(engine, sol)}
        for les in lessons(sol["id"]):
            if les.get("id") in seen:
                continue
            ref = book.app_lesson(les)
            parts = [f"**{inert(str(les.get('title') or 'lesson'))}** ({les.get('phase') or ''}, "
                     f"outcome: {les.get('outcome')}) {ref}"]
            for label, key in (("What happened", "what_happened"), ("What was tried", "what_was_tried"),
                               ("Applies when", "applies_when")):
                if les.get(key):
                    text = _first_sentences(inert(str(les[key])))
                    parts.append(f"{label}: {book.prose(None, text, fallback=ref)}")
            items.append(" ".join(p if p.endswith(".") else p + "." for p in parts))
        own = _section(sol, "Lessons learned")
        if own:
            items.append(f"From the record of {sol['title']}: {book.prose(sol, own)}")
    sec.blocks.append(Bullets(items or ["No published lessons are linked to these solutions yet."]))
    return sec


def _next_steps(sols: list[dict[str, Any]], ests: list[Estimate], cname: str, book: SourceBook) -> Section:
    steps = [f"Check the assumptions marked `reference` against local quotes and data for {cname}; they are "
             "generic figures, not from a site."]
    for sol, est in zip(sols, ests, strict=True):
        _, name, _ = _sensitivity(est)
        if name:
            steps.append(f"For {sol['title']}: pin down *{name}* first — it moves the result most.")
        missing = [q["item"] for qs in sol["numbers"].values() for q in qs if q.get("missing")]
        if missing:
            steps.append(f"Ask the source site for what it has not published ({', '.join(missing[:4])}) "
                         f"{book.record(sol)}.")
        if sol["barriers"]:
            steps.append(f"Meet the grid operator, regulator and financiers early about the barriers met at the "
                         f"source of {sol['title']}.")
    steps.append("Choose a site, set the scale, and rerun this brief with the chosen scale.")
    steps.append("Agree monitoring from day one so that your results can be reported as `measured`.")
    return Section("Next steps", [Bullets(steps)])


def _assumptions(sols: list[dict[str, Any]], ests: list[Estimate], book: SourceBook) -> Section:
    rows = []
    for sol, est in zip(sols, ests, strict=True):
        for a in est.get("assumptions") or []:
            value = a.get("value")
            shown = fmt(value) if isinstance(value, int | float) else _range_text(a)
            lo, hi = a.get("low"), a.get("high")
            spread = f"{fmt(lo)} – {fmt(hi)}" if isinstance(lo, int | float) and isinstance(hi, int | float) \
                and lo != hi else ""
            rows.append(([sol["id"]] if len(sols) > 1 else []) + [
                str(a.get("name", "")), shown, spread, str(a.get("unit") or ""), str(a.get("evidence") or "—"),
                book.assumption(a, sol)])
    header = (["solution"] if len(sols) > 1 else []) + ["input", "value", "low – high", "unit", "evidence",
                                                          "source"]
    blocks: list[Any] = [Table(header, rows)] if rows else [Paragraph("The model lists no assumptions.")]
    return Section("Assumptions", blocks)


def _range_text(a: dict[str, Any]) -> str:
    vals = [a.get(k) for k in ("low", "mid", "high") if isinstance(a.get(k), int | float)]
    return " / ".join(fmt(v) for v in vals) if vals else str(a.get("value") if a.get("value") is not None else "—")


def _first_sentences(text: str, n: int = 2) -> str:
    """The first ``n`` sentences of a text (lessons are summarised; the full text is in the source record)."""
    flat = " ".join(ln.strip().removeprefix("- ") for ln in text.split("\n") if ln.strip())
    parts = SENTENCE.split(flat)
    return " ".join(parts[:n]) + (" …" if len(parts) > n else "")


def _section(rec: dict[str, Any], title: str) -> str:
    for s in rec["sections"]:
        if s["title"] == title:
            text = "\n".join(ln for ln in s["text"].split("\n") if not ln.lstrip().startswith("|"))
            return re.sub(r"\n{2,}", "\n\n", text).strip()
    return ""
