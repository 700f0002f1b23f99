"""The keyword-index interface, shared helpers, and the registry of engines by name."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from langchain_core.documents import Document

from langchain_hybrid.errors import ConfigError

if TYPE_CHECKING:
    from pathlib import Path

    from langchain_hybrid._types import DocumentPredicate, Hit
    from langchain_hybrid.analysis import Analyzer

__all__ = [
    "KeywordIndex",
    "SavableKeywordIndex",
    "document_from_json",
    "document_to_json",
    "json_default",
    "search_filtered",
]


_OVERFETCH = 4  # each filtered round asks for 4x more, so a selective filter costs few rounds


@runtime_checkable
class KeywordIndex(Protocol):
    """A BM25 index over documents keyed by id.

    Implementations own their documents (so keyword-only hits can be returned), analyse
    text with their `analyzer`, and are safe for concurrent readers and one writer at a
    time: a `delete` that has returned is never seen by a later `search`.
    """

    analyzer: Analyzer

    def add(self, documents: Sequence[Document], ids: Sequence[str]) -> None:
        """Insert documents under the given ids, replacing documents with the same id."""
        ...

    def delete(self, ids: Sequence[str]) -> int:
        """Remove documents by id; unknown ids are ignored. Returns how many were removed."""
        ...

    def search(self, query: str, k: int) -> list[Hit]:
        """The `k` best documents for `query`, best first; only documents that match a term."""
        ...

    def get(self, ids: Sequence[str]) -> list[Document]:
        """Documents by id, in the order given; unknown ids are skipped."""
        ...

    def __len__(self) -> int:
        """Number of documents."""
        ...

    def __contains__(self, doc_id: object) -> bool:
        """Whether a document with this id is indexed."""
        ...

    def ids(self) -> list[str]:
        """The ids of every indexed document, in no particular order."""
        ...


@runtime_checkable
class SavableKeywordIndex(KeywordIndex, Protocol):
    """A keyword index that `langchain_hybrid.persistence` can save and load.

    `export_files` writes the index's own files into a directory and returns the small
    JSON state that goes into the manifest; `import_files` rebuilds an index from both.
    """

    @property
    def engine_name(self) -> str:
        """The engine's name in `keyword_index.ENGINES`, recorded in the manifest."""
        ...

    def export_files(self, destination: Path) -> dict[str, Any]:
        """Write the index's files into `destination`; return the manifest's state."""
        ...

    @classmethod
    def import_files(
        cls, source: Path, state: dict[str, Any], analyzer: Analyzer
    ) -> SavableKeywordIndex:
        """Rebuild an index from the files `export_files` wrote and its state."""
        ...


def search_filtered(
    index: KeywordIndex, query: str, k: int, predicate: DocumentPredicate | None
) -> list[Hit]:
    """`index.search`, keeping only documents that pass `predicate`, still returning `k`.

    Over-fetches in growing rounds until `k` documents pass or the index has no more
    matches, so a filter never shrinks the result below what exists.
    """
    if predicate is None:
        return index.search(query, k)
    limit = max(k * _OVERFETCH, 16)
    while True:
        hits = index.search(query, limit)
        documents = {doc.id: doc for doc in index.get([h.id for h in hits])}
        kept = [h for h in hits if h.id in documents and predicate(documents[h.id])]
        if len(kept) >= k or len(hits) < limit:
            return kept[:k]
        limit *= _OVERFETCH


def json_default(value: object) -> Any:
    """`json.dumps` fallback for metadata: dates and UUIDs as strings, sets as lists."""
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    msg = (
        f"metadata values must be JSON-serialisable (str, number, bool, None, list, dict, "
        f"date, UUID); got {type(value).__name__} {value!r}. Convert it before indexing."
    )
    raise ConfigError(msg)


_ENCODER = json.JSONEncoder(
    default=json_default, ensure_ascii=False
)  # `json.dumps` makes one per call


def document_to_json(document: Document, doc_id: str) -> str:
    """Serialise a document for storage inside an index (JSON, never pickle)."""
    payload = {"id": doc_id, "page_content": document.page_content, "metadata": document.metadata}
    return _ENCODER.encode(payload)


def document_from_json(text: str | bytes) -> Document:
    """Inverse of `document_to_json`."""
    payload: Mapping[str, Any] = json.loads(text)
    return Document(
        id=payload["id"], page_content=payload["page_content"], metadata=payload["metadata"]
    )
