"""Embedders: the real bundled model offline (slow), the deterministic fake, lazy loading."""

from __future__ import annotations

import numpy as np
import pytest

from ingest.loader import run_ingest
from kb.config import Settings
from kb.embeddings import QUERY_TEXTS, FakeEmbedder, SentenceTransformerEmbedder, make_embedder
from tests.factories import FIXTURE_CORPUS


@pytest.mark.slow
def test_real_model_is_offline_384_dimensional_and_unit_norm(real_embedder: SentenceTransformerEmbedder) -> None:
    vecs = real_embedder.encode(["store surplus solar power for the evening", "heat from canal water"])
    assert vecs.shape == (2, 384) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    battery, canal = real_embedder.encode(["a neighbourhood battery stores solar electricity",
                                           "water-source heat pumps on surface water"])
    assert float(vecs[0] @ battery) > float(vecs[0] @ canal)


@pytest.mark.slow
def test_ingest_with_the_real_model_stores_384_float32_vectors(tmp_path, real_embedder) -> None:  # type: ignore[no-untyped-def]
    from sqlmodel import select

    from kb.store import database
    from kb.store.tables import ChunkRow

    res = run_ingest(FIXTURE_CORPUS, tmp_path / "kb.sqlite", real_embedder)
    assert res.errors == [] and res.chunks_embedded > 0
    with database.read_session(database.get_engine(tmp_path / "kb.sqlite")) as s:
        rows = list(s.exec(select(ChunkRow)))
    assert all(r.dim == 384 and r.embedding is not None and len(r.embedding) == 384 * 4 for r in rows)


def test_model_is_not_loaded_until_something_must_be_embedded() -> None:
    emb = SentenceTransformerEmbedder()
    assert not emb.loaded


def test_fake_embedder_is_deterministic_and_normalised() -> None:
    a = FakeEmbedder().encode(["battery storage", "battery storage", ""])
    assert np.array_equal(a[0], a[1]) and np.allclose(np.linalg.norm(a, axis=1), 1.0)


def test_make_embedder_picks_the_fake_for_fake_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_MODEL", "fake-x")
    assert isinstance(make_embedder(Settings.from_env().model), FakeEmbedder)


def test_a_query_runs_on_the_query_threads_and_a_batch_on_torchs_default() -> None:
    torch = pytest.importorskip("torch")
    seen: list[int] = []

    class Model:  # stands in for the loaded SentenceTransformer: records the threads each encode ran on
        def encode(self, texts: list[str], **_: object) -> np.ndarray:
            seen.append(torch.get_num_threads())
            return np.zeros((len(texts), 3), dtype=np.float32)

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        emb = SentenceTransformerEmbedder(query_threads=1)
        emb._model = Model()  # type: ignore[assignment]
        emb.encode(["one query"])
        emb.encode(["a batch"] * (QUERY_TEXTS + 1))
        assert seen == [1, 2], "a query on one thread, a batch on the default"
        assert torch.get_num_threads() == 2, "the process's setting is restored"
        default = SentenceTransformerEmbedder()
        default._model = Model()  # type: ignore[assignment]
        default.encode(["one query"])
        assert seen[-1] == 2, "without query_threads a query keeps torch's default"
    finally:
        torch.set_num_threads(before)
