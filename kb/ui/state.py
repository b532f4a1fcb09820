"""Shared resources of the app: one engine, one embedder, and the database built on first start."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from kb import config
from kb.embeddings import Embedder, make_embedder
from kb.store import database


@st.cache_resource(show_spinner=False)
def embedder() -> Embedder:
    return make_embedder()


@st.cache_resource(show_spinner=False)
def engine() -> Engine:
    """The database engine, after an incremental ingest of the bundled records (progress shown)."""
    from ingest.loader import run_ingest  # the app shell may drive ingest; kb core never does

    path = config.db_path()
    with st.status("Preparing the knowledge base…", expanded=False) as status:
        result = run_ingest(config.SOLUTIONS_DIR, path, embedder(), progress=status.write)
        label = (f"Knowledge base ready: {result.records} records"
                 + (f", {result.chunks_embedded} sections embedded" if result.chunks_embedded else ""))
        status.update(label=label, state="error" if result.errors else "complete")
        for e in result.errors[:20]:
            status.write(f"⚠ {e}")
    return database.get_engine(path)
