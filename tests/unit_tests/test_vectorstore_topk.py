"""`NumpyVectorStore`'s top-k selection is exact: the same rows as a full sort."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding

from langchain_hybrid.vectorstore import NumpyVectorStore, _top_k


def full_sort(scores: np.ndarray, k: int) -> list[int]:
    return sorted(range(len(scores)), key=lambda i: (-float(scores[i]), i))[:k]


@pytest.mark.parametrize(
    "layout",
    ["random", "ascending", "descending", "few_values", "all_equal"],
)
@pytest.mark.parametrize("k", [1, 10, 100, 1000])
def test_top_k_equals_full_sort(layout: str, k: int) -> None:
    # Large enough for the sampled threshold; sorted layouts defeat an evenly spaced sample.
    rng = np.random.default_rng(7)
    n = 50_000
    scores = {
        "random": rng.standard_normal(n),
        "ascending": np.sort(rng.standard_normal(n)),
        "descending": np.sort(rng.standard_normal(n))[::-1],
        "few_values": rng.integers(0, 5, n).astype(float),
        "all_equal": np.zeros(n),
    }[layout].astype(np.float32)
    assert _top_k(scores, k) == full_sort(scores, k)


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.integers(-3, 3), min_size=1, max_size=20_000),
    k=st.integers(1, 300),
)
def test_top_k_property(values: list[int], k: int) -> None:
    scores = np.asarray(values, dtype=np.float32)
    assert _top_k(scores, k) == full_sort(scores, k)


def test_replacing_and_deleting_keeps_rows_aligned() -> None:
    store = NumpyVectorStore(DeterministicFakeEmbedding(size=4))
    store.add_vectors([Document("a"), Document("b")], [[1, 0, 0, 0], [0, 1, 0, 0]], ids=["a", "b"])
    store.add_vectors([Document("a2")], [[0, 0, 1, 0]], ids=["a"])  # replaces a
    store.add_vectors([Document("c")], [[0, 0, 0, 1]], ids=["c"])
    store.delete(["b"])
    found = {
        tuple(vector): [
            (doc.id, doc.page_content, round(score, 6))
            for doc, score in store.similarity_search_with_score_by_vector(vector, k=1)
        ]
        for vector in ([0, 0, 1, 0], [0, 0, 0, 1], [1, 0, 0, 0])
    }
    assert found == {
        (0, 0, 1, 0): [("a", "a2", 1.0)],
        (0, 0, 0, 1): [("c", "c", 1.0)],
        (1, 0, 0, 0): [("a", "a2", 0.0)],  # the old vector of a is gone
    }
    assert len(store) == 2
