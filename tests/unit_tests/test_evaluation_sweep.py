"""evaluate / sweep / tune on the real SciFact slice (all 1,500 documents, 30 queries).

The sweep re-fuses each leg's stored results instead of calling the retriever for
every grid point; the first tests check that this gives exactly what the retriever
returns when called directly.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from langchain_hybrid import Analyzer, HybridRetriever
from langchain_hybrid.errors import ConfigError
from langchain_hybrid.evaluation import (
    Grid,
    PrecomputedEmbeddings,
    collect_legs,
    evaluate,
    fused_rankings,
    load_beir,
    precomputed_vector_store,
    retrieve,
    sweep,
    to_documents,
    tune,
)
from langchain_hybrid.fusion import FUSION_METHODS

SLICE = Path(__file__).resolve().parents[1] / "data" / "scifact_slice"
N_QUERIES = 30


# FIXTURES ===================================================================


@pytest.fixture(scope="module")
def data():
    corpus, queries, qrels = load_beir(SLICE, "test")
    queries = dict(list(queries.items())[:N_QUERIES])
    return corpus, queries, {qid: qrels[qid] for qid in queries}


@pytest.fixture(scope="module")
def store(data):
    corpus = data[0]
    embeddings = PrecomputedEmbeddings.from_beir(SLICE, corpus=corpus)
    return precomputed_vector_store(to_documents(corpus), embeddings)


@pytest.fixture(scope="module")
def retriever(data, store):
    return HybridRetriever.from_vectorstore(store, documents=to_documents(data[0]), k=100)


@pytest.fixture(scope="module")
def stemmed_bm25(data, store):
    return HybridRetriever.from_vectorstore(
        store,
        documents=to_documents(data[0]),
        keyword_engine="rank_bm25",
        analyzer=Analyzer.english(),
        k=100,
    )


class IdsOnly(BaseRetriever):
    """A retriever that takes no per-call options, like most LangChain retrievers."""

    ranking: list[str]

    def _get_relevant_documents(self, query, *, run_manager):  # noqa: ARG002
        return [Document(page_content=doc_id, id=doc_id) for doc_id in self.ranking]


# TESTS ======================================================================


@pytest.mark.parametrize(
    ("engine", "depths"), [("retriever", (100, 150)), ("stemmed_bm25", (100,))]
)
def test_refusing_stored_legs_equals_calling_the_retriever(request, data, engine, depths):
    hybrid = request.getfixturevalue(engine)
    queries = data[1]
    for depth in depths:
        legs = collect_legs(hybrid, queries, depth)
        for fusion in ("relative_score", "ranked"):
            for alpha in (0.0, 0.3, 0.7, 1.0):
                fast = fused_rankings(
                    legs, alpha=alpha, fusion=fusion, k=100, rank_constant=hybrid.rank_constant
                )
                direct = retrieve(
                    hybrid,
                    queries,
                    search_kwargs={"alpha": alpha, "fusion": fusion, "k": 100, "fetch_k": depth},
                )
                assert fast == direct, (depth, fusion, alpha)
                assert all(0 < len(ids) <= 100 for ids in direct.values())


def test_one_leg_can_be_collected_and_combined(retriever, data):
    queries = data[1]
    vector = collect_legs(retriever, queries, 100, legs=("vector",))
    keyword = collect_legs(retriever, queries, 100, legs=("keyword",))
    assert vector.keyword == {}
    assert keyword.vector == {}

    def fused(legs, alpha):
        return fused_rankings(legs, alpha=alpha, fusion="relative_score", k=100, rank_constant=60)

    def direct(alpha):
        return retrieve(retriever, queries, search_kwargs={"alpha": alpha, "k": 100})

    assert fused(vector, 1.0) == direct(1.0)
    assert fused(dataclasses.replace(keyword, vector=vector.vector), 0.5) == direct(0.5)
    with pytest.raises(ConfigError, match="no keyword hits"):
        fused(vector, 0.5)
    with pytest.raises(ConfigError, match="legs must be a non-empty subset"):
        collect_legs(retriever, queries, 100, legs=("bm25",))


def test_sweep_with_legs_equals_sweep_by_direct_calls(retriever, data):
    _, queries, qrels = data
    grid = Grid(alphas=[0.0, 0.4, 1.0], fusions=["ranked"], fetch_ks=[100, 120])
    fast = sweep(retriever, queries, qrels, grid=grid, reuse_legs=True)
    direct = sweep(retriever, queries, qrels, grid=grid, reuse_legs=False)
    assert fast == direct


def test_sweep_table_best_and_baselines(retriever, data):
    _, queries, qrels = data
    calls = []

    result = sweep(
        retriever, queries, qrels, progress=lambda done, total: calls.append((done, total))
    )

    assert [(r.alpha, r.fusion) for r in result.rows] == [
        (a / 10, f) for f in FUSION_METHODS for a in range(11)
    ]
    assert {r.fetch_k for r in result.rows} == {100}
    assert result.metric == "ndcg@10"
    assert result.best.scores["ndcg@10"] == max(r.scores["ndcg@10"] for r in result.rows)
    assert result.num_queries == N_QUERIES
    assert result.k == 100
    assert result.keyword_only == result.rows[0].scores  # alpha 0
    assert result.vector_only == result.rows[10].scores  # alpha 1
    assert result.best_for("ranked").fusion == "ranked"
    assert calls[-1] == (2 * N_QUERIES, 2 * N_QUERIES)
    for row in result.rows:
        assert set(row.scores) == {"ndcg@10", "recall@100", "mrr@10"}
        assert all(0.0 <= v <= 1.0 for v in row.scores.values())
    # on SciFact, fusing helps over either leg alone, even on 30 queries
    assert result.best.scores["ndcg@10"] > max(
        result.keyword_only["ndcg@10"], result.vector_only["ndcg@10"]
    )
    assert result.to_dict()["best"]["alpha"] == result.best.alpha


def test_sweep_best_row_matches_evaluate(retriever, data):
    _, queries, qrels = data
    result = sweep(
        retriever, queries, qrels, grid=Grid(alphas=[0.2, 0.6], fusions=["ranked"], metric="mrr@10")
    )
    evaluated = evaluate(
        retriever, queries, qrels, search_kwargs={**result.best.search_kwargs, "k": 100}
    )
    assert result.best.scores == evaluated.scores
    assert result.metric == "mrr@10"
    assert evaluated.num_queries == N_QUERIES
    assert set(evaluated.rankings) == set(queries)
    assert all(len(ids) == 100 for ids in evaluated.rankings.values())


def test_tune_chooses_on_one_split_and_reports_on_the_other(retriever, data):
    _, queries, qrels = data
    ids = list(queries)
    tune_ids, test_ids = ids[:15], ids[15:]

    result = tune(
        retriever,
        {q: queries[q] for q in tune_ids},
        {q: qrels[q] for q in tune_ids},
        {q: queries[q] for q in test_ids},
        {q: qrels[q] for q in test_ids},
        grid=Grid(alphas=[0.0, 0.5, 1.0]),
        tune_split="train",
        cv_folds=None,  # the best mean, as before cross-validation
    )

    best = result.tuning.best
    assert result.tuning.num_queries == 15
    assert result.num_test_queries == 15
    assert (result.test_best.alpha, result.test_best.fusion) == (best.alpha, best.fusion)
    assert [r.fusion for r in result.test_rows] == list(FUSION_METHODS)
    test_direct = evaluate(
        retriever,
        {q: queries[q] for q in test_ids},
        {q: qrels[q] for q in test_ids},
        search_kwargs={**best.search_kwargs, "k": 100},
    )
    assert result.test_best.scores == test_direct.scores
    assert result.tune_split == "train"
    assert result.test_split == "test"
    assert result.cross_validation == {}


def test_tune_cross_validates_and_reports_the_spread(retriever, data):
    _, queries, qrels = data
    ids = list(queries)
    tune_ids, test_ids = ids[:20], ids[20:]
    result = tune(
        retriever,
        {q: queries[q] for q in tune_ids},
        {q: qrels[q] for q in tune_ids},
        {q: queries[q] for q in test_ids},
        {q: qrels[q] for q in test_ids},
        grid=Grid(alphas=[0.3, 0.5, 0.7], fusions=["relative_score", "dbsf"]),
        cv_folds=4,
    )
    cv = result.cross_validation
    assert cv["folds"] == 4
    assert len(cv["fold_scores"]) == 4
    assert cv["mean"] == pytest.approx(sum(cv["fold_scores"]) / 4)
    assert cv["spread"] >= 0
    assert len(cv["fold_winners"]) == 4
    chosen = (cv["chosen"]["alpha"], cv["chosen"]["fusion"])
    assert (result.test_best.alpha, result.test_best.fusion) == chosen
    # The chosen configuration is the best mean, or within one standard error of it.
    best_mean = cv["best_mean"]["scores"]["ndcg@10"]
    assert cv["chosen"]["scores"]["ndcg@10"] >= best_mean - cv["standard_error"] - 1e-12
    # The per-query table the folds read holds one score per query and grid point.
    assert len(result.tuning.per_query) == len(result.tuning.rows)
    assert all(len(row) == 20 for row in result.tuning.per_query)
    means = [sum(row) / 20 for row in result.tuning.per_query]
    assert means == pytest.approx([r.scores["ndcg@10"] for r in result.tuning.rows])
    assert "per_query" not in result.to_dict()["tuning"]


def test_evaluate_any_retriever_and_only_judged_queries():
    retriever = IdsOnly(ranking=["d2", "d1"])
    result = evaluate(
        retriever,
        {"q1": "x", "q2": "y", "unjudged": "z"},
        {"q1": {"d1": 1}, "q2": {"d2": 1}},
        metrics=["mrr@10"],
    )
    assert result.scores == {"mrr@10": pytest.approx((1 / 2 + 1) / 2)}
    assert set(result.rankings) == {"q1", "q2"}


def test_documents_need_ids():
    class NoIds(BaseRetriever):
        def _get_relevant_documents(self, query, *, run_manager):  # noqa: ARG002
            return [Document(page_content="text without id", metadata={"doc": "d1"})]

    with pytest.raises(ConfigError, match=r"without Document\.id"):
        evaluate(NoIds(), {"q": "x"}, {"q": {"d1": 1}})
    result = evaluate(NoIds(), {"q": "x"}, {"q": {"d1": 1}}, id_key="doc", metrics="mrr@10")
    assert result.scores == {"mrr@10": 1.0}


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"alphas": [0.5, 1.5]}, r"alpha must be in \[0, 1\]"),
        ({"alphas": []}, "alphas is empty"),
        ({"fusions": ["min_max"]}, "fusions must be a non-empty list"),
        ({"fetch_ks": [0]}, "fetch_ks must be positive integers"),
        ({"metric": "ndcg@ten"}, "unknown metric"),
        ({"k": 0}, "k must be a positive integer"),
    ],
)
def test_grid_settings_are_validated_when_the_grid_is_built(settings, message):
    with pytest.raises(ConfigError, match=message):
        Grid(**settings)


def test_grid_normalises_its_values_once():
    grid = Grid(alphas=[0.5, 0.5, 1], fusions=["ranked", "ranked"], fetch_ks=[50, 200], k=100)
    assert grid.alphas == (0.5, 1.0)
    assert grid.fusions == ("ranked",)
    assert grid.metric in grid.metrics
    assert Grid(metric="mrr@5", metrics=["ndcg@10"]).metrics == ("ndcg@10", "mrr@5")
    assert grid.depths(default_depth=100) == [100, 200]  # max(fetch_k, k), as the retriever
    assert grid.configs(default_depth=100) == [
        (0.5, "ranked", 100), (1.0, "ranked", 100), (0.5, "ranked", 200), (1.0, "ranked", 200)
    ]  # fmt: skip
    assert Grid().depths(default_depth=150) == [150]


def test_queries_and_qrels_must_match(retriever):
    with pytest.raises(ConfigError, match="judged queries have no text"):
        sweep(retriever, {"a": "x"}, {"b": {"d": 1}})
