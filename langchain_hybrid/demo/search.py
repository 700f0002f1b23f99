"""Build the demo's retriever and run one query three ways: keyword, vector, hybrid."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from langchain_hybrid.retriever import HybridRetriever

__all__ = ["LEG_DEPTH", "Rankings", "build_local_retriever", "rank"]

LEG_DEPTH: Final = 100
"""How deep each single-leg ranking is fetched, to report a hybrid result's leg ranks."""


@dataclass(frozen=True)
class Rankings:
    """One query's three rankings, best first.

    Attributes:
        query: the query text.
        alpha: the hybrid ranking's alpha.
        k: how many results each column shows.
        keyword: the ranking at alpha 0 (BM25 only), `LEG_DEPTH` deep.
        vector: the ranking at alpha 1 (vector search only), `LEG_DEPTH` deep.
        hybrid: the `k` best at `alpha`.
    """

    query: str
    alpha: float
    k: int
    keyword: list[Document]
    vector: list[Document]
    hybrid: list[Document]

    def leg_rank(self, leg: str, doc_id: str | None) -> int | None:
        """1-based rank of a document in the `"keyword"` or `"vector"` ranking, or `None`.

        Computed from the rankings themselves, so it means the same on every backend
        (Weaviate does not report leg ranks under relative-score fusion).

        Example:
            ```python
            rankings.leg_rank("vector", "errno.ENOENT")  # 6
            ```
        """
        ranking = self.keyword if leg == "keyword" else self.vector
        for position, doc in enumerate(ranking, start=1):
            if doc.id == doc_id:
                return position
        return None


def build_local_retriever(
    documents: Sequence[Document], embeddings: Embeddings, *, k: int = 5
) -> HybridRetriever:
    """The embedded default: tantivy BM25 and an in-memory vector store, in this process.

    Example:
        ```python
        retriever = build_local_retriever(load_corpus(), load_minilm(), k=5)
        ```
    """
    return HybridRetriever.from_documents(documents, embeddings, k=k)


def rank(retriever: HybridRetriever, query: str, *, alpha: float, k: int) -> Rankings:
    """Run `query` at alpha 0, 1 and `alpha`, on any backend.

    Example:
        ```python
        rankings = rank(retriever, "ENOENT", alpha=0.5, k=5)
        [doc.id for doc in rankings.hybrid]
        ```
    """
    depth = max(LEG_DEPTH, k)
    return Rankings(
        query=query,
        alpha=alpha,
        k=k,
        keyword=retriever.invoke(query, alpha=0.0, k=depth),
        vector=retriever.invoke(query, alpha=1.0, k=depth),
        hybrid=retriever.invoke(query, alpha=alpha, k=k),
    )
