"""The local backend: an in-process keyword index fused with any LangChain vector store.

Both legs run (concurrently under `asearch`), each `fetch_k` deep and each with the same
filter, then `fusion.fuse` combines them exactly as Weaviate would.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from langchain_core.documents import Document

from langchain_hybrid.backends.base import assign_ids
from langchain_hybrid.errors import BackendError
from langchain_hybrid.filters import matches
from langchain_hybrid.fusion import fuse
from langchain_hybrid.keyword_index.base import search_filtered
from langchain_hybrid.results import to_document

if TYPE_CHECKING:
    from langchain_core.vectorstores import VectorStore

    from langchain_hybrid._types import Hit, HybridQuery
    from langchain_hybrid.keyword_index.base import KeywordIndex
    from langchain_hybrid.vector_leg import VectorLeg

__all__ = ["LocalBackend"]

# Stores whose add_documents refuses an existing id instead of replacing the document.
_STORES_WITHOUT_UPSERT = frozenset({"FAISS"})


class LocalBackend:
    """Keyword index + vector store, fused in Python.

    Example:
        >>> from langchain_core.embeddings import DeterministicFakeEmbedding
        >>> from langchain_core.vectorstores import InMemoryVectorStore
        >>> from langchain_hybrid.keyword_index import TantivyIndex
        >>> from langchain_hybrid.vector_leg import VectorLeg
        >>> store = InMemoryVectorStore(DeterministicFakeEmbedding(size=8))
        >>> backend = LocalBackend(TantivyIndex(), VectorLeg(store))
        >>> backend.add_documents([Document("error E1234"), Document("fine")], ids=["a", "b"])
        ['a', 'b']
    """

    option_names: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, keyword: KeywordIndex, vector: VectorLeg) -> None:
        """Combine a keyword index and a vector leg; they must hold the same documents."""
        self.keyword = keyword
        self.vector = vector
        # Writers to both legs go one at a time so the legs never disagree for long;
        # readers do not take it (each leg is safe for concurrent readers).
        self._write_lock = threading.RLock()

    @property
    def vectorstore(self) -> VectorStore:
        """The wrapped vector store."""
        return self.vector.store

    # ------------------------------------------------------------------------ search

    def search(self, query: HybridQuery) -> list[Document]:
        """Run both legs, fuse, and return the top `query.k` documents."""
        keyword_hits = self._keyword_hits(query) if query.alpha < 1 else None
        vector_hits, documents = (
            self.vector.search(
                query.text, query.fetch_k, node=query.filter, predicate=query.predicate
            )
            if query.alpha > 0
            else (None, {})
        )
        return self._fuse(query, keyword_hits, vector_hits, documents)

    async def asearch(self, query: HybridQuery) -> list[Document]:
        """Async `search`: the legs run concurrently, BM25 work in a worker thread."""

        async def no_keyword() -> None:
            return None

        async def no_vector() -> tuple[None, dict[str, Document]]:
            return None, {}

        keyword_task = (
            asyncio.to_thread(self._keyword_hits, query) if query.alpha < 1 else no_keyword()
        )
        vector_task = (
            self.vector.asearch(
                query.text, query.fetch_k, node=query.filter, predicate=query.predicate
            )
            if query.alpha > 0
            else no_vector()
        )
        keyword_hits, (vector_hits, documents) = await asyncio.gather(keyword_task, vector_task)
        return await asyncio.to_thread(self._fuse, query, keyword_hits, vector_hits, documents)

    def _keyword_hits(self, query: HybridQuery) -> list[Hit]:
        predicate = query.predicate
        node = query.filter
        if node is not None:

            def keep(document: Document) -> bool:
                return matches(node, document.metadata) and (
                    predicate is None or predicate(document)
                )

            return search_filtered(self.keyword, query.text, query.fetch_k, keep)
        return search_filtered(self.keyword, query.text, query.fetch_k, predicate)

    def _fuse(
        self,
        query: HybridQuery,
        keyword_hits: list[Hit] | None,
        vector_hits: list[Hit] | None,
        documents: dict[str, Document],
    ) -> list[Document]:
        fused = fuse(
            keyword_hits,
            vector_hits,
            alpha=query.alpha,
            method=query.fusion,
            rank_constant=query.rank_constant,
            limit=query.k,
        )
        missing = [hit.id for hit in fused if hit.id not in documents]
        documents = {**documents, **{doc.id: doc for doc in self.keyword.get(missing) if doc.id}}
        return [
            to_document(documents[hit.id], hit, alpha=query.alpha, fusion=query.fusion)
            for hit in fused
            if hit.id in documents  # absent only if deleted while this query ran
        ]

    # ------------------------------------------------------------------------ writes

    def add_documents(
        self, documents: Sequence[Document], ids: Sequence[str] | None = None
    ) -> list[str]:
        """Add or replace documents in both legs under the same ids.

        The keyword index is written first (it validates metadata); if the vector store
        then fails, the keyword index is put back as it was and the error is raised.
        """
        documents = list(documents)
        doc_ids = assign_ids(documents, ids)
        if not documents:
            return []
        with self._write_lock:
            previous = self.keyword.get(doc_ids)
            self.keyword.add(documents, doc_ids)
            try:
                returned = self._add_to_store(documents, doc_ids)
            except Exception as exc:
                self._restore(doc_ids, previous)
                msg = (
                    f"{type(self.vector.store).__name__}.add_documents failed; none of the "
                    f"{len(doc_ids)} documents were added (keyword index restored): {exc}"
                )
                raise BackendError(msg) from exc
            self._check_ids(doc_ids, returned)
        return doc_ids

    def _add_to_store(self, documents: list[Document], doc_ids: list[str]) -> list[str]:
        store = self.vector.store
        if type(store).__name__ not in _STORES_WITHOUT_UPSERT:
            return store.add_documents(documents, ids=doc_ids)
        existing = store.get_by_ids(doc_ids)
        if existing:
            store.delete([doc.id for doc in existing if doc.id])
        try:
            return store.add_documents(documents, ids=doc_ids)
        except Exception:
            if existing:  # put the replaced versions back: nothing is lost on failure
                store.add_documents(existing, ids=[doc.id or "" for doc in existing])
            raise

    async def aadd_documents(
        self, documents: Sequence[Document], ids: Sequence[str] | None = None
    ) -> list[str]:
        """Async `add_documents` (runs in a worker thread: both legs write under one lock)."""
        return await asyncio.to_thread(self.add_documents, documents, ids)

    def _restore(self, doc_ids: list[str], previous: list[Document]) -> None:
        self.keyword.delete(doc_ids)
        if previous:
            self.keyword.add(previous, [doc.id or "" for doc in previous])

    def _check_ids(self, expected: list[str], returned: list[str] | None) -> None:
        if returned is not None and list(returned) != expected:
            self.keyword.delete(expected)
            msg = (
                f"{type(self.vector.store).__name__} stored the documents under other ids "
                f"than the ones given ({returned[:3]}... instead of {expected[:3]}...); the "
                "two legs must share ids. Use a vector store that honours add_documents(ids=)."
            )
            raise BackendError(msg)

    def delete(self, ids: Sequence[str]) -> None:
        """Delete documents from both legs; unknown ids are ignored."""
        ids = list(dict.fromkeys(ids))
        if not ids:
            return
        with self._write_lock:
            store = self.vector.store
            try:
                store.delete(ids)
            except ValueError:
                # FAISS refuses unknown ids: delete only those present.
                present = [doc.id for doc in store.get_by_ids(ids) if doc.id]
                if present:
                    store.delete(present)
            self.keyword.delete(ids)

    async def adelete(self, ids: Sequence[str]) -> None:
        """Async `delete`."""
        await asyncio.to_thread(self.delete, ids)
