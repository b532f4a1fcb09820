"""The brief's numbered sources: record sources, records themselves and the model, numbered in order of first use."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Engine

from kb.briefs.lang import t
from kb.briefs.model import BriefSource, inert
from kb.lessons.format import Lesson
from kb.store import catalog
from kb.store.readmodel import StoredRecord
from kb.text import safe_url

CITE = re.compile(r"\[((?:S\w+)(?:\s*[;,]\s*S\w+)*)\]")
REF = re.compile(r"\[\d+(?:; \d+)*\]")
DIGIT = re.compile(r"\d")
SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'*])")
QUALIFIED = re.compile(r"^([a-z0-9][a-z0-9-]*)(?:\s*[:/#]\s*|\s+)(S\w+)(?::.*)?$")


class SourceBook:
    """Hands out ``[n]`` references; the same source always gets the same number."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._numbers: dict[str, int] = {}
        self._entries: list[BriefSource] = []
        self._records: dict[str, StoredRecord | None] = {}

    def _add(self, key: str, title: str, url: str = "", publisher: str = "", year: str = "", origin: str = "") -> int:
        if key not in self._numbers:
            n = len(self._entries) + 1
            self._numbers[key] = n
            self._entries.append(BriefSource(n, title, safe_url(url) if url else "", publisher, year, origin))
        return self._numbers[key]

    def entries(self) -> list[BriefSource]:
        return list(self._entries)

    def _get(self, record_id: str) -> StoredRecord | None:
        if record_id not in self._records:
            try:
                self._records[record_id] = catalog.get_record(self._engine, record_id)
            except catalog.RecordNotFound:
                self._records[record_id] = None
        return self._records[record_id]

    def record(self, rec: StoredRecord) -> str:
        """``[n]`` for a knowledge-base record itself (its text and figures as filed)."""
        n = self._add(f"record:{rec.id}", t("Knowledge-base record “{title}”").format(title=rec.title),
                      publisher="ATELIER PED knowledge base", origin=t("record {id}").format(id=rec.id))
        return f"[{n}]"

    def model(self, seed: int) -> str:
        """``[n]`` for the replication model's own arithmetic (evidence: estimate)."""
        n = self._add("model", t("Replication estimate made for this brief: seeded Monte Carlo over the inputs in "
                                 "the Assumptions table (seed {seed}), and the transfer-fit scores").format(seed=seed),
                      publisher="ATELIER PED knowledge base", origin="kb.replication")
        return f"[{n}]"

    def _source(self, rec: StoredRecord, sid: str) -> int | None:
        s = rec.source(sid)
        if s is None:
            return None
        key = f"url:{s.url}" if s.url else f"{rec.id}:{sid}"  # one number per document
        return self._add(key, s.title, s.url, s.publisher, s.year, f"{rec.id} {sid}")

    def cite(self, rec: StoredRecord, sources: str | None) -> str:
        """``[n; m]`` for a record's ``S1; S3`` (unknown ids fall back to the record itself); ``—`` for none."""
        if not sources or sources.strip() in ("", "—", "-"):
            return "—"
        nums: list[int] = []
        for sid in re.split(r"\s*[;,]\s*", sources.strip()):
            n = self._source(rec, sid)
            nums.append(n if n is not None else int(self.record(rec)[1:-1]))
        return "[" + "; ".join(str(n) for n in dict.fromkeys(nums)) + "]"

    def assumption(self, a: dict[str, Any], sol: StoredRecord) -> str:
        """``[n]`` for an assumption's source: ``record:S1`` / ``record S1``, a bare ``S1`` of a named record, text."""
        src = a.get("source")
        record_id = a.get("record") or a.get("record_id")
        if isinstance(src, dict):
            record_id, src = src.get("record") or src.get("record_id") or record_id, src.get("id") or src.get("title")
        if not src or str(src).strip() in ("—", "-"):
            return "—"
        nums: list[int] = []
        for token in self._labels(str(src).strip()):
            m = QUALIFIED.match(token)
            rec: StoredRecord | None = None
            sid = token
            if m and self._get(m.group(1)):
                rec, sid = self._get(m.group(1)), m.group(2)
            elif record_id and self._get(str(record_id)):
                rec = self._get(str(record_id))
            elif re.fullmatch(r"S\w+", token):
                rec = sol
            n = self._source(rec, sid) if rec else None
            if n is None and rec is not None and not re.fullmatch(r"S\w+", sid):
                n = int(self.record(rec)[1:-1])
            if n is None:
                n = self.note(token, t("an input of the replication model; no published source"))
            nums.append(n)
        return "[" + "; ".join(str(n) for n in dict.fromkeys(nums)) + "]"

    def note(self, text: str, origin: str) -> int:
        """The number of a source that is a stated note, not a document ("chosen by the user"): one whole sentence."""
        title = inert(text).rstrip(".")
        return self._add(f"text:{title}", title[:1].upper() + title[1:], origin=origin)

    def _labels(self, text: str) -> list[str]:
        """The cited labels of an assumption's source, split at ``;`` only where the next label begins — a
        ``record S1: title`` of a known record or a bare ``S1`` — never inside a title ("Ember; Electricity Maps")."""
        parts = re.split(r"\s*;\s*", text)
        out: list[str] = []
        for part in parts:
            m = QUALIFIED.match(part)
            starts = bool(re.fullmatch(r"S\w+", part)) or bool(m and self._get(m.group(1)))
            if out and not starts:
                out[-1] = f"{out[-1]}; {part}"
            else:
                out.append(part)
        return out

    def app_lesson(self, les: Lesson) -> str:
        """``[n]`` for a lesson written in the app (its title and author are user input, made inert)."""
        title = inert(t("Lesson “{title}” by {author}").format(title=les.title, author=les.author or t("hub staff")))
        n = self._add(f"lesson:{les.id}", title, publisher="ATELIER PED knowledge base (published lesson)",
                      origin=inert(f"lesson {les.id}"))
        return f"[{n}]"

    def prose(self, rec: StoredRecord | None, text: str, fallback: str | None = None) -> str:
        """Prose on one line, ``[S1]`` cites numbered; a sentence with a figure and no cite cites its record."""
        flat = " ".join(ln.strip().removeprefix("- ").removeprefix("* ") for ln in text.split("\n") if ln.strip())
        if rec is not None:
            flat = CITE.sub(lambda m: self.cite(rec, m.group(1)), flat)
        out = []
        for sentence in SENTENCE.split(flat):
            if DIGIT.search(REF.sub("", sentence)) and not REF.search(sentence):
                ref = fallback or (self.record(rec) if rec is not None else "")
                stripped = sentence.rstrip()
                end = stripped[-1] if stripped and stripped[-1] in ".!?" else ""
                sentence = f"{stripped[:-1] if end else stripped} {ref}{end}"
            out.append(sentence)
        return " ".join(out)
