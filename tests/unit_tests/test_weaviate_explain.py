"""The `explain_score` parser, on strings recorded from a real Weaviate v1.39.3 server.

Each string below was returned by `collection.query.hybrid(..., return_metadata=
MetadataQuery(score=True, explain_score=True))` against v1.39.3, with the fused score the
server reported next to it. The integration tests check that the live server still
produces parseable text (`test_weaviate_backend.py::test_explain_score_is_parsed`).
"""

from __future__ import annotations

import math

import pytest

from langchain_hybrid.backends.weaviate.explain import (
    ExplainedLeg,
    ExplainedScore,
    parse_explain_score,
    to_evidence,
)

UUID_A = "98123fde-012f-5ff3-8b50-881449dac91a"
UUID_B = "6ed955c6-506a-5343-9be4-2c0afae02eef"

# ---------------------------------------------------------------------------- recorded strings

# relative-score fusion, alpha 0.5, found by both legs; server score 0.8339173197746277
RELATIVE_BOTH = (
    f"\nHybrid (Result Set keyword,bm25) Document {UUID_A}: original score 0.5213263, "
    "normalized score: 0.49655223 - "
    f"\nHybrid (Result Set vector,hybridVector) Document {UUID_A}: original score "
    "0.16804546, normalized score: 0.3373651"
)
# relative-score fusion, alpha 0.5, vector leg only; server score 0.0 (the leg's minimum)
RELATIVE_VECTOR_ONLY = (
    f"\nHybrid (Result Set vector,hybridVector) Document {UUID_B}: original score "
    "-0.19845963, normalized score: 0"
)
# relative-score fusion, alpha 0.3; server score 0.7722154855728149
RELATIVE_ALPHA_03 = (
    f"\nHybrid (Result Set keyword,bm25) Document {UUID_A}: original score 0.6011603, "
    "normalized score: 0.7 - "
    f"\nHybrid (Result Set vector,hybridVector) Document {UUID_A}: original score "
    "0.16804546, normalized score: 0.0722155"
)
# relative-score fusion, alpha 0 (keyword only); server score 0.7690500617027283
RELATIVE_KEYWORD_ALPHA_0 = (
    f"\nHybrid (Result Set keyword,bm25) Document {UUID_A}: original score 0.6011603, "
    "normalized score: 0.76905006"
)
# ranked fusion, alpha 0.5, both legs (the vector line comes first); score 0.016393441706895828
RANKED_BOTH = (
    f"\nHybrid (Result Set vector,hybridVector) Document {UUID_A} contributed 0.008196721 "
    "to the score"
    f"\nHybrid (Result Set keyword,bm25) Document {UUID_A} contributed 0.008196721 to the score"
)
# ranked fusion, alpha 0.3; server score 0.016584699973464012
RANKED_ALPHA_03 = (
    f"\nHybrid (Result Set vector,hybridVector) Document {UUID_A} contributed 0.004918033 "
    "to the score"
    f"\nHybrid (Result Set keyword,bm25) Document {UUID_A} contributed 0.011666667 to the score"
)
# ranked fusion, alpha 0.5, vector leg only, 6th in the leg; score 0.007692307699471712
RANKED_VECTOR_ONLY = (
    f"\nHybrid (Result Set vector,hybridVector) Document {UUID_B} contributed 0.0076923077 "
    "to the score"
)
# plain BM25 query (not hybrid): not a format this parser reads
BM25_ONLY = ", BM25F_cat_propLength:3, BM25F_cat_frequency:3"


# ---------------------------------------------------------------------------- parsing


def test_relative_score_both_legs() -> None:
    parsed = parse_explain_score(RELATIVE_BOTH, fusion="relative_score", object_id=UUID_A)
    assert parsed == ExplainedScore(
        keyword=ExplainedLeg(contribution=0.49655223, raw_score=0.5213263),
        vector=ExplainedLeg(contribution=0.3373651, raw_score=0.16804546),
    )
    # The contributions add up to the fused score the server reported (float32).
    assert math.isclose(0.49655223 + 0.3373651, 0.8339173197746277, rel_tol=1e-6)


def test_relative_score_single_leg_and_negative_similarity() -> None:
    parsed = parse_explain_score(RELATIVE_VECTOR_ONLY, fusion="relative_score")
    assert parsed == ExplainedScore(
        keyword=None, vector=ExplainedLeg(contribution=0.0, raw_score=-0.19845963)
    )
    parsed = parse_explain_score(RELATIVE_KEYWORD_ALPHA_0, fusion="relative_score")
    assert parsed is not None
    assert parsed.vector is None
    assert parsed.keyword == ExplainedLeg(contribution=0.76905006, raw_score=0.6011603)


def test_ranked_lines_in_any_order() -> None:
    parsed = parse_explain_score(RANKED_BOTH, fusion="ranked", object_id=UUID_A)
    assert parsed == ExplainedScore(
        keyword=ExplainedLeg(contribution=0.008196721, raw_score=None),
        vector=ExplainedLeg(contribution=0.008196721, raw_score=None),
    )


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        BM25_ONLY,
        # a line in the other fusion's format
        RANKED_BOTH.replace("contributed", "added"),
        # the same leg twice
        RELATIVE_VECTOR_ONLY + RELATIVE_VECTOR_ONLY,
        # an unknown result set
        RELATIVE_VECTOR_ONLY.replace("vector,hybridVector", "sparse,splade"),
        # one parseable entry next to one that is not: not evidence
        RELATIVE_BOTH.replace("original score 0.16804546", "original score ?"),
    ],
)
def test_unknown_text_is_not_parsed(text: str | None) -> None:
    assert parse_explain_score(text, fusion="relative_score") is None


def test_wrong_fusion_or_object_is_not_parsed() -> None:
    assert parse_explain_score(RANKED_BOTH, fusion="relative_score") is None
    assert parse_explain_score(RELATIVE_BOTH, fusion="ranked") is None
    assert parse_explain_score(RELATIVE_BOTH, fusion="relative_score", object_id=UUID_B) is None


def test_older_result_set_names_and_go_number_formats() -> None:
    # Before v1.25 the sets were named plain "keyword" / "vector"; Go prints float32
    # with exponents for small values.
    text = (
        f"\nHybrid (Result Set keyword) Document {UUID_A}: original score 1.5e-05, "
        "normalized score: 1 - "
        f"\nHybrid (Result Set vector) Document {UUID_A}: original score 1, normalized score: 3e-08"
    )
    parsed = parse_explain_score(text, fusion="relative_score")
    assert parsed == ExplainedScore(
        keyword=ExplainedLeg(contribution=1.0, raw_score=1.5e-05),
        vector=ExplainedLeg(contribution=3e-08, raw_score=1.0),
    )


# ---------------------------------------------------------------------------- evidence


def test_relative_score_evidence_is_contribution_over_weight() -> None:
    parsed = parse_explain_score(RELATIVE_ALPHA_03, fusion="relative_score")
    assert parsed is not None
    assert parsed.keyword is not None
    assert parsed.vector is not None
    keyword = to_evidence(parsed.keyword, weight=0.7, fusion="relative_score")
    vector = to_evidence(parsed.vector, weight=0.3, fusion="relative_score")
    # "normalized score" in Weaviate's text is already weight * min-max: 0.7 = 0.7 * 1.
    assert keyword.normalized == pytest.approx(0.7 / 0.7)
    assert keyword.contribution == pytest.approx(0.7)
    assert keyword.score == pytest.approx(0.6011603)
    assert vector.normalized == pytest.approx(0.0722155 / 0.3)
    assert vector.score == pytest.approx(0.16804546)
    # Weaviate does not report ranks under relative-score fusion.
    assert keyword.rank is None
    assert vector.rank is None
    assert keyword.contribution + vector.contribution == pytest.approx(0.7722154855728149)


def test_ranked_evidence_recovers_the_rank_from_the_contribution() -> None:
    parsed = parse_explain_score(RANKED_ALPHA_03, fusion="ranked")
    assert parsed is not None
    assert parsed.keyword is not None
    assert parsed.vector is not None
    vector = to_evidence(parsed.vector, weight=0.3, fusion="ranked")
    keyword = to_evidence(parsed.keyword, weight=0.7, fusion="ranked")
    # 0.3 / (i + 60) = 0.004918033 -> i = 1 (0-based) -> rank 2; 0.7 / 60 -> rank 1.
    assert vector.rank == 2
    assert keyword.rank == 1
    assert vector.normalized == pytest.approx(1 / (1 + 60))
    assert keyword.normalized == pytest.approx(1 / (0 + 60))
    # The raw scores are not in the ranked-fusion text.
    assert vector.score is None
    assert keyword.score is None
    assert keyword.contribution + vector.contribution == pytest.approx(0.016584699973464012)


def test_ranked_rank_deep_in_the_leg() -> None:
    parsed = parse_explain_score(RANKED_VECTOR_ONLY, fusion="ranked")
    assert parsed is not None
    assert parsed.vector is not None
    # 0.5 / (i + 60) = 0.0076923077 -> i = 5 -> rank 6
    assert to_evidence(parsed.vector, weight=0.5, fusion="ranked").rank == 6
    for position in (0, 1, 99, 999, 9_999):
        contribution = float(f"{0.5 / (position + 60):.8g}")  # float32-like precision
        leg = ExplainedLeg(contribution=contribution, raw_score=None)
        assert to_evidence(leg, weight=0.5, fusion="ranked").rank == position + 1


def test_inconsistent_ranked_contribution_gives_no_rank() -> None:
    # 0.5 / 0.0081 = 61.7...: no 0-based position reproduces it.
    leg = ExplainedLeg(contribution=0.0081, raw_score=None)
    assert to_evidence(leg, weight=0.5, fusion="ranked").rank is None
