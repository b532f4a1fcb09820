"""What a brief reads: the city, the replication estimate and transfer fit, and published lessons."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from kb.errors import InvalidInput
from kb.i18n import N_
from kb.lessons.format import Lesson
from kb.lessons.service import list_lessons
from kb.replication import cities
from kb.replication.factors import DEFAULT_BASIS, FactorBasis
from kb.replication.fit import Match, match
from kb.replication.simulation import Estimate
from kb.replication.solution import estimate_solution
from kb.store import catalog
from kb.store.readmodel import StoredRecord

log = logging.getLogger(__name__)

EstimateFn = Callable[[str, str, "float | dict[str, float] | None", int], Estimate]
"""``(solution id, city id, scale, seed)`` → the estimate of the solution in the city."""
FitFn = Callable[[str, str], Match | None]
"""``(solution id, city id)`` → the transfer fit of the solution in the city, or None."""
LessonsFn = Callable[[str], list[Lesson]]
"""``solution id`` → the published lessons written in the app that link to it."""


class BriefError(InvalidInput):
    """A brief cannot be built: unknown city, no estimate for a solution, replication model missing."""


def find_city(engine: Engine, text: str) -> StoredRecord:
    """The city record whose id, name or alias matches ``text`` (:func:`kb.replication.cities.find_city`)."""
    try:
        profile = cities.find_city(engine, text)
    except cities.CityNotFound as exc:
        known = ", ".join(exc.known) or "none"
        raise BriefError(f"no city matches '{text}' (known cities: {known}; see 'kb list --kind city')") from exc
    return catalog.get_record(engine, profile.id)


def corpus_lessons(engine: Engine, solution: StoredRecord) -> list[StoredRecord]:
    """Published lesson records that link to the solution (relation ``solution``), whole."""
    ids = [ref.id for ref in solution.referenced_by if ref.relation == "solution"]
    out = [rec for rec in catalog.get_records(engine, ids)
           if rec.kind == "lesson" and str(rec.front.get("status") or "published") == "published"]
    return sorted(out, key=lambda r: r.id)


USER = N_("entered by the user")  # the source of a parameter or driver a user typed (kb brief --param / --driver)


def replication_estimate(engine: Engine, params: dict[str, dict[str, float]] | None = None,
                         drivers: dict[str, float] | None = None, basis: FactorBasis = DEFAULT_BASIS,
                         discount_rate: float | None = None, homes: float | None = None) -> EstimateFn:
    """The replication model's estimate of a solution in a city; its lookup and value errors as BriefError.
    ``params`` holds, by solution id, parameter values entered by the user (``KEY`` or ``TYPE.KEY``); ``drivers``
    city drivers entered by the user. Both are labelled "entered by the user" in the assumptions. ``basis`` and
    ``discount_rate`` are the estimate's factor basis and real discount rate (None: the sourced range); ``homes`` the
    homes of the reference district of the hourly dispatch (None: sized from the estimate)."""

    def run(solution_id: str, city: str, scale: float | dict[str, float] | None, seed: int) -> Estimate:
        try:
            target: cities.CityProfile | str = city
            if drivers:
                target = cities.find_city(engine, city).with_drivers(dict(drivers), source=USER)
            return estimate_solution(engine, solution_id, target, scale=scale, seed=seed,
                                     params=(params or {}).get(solution_id) or None, basis=basis,
                                     discount_rate=discount_rate, homes=homes)
        except (LookupError, ValueError) as exc:
            msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
            raise BriefError(f"{solution_id}: {msg}") from exc

    return run


def replication_fit(engine: Engine) -> FitFn:
    """The transfer-fit breakdown of one solution in one city, or None when the city cannot be ranked."""
    ranked: dict[str, dict[str, Match]] = {}

    def run(solution_id: str, city: str) -> Match | None:
        if city not in ranked:
            try:
                ranked[city] = {m.id: m for m in match(engine, city)}
            except (LookupError, ValueError):
                ranked[city] = {}
        return ranked[city].get(solution_id)

    return run


def app_lessons(engine: Engine) -> LessonsFn:
    """Published lessons written in the app that link to a solution, by id; [] (logged) when they cannot be read."""

    def run(solution_id: str) -> list[Lesson]:
        try:
            found = list_lessons(engine, status="published", solution=solution_id)
        except (SQLAlchemyError, ValueError) as exc:  # e.g. a database without lesson tables: the brief goes on
            log.warning("published lessons of %s left out of the brief: %s", solution_id, exc)
            return []
        return sorted(found, key=lambda les: les.id)

    return run
