"""Reading what a vector store holds: its ids, then its documents in batches.

The keyword index is derived from the vector store, so building it from a populated
store, checking it for drift and reconciling it all start by listing the store. LangChain's
`VectorStore` has `get_by_ids` but no way to list ids, so each store's own way is kept in
one table below, with the reason it works; `register_id_lister` adds a store of yours.
`get_documents` is `get_by_ids` with the one store quirk that breaks it worked around.

Example:
    >>> from langchain_core.documents import Document
    >>> from langchain_core.embeddings import DeterministicFakeEmbedding
    >>> from langchain_core.vectorstores import InMemoryVectorStore
    >>> store = InMemoryVectorStore(DeterministicFakeEmbedding(size=8))
    >>> store.add_documents([Document("a"), Document("b")], ids=["1", "2"])
    ['1', '2']
    >>> [[doc.id for doc in batch] for batch in iter_store_documents(store, batch_size=1)]
    [['1'], ['2']]
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from langchain_core.documents import Document
from langchain_core.vectorstores import VectorStore

from langchain_hybrid.errors import BackendError, ConfigError

__all__ = [
    "IdLister",
    "Progress",
    "can_list",
    "get_documents",
    "iter_store_documents",
    "list_store_ids",
    "register_id_lister",
    "store_supports_get_by_ids",
]

logger = logging.getLogger("langchain_hybrid")

IdLister = Callable[[Any], Sequence[str]]
"""A function from a store to the ids of every document it holds."""
Progress = Callable[[int, int], None]
"""Called after each batch with (documents done, documents in all)."""


def _in_memory_ids(store: Any) -> Sequence[str]:
    # InMemoryVectorStore keeps one dict entry per document, keyed by id.
    return list(store.store)


def _numpy_ids(store: Any) -> Sequence[str]:
    return store.ids()  # type: ignore[no-any-return]


def _chroma_ids(store: Any) -> Sequence[str]:
    # Chroma's `get` with an empty `include` returns every id and nothing else.
    return list(store.get(include=[])["ids"])


def _faiss_ids(store: Any) -> Sequence[str]:
    # FAISS maps each vector's position to its docstore id; deletes remove the entry.
    return list(store.index_to_docstore_id.values())


# (module root, class name) -> how that store lists its ids. Keyed by name so that the
# optional packages (chromadb, faiss) are never imported to look a store up.
_ID_LISTERS: dict[tuple[str, str], IdLister] = {
    ("langchain_core", "InMemoryVectorStore"): _in_memory_ids,
    ("langchain_hybrid", "NumpyVectorStore"): _numpy_ids,
    ("langchain_chroma", "Chroma"): _chroma_ids,
    ("langchain_community", "Chroma"): _chroma_ids,
    ("langchain_community", "FAISS"): _faiss_ids,
}


def _chroma_documents(store: Any, ids: Sequence[str]) -> list[Document]:
    # langchain-chroma's get_by_ids builds Document(metadata=None), which fails, for a
    # document stored without metadata; read the collection and default to {}.
    found = store.get(ids=list(ids), include=["documents", "metadatas"])
    return [
        Document(id=doc_id, page_content=text or "", metadata=metadata or {})
        for doc_id, text, metadata in zip(
            found["ids"], found["documents"], found["metadatas"], strict=True
        )
    ]


# Stores whose get_by_ids needs a stand-in (same contract: found ids, any order).
_GETTERS: dict[tuple[str, str], Callable[[Any, Sequence[str]], list[Document]]] = {
    ("langchain_chroma", "Chroma"): _chroma_documents,
}


def _key(store_type: type) -> tuple[str, str]:
    return store_type.__module__.split(".", 1)[0], store_type.__name__


def _lister(store: VectorStore) -> IdLister | None:
    for store_type in type(store).__mro__:
        lister = _ID_LISTERS.get(_key(store_type))
        if lister is not None:
            return lister
    return None


def register_id_lister(store_type: type[VectorStore], lister: IdLister) -> None:
    """Teach langchain-hybrid how to list the ids of a vector store class (and subclasses).

    Example:
        >>> from langchain_core.vectorstores import InMemoryVectorStore
        >>> class MyStore(InMemoryVectorStore):
        ...     pass
        >>> register_id_lister(MyStore, lambda store: list(store.store))
        >>> can_list(MyStore(None))
        True
    """
    _ID_LISTERS[_key(store_type)] = lister


def store_supports_get_by_ids(store: VectorStore) -> bool:
    """Whether the store implements `get_by_ids` (the base class only raises)."""
    return type(store).get_by_ids is not VectorStore.get_by_ids


def get_documents(store: VectorStore, ids: Sequence[str]) -> list[Document]:
    """`store.get_by_ids(ids)`: the documents found, each with its id, in one call."""
    if not ids:
        return []  # Chroma refuses an empty list
    for store_type in type(store).__mro__:
        getter = _GETTERS.get(_key(store_type))
        if getter is not None:
            return getter(store, ids)
    return store.get_by_ids(ids)


def can_list(store: VectorStore) -> bool:
    """Whether the documents of `store` can be listed (ids known, `get_by_ids` works)."""
    return _lister(store) is not None and store_supports_get_by_ids(store)


def list_store_ids(store: VectorStore) -> list[str]:
    """The ids of every document in `store`.

    Raises:
        ConfigError: the store cannot list its documents; the message says what to do.
    """
    lister = _lister(store)
    if lister is None or not store_supports_get_by_ids(store):
        name = type(store).__name__
        msg = (
            f"{name} cannot list its documents (langchain-hybrid knows how for "
            f"{sorted({cls for _, cls in _ID_LISTERS})}), so the keyword index cannot be "
            "built or checked from it. Pass documents= (the store's documents, with their "
            "ids) or keyword_index= (a saved index), or teach it with "
            f"langchain_hybrid.register_id_lister({name}, lambda store: [...ids...])."
        )
        raise ConfigError(msg)
    return list(lister(store))


def iter_store_documents(
    store: VectorStore, *, batch_size: int = 1000, progress: Progress | None = None
) -> Iterator[list[Document]]:
    """Every document of `store`, in batches of `batch_size`, each with its store id.

    Only one batch is held at a time (plus the list of ids). A document deleted while
    this runs is skipped; one added meanwhile may be missed.

    Raises:
        ConfigError: the store cannot list its documents.
        BackendError: the store returned a document without an id.
    """
    ids = list_store_ids(store)
    total = len(ids)
    for start in range(0, total, batch_size):
        wanted = ids[start : start + batch_size]
        batch = get_documents(store, wanted)
        for document in batch:
            if document.id is None:
                msg = (
                    f"{type(store).__name__}.get_by_ids returned a document without an id; "
                    "upgrade the vector store package (LangChain stores set Document.id)"
                )
                raise BackendError(msg)
        done = min(start + batch_size, total)
        if progress is not None:
            progress(done, total)
        logger.debug("read %d of %d documents from %s", done, total, type(store).__name__)
        yield batch
