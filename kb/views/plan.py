"""Plain rows for showing a district plan: examples on disk, waterfall bars, measure and suggestion tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.numbers import format_decimal

from kb.briefs.plan import duration_reading
from kb.plans.evaluate import PlanResult
from kb.plans.model import PlanSpec, read_plan
from kb.replication.words import GENERATING_MODELS, in_words
from kb.views.hourly import (
    kpi_metrics,
    kpi_range_rows,
    monthly_rows,
    ped_definition_rows,
    typical_week_rows,
)
from kb.views.hourly import kpi_range_text as range_text


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


def balance_reading(result: PlanResult) -> str:
    """How the waterfall's balance bar relates to the headline: the bars are the central estimate, the headline the
    P50 of the draws (they differ when the inputs' ranges are skewed)."""
    # fmt: local formatting until kb/views/fmt.py lands
    central, p50 = result.balance.get("central"), result.balance.get("p50")
    if central is None or p50 is None:
        return "The bars show the central estimate: every input at its central value."
    return (f"The bars show the central estimate, every input at its central value: the balance bar ends at "
            f"{_mwh(central)} MWh_PE/yr. The headline above is the P50, the middle of {result.samples:,} draws "
            f"over the inputs' ranges: {_mwh(p50)} MWh_PE/yr.")


def _mwh(v: float) -> str:
    return format_decimal(round(v), format="#,##0", locale="en").replace("-", "−")  # fmt:


def together_rows(result: PlanResult) -> list[dict[str, Any]]:
    """The measures the combination adds, in the order it adds them (rows of the suggestion table, within its
    limits)."""
    return [{"measure type": c["title"], "replaces": c["displaces"].replace("_", " "), "added": c["scale"],
             "unit": c["unit"]} for c in result.shortfall.get("combination") or []]


def together_text(result: PlanResult) -> str:
    """What the combination does, read off the plan re-run with it (same seed), in the headline's terms (P50)."""
    sf = result.shortfall
    combined = sf.get("with_combination") or {}
    if not sf.get("combination"):
        return ""
    if "balance" not in combined:
        return "Together these measures could not be evaluated: " + str(combined.get("error", "the re-run failed"))
    before, after = result.balance["p50"], combined["balance"]["p50"]
    head = (f"Together, added in this order within the limits above and the plan re-run with the same seed, the "
            f"balance P50 moves from {_mwh(before)} to {_mwh(after)} MWh_PE/yr")
    if combined.get("status") == "positive":
        return head + ": the district becomes energy-positive at the median."
    if combined.get("status") == "neutral":
        return head + ": energy-neutral, not positive."
    return head + f": still short by {_mwh(-after)} MWh_PE/yr — the limits leave too little room."


def waterfall_rows(result: PlanResult) -> list[dict[str, Any]]:
    """Bars from the baseline balance through each measure to the final balance (central values, MWh_PE/yr)."""
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
        rows.append({"order": i, "step": f"{i:02d} {w['step']}", "label": w["step"], "start": start, "end": end,
                     "change": w["value"], "kind": kind, "stage": w["kind"]})
    return rows


def carriers_in_words(measure: dict[str, Any]) -> str:
    """A measure's effect on each carrier (P50) in words: ``312 MWh/yr natural gas saved; 69 MWh/yr electricity
    added``."""
    gen = measure.get("model") in GENERATING_MODELS
    return "; ".join(in_words(c, v["p50"], "MWh/yr", gen) for c, v in (measure.get("by_carrier") or {}).items()
                     if v.get("p50") is not None)


def measure_rows(result: PlanResult) -> list[dict[str, Any]]:
    rows = []
    for m in result.measures:
        pe = m.get("primary_energy") or {}
        cap = m.get("capex") or {}
        clipped = float(m.get("clipped_share") or 0.0)
        rows.append({"#": m["index"], "measure": m["label"] or m["title"], "type": m["measure_type"],
                     "stage": m["stage"], "scale": m["scale"], "unit": m["unit"],
                     "MWh_PE/yr P50": pe.get("p50"), "P10": pe.get("p10"), "P90": pe.get("p90"),
                     "by carrier (P50)": carriers_in_words(m) if m["status"] == "ok" else "",
                     "capex EUR": cap.get("p50"),
                     "status": ("ok" if not clipped else f"clipped in {clipped:.0%} of samples (see warnings)")
                     if m["status"] == "ok" else "left out: " + m.get("error", "")})
    return rows


def carrier_rows(result: PlanResult) -> list[dict[str, Any]]:
    """Per carrier: baseline and after-plan use (P50), the change in words (central), primary energy and PEF."""
    gen = any(m.get("model") in GENERATING_MODELS for m in result.measures)
    rows = []
    for c, v in result.by_carrier.items():
        change = v["net"]["central"] - v["baseline"]["central"]
        after = v["net"]["p50"]
        rows.append({"carrier": c.replace("_", " "), "baseline MWh/yr": v["baseline"]["p50"], "after MWh/yr": after,
                     "change (central)": in_words(c, change, "MWh/yr", gen),
                     "after, in words": (f"{after:,.0f} MWh/yr bought" if after >= 0
                                         else f"{-after:,.0f} MWh/yr exported (net)"),
                     "MWh_PE/yr": v["primary_energy"]["p50"], "PEF": v["pef"], "PEF source": v["pef_source"]})
    return rows


SUGGESTIONS_NOTE = ("Each row alone, sized at the plan's central values within the plan's limits. Measures on the "
                    "same homes overlap (a retrofit leaves less heat for a heat pump to replace), so the rows do not "
                    "add up: the combination below is checked by re-running the plan.")


def suggestion_rows(result: PlanResult) -> list[dict[str, Any]]:
    return [{"measure type": s["title"], "replaces": s["displaces"].replace("_", " "), "suggested": s["scale"],
             "unit": s["unit"], "closes MWh_PE/yr": s["closes_mwh_pe"], "closes it alone": s["closes_gap_alone"],
             "limit": s["bound_reason"], "capex EUR": s["capex"],
             "used in": ", ".join(x["id"] for x in s["solutions"])}
            for s in result.shortfall.get("suggestions", [])]


def ped_rows(result: PlanResult) -> list[dict[str, Any]]:
    """The PED definitions of the hourly balance: met or not, by how much, why (empty without an hourly balance)."""
    return ped_definition_rows(result.hourly)


def offsite_rows(result: PlanResult) -> list[dict[str, Any]]:
    """The named off-site renewable supplies PEDvirtual credits: supply, credit in primary energy, provenance (empty
    without any or without an hourly balance)."""
    return [{"off-site supply": o["name"], "carrier": o["carrier"], "MWh/yr": f"{o['mwh_per_year']:,.0f}",
             "credit MWh_PE/yr": f"{o['credit_mwh_pe']:,.1f}", "at PEF": f"{o['pef']:g}",
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


def hourly_kpis(result: PlanResult) -> list[tuple[str, str, str]]:
    """(label, value, help) of the hourly KPIs shown as metrics."""
    return kpi_metrics(result.hourly, int((result.hourly or {}).get("draws", 0)))


def kpi_range_text(result: PlanResult, key: str) -> str:
    """``P10–P90 over 200 draws: 96%–98%`` for one hourly KPI, or "" without ranges."""
    return range_text(result.hourly, key, int((result.hourly or {}).get("draws", 0)))


def hourly_range_rows(result: PlanResult) -> list[dict[str, Any]]:
    """Per hourly KPI: the central estimate and P10 / P50 / P90 over the draws the hourly part ran (written out)."""
    return kpi_range_rows(result.hourly)


def week_rows(result: PlanResult) -> list[dict[str, Any]]:
    """A typical winter and summer week: load, PV, import and export per hour (kWh), long format."""
    return typical_week_rows(result.hourly)


def duration_rows(result: PlanResult) -> list[dict[str, Any]]:
    """The load-duration curve of net import: hours of the year (largest first) and kW (empty without it)."""
    dur = (result.hourly or {}).get("duration")
    if not dur:
        return []
    return [{"hours": h, "net import kW": kw} for h, kw in zip(dur["hours"], dur["net_import_kw"], strict=True)]


def duration_caption(result: PlanResult) -> str:
    """One line saying how to read the load-duration curve (empty without it)."""
    h = result.hourly or {}
    dur = h.get("duration")
    return duration_reading(dur, h["kpis"].get("hours_of_net_import")) if dur else ""
