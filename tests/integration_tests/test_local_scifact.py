"""End to end on real data: the SciFact slice in `tests/data/scifact_slice` (see its README).

1,500 SciFact documents and the 300 test claims, with precomputed all-MiniLM-L6-v2
vectors, so no model is needed. Hybrid search at alpha 0.5 must beat both of its legs on
nDCG@10. The three numbers are printed (`pytest -s` shows them).

nDCG@10 comes from `ranx` (`pip install ranx`) when it is installed. The minimal nDCG
below is always computed as well, and must agree with `ranx` when both are available, so
the fallback used without `ranx` is itself tested.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from langchain_hybrid import HybridRetriever

try:
    with warnings.catch_warnings():
        # ranx's sources have invalid escapes (SyntaxWarning when first compiled).
        warnings.simplefilter("ignore")
        from ranx import Qrels, Run, evaluate
except ImportError:  # pragma: no cover - ranx is optional: the minimal nDCG is used alone
    evaluate = None

DATA = Path(__file__).resolve().parent.parent / "data" / "scifact_slice"
VECTORS = DATA / "embeddings" / "all-MiniLM-L6-v2"
K = 10
DENSE_NDCG = 0.754  # nDCG@10 of the vectors alone on this slice (README of the test data)


class PrecomputedEmbeddings(Embeddings):
    """Serves precomputed vectors by exact text; any other text is a `KeyError`."""

    def __init__(self, documents: dict[str, list[float]], queries: dict[str, list[float]]) -> None:
        self.documents = documents
        self.queries = queries

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.documents[text] for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.queries[text]


def read_jsonl(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def vectors_by_text(rows: list[tuple[str, str]], name: str) -> dict[str, list[float]]:
    """Text -> vector, checking that ids line up with the rows of the `.npy` file."""
    matrix = np.load(VECTORS / f"{name}.npy")
    vector_ids = (VECTORS / f"{name}.ids").read_text(encoding="utf-8").split()
    assert vector_ids == [row_id for row_id, _ in rows]
    assert matrix.shape == (len(rows), 384)
    by_text: dict[str, list[float]] = {}
    for (_, text), vector in zip(rows, matrix, strict=True):
        assert by_text.setdefault(text, vector.tolist()) == vector.tolist(), text
    return by_text


def ndcg_at_k(qrels: dict[str, dict[str, int]], run: dict[str, list[str]], k: int) -> float:
    """Mean nDCG@k (Järvelin & Kekäläinen 2002) over the queries of `qrels`.

    `DCG@k = sum_i rel_i / log2(i + 1)` for 1-based ranks `i <= k` of the run, divided by
    the DCG of the ideal ranking (judged documents by relevance). SciFact's judgments
    are binary, so this equals the `(2^rel - 1)` gain that trec_eval, BEIR and ranx use.
    A query with no results scores 0.
    """
    total = 0.0
    for query_id, judged in qrels.items():
        ranking = run.get(query_id, [])[:k]
        dcg = sum(judged.get(doc, 0) / math.log2(i + 2) for i, doc in enumerate(ranking))
        ideal = sorted(judged.values(), reverse=True)[:k]
        idcg = sum(rel / math.log2(i + 2) for i, rel in enumerate(ideal))
        total += dcg / idcg
    return total / len(qrels)


def ranx_ndcg_at_k(qrels: dict[str, dict[str, int]], run: dict[str, list[str]], k: int) -> float:
    assert evaluate is not None
    # Scores that reproduce the retriever's order exactly (ranx would re-sort ties).
    scored = {
        q: {doc: float(len(docs) - i) for i, doc in enumerate(docs)} for q, docs in run.items()
    }
    with warnings.catch_warnings():
        # ranx's numba kernels warn about an integer cast inside ranx itself.
        warnings.simplefilter("ignore")
        return float(evaluate(Qrels(qrels), Run(scored), f"ndcg@{k}"))


@pytest.fixture(scope="module")
def scifact() -> tuple[HybridRetriever, dict[str, str], dict[str, dict[str, int]]]:
    corpus = read_jsonl(DATA / "corpus.jsonl")
    queries = read_jsonl(DATA / "queries.jsonl")
    doc_rows = [(row["_id"], f"{row['title']} {row['text']}".strip()) for row in corpus]
    query_rows = [(row["_id"], row["text"]) for row in queries]
    embeddings = PrecomputedEmbeddings(
        vectors_by_text(doc_rows, "corpus"), vectors_by_text(query_rows, "queries")
    )
    qrels: dict[str, dict[str, int]] = {}
    lines = (DATA / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines()
    assert lines[0].split("\t") == ["query-id", "corpus-id", "score"]
    for line in lines[1:]:
        query_id, doc_id, score = line.strip().split("\t")
        qrels.setdefault(query_id, {})[doc_id] = int(score)
    assert len(doc_rows) == 1500
    assert len(qrels) == len(query_rows) == 300
    retriever = HybridRetriever.from_documents(
        [Document(text) for _, text in doc_rows],
        embeddings,
        ids=[doc_id for doc_id, _ in doc_rows],
        k=K,
    )
    return retriever, dict(query_rows), qrels


def test_embeddings_refuse_unknown_text() -> None:
    embeddings = PrecomputedEmbeddings({"known": [1.0]}, {"query": [0.5]})
    assert embeddings.embed_documents(["known"]) == [[1.0]]
    assert embeddings.embed_query("query") == [0.5]
    with pytest.raises(KeyError):
        embeddings.embed_query("known")  # documents and queries are looked up separately
    with pytest.raises(KeyError):
        embeddings.embed_documents(["unknown"])


def test_minimal_ndcg_hand_computed() -> None:
    qrels = {"q1": {"a": 1, "b": 1}, "q2": {"c": 1}}
    run = {"q1": ["x", "a", "y", "b"], "q2": ["c"]}
    q1 = (1 / math.log2(3) + 1 / math.log2(5)) / (1 / math.log2(2) + 1 / math.log2(3))
    assert ndcg_at_k(qrels, run, 10) == pytest.approx((q1 + 1.0) / 2)
    assert ndcg_at_k(qrels, {"q2": ["c"]}, 10) == pytest.approx((0 + 1.0) / 2)
    assert ndcg_at_k(qrels, run, 1) == pytest.approx((0 + 1.0) / 2)


def test_hybrid_beats_both_legs_on_scifact(
    scifact: tuple[HybridRetriever, dict[str, str], dict[str, dict[str, int]]],
) -> None:
    retriever, queries, qrels = scifact
    scores: dict[str, float] = {}
    for name, alpha in (("keyword (alpha 0)", 0.0), ("vector (alpha 1)", 1.0), ("hybrid 0.5", 0.5)):
        results = retriever.batch(list(queries.values()), alpha=alpha)
        run = {
            query_id: [str(doc.id) for doc in found]
            for query_id, found in zip(queries, results, strict=True)
        }
        # The keyword leg may match fewer than K documents; the vector leg never does.
        assert all(len(found) == K or (alpha == 0 and found) for found in results)
        minimal = ndcg_at_k(qrels, run, K)
        if evaluate is not None:
            assert ranx_ndcg_at_k(qrels, run, K) == pytest.approx(minimal, abs=1e-9)
        scores[name] = minimal
    print(  # noqa: T201 - the numbers are the point of this test; `pytest -s` shows them
        "\nSciFact slice nDCG@10: "
        + ", ".join(f"{name} {value:.4f}" for name, value in scores.items())
    )
    keyword, vector, hybrid = scores.values()
    assert vector == pytest.approx(DENSE_NDCG, abs=5e-4)
    assert hybrid > keyword
    assert hybrid > vector


def test_every_query_vector_is_served(
    scifact: tuple[HybridRetriever, dict[str, str], dict[str, dict[str, int]]],
) -> None:
    retriever, queries, _ = scifact
    first = next(iter(queries.values()))
    assert len(retriever.invoke(first, alpha=1)) == K
    with pytest.raises(KeyError):
        retriever.invoke("a claim that is not in the test set", alpha=1)
