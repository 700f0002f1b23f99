"""The ranx adapter: values written as their formulas, name validation, edge cases."""

from __future__ import annotations

import math

import pytest

from langchain_hybrid.errors import ConfigError
from langchain_hybrid.evaluation import METRICS, compute_metrics, validate_metrics
from langchain_hybrid.evaluation.metrics import to_run

# TESTS ======================================================================


def test_graded_ndcg_recall_mrr_are_the_trec_eval_formulas():
    qrels = {"q1": {"d1": 2, "d2": 1, "d9": 0}, "q2": {"d5": 1}}
    rankings = {"q1": ["d2", "x", "d1"], "q2": ["y", "z", "d5"]}

    scores = compute_metrics(qrels, rankings)

    ndcg_q1 = (1 / math.log2(2) + 2 / math.log2(4)) / (2 / math.log2(2) + 1 / math.log2(3))
    ndcg_q2 = (1 / math.log2(4)) / 1
    assert list(scores) == list(METRICS)
    assert scores["ndcg@10"] == pytest.approx((ndcg_q1 + ndcg_q2) / 2)
    assert scores["recall@100"] == pytest.approx(1.0)
    assert scores["mrr@10"] == pytest.approx((1 / 1 + 1 / 3) / 2)


def test_cutoffs_apply():
    qrels = {"q1": {"d3": 1}}
    rankings = {"q1": ["a", "b", "d3"]}
    assert compute_metrics(qrels, rankings, ["recall@2", "mrr@2", "recall@3"]) == {
        "recall@2": 0.0,
        "mrr@2": 0.0,
        "recall@3": 1.0,
    }


def test_missing_or_empty_rankings_score_zero():
    qrels = {"q1": {"d1": 1}, "q2": {"d2": 1}, "q3": {"d3": 1}}
    scores = compute_metrics(qrels, {"q1": ["d1"], "q2": [], "extra": ["d3"]}, "mrr@10")
    assert scores == {"mrr@10": pytest.approx(1 / 3)}
    assert compute_metrics(qrels, {}, ["ndcg@10"]) == {"ndcg@10": 0.0}


def test_order_is_the_ranking_not_the_retrievers_scores():
    assert to_run({"q": ["b", "a", "b", "c"]}) == {"q": {"b": 3.0, "a": 2.0, "c": 1.0}}


def test_metric_names_are_validated_with_the_allowed_list():
    assert validate_metrics("ndcg@10") == ["ndcg@10"]
    assert validate_metrics(["map", "precision@5", "hit_rate@3"]) == [
        "map",
        "precision@5",
        "hit_rate@3",
    ]
    for bad in ["NDCG@10", "ndcg@", "ndcg@0", "bleu@10", "recall@ten"]:
        with pytest.raises(
            ConfigError, match=r"unknown metric .* allowed: ndcg@K, recall@K, mrr@K"
        ):
            validate_metrics(bad)
    with pytest.raises(ConfigError, match="at least one metric"):
        validate_metrics([])
    with pytest.raises(ConfigError, match="unknown metric 'f1@10'"):
        compute_metrics({"q": {"d": 1}}, {"q": ["d"]}, ["ndcg@10", "f1@10"])


def test_empty_qrels_is_an_error():
    with pytest.raises(ConfigError, match="no judged query"):
        compute_metrics({}, {"q": ["d"]})
