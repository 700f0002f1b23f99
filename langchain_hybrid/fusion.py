"""Score fusion: normalise each leg's scores, weight them, and sum, as pure functions.

Weaviate's two methods follow weaviate `usecases/traverser/hybrid/hybrid_fusion.go` (v1.39):

- relative score fusion: min-max normalise each leg's raw scores over the list that leg
  returned (all equal -> every document gets 1), multiply by the leg's weight, and sum;
- ranked fusion: `weight / (i + rank_constant)` with `i` the 0-based position in the leg.

Three more normalisations, each applied per leg over the list it returned, then weighted
and summed the same way (Weaviate has none of them, so its backend runs both legs and
fuses them here):

- `"dbsf"`, distribution-based score fusion as Qdrant defines it
  (qdrant `lib/segment/src/common/score_fusion.rs`, `distr_norm`): min-max between
  `mean - 3 sd` and `mean + 3 sd`, with the sample standard deviation (`n - 1`); not
  clipped, so an outlier may land outside `[0, 1]`;
- `"zscore"`, OpenSearch's `z_score` normaliser (neural-search
  `processor/normalization/ZScoreNormalizationTechnique.java`): `(s - mean) / sd`, with
  scores at or below the mean floored at 0.001 so a found document still beats a missing one;
- `"l2"`, OpenSearch's `l2` normaliser (`L2ScoreNormalizationTechnique.java`):
  `s / sqrt(sum of squares)`.

The vector leg has weight `alpha` and the keyword leg `1 - alpha`. A document missing
from a leg gets nothing from it. Ties (fused scores closer than `1e-7`) are broken as
Weaviate breaks them: by the raw score of the last leg that found the document (the
keyword leg's BM25 score if it found it, else the vector similarity), then by id
ascending, so results never depend on dict order.

Nothing here knows about documents, LangChain or I/O.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Final, NamedTuple

from langchain_hybrid._types import FusedHit, Fusion, Hit, LegEvidence, LegName
from langchain_hybrid.checks import positive_int
from langchain_hybrid.errors import ConfigError

__all__ = [
    "DEFAULT_LEG_DEPTH",
    "DEFAULT_RANK_CONSTANT",
    "FUSION_METHODS",
    "WEAVIATE_FUSIONS",
    "Legs",
    "dbsf_normalize",
    "fuse",
    "l2_normalize",
    "leg_weights",
    "legs_for",
    "min_max_normalize",
    "rank_normalize",
    "validate_alpha",
    "zscore_normalize",
]

DEFAULT_RANK_CONSTANT: Final = 60
"""Weaviate's constant: `w / (i + 60)` with 0-based `i`. LangChain's `EnsembleRetriever`
uses `w / (rank + 60)` with 1-based ranks, which is `rank_constant=61` here."""

DEFAULT_LEG_DEPTH: Final = 100
"""Weaviate's per-leg depth (`QUERY_HYBRID_MAXIMUM_RESULTS`): each leg fetches
`max(100, limit)` results before fusion."""

_TIE_EPSILON: Final = 1e-7  # Weaviate compares squared differences against 1e-14


def min_max_normalize(scores: Sequence[float]) -> list[float]:
    """Min-max normalise scores into `[0, 1]`; if all are equal, every score becomes 1.

    Weaviate gives 1 (not 0, as ranx does) when `max == min`, so that a leg that found a
    single document, or documents that tie, still counts with its full weight.

    Example:
        >>> min_max_normalize([1, 8, 6, 11])
        [0.0, 0.7, 0.5, 1.0]
    """
    if not scores:
        return []
    low, high = min(scores), max(scores)
    if high == low:
        return [1.0] * len(scores)
    span = high - low
    return [(s - low) / span for s in scores]


def rank_normalize(
    scores: Sequence[float], rank_constant: int = DEFAULT_RANK_CONSTANT
) -> list[float]:
    """Reciprocal-rank scores `1 / (i + rank_constant)` for 0-based positions `i`.

    Example:
        >>> rank_normalize([9.0, 3.0], rank_constant=60)
        [0.016666666666666666, 0.01639344262295082]
    """
    return [1.0 / (i + rank_constant) for i in range(len(scores))]


def _mean_sample_sd(scores: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (`n - 1`), as Qdrant and Apache Commons Math use."""
    mean = math.fsum(scores) / len(scores)
    variance = math.fsum((s - mean) ** 2 for s in scores) / (len(scores) - 1)
    return mean, math.sqrt(variance)


def dbsf_normalize(scores: Sequence[float]) -> list[float]:
    """Qdrant's distribution-based normalisation: `(s - (m - 3 sd)) / (6 sd)`.

    `m` is the mean of the leg's scores and `sd` their sample standard deviation; the
    bounds `m +- 3 sd` replace min-max's observed extremes, so one outlying top score does
    not squash every other document towards 0. As in Qdrant, a single score, or scores
    that all tie, get 0.5, and nothing is clipped.

    Example:
        >>> [round(x, 4) for x in dbsf_normalize([1, 8, 6, 11])]
        [0.2819, 0.5595, 0.4802, 0.6784]
    """
    if len(scores) < 2:  # noqa: PLR2004 - a standard deviation needs two values
        return [0.5] * len(scores)
    mean, sd = _mean_sample_sd(scores)
    if sd == 0:
        return [0.5] * len(scores)
    low = mean - 3 * sd
    return [(s - low) / (6 * sd) for s in scores]


_ZSCORE_FLOOR: Final = 0.001  # OpenSearch's MIN_SCORE for z <= 0


def zscore_normalize(scores: Sequence[float]) -> list[float]:
    """OpenSearch's z-score normalisation: `max((s - m) / sd, 0.001)`.

    `m` is the mean and `sd` the sample standard deviation of the leg's scores. Scores at
    or below the mean get 0.001 rather than a negative value, so being found by a leg
    never costs a document against one that leg did not find. With fewer than two scores,
    or scores that all tie, there is no spread to measure and every score becomes 1 (as
    with min-max here; OpenSearch returns the raw score in that case).

    Example:
        >>> [round(x, 4) for x in zscore_normalize([1, 8, 6, 11])]
        [0.001, 0.3569, 0.001, 1.0706]
    """
    if len(scores) < 2:  # noqa: PLR2004 - a standard deviation needs two values
        return [1.0] * len(scores)
    mean, sd = _mean_sample_sd(scores)
    if sd == 0:
        return [1.0] * len(scores)
    return [max((s - mean) / sd, _ZSCORE_FLOOR) for s in scores]


def l2_normalize(scores: Sequence[float]) -> list[float]:
    """OpenSearch's L2 normalisation: `s / sqrt(sum of s^2)` (all zero: 0 each).

    Example:
        >>> l2_normalize([3, 4])
        [0.6, 0.8]
    """
    norm = math.sqrt(math.fsum(s * s for s in scores))
    if norm == 0:
        return [0.0] * len(scores)
    return [s / norm for s in scores]


_Normalizer = Callable[[Sequence[float], int], list[float]]

_NORMALIZERS: Final[dict[Fusion, _Normalizer]] = {
    "relative_score": lambda scores, _c: min_max_normalize(scores),
    "ranked": rank_normalize,
    "dbsf": lambda scores, _c: dbsf_normalize(scores),
    "zscore": lambda scores, _c: zscore_normalize(scores),
    "l2": lambda scores, _c: l2_normalize(scores),
}

FUSION_METHODS: Final[tuple[Fusion, ...]] = tuple(_NORMALIZERS)
"""Every fusion method; the first two are Weaviate's own."""

WEAVIATE_FUSIONS: Final[frozenset[Fusion]] = frozenset({"relative_score", "ranked"})
"""The methods Weaviate's server fuses itself; others are fused in Python from both legs."""


class Legs(NamedTuple):
    """Which legs a query runs."""

    keyword: bool
    vector: bool


def legs_for(alpha: float) -> Legs:
    """The legs a query at `alpha` runs: a leg of weight 0 is not run, as in Weaviate.

    Example:
        >>> legs_for(1.0)
        Legs(keyword=False, vector=True)
    """
    return Legs(keyword=alpha < 1, vector=alpha > 0)


def leg_weights(alpha: float) -> dict[LegName, float]:
    """The weight of each leg: `1 - alpha` for the keyword leg, `alpha` for the vector leg.

    Example:
        >>> leg_weights(0.25)
        {'keyword': 0.75, 'vector': 0.25}
    """
    return {"keyword": 1.0 - alpha, "vector": alpha}


def validate_alpha(alpha: object) -> float:
    """Return `alpha` as a float, or raise `ConfigError` (a `ValueError`) if not in [0, 1].

    Example:
        >>> validate_alpha(0.25)
        0.25
    """
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)):
        msg = f"alpha must be a number in [0, 1] (1 = vector only, 0 = keyword only), got {alpha!r}"
        raise ConfigError(msg)
    value = float(alpha)
    if math.isnan(value) or not 0.0 <= value <= 1.0:
        msg = f"alpha must be in [0, 1] (1 = vector only, 0 = keyword only), got {alpha!r}"
        raise ConfigError(msg)
    return value


def _columns(hits: Sequence[Hit]) -> tuple[Sequence[str], Sequence[float]]:
    """Ids and scores of a leg, keeping the first (best-ranked) hit of a repeated id.

    A repeated id would otherwise count twice. Legs rarely repeat one, so the common
    case is a single transpose.
    """
    ids, scores = zip(*hits, strict=True)
    if len(set(ids)) == len(ids):
        return ids, scores
    first: dict[str, float] = {}
    for doc_id, score in zip(ids, scores, strict=True):
        first.setdefault(doc_id, score)
    return list(first), list(first.values())


def fuse(
    keyword: Sequence[Hit] | None,
    vector: Sequence[Hit] | None,
    *,
    alpha: float,
    method: Fusion = "relative_score",
    rank_constant: int = DEFAULT_RANK_CONSTANT,
    limit: int | None = None,
) -> list[FusedHit]:
    """Fuse a keyword and a vector result list into one ranking.

    Args:
        keyword: the keyword leg's hits, best first (`None` if the leg was not run).
        vector: the vector leg's hits, best first (`None` if the leg was not run).
        alpha: weight of the vector leg in `[0, 1]`; the keyword leg gets `1 - alpha`.
        method: `"relative_score"` (min-max, Weaviate's default), `"ranked"` (RRF),
            `"dbsf"` (mean +- 3 sd, Qdrant), `"zscore"` or `"l2"` (OpenSearch).
        rank_constant: the constant of ranked fusion (ignored by relative score).
        limit: return only the best `limit` hits (`None`: every document found).

    Returns:
        The documents found by either leg, best first, with per-leg evidence.

    Example:
        >>> kw = [Hit("a", 11.0), Hit("b", 8.0), Hit("c", 1.0)]
        >>> vec = [Hit("c", 0.9), Hit("a", 0.5)]
        >>> [(h.id, round(h.score, 3)) for h in fuse(kw, vec, alpha=0.5)]
        [('a', 0.5), ('c', 0.5), ('b', 0.35)]
    """
    alpha = validate_alpha(alpha)
    if method not in _NORMALIZERS:
        msg = f"fusion must be one of {list(FUSION_METHODS)}, got {method!r}"
        raise ConfigError(msg)
    positive_int("rank_constant", rank_constant)
    normalize = _NORMALIZERS[method]

    # Weaviate's server fuses the vector leg first and the keyword leg last
    # (`usecases/traverser/explorer_hybrid.go`), which decides the tie-break value below.
    weights = leg_weights(alpha)
    legs: list[tuple[LegName, float, Sequence[Hit] | None]] = [
        ("vector", weights["vector"], vector),
        ("keyword", weights["keyword"], keyword),
    ]
    # Plain floats and dicts first; evidence only for the hits returned, since building
    # it for every candidate dominated the cost of a query.
    fused: dict[str, float] = {}
    tie_value: dict[str, float] = {}
    found: dict[LegName, tuple[float, Sequence[str], Sequence[float], list[float]]] = {}
    for name, weight, hits in legs:
        if not hits:
            continue
        ids, scores = _columns(hits)
        normalized = normalize(scores, rank_constant)
        found[name] = (weight, ids, scores, normalized)
        total = fused.get
        for doc_id, norm in zip(ids, normalized, strict=True):
            fused[doc_id] = total(doc_id, 0.0) + weight * norm
        # Weaviate's secondary sort value is the raw score of the last leg that found it.
        tie_value.update(zip(ids, scores, strict=True))

    order = _order_like_weaviate(fused, tie_value, limit)
    evidence = {name: _evidence(leg, order) for name, leg in found.items()}
    none: dict[str, LegEvidence] = {}
    keyword_evidence = evidence.get("keyword", none)
    vector_evidence = evidence.get("vector", none)
    return [
        FusedHit(doc_id, fused[doc_id], keyword_evidence.get(doc_id), vector_evidence.get(doc_id))
        for doc_id in order
    ]


def _evidence(
    leg: tuple[float, Sequence[str], Sequence[float], list[float]], wanted: list[str]
) -> dict[str, LegEvidence]:
    """One leg's evidence for the `wanted` ids it found."""
    weight, ids, scores, normalized = leg
    position = {doc_id: i for i, doc_id in enumerate(ids)}
    evidence = {}
    for doc_id in wanted:
        i = position.get(doc_id)
        if i is not None:
            norm = normalized[i]
            evidence[doc_id] = LegEvidence(scores[i], i + 1, norm, weight * norm)
    return evidence


def _order_like_weaviate(
    scores: dict[str, float], tie_value: dict[str, float], limit: int | None
) -> list[str]:
    """Ids by fused score, treating scores within `1e-7` as equal, like Weaviate does.

    A plain key sort cannot express "equal within epsilon", so scores are first bucketed
    by a stable pass over the score-sorted list, then each bucket is ordered by the
    secondary value (descending) and id (ascending). Stops once `limit` ids are placed.
    """
    ordered = sorted(scores, key=scores.__getitem__, reverse=True)
    wanted = len(ordered) if limit is None else min(limit, len(ordered))
    result: list[str] = []
    start = 0
    while len(result) < wanted:
        end = start + 1
        top = scores[ordered[start]]
        while end < len(ordered) and top - scores[ordered[end]] < _TIE_EPSILON:
            end += 1
        bucket = ordered[start:end]
        if len(bucket) > 1:
            bucket.sort(key=lambda doc_id: (-tie_value[doc_id], doc_id))
        result.extend(bucket)
        start = end
    return result[:wanted]
