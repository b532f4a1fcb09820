"""A district plan as a brief (the same document model and renderers as the replication brief: MD, HTML, PDF, DOCX)."""

from __future__ import annotations

import math
import re
from typing import Any

from sqlalchemy import Engine

from kb.briefs.model import (
    Brief,
    BriefSource,
    Bullets,
    Heading,
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
from kb.briefs.sources import QUALIFIED
from kb.plans.evaluate import PlanResult
from kb.replication.words import GENERATING_MODELS, in_words
from kb.store import catalog
from kb.store.readmodel import StoredRecord

CITED = re.compile(r"\b([a-z][a-z0-9]*(?:-[a-z0-9]+)*)[ :/]+(S\d+)\b")
INSTANCE = re.compile(r"\b([a-z][a-z0-9]*(?:-[a-z0-9]+)*)#(\d+)\b")

STATUS_TEXT = {"positive": "energy-positive", "neutral": "energy-neutral (exactly zero: not positive)",
               "short": "not energy-positive"}


class _Sources:
    """Numbers every distinct source in order of first use. Given the knowledge base, a source text that names a
    record's source (``district-baseline S1: title``, or ``… (krakow S13, …)`` inside a note) is resolved to that
    record's source entry, whole with its publisher, year and URL; the plan's own note stays an entry of its own."""

    def __init__(self, engine: Engine | None = None) -> None:
        self.entries: list[BriefSource] = []
        self._n: dict[str, int] = {}
        self._engine = engine
        self._records: dict[str, StoredRecord | None] = {}

    def _add(self, key: str, entry: BriefSource) -> int:
        if key not in self._n:
            self._n[key] = len(self.entries) + 1
            self.entries.append(BriefSource(self._n[key], entry.title, entry.url, entry.publisher, entry.year,
                                            entry.origin))
        return self._n[key]

    def _record(self, record_id: str) -> StoredRecord | None:
        if self._engine is None:
            return None
        if record_id not in self._records:
            try:
                self._records[record_id] = catalog.get_record(self._engine, record_id)
            except catalog.RecordNotFound:
                self._records[record_id] = None
        return self._records[record_id]

    def _cited(self, record_id: str, sid: str) -> int | None:
        rec = self._record(record_id)
        src = rec.source(sid) if rec is not None else None
        if rec is None or src is None:
            return None
        key = f"url:{src.url}" if src.url else f"{rec.id}:{sid}"
        return self._add(key, BriefSource(0, inert(src.title), src.url, inert(src.publisher or ""),
                                          str(src.year or ""), f"{rec.title}, source {sid}"))

    def ref(self, text: str, origin: str = "") -> str:
        text = inert(text or "") or "not stated"
        nums: list[int] = []
        for part in self._labels(text):
            m = QUALIFIED.match(part)
            whole = self._cited(m.group(1), m.group(2)) if m else None
            if whole is not None:  # the part is a record's source, title and all
                nums.append(whole)
                continue
            nums.append(self._add(f"text:{part}", BriefSource(0, part[:1].upper() + part[1:], origin=origin)))
            nums += [n for c in CITED.finditer(part) if (n := self._cited(c.group(1), c.group(2))) is not None]
        return "[" + "; ".join(str(n) for n in dict.fromkeys(nums)) + "]"


    def _known(self, part: str) -> bool:
        m = QUALIFIED.match(part)
        rec = self._record(m.group(1)) if m else None
        return bool(m and rec is not None and rec.source(m.group(2)) is not None)

    def _labels(self, text: str) -> list[str]:
        """The text split at ``;`` only where a record's source begins (``deep-retrofit S12: …``), never inside a
        note or its parentheses."""
        if self._engine is None:
            return [text]
        out: list[str] = []
        for part in re.split(r"\s*;\s*", text):
            if out and not self._known(part):
                out[-1] = f"{out[-1]}; {part}"
            else:
                out.append(part)
        return out


def _no_ids(text: str, titles: dict[str, str]) -> str:
    """``scale of deep-retrofit#1`` → ``scale of Deep retrofit (measure 1)``: a measure type's title, never its id."""
    return INSTANCE.sub(lambda m: f"{titles.get(m.group(1), m.group(1).replace('-', ' '))} (measure {m.group(2)})",
                        text)


def _rng(m: dict[str, Any] | None) -> str:
    if not m or m.get("p50") is None:
        return "—"
    return f"**{fmt(m['p50'])}** ({fmt(m.get('p10'))} – {fmt(m.get('p90'))}) {m.get('unit', '')}"


def build_plan_brief(result: PlanResult, date: str, kb_version: str = "unversioned", engine: Engine | None = None
                     ) -> Brief:
    """The brief of an evaluated plan: balance, carriers, measures, warnings, shortfall, assumptions, sources.
    Given ``engine``, sources that name a record's source are listed whole, with their URLs."""
    spec = result.spec
    book = _Sources(engine)
    titles = {str(m["measure_type"]).split("#")[0]: str(m["title"] or m["measure_type"]) for m in result.measures}
    model = book.ref(f"District-plan estimate made for this brief: seeded Monte Carlo over the inputs in the "
                     f"Assumptions table ({result.samples} samples, seed {result.seed})", "kb.plans")
    title = f"District plan for {result.city.name}: {inert(spec.name)}"
    brief = Brief(title=title, city_id=result.city.id, city_name=result.city.name,
                  solutions=[("plan", inert(spec.name))], date=date, kb_version=kb_version, seed=result.seed,
                  kind="district-plan brief",
                  purpose=f"What this is: an estimate of the yearly energy balance, emissions and costs of a plan of "
                          f"measures for a district in {result.city.name}, made from the ATELIER PED knowledge base; "
                          "every figure carries its evidence level and a numbered source.")
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
        f"{_payback(mt['payback'])}; net present value and internal rate of return: not computed for district plans "
        "(the replication brief of each measure gives them)",
    ]))
    summary.blocks.append(Heading("What the city must decide"))
    summary.blocks.append(Bullets(_decisions(result, titles, book, model)))
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
        rows.append([label.replace("pef_", "primary energy factor, ").replace("_", " "), value, fig.unit,
                     fig.evidence, book.ref(fig.source)])
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
    items = [_no_ids(inert(w), titles) for w in result.warnings] + \
        [_no_ids(inert(x), titles) for x in result.not_computed] + [_no_ids(inert(n), titles) for n in result.notes]
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
              "; ".join(inert(x["title"]) for x in s["solutions"]) or "—"] for s in sf["suggestions"]]))
        if sf.get("combination"):
            combo = "; ".join(f"{fmt(c['scale'])} {c['unit']} of {c['title']}" for c in sf["combination"])
            w = sf.get("with_combination") or {}
            gap.blocks.append(Paragraph(
                f"Together: {combo}. With them the balance would be {_rng(w.get('balance'))} at an investment of "
                f"{_rng(w.get('capex'))} {model}."))
        sections.append(gap)
    assumptions = Section("Assumptions")
    assumptions.blocks += [Heading("Annex: methods"), Paragraph(
        f"Ranges come from a Monte Carlo estimate: each input is drawn from a triangular distribution over its low, "
        f"mid and high value ({result.samples:,} samples, random seed {result.seed}, so the same plan gives the same "
        f"figures) {model}. The measures are applied in order (demand first, then supply); the balance is "
        "primary energy, generation minus consumption."), Heading("Inputs")]
    assumptions.blocks.append(Table(
        ["input", "value", "low", "high", "unit", "evidence", "source"],
        [[_no_ids(inert(a["name"]), titles), fmt(a["value"]), fmt(a["low"]), fmt(a["high"]), a["unit"], a["evidence"],
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


def _payback(m: dict[str, Any] | None) -> str:
    """The payback range, or ``never`` in words when the savings do not repay the investment at the median."""
    if m and m.get("p50") is not None and not math.isfinite(float(m["p50"])):
        return "**never** at the median (the savings do not repay the investment)"
    return _rng(m)


def _decisions(result: PlanResult, titles: dict[str, str], book: _Sources, model: str) -> list[str]:
    """What the city must decide, derived from the plan's result: the scale of the measures, what the plan left out
    or could not count, the gap to a positive balance, and the district's own limits."""
    out = []
    scales = [f"{fmt(m['scale'])} {m['unit']} of {inert(m['title'] or m['measure_type'])}" for m in result.measures
              if m["status"] != "error" and m.get("scale") is not None]
    if scales:
        out.append(f"**The scale of each measure:** {'; '.join(scales[:6])} {model}; each is the plan's assumption, "
                   "so confirm it against the district's buildings, roofs and budget.")
    left = [inert(m["title"] or m["measure_type"]) for m in result.measures if m["status"] == "error"]
    if left or result.not_computed:
        what = "; ".join([f"{t} (an input is missing)" for t in left] + [
            _no_ids(inert(re.sub(r"\s*\(add [^)]*\)", "", x)), titles).rstrip(".") for x in result.not_computed][:3])
        out.append(f"**Inputs the estimate lacks:** {what} — supply them to complete the balance.")
    sf = result.shortfall
    if sf.get("mwh_pe"):
        out.append(f"**The gap to a positive balance:** {fmt(sf['mwh_pe'])} MWh_PE/yr at the median {model}; decide "
                   "which further measures to add (see What would close the gap) or accept a district that is not "
                   "energy-positive.")
    limits = [k.replace("_", " ") for k in result.spec.limits]
    if limits:
        out.append(f"**The district's limits:** {', '.join(limits)} — set from assumptions, not a survey; survey them "
                   "before the plan is fixed.")
    return out or ["No decision follows from the estimate alone; check each input in the annex."]


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
