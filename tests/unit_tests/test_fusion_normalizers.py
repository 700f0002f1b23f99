"""DBSF, z-score and L2 fusion, checked against values written as their formulas.

Each expected value is spelled out from the fixture's raw scores (mean, sample standard
deviation, square roots), so it can be checked by hand without running anything.
"""

from __future__ import annotations

import math

import pytest

from langchain_hybrid import Hit, fuse
from langchain_hybrid.fusion import (
    FUSION_METHODS,
    WEAVIATE_FUSIONS,
    dbsf_normalize,
    l2_normalize,
    zscore_normalize,
)

# Weaviate's worked example again: raw keyword scores [11, 8, 6, 1].
KEYWORD = [Hit("d", 11.0), Hit("b", 8.0), Hit("c", 6.0), Hit("a", 1.0)]
VECTOR = [Hit("e", 0.9), Hit("a", 0.7), Hit("d", 0.4)]

# mean and sample standard deviation of [11, 8, 6, 1] and of [0.9, 0.7, 0.4]
KW_MEAN = (11 + 8 + 6 + 1) / 4
KW_SD = math.sqrt(
    ((11 - KW_MEAN) ** 2 + (8 - KW_MEAN) ** 2 + (6 - KW_MEAN) ** 2 + (1 - KW_MEAN) ** 2) / 3
)
VEC_MEAN = (0.9 + 0.7 + 0.4) / 3
VEC_SD = math.sqrt(((0.9 - VEC_MEAN) ** 2 + (0.7 - VEC_MEAN) ** 2 + (0.4 - VEC_MEAN) ** 2) / 2)


def dbsf(s: float, mean: float, sd: float) -> float:
    return (s - (mean - 3 * sd)) / ((mean + 3 * sd) - (mean - 3 * sd))


def test_methods_are_listed() -> None:
    assert set(FUSION_METHODS) == {"relative_score", "ranked", "dbsf", "zscore", "l2"}
    assert frozenset({"relative_score", "ranked"}) == WEAVIATE_FUSIONS


# DBSF ===================================================================================


def test_dbsf_is_min_max_between_three_sample_deviations() -> None:
    assert dbsf_normalize([1, 8, 6, 11]) == pytest.approx(
        [dbsf(s, KW_MEAN, KW_SD) for s in [1, 8, 6, 11]]
    )
    # the sample (n - 1) deviation, as in Qdrant, not the population one
    population_sd = math.sqrt(
        ((11 - KW_MEAN) ** 2 + (8 - KW_MEAN) ** 2 + (6 - KW_MEAN) ** 2 + (1 - KW_MEAN) ** 2) / 4
    )
    assert dbsf_normalize([1, 8, 6, 11])[0] != pytest.approx(dbsf(1, KW_MEAN, population_sd))


@pytest.mark.parametrize("scores", [[3.5], [2.0, 2.0, 2.0]])
def test_dbsf_without_spread_gives_one_half(scores: list[float]) -> None:
    assert dbsf_normalize(scores) == [0.5] * len(scores)


def test_dbsf_is_not_clipped() -> None:
    # one outlier among many equal scores lies beyond mean + 3 sd's reach of [0, 1]?
    scores = [100.0] + [1.0] * 20
    mean = (100 + 20 * 1) / 21
    sd = math.sqrt(((100 - mean) ** 2 + 20 * (1 - mean) ** 2) / 20)
    normalized = dbsf_normalize(scores)
    assert normalized[0] == pytest.approx(dbsf(100, mean, sd))
    assert normalized[0] > 1


def test_dbsf_fusion_hand_computed() -> None:
    alpha = 0.5
    scores = {hit.id: hit.score for hit in fuse(KEYWORD, VECTOR, alpha=alpha, method="dbsf")}
    kw, vec = 1 - alpha, alpha
    assert scores == pytest.approx(
        {
            "d": kw * dbsf(11, KW_MEAN, KW_SD) + vec * dbsf(0.4, VEC_MEAN, VEC_SD),
            "b": kw * dbsf(8, KW_MEAN, KW_SD),
            "c": kw * dbsf(6, KW_MEAN, KW_SD),
            "a": kw * dbsf(1, KW_MEAN, KW_SD) + vec * dbsf(0.7, VEC_MEAN, VEC_SD),
            "e": vec * dbsf(0.9, VEC_MEAN, VEC_SD),
        }
    )


# z-score ================================================================================


def test_zscore_floors_at_and_below_the_mean() -> None:
    assert zscore_normalize([1, 8, 6, 11]) == pytest.approx(
        [0.001, (8 - KW_MEAN) / KW_SD, 0.001, (11 - KW_MEAN) / KW_SD]
    )


@pytest.mark.parametrize("scores", [[3.5], [2.0, 2.0]])
def test_zscore_without_spread_gives_one(scores: list[float]) -> None:
    assert zscore_normalize(scores) == [1.0] * len(scores)


def test_zscore_fusion_hand_computed() -> None:
    alpha = 0.3
    hits = {h.id: h for h in fuse(KEYWORD, VECTOR, alpha=alpha, method="zscore")}
    assert hits["a"].score == pytest.approx((1 - alpha) * 0.001 + alpha * (0.7 - VEC_MEAN) / VEC_SD)
    assert hits["d"].score == pytest.approx((1 - alpha) * (11 - KW_MEAN) / KW_SD + alpha * 0.001)
    assert hits["a"].vector is not None
    assert hits["a"].vector.normalized == pytest.approx((0.7 - VEC_MEAN) / VEC_SD)


# L2 =====================================================================================


def test_l2_divides_by_the_euclidean_norm() -> None:
    norm = math.sqrt(1**2 + 8**2 + 6**2 + 11**2)
    assert l2_normalize([1, 8, 6, 11]) == pytest.approx([1 / norm, 8 / norm, 6 / norm, 11 / norm])
    assert l2_normalize([0.0, 0.0]) == [0.0, 0.0]
    assert l2_normalize([]) == []


def test_l2_fusion_hand_computed() -> None:
    alpha = 0.5
    kw_norm = math.sqrt(11**2 + 8**2 + 6**2 + 1**2)
    vec_norm = math.sqrt(0.9**2 + 0.7**2 + 0.4**2)
    hits = {h.id: h.score for h in fuse(KEYWORD, VECTOR, alpha=alpha, method="l2")}
    assert hits["d"] == pytest.approx(0.5 * 11 / kw_norm + 0.5 * 0.4 / vec_norm)
    assert hits["e"] == pytest.approx(0.5 * 0.9 / vec_norm)


# shared behaviour ==========================================================================


@pytest.mark.parametrize("method", ["dbsf", "zscore", "l2"])
def test_contributions_sum_to_the_fused_score(method: str) -> None:
    for hit in fuse(KEYWORD, VECTOR, alpha=0.4, method=method):  # type: ignore[arg-type]
        parts = [leg.contribution for leg in (hit.keyword, hit.vector) if leg is not None]
        assert hit.score == pytest.approx(sum(parts))


@pytest.mark.parametrize("method", ["dbsf", "zscore", "l2"])
def test_keeps_each_legs_order_alone(method: str) -> None:
    assert [h.id for h in fuse(KEYWORD, None, alpha=0.0, method=method)] == ["d", "b", "c", "a"]  # type: ignore[arg-type]
    assert [h.id for h in fuse(None, VECTOR, alpha=1.0, method=method)] == ["e", "a", "d"]  # type: ignore[arg-type]
