"""The backend interface: what `HybridRetriever` needs from a search backend."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar, Protocol, runtime_checkable

from langchain_hybrid.errors import ConfigError

if TYPE_CHECKING:
    from langchain_core.documents import Document

    from langchain_hybrid._types import HybridQuery

__all__ = ["HybridBackend", "assign_ids"]


@runtime_checkable
class HybridBackend(Protocol):
    """A hybrid search backend (local ensemble, or Weaviate's native hybrid query).

    `search` returns documents built by `langchain_hybrid.results.to_document`, best
    first, at most `query.k` of them. Writes keep both legs in sync under the same ids.
    """

    option_names: ClassVar[frozenset[str]]
    """Backend-specific per-call options accepted in `HybridQuery.options`."""

    def search(self, query: HybridQuery) -> list[Document]:
        """Run a hybrid query."""
        ...

    async def asearch(self, query: HybridQuery) -> list[Document]:
        """Run a hybrid query without blocking the event loop."""
        ...

    def add_documents(
        self, documents: Sequence[Document], ids: Sequence[str] | None = None
    ) -> list[str]:
        """Add or replace documents in both legs; returns their ids."""
        ...

    async def aadd_documents(
        self, documents: Sequence[Document], ids: Sequence[str] | None = None
    ) -> list[str]:
        """Async `add_documents`."""
        ...

    def delete(self, ids: Sequence[str]) -> None:
        """Delete documents from both legs; unknown ids are ignored."""
        ...

    async def adelete(self, ids: Sequence[str]) -> None:
        """Async `delete`."""
        ...


def assign_ids(documents: Sequence[Document], ids: Sequence[str] | None) -> list[str]:
    """The id of each document: `ids[i]`, else `documents[i].id`, else a new UUID4.

    Raises:
        ConfigError: if `ids` has the wrong length, an id is not a non-empty string, or
            an id appears twice.
    """
    if ids is not None:
        if isinstance(ids, str) or len(ids) != len(documents):
            msg = f"ids must be a list with one id per document ({len(documents)}), got {ids!r}"
            raise ConfigError(msg)
        chosen = list(ids)
    else:
        chosen = [doc.id or str(uuid.uuid4()) for doc in documents]
    for doc_id in chosen:
        if not isinstance(doc_id, str) or not doc_id:
            msg = f"document ids must be non-empty strings, got {doc_id!r}"
            raise ConfigError(msg)
    if len(set(chosen)) != len(chosen):
        repeated = sorted(doc_id for doc_id, n in Counter(chosen).items() if n > 1)
        msg = (
            f"ids {repeated[:5]} appear more than once in one write; which version to keep "
            "would be a guess. Pass each document once (drop or merge the duplicates)."
        )
        raise ConfigError(msg)
    return chosen
