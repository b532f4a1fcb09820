"""The dialect-specific half of search: full-text queries with a candidate filter, snippets, the fingerprint.

SQLite: an FTS5 table (Porter stemming, diacritics folded, BM25 with weights per column). PostgreSQL: a ``chunk_fts``
table of ``tsvector`` rows (title weight A, section B, text C; accents folded as FTS5 folds them) with a GIN index,
queried with ``websearch_to_tsquery`` (every token quoted, joined by OR, as the FTS5 query), ranked by ``ts_rank_cd``
with the same column weights, snippets by ``ts_headline`` with the same markers. ``kb.search.engine`` only calls the
functions below, which dispatch on the session's dialect (the in-memory snapshot of vectors and facets is plain SQL:
``kb.store.snapshot``).
"""

from __future__ import annotations

import json
import logging
import math
import os
import re

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session

from kb.text import fold

HIT_START = "\x02"
HIT_END = "\x03"
ELLIPSIS = "…"
log = logging.getLogger(__name__)

PG_CONFIGS: dict[str, str] = {"en": "english"}
"""The PostgreSQL text-search configuration of a record language (ISO 639-1): English records (all of them today)
are stemmed by ``english``, as FTS5 stems them by Porter; a record in any other language is indexed with ``simple``
(no stemming), which the query also reads, and its English terms are found through the glossary. A stemmer per
record language would need the query read with the same stemmer; add the language here and to
:data:`PG_QUERY_CONFIGS` together."""
PG_QUERY_CONFIGS = ("english", "simple")
"""The configurations a query is read with, OR-ed: every configuration :data:`PG_CONFIGS` indexes with."""
_PG_BATCH = 500


def _pg(bind: Session | Connection) -> bool:
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    return engine.dialect.name == "postgresql"


def pg_config(language: str | None) -> str:
    """The text-search configuration for a record language (``english`` when none is given)."""
    return PG_CONFIGS.get((language or "en").lower()[:2], "simple")


def create_fts_table(conn: Connection) -> None:
    """The full-text index over chunks (title, section, text): FTS5 (Porter-stemmed, diacritics folded) on SQLite, a
    ``tsvector`` table with a GIN index on PostgreSQL."""
    if _pg(conn):
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS chunk_fts (chunk_id BIGINT PRIMARY KEY, "
                             "config REGCONFIG NOT NULL, tsv TSVECTOR NOT NULL)")
        conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS chunk_fts_tsv ON chunk_fts USING GIN (tsv)")
        return
    conn.exec_driver_sql(
        "CREATE VIRTUAL TABLE IF NOT EXISTS chunk_fts USING fts5("
        "title, section, text, tokenize='porter unicode61 remove_diacritics 2')"
    )


_PG_INSERT = text(
    "INSERT INTO chunk_fts (chunk_id, config, tsv) VALUES (:id, CAST(:cfg AS regconfig), "
    "setweight(to_tsvector(CAST(:cfg AS regconfig), :t), 'A') || "
    "setweight(to_tsvector(CAST(:cfg AS regconfig), :s), 'B') || "
    "setweight(to_tsvector(CAST(:cfg AS regconfig), :b), 'C'))")


def _pg_row(chunk_id: int, title: str, section: str, body: str, language: str | None) -> dict[str, object]:
    return {"id": chunk_id, "cfg": pg_config(language), "t": fold(title), "s": fold(section), "b": fold(body)}


def fts_insert(session: Session, chunk_id: int, title: str, section: str, body: str,
               language: str | None = None) -> None:
    """Index one chunk; ``language``: the record's (PostgreSQL stems by it; FTS5 always by Porter's English)."""
    if _pg(session):
        session.execute(_PG_INSERT, params=_pg_row(chunk_id, title, section, body, language))
        return
    session.execute(text("INSERT INTO chunk_fts(rowid, title, section, text) VALUES (:id, :t, :s, :b)"),
                    params={"id": chunk_id, "t": title, "s": section, "b": body})


def fts_delete(session: Session, chunk_ids: list[int]) -> None:
    if not chunk_ids:
        return
    if _pg(session):
        session.execute(text("DELETE FROM chunk_fts WHERE chunk_id = ANY(:ids)"), params={"ids": list(chunk_ids)})
        return
    for cid in chunk_ids:
        session.execute(text("DELETE FROM chunk_fts WHERE rowid = :id"), params={"id": cid})


def _language(front: object) -> str | None:
    lang = _front_value(front, "language")
    return lang if isinstance(lang, str) else None


def fts_rebuild(session: Session) -> None:
    """Recreate every full-text row from the chunk table (after a restore)."""
    session.execute(text("DELETE FROM chunk_fts"))
    if _pg(session):  # accents are folded in Python, as at every insert
        rows = session.execute(text("SELECT c.id, r.title, c.section, c.text, r.front FROM chunk c "
                                    "JOIN record r ON r.id = c.record_id ORDER BY c.id"))
        batch: list[dict[str, object]] = []
        for cid, title, section, body, front in rows:
            batch.append(_pg_row(int(cid), title, section, body, _language(front)))
            if len(batch) == _PG_BATCH:
                session.execute(_PG_INSERT, batch)
                batch = []
        if batch:
            session.execute(_PG_INSERT, batch)
        return
    session.execute(text(
        "INSERT INTO chunk_fts(rowid, title, section, text) SELECT c.id, r.title, c.section, c.text "
        "FROM chunk c JOIN record r ON r.id = c.record_id"))


def fts_count(session: Session) -> int:
    return int(session.execute(text("SELECT count(*) FROM chunk_fts")).scalar_one())


def _tokens(query: str) -> list[str]:
    return re.findall(r"\w+", query.replace("\x00", " "), flags=re.UNICODE)[:64]


def fts_quote(query: str, operator: str = "OR") -> str:
    """Turn any user string into a safe FTS5 query: every token double-quoted, joined by ``operator``."""
    return f" {operator} ".join('"' + t.replace('"', '""') + '"' for t in _tokens(query))


def websearch_quote(query: str) -> str:
    """The same query for PostgreSQL's ``websearch_to_tsquery``: every (accent-folded) token quoted, joined by
    ``or``; a quoted token is never an operator, and the tokens hold no quote."""
    return " or ".join(f'"{t}"' for t in _tokens(fold(query)))


def _pg_tsquery() -> str:
    return " || ".join(f"websearch_to_tsquery('{c}', :q)" for c in PG_QUERY_CONFIGS)


def file_stamp(engine: Engine) -> tuple[int, ...] | None:
    """Modification times and sizes of the database file and its WAL (None when not a file database: PostgreSQL)."""
    path = engine.url.database
    if engine.url.get_backend_name() != "sqlite" or not path or path == ":memory:":
        return None
    out: list[int] = []
    for p in (path, path + "-wal"):
        try:
            st = os.stat(p)
            out += [st.st_mtime_ns, st.st_size, st.st_ino]
        except OSError:
            out += [0, 0, 0]
    return tuple(out)


def signature(session: Session) -> tuple[object, ...]:
    """A cheap fingerprint that changes whenever chunks or records are written or deleted."""
    row = session.execute(text(
        "SELECT (SELECT count(*) FROM chunk), (SELECT max(id) FROM chunk), (SELECT coalesce(sum(id), 0) FROM chunk), "
        "(SELECT count(*) FROM record), (SELECT max(updated_at) FROM record), "
        "(SELECT value FROM meta WHERE key = 'corpus_version')")).first()
    return tuple(int(v) if isinstance(v, int) else v for v in row) if row else ()


def _front_value(front: object, key: str) -> object:
    try:
        data = json.loads(str(front or "{}"))
    except ValueError:
        return None
    return data.get(key) if isinstance(data, dict) else None


def fts_ranked(session: Session, query: str, limit: int, weights: tuple[float, float, float],
               allowed: list[int] | None = None) -> list[tuple[int, float]]:
    """BM25 over ``chunk_fts`` (PostgreSQL: ``ts_rank_cd``): ``[(chunk_id, score)]`` best first, optionally only among
    ``allowed`` ids."""
    if _pg(session):
        return _pg_ranked(session, query, limit, weights, allowed)
    match = fts_quote(query)
    if not match or limit <= 0:
        return []
    w = ", ".join(f"{float(x):g}" for x in weights)
    params: dict[str, object] = {"q": match, "n": int(limit)}
    where = "chunk_fts MATCH :q"
    if allowed is not None:
        if not allowed:
            return []
        where += " AND rowid IN (SELECT value FROM json_each(:ids))"
        params["ids"] = json.dumps(allowed)
    sql = text(f"SELECT rowid, -bm25(chunk_fts, {w}) AS s FROM chunk_fts WHERE {where} "
               "ORDER BY s DESC LIMIT :n")
    try:
        return [(int(r[0]), float(r[1])) for r in session.execute(sql, params=params)]
    except OperationalError as exc:  # an FTS5 syntax error cannot happen with quoted tokens; never let one escape
        log.warning("full-text query %r failed: %s", match, exc.orig)
        return []


def fts_snippet(session: Session, query: str, chunk_id: int, tokens: int = 28) -> str | None:
    """The best fragment of a chunk's text, matches between ``HIT_START`` and ``HIT_END``; None: no match."""
    if _pg(session):
        return _pg_snippets(session, query, [chunk_id], tokens).get(int(chunk_id))
    match = fts_quote(query)
    if not match:
        return None
    sql = text("SELECT snippet(chunk_fts, 2, :a, :b, '…', :k) FROM chunk_fts "
               "WHERE chunk_fts MATCH :q AND rowid = :id")
    try:
        row = session.execute(sql, params={"a": HIT_START, "b": HIT_END, "k": int(tokens),
                                           "q": match, "id": int(chunk_id)}).first()
    except OperationalError as exc:  # as in fts_ranked: the page shows a plain snippet instead
        log.warning("full-text snippet for %r failed: %s", match, exc.orig)
        return None
    return str(row[0]) if row and row[0] is not None else None


def fts_snippets(session: Session, query: str, chunk_ids: list[int], tokens: int = 28) -> dict[int, str]:
    """:func:`fts_snippet` of several chunks in one full-text query (one MATCH, not one per chunk): chunk id ->
    its best fragment, for the chunks that match."""
    if _pg(session):
        return _pg_snippets(session, query, chunk_ids, tokens)
    match = fts_quote(query)
    if not match or not chunk_ids:
        return {}
    sql = text("SELECT rowid, snippet(chunk_fts, 2, :a, :b, '…', :k) FROM chunk_fts "
               "WHERE chunk_fts MATCH :q AND rowid IN (SELECT value FROM json_each(:ids))")
    try:
        rows = session.execute(sql, params={"a": HIT_START, "b": HIT_END, "k": int(tokens), "q": match,
                                            "ids": json.dumps([int(c) for c in chunk_ids])})
        return {int(r[0]): str(r[1]) for r in rows if r[1] is not None}
    except OperationalError as exc:  # as in fts_ranked: the page shows plain snippets instead
        log.warning("full-text snippets for %r failed: %s", match, exc.orig)
        return {}


def chunk_texts(session: Session, chunk_ids: list[int]) -> dict[int, str]:
    """The stored text of some chunks."""
    if not chunk_ids:
        return {}
    if _pg(session):
        rows = session.execute(text("SELECT id, text FROM chunk WHERE id = ANY(:ids)"),
                               params={"ids": [int(c) for c in chunk_ids]})
        return {int(i): str(t) for i, t in rows}
    sql = text("SELECT id, text FROM chunk WHERE id IN (SELECT value FROM json_each(:ids))")
    return {int(i): str(t) for i, t in session.execute(sql, params={"ids": json.dumps(chunk_ids)})}


# --- PostgreSQL ---------------------------------------------------------------------------------------------

def _pg_ranked(session: Session, query: str, limit: int, weights: tuple[float, float, float],
               allowed: list[int] | None) -> list[tuple[int, float]]:
    """BM25-like ranking on PostgreSQL: for each query term, its inverse document frequency (counted through the GIN
    index, as BM25's ``ln(1 + (N - df + 0.5) / (df + 0.5))``) times ``ts_rank`` of that term alone with the column
    weights (title A, section B, text C, scaled so the largest is 1, as PostgreSQL requires), normalised by length
    (flag 1: divided by 1 + log of the length) and saturated (flag 32: rank / (rank + 1), as BM25 saturates term
    frequency); summed over the terms; ties by chunk id. ``ts_rank_cd`` of the whole OR query, the first version,
    has no document frequency: a common word weighed as much as a rare one (SciFact test nDCG@10 0.397; this
    ranking 0.636, FTS5's BM25 0.689: tests/benchmarks/bench_fts_backends.py)."""
    terms = list(dict.fromkeys(_tokens(fold(query))))
    if not terms or limit <= 0:
        return []
    top = max(max(weights), 1e-9)
    title, section, body = (min(1.0, max(0.0, float(w) / top)) for w in weights)
    params: dict[str, object] = {"n": int(limit), "w": [body, body, section, title]}  # {D, C, B, A}
    queries = []
    for i, term in enumerate(terms):
        params[f"t{i}"] = f'"{term}"'
        queries.append(" || ".join(f"websearch_to_tsquery('{c}', :t{i})" for c in PG_QUERY_CONFIGS))
    try:
        with session.begin_nested():  # a failing query must not end the caller's transaction
            counts = session.execute(text(
                "SELECT (SELECT count(*) FROM chunk_fts), "
                + ", ".join(f"(SELECT count(*) FROM chunk_fts f WHERE f.tsv @@ ({q}))" for q in queries)),
                params=params).one()
            n_docs = int(counts[0])
            idf = [math.log(1.0 + (n_docs - int(df) + 0.5) / (int(df) + 0.5)) for df in counts[1:]]
            used = [i for i, df in enumerate(counts[1:]) if int(df) > 0]
            if not used:
                return []
            for i in used:
                params[f"idf{i}"] = idf[i]
            score = " + ".join(f":idf{i} * ts_rank(CAST(:w AS float4[]), f.tsv, {queries[i]}, 33)" for i in used)
            where = "f.tsv @@ (" + " || ".join(f"({queries[i]})" for i in used) + ")"
            if allowed is not None:
                if not allowed:
                    return []
                where += " AND f.chunk_id = ANY(:ids)"
                params["ids"] = [int(a) for a in allowed]
            sql = text(f"SELECT f.chunk_id, {score} AS s FROM chunk_fts f WHERE {where} "
                       "ORDER BY s DESC, f.chunk_id LIMIT :n")
            return [(int(r[0]), float(r[1])) for r in session.execute(sql, params=params)]
    except DBAPIError as exc:  # as with FTS5: never let a full-text failure escape a search
        if exc.connection_invalidated:
            raise
        log.warning("full-text query %r failed: %s", query, exc.orig)
        return []


def _pg_snippets(session: Session, query: str, chunk_ids: list[int], tokens: int) -> dict[int, str]:
    """``ts_headline`` of each matching chunk's text: one fragment of up to ``tokens`` words, matches between the
    markers, ``…`` where the fragment cuts the text (as FTS5's ``snippet``)."""
    q = websearch_quote(query)
    if not q or not chunk_ids:
        return {}
    words = max(2, int(tokens))
    options = (f'StartSel="{HIT_START}", StopSel="{HIT_END}", MaxWords={words}, MinWords={max(1, min(words - 1, 12))}, '
               'ShortWord=2, MaxFragments=1, FragmentDelimiter=" "')
    sql = text(f"SELECT c.id, c.text, ts_headline(f.config, c.text, qq.q, :o) FROM chunk_fts f "
               f"JOIN chunk c ON c.id = f.chunk_id, (SELECT {_pg_tsquery()} AS q) qq "
               "WHERE f.chunk_id = ANY(:ids) AND f.tsv @@ qq.q")
    try:
        with session.begin_nested():
            rows = list(session.execute(sql, params={"q": q, "o": options, "ids": [int(c) for c in chunk_ids]}))
    except DBAPIError as exc:  # as in fts_ranked: the page shows plain snippets instead
        if exc.connection_invalidated:
            raise
        log.warning("full-text snippets for %r failed: %s", q, exc.orig)
        return {}
    return {int(cid): _ellipsised(str(body), str(head)) for cid, body, head in rows if head is not None}


def _ellipsised(body: str, head: str) -> str:
    """``head`` with ``…`` before and after where it does not reach the start or the end of ``body``."""
    plain = head.replace(HIT_START, "").replace(HIT_END, "").strip()
    if not plain:
        return head
    start = body.find(plain)
    before = start != 0 if start >= 0 else not body.lstrip().startswith(plain[:24])
    after = start + len(plain) < len(body.rstrip()) if start >= 0 else not body.rstrip().endswith(plain[-24:])
    return (ELLIPSIS if before else "") + head.strip() + (ELLIPSIS if after else "")
