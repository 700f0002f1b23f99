"""The keyword leg for an existing vector store: built from it, from its documents, or loaded.

Every way of getting a keyword index beside a store ends with an index that holds what
the store holds, or with an error that says why not:

- nothing given: the index is built from the store's own contents, in batches;
- `documents=`: their ids must be in the store, and the store's copies are indexed;
- `keyword_index=` (an index, or the path of a saved one): checked against the store, and
  on a difference `on_drift` decides: `"raise"` (`IndexDriftError`, the default),
  `"reconcile"` (repair and go on) or `"ignore"`.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from langchain_hybrid.analysis import default_local_analyzer
from langchain_hybrid.checks import positive_int
from langchain_hybrid.errors import ConfigError, IndexDriftError
from langchain_hybrid.keyword_index import KeywordIndex, create_keyword_index
from langchain_hybrid.persistence import load_keyword_index, saved_contents
from langchain_hybrid.store_contents import (
    Progress,
    can_list,
    get_documents,
    iter_store_documents,
    store_supports_get_by_ids,
)
from langchain_hybrid.sync import compare, reconcile, store_contents

if TYPE_CHECKING:
    from langchain_core.documents import Document
    from langchain_core.vectorstores import VectorStore

    from langchain_hybrid.analysis import Analyzer

__all__ = ["LARGE_STORE", "OnDrift", "keyword_index_for", "progress_printer"]

logger = logging.getLogger("langchain_hybrid")

OnDrift = Literal["raise", "reconcile", "ignore"]
_ON_DRIFT: tuple[OnDrift, ...] = ("raise", "reconcile", "ignore")
_MIN_SECONDS_BETWEEN_LINES = 1.0
LARGE_STORE = 50_000
"""Stores this large show progress while they are read, unless told not to."""


def progress_printer(label: str, *, show: bool | None = True) -> Progress | None:
    """A `Progress` that writes `label: done/total` to stderr, at most once a second.

    `show=None` prints only for stores of `LARGE_STORE` documents or more; `False` never.
    """
    if show is False:
        return None
    last = [0.0]
    smallest = 0 if show else LARGE_STORE

    def report(done: int, total: int) -> None:
        now = time.monotonic()
        if total < smallest:
            return
        if done == total or now - last[0] >= _MIN_SECONDS_BETWEEN_LINES:
            last[0] = now
            sys.stderr.write(f"{label}: {done}/{total} documents\n")

    return report


def keyword_index_for(
    store: VectorStore,
    *,
    documents: Sequence[Document] | None = None,
    ids: Sequence[str] | None = None,
    keyword_index: KeywordIndex | str | Path | None = None,
    keyword_engine: str = "tantivy",
    keyword_params: Mapping[str, Any] | None = None,
    analyzer: Analyzer | None = None,
    on_drift: OnDrift = "raise",
    batch_size: int = 1000,
    show_progress: bool | None = None,
) -> KeywordIndex:
    """A keyword index that holds what `store` holds (see the module docstring).

    Raises:
        ConfigError: both `documents` and `keyword_index`; documents whose ids the store
            lacks; a store that cannot list its documents when that is needed.
        IndexDriftError: `keyword_index` differs from the store and `on_drift="raise"`.
    """
    if on_drift not in _ON_DRIFT:
        msg = f"on_drift must be one of {list(_ON_DRIFT)}, got {on_drift!r}"
        raise ConfigError(msg)
    positive_int("batch_size", batch_size)
    name = type(store).__name__
    progress = progress_printer(f"reading {name}", show=show_progress)
    if documents is not None and keyword_index is not None:
        msg = "pass documents= or keyword_index=, not both"
        raise ConfigError(msg)
    if keyword_index is not None:
        return _checked(
            store,
            keyword_index,
            analyzer=analyzer,
            on_drift=on_drift,
            batch_size=batch_size,
            progress=progress,
        )
    keyword = create_keyword_index(
        keyword_engine, analyzer or default_local_analyzer(), **(keyword_params or {})
    )
    if documents is not None:
        docs = list(documents)
        keyword.add(*_store_copies(store, docs, _document_ids(docs, ids)))
        return keyword
    started = time.monotonic()
    for batch in iter_store_documents(store, batch_size=batch_size, progress=progress):
        keyword.add(batch, [doc.id or "" for doc in batch])
    logger.info(
        "keyword index built from %s: %d documents in %.1f s",
        name,
        len(keyword),
        time.monotonic() - started,
    )
    return keyword


def _checked(
    store: VectorStore,
    given: KeywordIndex | str | Path,
    *,
    analyzer: Analyzer | None,
    on_drift: OnDrift,
    batch_size: int,
    progress: Progress | None,
) -> KeywordIndex:
    """The given or saved index, checked against the store as `on_drift` says."""
    saved = None
    if isinstance(given, (str, Path)):
        keyword = load_keyword_index(given, analyzer=analyzer)
        saved = saved_contents(given)
        where = f"the keyword index saved at {given}"
    else:
        keyword = given
        where = "the keyword index given"
    if on_drift == "ignore":
        return keyword
    name = type(store).__name__
    if not can_list(store):
        msg = (
            f"cannot check {where} against {name}: the store cannot list its documents. "
            'Pass on_drift="ignore" to use it unchecked (queries still never return a '
            "document the store lacks), or register the store with "
            "langchain_hybrid.register_id_lister."
        )
        raise ConfigError(msg)
    if saved is not None and saved == store_contents(store, batch_size=batch_size):
        return keyword  # same ids, texts and metadata as when it was saved
    if on_drift == "reconcile":
        report = reconcile(keyword, store, batch_size=batch_size, progress=progress)
        logger.info("%s", report)
        return keyword
    drift = compare(keyword, store, batch_size=batch_size, progress=progress)
    if drift.in_sync:
        return keyword
    msg = (
        f"{where} does not match {name}: {drift.describe()}. The store is the source of "
        'truth: load with on_drift="reconcile", or call reconcile() on the retriever or '
        "HybridVectorStore, to bring the keyword index in step with it."
    )
    raise IndexDriftError(msg, drift)


def _document_ids(documents: list[Document], ids: Sequence[str] | None) -> list[str]:
    if ids is not None:
        if isinstance(ids, str) or len(ids) != len(documents):
            msg = f"ids must be a list with one id per document ({len(documents)})"
            raise ConfigError(msg)
        return list(ids)
    missing = [i for i, doc in enumerate(documents) if not doc.id]
    if missing:
        msg = (
            f"documents {missing[:5]} have no id; the keyword index must hold each document "
            "under its id in the vector store: set Document.id or pass ids="
        )
        raise ConfigError(msg)
    return [doc.id or "" for doc in documents]


def _store_copies(
    store: VectorStore, documents: list[Document], ids: list[str]
) -> tuple[list[Document], list[str]]:
    """The store's own copies of these documents; every id must be in the store."""
    if len(set(ids)) != len(ids):
        msg = "documents= lists the same id more than once; pass each document once"
        raise ConfigError(msg)
    if not store_supports_get_by_ids(store):
        return documents, ids  # nothing to check them against
    found: dict[str, Document] = {}
    for start in range(0, len(ids), 1000):
        found.update(
            (doc.id, doc) for doc in get_documents(store, ids[start : start + 1000]) if doc.id
        )
    absent = [doc_id for doc_id in ids if doc_id not in found]
    if absent:
        msg = (
            f"{len(absent)} of the documents= ids are not in {type(store).__name__} (e.g. "
            f"{absent[:5]}): the keyword index must hold the store's documents under the "
            "store's ids. Add them to the store first, or leave documents= out to build the "
            "keyword index from the store itself."
        )
        raise ConfigError(msg)
    return [found[doc_id] for doc_id in ids], ids
