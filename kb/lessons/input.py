"""Validated input of lessons (non-table SQLModel classes) and the ``LessonInvalid`` error with clear messages."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from markdown_it import MarkdownIt
from pydantic import ValidationError, field_validator
from sqlmodel import Field, SQLModel

from kb.errors import InvalidInput
from kb.i18n import N_, Msg, Said
from kb.records import vocab

TITLE_MAX = 200
SHORT_MAX = 200
TEXT_MAX = 20_000
LIST_MAX = 50
SOURCES_MAX = 30
TEXT_FIELDS = ("summary", "what_happened", "what_was_tried", "applies_when")
_MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z!]|javascript:", re.IGNORECASE)
_CITE = re.compile(r"\[((?:S\d+[a-z]?)(?:\s*[;,]\s*S\d+[a-z]?)*)\]")
_MD = MarkdownIt("commonmark")
LABELS = {"title": "Title", "city": "City", "solutions": "Solutions", "measure_types": "Measure types",
          "phase": "Phase", "barrier_type": "Barrier type", "summary": "Summary",
          "what_happened": "What happened", "what_was_tried": "What was tried", "outcome": "Outcome",
          "outcome_note": "Outcome (details)", "applies_when": "Applies when", "sources": "Sources",
          "author": "Author", "id": "Id", "status": "Status", "version": "Version"}


class LessonInvalid(InvalidInput, ValueError):
    """The lesson input breaks one or more rules; ``problems`` lists ``(field, message)``."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{LABELS.get(f, f)}: {m}" for f, m in problems))


def _one_line(value: str, field: str, limit: int = SHORT_MAX) -> str:
    value = value.strip()
    if "\n" in value or "\r" in value:
        raise ValueError("must be a single line")
    if len(value) > limit:
        raise ValueError(f"is {len(value)} characters long; at most {limit} are allowed")
    if _MARKUP.search(value):
        raise ValueError("must be plain text (no HTML tags or javascript: links)")
    return value


def _text(value: str, required: bool) -> str:
    value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if required and not value:
        raise ValueError("must not be empty")
    if len(value) > TEXT_MAX:
        raise ValueError(f"is {len(value)} characters long; at most {TEXT_MAX} are allowed")
    if "\x00" in value:
        raise ValueError(Said(Msg(N_("contains a NUL character"))))
    if any(t.type == "heading_open" and t.tag in ("h1", "h2") for t in _MD.parse(value)):
        raise ValueError(Said(Msg(N_("headings of level 1 or 2 ('#', '##', or a line underlined with '---' or '===') "
                                     "would start a new section; use '###' or **bold** instead"))))
    return value


def _ids(values: list[str], what: str) -> list[str]:
    out: list[str] = []
    for v in values:
        v = str(v).strip()
        if not vocab.ID_PATTERN.match(v):
            raise ValueError(Said(Msg(N_("'{value}' is not a valid {what} id (lowercase letters, digits and '-')"),
                                      {"value": v[:60], "what": Msg(what)})))
        if v not in out:
            out.append(v)
    if len(out) > LIST_MAX:
        raise ValueError(Said(Msg(N_("at most {n} {what} can be linked"), {"n": LIST_MAX, "what": Msg(what + "s")})))
    return out


def _choice(value: str, allowed: tuple[str, ...]) -> str:
    value = str(value).strip().lower()
    if not value:
        raise ValueError(Said(Msg(N_("choose one of {allowed}"), {"allowed": ", ".join(allowed)})))
    if value not in allowed:
        raise ValueError(Said(Msg(N_("'{value}' is not one of {allowed}"),
                                  {"value": value, "allowed": ", ".join(allowed)})))
    return value


class SourceIn(SQLModel):
    """A source of a lesson, as in the corpus format: ``{id, title, url, publisher, year, accessed}``."""

    id: str
    title: str
    url: str = ""
    publisher: str = ""
    year: str = ""
    accessed: str = ""

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, v: Any) -> str:
        sid = str(v or "").strip()
        if not vocab.SOURCE_ID_PATTERN.match(sid):
            raise ValueError(Said(Msg(N_("source id '{id}' must be short letters and digits such as S1"), {"id": sid})))
        return sid

    @field_validator("title", "publisher", "year", "accessed", mode="before")
    @classmethod
    def _short(cls, v: Any) -> str:
        return _one_line(str(v if v is not None else ""), "source")

    @field_validator("url", mode="before")
    @classmethod
    def _url(cls, v: Any) -> str:
        url = str(v or "").strip()
        if url and not re.match(r"^https?://\S+$", url):
            raise ValueError("a source url must start with http:// or https:// and contain no spaces")
        return url

    def to_front(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if v}


class _Checks(SQLModel):
    """Field validators shared by create and update input (``None`` means: not given)."""

    @field_validator("title", mode="before", check_fields=False)
    @classmethod
    def _title(cls, v: Any) -> Any:
        if v is None:
            return v
        v = _one_line(str(v), "title", TITLE_MAX)
        if not v:
            raise ValueError("must not be empty")
        return v

    @field_validator("city", mode="before", check_fields=False)
    @classmethod
    def _city(cls, v: Any) -> Any:
        if v is None:
            return v
        ids = _ids([v], "city") if str(v).strip() else []
        if not ids:
            raise ValueError("choose the city the lesson comes from")
        return ids[0]

    @field_validator("solutions", mode="before", check_fields=False)
    @classmethod
    def _solutions(cls, v: Any) -> Any:
        if v is None:
            return v
        ids = _ids(list(v), "solution")
        if not ids:
            raise ValueError("link at least one solution")
        return ids

    @field_validator("measure_types", mode="before", check_fields=False)
    @classmethod
    def _measure_types(cls, v: Any) -> Any:
        return None if v is None else _ids(list(v), "measure type")

    @field_validator("phase", mode="before", check_fields=False)
    @classmethod
    def _phase(cls, v: Any) -> Any:
        return None if v is None else _choice(v, vocab.PHASES)

    @field_validator("barrier_type", mode="before", check_fields=False)
    @classmethod
    def _barrier(cls, v: Any) -> Any:
        return None if v is None else _choice(v, vocab.BARRIER_TYPES)

    @field_validator("outcome", mode="before", check_fields=False)
    @classmethod
    def _outcome(cls, v: Any) -> Any:
        return None if v is None else _choice(v, vocab.OUTCOMES)

    @field_validator("summary", "what_happened", "what_was_tried", "applies_when", mode="before",
                     check_fields=False)
    @classmethod
    def _required_text(cls, v: Any) -> Any:
        return None if v is None else _text(str(v), required=True)

    @field_validator("outcome_note", mode="before", check_fields=False)
    @classmethod
    def _note(cls, v: Any) -> Any:
        return None if v is None else _text(str(v), required=False)

    @field_validator("sources", mode="before", check_fields=False)
    @classmethod
    def _sources(cls, v: Any) -> Any:
        if v is None:
            return v
        if len(v) > SOURCES_MAX:
            raise ValueError(Said(Msg(N_("at most {n} sources"), {"n": SOURCES_MAX})))
        return v


class LessonCreate(_Checks):
    """Input for a new lesson; ``status`` other than draft is for imports (publishing still needs staff)."""

    title: str = Field(max_length=TITLE_MAX)
    city: str
    solutions: list[str]
    measure_types: list[str] = Field(default_factory=list)
    phase: str
    barrier_type: str
    summary: str = Field(max_length=TEXT_MAX)
    what_happened: str = Field(max_length=TEXT_MAX)
    what_was_tried: str = Field(max_length=TEXT_MAX)
    outcome: str
    outcome_note: str = Field(default="", max_length=TEXT_MAX)
    applies_when: str = Field(max_length=TEXT_MAX)
    sources: list[SourceIn] = Field(default_factory=list)
    id: str | None = None
    author: str | None = None
    status: str = "draft"

    @field_validator("id", mode="before")
    @classmethod
    def _lesson_id(cls, v: Any) -> Any:
        if v is None or not str(v).strip():
            return None
        return _ids([v], "lesson")[0]

    @field_validator("author", mode="before")
    @classmethod
    def _author(cls, v: Any) -> Any:
        return None if v is None or not str(v).strip() else _one_line(str(v), "author")

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, v: Any) -> Any:
        return _choice(v or "draft", vocab.LESSON_STATUSES)


class LessonUpdate(_Checks):
    """Changes to a lesson: the fields given (``None`` = unchanged) and the ``version`` the form was loaded at."""

    version: int
    title: str | None = None
    city: str | None = None
    solutions: list[str] | None = None
    measure_types: list[str] | None = None
    phase: str | None = None
    barrier_type: str | None = None
    summary: str | None = None
    what_happened: str | None = None
    what_was_tried: str | None = None
    outcome: str | None = None
    outcome_note: str | None = None
    applies_when: str | None = None
    sources: list[SourceIn] | None = None


def _source_id(s: Any) -> str:
    return str(s.id if hasattr(s, "id") else s.get("id", ""))


def cited_problems(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Inline citations ``[S1]`` in the text fields that no declared source matches; duplicate source ids."""
    declared = {_source_id(s) for s in data.get("sources") or []}
    out: list[tuple[str, str]] = []
    for field in (*TEXT_FIELDS, "outcome_note"):
        for m in _CITE.finditer(data.get(field) or ""):
            for sid in re.split(r"[;,]", m.group(1)):
                if sid.strip() not in declared:
                    out.append((field, Said(Msg(N_("cites [{id}] but no source with this id is declared"),
                                                {"id": sid.strip()}))))
    ids = [_source_id(s) for s in data.get("sources") or []]
    out += [("sources", Said(Msg(N_("source id '{id}' is declared twice"), {"id": s})))
            for s in sorted({i for i in ids if ids.count(i) > 1})]
    return out


def _problems(exc: ValidationError) -> list[tuple[str, str]]:
    out = []
    for e in exc.errors():
        loc = [str(x) for x in e["loc"]]
        field = loc[0] if loc else "lesson"
        error = (e.get("ctx") or {}).get("error")
        said = error.args[0] if isinstance(error, ValueError) and error.args else None
        msg = said if isinstance(said, Said) else str(e["msg"]).removeprefix("Value error, ")
        if e["type"] == "missing":
            msg = "is required"
        if len(loc) > 1 and field == "sources":
            msg = Said(Msg(N_("source #{n}: {problem}"), {"n": int(loc[1]) + 1 if loc[1].isdigit() else loc[1],
                                                           "problem": msg}))
        out.append((field, msg))
    return out


def validate_create(data: LessonCreate | Mapping[str, Any]) -> LessonCreate:
    """Validated create input; raise :class:`LessonInvalid` listing every problem."""
    if isinstance(data, LessonCreate):
        data = data.model_dump()
    try:
        obj = LessonCreate.model_validate(dict(data))
    except ValidationError as exc:
        raise LessonInvalid(_problems(exc)) from None
    cited = cited_problems(dict(obj))
    if cited:
        raise LessonInvalid(cited)
    return obj


def validate_update(data: LessonUpdate | Mapping[str, Any]) -> LessonUpdate:
    """Validated update input; raise :class:`LessonInvalid` listing every problem."""
    if isinstance(data, LessonUpdate):
        data = data.model_dump(exclude_unset=True)
    try:
        return LessonUpdate.model_validate(dict(data))
    except ValidationError as exc:
        raise LessonInvalid(_problems(exc)) from None


def parse_source_lines(text: str) -> list[dict[str, str]]:
    """Sources typed one per line as ``S1 | title | url | publisher | year``; raise LessonInvalid on bad lines."""
    out: list[dict[str, str]] = []
    problems: list[tuple[str, str]] = []
    for n, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) < 2 or not parts[0] or not parts[1]:
            problems.append(("sources", f"line {n}: write 'S1 | title | url' (id and title required)"))
            continue
        keys = ("id", "title", "url", "publisher", "year")
        out.append({k: v for k, v in zip(keys, parts, strict=False) if v})
    if problems:
        raise LessonInvalid(problems)
    return out


def source_lines(sources: list[dict[str, str]]) -> str:
    """The inverse of :func:`parse_source_lines`."""
    keys = ("id", "title", "url", "publisher", "year")
    return "\n".join(" | ".join(s.get(k, "") for k in keys).rstrip(" |") for s in sources)
