"""Any document collection as a searchable database: documents become records with one chunk per section."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy import Engine

from kb.embeddings import Embedder
from kb.search.engine import SearchConfig, SearchEngine
from kb.store import database, fts, version
from kb.store import write as store
from kb.store.tables import ChunkRow, RecordRow


@dataclass
class Document:
    """A document of any collection; ``sections`` default to one section holding ``text``."""

    id: str
    title: str
    text: str = ""
    kind: str = "document"
    city: str = ""
    status: str = ""
    categories: list[str] = field(default_factory=list)
    sections: list[tuple[str, str]] | None = None

    def parts(self) -> list[tuple[str, str]]:
        return self.sections if self.sections is not None else [("", self.text)]


class Collection:
    """A collection stored in the knowledge-base schema, so ``SearchEngine`` indexes it like the records."""

    def __init__(self, path: Path | str) -> None:
        """``path``: a SQLite file or a PostgreSQL URL (as ``KB_DB``)."""
        self.path = path
        self.engine: Engine = database.get_engine(path)

    def add(self, docs: Sequence[Document], vectors: np.ndarray | None = None, model: str = "",
            batch: int = 2000, replace: bool = True) -> int:
        """Write documents (``replace``: any with the same id first); ``vectors``: one row per section."""
        total = sum(len(d.parts()) for d in docs)
        if vectors is not None and len(vectors) != total:
            raise ValueError(f"{len(vectors)} vectors for {total} sections")
        dim = int(vectors.shape[1]) if vectors is not None else 0
        row = 0
        for start in range(0, len(docs), batch):
            with database.write_session(self.engine) as s:
                for doc in docs[start:start + batch]:
                    if replace:
                        store.delete_record(s, doc.id)
                    else:
                        version.touch(s, doc.id)
                    s.add(RecordRow(id=doc.id, kind=doc.kind, title=doc.title, city=doc.city,
                                    status=doc.status, categories=json.dumps(doc.categories),
                                    origin="collection", body=doc.text))
                    s.flush()
                    for n, (section, text) in enumerate(doc.parts()):
                        vec = vectors[row].astype(np.float32).tobytes() if vectors is not None else None
                        row += 1
                        chunk = ChunkRow(record_id=doc.id, ordinal=n, section=section, text=text,
                                         model=model if vec is not None else "", dim=dim, embedding=vec)
                        s.add(chunk)
                        s.flush()
                        assert chunk.id is not None
                        fts.fts_insert(s, chunk.id, doc.title, section, text)
                store.set_meta(s, "model", model)
        return row

    def add_texts(self, docs: Sequence[Document], embedder: Embedder | None, batch_size: int = 64) -> int:
        """Write documents, embedding every section with ``embedder`` (None: full-text only)."""
        texts = [f"{d.title} {t}".strip() for d in docs for _, t in d.parts()]
        vecs = embedder.encode(texts, batch_size=batch_size) if embedder is not None and texts else None
        return self.add(docs, vecs, embedder.name if embedder is not None else "")

    def search_engine(self, embedder: Embedder | None = None,
                      config: SearchConfig | None = None) -> SearchEngine:
        return SearchEngine(self.engine, embedder, config)


def documents_from(items: Iterable[dict[str, str]]) -> list[Document]:
    """``[{"id", "title", "text"}]`` (BEIR-style rows) as documents."""
    return [Document(id=str(d["id"]), title=str(d.get("title") or ""), text=str(d.get("text") or ""))
            for d in items]
