"""Reading what a vector store holds: its ids, then its documents in batches.

The keyword index is derived from the vector store, so building it from a populated
store, checking it for drift and reconciling it all start by listing the store. LangChain's
`VectorStore` has `get_by_ids` but no way to list ids, so each store's own way is kept in
the table of `langchain_hybrid.store_quirks`, with the reason it works;
`register_id_lister` adds a store of yours. `get_documents` is `get_by_ids` with the one
store quirk that breaks it worked around.

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

from langchain_core.documents import Document
from langchain_core.vectorstores import VectorStore

from langchain_hybrid.errors import BackendError, ConfigError
from langchain_hybrid.store_quirks import IdLister, listable_store_names, quirks_of, set_quirks

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

Progress = Callable[[int, int], None]
"""Called after each batch with (documents done, documents in all)."""


def _lister(store: VectorStore) -> IdLister | None:
    return quirks_of(store).list_ids


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
    set_quirks(store_type, list_ids=lister)


def store_supports_get_by_ids(store: VectorStore) -> bool:
    """Whether the store implements `get_by_ids` (the base class only raises)."""
    return type(store).get_by_ids is not VectorStore.get_by_ids


def get_documents(store: VectorStore, ids: Sequence[str]) -> list[Document]:
    """`store.get_by_ids(ids)`: the documents found, each with its id, in one call."""
    if not ids:
        return []  # Chroma refuses an empty list
    getter = quirks_of(store).get_documents
    return store.get_by_ids(ids) if getter is None else getter(store, ids)


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
            f"{listable_store_names()}), so the keyword index cannot be "
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
