"""Table and chart rows for the abatement-cost page (no Streamlit): scales to fill in, bars, solutions left out."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Engine

from kb.i18n import N_
from kb.replication.inputs import measure_types
from kb.replication.macc import Macc
from kb.replication.solution import NoImpactModel, solution_inputs
from kb.store import catalog
from kb.views.fmt import Translate, format_number, identity, plain_unit
from kb.views.messages import plain_reason


def scale_rows(engine: Engine) -> list[dict[str, Any]]:
    """One row per (solution, measure type with a model): the source scale where the record gives one, else None
    for the user to state. Dropped schemes are left out: they are not solutions to replicate."""
    types = measure_types(engine)
    rows: list[dict[str, Any]] = []
    for rec in catalog.records_of_kind(engine, "solution"):
        if rec.status == "dropped":
            continue
        try:
            si = solution_inputs(rec, types)
        except NoImpactModel:
            continue
        for mt in si.types:
            src = si.source_scales.get(mt.id)
            rows.append({"solution": rec.id, "title": rec.title, "measure_type": mt.id, "measure": mt.title,
                         "unit": mt.scale_unit, "source_scale": float(src.value) if src and src.value else None,
                         "source_evidence": src.evidence if src else ""})
    return rows


def stated_scales(rows: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, float]]:
    """The scales typed in the scale table (every measure type of a solution, or the solution is left out)."""
    by_solution: dict[str, dict[str, float | None]] = {}
    for r in rows:
        v = r.get("scale")
        number = float(v) if isinstance(v, int | float) else math.nan
        ok = math.isfinite(number) and number > 0
        by_solution.setdefault(str(r["solution"]), {})[str(r["measure_type"])] = number if ok else None
    return {sol: {k: v for k, v in scales.items() if v is not None} for sol, scales in by_solution.items()
            if all(v is not None for v in scales.values())}


SAVES, COSTS = N_("saves money"), N_("costs money")


def bar_rows(curve: Macc, t: Translate = identity, locale: str = "en") -> list[dict[str, Any]]:
    """One rectangle per solution: x from ``start`` to ``end`` (cumulative tCO2/yr), height = net EUR/tCO2."""
    out = []
    for r in curve.rows:
        height = r.net_abatement_cost["central"] or 0.0
        scale = ", ".join(format_number(s["value"], plain_unit(s["unit"], t), locale=locale) for s in r.scale)
        out.append({"solution": r.title, "id": r.solution, "start": r.start, "end": r.start + r.width,
                    "tco2_per_year": r.width, "eur_per_tco2": height, "npv_eur": r.npv["central"],
                    "scale": scale, "result": t(SAVES) if height < 0 else t(COSTS)})
    return out


def refused_rows(curve: Macc, awaiting_scale: set[str] | None = None, t: Translate = identity) -> list[dict[str, str]]:
    """The solutions that are not on the curve, each with why; those that only wait for a scale in the table
    (``awaiting_scale``) say so instead of naming a command-line option."""
    awaiting = awaiting_scale or set()
    return [{"solution": r["title"],
             "why not on the curve": t("no scale yet: enter one in the table above") if r["solution"] in awaiting
             else plain_reason(r["reason"], t)} for r in curve.refused]
