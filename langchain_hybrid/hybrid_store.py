"""`HybridVectorStore`: a vector store that keeps a BM25 index in step with the one it wraps.

Pipelines write to vector stores: `add_documents`, `delete`, LangChain's `index()` with a
record manager. Wrapping the store makes every one of those writes reach both legs, and
`as_retriever()` returns a `HybridRetriever` over them, so moving a pipeline to hybrid
search is one line:

```python
retriever = HybridVectorStore(vectorstore).as_retriever(alpha=0.5)
```

The wrapped store stays the source of truth: reads (`similarity_search`, `get_by_ids`) are
its own, the hybrid retriever never returns a document the store no longer holds, and
`reconcile()` repairs the keyword index after writes that bypassed the wrapper.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.documents import Document
from langchain_core.vectorstores import VectorStore
from typing_extensions import override

from langchain_hybrid.attach import OnDrift, keyword_index_for, progress_printer
from langchain_hybrid.backends.local import LocalBackend
from langchain_hybrid.errors import ConfigError
from langchain_hybrid.persistence import save_keyword_index
from langchain_hybrid.retriever import HybridRetriever
from langchain_hybrid.vector_leg import ScoreFn, VectorLeg
from langchain_hybrid.vectorstore import NumpyVectorStore

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from langchain_hybrid.analysis import Analyzer
    from langchain_hybrid.keyword_index import KeywordIndex
    from langchain_hybrid.sync import Drift, ReconcileReport

__all__ = ["HybridVectorStore"]


class HybridVectorStore(VectorStore):
    """Wraps any LangChain `VectorStore` and keeps a keyword index in step with it.

    Writes (`add_documents`, `add_texts`, `delete`, upserts by id, and LangChain's
    `index()`, which uses them) go to the wrapped store and to the keyword index.
    Vector reads are the wrapped store's own; `as_retriever()` gives hybrid search.

    Setup:
        ```bash
        pip install langchain-hybrid
        ```

    Wrap a store (a populated one is read once to build the keyword index):
        ```python
        from langchain_core.embeddings import DeterministicFakeEmbedding
        from langchain_core.vectorstores import InMemoryVectorStore
        from langchain_hybrid import HybridVectorStore

        vectorstore = InMemoryVectorStore(DeterministicFakeEmbedding(size=16))
        store = HybridVectorStore(vectorstore)
        store.add_texts(["error E1234 in the parser", "release notes"], ids=["a", "b"])
        retriever = store.as_retriever(alpha=0.5, k=1)
        print(retriever.invoke("E1234")[0].id)
        ```
        ```text
        a
        ```

    Keep a pipeline in sync with LangChain's indexing API:
        ```python
        from langchain_core.indexing import InMemoryRecordManager, index

        record_manager = InMemoryRecordManager(namespace="docs")
        record_manager.create_schema()
        index(docs, record_manager, store, cleanup="incremental", source_id_key="source")
        ```

    Repair after writes that bypassed the wrapper:
        ```python
        vectorstore.delete(["b"])  # the keyword index still has "b" ...
        print(store.reconcile())  # ... until now (queries never returned it meanwhile)
        ```
    """

    def __init__(
        self,
        vectorstore: VectorStore,
        *,
        documents: Sequence[Document] | None = None,
        ids: Sequence[str] | None = None,
        keyword_index: KeywordIndex | str | Path | None = None,
        keyword_engine: str = "tantivy",
        keyword_params: Mapping[str, Any] | None = None,
        analyzer: Analyzer | None = None,
        vector_score_fn: ScoreFn | None = None,
        on_drift: OnDrift = "raise",
        batch_size: int = 1000,
        show_progress: bool | None = None,
    ) -> None:
        """Wrap `vectorstore`, building or loading the keyword index beside it.

        Args:
            vectorstore: the store to wrap; it stays the source of truth.
            documents: for a store that cannot list its documents: the documents it
                holds, with their ids (checked against the store with `get_by_ids`).
            ids: the ids of `documents` (default: `Document.id`).
            keyword_index: an existing `KeywordIndex`, or the path of one saved with
                `save_keyword_index`; checked against the store (see `on_drift`).
            keyword_engine: engine of a new keyword index (`"tantivy"`, `"rank_bm25"`,
                `"exact"`).
            keyword_params: options of that engine.
            analyzer: text analysis of a new keyword index.
            vector_score_fn: override of the store's score -> similarity conversion.
            on_drift: when `keyword_index` differs from the store: `"raise"`
                (`IndexDriftError`, the default), `"reconcile"` or `"ignore"`.
            batch_size: documents read from the store per `get_by_ids` call.
            show_progress: print progress to stderr while reading the store (`None`:
                only for stores of 50,000 documents or more).

        Raises:
            ConfigError: the store cannot list its documents and neither `documents`
                nor `keyword_index` is given, or `documents` are not the store's.
            IndexDriftError: `keyword_index` differs from the store (`on_drift="raise"`).
        """
        if isinstance(vectorstore, HybridVectorStore):
            msg = "the store is already a HybridVectorStore: use it as it is"
            raise ConfigError(msg)
        keyword = keyword_index_for(
            vectorstore,
            documents=documents,
            ids=ids,
            keyword_index=keyword_index,
            keyword_engine=keyword_engine,
            keyword_params=keyword_params,
            analyzer=analyzer,
            on_drift=on_drift,
            batch_size=batch_size,
            show_progress=show_progress,
        )
        self.backend = LocalBackend(keyword, VectorLeg(vectorstore, vector_score_fn))
        """The local backend (keyword index + vector leg) that the retrievers share."""

    @property
    def vectorstore(self) -> VectorStore:
        """The wrapped store."""
        return self.backend.vectorstore

    @property
    def keyword_index(self) -> KeywordIndex:
        """The keyword index kept beside the store."""
        return self.backend.keyword

    @property
    def embeddings(self) -> Embeddings | None:
        """The wrapped store's embedding model."""
        return self.vectorstore.embeddings

    # ------------------------------------------------------------------------ writes

    @override
    def add_documents(self, documents: list[Document], **kwargs: Any) -> list[str]:
        """Add or replace documents in the store and the keyword index.

        Ids come from `ids=`, else `Document.id`, else new UUIDs; other keyword
        arguments (e.g. `batch_size`) go to the wrapped store's `add_documents`.

        Raises:
            ConfigError: an id appears twice, or metadata is not JSON-serialisable.
            BackendError: the store failed (the keyword index is left as it was).
        """
        ids = kwargs.pop("ids", None)
        return self.backend.add_documents(documents, ids, **kwargs)

    @override
    async def aadd_documents(self, documents: list[Document], **kwargs: Any) -> list[str]:
        """Async `add_documents`."""
        ids = kwargs.pop("ids", None)
        return await self.backend.aadd_documents(documents, ids, **kwargs)

    @override
    def add_texts(
        self,
        texts: Iterable[str],
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> list[str]:
        """Add texts (with metadata and ids) to the store and the keyword index."""
        return self.add_documents(_documents(texts, metadatas), ids=ids, **kwargs)

    @override
    async def aadd_texts(
        self,
        texts: Iterable[str],
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> list[str]:
        """Async `add_texts`."""
        return await self.aadd_documents(_documents(texts, metadatas), ids=ids, **kwargs)

    @override
    def delete(self, ids: list[str] | None = None, **kwargs: Any) -> bool | None:
        """Delete documents by id from the store and the keyword index.

        Unknown ids are ignored. `ids=None` (which some stores read as "delete
        everything") is refused: pass the ids.
        """
        self.backend.delete(_ids_to_delete(ids))
        return True

    @override
    async def adelete(self, ids: list[str] | None = None, **kwargs: Any) -> bool | None:
        """Async `delete`."""
        await self.backend.adelete(_ids_to_delete(ids))
        return True

    # ------------------------------------------------------------------------ reads

    @override
    def get_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        """Documents by id, from the wrapped store."""
        return self.vectorstore.get_by_ids(ids)

    @override
    async def aget_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        """Async `get_by_ids`."""
        return await self.vectorstore.aget_by_ids(ids)

    @override
    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
        """The wrapped store's vector search (hybrid search: `as_retriever()`)."""
        return self.vectorstore.similarity_search(query, k, **kwargs)

    @override
    async def asimilarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
        """Async `similarity_search`."""
        return await self.vectorstore.asimilarity_search(query, k, **kwargs)

    @override
    def similarity_search_with_score(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        """The wrapped store's scored vector search."""
        return self.vectorstore.similarity_search_with_score(query, k, **kwargs)

    @override
    async def asimilarity_search_with_score(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        """Async `similarity_search_with_score`."""
        return await self.vectorstore.asimilarity_search_with_score(query, k, **kwargs)

    @override
    def similarity_search_by_vector(
        self, embedding: list[float], k: int = 4, **kwargs: Any
    ) -> list[Document]:
        """The wrapped store's search by vector."""
        return self.vectorstore.similarity_search_by_vector(embedding, k, **kwargs)

    @override
    def max_marginal_relevance_search(
        self, query: str, k: int = 4, fetch_k: int = 20, lambda_mult: float = 0.5, **kwargs: Any
    ) -> list[Document]:
        """The wrapped store's MMR search."""
        return self.vectorstore.max_marginal_relevance_search(
            query, k, fetch_k, lambda_mult, **kwargs
        )

    @override
    def _select_relevance_score_fn(self) -> Callable[[float], float]:
        return self.vectorstore._select_relevance_score_fn()  # noqa: SLF001 - delegated as is

    # ------------------------------------------------------------------------ hybrid

    @override
    def as_retriever(self, **kwargs: Any) -> HybridRetriever:  # type: ignore[override]
        """A `HybridRetriever` over both legs; keywords are its fields.

        `search_kwargs` work as in `vectorstore.as_retriever(search_kwargs=...)`; the
        search type is always hybrid (`alpha=1` is vector only, `alpha=0` keyword only).

        Example:
            ```python
            retriever = store.as_retriever(alpha=0.5, search_kwargs={"k": 5})
            ```
        """
        search_type = kwargs.pop("search_type", "hybrid")
        if search_type != "hybrid":
            msg = (
                f"search_type={search_type!r}: a HybridVectorStore retriever always runs "
                "hybrid search; use alpha=1.0 for vector-only results, or "
                "store.vectorstore.as_retriever(search_type=...) for the store's own"
            )
            raise ConfigError(msg)
        tags = kwargs.pop("tags", None) or self._get_retriever_tags()
        return HybridRetriever(backend=self.backend, tags=tags, **kwargs)

    @override
    def _get_retriever_tags(self) -> list[str]:
        return [type(self).__name__, *self.vectorstore._get_retriever_tags()]  # noqa: SLF001

    def check_drift(self, *, batch_size: int = 1000) -> Drift:
        """How the keyword index differs from the store, without changing anything.

        Example:
            ```python
            drift = store.check_drift()
            print(drift.in_sync, drift.describe())
            ```
        """
        return self.backend.check_drift(batch_size=batch_size)

    def reconcile(
        self, *, batch_size: int = 1000, show_progress: bool | None = None
    ) -> ReconcileReport:
        """Bring the keyword index back in step with the store; returns what changed.

        Example:
            ```python
            report = store.reconcile()
            print(report.added, report.removed)
            ```
        """
        progress = progress_printer("reconciling", show=show_progress)
        return self.backend.reconcile(batch_size=batch_size, progress=progress)

    def save_keyword_index(self, path: str | Path) -> None:
        """Save the keyword index (atomically) with a record of what it holds.

        Load it with `HybridVectorStore(store, keyword_index=path)`, which checks it
        against the store.
        """
        save_keyword_index(self.keyword_index, path)

    @classmethod
    def from_texts(
        cls,
        texts: list[str],
        embedding: Embeddings,
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> HybridVectorStore:
        """A `NumpyVectorStore` with a keyword index beside it, holding `texts`.

        `kwargs` go to `HybridVectorStore` (`keyword_engine`, `analyzer`, ...).

        Example:
            >>> from langchain_core.embeddings import DeterministicFakeEmbedding
            >>> store = HybridVectorStore.from_texts(
            ...     ["error E1234", "fine"], DeterministicFakeEmbedding(size=8), ids=["a", "b"]
            ... )
            >>> len(store.keyword_index)
            2
        """
        store = cls(NumpyVectorStore(embedding), **kwargs)
        store.add_texts(texts, metadatas, ids=ids)
        return store


def _documents(texts: Iterable[str], metadatas: list[dict[str, Any]] | None) -> list[Document]:
    texts = list(texts)
    if metadatas is not None and len(metadatas) != len(texts):
        msg = f"got {len(metadatas)} metadatas for {len(texts)} texts"
        raise ConfigError(msg)
    return [
        Document(page_content=text, metadata=dict(metadata))
        for text, metadata in zip(texts, metadatas or [{} for _ in texts], strict=True)
    ]


def _ids_to_delete(ids: Sequence[str] | None) -> list[str]:
    if ids is None:
        msg = "delete needs the ids to delete (ids=None is refused, not read as 'delete all')"
        raise ConfigError(msg)
    if isinstance(ids, str):
        msg = f"ids must be a list of ids, not a single string: use [{ids!r}]"
        raise ConfigError(msg)
    return list(ids)
