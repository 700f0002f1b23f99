"""A `langchain_weaviate.WeaviateVectorStore` searched with Weaviate's native hybrid query."""

from __future__ import annotations

import pytest
import weaviate
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_weaviate import WeaviateVectorStore
from weaviate.classes.query import HybridFusion

from langchain_hybrid import ConfigError, HybridRetriever
from langchain_hybrid.backends.weaviate import (
    WeaviateBackend,
    backend_from_weaviate_vectorstore,
    is_weaviate_vectorstore,
)

EMBEDDING = DeterministicFakeEmbedding(size=16)
TEXTS = [
    "Fix for error E1234 in the parser",
    "The cat sat on the mat",
    "Parsing failures and how to debug them",
    "A dog barks at the cat",
]


@pytest.fixture
def store(
    weaviate_client: weaviate.WeaviateClient, unique_collection_name: str
) -> WeaviateVectorStore:
    store = WeaviateVectorStore(weaviate_client, unique_collection_name, "text", EMBEDDING)
    store.add_documents(
        [Document(text, metadata={"n": i}) for i, text in enumerate(TEXTS)],
        ids=[f"00000000-0000-4000-8000-00000000000{i}" for i in range(len(TEXTS))],
    )
    return store


def test_detects_the_store(store: WeaviateVectorStore) -> None:
    assert is_weaviate_vectorstore(store)
    assert not is_weaviate_vectorstore(object())
    with pytest.raises(ConfigError, match="WeaviateVectorStore"):
        backend_from_weaviate_vectorstore(object())


@pytest.mark.parametrize("fusion", ["relative_score", "ranked"])
def test_native_hybrid_on_the_stores_collection(
    store: WeaviateVectorStore, weaviate_client: weaviate.WeaviateClient, fusion: str
) -> None:
    backend = backend_from_weaviate_vectorstore(store)
    retriever = HybridRetriever(backend=backend, k=3, alpha=0.5, fusion=fusion)
    found = retriever.invoke("cat parser")
    direct = weaviate_client.collections.use(store._index_name).query.hybrid(
        query="cat parser",
        vector=EMBEDDING.embed_query("cat parser"),
        alpha=0.5,
        fusion_type=HybridFusion.RANKED if fusion == "ranked" else HybridFusion.RELATIVE_SCORE,
        limit=3,
        query_properties=["text"],
    )
    # langchain_weaviate stores no id property: ids are the object UUIDs it was given.
    assert [d.id for d in found] == [str(o.uuid) for o in direct.objects]
    assert all(d.metadata["hybrid_score"] is not None for d in found)
    assert {d.metadata["n"] for d in found} <= set(range(len(TEXTS)))
    # Writes and deletes through the backend use the same UUIDs as the store.
    retriever.delete([found[0].id or ""])
    assert found[0].id not in {d.id for d in retriever.invoke("cat parser", k=10)}


def test_store_without_embedding_is_refused(
    weaviate_client: weaviate.WeaviateClient, unique_collection_name: str
) -> None:
    store = WeaviateVectorStore(weaviate_client, unique_collection_name, "text")
    with pytest.raises(ConfigError, match="no embedding"):
        backend_from_weaviate_vectorstore(store)


def test_from_vectorstore_uses_the_native_hybrid_query(store: WeaviateVectorStore) -> None:
    retriever = HybridRetriever.from_vectorstore(store, k=1)
    assert isinstance(retriever.backend, WeaviateBackend)
    assert len(retriever.invoke("cat")) == 1
    with pytest.raises(ConfigError, match="already indexed"):
        HybridRetriever.from_vectorstore(store, documents=[Document("x", id="x")])


def test_from_weaviate_creates_the_collection_and_finds_added_documents(
    weaviate_client: weaviate.WeaviateClient, unique_collection_name: str
) -> None:
    retriever = HybridRetriever.from_weaviate(
        weaviate_client, unique_collection_name, EMBEDDING, k=2
    )
    retriever.add_documents([Document(text) for text in TEXTS], ids=["a", "b", "c", "d"])
    found = retriever.invoke("error E1234", alpha=0.0)
    assert found[0].id == "a"
    assert found[0].metadata["keyword_score"] is not None
