"""Exceptions raised by `langchain_hybrid`.

The tree follows what a caller can do about the problem:

```
HybridSearchError                 root: catch this to catch everything from this package
├── ConfigError(ValueError)       a bad argument (alpha, k, filter, engine name, ...): fix the call
├── IndexFormatError(ValueError)  a saved index that is truncated, tampered with or too new
├── IndexDriftError               the keyword index and the vector store hold different documents
└── BackendError                  the search backend failed
    ├── ServerUnavailableError    the server could not be reached (the message names it)
    ├── CollectionNotFoundError   the Weaviate collection (or tenant) does not exist
    ├── SchemaMismatchError       an existing collection has a schema we must not write into
    ├── ConsistencyError          a Weaviate cluster could not meet the consistency level
    └── IngestError               some documents were not written; `failed` lists them
```

Third-party exceptions are translated into these at the backend edge, always chained with
`raise ... from exc` so the original cause stays visible.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from langchain_hybrid.sync import Drift

__all__ = [
    "BackendError",
    "CollectionNotFoundError",
    "ConfigError",
    "ConsistencyError",
    "HybridSearchError",
    "IndexDriftError",
    "IndexFormatError",
    "IngestError",
    "SchemaMismatchError",
    "ServerUnavailableError",
]


class HybridSearchError(Exception):
    """Base class of every exception raised by `langchain_hybrid`."""


class ConfigError(HybridSearchError, ValueError):
    """An argument is invalid; the message names it, its value and what is allowed."""


class IndexFormatError(HybridSearchError, ValueError):
    """A saved index cannot be loaded: truncated, tampered with, or from a newer version."""


class IndexDriftError(HybridSearchError):
    """The keyword index does not hold what the vector store holds.

    Raised when a saved keyword index is loaded over a store that changed after the save.
    `reconcile()` repairs it (or pass `on_drift="reconcile"` when loading).

    Attributes:
        drift: what differs (`langchain_hybrid.sync.Drift`).
    """

    def __init__(self, message: str, drift: Drift) -> None:
        """Create the error with the differences found."""
        super().__init__(message)
        self.drift = drift


class BackendError(HybridSearchError):
    """The search backend (keyword engine, vector store or server) failed."""


class ServerUnavailableError(BackendError):
    """The search server could not be reached."""


class CollectionNotFoundError(BackendError):
    """The collection (or the tenant) the retriever points at does not exist."""


class SchemaMismatchError(BackendError):
    """An existing collection's schema does not match what the retriever needs."""


class ConsistencyError(BackendError):
    """A replicated collection could not meet the consistency level of a request.

    Raised by a search, or by a write of which nothing was written (a write that fails
    part-way is an `IngestError` listing what was not written). The message names the
    level, how many replicas it needs, how many answered and what to do.

    Attributes:
        level: the consistency level asked for (`"ONE"`, `"QUORUM"` or `"ALL"`).
        required: replicas of each shard the level needs.
        answered: replicas of the worst-off shard that were on healthy nodes, if known.
    """

    def __init__(self, message: str, *, level: str, required: int, answered: int | None) -> None:
        """Create the error with the level and the replica counts."""
        super().__init__(message)
        self.level = level
        self.required = required
        self.answered = answered


class IngestError(BackendError):
    """Some documents were not written.

    Attributes:
        failed: document id -> error message, for every document that was not written.
            Documents not listed here were written.
    """

    def __init__(self, message: str, failed: Mapping[str, str]) -> None:
        """Create the error with the ids of the documents that were not written."""
        super().__init__(message)
        self.failed: dict[str, str] = dict(failed)

    @property
    def failed_ids(self) -> Sequence[str]:
        """Ids of the documents that were not written, in the order they were given."""
        return list(self.failed)
