"""Validation rules for records: required fields, vocabularies, units, evidence, sources and cross-references."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from kb.records import vocab
from kb.records.errors import RecordError
from kb.records.model import Record
from kb.records.parse import cited_ids

_HTML = re.compile(r"<\s*/?\s*[a-zA-Z!]|javascript:", re.IGNORECASE)
_NON_NEGATIVE_UNITS = {
    "homes", "dwellings", "households", "persons", "residents", "buildings", "cars", "vehicles", "bikes",
    "points", "chargers", "panels", "units", "sites", "boreholes", "wells", "count", "kWp", "Wp", "MWp",
    "m2", "m²", "km2", "km²", "ha", "arks", "systems", "connections",
}
_NORMALISE_UNIT = str.maketrans({"²": "2", "³": "3"})


def _unit_norm(u: str) -> str:
    return u.translate(_NORMALISE_UNIT).replace("Kd", "K·d").replace(" ", "")


def validate_record(rec: Record) -> list[RecordError]:
    """Rules that one record must satisfy on its own."""
    errs: list[RecordError] = []
    f = rec.front

    def err(field: str, msg: str, line: int | None = None) -> None:
        errs.append(RecordError(rec.path, line if line is not None else rec.line_of(field), msg))

    for field in ("id", "kind", "title"):
        if not f.get(field) or not isinstance(f.get(field), str | int):
            err(field, f"missing required field '{field}'")
    if errs:
        return errs
    if not vocab.ID_PATTERN.fullmatch(rec.id):
        err("id", f"id '{rec.id[:60]}' must be lowercase letters, digits and '-' (at most 100 characters)")
    if rec.kind not in vocab.KINDS:
        err("kind", f"unknown kind '{rec.kind}': expected one of {', '.join(vocab.KINDS)}")
        return errs
    for field, value in f.items():
        if _has_markup(value):
            err(field, f"field '{field}' contains HTML or a script link; records hold plain text")
    if "sources" not in f and rec.kind != "lesson":
        err("id", "missing required field 'sources'")
    _check_kind_fields(rec, err)
    if rec.section("Summary") is None:
        err("title", "missing the '## Summary' section")
    declared = [s.id for s in rec.sources]
    for sid in {s for s in declared if declared.count(s) > 1}:
        err("sources", f"source id '{sid}' is declared twice")
    for s in rec.sources:
        if s.url and not re.match(r"^https?://", s.url):
            err("sources", f"source {s.id}: url must start with http:// or https://")
    known = set(declared)
    for q in rec.quantities:
        errs.extend(_check_quantity(rec, q, known))
    for b in rec.barriers:
        if b.type not in vocab.BARRIER_TYPES:
            err("", f"barrier '{b.title}': unknown type '{b.type}' (one of {', '.join(vocab.BARRIER_TYPES)})",
                b.line)
        if b.outcome and b.outcome not in vocab.BARRIER_OUTCOMES:
            err("", f"barrier '{b.title}': outcome must be one of {', '.join(vocab.BARRIER_OUTCOMES)}", b.line)
        if b.phase and b.phase not in vocab.PHASES:
            err("", f"barrier '{b.title}': unknown phase '{b.phase}'", b.line)
        for sid in re.split(r"[;,]", b.source):
            sid = sid.strip().split(" ")[0] if sid.strip() else ""
            if sid and sid not in known:
                err("", f"barrier '{b.title}': source '{sid}' is not declared in 'sources'", b.line)
    for sec in rec.sections:
        for sid, n in cited_ids(sec.text):
            if sid not in known:
                err("", f"cited source [{sid}] is not declared in 'sources'", sec.line + 1 + n)
    return errs


def _has_markup(value: Any) -> bool:
    """True when any string in ``value`` (nested lists and mappings, keys too; ``url`` values aside) is markup.

    Iterative: front matter nesting is bounded by the parser, but a record built in memory need not be.
    """
    todo = [value]
    while todo:
        v = todo.pop()
        if isinstance(v, str):
            if _HTML.search(v):
                return True
        elif isinstance(v, list | tuple):
            todo.extend(v)
        elif isinstance(v, dict):
            todo.extend(k for k in v if isinstance(k, str))
            todo.extend(x for k, x in v.items() if k != "url")
    return False


def _str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _check_kind_fields(rec: Record, err: Any) -> None:
    f = rec.front
    if rec.kind in ("solution", "lesson"):
        if not isinstance(f.get("city"), str) or not f.get("city"):
            err("city", "missing required field 'city' (the id of a city record)")
        if "measure_types" in f and not _str_list(f["measure_types"]):
            err("measure_types", "'measure_types' must be a list of measure-type ids")
    if rec.kind == "solution":
        cats = f.get("categories")
        if not _str_list(cats) or not cats:
            err("categories", "'categories' must be a non-empty list")
        else:
            for c in cats:
                if c not in vocab.CATEGORIES:
                    err("categories", f"unknown category '{c}' (one of {', '.join(vocab.CATEGORIES)})")
        if "measure_types" not in f:
            err("id", "missing required field 'measure_types' (use [] when none applies)")
        if f.get("status") not in vocab.STATUSES:
            err("status", f"status must be one of {', '.join(vocab.STATUSES)}")
        if f.get("scope", "lighthouse") not in vocab.SCOPES:
            err("scope", f"scope must be one of {', '.join(vocab.SCOPES)}")
        for q in rec.quantities:
            reason = calibration_key_error(q.key, q.evidence, q.missing)
            if reason:
                err("", f"'{q.item}': {reason}", q.line)
    elif rec.kind == "lesson":
        if not _str_list(f.get("solutions")) or not f.get("solutions"):
            err("solutions", "a lesson needs 'solutions': a non-empty list of solution ids")
        for field, allowed in (("phase", vocab.PHASES), ("barrier_type", vocab.BARRIER_TYPES),
                               ("outcome", vocab.OUTCOMES)):
            if f.get(field) not in allowed:
                err(field, f"'{field}' must be one of {', '.join(allowed)}")
        if f.get("status", "published") not in vocab.LESSON_STATUSES:
            err("status", f"status must be one of {', '.join(vocab.LESSON_STATUSES)}")
    elif rec.kind == "city":
        if not f.get("name"):
            err("id", "missing required field 'name'")
        if not isinstance(f.get("country"), str) or not re.fullmatch(r"[A-Z]{2}", f.get("country", "")):
            err("country", "'country' must be an ISO 3166 alpha-2 code such as PL")
        if f.get("role", "other") not in vocab.CITY_ROLES:
            err("role", f"role must be one of {', '.join(vocab.CITY_ROLES)}")
        for q in rec.quantities:
            if q.key and q.key in vocab.DRIVER_KEYS and not q.missing:
                want = vocab.DRIVER_KEYS[q.key]
                if _unit_norm(q.unit) != _unit_norm(want):
                    err("", f"driver '{q.key}' must be in {want}, not '{q.unit}'", q.line)
    elif rec.kind == "measure_type":
        model = f.get("model")
        if not isinstance(model, str) or model not in vocab.MODEL_KEYS:
            err("model", f"unknown model '{model}' (one of {', '.join(vocab.MODEL_KEYS)})")
            return
        if not f.get("scale_unit"):
            err("id", "missing required field 'scale_unit'")
        # A parameter the sources do not give may be declared with a `missing` row: the record stays honest and
        # the estimator refuses that measure type with a clear message until a value is supplied.
        declared = {q.key for q in rec.quantities if q.key}
        for key in vocab.MODEL_KEYS[model]:
            if key not in declared:
                err("model", f"model '{model}' needs a parameter row with key '{key}' (a value, or 'missing')")


def calibration_key_error(key: str, evidence: str, missing: bool = False) -> str:
    """Why a solution-record row may not carry this key under the calibration rules ('' when it may).

    A calibrating key (a carrier flow or ``capex_total``) makes the figure scale the estimate, which only a
    measured or installed figure may do; a design, target, estimate or reference figure of the same quantity
    is keyed ``capex_budget`` (capex) or left without a key, and a total that includes non-energy works is keyed
    ``investment_total_incl_non_energy``."""
    bare = key.rpartition(".")[2]
    if missing or bare not in vocab.CALIBRATING_OUTPUT_KEYS or evidence in vocab.CALIBRATION_EVIDENCE:
        return ""
    alt = ("key a designed or announced budget 'capex_budget', a total that includes non-energy works "
           f"'{vocab.NON_ENERGY_TOTAL_KEY}'" if bare == "capex_total" else "leave the key empty")
    return (f"key '{key}' would calibrate the estimate, which only a {' or '.join(vocab.CALIBRATION_EVIDENCE)} "
            f"figure may do (this one is '{evidence}'): {alt}")


def _check_quantity(rec: Record, q: Any, known: set[str]) -> list[RecordError]:
    out: list[RecordError] = []

    def e(msg: str) -> None:
        out.append(RecordError(rec.path, q.line, f"'{q.item}': {msg}"))

    if not vocab.unit_is_known(q.unit):
        e(f"unknown unit '{q.unit}' (see solutions/README.md, section 4)")
    if q.missing:
        return out
    if q.evidence not in vocab.EVIDENCE_LEVELS:
        e(f"evidence '{q.evidence}' must be one of {', '.join(vocab.EVIDENCE_LEVELS)}")
    if not q.sources:
        e("no source: every number needs a source id")
    for sid in q.sources:
        if sid not in known:
            e(f"source '{sid}' is not declared in 'sources'")
    vals = [v for v in (q.value, q.low, q.mid, q.high) if v is not None]
    first = re.split(r"[/·*\s]+", q.unit)[0] if q.unit else ""
    key = q.key.split(".")[-1]
    must_be_positive = first in _NON_NEGATIVE_UNITS or key in _non_negative_keys()
    if must_be_positive and any(v < 0 for v in vals):
        e("negative value where only zero or more makes sense")
    ordered = [v for v in (q.low, q.mid, q.high) if v is not None]
    if ordered != sorted(ordered):
        e("low, mid and high must be in increasing order")
    return out


def _non_negative_keys() -> set[str]:
    keys = {k for ks in vocab.MODEL_KEYS.values() for k in ks}
    return keys | {"scale", "population", "area"}


def validate_references(records: Iterable[Record], existing: dict[str, str]) -> list[RecordError]:
    """Cross-record rules: referenced cities, measure types and solutions exist.

    ``existing`` maps ids already in the database (outside this run) to their kind.
    """
    kinds = dict(existing)
    recs = list(records)
    for r in recs:
        kinds[r.id] = r.kind
    out: list[RecordError] = []
    for r in recs:
        city = r.front.get("city")
        if r.kind in ("solution", "lesson") and isinstance(city, str) and kinds.get(city) != "city":
            out.append(RecordError(r.path, r.line_of("city"), f"unknown city '{city}': no city record "
                                                                  "has this id"))
        for mt in r.front.get("measure_types") or []:
            if kinds.get(mt) != "measure_type":
                out.append(RecordError(r.path, r.line_of("measure_types"),
                                       f"unknown measure type '{mt}': no measure_type record has this id"))
        if r.kind == "lesson":
            for sid in r.front.get("solutions") or []:
                if kinds.get(sid) != "solution":
                    out.append(RecordError(r.path, r.line_of("solutions"),
                                           f"unknown solution '{sid}': no solution record has this id"))
    return out
