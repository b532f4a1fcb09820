"""A district plan as a brief (the same document model and renderers as the replication brief: MD, HTML, PDF, DOCX)."""

from __future__ import annotations

from typing import Any

from kb.briefs.model import (
    Brief,
    BriefSource,
    Bullets,
    Paragraph,
    RangeBar,
    RangeChart,
    Section,
    Table,
    fmt,
    inert,
)
from kb.plans.evaluate import PlanResult
from kb.replication.words import GENERATING_MODELS, in_words

STATUS_TEXT = {"positive": "energy-positive", "neutral": "energy-neutral (exactly zero: not positive)",
               "short": "not energy-positive"}


class _Sources:
    """Numbers every distinct source text in order of first use."""

    def __init__(self) -> None:
        self.entries: list[BriefSource] = []
        self._n: dict[str, int] = {}

    def ref(self, text: str, origin: str = "") -> str:
        text = inert(text or "") or "not stated"
        if text not in self._n:
            self._n[text] = len(self.entries) + 1
            self.entries.append(BriefSource(self._n[text], text, origin=origin))
        return f"[{self._n[text]}]"


def _rng(m: dict[str, Any] | None) -> str:
    if not m or m.get("p50") is None:
        return "—"
    return f"**{fmt(m['p50'])}** ({fmt(m.get('p10'))} – {fmt(m.get('p90'))}) {m.get('unit', '')}"


def build_plan_brief(result: PlanResult, date: str, kb_version: str = "unversioned") -> Brief:
    """The brief of an evaluated plan: balance, carriers, measures, warnings, shortfall, assumptions, sources."""
    spec = result.spec
    book = _Sources()
    model = book.ref(f"District-plan estimate made for this brief: seeded Monte Carlo over the inputs in the "
                     f"Assumptions table ({result.samples} samples, seed {result.seed})", "kb.plans")
    title = f"District plan for {result.city.name}: {inert(spec.name)}"
    brief = Brief(title=title, city_id=result.city.id, city_name=result.city.name,
                  solutions=[("plan", inert(spec.name))], date=date, kb_version=kb_version, seed=result.seed)
    bal = result.balance
    summary = Section("Executive summary")
    summary.blocks.append(Paragraph(
        f"Annual primary-energy balance (generation − consumption): {_rng(bal)} {model} — estimate. The district "
        f"is **{STATUS_TEXT[result.status]}** at the median; the balance is above zero in "
        f"{result.probability_positive:.0%} of the samples."))
    if spec.description:
        summary.blocks.append(Paragraph(inert(spec.description)))
    mt = result.metrics
    summary.blocks.append(Bullets([
        f"baseline balance (before the measures): {_rng(mt['baseline_balance'])} {model}",
        f"CO₂ avoided: {_rng(mt['co2_avoided'])} {model}",
        f"investment: {_rng(mt['capex'])} {model}; energy cost savings {_rng(mt['savings'])}; simple payback "
        f"{_rng(mt['payback'])}",
    ]))
    summary.blocks.append(RangeChart("Primary-energy balance and its parts", [
        RangeBar(label, str(m.get("unit", "")), m["p10"], m["p50"], m["p90"], model)
        for label, m in (("balance", bal), ("baseline", mt["baseline_balance"]), ("generation", mt["generation"]))
        if m.get("p50") is not None]))
    district = Section("The district")
    rows = []
    for label, fig in (("homes", spec.homes), *((f"floor area, {k}", f) for k, f in spec.floor_area.items()),
                       *((f"baseline {k.replace('_', ' ')} (MWh/yr)", f) for k, f in spec.baseline.items()),
                       *((f"share of heat from {k.replace('_', ' ')}", f) for k, f in spec.heating.items()),
                       *((f"limit: {k.replace('_', ' ')}", f) for k, f in spec.limits.items()),
                       *((f"factor: {k}", f) for k, f in spec.factors.items())):
        if fig is None:
            continue
        value = fmt(fig.mid) if fig.low == fig.high else f"{fmt(fig.low)} / {fmt(fig.mid)} / {fmt(fig.high)}"
        rows.append([label, value, fig.unit, fig.evidence, book.ref(fig.source)])
    district.blocks.append(Table(["item", "value", "unit", "evidence", "source"], rows))
    carriers = Section("Balance by carrier")
    gen = any(m.get("model") in GENERATING_MODELS for m in result.measures)
    carriers.blocks.append(Table(
        ["carrier", "baseline (MWh/yr)", "after the plan (MWh/yr)", "change (central)", "primary energy (MWh_PE/yr)",
         "PEF"],
        [[c.replace("_", " "), _rng(v["baseline"]), _rng(v["net"]),
          in_words(c, (v["net"].get("central") or 0.0) - (v["baseline"].get("central") or 0.0), "MWh/yr", gen, fmt)
          + f" {model}", _rng(v["primary_energy"]), f"{fmt(v['pef'])} ({inert(v['pef_source'] or '—')})"]
         for c, v in result.by_carrier.items()]))
    measures = Section("Measures, in the order they are applied")
    mrows = []
    for m in result.measures:
        name = inert(m["label"] or m["title"] or m["measure_type"])
        scale = f"{fmt(m['scale'])} {m['unit']} ({m['scale_evidence']}) {book.ref(m['scale_source'])}"
        if m["status"] == "error":
            mrows.append([name, m["stage"], scale, "left out: " + inert(m["error"]), "—", "—"])
        else:
            by = "; ".join(in_words(c, v["p50"], "MWh/yr", m.get("model") in GENERATING_MODELS, fmt)
                           for c, v in (m.get("by_carrier") or {}).items() if v.get("p50") is not None)
            mrows.append([name, m["stage"], scale, _rng(m["primary_energy"]), f"{by or '—'} {model}",
                          _rng(m["capex"])])
    measures.blocks.append(Table(["measure", "stage", "scale", "primary energy (MWh_PE/yr)", "by carrier (P50)",
                                  "capex"], mrows))
    warnings = Section("Warnings and what is not counted")
    items = [inert(w) for w in result.warnings] + [inert(x) for x in result.not_computed] + \
        [inert(n) for n in result.notes]
    warnings.blocks.append(Bullets(items or ["none"]))
    sections = [summary, district, carriers, measures, warnings]
    sf = result.shortfall
    if sf.get("mwh_pe"):
        gap = Section("What would close the gap")
        gap.blocks.append(Paragraph(
            f"Shortfall at the median: **{fmt(sf['mwh_pe'])} MWh_PE/yr** {model} (to be positive in 90 % of "
            f"the samples: {fmt(sf['to_p10'])} MWh_PE/yr). Each measure alone, within the district's limits:"))
        gap.blocks.append(Table(
            ["measure type", "per unit (MWh_PE/yr)", "needed alone", "limit", "suggested", "capex (EUR)",
             "used in"],
            [[f"{s['title']} ({s['displaces'].replace('_', ' ')})", fmt(s["per_unit_mwh_pe"]),
              f"{fmt(s['needed'])} {s['unit']}", f"{fmt(s['bound'])} ({inert(s['bound_reason'])})",
              f"{fmt(s['scale'])} {s['unit']}", fmt(s["capex"]),
              ", ".join(x["id"] for x in s["solutions"]) or "—"] for s in sf["suggestions"]]))
        if sf.get("combination"):
            combo = "; ".join(f"{fmt(c['scale'])} {c['unit']} of {c['title']}" for c in sf["combination"])
            w = sf.get("with_combination") or {}
            gap.blocks.append(Paragraph(
                f"Together: {combo}. With them the balance would be {_rng(w.get('balance'))} at an investment of "
                f"{_rng(w.get('capex'))} {model}."))
        sections.append(gap)
    assumptions = Section("Assumptions")
    assumptions.blocks.append(Table(
        ["input", "value", "low", "high", "unit", "evidence", "source"],
        [[inert(a["name"]), fmt(a["value"]), fmt(a["low"]), fmt(a["high"]), a["unit"], a["evidence"],
          book.ref(a["source"])] for a in result.assumptions]))
    sections.append(assumptions)
    brief.sections = sections
    brief.sources = book.entries
    return brief

