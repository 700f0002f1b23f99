"""The local backend ranks like Weaviate (issue: same ranking locally and on Weaviate).

A slice of real SciFact (1,500 documents, 50 test queries, precomputed vectors) goes
into both backends; the top 10 must overlap by at least 0.95 on average for each leg
alone and for both fusions, and with the `exact` keyword engine at least 95% of the
queries must get the same top 10 in the same order. A change in either backend that
breaks parity fails here.
The full-dataset numbers are in docs/benchmarks.md (bench/parity.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import weaviate

from langchain_hybrid import Analyzer, HybridRetriever
from langchain_hybrid.evaluation import PrecomputedEmbeddings, load_beir, to_documents
from langchain_hybrid.evaluation.parity import compare_rankings

DATA = Path(__file__).resolve().parent.parent / "data" / "scifact_slice"
QUERIES = 50
MIN_OVERLAP = 0.95
MIN_IDENTICAL = 0.95


@pytest.fixture(scope="module")
def slice_data() -> tuple[list, dict[str, str], PrecomputedEmbeddings]:
    corpus, queries, _ = load_beir(DATA, "test")
    chosen = dict(list(queries.items())[:QUERIES])
    embeddings = PrecomputedEmbeddings.from_beir(DATA, corpus=corpus, queries=queries)
    return to_documents(corpus), chosen, embeddings


def _rankings(retriever: HybridRetriever, queries: dict[str, str], **options: object) -> dict:
    return {q: [d.id for d in retriever.invoke(text, **options)] for q, text in queries.items()}


SETTINGS = [(0.0, "relative_score"), (1.0, "relative_score")] + [
    (alpha, fusion) for alpha in (0.25, 0.5, 0.75) for fusion in ("relative_score", "ranked")
]


def test_local_and_weaviate_rank_alike(
    slice_data, weaviate_client: weaviate.WeaviateClient, unique_collection_name: str
) -> None:
    documents, queries, embeddings = slice_data
    remote = HybridRetriever.from_weaviate(
        weaviate_client, unique_collection_name, embeddings, k=10
    )
    remote.add_documents(documents)
    theirs = {s: _rankings(remote, queries, alpha=s[0], fusion=s[1]) for s in SETTINGS}

    for engine in ("tantivy", "exact"):
        local = HybridRetriever.from_documents(
            documents, embeddings, keyword_engine=engine, analyzer=Analyzer.weaviate(), k=10
        )
        agreements = {
            s: compare_rankings(_rankings(local, queries, alpha=s[0], fusion=s[1]), theirs[s])
            for s in SETTINGS
        }
        # The default engine: same documents in the top 10 (lengths are approximate).
        assert min(a.overlap for a in agreements.values()) >= MIN_OVERLAP, (engine, agreements)
        if engine == "exact":
            # Weaviate's formula with exact lengths: the same top 10, in the same order.
            assert min(a.identical for a in agreements.values()) >= MIN_IDENTICAL, agreements


CLIENT_SIDE = [(0.5, "dbsf"), (0.5, "zscore"), (0.5, "l2"), (0.3, "dbsf")]


def test_fusions_weaviate_lacks_run_both_legs_and_match_the_local_backend(
    slice_data, weaviate_client: weaviate.WeaviateClient, unique_collection_name: str
) -> None:
    # Weaviate has no dbsf, zscore or l2: each leg runs on the server (same filter and
    # depth) and the lists are fused in Python, so the ranking matches the local backend.
    documents, queries, embeddings = slice_data
    remote = HybridRetriever.from_weaviate(
        weaviate_client, unique_collection_name, embeddings, k=10
    )
    remote.add_documents(documents)
    local = HybridRetriever.from_documents(
        documents, embeddings, keyword_engine="exact", analyzer=Analyzer.weaviate(), k=10
    )
    for alpha, fusion in CLIENT_SIDE:
        theirs = _rankings(remote, queries, alpha=alpha, fusion=fusion)
        ours = _rankings(local, queries, alpha=alpha, fusion=fusion)
        agreement = compare_rankings(ours, theirs)
        assert agreement.overlap >= MIN_OVERLAP, (alpha, fusion, agreement)
    found = remote.invoke(next(iter(queries.values())), fusion="dbsf", alpha=0.5)
    assert found[0].metadata["fusion"] == "dbsf"
    assert found[0].metadata["keyword_score"] is not None or found[0].metadata["vector_score"]
    auto = remote.invoke(next(iter(queries.values())), alpha="auto")
    assert "alpha_evidence" in auto[0].metadata
    assert 0 < auto[0].metadata["alpha"] < 1
