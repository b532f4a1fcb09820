"""Hybrid search: FTS5 BM25 and dense vectors fused by reciprocal rank fusion, with facets and snippets."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import Engine
from sqlmodel import Session

from kb.embeddings import Embedder, EmbedderError
from kb.search import glossary
from kb.search.snippets import Span, clean_query, drop_header, parse_marked, plain_snippet, spans_text
from kb.store import database, snapshot, version
from kb.store import fts as search_backend
from kb.store.catalog import RecordNotFound
from kb.store.write import KEYWORDS_SECTION
from kb.text import fold

log = logging.getLogger(__name__)

RECHECK_SECONDS = 0.5
"""How long a search engine trusts its snapshot without reading the data version again (unless this process
committed a write meanwhile): a page's several searches share one check, and another replica's write shows within
half a second."""
QUERY_VECTORS = 256
"""Query vectors an engine keeps (least recently used dropped first): a query asked again, or the same query on
another rerun of a page, is not embedded again."""
FACETS: tuple[str, ...] = ("city", "kind", "category", "measure_type", "barrier_type", "status", "evidence")

DENSE_FLOORS: dict[str, float] = {"all-MiniLM-L6-v2": 0.36}
"""Relevance floor per embedding model: when no chunk shares a word with the query, the best cosine similarity
must reach this for any result to be shown. Measured on the bundled corpus (534 chunks; 2025 run, see the
docstring of ``dense_floor``): 400 random letter strings reached at most 0.398 (99th percentile 0.350,
"xqzvbnm" 0.236), while misspelt real words with no lexical match reached 0.395 ("batery") and 0.396 ("heatpum");
real queries that do share words have their best chunk at 0.29 to 0.82. 0.36 rejects about 99 % of nonsense and
keeps the common one-letter typos."""


def dense_floor(model: str) -> float | None:
    """The relevance floor for a model's similarities (None: not measured, no floor).

    The hashing fake embedder (``fake*``) gives similarity to texts that share no word only by hash collisions
    (random strings reached 0.27 to 0.86 on the bundled corpus), so without a shared word nothing is relevant:
    its floor is infinite. Re-measure with a new model before adding it (random strings vs misspelt words).
    """
    if model.startswith("fake"):
        return math.inf
    return DENSE_FLOORS.get(model)


STATUS_FACTORS: dict[str, float] = {"operational": 1.1, "completed": 1.1, "under-construction": 1.0,
                                    "planned": 0.75, "concept": 0.75, "dropped": 0.8}
PROVEN_EVIDENCE = frozenset({"measured", "installed"})
PROVEN_FACTOR = 1.1      # a solution with at least one measured or installed figure
NO_FIGURES_FACTOR = 0.9  # a solution that publishes no figure at all


def evidence_factor(rec: Mapping[str, object]) -> float:
    """How a solution record's status and evidence weigh its search score (1.0 for every other kind).

    Judgement weights, not fitted: an operational or completed solution with measured or installed figures
    counts 1.21 times its text-and-meaning score, a planned programme or concept without any figure 0.675 times,
    so a built, measured solution comes first unless the planned one matches clearly better (by ~1.8x). Dropped
    schemes are demoted less (0.8): they are lessons worth finding. Lessons, measure types, cities and any
    document collection (the benchmarks) are never re-weighted.
    """
    if rec.get("kind") != "solution":
        return 1.0
    raw = rec.get("evidence")
    evidence = {str(e) for e in raw} if isinstance(raw, list) else set()
    factor = STATUS_FACTORS.get(str(rec.get("status") or ""), 1.0)
    if evidence & PROVEN_EVIDENCE:
        factor *= PROVEN_FACTOR
    elif not evidence:
        factor *= NO_FIGURES_FACTOR
    return factor


@dataclass(frozen=True)
class SearchConfig:
    """Fusion settings; the defaults were chosen on the SciFact train split (see tests/benchmarks)."""

    fusion: str = "rrf"             # "rrf" or "convex"
    rrf_k: float = 5.0
    bm25_weight: float = 1.5        # RRF weight of the BM25 list (the dense list has weight 1)
    alpha: float = 0.5              # convex fusion: weight of the min-max normalised dense score
    depth: int = 100                # candidates taken from each retriever
    fts_weights: tuple[float, float, float] = (2.0, 1.0, 1.0)  # title, section, text
    sections_per_hit: int = 3
    translate: bool = True          # read non-English queries with kb.search.glossary and search their English too
    relevance_floor: bool = True    # hybrid: no lexical match and similarity under ``dense_floor`` → no results
    evidence_order: bool = True     # weigh solution records by status and evidence (``evidence_factor``)


@dataclass
class SectionHit:
    """One matching section of a record: why it matched and where."""

    chunk_id: int
    section: str
    score: float
    snippet: list[Span]
    bm25_rank: int | None = None
    dense_rank: int | None = None

    @property
    def why(self) -> str:
        parts = []
        if self.bm25_rank is not None:
            parts.append("your words")
        if self.dense_rank is not None:
            parts.append("similar meaning")
        return " and ".join(parts) or "related"


@dataclass
class Hit:
    """A record in the results, with its best sections first."""

    id: str
    kind: str
    title: str
    city: str
    status: str
    score: float
    sections: list[SectionHit]
    facets: dict[str, list[str]] = field(default_factory=dict)

    @property
    def section(self) -> str:
        return self.sections[0].section if self.sections else ""

    @property
    def snippet(self) -> list[Span]:
        return self.sections[0].snippet if self.sections else []

    def to_json(self) -> dict[str, Any]:
        """The CLI shape: id, kind, title, city, score, section, snippet (hits marked with ``**``)."""
        return {"id": self.id, "kind": self.kind, "title": self.title, "city": self.city,
                "score": round(self.score, 6), "section": self.section, "snippet": spans_text(self.snippet)}


@dataclass
class SearchResponse:
    """Ranked hits, facet counts over the candidate records, and how many candidates there were."""

    query: str
    hits: list[Hit]
    facets: dict[str, dict[str, int]]
    total: int
    mode: str
    language: str = "en"            # the language the query was read as (ISO 639-1)
    translation: str = ""           # its English terms, searched with it ("" for English or none found)
    below_floor: bool = False       # nothing shares a word with the query and nothing is close enough in meaning

    @property
    def language_note(self) -> str:
        """E.g. ``Query read as Polish; searched also as: storage surplus solar`` ("" for English)."""
        return glossary.Reading(self.language, self.translation).note()


Filters = Mapping[str, Sequence[str] | str | None]


class SearchEngine:
    """Search over a knowledge-base database, or any collection written in its schema (``kb.search.collection``)."""

    def __init__(self, engine: Engine, embedder: Embedder | None = None,
                 config: SearchConfig | None = None) -> None:
        self.engine = engine
        self.embedder = embedder
        self.config = config or SearchConfig()
        self._index: snapshot.IndexData | None = None
        self._version: int | None = None
        self._commits = -1
        self._checked = 0.0
        self.reloads: dict[str, int] = {"full": 0, "incremental": 0}
        """How often the snapshot was loaded whole or refreshed for a few records (benchmarks and tests read it)."""
        self._lock = threading.Lock()
        self._qvecs: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()

    # --- index --------------------------------------------------------------------------------------------

    def index(self) -> snapshot.IndexData:
        """The in-memory snapshot of vectors and facets, in step with the database.

        The data version (``kb.store.version``: one primary-key read) is checked at most every ``RECHECK_SECONDS``
        unless this process committed a write since (then at once): a search right after a publish on this
        replica sees it, and a write on another replica is seen within ``RECHECK_SECONDS``. When the version
        moved, only the records changed since are read again (``snapshot.refresh``); a whole reload happens on
        the first call, after many changes, or when the database is not the one the snapshot came from.
        """
        now, commits = time.monotonic(), version.local_commits()
        with self._lock:
            if (self._index is not None and commits == self._commits
                    and now - self._checked < RECHECK_SECONDS):
                return self._index
            with database.read_session(self.engine) as s:
                self._index = self._refreshed(s)
            self._commits, self._checked = commits, now
            return self._index

    def _refreshed(self, s: Session) -> snapshot.IndexData:
        """The snapshot after reading the version (first) and then what changed since the one held."""
        seen = version.current(s)
        idx, held = self._index, self._version
        if idx is not None and held is not None and seen == held:
            return idx
        if idx is not None and held is not None and seen > held:  # a lower number: another database, reload
            fresh = snapshot.refresh(s, idx, version.changed_since(s, held))
            if fresh is not None:
                self.reloads["incremental"] += 1
                self._version = seen
                return fresh
        self.reloads["full"] += 1
        self._version = seen
        return snapshot.load_index(s)

    def _dense_ok(self, idx: snapshot.IndexData) -> bool:
        return (self.embedder is not None and idx.vectors.shape[1] > 0 and bool(idx.has_vector.any())
                and (idx.model == self.embedder.name or not idx.model))

    def _encode(self, query: str, idx: snapshot.IndexData) -> np.ndarray | None:
        if self.embedder is None or not self._dense_ok(idx):
            return None
        q = self.query_vector(query)
        if q is None:
            return None
        if q.shape[0] != idx.vectors.shape[1]:
            return None
        n = float(np.linalg.norm(q))
        return q / n if n > 0 else None

    def query_vector(self, query: str) -> np.ndarray | None:
        """The embedder's vector of a query, from a small LRU keyed by the model and the text (``None`` without a
        model: the search falls back to full-text ranking)."""
        if self.embedder is None:
            return None
        key = (self.embedder.name, query)
        with self._lock:
            hit = self._qvecs.get(key)
            if hit is not None:
                self._qvecs.move_to_end(key)
                return hit
        try:
            q = np.asarray(self.embedder.encode([query])[0], dtype=np.float32)
        except EmbedderError as exc:
            log.warning("dense search unavailable, full-text only: %s", exc)
            return None
        q.setflags(write=False)  # shared by every later search of the same text
        with self._lock:
            self._qvecs[key] = q
            while len(self._qvecs) > QUERY_VECTORS:
                self._qvecs.popitem(last=False)
        return q

    # --- facets -------------------------------------------------------------------------------------------

    def record_mask(self, idx: snapshot.IndexData, filters: Filters | None,
                    skip: str | None = None) -> np.ndarray | None:
        """Records passing every facet filter (values within a facet are alternatives); None = no filter."""
        wanted = _normalise_filters(filters)
        if skip:
            wanted.pop(skip, None)
        if not wanted:
            return None
        mask = np.ones(len(idx.records), dtype=bool)
        for i, rec in enumerate(idx.records):
            for facet, values in wanted.items():
                have = _facet_values(rec, facet)
                if not any(fold(v) in values for v in have):
                    mask[i] = False
                    break
        return mask

    # --- search -------------------------------------------------------------------------------------------

    def search(self, query: object, filters: Filters | None = None, limit: int = 10,
               mode: str = "hybrid", snippets: bool = True) -> SearchResponse:
        """Ranked records for any query string; never raises on odd input (an empty query gives no hits)."""
        q = clean_query(query)
        limit = max(0, min(int(limit), 1000))
        idx = self.index()
        rmask = self.record_mask(idx, filters)
        if not q.strip() or not any(ch.isalnum() for ch in q):
            counts = _counts(idx, range(len(idx.records)), rmask, self, filters)
            return SearchResponse(q, [], counts, 0, mode)
        text_q, dense_q, reading = glossary.expand(q) if self.config.translate else (q, q, glossary.Reading())
        qvec = self._encode(dense_q, idx) if mode in ("hybrid", "dense") else None
        fused, ranks, floored = self._rank_chunks(idx, text_q, qvec, rmask, mode, max(limit, 1))
        grouped = self._group(idx, fused, ranks)
        hits = self._hits(idx, text_q, grouped[:limit], ranks, snippets)
        if rmask is None:
            cand = [r for r, _ in grouped]
            counts = _counts(idx, cand, None, self, filters)
        else:
            fused_all, ranks_all, _ = self._rank_chunks(idx, text_q, qvec, None, mode, max(limit, 1))
            cand = [r for r, _ in self._group(idx, fused_all, ranks_all)]
            counts = _counts(idx, cand, rmask, self, filters)
        used = mode if qvec is not None or mode == "bm25" else "bm25"
        return SearchResponse(q, hits, counts, len(grouped), used, reading.language, reading.english,
                              below_floor=floored and not hits)

    def _rank_chunks(self, idx: snapshot.IndexData, q: str, qvec: np.ndarray | None,
                     rmask: np.ndarray | None, mode: str, limit: int
                     ) -> tuple[list[tuple[int, float]], dict[int, tuple[int | None, int | None]], bool]:
        """Fused ``[(row, score)]`` best first over chunk rows, each row's (bm25 rank, dense rank), and whether
        the relevance floor emptied the list (hybrid mode only, and only when no chunk matched a word)."""
        depth = max(self.config.depth, limit * self.config.sections_per_hit)
        cmask = rmask[idx.chunk_record] if rmask is not None else None
        bm25: list[tuple[int, float]] = []
        if mode in ("hybrid", "bm25"):
            allowed = idx.chunk_ids[cmask].tolist() if cmask is not None else None
            with database.read_session(self.engine) as s:
                found = search_backend.fts_ranked(s, q, depth, self.config.fts_weights, allowed)
            rows = np.searchsorted(idx.chunk_ids, np.array([c for c, _ in found], dtype=np.int64))
            bm25 = [(int(r), sc) for r, (cid, sc) in zip(rows, found, strict=True)
                    if r < len(idx.chunk_ids) and idx.chunk_ids[r] == cid]
        dense: list[tuple[int, float]] = []
        if qvec is not None:
            dense = _dense_top(idx, qvec, cmask, depth)
        floored = False
        if mode == "hybrid" and self.config.relevance_floor and not bm25 and dense and self.embedder is not None:
            floor = dense_floor(self.embedder.name)
            if floor is not None and dense[0][1] < floor and not self._matches_any_word(q, cmask):
                dense, floored = [], True
        return fuse(bm25, dense, self.config), _ranks(bm25, dense), floored

    def _matches_any_word(self, q: str, cmask: np.ndarray | None) -> bool:
        """Whether any chunk of the whole collection shares a word with the query (filters aside: a real query
        narrowed to records without its words still shows the closest in meaning)."""
        if cmask is None:
            return False  # the caller ranked the whole collection and found no word
        with database.read_session(self.engine) as s:
            return bool(search_backend.fts_ranked(s, q, 1, self.config.fts_weights))

    def _group(self, idx: snapshot.IndexData, fused: list[tuple[int, float]],
               ranks: dict[int, tuple[int | None, int | None]]) -> list[tuple[int, list[tuple[int, float]]]]:
        """Chunk rows grouped per record, records ordered by their best chunk (scores weighed by
        ``evidence_factor`` when ``evidence_order`` is on; ties keep the fused order)."""
        by_rec: dict[int, list[tuple[int, float]]] = {}
        for row, score in fused:
            by_rec.setdefault(int(idx.chunk_record[row]), []).append((row, score))
        groups = list(by_rec.items())
        if not self.config.evidence_order:
            return groups
        weighed = []
        for rec_i, rows in groups:
            f = evidence_factor(idx.records[rec_i])
            weighed.append((rec_i, [(row, score * f) for row, score in rows] if f != 1.0 else rows))
        return sorted(weighed, key=lambda g: -g[1][0][1])

    def _shown(self, idx: snapshot.IndexData, rec_i: int, rows: list[tuple[int, float]]
               ) -> list[tuple[int, float]]:
        """The sections a hit shows, best first, never the keyword list. When the keyword list is the record's best
        match, the record's summary (or first section) comes first, with its own score (0 if it did not match),
        so a snippet always says what the record is in its own words."""
        per = self.config.sections_per_hit
        shown = [(row, sc) for row, sc in rows if idx.chunk_section[row] != KEYWORDS_SECTION]
        if not rows or idx.chunk_section[rows[0][0]] != KEYWORDS_SECTION:
            return shown[:per]
        own = [int(r) for r in np.flatnonzero(idx.chunk_record == rec_i)
               if idx.chunk_section[int(r)] != KEYWORDS_SECTION]
        if not own:
            return rows[:per]
        best = next((r for r in own if idx.chunk_section[r] == "Summary"), own[0])
        score = next((sc for row, sc in shown if row == best), 0.0)
        return [(best, score), *[(row, sc) for row, sc in shown if row != best]][:per]

    def _hits(self, idx: snapshot.IndexData, q: str, groups: list[tuple[int, list[tuple[int, float]]]],
              ranks: dict[int, tuple[int | None, int | None]], snippets: bool = True) -> list[Hit]:
        shown = {rec_i: self._shown(idx, rec_i, rows) for rec_i, rows in groups}
        want = [idx.chunk_ids[row] for rows in shown.values() for row, _ in rows] if snippets else []
        with database.read_session(self.engine) as s:
            texts = search_backend.chunk_texts(s, [int(c) for c in want])
            marks = search_backend.fts_snippets(s, q, [int(c) for c in want]) if snippets else {}
            hits = []
            for rec_i, rows in groups:
                rec = idx.records[rec_i]
                sections = []
                for row, score in shown[rec_i]:
                    cid = int(idx.chunk_ids[row])
                    br, dr = ranks.get(row, (None, None))
                    marked = marks.get(cid)
                    section = idx.chunk_section[row]
                    snippet = (parse_marked(drop_header(marked, section), search_backend.HIT_START,
                                            search_backend.HIT_END)
                               if marked else plain_snippet(_body(texts.get(cid, ""))))
                    sections.append(SectionHit(cid, section, score, snippet, br, dr))
                hits.append(Hit(str(rec["id"]), str(rec["kind"]), str(rec["title"]), str(rec["city"]),
                                str(rec["status"]), rows[0][1], sections,
                                {f: _facet_values(rec, f) for f in FACETS}))
        return hits

    # --- more like this -----------------------------------------------------------------------------------

    def similar(self, record_id: str, limit: int = 5, filters: Filters | None = None) -> list[Hit]:
        """Records most like ``record_id``: mean of its section vectors (BM25 on its title if it has none)."""
        idx = self.index()
        rec_i = next((i for i, r in enumerate(idx.records) if r["id"] == record_id), None)
        if rec_i is None:
            raise RecordNotFound(record_id)
        own = idx.chunk_record == rec_i
        rmask = self.record_mask(idx, filters)
        rmask = np.ones(len(idx.records), dtype=bool) if rmask is None else rmask.copy()
        rmask[rec_i] = False
        title = str(idx.records[rec_i]["title"])
        use = own & idx.has_vector
        if self._dense_ok(idx) and use.any():
            centroid = idx.vectors[use].mean(axis=0)
            norm = float(np.linalg.norm(centroid))
            if norm > 0:
                dense = _dense_top(idx, centroid / norm, rmask[idx.chunk_record], max(50, limit * 10))
                fused = fuse([], dense, self.config)
                ranks = _ranks([], dense)
                return self._hits(idx, title, self._group(idx, fused, ranks)[:limit], ranks)
        fused, ranks, _ = self._rank_chunks(idx, title, None, rmask, "bm25", limit)
        return self._hits(idx, title, self._group(idx, fused, ranks)[:limit], ranks)


# --- fusion -------------------------------------------------------------------------------------------------

Ranked = list[tuple[int, float]]


def fuse(bm25: Ranked, dense: Ranked, cfg: SearchConfig) -> Ranked:
    """Two ranked lists as one ``[(row, score)]`` best first (RRF, or convex over min-max scores)."""
    scores: dict[int, float] = {}
    if cfg.fusion == "convex":
        for items, w in ((bm25, 1.0 - cfg.alpha), (dense, cfg.alpha)):
            if not items:
                continue
            vals = np.array([s for _, s in items], dtype=np.float64)
            lo, hi = float(vals.min()), float(vals.max())
            span = hi - lo if hi > lo else 1.0
            for (row, s) in items:
                scores[row] = scores.get(row, 0.0) + w * (s - lo) / span
    else:
        for items, w in ((bm25, cfg.bm25_weight), (dense, 1.0)):
            for rank, (row, _) in enumerate(items):
                scores[row] = scores.get(row, 0.0) + w / (cfg.rrf_k + rank + 1)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def _ranks(bm25: Ranked, dense: Ranked) -> dict[int, tuple[int | None, int | None]]:
    out: dict[int, tuple[int | None, int | None]] = {}
    for r, (row, _) in enumerate(bm25):
        out[row] = (r + 1, None)
    for r, (row, _) in enumerate(dense):
        out[row] = (out.get(row, (None, None))[0], r + 1)
    return out


def _dense_top(idx: snapshot.IndexData, qvec: np.ndarray, cmask: np.ndarray | None,
               depth: int) -> list[tuple[int, float]]:
    sims = idx.vectors @ qvec
    ok = idx.has_vector if cmask is None else (idx.has_vector & cmask)
    if not ok.all():
        sims = np.where(ok, sims, -np.inf)
    n = min(depth, int(ok.sum()))
    if n <= 0:
        return []
    top = np.argpartition(-sims, n - 1)[:n] if n < len(sims) else np.arange(len(sims))
    top = top[np.argsort(-sims[top], kind="stable")]
    return [(int(r), float(sims[r])) for r in top if np.isfinite(sims[r])]


# --- facet helpers ------------------------------------------------------------------------------------------

def _normalise_filters(filters: Filters | None) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for facet, values in (filters or {}).items():
        if facet not in FACETS or values is None:
            continue
        vals = [values] if isinstance(values, str) else list(values)
        folded = {fold(str(v)) for v in vals if str(v).strip()}
        if folded:
            out[facet] = folded
    return out


def _facet_values(rec: Mapping[str, object], facet: str) -> list[str]:
    v = rec.get(facet)
    if isinstance(v, list):
        return [str(x) for x in v]
    return [str(v)] if v else []


def _counts(idx: snapshot.IndexData, candidates: Sequence[int] | range, rmask: np.ndarray | None,
            eng: SearchEngine, filters: Filters | None) -> dict[str, dict[str, int]]:
    """Per facet value: candidate records that pass every *other* facet filter (so choices stay visible)."""
    out: dict[str, dict[str, int]] = {}
    for facet in FACETS:
        other = eng.record_mask(idx, filters, skip=facet) if rmask is not None else None
        counts: dict[str, int] = {}
        for r in candidates:
            if other is not None and not other[r]:
                continue
            for v in _facet_values(idx.records[r], facet):
                counts[v] = counts.get(v, 0) + 1
        out[facet] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return out


def _body(text: str) -> str:
    """A chunk's text without its ``title — section`` first line."""
    first, _, rest = text.partition("\n")
    return rest if rest and " — " in first else text
