"""A district plan as a brief (the same document model and renderers as the replication brief: MD, HTML, PDF, DOCX)."""

from __future__ import annotations

import math
from typing import Any

from kb.briefs.model import (
    Brief,
    BriefSource,
    Bullets,
    Paragraph,
    RangeBar,
    RangeChart,
    Section,
    Series,
    Table,
    XYChart,
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
    sections = [summary, district, carriers, measures, hour_by_hour(result, book.ref, model), warnings]
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



MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
PV, LOAD, IMPORT, EXPORT, SOC = "#f2c94c", "#222222", "#c0392b", "#2e8b57", "#1f4e79"
SUMMER_SOC = "#e67e22"
WEEK_DATES = {"winter": "Monday 16 – Sunday 22 January", "summer": "Monday 17 – Sunday 23 July"}


def _margin(d: dict[str, Any]) -> str:
    unit = str(d["unit"])
    if unit.startswith("hours"):
        return f"{d['margin']:,.0f} {unit}"
    return f"{d['margin']:+,.1f} {unit}".replace("-", "−")


def ped_sentence(ped: dict[str, Any]) -> str:
    """Which PED definitions the hourly balance meets and which not, by how much, and the boundary: one paragraph."""
    defs = ped["definitions"]
    met = [f"{inert(d['name'])} ({_margin(d)})" for d in defs if d["met"]]
    short = [f"{inert(d['name'])} ({_margin(d)})" for d in defs if not d["met"]]
    text = (f"Hour by hour, the district **meets** {len(met)} of the {len(defs)} PED definitions tested: "
            f"{'; '.join(met)}." if met else f"Hour by hour, the district meets **none** of the {len(defs)} PED "
            "definitions tested.")
    if short:
        text += f" It does **not meet**: {'; '.join(short)}."
    return text + f" Boundary: {inert(ped['boundary'])}."


def duration_reading(duration: dict[str, list[float]], hours_of_net_import: float | None = None) -> str:
    """How to read the load-duration curve, in one sentence: the hours per year above a round level of net import
    (and, given the KPI, in how many hours the district imports at all)."""
    hours, kw = duration["hours"], duration["net_import_kw"]
    if not kw or kw[0] <= 0:
        return "Read it across: the district does not import electricity on net in any hour of the year."
    level = _round_level(kw[0] / 2)
    above = _hours_at(hours, kw, level)
    at_all = ("" if hours_of_net_import is None
              else f" and imports at all in {fmt(hours_of_net_import)} of the 8,760 hours")
    return (f"Read it across: the district imports more than {fmt(level)} kW in about {fmt(above)} hours a "
            f"year{at_all}; where the curve is below zero it exports.")


def _round_level(v: float) -> float:
    mag = 10.0 ** math.floor(math.log10(v))
    return min((m * mag for m in (1.0, 2.0, 5.0, 10.0)), key=lambda c: abs(c - v))


def _hours_at(hours: list[float], kw: list[float], level: float) -> float:
    """Hours of the year with net import above ``level``, interpolated on the sampled curve, to 10 h."""
    if kw[0] <= level:
        return 0.0
    for i in range(1, len(kw)):
        if kw[i] <= level:
            h0, h1, k0, k1 = hours[i - 1], hours[i], kw[i - 1], kw[i]
            h = h0 + (k0 - level) / ((k0 - k1) or 1.0) * (h1 - h0)
            return float(round(h, -1))
    return float(round(hours[-1], -1))


def _kpi_rows(k: dict[str, float], battery: bool) -> list[list[str]]:
    rows = [["Self-consumption", f"{k['self_consumption'] * 100:.0f}", "% of PV output", "PV used on site (directly "
             "or through the battery)"],
            ["Self-sufficiency", f"{k['self_sufficiency'] * 100:.0f}", "% of the electricity load", "load met on site"],
            ["Degree of energetic self-supply", f"{k['degree_of_energetic_self_supply'] * 100:.0f}",
             "% of the electricity load", "annual PV ÷ annual load"],
            ["Peak import", fmt(k["peak_import_kw"]), "kW", "the largest hourly import"],
            ["Peak export", fmt(k["peak_export_kw"]), "kW", "the largest hourly export"],
            ["Hours of net import", fmt(k["hours_of_net_import"]), "h/yr", "of 8,760 hours"],
            ["Electricity imported", fmt(k["annual_import_kwh"] / 1e3), "MWh/yr", "across the boundary"],
            ["Electricity exported", fmt(k["annual_export_kwh"] / 1e3), "MWh/yr", "across the boundary"],
            ["PV curtailed", fmt(k["annual_curtailed_kwh"] / 1e3), "MWh/yr", "neither used, stored nor exported"]]
    if battery:
        rows += [["Battery losses", fmt(k["battery_losses_kwh"] / 1e3), "MWh/yr", "round-trip losses"],
                 ["Battery cycles", fmt(k["battery_cycles"]), "full cycles/yr", "from the dispatch"]]
    return rows


def _week_ticks() -> list[tuple[float, str]]:
    return [(24.0 * i + 12, d) for i, d in enumerate(DAYS)]


def week_charts(weeks: dict[str, dict[str, list[float]]], battery: bool) -> list[XYChart]:
    """The typical winter and summer weeks of an hourly balance (PV, load, import, export), and with a battery its
    state of charge in both weeks."""
    charts = []
    for season in ("winter", "summer"):
        w = weeks.get(season)
        if not w:
            continue
        x = [float(i) for i in range(len(w["load"]))]
        charts.append(XYChart(
            f"A typical {season} week: PV and load, import and export", x,
            [Series("PV", w["pv"], PV, "area"), Series("load", w["load"], LOAD), Series("import", w["import"], IMPORT),
             Series("export", w["export"], EXPORT)], "kWh per hour, i.e. average kW",
            f"{WEEK_DATES.get(season, season)}, hour by hour", _week_ticks(),
            f"A typical {season} week ({WEEK_DATES.get(season, season)}): PV output (shaded) against the district's "
            "electricity load; what PV and the battery cannot cover is imported, the surplus exported."))
    if battery and "winter" in weeks and "summer" in weeks:
        x = [float(i) for i in range(len(weeks["winter"]["soc"]))]
        charts.append(XYChart(
            "Battery state of charge in the typical weeks", x,
            [Series("winter week", weeks["winter"]["soc"], SOC), Series("summer week", weeks["summer"]["soc"],
                                                                         SUMMER_SOC)],
            "kWh stored", "hour of the week", _week_ticks(),
            "Battery state of charge hour by hour in the two typical weeks (charged only from PV surplus)."))
    return charts


def hour_by_hour(result: PlanResult, ref: Any, model: str) -> Section:
    """The hourly balance of the central estimate: PED status, KPIs, typical weeks, monthly bars, duration curve."""
    sec = Section("Hour by hour")
    h = result.hourly
    if not h:
        reason = inert(result.hourly_unavailable or "no hourly balance was computed for this plan").rstrip(".")
        sec.blocks.append(Paragraph(reason[:1].upper() + reason[1:] + "."))
        return sec
    sec.blocks.append(Paragraph(f"The figures in this section are the central estimate, every input at its mid "
                                f"({inert(h['note'])}) {model} — estimate."))
    sec.blocks.append(Paragraph(ped_sentence(h["ped"])))
    sec.blocks.append(Table(["definition", "met", "by how much", "why", "source"],
                            [[inert(d["name"]), "met" if d["met"] else "not met", _margin(d), inert(d["explanation"]),
                              ref(d["source"])] for d in h["ped"]["definitions"]]))
    battery = "battery" in h["provenance"] or any(v > 0 for w in h["weeks"].values() for v in w["soc"])
    sec.blocks.append(Table(["KPI", "value", "unit", "what it means"], _kpi_rows(h["kpis"], battery)))
    sec.blocks.extend(week_charts(h["weeks"], battery))
    m = h["monthly_kwh"]
    sec.blocks.append(XYChart(
        "Electricity imported and exported per month", [float(i) for i in range(12)],
        [Series("import", [v / 1e3 for v in m["import"]], IMPORT, "bar"),
         Series("export", [v / 1e3 for v in m["export"]], EXPORT, "bar")], "MWh per month",
        "", [(float(i), name) for i, name in enumerate(MONTHS)],
        "Monthly balance of electricity across the boundary: import (red) against export (green)."))
    dur = h.get("duration")
    if dur:
        sec.blocks.append(XYChart(
            "Load-duration curve of net import", [float(v) for v in dur["hours"]],
            [Series("net import", [float(v) for v in dur["net_import_kw"]], IMPORT)], "kW (import − export)",
            "hours of the year, largest first", [(float(v), f"{v:,}") for v in (1, 2190, 4380, 6570, 8760)],
            "Every hour of the year sorted by net import, largest first. "
            + duration_reading(dur, h["kpis"].get("hours_of_net_import"))))
    sec.blocks.append(Bullets([inert(f"{k.replace('_', ' ')} profile: {v}") + f" {model}"
                               for k, v in h["provenance"].items()] + [inert(n) for n in h["notes"]]))
    return sec
