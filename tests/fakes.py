"""Fake embedding models shared by the Weaviate write tests."""

from __future__ import annotations

from langchain_core.embeddings import DeterministicFakeEmbedding, Embeddings

EMBEDDING = DeterministicFakeEmbedding(size=16)


class ShortVectorFor(Embeddings):
    """16-d fake vectors, except 8-d ones for texts containing a marker (a bad object)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors = EMBEDDING.embed_documents(texts)
        return [v[:8] if self.marker in t else v for t, v in zip(texts, vectors, strict=True)]

    def embed_query(self, text: str) -> list[float]:
        return EMBEDDING.embed_query(text)
