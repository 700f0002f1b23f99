"""Plain data passed between the layers: a leg's hits, and fused hits with their evidence."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

if TYPE_CHECKING:
    from langchain_core.documents import Document

    from langchain_hybrid.filters import FilterNode

__all__ = [
    "DocumentPredicate",
    "FusedHit",
    "Fusion",
    "Hit",
    "HybridQuery",
    "LegEvidence",
    "LegName",
]

Fusion = Literal["relative_score", "ranked", "dbsf", "zscore", "l2"]
"""Fusion method: Weaviate's `relativeScoreFusion` (min-max) or `rankedFusion` (RRF), or
a normalisation Weaviate lacks: `dbsf` (Qdrant's mean +- 3 sd), `zscore`, `l2` (OpenSearch)."""

LegName = Literal["keyword", "vector"]

DocumentPredicate = Callable[["Document"], bool]
"""A callable filter: `True` keeps the document."""


class Hit(NamedTuple):
    """One result of one leg: a document id and its raw score (higher is better).

    A named tuple rather than a dataclass: a query creates a few hundred of these, and a
    tuple is created twice as fast as a frozen dataclass.
    """

    id: str
    score: float


class LegEvidence(NamedTuple):
    """What one leg contributed to a fused hit.

    Attributes:
        score: the leg's raw score (BM25 score, or vector similarity); `None` where the
            backend does not report it (Weaviate's ranked fusion).
        rank: 1-based position of the document in the leg's list; `None` where the
            backend does not report it (Weaviate's relative-score fusion).
        normalized: the leg-normalised score: min-max in `[0, 1]` for relative-score
            fusion, `1 / (rank - 1 + rank_constant)` for ranked fusion, and the
            `langchain_hybrid.fusion` normaliser's value for the others.
        contribution: `weight * normalized`, the part of the fused score from this leg.
    """

    score: float | None
    rank: int | None
    normalized: float
    contribution: float


class FusedHit(NamedTuple):
    """A fused result: the fused score and the evidence of each leg that found it.

    Like `Hit` (and `LegEvidence`), a named tuple: a frozen dataclass took 2 us to
    create, a fifth of the whole fusion of two 100-hit legs.
    """

    id: str
    score: float
    keyword: LegEvidence | None
    vector: LegEvidence | None


@dataclass(frozen=True)
class HybridQuery:
    """One validated hybrid search request, as a backend receives it.

    Attributes:
        text: the query text (embedded for the vector leg, analysed for the keyword leg).
        k: number of documents to return.
        fetch_k: depth of each leg before fusion (Weaviate: `max(100, limit)`).
        alpha: weight of the vector leg; 0 runs only the keyword leg, 1 only the vector leg.
        fusion: fusion method.
        rank_constant: constant of ranked fusion.
        filter: backend-neutral filter tree (`langchain_hybrid.filters`), or `None`.
        predicate: a `Document -> bool` callable filter (local backend only), or `None`.
        options: backend-specific options (e.g. Weaviate's `query_properties`).
        alpha_selector: when set, chooses this query's alpha from both legs' evidence
            (`langchain_hybrid.alpha_selection`: `alpha="auto"` or an alpha model); `alpha`
            is then only a placeholder strictly inside (0, 1), so that both legs run.
    """

    text: str
    k: int
    fetch_k: int
    alpha: float
    fusion: Fusion
    rank_constant: int
    filter: FilterNode | None = None
    predicate: DocumentPredicate | None = None
    options: Mapping[str, Any] | None = None
    alpha_selector: Callable[[Any, int], float] | None = None
