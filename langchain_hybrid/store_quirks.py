"""What differs between LangChain vector stores, in one table, with the reason for each entry.

LangChain's `VectorStore` interface leaves some things to each store: how to list its ids
(there is no method for it), whether `similarity_search_with_score` returns a similarity
or a distance, which filter argument it takes, whether `add_documents` replaces an
existing id. Everything this package needs to know about a particular store is an entry
here, found through the store's class and its bases (a subclass keeps its base's quirks),
keyed by the top-level module and class name so that optional packages (chromadb, faiss)
are never imported to look a store up.

Example:
    >>> from langchain_core.embeddings import DeterministicFakeEmbedding
    >>> from langchain_core.vectorstores import InMemoryVectorStore
    >>> quirks_of(InMemoryVectorStore(DeterministicFakeEmbedding(size=4))).filter_argument
    'document_callable'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from langchain_core.documents import Document

__all__ = [
    "FilterArgument",
    "IdLister",
    "StoreQuirks",
    "listable_store_names",
    "quirks_of",
    "set_quirks",
]

IdLister = Callable[[Any], Sequence[str]]
"""A function from a store to the ids of every document it holds."""
DocumentGetter = Callable[[Any, Sequence[str]], list[Document]]

FilterArgument = Literal["where", "document_callable", "metadata_callable_full_scan"]
"""How a store takes a filter: a Chroma-style `where` dict (the default for stores we do
not know: a store that ignores it is still post-filtered), a `Document -> bool` callable,
or a `metadata -> bool` callable applied after a search that must then cover every vector."""


@dataclass(frozen=True)
class StoreQuirks:
    """Everything that differs from the default for one store class.

    Attributes:
        list_ids: how to list the ids of every document (`None`: it cannot be listed).
        get_documents: a stand-in for `get_by_ids`, where the store's own one is broken.
        scores_are_similarities: `similarity_search_with_score` already returns a
            higher-is-better similarity, so no relevance function is applied.
        async_blocks_event_loop: its async search computes on the event loop, so it is
            run in a worker thread instead.
        upserts: `add_documents` with an existing id replaces the document (else the old
            one is deleted first).
        filter_argument: how it takes a filter (`FilterArgument`).
    """

    list_ids: IdLister | None = None
    get_documents: DocumentGetter | None = None
    scores_are_similarities: bool = False
    async_blocks_event_loop: bool = False
    upserts: bool = True
    filter_argument: FilterArgument = "where"


def _in_memory_ids(store: Any) -> Sequence[str]:
    return list(store.store)


def _numpy_ids(store: Any) -> Sequence[str]:
    return store.ids()  # type: ignore[no-any-return]


def _chroma_ids(store: Any) -> Sequence[str]:
    return list(store.get(include=[])["ids"])


def _faiss_ids(store: Any) -> Sequence[str]:
    return list(store.index_to_docstore_id.values())


def _chroma_documents(store: Any, ids: Sequence[str]) -> list[Document]:
    found = store.get(ids=list(ids), include=["documents", "metadatas"])
    return [
        Document(id=doc_id, page_content=text or "", metadata=metadata or {})
        for doc_id, text, metadata in zip(
            found["ids"], found["documents"], found["metadatas"], strict=True
        )
    ]


_QUIRKS: dict[tuple[str, str], StoreQuirks] = {
    # One dict entry per document, keyed by id. Its scores are cosine similarities (what
    # Weaviate uses), its async search is the sync one on the event loop, and its filter
    # is a Document -> bool callable.
    ("langchain_core", "InMemoryVectorStore"): StoreQuirks(
        list_ids=_in_memory_ids,
        scores_are_similarities=True,
        async_blocks_event_loop=True,
        filter_argument="document_callable",
    ),
    # Ours: lists its ids; scores are cosine similarities through its relevance function;
    # its filter may be a Document -> bool callable (parsed once, not per store call).
    ("langchain_hybrid", "NumpyVectorStore"): StoreQuirks(
        list_ids=_numpy_ids, filter_argument="document_callable"
    ),
    # `get(include=[])` returns every id and nothing else. langchain-chroma's get_by_ids
    # builds Document(metadata=None), which fails, for a document stored without
    # metadata: the stand-in reads the collection and defaults to {}.
    ("langchain_chroma", "Chroma"): StoreQuirks(
        list_ids=_chroma_ids, get_documents=_chroma_documents
    ),
    ("langchain_community", "Chroma"): StoreQuirks(list_ids=_chroma_ids),
    # FAISS maps each vector's position to its docstore id (deletes remove the entry);
    # it refuses an id it already holds; its filter is a metadata callable applied after
    # a `fetch_k`-deep search, so a selective filter needs `fetch_k` = every vector.
    ("langchain_community", "FAISS"): StoreQuirks(
        list_ids=_faiss_ids, upserts=False, filter_argument="metadata_callable_full_scan"
    ),
}

_DEFAULT = StoreQuirks()


def _key(store_type: type) -> tuple[str, str]:
    return store_type.__module__.split(".", 1)[0], store_type.__name__


def quirks_of(store: object) -> StoreQuirks:
    """The quirks of `store`'s class, or of its nearest base in the table; else defaults."""
    return _quirks_of_type(type(store))


def _quirks_of_type(store_type: type) -> StoreQuirks:
    for cls in store_type.__mro__:
        quirks = _QUIRKS.get(_key(cls))
        if quirks is not None:
            return quirks
    return _DEFAULT


def set_quirks(store_type: type, **changes: Any) -> None:
    """Change (or add) the entry of a store class: `changes` are `StoreQuirks` fields.

    The class starts from what it inherits, so a subclass keeps its base's quirks.

    Example:
        >>> class MyStore:
        ...     pass
        >>> set_quirks(MyStore, upserts=False)
        >>> quirks_of(MyStore()).upserts
        False
    """
    base = _quirks_of_type(store_type)
    _QUIRKS[_key(store_type)] = dataclasses.replace(base, **changes)


def listable_store_names() -> list[str]:
    """The class names of the stores whose ids can be listed, for error messages."""
    return sorted({name for (_, name), quirks in _QUIRKS.items() if quirks.list_ids})
