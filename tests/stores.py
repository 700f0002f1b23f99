"""Empty vector stores of every kind the local backend is tested over, by name.

Chroma runs embedded (an ephemeral client, telemetry off) and FAISS in process, so the
tests that use them need no server and no network.
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Callable
from pathlib import Path

import chromadb
import faiss
from chromadb.config import Settings
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import InMemoryVectorStore, VectorStore

from langchain_hybrid import NumpyVectorStore

with warnings.catch_warnings():
    # langchain-community announces its sunset on import; it is a test-only dependency.
    warnings.filterwarnings("ignore", "`langchain-community` is being sunset", DeprecationWarning)
    from langchain_community.docstore.in_memory import InMemoryDocstore
    from langchain_community.vectorstores import FAISS


def chroma(embedding: Embeddings, directory: Path | None = None) -> Chroma:
    """A Chroma collection: in memory, or persisted in `directory` (reopened if it exists)."""
    settings = Settings(anonymized_telemetry=False)
    client = (
        chromadb.PersistentClient(path=str(directory), settings=settings)
        if directory is not None
        else chromadb.EphemeralClient(settings=settings)
    )
    name = "docs" if directory is not None else f"test_{uuid.uuid4().hex}"
    return Chroma(collection_name=name, embedding_function=embedding, client=client)


def faiss_store(embedding: Embeddings) -> FAISS:
    """An empty flat-L2 FAISS store for this embedding's dimension."""
    dimension = len(embedding.embed_query("dimension"))
    return FAISS(
        embedding_function=embedding,
        index=faiss.IndexFlatL2(dimension),
        docstore=InMemoryDocstore(),
        index_to_docstore_id={},
    )


EMPTY_STORES: dict[str, Callable[[Embeddings], VectorStore]] = {
    "in_memory": InMemoryVectorStore,
    "numpy": NumpyVectorStore,
    "chroma": chroma,
    "faiss": faiss_store,
}
"""Store name -> a function from an embedding model to an empty store."""


def dispose(store: VectorStore) -> None:
    """Free what a store holds outside Python (Chroma's collection)."""
    if isinstance(store, Chroma):
        store.delete_collection()
