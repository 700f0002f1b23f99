"""alpha="auto" and alpha_model on the retriever: the chosen alpha and its evidence.

The same evidence and alpha the backend uses at query time must be what
`evaluation.per_query` computes from stored legs (that is what a model is fitted on).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding

from langchain_hybrid import HybridRetriever
from langchain_hybrid.alpha_selection import FEATURES, AlphaModel, choose_alpha, gather_evidence
from langchain_hybrid.analysis import Analyzer
from langchain_hybrid.errors import ConfigError
from langchain_hybrid.evaluation import (
    Grid,
    PrecomputedEmbeddings,
    load_beir,
    precomputed_vector_store,
    to_documents,
)
from langchain_hybrid.evaluation.per_query import query_table, tune_per_query

SLICE = Path(__file__).resolve().parents[1] / "data" / "scifact_slice"

DOCS = [
    Document("Fix for error E1234 in the parser"),
    Document("The cat sat on the mat"),
    Document("Parsing failures and how to debug them"),
]


@pytest.fixture
def small() -> HybridRetriever:
    return HybridRetriever.from_documents(
        DOCS, DeterministicFakeEmbedding(size=16), ids=["a", "b", "c"], k=3
    )


def test_default_local_analysis_stems_english(small) -> None:
    assert small.backend.keyword.analyzer == Analyzer.english()
    # "failure" finds "failures" only through the stem "failur"
    assert [doc.id for doc in small.invoke("failure", alpha=0.0)] == ["c"]


def test_auto_puts_the_chosen_alpha_and_the_evidence_in_metadata(small) -> None:
    found = small.invoke("error E1234", alpha="auto")
    top = found[0].metadata
    evidence = top["alpha_evidence"]
    assert evidence["identifier_terms"] == 1
    assert evidence["keyword_hits"] >= 1
    assert evidence["vector_hits"] == 3
    assert 0 < top["alpha"] < 1
    assert top["alpha"] == pytest.approx(choose_alpha(_evidence(evidence)))
    assert all(doc.metadata["alpha"] == top["alpha"] for doc in found)


def test_a_fixed_alpha_has_no_evidence(small) -> None:
    assert "alpha_evidence" not in small.invoke("error E1234", alpha=0.5)[0].metadata


def test_alpha_model_from_a_json_file_and_per_call_override(tmp_path) -> None:
    path = AlphaModel.constant(0.3).save(tmp_path / "alpha.json")
    retriever = HybridRetriever.from_documents(
        DOCS, DeterministicFakeEmbedding(size=16), ids=["a", "b", "c"], alpha_model=str(path)
    )
    assert isinstance(retriever.alpha_model, AlphaModel)
    found = retriever.invoke("parser error")
    assert found[0].metadata["alpha"] == pytest.approx(0.3)
    assert "alpha_evidence" in found[0].metadata
    overridden = retriever.invoke("parser error", alpha=0.8)[0].metadata
    assert overridden["alpha"] == 0.8
    assert "alpha_evidence" not in overridden


@pytest.mark.parametrize(("value", "message"), [("sometimes", "alpha must"), (1.5, "alpha must")])
def test_bad_alpha_values_are_refused(small, value, message) -> None:
    with pytest.raises(ConfigError, match=message):
        small.invoke("x", alpha=value)


def test_missing_model_file_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(ValueError, match="tune --per-query"):
        HybridRetriever.from_documents(
            DOCS, DeterministicFakeEmbedding(size=16), alpha_model=tmp_path / "none.json"
        )


def test_stored_legs_choose_the_same_alpha_as_the_backend() -> None:
    corpus, queries, qrels = load_beir(SLICE, "test")
    queries = dict(list(queries.items())[:10])
    docs = to_documents(corpus)
    store = precomputed_vector_store(docs, PrecomputedEmbeddings.from_beir(SLICE, corpus=corpus))
    retriever = HybridRetriever.from_vectorstore(store, documents=docs, k=100)
    table = query_table(retriever, queries, {q: qrels[q] for q in queries}, grid=Grid(k=100))
    for qid, evidence in zip(table.query_ids, table.evidence, strict=True):
        found = retriever.invoke(queries[qid], alpha="auto")
        assert found[0].metadata["alpha_evidence"] == evidence.to_dict()
        assert found[0].metadata["alpha"] == pytest.approx(choose_alpha(evidence))
        ranked = table.rankings([table.query_ids.index(qid)], [choose_alpha(evidence)])[qid]
        assert [doc.id for doc in found] == ranked


def test_tune_per_query_reports_every_alpha_choice() -> None:
    corpus, queries, qrels = load_beir(SLICE, "test")
    ids = list(queries)[:30]
    docs = to_documents(corpus)
    store = precomputed_vector_store(docs, PrecomputedEmbeddings.from_beir(SLICE, corpus=corpus))
    retriever = HybridRetriever.from_vectorstore(store, documents=docs, k=100)
    tune_ids, test_ids = ids[:20], ids[20:]
    result = tune_per_query(
        retriever,
        {q: queries[q] for q in tune_ids},
        {q: qrels[q] for q in tune_ids},
        {q: queries[q] for q in test_ids},
        {q: qrels[q] for q in test_ids},
        grid=Grid(alphas=[0.0, 0.25, 0.5, 0.75, 1.0]),
        cv_folds=4,
    )
    assert set(result.test_scores) == {"default", "fixed", "auto", "model"}
    assert len(result.cross_validation["fold_scores"]) == 4
    assert result.num_tune_queries == 20
    assert result.num_test_queries == 10
    assert len(result.model.coef) == len(FEATURES)
    assert result.to_dict()["model"]["format"] == "langchain-hybrid/alpha-model"


def _evidence(data: dict) -> object:
    from langchain_hybrid.alpha_selection import AlphaEvidence  # noqa: PLC0415

    return AlphaEvidence(**data)


def test_gather_evidence_is_what_the_metadata_holds(small) -> None:
    found = small.invoke("cat", alpha="auto")
    evidence = found[0].metadata["alpha_evidence"]
    assert (
        evidence
        == gather_evidence(
            "cat",
            small.backend.keyword.analyzer.query_tokens("cat"),
            _hits(small, "cat", 0.0, "keyword"),
            _hits(small, "cat", 1.0, "vector"),
        ).to_dict()
    )


def _hits(retriever, text, alpha, leg):
    from langchain_hybrid import Hit  # noqa: PLC0415

    docs = retriever.invoke(text, alpha=alpha, fusion="ranked", k=100)
    return [Hit(d.id, d.metadata[f"{leg}_score"]) for d in docs]
