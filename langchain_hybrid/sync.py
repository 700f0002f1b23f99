"""The keyword index follows the vector store: fingerprints, drift, and reconciliation.

The vector store is the source of truth. Writes through `HybridVectorStore` reach both
legs, but a pipeline may also write to the store directly, or restart with a keyword
index saved before the store changed. This module compares the two and repairs the
keyword index:

- `Contents`: what a side holds, as a document count and a fingerprint of its
  (id, content, metadata) set. The fingerprint is an order-free sum of per-document
  SHA-256 digests, so it is computed in one streaming pass, in any order.
- `compare` lists what differs (`Drift`); `reconcile` makes the keyword index hold
  exactly the store's documents and reports what it changed (`ReconcileReport`).

Example:
    >>> from langchain_core.documents import Document
    >>> from langchain_core.embeddings import DeterministicFakeEmbedding
    >>> from langchain_hybrid.keyword_index import TantivyIndex
    >>> from langchain_hybrid.vectorstore import NumpyVectorStore
    >>> store = NumpyVectorStore(DeterministicFakeEmbedding(size=8))
    >>> store.add_documents([Document("new text")], ids=["a"])
    ['a']
    >>> index = TantivyIndex()
    >>> index.add([Document("old text")], ["b"])
    >>> print(reconcile(index, store))
    keyword index reconciled with NumpyVectorStore: 1 added, 0 updated, 1 removed, 0 unchanged
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from langchain_hybrid.keyword_index.base import json_default
from langchain_hybrid.store_contents import Progress, iter_store_documents

if TYPE_CHECKING:
    from langchain_core.documents import Document
    from langchain_core.vectorstores import VectorStore

    from langchain_hybrid.keyword_index.base import KeywordIndex

__all__ = [
    "Contents",
    "Drift",
    "ReconcileReport",
    "compare",
    "contents_of",
    "document_digest",
    "index_contents",
    "reconcile",
    "store_contents",
]

_MODULUS = 1 << 256
_SAMPLE = 5  # ids quoted in a message


def document_digest(document: Document) -> str:
    """SHA-256 of a document's text and metadata (canonical JSON; the id is not included).

    Example:
        >>> from langchain_core.documents import Document
        >>> document_digest(Document("x", metadata={"b": 1, "a": 2})) == document_digest(
        ...     Document("x", metadata={"a": 2, "b": 1})
        ... )
        True
    """
    payload = json.dumps(
        [document.page_content, document.metadata],
        sort_keys=True,
        ensure_ascii=False,
        default=json_default,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class Contents:
    """What one side holds: how many documents, and a fingerprint of all of them.

    Two sides with equal `Contents` hold the same ids with the same text and metadata.
    """

    count: int
    fingerprint: str

    def to_json(self) -> dict[str, int | str]:
        """The form stored in a saved index's manifest."""
        return {"count": self.count, "fingerprint": self.fingerprint}


def contents_of(documents: Iterable[Document]) -> Contents:
    """The `Contents` of documents that carry their ids (any order).

    Example:
        >>> from langchain_core.documents import Document
        >>> a, b = Document("x", id="1"), Document("y", id="2")
        >>> contents_of([a, b]) == contents_of([b, a])
        True
    """
    total, count = 0, 0
    for document in documents:
        line = f"{document.id}\0{document_digest(document)}".encode()
        total = (total + int.from_bytes(hashlib.sha256(line).digest(), "big")) % _MODULUS
        count += 1
    return Contents(count, f"{total:064x}")


def _index_documents(index: KeywordIndex, batch_size: int) -> Iterator[Document]:
    ids = index.ids()
    for start in range(0, len(ids), batch_size):
        yield from index.get(ids[start : start + batch_size])


def index_contents(index: KeywordIndex, *, batch_size: int = 1000) -> Contents:
    """The `Contents` of a keyword index."""
    return contents_of(_index_documents(index, batch_size))


def store_contents(
    store: VectorStore, *, batch_size: int = 1000, progress: Progress | None = None
) -> Contents:
    """The `Contents` of a vector store (it must be able to list its documents)."""
    return contents_of(
        document
        for batch in iter_store_documents(store, batch_size=batch_size, progress=progress)
        for document in batch
    )


@dataclass(frozen=True)
class Drift:
    """How the keyword index differs from the vector store.

    Attributes:
        missing: ids in the store that the keyword index lacks (BM25 cannot find them).
        stale: ids in the keyword index that the store no longer holds.
        changed: ids in both whose text or metadata differ.
    """

    missing: tuple[str, ...]
    stale: tuple[str, ...]
    changed: tuple[str, ...]

    @property
    def in_sync(self) -> bool:
        """Whether both sides hold the same documents."""
        return not (self.missing or self.stale or self.changed)

    def describe(self) -> str:
        """One line per kind of difference, with a few ids of each."""
        parts = []
        for label, ids in (
            ("in the store but not in the keyword index", self.missing),
            ("in the keyword index but no longer in the store", self.stale),
            ("changed in the store since they were indexed", self.changed),
        ):
            if ids:
                parts.append(f"{len(ids)} {label} (e.g. {list(ids[:_SAMPLE])})")
        return "; ".join(parts) or "in sync"


@dataclass(frozen=True)
class ReconcileReport:
    """What `reconcile` changed in the keyword index."""

    store: str
    added: tuple[str, ...]
    updated: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: int

    @property
    def changed(self) -> bool:
        """Whether anything was written."""
        return bool(self.added or self.updated or self.removed)

    def __str__(self) -> str:
        """A one-line summary."""
        return (
            f"keyword index reconciled with {self.store}: {len(self.added)} added, "
            f"{len(self.updated)} updated, {len(self.removed)} removed, "
            f"{self.unchanged} unchanged"
        )


def _walk(
    index: KeywordIndex,
    store: VectorStore,
    batch_size: int,
    progress: Progress | None,
    *,
    apply: bool,
) -> tuple[list[str], list[str], list[str], int]:
    """One pass over the store: (missing, changed, stale, unchanged), repaired if `apply`."""
    missing: list[str] = []
    changed: list[str] = []
    unchanged = 0
    seen: set[str] = set()
    for batch in iter_store_documents(store, batch_size=batch_size, progress=progress):
        ids = [doc.id or "" for doc in batch]
        seen.update(ids)
        indexed = {doc.id: document_digest(doc) for doc in index.get(ids)}
        writes: list[Document] = []
        for document, doc_id in zip(batch, ids, strict=True):
            digest = indexed.get(doc_id)
            if digest is None:
                missing.append(doc_id)
                writes.append(document)
            elif digest != document_digest(document):
                changed.append(doc_id)
                writes.append(document)
            else:
                unchanged += 1
        if apply and writes:
            index.add(writes, [doc.id or "" for doc in writes])
    stale = [doc_id for doc_id in index.ids() if doc_id not in seen]
    if apply and stale:
        index.delete(stale)
    return missing, changed, stale, unchanged


def compare(
    index: KeywordIndex,
    store: VectorStore,
    *,
    batch_size: int = 1000,
    progress: Progress | None = None,
) -> Drift:
    """What differs between the keyword index and the store (nothing is written).

    Raises:
        ConfigError: the store cannot list its documents.
    """
    missing, changed, stale, _ = _walk(index, store, batch_size, progress, apply=False)
    return Drift(tuple(missing), tuple(stale), tuple(changed))


def reconcile(
    index: KeywordIndex,
    store: VectorStore,
    *,
    batch_size: int = 1000,
    progress: Progress | None = None,
) -> ReconcileReport:
    """Make the keyword index hold exactly the store's documents; report what changed.

    Documents the index lacks are added, changed ones re-indexed from the store's copy,
    and ids the store no longer holds are removed. Writes go in batches of `batch_size`,
    each atomic in the keyword index; running it again after a failure finishes the job.

    Raises:
        ConfigError: the store cannot list its documents.
    """
    missing, changed, stale, unchanged = _walk(index, store, batch_size, progress, apply=True)
    return ReconcileReport(
        store=type(store).__name__,
        added=tuple(missing),
        updated=tuple(changed),
        removed=tuple(stale),
        unchanged=unchanged,
    )
