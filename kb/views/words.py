"""The record vocabulary as a reader sees it: kinds, statuses, evidence levels, barrier types, phases … in words.

The values stay English keys in the records and the store; pages show ``word(value, t)``: the value as words
(``under-construction`` → ``under construction``), translated by the session's ``t``.
"""

from __future__ import annotations

from collections.abc import Callable

from kb.i18n import N_

__all__ = ["WORDS", "SECTION_TITLES", "LESSON_FIELDS", "LESSON_ACTIONS", "word", "identity"]

WORDS: dict[str, str] = {
    # kinds of records
    "solution": N_("solution"), "lesson": N_("lesson"), "measure_type": N_("measure type"), "city": N_("city"),
    # statuses of solutions
    "concept": N_("concept"), "planned": N_("planned"), "under-construction": N_("under construction"),
    "operational": N_("operational"), "completed": N_("completed"), "dropped": N_("dropped"),
    # evidence levels of numbers
    "measured": N_("measured"), "installed": N_("installed"), "design": N_("design"), "target": N_("target"),
    "estimate": N_("estimate"), "reference": N_("reference"),
    # barrier types
    "regulatory": N_("regulatory"), "financial": N_("financial"), "social": N_("social"),
    "technical": N_("technical"), "organisational": N_("organisational"), "market": N_("market"),
    # phases ("market", "engagement", "planning" are also categories: one word serves both)
    "planning": N_("planning"), "permitting": N_("permitting"), "financing": N_("financing"),
    "procurement": N_("procurement"), "construction": N_("construction"), "operation": N_("operation"),
    "engagement": N_("engagement"),
    # outcomes
    "worked": N_("worked"), "partly": N_("partly"), "failed": N_("failed"), "open": N_("open"),
    # lesson statuses
    "draft": N_("draft"), "in-review": N_("in review"), "published": N_("published"), "archived": N_("archived"),
    # categories of solutions
    "storage": N_("storage"), "smart-grid": N_("smart grid"), "solar": N_("solar"),
    "heating-cooling": N_("heating and cooling"), "geothermal": N_("geothermal"), "aquathermal": N_("aquathermal"),
    "water": N_("water"), "mobility": N_("mobility"), "buildings": N_("buildings"), "circular": N_("circular"),
    "governance": N_("governance"), "monitoring": N_("monitoring"),
    # account roles
    "viewer": N_("viewer"), "staff": N_("staff"), "admin": N_("admin"),
}
"""Every vocabulary value a page shows, as English words (a value not listed is shown with ``-``/``_`` as
spaces)."""


SECTION_TITLES: tuple[str, ...] = (
    N_("Summary"), N_("Measures"), N_("Costs"), N_("Barriers"), N_("Results"), N_("Lessons learned"),
    N_("Replication notes"), N_("Drivers"), N_("Energy system"), N_("Notes"), N_("Parameters"),
    N_("Preconditions"), N_("What happened"), N_("What was tried"), N_("Outcome"), N_("Applies when"),
)
"""The section headings of the record kinds (kb.records.vocab.SECTIONS): a page shows ``t(title)``; the record's
own text under them stays English."""


LESSON_FIELDS: dict[str, str] = {
    "title": N_("Title"), "city": N_("City"), "solutions": N_("Solutions"), "measure_types": N_("Measure types"),
    "phase": N_("Phase"), "barrier_type": N_("Barrier type"), "summary": N_("Summary"),
    "what_happened": N_("What happened"), "what_was_tried": N_("What was tried"), "outcome": N_("Outcome"),
    "outcome_note": N_("Outcome (details)"), "applies_when": N_("Applies when"), "sources": N_("Sources"),
    "author": N_("Author"), "id": N_("Id"), "status": N_("Status"), "version": N_("Version")}
"""The lesson fields as the form names them (kb.lessons.input.LABELS, in the reader's language)."""
LESSON_ACTIONS: dict[str, str] = {"create": N_("create"), "update": N_("update"), "publish": N_("publish"),
                                  "archive": N_("archive"), "restore": N_("restore"),
                                  "submit": N_("submit for review"), "send-back": N_("send back"),
                                  "ingest": N_("ingest from its file"), "export": N_("export to its file"),
                                  "ingest-kept-app": N_("file change refused, app version kept")}
"""The changes of a lesson's history (its audit log's actions)."""


def identity(message: str) -> str:
    return message


def word(value: str, t: Callable[[str], str] = identity) -> str:
    """A vocabulary value as words in the reader's language: ``word("under-construction", t)``."""
    english = WORDS.get(value)
    if english is None:
        return value.replace("_", " ").replace("-", " ")
    return t(english)
