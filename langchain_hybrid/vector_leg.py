"""The vector leg: query any LangChain `VectorStore` with filters and comparable scores.

Scores: fusion needs higher-is-better similarities. We use the store's own relevance
function (`_select_relevance_score_fn`, the one `similarity_search_with_relevance_scores`
uses) on `similarity_search_with_score`, without that method's range warning and
threshold. `InMemoryVectorStore` already returns cosine similarity, which is exactly
what Weaviate uses (`1 - cosine distance`). For L2 stores (FAISS's and Chroma's default)
the relevance is a monotonic but non-linear function of cosine, so relative-score fusion
weighs them slightly differently from Weaviate; a cosine or inner-product store over
normalised vectors avoids that. Pass `score_fn` to override.

Filters: the filter tree is translated to the store's own filter argument where we know
the store, and every result is checked again in Python, so a filtered-out document never
appears even with a store that ignores the filter; if that leaves fewer than `k`, the
store is asked again for more.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any, Final

from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding, Embeddings, FakeEmbeddings
from langchain_core.vectorstores import VectorStore

from langchain_hybrid._types import DocumentPredicate, Hit
from langchain_hybrid.errors import BackendError, ConfigError
from langchain_hybrid.filters import FilterNode, document_filter, matches, to_where
from langchain_hybrid.store_quirks import quirks_of

__all__ = ["ScoreFn", "VectorLeg", "embed_queries"]

ScoreFn = Callable[[float], float]

_OVERFETCH: Final = 4


def _identity(score: float) -> float:
    return score


class VectorLeg:
    """Runs similarity searches on one vector store and returns scored, filtered hits.

    Example:
        >>> from langchain_core.embeddings import DeterministicFakeEmbedding
        >>> from langchain_core.vectorstores import InMemoryVectorStore
        >>> store = InMemoryVectorStore(DeterministicFakeEmbedding(size=8))
        >>> _ = store.add_texts(["alpha", "beta"], ids=["a", "b"])
        >>> hits, docs = VectorLeg(store).search("alpha", k=1)
        >>> hits[0].id
        'a'
    """

    def __init__(self, store: VectorStore, score_fn: ScoreFn | None = None) -> None:
        """Wrap a store.

        Args:
            store: any LangChain vector store whose results carry `Document.id`.
            score_fn: maps the store's `similarity_search_with_score` score to a
                higher-is-better similarity; by default the store's relevance function.
        """
        self.store = store
        self.score_fn = score_fn or _relevance_fn(store)

    def search(
        self,
        query: str,
        k: int,
        *,
        node: FilterNode | None = None,
        predicate: DocumentPredicate | None = None,
    ) -> tuple[list[Hit], dict[str, Document]]:
        """The `k` most similar documents passing the filter, as hits and documents by id."""
        limit = k
        while True:
            kwargs, keep = self._store_filter(node, predicate, limit)
            results = self.store.similarity_search_with_score(query, limit, **kwargs)
            done, hits, documents = self._collect(results, k, limit, keep)
            if done:
                return hits, documents
            limit *= _OVERFETCH

    def search_many(
        self,
        queries: Sequence[str],
        k: int,
        *,
        node: FilterNode | None = None,
        predicate: DocumentPredicate | None = None,
    ) -> list[tuple[list[Hit], dict[str, Document]]]:
        """`search` for many queries; each result equals that query's own `search`.

        One embedding call and one matrix product when the store can search by many
        vectors (`NumpyVectorStore`) and no filter is set; else one `search` per query.
        """
        by_vectors = getattr(self.store, "similarity_search_with_score_by_vectors", None)
        if by_vectors is None or node is not None or predicate is not None or not queries:
            return [self.search(q, k, node=node, predicate=predicate) for q in queries]
        vectors = embed_queries(self.embedding, queries)
        return [self._collect(results, k, k, None)[1:] for results in by_vectors(vectors, k)]

    @property
    def embedding(self) -> Embeddings:
        """The store's embedding model."""
        embedding = self.store.embeddings
        if embedding is None:
            msg = f"{type(self.store).__name__} has no embedding model to embed queries with"
            raise ConfigError(msg)
        return embedding

    async def asearch(
        self,
        query: str,
        k: int,
        *,
        node: FilterNode | None = None,
        predicate: DocumentPredicate | None = None,
    ) -> tuple[list[Hit], dict[str, Document]]:
        """Async `search`; never runs in-process vector math on the event loop."""
        if quirks_of(self.store).async_blocks_event_loop:
            return await asyncio.to_thread(self.search, query, k, node=node, predicate=predicate)
        limit = k
        while True:
            kwargs, keep = self._store_filter(node, predicate, limit)
            results = await self.store.asimilarity_search_with_score(query, limit, **kwargs)
            done, hits, documents = self._collect(results, k, limit, keep)
            if done:
                return hits, documents
            limit *= _OVERFETCH

    def _collect(
        self,
        results: list[tuple[Document, float]],
        k: int,
        limit: int,
        keep: DocumentPredicate | None,
    ) -> tuple[bool, list[Hit], dict[str, Document]]:
        """Score, filter (with `keep`, if set) and dedupe one round.

        `done` when `k` passed or the store ran dry.
        """
        hits: list[Hit] = []
        documents: dict[str, Document] = {}
        score_fn = self.score_fn
        for document, raw in results:
            doc_id = document.id
            if doc_id is None:
                msg = (
                    f"{type(self.store).__name__} returned a document without an id; hybrid "
                    "search matches the two legs by Document.id. Add documents with ids "
                    "(add_documents(docs, ids=...)) or upgrade the vector store package."
                )
                raise BackendError(msg)
            if keep is not None and not keep(document):
                continue
            if doc_id in documents:
                continue
            documents[doc_id] = document
            hits.append(Hit(doc_id, float(score_fn(float(raw)))))
        exhausted = len(results) < limit
        # A store may return its hits in its own order: sort by our similarity.
        hits.sort(key=_best_first)
        return len(hits) >= k or exhausted, hits[:k], documents

    def _store_filter(
        self, node: FilterNode | None, predicate: DocumentPredicate | None, limit: int
    ) -> tuple[dict[str, Any], DocumentPredicate | None]:
        """The store's own filter argument, and the check its results still need.

        A store known to apply the filter exactly gets it in its own form and its
        results are not checked again; any other store is asked with a `where` dict (it
        may ignore it) and every result is checked here.
        """
        keep = document_filter(node, predicate)
        if keep is None:
            return {}, None
        style = quirks_of(self.store).filter_argument
        if style == "document_callable":
            return {"filter": keep}, None
        if predicate is not None:
            return {}, keep  # a Python callable only works in-process: we post-filter instead
        assert node is not None  # noqa: S101 - one of the two is set, checked above
        if style == "metadata_callable_full_scan":
            # FAISS filters after a `fetch_k`-deep search: search everything so that a
            # selective filter still finds `k` documents (a flat index scans all anyway).
            total = int(getattr(getattr(self.store, "index", None), "ntotal", limit))
            return {
                "filter": lambda metadata: matches(node, metadata),
                "fetch_k": max(total, limit),
            }, None
        return {"filter": to_where(node)}, keep


def _best_first(hit: Hit) -> tuple[float, str]:
    return -hit.score, hit.id


# Models whose embed_documents gives each text exactly what embed_query gives it.
_SYMMETRIC_EMBEDDINGS: Final = (DeterministicFakeEmbedding, FakeEmbeddings)


def embed_queries(embedding: Embeddings, queries: Sequence[str]) -> list[list[float]]:
    """Query vectors for many queries, each exactly what `embed_query` gives it.

    A model may define `embed_queries(texts)` (this package's precomputed and demo
    models do): it is then called once. Many models embed queries differently from
    documents (instruction prefixes), so `embed_documents` is used only for models
    known to embed both alike; any other model gets one `embed_query` call per query.

    Example:
        >>> model = DeterministicFakeEmbedding(size=4)
        >>> embed_queries(model, ["a"]) == [model.embed_query("a")]
        True
    """
    batch = getattr(embedding, "embed_queries", None)
    if callable(batch):
        return batch(list(queries))  # type: ignore[no-any-return]
    if isinstance(embedding, _SYMMETRIC_EMBEDDINGS):
        return embedding.embed_documents(list(queries))
    return [embedding.embed_query(query) for query in queries]


def _relevance_fn(store: VectorStore) -> ScoreFn:
    if quirks_of(store).scores_are_similarities:
        return _identity
    try:
        return store._select_relevance_score_fn()  # noqa: SLF001 - the store's own convention
    except NotImplementedError as exc:
        msg = (
            f"{type(store).__name__} does not say how to turn its scores into similarities "
            "(no _select_relevance_score_fn). Pass vector_score_fn=..., a function from "
            "the score of similarity_search_with_score to a higher-is-better similarity."
        )
        raise ConfigError(msg) from exc
