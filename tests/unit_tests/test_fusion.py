"""Fusion formulas, checked against values computed by hand (DESIGN.md section 2).

Every expected value is written as the formula that produces it, with the raw scores of
the fixture, so a reader can check it without running anything.
"""

from __future__ import annotations

import math

import pytest

from langchain_hybrid import FusedHit, Hit, fuse, min_max_normalize, rank_normalize
from langchain_hybrid.fusion import DEFAULT_RANK_CONSTANT, FUSION_METHODS, validate_alpha

# FIXTURES =============================================================================

# Weaviate's worked example: raw keyword scores [1, 8, 6, 11] -> [0, 0.7, 0.5, 1].
KEYWORD = [Hit("d", 11.0), Hit("b", 8.0), Hit("c", 6.0), Hit("a", 1.0)]
# Vector similarities; "e" is found by the vector leg only, "b" and "c" by keyword only.
VECTOR = [Hit("e", 0.9), Hit("a", 0.7), Hit("d", 0.4)]


def by_id(hits: list[FusedHit]) -> dict[str, FusedHit]:
    return {hit.id: hit for hit in hits}


# TESTS: normalisation =================================================================


def test_min_max_weaviate_example() -> None:
    assert min_max_normalize([1, 8, 6, 11]) == pytest.approx([0, 0.7, 0.5, 1])
    assert min_max_normalize([1, 8, 6, 11]) == pytest.approx(
        [(1 - 1) / (11 - 1), (8 - 1) / (11 - 1), (6 - 1) / (11 - 1), (11 - 1) / (11 - 1)]
    )


@pytest.mark.parametrize("scores", [[3.5], [2.0, 2.0, 2.0], [0.0, 0.0]])
def test_min_max_all_equal_gives_one(scores: list[float]) -> None:
    # Weaviate's convention (ranx would give 0): a leg whose scores all tie keeps its weight.
    assert min_max_normalize(scores) == [1.0] * len(scores)


def test_min_max_empty() -> None:
    assert min_max_normalize([]) == []


def test_rank_normalize_is_zero_based() -> None:
    assert rank_normalize([9.0, 3.0, 1.0]) == [1 / (0 + 60), 1 / (1 + 60), 1 / (2 + 60)]
    assert rank_normalize([9.0, 3.0], rank_constant=1) == [1 / (0 + 1), 1 / (1 + 1)]
    assert DEFAULT_RANK_CONSTANT == 60


# TESTS: relative score fusion =========================================================


def test_relative_score_fusion_hand_computed() -> None:
    alpha = 0.5
    fused = fuse(KEYWORD, VECTOR, alpha=alpha)
    scores = {hit.id: hit.score for hit in fused}
    kw_w, vec_w = 1 - alpha, alpha
    expected = {
        # keyword norm (s - 1)/(11 - 1); vector norm (s - 0.4)/(0.9 - 0.4)
        "d": kw_w * (11 - 1) / (11 - 1) + vec_w * (0.4 - 0.4) / (0.9 - 0.4),
        "b": kw_w * (8 - 1) / (11 - 1),
        "c": kw_w * (6 - 1) / (11 - 1),
        "a": kw_w * (1 - 1) / (11 - 1) + vec_w * (0.7 - 0.4) / (0.9 - 0.4),
        "e": vec_w * (0.9 - 0.4) / (0.9 - 0.4),
    }
    assert scores == pytest.approx(expected)
    # d and e tie at 0.5. Weaviate fuses the keyword leg last, so d's tie value is its
    # BM25 score (11) and e's, found by the vector leg only, its similarity (0.9).
    assert [hit.id for hit in fused] == ["d", "e", "b", "a", "c"]


def test_relative_score_fusion_weights_follow_alpha() -> None:
    alpha = 0.3
    hits = by_id(fuse(KEYWORD, VECTOR, alpha=alpha))
    assert hits["b"].score == pytest.approx((1 - alpha) * (8 - 1) / (11 - 1))
    assert hits["a"].score == pytest.approx(
        (1 - alpha) * (1 - 1) / (11 - 1) + alpha * (0.7 - 0.4) / (0.9 - 0.4)
    )
    assert hits["e"].score == pytest.approx(alpha * 1.0)


def test_evidence_of_each_leg() -> None:
    alpha = 0.25
    hits = by_id(fuse(KEYWORD, VECTOR, alpha=alpha))
    a = hits["a"]
    assert a.keyword is not None
    assert a.vector is not None
    assert (a.keyword.score, a.keyword.rank) == (1.0, 4)
    assert (a.vector.score, a.vector.rank) == (0.7, 2)
    assert a.keyword.normalized == pytest.approx((1 - 1) / (11 - 1))
    assert a.vector.normalized == pytest.approx((0.7 - 0.4) / (0.9 - 0.4))
    assert a.vector.contribution == pytest.approx(alpha * (0.7 - 0.4) / (0.9 - 0.4))
    for hit in hits.values():
        parts = [leg.contribution for leg in (hit.keyword, hit.vector) if leg is not None]
        assert hit.score == pytest.approx(sum(parts))


def test_single_leg_documents_get_nothing_from_the_other_leg() -> None:
    hits = by_id(fuse(KEYWORD, VECTOR, alpha=0.5))
    assert hits["b"].vector is None
    assert hits["b"].score == pytest.approx(0.5 * (8 - 1) / (11 - 1))
    assert hits["e"].keyword is None
    assert hits["e"].score == pytest.approx(0.5 * (0.9 - 0.4) / (0.9 - 0.4))


def test_single_document_leg_gets_full_weight() -> None:
    # max == min inside one leg: its only document normalises to 1.
    hits = by_id(fuse([Hit("x", 4.2)], [Hit("y", 0.8), Hit("x", 0.2)], alpha=0.4))
    assert hits["x"].score == pytest.approx((1 - 0.4) * 1 + 0.4 * (0.2 - 0.2) / (0.8 - 0.2))
    assert hits["y"].score == pytest.approx(0.4 * 1)


@pytest.mark.parametrize("method", FUSION_METHODS)
def test_empty_and_missing_legs(method: str) -> None:
    assert fuse([], [], alpha=0.5, method=method) == []
    assert fuse(None, None, alpha=0.5, method=method) == []
    only_vector = fuse([], VECTOR, alpha=0.5, method=method)
    assert [hit.id for hit in only_vector] == ["e", "a", "d"]
    assert all(hit.keyword is None for hit in only_vector)
    only_keyword = fuse(KEYWORD, None, alpha=0.5, method=method)
    assert [hit.id for hit in only_keyword] == ["d", "b", "c", "a"]
    assert all(hit.vector is None for hit in only_keyword)


def test_alpha_zero_and_one_follow_one_leg() -> None:
    keyword_only = fuse(KEYWORD, None, alpha=0.0)
    assert [hit.id for hit in keyword_only] == ["d", "b", "c", "a"]
    assert [hit.score for hit in keyword_only] == pytest.approx(
        [(11 - 1) / (11 - 1), (8 - 1) / (11 - 1), (6 - 1) / (11 - 1), (1 - 1) / (11 - 1)]
    )
    vector_only = fuse(None, VECTOR, alpha=1.0)
    assert [hit.id for hit in vector_only] == ["e", "a", "d"]
    # Both legs given, but alpha 1: the keyword leg weighs nothing.
    both = by_id(fuse(KEYWORD, VECTOR, alpha=1.0))
    assert both["b"].score == 0.0
    assert both["e"].score == pytest.approx(1.0)


def test_duplicates_in_a_leg_count_once_at_their_best_rank() -> None:
    keyword = [Hit("a", 5.0), Hit("b", 3.0), Hit("a", 2.0), Hit("c", 1.0)]
    hits = by_id(fuse(keyword, None, alpha=0.0))
    assert len(hits) == 3
    assert hits["a"].keyword is not None
    assert (hits["a"].keyword.score, hits["a"].keyword.rank) == (5.0, 1)
    assert hits["b"].keyword is not None
    assert hits["b"].keyword.rank == 2
    # min-max over the deduplicated list [5, 3, 1]: the duplicate's 2.0 is not the max/min.
    assert hits["b"].score == pytest.approx((3 - 1) / (5 - 1))
    ranked = by_id(fuse(keyword, None, alpha=0.0, method="ranked"))
    assert ranked["a"].score == pytest.approx(1 / (0 + 60))
    assert ranked["c"].score == pytest.approx(1 / (2 + 60))


# TESTS: ranked fusion =================================================================


def test_ranked_fusion_hand_computed() -> None:
    alpha = 0.5
    hits = by_id(fuse(KEYWORD, VECTOR, alpha=alpha, method="ranked"))
    # 0-based positions: keyword d0 b1 c2 a3; vector e0 a1 d2.
    expected = {
        "d": (1 - alpha) / (0 + 60) + alpha / (2 + 60),
        "b": (1 - alpha) / (1 + 60),
        "c": (1 - alpha) / (2 + 60),
        "a": (1 - alpha) / (3 + 60) + alpha / (1 + 60),
        "e": alpha / (0 + 60),
    }
    assert {i: h.score for i, h in hits.items()} == pytest.approx(expected)
    assert hits["a"].vector is not None
    assert hits["a"].vector.normalized == pytest.approx(1 / (1 + 60))
    assert hits["a"].vector.rank == 2


def test_ranked_fusion_rank_constant() -> None:
    alpha = 0.7
    hits = by_id(fuse(KEYWORD, VECTOR, alpha=alpha, method="ranked", rank_constant=61))
    # rank_constant=61 is LangChain's EnsembleRetriever: w / (1-based rank + 60).
    assert hits["d"].score == pytest.approx((1 - alpha) / (1 + 60) + alpha / (3 + 60))
    assert hits["e"].score == pytest.approx(alpha / (1 + 60))


def test_ranked_fusion_ignores_score_values() -> None:
    small = fuse([Hit("a", 0.001), Hit("b", 0.0)], None, alpha=0.0, method="ranked")
    large = fuse([Hit("a", 1e9), Hit("b", -5.0)], None, alpha=0.0, method="ranked")
    assert [h.score for h in small] == [h.score for h in large] == [1 / 60, 1 / 61]


# TESTS: ties ==========================================================================


def test_tie_broken_by_raw_score_of_keyword_leg() -> None:
    # a and b both fuse to 0.5; the keyword leg (the last leg Weaviate fuses) decides.
    keyword = [Hit("a", 5.0), Hit("b", 3.0)]
    vector = [Hit("b", 0.9), Hit("a", 0.1)]
    fused = fuse(keyword, vector, alpha=0.5)
    assert [h.score for h in fused] == pytest.approx([0.5 * 1 + 0.5 * 0, 0.5 * 0 + 0.5 * 1])
    assert [h.id for h in fused] == ["a", "b"]


def test_tie_single_leg_docs_use_their_own_leg_raw_score() -> None:
    # k is keyword-only (raw 10), v vector-only (raw 0.5): both fuse to 0.5 * 1.
    # z (keyword raw 1.0) and y (vector raw 0.1) both fuse to 0: raw scores decide again.
    keyword = [Hit("k", 10.0), Hit("z", 1.0)]
    vector = [Hit("v", 0.5), Hit("y", 0.1)]
    fused = fuse(keyword, vector, alpha=0.5)
    assert [h.score for h in fused] == pytest.approx([0.5, 0.5, 0.0, 0.0])
    assert [h.id for h in fused] == ["k", "v", "z", "y"]


def test_tie_then_id_ascending() -> None:
    keyword = [Hit("c", 2.0), Hit("a", 2.0), Hit("b", 2.0)]
    fused = fuse(keyword, None, alpha=0.0)
    assert [h.id for h in fused] == ["a", "b", "c"]
    assert [h.score for h in fused] == [1.0, 1.0, 1.0]


def test_scores_within_epsilon_are_ties() -> None:
    # 0.5 - 2e-8 vs 0.5 + 2e-8: Weaviate treats them as equal: raw score, then id.
    keyword = [Hit("x", 1.0), Hit("w", 0.0)]
    vector = [Hit("y", 1.0), Hit("w", 0.0)]
    fused = fuse(keyword, vector, alpha=0.5 + 2e-8)
    assert [h.id for h in fused[:2]] == ["x", "y"]  # equal raw scores (1.0): id ascending
    # x comes first although its fused score is (within 1e-7) lower than y's.
    assert fused[1].score - fused[0].score == pytest.approx((0.5 + 2e-8) - (0.5 - 2e-8))
    clear = fuse(keyword, vector, alpha=0.5 + 1e-3)
    assert [h.id for h in clear[:2]] == ["y", "x"]


def test_ties_do_not_depend_on_input_order() -> None:
    keyword = [Hit(i, 1.0) for i in "dcba"]
    forward = fuse(keyword, None, alpha=0.0)
    backward = fuse(list(reversed(keyword)), None, alpha=0.0)
    assert [h.id for h in forward] == [h.id for h in backward] == ["a", "b", "c", "d"]


# TESTS: validation ====================================================================


@pytest.mark.parametrize("alpha", [-0.1, 1.1, math.nan, math.inf, "0.5", "x", None, True, False])
def test_invalid_alpha(alpha: object) -> None:
    with pytest.raises(ValueError, match="alpha"):
        fuse(KEYWORD, VECTOR, alpha=alpha)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="alpha"):
        validate_alpha(alpha)


@pytest.mark.parametrize("alpha", [0, 0.0, 0.5, 1, 1.0])
def test_valid_alpha(alpha: float) -> None:
    assert validate_alpha(alpha) == float(alpha)


def test_invalid_method_names_the_allowed_ones() -> None:
    with pytest.raises(
        ValueError,
        match=r"fusion must be one of \['relative_score', 'ranked', 'dbsf', 'zscore', 'l2'\]",
    ):
        fuse(KEYWORD, VECTOR, alpha=0.5, method="rrf")  # type: ignore[arg-type]


@pytest.mark.parametrize("rank_constant", [0, -1, 1.5, True, "60"])
def test_invalid_rank_constant(rank_constant: object) -> None:
    with pytest.raises(ValueError, match="rank_constant"):
        fuse(KEYWORD, VECTOR, alpha=0.5, method="ranked", rank_constant=rank_constant)  # type: ignore[arg-type]
