"""A keyword engine that computes Weaviate's BM25 exactly, for local/Weaviate parity.

Same formula as Weaviate (weaviate `adapters/repos/db/lsmkv/segment_blockmax.go`,
`inverted/bm25_searcher.go`): `idf = ln(1 + (N - n + 0.5)/(n + 0.5))` and
`tf = f / (f + k1 (1 - b + b len/avglen))`, summed over query terms, a repeated query
term counted once per occurrence, with **exact** document lengths and live-document
statistics (a deleted document leaves N, n and avglen at once). tantivy, the default
engine, stores lengths in one byte (exact up to 40 tokens), which is the one cause of the
remaining local-vs-Weaviate differences (docs/benchmarks.md, "Parity"); this engine
removes it. Postings are numpy arrays per term, so a query reads only its terms' postings,
but everything lives in memory and writers and readers take turns: use it when matching
Weaviate matters more than the last bit of speed.
"""

from __future__ import annotations

import math
import threading
from array import array
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
from langchain_core.documents import Document

from langchain_hybrid._types import Hit
from langchain_hybrid.analysis import Analyzer
from langchain_hybrid.checks import non_negative_number
from langchain_hybrid.keyword_index.base import document_from_json, document_to_json

__all__ = ["ExactBM25Index"]


class ExactBM25Index:
    """Weaviate's BM25 with exact document lengths, in numpy.

    Example:
        >>> from langchain_core.documents import Document
        >>> index = ExactBM25Index()
        >>> index.add([Document("error E1234 in parser"), Document("all good")], ["a", "b"])
        >>> [hit.id for hit in index.search("E1234", k=5)]
        ['a']
    """

    engine_name: Final = "exact"

    def __init__(
        self, analyzer: Analyzer | None = None, *, k1: float = 1.2, b: float = 0.75
    ) -> None:
        """Create an empty index.

        Args:
            analyzer: how text becomes tokens; Weaviate-compatible by default.
            k1: term-frequency saturation (Weaviate's default 1.2).
            b: length normalisation (Weaviate's default 0.75).
        """
        for name, value in {"k1": k1, "b": b}.items():
            non_negative_number(name, value)
        self.analyzer = analyzer or Analyzer()
        self.params: dict[str, float] = {"k1": float(k1), "b": float(b)}
        self._lock = threading.RLock()
        self._rows: dict[str, int] = {}  # id -> row of its current version
        self._ids: list[str | None] = []  # row -> id (None once deleted or replaced)
        self._documents: dict[str, Document] = {}
        self._lengths = array("I")  # row -> exact token count
        self._alive = bytearray()  # row -> 1 while it is the current version of its id
        self._terms: list[tuple[str, ...]] = []  # row -> its distinct terms (for deletes)
        self._postings: dict[str, tuple[array[int], array[int]]] = {}  # term -> (rows, tfs)
        self._df: Counter[str] = Counter()  # live documents per term
        self._total_length = 0

    # ------------------------------------------------------------------------ writing

    def add(self, documents: Sequence[Document], ids: Sequence[str]) -> None:
        """Insert or replace documents; visible to searches when this returns."""
        if len(documents) != len(ids):
            msg = f"got {len(documents)} documents but {len(ids)} ids"
            raise ValueError(msg)
        latest = {doc_id: i for i, doc_id in enumerate(ids)}
        # JSON round trip, as in the other engines: same metadata types, a private copy,
        # and unsaveable metadata refused before anything is written.
        stored = {
            doc_id: document_from_json(document_to_json(documents[i], doc_id))
            for doc_id, i in latest.items()
        }
        counted = {
            doc_id: Counter(self.analyzer.document_tokens(documents[i].page_content))
            for doc_id, i in latest.items()
        }
        with self._lock:
            self._remove([doc_id for doc_id in latest if doc_id in self._rows])
            for doc_id, counts in counted.items():
                row = len(self._ids)
                self._ids.append(doc_id)
                self._rows[doc_id] = row
                self._documents[doc_id] = stored[doc_id]
                length = sum(counts.values())
                self._lengths.append(length)
                self._alive.append(1)
                self._total_length += length
                self._terms.append(tuple(counts))
                for term, tf in counts.items():
                    rows, tfs = self._postings.setdefault(term, (array("I"), array("I")))
                    rows.append(row)
                    tfs.append(tf)
                    self._df[term] += 1

    def delete(self, ids: Sequence[str]) -> int:
        """Remove documents by id; unknown ids are ignored."""
        with self._lock:
            present = list(dict.fromkeys(i for i in ids if i in self._rows))
            self._remove(present)
            return len(present)

    def _remove(self, ids: Sequence[str]) -> None:
        # Postings of removed rows stay (a row id is never reused) and are skipped at
        # query time; the statistics change at once, as Weaviate's do.
        for doc_id in ids:
            row = self._rows.pop(doc_id)
            self._ids[row] = None
            self._alive[row] = 0
            del self._documents[doc_id]
            self._total_length -= self._lengths[row]
            for term in self._terms[row]:
                self._df[term] -= 1
                if self._df[term] == 0:
                    del self._df[term]
                    del self._postings[term]

    # ------------------------------------------------------------------------ reading

    def search(self, query: str, k: int) -> list[Hit]:
        """The `k` best documents by exact BM25; only documents that match a query term."""
        counts = Counter(self.analyzer.query_tokens(query))
        if k <= 0 or not counts:
            return []
        k1, b = self.params["k1"], self.params["b"]
        with self._lock:
            live = len(self._rows)
            if live == 0:
                return []
            average = self._total_length / live or 40.0  # Weaviate's fallback for empty text
            lengths = np.frombuffer(self._lengths, dtype=np.uint32).astype(np.float64)
            all_rows, all_scores = [], []
            for term, boost in counts.items():
                if term not in self._postings:
                    continue
                rows_a, tfs_a = self._postings[term]
                rows = np.array(rows_a, dtype=np.int64)
                tfs = np.array(tfs_a, dtype=np.float64)
                n = self._df[term]
                idf = math.log(1 + (live - n + 0.5) / (n + 0.5))
                scores = boost * idf * tfs / (tfs + k1 * (1 - b + b * lengths[rows] / average))
                all_rows.append(rows)
                all_scores.append(scores)
            if not all_rows:
                return []
            rows = np.concatenate(all_rows)
            totals = np.bincount(rows, weights=np.concatenate(all_scores))
            candidates = np.unique(rows)
            ids = self._ids
            alive = np.frombuffer(self._alive, dtype=np.uint8).astype(bool)
            candidates = candidates[alive[candidates]]
            if len(candidates) > k:
                top = np.argpartition(-totals[candidates], k - 1)[:k]
                # Keep every candidate tied with the k-th score, so ties break by id.
                cutoff = totals[candidates[top]].min()
                candidates = candidates[totals[candidates] >= cutoff]
            hits = [Hit(ids[r] or "", float(totals[r])) for r in candidates]
        hits.sort(key=lambda h: (-h.score, h.id))
        return hits[:k]

    def get(self, ids: Sequence[str]) -> list[Document]:
        """Documents by id, in the order given; unknown ids are skipped."""
        with self._lock:
            return [self._documents[i] for i in ids if i in self._documents]

    def __len__(self) -> int:
        """Number of documents."""
        return len(self._rows)

    def __contains__(self, doc_id: object) -> bool:
        """Whether a document with this id is indexed."""
        return doc_id in self._rows

    def ids(self) -> list[str]:
        """The ids of every indexed document, in no particular order."""
        with self._lock:
            return list(self._rows)

    # ------------------------------------------------------------------------ persistence

    def export_files(self, destination: Path) -> dict[str, Any]:
        """Write the documents as JSON lines; postings are rebuilt on import."""
        with self._lock:
            lines = [document_to_json(doc, doc_id) for doc_id, doc in self._documents.items()]
        (destination / "documents.jsonl").write_text(
            "".join(line + "\n" for line in lines), encoding="utf-8"
        )
        return {"params": self.params}

    @classmethod
    def import_files(
        cls, source: Path, state: dict[str, Any], analyzer: Analyzer
    ) -> ExactBM25Index:
        """Rebuild an index from files written by `export_files`."""
        index = cls(analyzer, **state["params"])
        with (source / "documents.jsonl").open(encoding="utf-8") as lines:
            documents = [document_from_json(line) for line in lines if line.strip()]
        index.add(documents, [doc.id or "" for doc in documents])
        return index
