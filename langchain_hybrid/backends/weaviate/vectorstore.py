"""`WeaviateBackend` over the collection of a `langchain_weaviate.WeaviateVectorStore`.

`HybridRetriever.from_vectorstore` uses these to run Weaviate's native hybrid query on a
collection that `langchain_weaviate` already writes to; langchain-weaviate is an optional
extra, imported on use.
"""

from __future__ import annotations

from typing import Any

from langchain_hybrid.backends.weaviate.backend import WeaviateBackend
from langchain_hybrid.errors import ConfigError

__all__ = ["backend_from_weaviate_vectorstore", "is_weaviate_vectorstore"]


def is_weaviate_vectorstore(store: object) -> bool:
    """Whether `store` is a `langchain_weaviate.WeaviateVectorStore` (import-free check).

    Example:
        >>> is_weaviate_vectorstore(object())
        False
    """
    try:
        from langchain_weaviate import WeaviateVectorStore  # noqa: PLC0415 - optional extra
    except ImportError:
        return False
    return isinstance(store, WeaviateVectorStore)


def backend_from_weaviate_vectorstore(store: Any, **kwargs: Any) -> WeaviateBackend:
    """A `WeaviateBackend` on the collection of a `langchain_weaviate.WeaviateVectorStore`.

    Uses the store's client (and async client), index name, text key and embedding, so
    searches run Weaviate's native hybrid query on the documents already there. The
    collection is not created (`create=False`); documents written by `langchain_weaviate`
    have no id property, so their ids are their object UUIDs (the ids it returned).

    Args:
        store: the vector store.
        **kwargs: more `WeaviateBackend` arguments (`tenant`, `verify_schema`, ...).

    Raises:
        ConfigError: `store` is not a `WeaviateVectorStore`, or it has no embedding.

    Example:
        ```python
        store = WeaviateVectorStore(client, "Docs", "text", embeddings)
        retriever = HybridRetriever(backend=backend_from_weaviate_vectorstore(store))
        ```
    """
    if not is_weaviate_vectorstore(store):
        msg = f"expected a langchain_weaviate.WeaviateVectorStore, got {type(store).__name__}"
        raise ConfigError(msg)
    if store.embeddings is None:
        msg = (
            "the WeaviateVectorStore has no embedding: the Weaviate backend sends its own "
            "query vectors; create the store with embedding=..."
        )
        raise ConfigError(msg)
    arguments: dict[str, Any] = {
        "text_key": store._text_key,  # noqa: SLF001 - the store keeps these private
        "create": False,
        "async_client": getattr(store, "_client_async", None),
        **kwargs,
    }
    return WeaviateBackend(
        store._client,  # noqa: SLF001
        store._index_name,  # noqa: SLF001
        store.embeddings,
        **arguments,
    )
