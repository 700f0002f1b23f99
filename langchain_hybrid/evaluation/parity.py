"""Compare two rankings of the same queries: how often they agree, and where they differ."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["RankingAgreement", "compare_rankings"]


@dataclass(frozen=True)
class RankingAgreement:
    """How two systems' top-`k` lists agree over a set of queries.

    Attributes:
        overlap: mean over queries of `|top_k(a) & top_k(b)| / k` (order ignored).
        identical: share of queries whose top-`k` lists are equal, order included.
        diverging: query ids whose top-`k` sets differ, most different first.
    """

    overlap: float
    identical: float
    diverging: tuple[str, ...]


def compare_rankings(
    a: Mapping[str, Sequence[str]], b: Mapping[str, Sequence[str]], k: int = 10
) -> RankingAgreement:
    """Agreement of two rankings (query id -> document ids, best first) at depth `k`.

    Both must rank the same queries. A list shorter than `k` counts its missing places as
    disagreements unless both lists are equally short and equal.

    Example:
        >>> compare_rankings({"q": ["a", "b"]}, {"q": ["b", "a"]}, k=2)
        RankingAgreement(overlap=1.0, identical=0.0, diverging=())
    """
    if set(a) != set(b):
        msg = f"the rankings cover different queries: {sorted(set(a) ^ set(b))[:5]}"
        raise ValueError(msg)
    if not a:
        msg = "no queries to compare"
        raise ValueError(msg)
    overlaps: dict[str, float] = {}
    identical = 0
    for query_id in a:
        top_a, top_b = list(a[query_id])[:k], list(b[query_id])[:k]
        depth = max(len(top_a), len(top_b), 1)
        overlaps[query_id] = len(set(top_a) & set(top_b)) / min(k, depth)
        identical += top_a == top_b
    diverging = sorted((q for q, o in overlaps.items() if o < 1), key=lambda q: overlaps[q])
    return RankingAgreement(
        overlap=sum(overlaps.values()) / len(overlaps),
        identical=identical / len(a),
        diverging=tuple(diverging),
    )
