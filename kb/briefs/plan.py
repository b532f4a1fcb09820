"""A district plan as a brief (the same document model and renderers as the replication brief: MD, HTML, PDF, DOCX)."""

from __future__ import annotations

import math
import re
from typing import Any

from sqlalchemy import Engine

from kb.briefs.lang import current, directed, language, localized, said, t
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
from kb.i18n import N_
from kb.plans.evaluate import PlanResult
from kb.replication.words import GENERATING_MODELS, direction_of
from kb.store import catalog
from kb.store.readmodel import StoredRecord

CITED = re.compile(r"\b([a-z][a-z0-9]*(?:-[a-z0-9]+)*)[ :/]+(S\d+)\b")
INSTANCE = re.compile(r"\b([a-z][a-z0-9]*(?:-[a-z0-9]+)*)#(\d+)\b")

STATUS_TEXT = {"positive": N_("energy-positive"), "neutral": N_("energy-neutral (exactly zero: not positive)"),
               "short": N_("not energy-positive")}


def in_words(metric: str, value: float, unit: str, gen: bool = False) -> str:
    """``317 MWh/yr electricity generated`` (:func:`kb.replication.words.in_words`) in the brief's language."""
    d = direction_of(metric, gen)
    u = f" {unit}" if unit else ""
    if d is None:
        return f"{fmt(value)}{u}"
    if value == 0:
        return t("no change in {carrier}").format(carrier=t(d.noun))
    return f"{fmt(abs(value))}{u} {directed(d.noun, d.word(value))}"


CARRIER_NAMES = (N_("electricity"), N_("natural gas"), N_("district heat"), N_("petrol/diesel"), N_("heat pump"),
                 N_("gas boiler"), N_("biomass"), N_("oil"), N_("coal"))
STAGES = (N_("demand"), N_("supply"))


def _carrier(key: str) -> str:
    """A carrier or heat source (``natural_gas``) in words in the brief's language."""
    return t(key.replace("_", " "))


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
        text = inert(text or "") or t("not stated")
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
    return INSTANCE.sub(lambda m: t("{title} (measure {n})").format(
        title=titles.get(m.group(1), m.group(1).replace("-", " ")), n=m.group(2)), text)


def _rng(m: dict[str, Any] | None) -> str:
    if not m or m.get("p50") is None:
        return "—"
    return f"**{fmt(m['p50'])}** ({fmt(m.get('p10'))} – {fmt(m.get('p90'))}) {m.get('unit', '')}"


def build_plan_brief(result: PlanResult, date: str, kb_version: str = "unversioned", engine: Engine | None = None,
                     lang: str = "en") -> Brief:
    """The brief of an evaluated plan: balance, carriers, measures, warnings, shortfall, assumptions, sources.
    Given ``engine``, sources that name a record's source are listed whole, with their URLs. Its frame is in
    ``lang``; the plan's own texts and the records stay as written."""
    with language(lang):
        return _build(result, date, kb_version, engine)


def _build(result: PlanResult, date: str, kb_version: str, engine: Engine | None) -> Brief:
    spec = result.spec
    book = _Sources(engine)
    titles = {str(m["measure_type"]).split("#")[0]: str(m["title"] or m["measure_type"]) for m in result.measures}
    model = book.ref(t("District-plan estimate made for this brief: seeded Monte Carlo over the inputs in the "
                       "Assumptions table ({samples} samples, seed {seed})").format(samples=result.samples,
                                                                                    seed=result.seed), "kb.plans")
    title = t("District plan for {city}: {name}").format(city=result.city.name, name=inert(spec.name))
    brief = Brief(title=title, city_id=result.city.id, city_name=result.city.name,
                  solutions=[("plan", inert(spec.name))], date=date, kb_version=kb_version, seed=result.seed,
                  kind="district-plan brief", lang=current(),
                  purpose=t("What this is: an estimate of the yearly energy balance, emissions and costs of a plan of "
                            "measures for a district in {city}, made from the ATELIER PED knowledge base; every "
                            "figure carries its evidence level and a numbered source.").format(city=result.city.name))
    bal = result.balance
    summary = Section(t("Executive summary"))
    summary.blocks.append(Paragraph(t(
        "Annual primary-energy balance (generation − consumption): {balance} {ref} — estimate. The district is "
        "**{status}** at the median; the balance is above zero in {share} of the samples.").format(
        balance=_rng(bal), ref=model, status=t(STATUS_TEXT[result.status]),
        share=localized(f"{result.probability_positive:.0%}"))))
    if spec.description:
        summary.blocks.append(Paragraph(inert(spec.description)))
    mt = result.metrics
    summary.blocks.append(Bullets([
        t("baseline balance (before the measures): {range} {ref}").format(range=_rng(mt["baseline_balance"]),
                                                                          ref=model),
        t("CO₂ avoided: {range} {ref}").format(range=_rng(mt["co2_avoided"]), ref=model),
        t("investment: {capex} {ref}; energy cost savings {savings}; simple payback {payback}; net present value and "
          "internal rate of return: not computed for district plans (the replication brief of each measure gives "
          "them)").format(capex=_rng(mt["capex"]), ref=model, savings=_rng(mt["savings"]),
                          payback=_payback(mt["payback"])),
    ]))
    summary.blocks.append(Heading(t("What the city must decide")))
    summary.blocks.append(Bullets(_decisions(result, titles, book, model)))
    summary.blocks.append(RangeChart(t("Primary-energy balance and its parts"), [
        RangeBar(label, str(m.get("unit", "")), m["p10"], m["p50"], m["p90"], model)
        for label, m in ((t("balance"), bal), (t("baseline"), mt["baseline_balance"]),
                         (t("generation"), mt["generation"]))
        if m.get("p50") is not None]))
    district = Section(t("The district"))
    rows = []
    for label, fig in ((t("homes"), spec.homes),
                       *((t("floor area, {kind}").format(kind=k), f) for k, f in spec.floor_area.items()),
                       *((t("baseline {carrier} (MWh/yr)").format(carrier=_carrier(k)), f)
                         for k, f in spec.baseline.items()),
                       *((t("share of heat from {source}").format(source=_carrier(k)), f)
                         for k, f in spec.heating.items()),
                       *((t("limit: {name}").format(name=k.replace("_", " ")), f) for k, f in spec.limits.items()),
                       *((t("factor: {name}").format(name=k), f) for k, f in spec.factors.items())):
        if fig is None:
            continue
        value = fmt(fig.mid) if fig.low == fig.high else f"{fmt(fig.low)} / {fmt(fig.mid)} / {fmt(fig.high)}"
        rows.append([label.replace("pef_", t("primary energy factor, ")).replace("_", " "), value, fig.unit,
                     t(fig.evidence), book.ref(fig.source)])
    district.blocks.append(Table([t("item"), t("value"), t("unit"), t("evidence"), t("source")], rows))
    carriers = Section(t("Balance by carrier"))
    gen = any(m.get("model") in GENERATING_MODELS for m in result.measures)
    carriers.blocks.append(Table(
        [t("carrier"), t("baseline (MWh/yr)"), t("after the plan (MWh/yr)"), t("change (central)"),
         t("primary energy (MWh_PE/yr)"), t("PEF")],
        [[_carrier(c), _rng(v["baseline"]), _rng(v["net"]),
          in_words(c, (v["net"].get("central") or 0.0) - (v["baseline"].get("central") or 0.0), "MWh/yr", gen)
          + f" {model}", _rng(v["primary_energy"]), f"{fmt(v['pef'])} ({inert(v['pef_source'] or '—')})"]
         for c, v in result.by_carrier.items()]))
    measures = Section(t("Measures, in the order they are applied"))
    mrows = []
    for m in result.measures:
        name = inert(m["label"] or m["title"] or m["measure_type"])
        scale = f"{fmt(m['scale'])} {m['unit']} ({t(m['scale_evidence'])}) {book.ref(m['scale_source'])}"
        if m["status"] == "error":
            mrows.append([name, t(m["stage"]), scale, t("left out: ") + inert(m["error"]), "—", "—"])
        else:
            by = "; ".join(in_words(c, v["p50"], "MWh/yr", m.get("model") in GENERATING_MODELS)
                           for c, v in (m.get("by_carrier") or {}).items() if v.get("p50") is not None)
            mrows.append([name, t(m["stage"]), scale, _rng(m["primary_energy"]), f"{by or '—'} {model}",
                          _rng(m["capex"])])
    measures.blocks.append(Table([t("measure"), t("stage"), t("scale"), t("primary energy (MWh_PE/yr)"),
                                  t("by carrier (P50)"), t("capex")], mrows))
    warnings = Section(t("Warnings and what is not counted"))
    items = [_no_ids(inert(w), titles) for w in result.warnings] + \
        [_no_ids(inert(x), titles) for x in result.not_computed] + [_no_ids(inert(n), titles) for n in result.notes]
    warnings.blocks.append(Bullets(items or [t("none")]))
    sections = [summary, district, carriers, measures, hour_by_hour(result, book.ref, model), warnings]
    sf = result.shortfall
    if sf.get("mwh_pe"):
        gap = Section(t("What would close the gap"))
        gap.blocks.append(Paragraph(t(
            "Shortfall at the median: **{gap} MWh_PE/yr** {ref} (to be positive in 90 % of the samples: {p10} "
            "MWh_PE/yr). Each measure alone, within the district's limits:").format(
            gap=fmt(sf["mwh_pe"]), ref=model, p10=fmt(sf["to_p10"]))))
        gap.blocks.append(Table(
            [t("measure type"), t("per unit (MWh_PE/yr)"), t("needed alone"), t("limit"), t("suggested"),
             t("capex (EUR)"), t("used in")],
            [[f"{s['title']} ({_carrier(s['displaces'])})", fmt(s["per_unit_mwh_pe"]),
              f"{fmt(s['needed'])} {s['unit']}", f"{fmt(s['bound'])} ({inert(s['bound_reason'])})",
              f"{fmt(s['scale'])} {s['unit']}", fmt(s["capex"]),
              "; ".join(inert(x["title"]) for x in s["solutions"]) or "—"] for s in sf["suggestions"]]))
        if sf.get("combination"):
            combo = "; ".join(t("{amount} {unit} of {measure}").format(amount=fmt(c["scale"]), unit=c["unit"],
                                                                         measure=c["title"])
                              for c in sf["combination"])
            w = sf.get("with_combination") or {}
            gap.blocks.append(Paragraph(t(
                "Together: {combination}. With them the balance would be {balance} at an investment of {capex} "
                "{ref}.").format(combination=combo, balance=_rng(w.get("balance")), capex=_rng(w.get("capex")),
                                 ref=model)))
        sections.append(gap)
    assumptions = Section(t("Assumptions"))
    assumptions.blocks += [Heading(t("Annex: methods")), Paragraph(t(
        "Ranges come from a Monte Carlo estimate: each input is drawn from a triangular distribution over its low, "
        "mid and high value ({samples} samples, random seed {seed}, so the same plan gives the same figures) {ref}. "
        "The measures are applied in order (demand first, then supply); the balance is primary energy, generation "
        "minus consumption.").format(samples=localized(f"{result.samples:,}"), seed=result.seed, ref=model)),
        Heading(t("Inputs"))]
    assumptions.blocks.append(Table(
        [t("input"), t("value"), t("low"), t("high"), t("unit"), t("evidence"), t("source")],
        [[_no_ids(inert(said(a.get("name_message"), a["name"])), titles), fmt(a["value"]), fmt(a["low"]),
          fmt(a["high"]), a["unit"],
          t(a["evidence"]), book.ref(a["source"])] for a in result.assumptions]))
    sections.append(assumptions)
    brief.sections = sections
    brief.sources = book.entries
    return brief



MONTHS = (N_("Jan"), N_("Feb"), N_("Mar"), N_("Apr"), N_("May"), N_("Jun"), N_("Jul"), N_("Aug"), N_("Sep"),
          N_("Oct"), N_("Nov"), N_("Dec"))
DAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
PV, LOAD, IMPORT, EXPORT, SOC = "#f2c94c", "#222222", "#c0392b", "#2e8b57", "#1f4e79"
SUMMER_SOC = "#e67e22"
WEEK_DATES = {"winter": N_("Monday 16 – Sunday 22 January"), "summer": N_("Monday 17 – Sunday 23 July")}


def _payback(m: dict[str, Any] | None) -> str:
    """The payback range, or ``never`` in words when the savings do not repay the investment at the median."""
    if m and m.get("p50") is not None and not math.isfinite(float(m["p50"])):
        return t("**never** at the median (the savings do not repay the investment)")
    return _rng(m)


def _decisions(result: PlanResult, titles: dict[str, str], book: _Sources, model: str) -> list[str]:
    """What the city must decide, derived from the plan's result: the scale of the measures, what the plan left out
    or could not count, the gap to a positive balance, and the district's own limits."""
    out = []
    scales = [t("{amount} {unit} of {measure}").format(amount=fmt(m["scale"]), unit=m["unit"],
                                                       measure=inert(m["title"] or m["measure_type"]))
              for m in result.measures if m["status"] != "error" and m.get("scale") is not None]
    if scales:
        out.append(t("**The scale of each measure:** {scales} {ref}; each is the plan's assumption, so confirm it "
                     "against the district's buildings, roofs and budget.").format(scales="; ".join(scales[:6]),
                                                                                   ref=model))
    left = [inert(m["title"] or m["measure_type"]) for m in result.measures if m["status"] == "error"]
    if left or result.not_computed:
        what = "; ".join([t("{measure} (an input is missing)").format(measure=x) for x in left] + [
            _no_ids(inert(re.sub(r"\s*\(add [^)]*\)", "", x)), titles).rstrip(".") for x in result.not_computed][:3])
        out.append(t("**Inputs the estimate lacks:** {what} — supply them to complete the balance.").format(what=what))
    sf = result.shortfall
    if sf.get("mwh_pe"):
        out.append(t("**The gap to a positive balance:** {gap} MWh_PE/yr at the median {ref}; decide which further "
                     "measures to add (see What would close the gap) or accept a district that is not "
                     "energy-positive.").format(gap=fmt(sf["mwh_pe"]), ref=model))
    limits = [k.replace("_", " ") for k in result.spec.limits]
    if limits:
        out.append(t("**The district's limits:** {limits} — set from assumptions, not a survey; survey them before the "
                     "plan is fixed.").format(limits=", ".join(limits)))
    return out or [t("No decision follows from the estimate alone; check each input in the annex.")]


def _margin(d: dict[str, Any]) -> str:
    unit = str(d["unit"])
    if unit.startswith("hours"):
        return f"{localized(format(d['margin'], ',.0f'))} {unit}"
    return f"{localized(format(d['margin'], '+,.1f'))} {unit}".replace("-", "−")


def ped_sentence(ped: dict[str, Any]) -> str:
    """Which PED definitions the hourly balance meets and which not, by how much, and the boundary: one paragraph."""
    defs = ped["definitions"]
    met = [f"{inert(d['name'])} ({_margin(d)})" for d in defs if d["met"]]
    short = [f"{inert(d['name'])} ({_margin(d)})" for d in defs if not d["met"]]
    text = (t("Hour by hour, the district **meets** {n} of the {total} PED definitions tested: {met}.").format(
        n=len(met), total=len(defs), met="; ".join(met)) if met else
        t("Hour by hour, the district meets **none** of the {total} PED definitions tested.").format(total=len(defs)))
    if short:
        text += t(" It does **not meet**: {short}.").format(short="; ".join(short))
    return text + t(" Boundary: {boundary}.").format(boundary=inert(ped["boundary"]))


def duration_reading(duration: dict[str, list[float]], hours_of_net_import: float | None = None) -> str:
    """How to read the load-duration curve, in one sentence: the hours per year above a round level of net import
    (and, given the KPI, in how many hours the district imports at all)."""
    hours, kw = duration["hours"], duration["net_import_kw"]
    if not kw or kw[0] <= 0:
        return t("Read it across: the district does not import electricity on net in any hour of the year.")
    level = round_level(kw[0] / 2)
    above = hours_at(hours, kw, level)
    at_all = ("" if hours_of_net_import is None
              else t(" and imports at all in {hours} of the {year} hours").format(hours=fmt(hours_of_net_import),
                                                                                   year=fmt(8760)))
    return t("Read it across: the district imports more than {level} kW in about {hours} hours a year{at_all}; where "
             "the curve is below zero it exports.").format(level=fmt(level), hours=fmt(above), at_all=at_all)


def round_level(v: float) -> float:
    mag = 10.0 ** math.floor(math.log10(v))
    return min((m * mag for m in (1.0, 2.0, 5.0, 10.0)), key=lambda c: abs(c - v))


def hours_at(hours: list[float], kw: list[float], level: float) -> float:
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
    rows = [[t("Self-consumption"), localized(f"{k['self_consumption'] * 100:.0f}"), t("% of PV output"),
             t("PV used on site (directly or through the battery)")],
            [t("Self-sufficiency"), localized(f"{k['self_sufficiency'] * 100:.0f}"), t("% of the electricity load"),
             t("load met on site")],
            [t("Degree of energetic self-supply"), localized(f"{k['degree_of_energetic_self_supply'] * 100:.0f}"),
             t("% of the electricity load"), t("annual PV ÷ annual load")],
            [t("Peak import"), fmt(k["peak_import_kw"]), "kW", t("the largest hourly import")],
            [t("Peak export"), fmt(k["peak_export_kw"]), "kW", t("the largest hourly export")],
            [t("Hours of net import"), fmt(k["hours_of_net_import"]), t("h/yr"),
             t("of {year} hours").format(year=fmt(8760))],
            [t("Electricity imported"), fmt(k["annual_import_kwh"] / 1e3), "MWh/yr", t("across the boundary")],
            [t("Electricity exported"), fmt(k["annual_export_kwh"] / 1e3), "MWh/yr", t("across the boundary")],
            [t("PV curtailed"), fmt(k["annual_curtailed_kwh"] / 1e3), "MWh/yr",
             t("neither used, stored nor exported")]]
    if battery:
        rows += [[t("Battery losses"), fmt(k["battery_losses_kwh"] / 1e3), "MWh/yr", t("round-trip losses")],
                 [t("Battery cycles"), fmt(k["battery_cycles"]), t("full cycles/yr"), t("from the dispatch")]]
    return rows


def _week_ticks() -> list[tuple[float, str]]:
    return [(24.0 * i + 12, t(d)) for i, d in enumerate(DAYS)]


def week_charts(weeks: dict[str, dict[str, list[float]]], battery: bool) -> list[XYChart]:
    """The typical winter and summer weeks of an hourly balance (PV, load, import, export), and with a battery its
    state of charge in both weeks."""
    charts = []
    for season in ("winter", "summer"):
        w = weeks.get(season)
        if not w:
            continue
        x = [float(i) for i in range(len(w["load"]))]
        dates = t(WEEK_DATES.get(season, season))
        charts.append(XYChart(
            (t("A typical winter week: PV and load, import and export") if season == "winter" else
             t("A typical summer week: PV and load, import and export")), x,
            [Series(t("PV"), w["pv"], PV, "area"), Series(t("load"), w["load"], LOAD),
             Series(t("import"), w["import"], IMPORT), Series(t("export"), w["export"], EXPORT)],
            t("kWh per hour, i.e. average kW"), t("{dates}, hour by hour").format(dates=dates), _week_ticks(),
            (t("A typical winter week ({dates}): PV output (shaded) against the district's electricity load; what PV "
               "and the battery cannot cover is imported, the surplus exported.") if season == "winter" else
             t("A typical summer week ({dates}): PV output (shaded) against the district's electricity load; what PV "
               "and the battery cannot cover is imported, the surplus exported.")).format(dates=dates)))
    if battery and "winter" in weeks and "summer" in weeks:
        x = [float(i) for i in range(len(weeks["winter"]["soc"]))]
        charts.append(XYChart(
            t("Battery state of charge in the typical weeks"), x,
            [Series(t("winter week"), weeks["winter"]["soc"], SOC), Series(t("summer week"), weeks["summer"]["soc"],
                                                                           SUMMER_SOC)],
            t("kWh stored"), t("hour of the week"), _week_ticks(),
            t("Battery state of charge hour by hour in the two typical weeks (charged only from PV surplus).")))
    return charts


def hour_by_hour(result: PlanResult, ref: Any, model: str) -> Section:
    """The hourly balance of the central estimate: PED status, KPIs, typical weeks, monthly bars, duration curve."""
    sec = Section(t("Hour by hour"))
    h = result.hourly
    if not h:
        reason = inert(result.hourly_unavailable or t("no hourly balance was computed for this plan")).rstrip(".")
        sec.blocks.append(Paragraph(reason[:1].upper() + reason[1:] + "."))
        return sec
    sec.blocks.append(Paragraph(t("The figures in this section are the central estimate, every input at its mid "
                                  "({note}) {ref} — estimate.").format(note=inert(h["note"]), ref=model)))
    sec.blocks.append(Paragraph(ped_sentence(h["ped"])))
    sec.blocks.append(Table([t("definition"), t("met"), t("by how much"), t("why"), t("source")],
                            [[inert(d["name"]), t("met") if d["met"] else t("not met"), _margin(d),
                              inert(said(d.get("message"), d["explanation"])),
                              ref(d["source"])] for d in h["ped"]["definitions"]]))
    battery = "battery" in h["provenance"] or any(v > 0 for w in h["weeks"].values() for v in w["soc"])
    sec.blocks.append(Table([t("KPI"), t("value"), t("unit"), t("what it means")], _kpi_rows(h["kpis"], battery)))
    sec.blocks.extend(week_charts(h["weeks"], battery))
    m = h["monthly_kwh"]
    sec.blocks.append(XYChart(
        t("Electricity imported and exported per month"), [float(i) for i in range(12)],
        [Series(t("import"), [v / 1e3 for v in m["import"]], IMPORT, "bar"),
         Series(t("export"), [v / 1e3 for v in m["export"]], EXPORT, "bar")], t("MWh per month"),
        "", [(float(i), t(name)) for i, name in enumerate(MONTHS)],
        t("Monthly balance of electricity across the boundary: import (red) against export (green).")))
    dur = h.get("duration")
    if dur:
        sec.blocks.append(XYChart(
            t("Load-duration curve of net import"), [float(v) for v in dur["hours"]],
            [Series(t("net import"), [float(v) for v in dur["net_import_kw"]], IMPORT)], t("kW (import − export)"),
            t("hours of the year, largest first"),
            [(float(v), localized(f"{v:,}")) for v in (1, 2190, 4380, 6570, 8760)],
            t("Every hour of the year sorted by net import, largest first. ")
            + duration_reading(dur, h["kpis"].get("hours_of_net_import"))))
    sec.blocks.append(Bullets([inert(t("{name} profile: {text}").format(name=_carrier(k), text=v)) + f" {model}"
                               for k, v in h["provenance"].items()] + [inert(n) for n in h["notes"]]))
    return sec
