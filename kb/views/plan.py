"""Plain rows for showing a district plan: examples on disk, waterfall bars, measure and suggestion tables."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from babel.numbers import format_decimal, format_percent

from kb.briefs.plan import hours_at, round_level
from kb.i18n import N_
from kb.plans.evaluate import PlanResult
from kb.plans.model import PlanSpec, read_plan
from kb.replication.words import GENERATING_MODELS
from kb.views.fmt import plain_unit
from kb.views.hourly import (
    kpi_metrics,
    kpi_range_rows,
    monthly_rows,
    ped_definition_rows,
    typical_week_rows,
)
from kb.views.hourly import kpi_range_text as range_text
from kb.views.messages import say

Translate = Callable[[str], str]


def _same(message: str) -> str:
    return message


CARRIERS: dict[str, str] = {"electricity": N_("electricity"), "natural_gas": N_("natural gas"),
                            "district_heat": N_("district heat"), "petrol": N_("petrol and diesel")}
"""The carriers' plain names, to be shown translated."""
STAGE_NAMES: dict[str, str] = {"baseline": N_("baseline"), "balance": N_("balance"),
                               "demand reduction": N_("demand reduction"), "heat supply": N_("heat supply"),
                               "generation": N_("generation"), "storage": N_("storage"), "mobility": N_("mobility")}
"""The waterfall's stages (kb.plans.evaluate.STAGES and its first and last bar), to be shown translated."""
DISPLACED: dict[str, str] = {"": N_("the type's default"), "natural_gas": N_("natural gas"),
                             "district_heat": N_("district heat"), "electricity": N_("electricity"),
                             "petrol": N_("petrol and diesel")}
"""What a measure replaces, in words (the builder's choice and the suggestion tables)."""


def carrier_name(carrier: str, t: Translate = _same) -> str:
    return t(CARRIERS[carrier]) if carrier in CARRIERS else carrier.replace("_", " ")


def mwh(v: float, locale: str = "en_GB") -> str:
    """A whole number of MWh with a true minus sign: ``−12,803`` (``−12 803`` in Polish)."""
    return format_decimal(round(v), format="#,##0", locale=locale).replace("-", "−")


def change_in_words(carrier: str, value: float, generates: bool, t: Translate = _same, locale: str = "en_GB") -> str:
    """A carrier's signed change in words (negative = less bought): ``natural gas: 312 MWh/yr saved``."""
    name = carrier_name(carrier, t)
    if round(value) == 0:
        return t("{carrier}: no change").format(carrier=name)
    amount = mwh(abs(value), locale)
    if value > 0:
        return t("{carrier}: {amount} MWh/yr added").format(carrier=name, amount=amount)
    if generates and carrier == "electricity":
        return t("{carrier}: {amount} MWh/yr generated").format(carrier=name, amount=amount)
    return t("{carrier}: {amount} MWh/yr saved").format(carrier=name, amount=amount)


def example_plans(root: Path) -> dict[str, Path]:
    """The example plans under a solutions directory (``solutions/plans/*.toml``) by file stem."""
    folder = root / "plans"
    return {p.stem: p for p in sorted(folder.glob("*.toml"))} if folder.is_dir() else {}


def load_example(stem: str, root: Path) -> PlanSpec:
    return read_plan(example_plans(root)[stem])


def example_catalogue(root: Path) -> dict[str, tuple[str, str]]:
    """The example plans by file stem: (the district's name from its ``[district]`` table, its city id)."""
    out: dict[str, tuple[str, str]] = {}
    for stem, path in example_plans(root).items():
        spec = read_plan(path)
        out[stem] = (spec.name, spec.city)
    return out


def default_example(catalogue: dict[str, tuple[str, str]], city: str | None) -> str | None:
    """The example to open first: the first one in the user's city, else the first one (None without examples)."""
    return next((stem for stem, (_, c) in catalogue.items() if city and c == city), next(iter(catalogue), None))


def balance_reading(result: PlanResult, t: Translate = _same, locale: str = "en_GB") -> str:
    """How the waterfall's balance bar relates to the headline: the bars are the central estimate, the headline the
    P50 of the draws (they differ when the inputs' ranges are skewed)."""
    central, p50 = result.balance.get("central"), result.balance.get("p50")
    if central is None or p50 is None:
        return t("The bars show the central estimate: every input at its central value.")
    return t("The bars show the central estimate, every input at its central value: the balance bar ends at "
             "{central} MWh primary energy/yr. The headline above is the P50, the middle of {samples} draws over the "
             "inputs' ranges: {p50} MWh primary energy/yr.").format(
        central=mwh(central, locale), p50=mwh(p50, locale),
        samples=format_decimal(result.samples, format="#,##0", locale=locale))


def together_rows(result: PlanResult, t: Translate = _same) -> list[dict[str, Any]]:
    """The measures the combination adds, in the order it adds them (rows of the suggestion table, within its
    limits)."""
    return [{"measure type": c["title"], "replaces": _displaced(c["displaces"], t), "added": c["scale"],
             "unit": plain_unit(c["unit"], t)} for c in result.shortfall.get("combination") or []]


def _displaced(carrier: str, t: Translate) -> str:
    return t(DISPLACED[carrier]) if carrier in DISPLACED else carrier.replace("_", " ")


def together_text(result: PlanResult, t: Translate = _same, locale: str = "en_GB") -> str:
    """What the combination does, read off the plan re-run with it (same seed), in the headline's terms (P50)."""
    sf = result.shortfall
    combined = sf.get("with_combination") or {}
    if not sf.get("combination"):
        return ""
    if "balance" not in combined:
        return t("Together these measures could not be evaluated: {why}").format(
            why=str(combined.get("error", "the re-run failed")))
    before, after = result.balance["p50"], combined["balance"]["p50"]
    values = {"before": mwh(before, locale), "after": mwh(after, locale), "short": mwh(-after, locale)}
    if combined.get("status") == "positive":
        return t("Together, added in this order within the limits above and the plan re-run with the same seed, the "
                 "balance P50 moves from {before} to {after} MWh primary energy/yr: the district becomes "
                 "energy-positive at the median.").format(**values)
    if combined.get("status") == "neutral":
        return t("Together, added in this order within the limits above and the plan re-run with the same seed, the "
                 "balance P50 moves from {before} to {after} MWh primary energy/yr: energy-neutral, not "
                 "positive.").format(**values)
    return t("Together, added in this order within the limits above and the plan re-run with the same seed, the "
             "balance P50 moves from {before} to {after} MWh primary energy/yr: still short by {short} MWh primary "
             "energy/yr — the limits leave too little room.").format(**values)


def waterfall_rows(result: PlanResult, t: Translate = _same) -> list[dict[str, Any]]:
    """Bars from the baseline balance through each measure to the final balance (central values, MWh_PE/yr); the
    baseline and balance bars and the stages in words."""
    rows: list[dict[str, Any]] = []
    level = 0.0
    for i, w in enumerate(result.waterfall):
        if w["kind"] in ("baseline", "balance"):
            start, end = 0.0, w["value"]
            level = w["value"]
            kind = w["kind"]
        else:
            start, end = level, level + w["value"]
            level = end
            kind = "gain" if w["value"] >= 0 else "loss"
        step = t(STAGE_NAMES[w["step"]]) if w["kind"] in ("baseline", "balance") else w["step"]
        stage = t(STAGE_NAMES[w["kind"]]) if w["kind"] in STAGE_NAMES else w["kind"]
        rows.append({"order": i, "step": f"{i:02d} {step}", "label": step, "start": start, "end": end,
                     "change": w["value"], "kind": kind, "stage": stage})
    return rows


def carriers_in_words(measure: dict[str, Any], t: Translate = _same, locale: str = "en_GB") -> str:
    """A measure's effect on each carrier (P50) in words: ``natural gas: 312 MWh/yr saved; electricity: 69 MWh/yr
    added``."""
    gen = measure.get("model") in GENERATING_MODELS
    return "; ".join(change_in_words(c, v["p50"], gen, t, locale) for c, v in (measure.get("by_carrier") or {}).items()
                     if v.get("p50") is not None)


def measure_rows(result: PlanResult, t: Translate = _same, locale: str = "en_GB") -> list[dict[str, Any]]:
    rows = []
    for m in result.measures:
        pe = m.get("primary_energy") or {}
        cap = m.get("capex") or {}
        clipped = float(m.get("clipped_share") or 0.0)
        if m["status"] != "ok":
            status = t("left out: {why}").format(why=say(m.get("error", ""), t, locale))
        elif clipped:
            status = t("clipped in {share} of samples (see warnings)").format(
                share=format_percent(clipped, format="#,##0%", locale=locale))
        else:
            status = t("ok")
        rows.append({"#": m["index"], "measure": m["label"] or m["title"], "type": m["measure_type"],
                     "stage": t(STAGE_NAMES[m["stage"]]) if m["stage"] in STAGE_NAMES else m["stage"],
                     "scale": m["scale"], "unit": plain_unit(m["unit"], t),
                     "MWh_PE/yr P50": pe.get("p50"), "P10": pe.get("p10"), "P90": pe.get("p90"),
                     "by carrier (P50)": carriers_in_words(m, t, locale) if m["status"] == "ok" else "",
                     "capex EUR": cap.get("p50"), "status": status})
    return rows


def carrier_rows(result: PlanResult, t: Translate = _same, locale: str = "en_GB") -> list[dict[str, Any]]:
    """Per carrier: baseline and after-plan use (P50), the change in words (central), primary energy and PEF."""
    gen = any(m.get("model") in GENERATING_MODELS for m in result.measures)
    rows = []
    for c, v in result.by_carrier.items():
        change = v["net"]["central"] - v["baseline"]["central"]
        after = v["net"]["p50"]
        rows.append({"carrier": carrier_name(c, t), "baseline MWh/yr": v["baseline"]["p50"], "after MWh/yr": after,
                     "change (central)": change_in_words(c, change, gen, t, locale),
                     "after, in words": (t("{amount} MWh/yr bought").format(amount=mwh(after, locale)) if after >= 0
                                         else t("{amount} MWh/yr exported (net)").format(amount=mwh(-after, locale))),
                     "MWh_PE/yr": v["primary_energy"]["p50"], "PEF": v["pef"], "PEF source": v["pef_source"]})
    return rows


SUGGESTIONS_NOTE = N_("Each row alone, sized at the plan's central values within the plan's limits. Measures on the "
                    "same homes overlap (a retrofit leaves less heat for a heat pump to replace), so the rows do not "
                    "add up: the combination below is checked by re-running the plan.")


def suggestion_rows(result: PlanResult, t: Translate = _same) -> list[dict[str, Any]]:
    return [{"measure type": s["title"], "replaces": _displaced(s["displaces"], t), "suggested": s["scale"],
             "unit": plain_unit(s["unit"], t), "closes MWh_PE/yr": s["closes_mwh_pe"],
             "closes it alone": t("yes") if s["closes_gap_alone"] else t("no"),
             "limit": s["bound_reason"], "capex EUR": s["capex"],
             "used in": ", ".join(x["id"] for x in s["solutions"])}
            for s in result.shortfall.get("suggestions", [])]


def ped_rows(result: PlanResult, t: Translate = _same, locale: str = "en_GB") -> list[dict[str, Any]]:
    """The PED definitions of the hourly balance: met or not, by how much, why (empty without an hourly balance)."""
    return ped_definition_rows(result.hourly, t, locale)


def offsite_rows(result: PlanResult, t: Translate = _same, locale: str = "en_GB") -> list[dict[str, Any]]:
    """The named off-site renewable supplies PEDvirtual credits: supply, credit in primary energy, provenance (empty
    without any or without an hourly balance)."""
    return [{"off-site supply": o["name"], "carrier": carrier_name(o["carrier"], t),
             "MWh/yr": mwh(o["mwh_per_year"], locale),
             "credit MWh_PE/yr": format_decimal(round(o["credit_mwh_pe"], 1), format="#,##0.0", locale=locale),
             "at PEF": format_decimal(o["pef"], format="0.###", locale=locale),
             "evidence": o["evidence"], "source": o["source"]}
            for o in (result.hourly or {}).get("offsite") or []]


def offsite_text(o: dict[str, Any]) -> str:
    """One off-site supply in words: ``Wind park share: 2,000 MWh/yr electricity → 5,000.0 MWh_PE/yr (assumption;
    source)``."""
    return (f"{o['name']}: {o['mwh_per_year']:,.0f} MWh/yr {o['carrier']} → {o['credit_mwh_pe']:,.1f} MWh_PE/yr at "
            f"PEF {o['pef']:g} ({o['evidence'] or 'entered'}; {o['source'] or 'entered by the user'})")


def monthly_exchange_rows(result: PlanResult) -> list[dict[str, Any]]:
    """Monthly electricity import (negative bars) and export (positive) in MWh, for a bar chart."""
    return monthly_rows(result.hourly)


def hourly_kpis(result: PlanResult, t: Translate = _same, locale: str = "en_GB") -> list[tuple[str, str, str]]:
    """(label, value, help) of the hourly KPIs shown as metrics."""
    return kpi_metrics(result.hourly, int((result.hourly or {}).get("draws", 0)), t, locale)


def kpi_range_text(result: PlanResult, key: str) -> str:
    """``P10–P90 over 200 draws: 96%–98%`` for one hourly KPI, or "" without ranges."""
    return range_text(result.hourly, key, int((result.hourly or {}).get("draws", 0)))


def hourly_range_rows(result: PlanResult, t: Translate = _same, locale: str = "en_GB") -> list[dict[str, Any]]:
    """Per hourly KPI: the central estimate and P10 / P50 / P90 over the draws the hourly part ran (written out)."""
    return kpi_range_rows(result.hourly, t, locale)


def week_rows(result: PlanResult) -> list[dict[str, Any]]:
    """A typical winter and summer week: load, PV, import and export per hour (kWh), long format."""
    return typical_week_rows(result.hourly)


def duration_rows(result: PlanResult) -> list[dict[str, Any]]:
    """The load-duration curve of net import: hours of the year (largest first) and kW (empty without it)."""
    dur = (result.hourly or {}).get("duration")
    if not dur:
        return []
    return [{"hours": h, "net import kW": kw} for h, kw in zip(dur["hours"], dur["net_import_kw"], strict=True)]


def duration_caption(result: PlanResult, t: Translate = _same, locale: str = "en_GB") -> str:
    """One line saying how to read the load-duration curve (empty without it): the hours per year above a round
    level of net import, and in how many hours the district imports at all (as the brief's reading)."""
    h = result.hourly or {}
    dur = h.get("duration")
    if not dur:
        return ""
    hours, kw = dur["hours"], dur["net_import_kw"]
    if not kw or kw[0] <= 0:
        return t("Read it across: the district does not import electricity on net in any hour of the year.")
    level = round_level(kw[0] / 2)
    values = {"level": format_decimal(level, format="#,##0.###", locale=locale),
              "above": format_decimal(round(hours_at(hours, kw, level)), format="#,##0", locale=locale)}
    at_all = h["kpis"].get("hours_of_net_import")
    if at_all is None:
        return t("Read it across: the district imports more than {level} kW in about {above} hours a year; where the "
                 "curve is below zero it exports.").format(**values)
    return t("Read it across: the district imports more than {level} kW in about {above} hours a year and imports at "
             "all in {hours} of the 8,760 hours; where the curve is below zero it exports.").format(
        hours=format_decimal(round(at_all), format="#,##0", locale=locale), **values)
