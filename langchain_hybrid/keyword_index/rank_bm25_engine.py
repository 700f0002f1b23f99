"""A keyword engine on `rank_bm25`, the library behind LangChain's `BM25Retriever`.

For users migrating from `BM25Retriever` who want the same scores. `rank_bm25` scores
every document for every query in a Python loop (about 118 ms per query at 50k documents),
so prefer the default tantivy engine beyond a few thousand documents.

Differences from Weaviate's BM25 come with `rank_bm25` itself (DESIGN.md section 3):
`BM25Okapi` uses `idf = ln((N - n + 0.5)/(n + 0.5))` and replaces negative idf by
`epsilon * mean(idf)`. Two changes keep small corpora sane, and otherwise the scores are
`BM25Okapi`'s: an idf that is still zero or negative after that rule (a term in exactly
half the documents; a corpus whose mean idf is negative) becomes `epsilon * mean(|idf|)`,
and documents that contain no query term are never returned (`BM25Retriever` returns
them with score 0).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Final, Literal

import numpy as np
import rank_bm25
from langchain_core.documents import Document

from langchain_hybrid._types import Hit
from langchain_hybrid.analysis import Analyzer
from langchain_hybrid.checks import non_negative_number
from langchain_hybrid.errors import ConfigError
from langchain_hybrid.keyword_index.base import document_from_json, document_to_json

__all__ = ["RankBM25Index"]

Variant = Literal["okapi", "bm25l", "bm25plus"]


def _floor_idf(idf: dict[str, float], epsilon: float) -> None:
    """Replace non-positive idf values by a small positive floor, in place.

    `BM25Okapi` floors negative idf at `epsilon * mean(idf)`, but on small corpora that
    mean is itself negative or zero (most terms in half the documents or more), and a term
    in exactly half the documents gets idf 0, so a matching document can score 0 or less.
    Any idf still not positive after `BM25Okapi`'s rule becomes `epsilon * mean(|idf|)`.
    Scores equal `BM25Okapi`'s whenever it has no idf <= 0 after its own floor.
    """
    values = list(idf.values())
    if not values or min(values) > 0:
        return
    floor = epsilon * sum(abs(v) for v in values) / len(values) or epsilon or 1e-6
    for term, value in idf.items():
        if value <= 0:
            idf[term] = floor


class RankBM25Index:
    """BM25 keyword index using `rank_bm25` (`BM25Okapi`, `BM25L` or `BM25Plus`).

    Adding or deleting documents updates the term statistics incrementally (no text is
    re-analysed); scoring itself is `rank_bm25`'s.

    Example:
        >>> from langchain_core.documents import Document
        >>> index = RankBM25Index(variant="okapi", k1=1.5, b=0.75)
        >>> index.add([Document("error E1234"), Document("ok"), Document("fine")], ["a", "b", "c"])
        >>> [hit.id for hit in index.search("E1234", k=5)]
        ['a']
    """

    engine_name: Final = "rank_bm25"
    VARIANTS: ClassVar[dict[str, type[Any]]] = {
        "okapi": rank_bm25.BM25Okapi,
        "bm25l": rank_bm25.BM25L,
        "bm25plus": rank_bm25.BM25Plus,
    }
    _DEFAULT_EXTRA: ClassVar[dict[str, dict[str, float]]] = {
        "okapi": {"epsilon": 0.25},
        "bm25l": {"delta": 0.5},
        "bm25plus": {"delta": 1.0},
    }

    def __init__(
        self,
        analyzer: Analyzer | None = None,
        *,
        variant: Variant = "okapi",
        k1: float = 1.5,
        b: float = 0.75,
        **variant_params: float,
    ) -> None:
        """Create an empty index.

        Args:
            analyzer: how text becomes tokens; Weaviate-compatible by default.
            variant: `"okapi"` (`BM25Okapi`, what `BM25Retriever` uses), `"bm25l"` or `"bm25plus"`.
            k1: term-frequency saturation (`rank_bm25`'s default 1.5).
            b: length normalisation (0.75).
            **variant_params: `epsilon` for okapi, `delta` for bm25l / bm25plus.
        """
        if variant not in self.VARIANTS:
            msg = f"variant must be one of {sorted(self.VARIANTS)}, got {variant!r}"
            raise ConfigError(msg)
        allowed = self._DEFAULT_EXTRA[variant]
        unknown = set(variant_params) - set(allowed)
        if unknown:
            msg = f"{variant} takes {sorted(allowed)}, got unknown {sorted(unknown)}"
            raise ConfigError(msg)
        for name, value in {"k1": k1, "b": b, **variant_params}.items():
            non_negative_number(name, value)
        self.analyzer = analyzer or Analyzer()
        self.variant: Variant = variant
        self.params: dict[str, float] = {"k1": k1, "b": b, **allowed, **variant_params}
        self._lock = threading.RLock()
        self._documents: dict[str, Document] = {}
        self._frequencies: dict[str, dict[str, int]] = {}
        self._lengths: dict[str, int] = {}
        self._postings: dict[str, set[str]] = {}
        self._model: tuple[Any, list[str], dict[str, int]] | None = None

    # ------------------------------------------------------------------------ writing

    def add(self, documents: Sequence[Document], ids: Sequence[str]) -> None:
        """Insert or replace documents."""
        if len(documents) != len(ids):
            msg = f"got {len(documents)} documents but {len(ids)} ids"
            raise ValueError(msg)
        analysed = [
            (doc_id, doc, Counter(self.analyzer.document_tokens(doc.page_content)))
            for doc, doc_id in zip(documents, ids, strict=True)
        ]
        # A JSON round trip, as in the tantivy engine: the same metadata types from both
        # engines, a private copy, and unsaveable metadata rejected now rather than at save.
        stored = {
            doc_id: document_from_json(document_to_json(doc, doc_id)) for doc_id, doc, _ in analysed
        }
        with self._lock:
            self._remove([doc_id for doc_id, _, _ in analysed if doc_id in self._documents])
            for doc_id, _, frequencies in analysed:
                if doc_id in self._documents:  # repeated id within this call: last one wins
                    self._remove([doc_id])
                self._documents[doc_id] = stored[doc_id]
                self._frequencies[doc_id] = dict(frequencies)
                self._lengths[doc_id] = sum(frequencies.values())
                for term in frequencies:
                    self._postings.setdefault(term, set()).add(doc_id)
            self._model = None

    def delete(self, ids: Sequence[str]) -> int:
        """Remove documents by id; unknown ids are ignored."""
        with self._lock:
            present = list(dict.fromkeys(i for i in ids if i in self._documents))
            self._remove(present)
            if present:
                self._model = None
            return len(present)

    def _remove(self, ids: Sequence[str]) -> None:
        for doc_id in ids:
            for term in self._frequencies.pop(doc_id, {}):
                postings = self._postings[term]
                postings.discard(doc_id)
                if not postings:
                    del self._postings[term]
            self._documents.pop(doc_id, None)
            self._lengths.pop(doc_id, None)

    def _current_model(self) -> tuple[Any, list[str], dict[str, int]]:
        """The `rank_bm25` object for the current documents, rebuilt after a write.

        It is assembled from the kept term frequencies (no re-analysis) and replaced as a
        whole, so readers always see a consistent model.
        """
        with self._lock:
            if self._model is None:
                order = list(self._documents)
                # rank_bm25's constructor insists on a corpus; the attributes are set below.
                model = object.__new__(self.VARIANTS[self.variant])
                for name, value in self.params.items():
                    setattr(model, name, value)
                model.tokenizer = None
                model.corpus_size = len(order)
                model.doc_freqs = [self._frequencies[i] for i in order]
                model.doc_len = [self._lengths[i] for i in order]
                model.avgdl = sum(model.doc_len) / max(len(order), 1)
                model.idf = {}
                model._calc_idf({term: len(ids) for term, ids in self._postings.items()})
                _floor_idf(model.idf, self.params.get("epsilon", 0.25))
                self._model = (model, order, {doc_id: i for i, doc_id in enumerate(order)})
            return self._model

    # ------------------------------------------------------------------------ reading

    def search(self, query: str, k: int) -> list[Hit]:
        """The `k` best documents by `rank_bm25`'s score among those matching a query term."""
        tokens = self.analyzer.query_tokens(query)
        if not tokens or k <= 0 or not self._documents:
            return []
        with self._lock:  # postings change under writers; the model is replaced, not changed
            candidates = set().union(*(self._postings.get(t, ()) for t in set(tokens)))
            if not candidates:  # also covers "no document has a token": no model to build
                return []
            model, _, position = self._current_model()
        candidates &= position.keys()
        if not candidates:
            return []
        scores = np.asarray(model.get_scores(tokens), dtype=np.float64)
        hits = [Hit(doc_id, float(scores[position[doc_id]])) for doc_id in candidates]
        hits.sort(key=lambda h: (-h.score, h.id))
        return hits[:k]

    def get(self, ids: Sequence[str]) -> list[Document]:
        """Documents by id, in the order given; unknown ids are skipped."""
        documents = self._documents
        return [documents[i] for i in ids if i in documents]

    def __len__(self) -> int:
        """Number of documents."""
        return len(self._documents)

    def __contains__(self, doc_id: object) -> bool:
        """Whether a document with this id is indexed."""
        return doc_id in self._documents

    def ids(self) -> list[str]:
        """The ids of every indexed document, in no particular order."""
        with self._lock:
            return list(self._documents)

    # ------------------------------------------------------------------------ persistence

    def export_files(self, destination: Path) -> dict[str, Any]:
        """Write the documents as JSON lines; statistics are rebuilt on import."""
        with self._lock:
            lines = [document_to_json(doc, doc_id) for doc_id, doc in self._documents.items()]
        (destination / "documents.jsonl").write_text(
            "".join(line + "\n" for line in lines), encoding="utf-8"
        )
        return {"variant": self.variant, "params": self.params}

    @classmethod
    def import_files(cls, source: Path, state: dict[str, Any], analyzer: Analyzer) -> RankBM25Index:
        """Rebuild an index from files written by `export_files`."""
        params = dict(state["params"])
        index = cls(analyzer, variant=state["variant"], **params)
        with (source / "documents.jsonl").open(encoding="utf-8") as lines:
            documents = [document_from_json(line) for line in lines if line.strip()]
        index.add(documents, [doc.id or "" for doc in documents])
        return index
