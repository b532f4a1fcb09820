"""What a brief reads: the city, the replication estimate and fit (issue 5's API), and published lessons."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from kb.errors import InvalidInput
from kb.store import catalog
from kb.text import fold

Estimate = dict[str, Any]
"""``{"solution", "city", "scale": {"value", "unit"}, "metrics": {NAME: {"unit", "p10", "p50", "p90"}},
"source_site": {...}, "assumptions": [{"name", "value", "unit", "evidence", "source"}], "sensitivity": [...]}``"""

Fit = dict[str, Any]
"""``{"id", "title", "fit", "factors": [{"name", "score", "explanation"}]}``"""

EstimateFn = Callable[[str, str, "float | dict[str, float] | None", int], Estimate]
FitFn = Callable[[str, str], Fit | None]
LessonsFn = Callable[[str], list[dict[str, Any]]]


class BriefError(InvalidInput):
    """A brief cannot be built: unknown city, no estimate for a solution, replication model missing."""


def find_city(engine: Engine, text: str) -> dict[str, Any]:
    """The city record whose id, name, title or alias matches ``text`` case- and accent-insensitively."""
    want = fold(text)
    for row in catalog.list_records(engine, kind="city"):
        rec = catalog.get_record(engine, row["id"])
        front = rec["front"]
        names = [rec["id"], rec["title"], str(front.get("name") or ""), *[str(a) for a in front.get("aliases") or []]]
        if any(fold(n) == want for n in names if n):
            return rec
    known = ", ".join(r["id"] for r in catalog.list_records(engine, kind="city")) or "none"
    raise BriefError(f"no city matches '{text}' (known cities: {known}; see 'kb list --kind city')")


def city_name(city: dict[str, Any]) -> str:
    return str(city["front"].get("name") or city["title"])


def corpus_lessons(engine: Engine, solution: dict[str, Any]) -> list[dict[str, Any]]:
    """Published lesson records that link to the solution (relation ``solution``), whole."""
    out = []
    for ref in solution.get("referenced_by", []):
        if ref["relation"] != "solution":
            continue
        try:
            rec = catalog.get_record(engine, ref["id"])
        except catalog.RecordNotFound:
            continue
        if rec["kind"] == "lesson" and str(rec["front"].get("status") or "published") == "published":
            out.append(rec)
    return sorted(out, key=lambda r: r["id"])


def _module(name: str) -> Any | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def replication_estimate(engine: Engine, params: dict[str, dict[str, float]] | None = None) -> EstimateFn:
    """The replication model's estimate as the ``kb estimate --json`` dict (issue 5); BriefError if absent.
    ``params`` holds, by solution id, parameter values entered by the user where no source gives one."""

    def run(solution_id: str, city: str, scale: float | dict[str, float] | None, seed: int) -> Estimate:
        mod = _module("kb.replication.solution")
        fn = getattr(mod, "estimate_solution", None) if mod else None
        if fn is None:
            raise BriefError("the replication model (kb.replication.solution) is not available in this installation")
        try:
            result = fn(engine, solution_id, city, scale=scale, seed=seed,
                        params=(params or {}).get(solution_id) or None)
        except (LookupError, ValueError) as exc:
            msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
            raise BriefError(f"{solution_id}: {msg}") from exc
        return dict(result.to_dict() if hasattr(result, "to_dict") else result)

    return run


def replication_fit(engine: Engine) -> FitFn:
    """The transfer-fit breakdown of one solution in one city (issue 5's ``match``), or None when unavailable."""
    ranked: dict[str, dict[str, Fit]] = {}

    def run(solution_id: str, city: str) -> Fit | None:
        mod = _module("kb.replication.fit")
        fn = getattr(mod, "match", None) if mod else None
        if fn is None:
            return None
        if city not in ranked:
            try:
                ranked[city] = {m.id: m.to_dict() for m in fn(engine, city)}
            except (LookupError, ValueError):
                ranked[city] = {}
        return ranked[city].get(solution_id)

    return run


def app_lessons(engine: Engine) -> LessonsFn:
    """Published lessons written in the app (issue 6) that link to a solution, by id; [] when unavailable."""

    def run(solution_id: str) -> list[dict[str, Any]]:
        mod = _module("kb.lessons.service")
        fn = getattr(mod, "list_lessons", None) if mod else None
        if fn is None:
            return []
        try:
            found = fn(engine, status="published", solution=solution_id)
        except Exception:  # noqa: BLE001 - a lessons failure (e.g. no lesson tables yet) must not stop a brief
            return []
        out = []
        for les in found:
            out.append({k: getattr(les, k, None) for k in ("id", "title", "summary", "what_happened", "what_was_tried",
                                                  "outcome", "applies_when", "author", "phase")})
        return sorted(out, key=lambda d: str(d["id"]))

    return run
