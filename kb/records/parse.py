"""Parse one Markdown record (YAML front matter, sections, GFM tables, barrier blocks) keeping line numbers."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from kb.records.errors import RecordError, RecordInvalid
from kb.records.model import Barrier, Quantity, Record, Section, Source

# Limits of one record file, each far above the bundled corpus (largest: 16 KB file, 4.7 KB front matter, nesting
# depth 4, 7 sections, 43 table lines): a file over any of them is refused as a whole with ``path:line: reason``.
MAX_FILE_BYTES = 1024 * 1024
MAX_FRONT_MATTER_BYTES = 64 * 1024
MAX_DEPTH = 20  # lists and mappings nested in front matter
MAX_SECTIONS = 200  # ``##`` sections (each one is a chunk to embed)
MAX_TABLE_ROWS = 2000  # table rows in the whole record
ITEM_COLUMNS = ("item", "driver", "parameter", "measure", "figure")
RANGE_COLUMNS = ("low", "mid", "high")
MISSING_MARKS = {"", "—", "–", "-", "n/a"}
_CITE = re.compile(r"\[((?:S\d+[a-z]?)(?:\s*[;,]\s*S\d+[a-z]?)*)\]")
_MD = MarkdownIt("commonmark").enable("table")
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when present: same rules, faster
# the implicit tags of plain scalars (int, float, bool, null, timestamp), as the safe loader resolves them
_RESOLVE = cast(Callable[[type, str, tuple[bool, bool]], str], yaml.resolver.Resolver().resolve)
_MAP_TAGS = (None, "!", "tag:yaml.org,2002:map")
_SEQ_TAGS = (None, "!", "tag:yaml.org,2002:seq")
_MERGE_TAG = "tag:yaml.org,2002:merge"


def parse_file(path: Path, display: str | None = None) -> tuple[Record, list[RecordError]]:
    """Read and parse a record file; raise :class:`RecordInvalid` when it is not a record at all."""
    name = display or str(path)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise RecordInvalid([RecordError(name, 1, f"file is {size / 1e6:.1f} MB, over the "
                                                  f"{MAX_FILE_BYTES // (1024 * 1024)} MB limit for a record")])
    return parse_bytes(path.read_bytes(), name)


def parse_bytes(data: bytes, name: str) -> tuple[Record, list[RecordError]]:
    """Decode bytes (UTF-8, optional BOM) and parse them as a record."""
    if len(data) > MAX_FILE_BYTES:
        raise RecordInvalid([RecordError(name, 1, "file is over the size limit for a record")])
    if not data.strip():
        raise RecordInvalid([RecordError(name, 1, "empty file: a record needs front matter and a body")])
    nul = data.find(b"\x00")
    if nul >= 0:
        raise RecordInvalid([RecordError(name, data.count(b"\n", 0, nul) + 1,
                                         "binary content (NUL byte): a record must be UTF-8 text")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise RecordInvalid([RecordError(name, line, f"invalid UTF-8 at byte {exc.start}: "
                                                     "save the file as UTF-8")]) from None
    return parse_text(text, name)


def parse_text(text: str, name: str) -> tuple[Record, list[RecordError]]:
    """Parse record text; return the record and the non-fatal errors found in its body."""
    if len(text) > MAX_FILE_BYTES:
        raise RecordInvalid([RecordError(name, 1, f"record is over the {MAX_FILE_BYTES // (1024 * 1024)} MB limit")])
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    front, front_lines, body_start = _front_matter(lines, name)
    errors: list[RecordError] = []
    body_lines = lines[body_start:]
    rec = Record(
        id=str(front.get("id") or ""),
        kind=str(front.get("kind") or ""),
        title=str(front.get("title") or "").strip(),
        path=name,
        front=front,
        front_lines=front_lines,
        body="\n".join(body_lines),
        content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )
    rec.sources = _sources(front, front_lines.get("sources", 1), name, errors)
    _walk_body(rec, body_lines, body_start, name, errors)
    return rec, errors


def _front_matter(lines: list[str], name: str) -> tuple[dict[str, Any], dict[str, int], int]:
    if not lines or lines[0].strip() != "---":
        first = next((i for i, ln in enumerate(lines) if ln.strip()), 0)
        if lines and lines[first].strip() == "---":
            raise RecordInvalid([RecordError(name, 1, "front matter must start on the first line "
                                                      "(remove the blank lines before '---')")])
        raise RecordInvalid([RecordError(name, 1, "no front matter: the file must start with a '---' line")])
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        raise RecordInvalid([RecordError(name, 1, "unclosed front matter: no closing '---' line")])
    front_text = "\n".join(ln.rstrip() for ln in lines[1:end])  # trailing blanks carry no meaning; a tab chokes YAML
    size = len(front_text.encode("utf-8"))
    if size > MAX_FRONT_MATTER_BYTES:
        raise RecordInvalid([RecordError(name, 2, f"front matter is {size // 1024} KB, over the "
                                                  f"{MAX_FRONT_MATTER_BYTES // 1024} KB limit")])
    data, key_lines = _load_yaml(front_text, name)
    if data is None:
        raise RecordInvalid([RecordError(name, 2, "front matter is empty: it needs id, kind and title")])
    if not isinstance(data, dict):
        raise RecordInvalid([RecordError(name, 2, f"front matter must be a mapping of fields, "
                                                  f"not a {type(data).__name__}")])
    return data, key_lines, end + 1


class _Node:
    """A list or mapping being built from YAML events; ``key`` is a mapping's key waiting for its value."""

    __slots__ = ("key", "key_lines", "line", "value")

    def __init__(self, value: dict[Any, Any] | list[Any], line: int):
        self.value = value
        self.line = line
        self.key: tuple[Any, int] | None = None
        self.key_lines: dict[str, int] = {}


def _load_yaml(text: str, name: str) -> tuple[Any, dict[str, int]]:
    """Front matter as Python data, built from the parser's events without recursion.

    Refused with ``path:line: reason``: anchors and aliases (a 500-byte alias bomb expands to gigabytes), nesting
    deeper than :data:`MAX_DEPTH`, duplicate keys, tags other than the plain scalar ones, merge keys, values that
    cannot be read (a 13th month) and numbers that are not finite (``.nan``, ``.inf``, ``1.0e+400``). Returns the
    data and the line of each top-level key.
    """
    constructor = yaml.constructor.SafeConstructor()
    stack: list[_Node] = []
    root: list[Any] = []
    root_lines: dict[str, int] = {}
    documents = 0

    def refuse(line: int, reason: str) -> RecordInvalid:
        return RecordInvalid([RecordError(name, line, reason)])

    def add(value: Any, line: int) -> None:
        if not stack:
            root.append(value)
            return
        top = stack[-1]
        if isinstance(top.value, list):
            top.value.append(value)
        elif top.key is None:
            if isinstance(value, dict | list):
                raise refuse(line, "a key in front matter must be plain text, not a list or mapping")
            label = str(value)
            if label in top.key_lines or value in top.value:
                first = top.key_lines.get(label, top.line)
                raise refuse(line, f"duplicate key '{label[:60]}' (first at line {first}, again at line {line}): "
                                   "keep one")
            top.key_lines[label] = line
            top.key = (value, line)
        else:
            top.value[top.key[0]] = value
            top.key = None

    try:
        for ev in yaml.parse(text, Loader=_YAML_LOADER):
            line = ev.start_mark.line + 2 if ev.start_mark is not None else 2
            if isinstance(ev, yaml.AliasEvent):
                raise refuse(line, f"YAML alias '*{ev.anchor}' in front matter: anchors and aliases are not "
                                   "allowed, write the value out")
            if isinstance(ev, yaml.NodeEvent) and ev.anchor is not None:
                raise refuse(line, f"YAML anchor '&{ev.anchor}' in front matter: anchors and aliases are not "
                                   "allowed, write the value out")
            if isinstance(ev, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise refuse(line, "front matter holds more than one YAML document")
            elif isinstance(ev, yaml.ScalarEvent):
                add(_scalar(constructor, ev, line, refuse), line)
            elif isinstance(ev, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                is_map = isinstance(ev, yaml.MappingStartEvent)
                if ev.tag not in (_MAP_TAGS if is_map else _SEQ_TAGS):
                    raise refuse(line, f"YAML tag '{ev.tag}' is not allowed in front matter")
                if len(stack) >= MAX_DEPTH:
                    raise refuse(line, f"front matter is nested more than {MAX_DEPTH} levels deep")
                stack.append(_Node({} if is_map else [], line))
            elif isinstance(ev, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                done = stack.pop()
                if not stack:
                    root_lines.update(done.key_lines)
                add(done.value, done.line)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = 2 + (mark.line if mark else 0)
        where = ""
        if exc.context_mark is not None and exc.problem_mark is not None \
                and exc.context_mark.line != exc.problem_mark.line:
            where = f" ({exc.context or 'construct'} started at line {exc.context_mark.line + 2})"
        raise refuse(line, f"YAML syntax error in front matter: {exc.problem or exc}{where}") from None
    except yaml.YAMLError as exc:
        raise refuse(2, f"YAML error in front matter: {exc}") from None
    data = root[0] if root else None
    if isinstance(data, dict):
        return {str(k): v for k, v in data.items()}, root_lines
    return data, {}


def _scalar(constructor: yaml.constructor.SafeConstructor, ev: yaml.ScalarEvent, line: int,
            refuse: Callable[[int, str], RecordInvalid]) -> Any:
    tag = ev.tag
    if tag is None or tag == "!":
        tag = _RESOLVE(yaml.ScalarNode, ev.value, ev.implicit)
    if tag == _MERGE_TAG:
        raise refuse(line, "YAML merge key '<<' in front matter: write the fields out")
    node = yaml.ScalarNode(tag, ev.value, None, None, ev.style)  # the line is reported by the caller
    shown = ev.value if len(ev.value) <= 40 else ev.value[:40] + "…"
    try:
        value = constructor.construct_object(node, deep=True)
    except yaml.MarkedYAMLError as exc:
        raise refuse(line, f"YAML error in front matter: {exc.problem or exc}") from None
    except (ValueError, TypeError, AttributeError, OverflowError, ArithmeticError):
        raise refuse(line, f"value '{shown}' cannot be read as {tag.rsplit(':', 1)[-1]}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise refuse(line, f"value '{shown}' is not a finite number: NaN and infinity are not allowed")
    return value


def _sources(front: dict[str, Any], line: int, name: str, errors: list[RecordError]) -> list[Source]:
    raw = front.get("sources")
    if raw is None:
        return []
    if not isinstance(raw, list):
        errors.append(RecordError(name, line, "'sources' must be a list of {id, title, url}"))
        return []
    out: list[Source] = []
    for i, s in enumerate(raw):
        if not isinstance(s, dict) or not s.get("id") or not s.get("title"):
            errors.append(RecordError(name, line, f"source #{i + 1} needs at least 'id' and 'title'"))
            continue
        out.append(Source(id=str(s["id"]).strip(), title=str(s["title"]).strip(),
                          url=str(s.get("url") or "").strip(), publisher=str(s.get("publisher") or ""),
                          year=str(s.get("year") or ""), accessed=str(s.get("accessed") or "")))
    return out


def _walk_body(rec: Record, body: list[str], offset: int, name: str, errors: list[RecordError]) -> None:
    tokens = _MD.parse("\n".join(body))
    heads = [(i, t) for i, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h2"]
    if len(heads) > MAX_SECTIONS:
        raise RecordInvalid([RecordError(name, offset + _start(heads[MAX_SECTIONS][1]) + 1,
                                         f"more than {MAX_SECTIONS} '##' sections: split the record")])
    rows = [t for t in tokens if t.type == "tr_open"]
    if len(rows) > MAX_TABLE_ROWS:
        raise RecordInvalid([RecordError(name, offset + _start(rows[MAX_TABLE_ROWS]) + 1,
                                         f"more than {MAX_TABLE_ROWS} table rows: split the record")])
    for n, (i, tok) in enumerate(heads):
        start = _start(tok)
        nxt = heads[n + 1][1].map if n + 1 < len(heads) else None
        end = nxt[0] if nxt else len(body)
        title = tokens[i + 1].content.strip()
        rec.sections.append(Section(title=title, text="\n".join(body[start + 1:end]).strip(),
                                    line=offset + start + 1))
    section = ""
    sub: tuple[str, int] | None = None
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t.type == "heading_open":
            title = tokens[i + 1].content.strip()
            if t.tag == "h2":
                section, sub = title, None
            elif t.tag == "h3":
                sub = (title, offset + _start(t) + 1)
        elif t.type == "table_open":
            i = _table(tokens, i, rec, section, offset, name, errors)
            continue
        elif t.type == "bullet_list_open" and section.lower() == "barriers" and sub is not None:
            i = _barrier(tokens, i, rec, sub, offset, name, errors)
            sub = None
            continue
        i += 1


def _start(tok: Token) -> int:
    """The first source line (0-based) of a token, 0 when it has no map."""
    return tok.map[0] if tok.map else 0


def _cells(tokens: list[Token], i: int, close: str) -> tuple[list[str], int]:
    cells: list[str] = []
    while tokens[i].type != close:
        if tokens[i].type == "inline":
            cells.append(tokens[i].content.strip())
        i += 1
    return cells, i + 1


def _plain(cell: str) -> str:
    return cell.replace("**", "").replace("`", "").strip()


def _table(tokens: list[Token], i: int, rec: Record, section: str, offset: int, name: str,
           errors: list[RecordError]) -> int:
    table_line = offset + _start(tokens[i]) + 1
    while tokens[i].type != "tr_open":
        i += 1
    header, i = _cells(tokens, i, "tr_close")
    cols = [h.lower().strip() for h in header]
    rows: list[tuple[int, list[str]]] = []
    while tokens[i].type != "table_close":
        if tokens[i].type == "tr_open":
            line = offset + _start(tokens[i]) + 1
            cells, i = _cells(tokens, i, "tr_close")
            rows.append((line, cells))
        else:
            i += 1
    is_quantity = "value" in cols or any(c in cols for c in RANGE_COLUMNS)
    if not is_quantity:
        return i + 1
    item_col = next((c for c in ITEM_COLUMNS if c in cols), None)
    for req, present in (("item", item_col), ("unit", "unit" in cols), ("evidence", "evidence" in cols),
                         ("source", "source" in cols)):
        if not present:
            errors.append(RecordError(name, table_line, f"quantity table lacks a '{req}' column"))
    if errors and errors[-1].line == table_line:
        return i + 1
    for line, cells in rows:
        row = {c: _plain(cells[k]) if k < len(cells) else "" for k, c in enumerate(cols)}
        q = _quantity(row, item_col or "item", section, line, name, errors)
        if q is not None:
            rec.quantities.append(q)
    return i + 1


def parse_number(text: str) -> float:
    """Parse a plain number cell (``1340``, ``-0.34``, ``1e6``); raise ValueError otherwise."""
    t = text.strip().replace("\u2212", "-").replace("\u00a0", "")
    if t.startswith("+"):
        t = t[1:]
    if "," in t or not re.fullmatch(r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", t):
        raise ValueError(text)
    value = float(t)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(text)
    return value


def _quantity(row: dict[str, str], item_col: str, section: str, line: int, name: str,
              errors: list[RecordError]) -> Quantity | None:
    item = row.get(item_col, "")
    if not item:
        errors.append(RecordError(name, line, "table row has an empty item"))
        return None
    raw_value = row.get("value")
    evidence = row.get("evidence", "").strip().lower()
    sources = [s.split()[0] for s in re.split(r"[;,]", row.get("source", "")) if s.strip()]
    q = Quantity(section=section, item=item, unit=row.get("unit", "").strip(), evidence=evidence,
                 sources=sources, year=row.get("year", ""), key=row.get("key", "").strip(),
                 note=row.get("note", ""), line=line)
    if raw_value is not None and raw_value.strip().lower() == "missing":
        q.missing = True
        if evidence in MISSING_MARKS:
            q.evidence = ""
        if sources and sources[0] in MISSING_MARKS:
            q.sources = []
        return q
    if sources and all(s in MISSING_MARKS for s in sources):
        q.sources = []
    try:
        if raw_value is not None:
            if not raw_value.strip():
                errors.append(RecordError(name, line, f"'{item}': value is empty; give a number or 'missing'"))
                return None
            q.value = parse_number(raw_value)
        else:
            for c in RANGE_COLUMNS:
                cell = row.get(c, "").strip()
                if cell and cell not in MISSING_MARKS:
                    setattr(q, c, parse_number(cell))
            if q.low is None and q.mid is None and q.high is None:
                errors.append(RecordError(name, line, f"'{item}': low, mid and high are all empty"))
                return None
    except ValueError as exc:
        errors.append(RecordError(name, line, f"'{item}': value '{exc}' is not a number "
                                              "(write plain numbers such as 1340 or 0.25, no thousands separators)"))
        return None
    return q


def _barrier(tokens: list[Token], i: int, rec: Record, sub: tuple[str, int], offset: int, name: str,
             errors: list[RecordError]) -> int:
    fields: dict[str, str] = {}
    depth = 0
    while True:
        t = tokens[i]
        if t.type == "bullet_list_open":
            depth += 1
        elif t.type == "bullet_list_close":
            depth -= 1
            if depth == 0:
                i += 1
                break
        elif t.type == "inline" and ":" in t.content:
            k, v = t.content.split(":", 1)
            fields[k.strip().lower().replace("_", " ")] = v.strip()
        i += 1
    title, line = sub
    missing = [k for k in ("type", "what happened", "source") if not fields.get(k)]
    if missing:
        errors.append(RecordError(name, line, f"barrier '{title}' lacks: {', '.join(missing)}"))
        return i
    rec.barriers.append(Barrier(
        title=title, type=fields["type"].lower(), what_happened=fields["what happened"],
        source=fields["source"], phase=fields.get("phase", "").lower(),
        what_was_tried=fields.get("what was tried", ""), outcome=fields.get("outcome", "").lower(), line=line,
    ))
    return i


def cited_ids(text: str) -> list[tuple[str, int]]:
    """Source ids cited inline as ``[S1]`` or ``[S1; S2]`` with the 0-based line of each."""
    out: list[tuple[str, int]] = []
    for n, ln in enumerate(text.split("\n")):
        for m in _CITE.finditer(ln):
            out.extend((s.strip(), n) for s in re.split(r"[;,]", m.group(1)))
    return out
