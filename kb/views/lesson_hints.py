"""The editor's check of a draft: the solutions and measure types it seems to be about, and near-duplicate lessons."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Engine

from kb.accounts import Actor
from kb.embeddings import Embedder, EmbedderError
from kb.lessons.format import Lesson
from kb.lessons.hints import LinkSuggestions, NearDuplicate, near_duplicates, suggest_links
from kb.search.engine import SearchEngine

__all__ = ["DraftCheck", "check_draft", "duplicates_of"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DraftCheck:
    """What the check found for the draft as it stood when the button was pressed."""

    duplicates: list[NearDuplicate]
    suggestions: LinkSuggestions
    checked: bool = True

    def without(self, record_id: str) -> DraftCheck:
        """The same check with one suggestion taken (added to the lesson)."""
        s = self.suggestions
        return replace(self, suggestions=LinkSuggestions([x for x in s.solutions if x[0] != record_id],
                                                         [x for x in s.measure_types if x[0] != record_id]))


def _ids(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list | tuple) else []


def check_draft(engine: Engine, search: SearchEngine, embedder: Embedder, actor: Actor, data: Mapping[str, Any],
                exclude_id: str | None) -> DraftCheck:
    """Check the editor's form values (``title``, ``summary``, ``city``, ``solutions``, ``measure_types``): computed
    only on request, never while typing."""
    title, summary = str(data.get("title") or ""), str(data.get("summary") or "")
    city = str(data.get("city") or "") or None
    dups = near_duplicates(engine, embedder, actor, title, summary, exclude_id=exclude_id)
    links = suggest_links(search, title, summary, city=city, chosen_solutions=_ids(data.get("solutions")),
                          chosen_measure_types=_ids(data.get("measure_types")))
    return DraftCheck(dups, links)


def duplicates_of(engine: Engine, embedder: Embedder, actor: Actor, lesson: Lesson) -> DraftCheck | None:
    """The near-duplicate check of a lesson just saved (no suggestions): run when a new draft is saved, so a writer
    who never pressed the check button still learns of an existing lesson that tells the same story. None when the
    embedding model cannot be used (the draft is saved all the same; the check button says why)."""
    try:
        dups = near_duplicates(engine, embedder, actor, lesson.title, lesson.summary, exclude_id=lesson.id)
    except EmbedderError as exc:
        log.warning("near-duplicate check after saving %s skipped: %s", lesson.id, exc)
        return None
    return DraftCheck(dups, LinkSuggestions([], []), checked=False)
