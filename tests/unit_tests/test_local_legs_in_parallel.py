"""The local backend runs its two legs side by side on a large index: same results, same errors."""

from __future__ import annotations

import random
import threading
from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding

from langchain_hybrid import HybridRetriever
from langchain_hybrid.backends import local

rng = random.Random(11)  # noqa: S311 - test data
VOCAB = [f"w{i}" for i in range(50)] + ["parser", "error", "e1234"]
DOCS = [
    Document(" ".join(rng.choices(VOCAB, k=8)), id=f"d{i}", metadata={"n": i % 4})
    for i in range(200)
]
QUERIES = [" ".join(rng.choices(VOCAB, k=3)) for _ in range(20)] + ["zzz nothing"]
OPTIONS: list[dict[str, Any]] = [
    {},
    {"alpha": 0.0},
    {"alpha": 1.0},
    {"alpha": 0.3, "fusion": "ranked", "k": 7},
    {"filter": {"n": {"$gte": 2}}},
    {"alpha": "auto"},
]


@pytest.fixture
def retriever() -> HybridRetriever:
    return HybridRetriever.from_documents(DOCS, DeterministicFakeEmbedding(size=16), k=10)


@pytest.fixture
def parallel(monkeypatch: pytest.MonkeyPatch) -> None:
    """Treat the 200-document test index as large, on (at least) two workers."""
    monkeypatch.setattr(local, "_PARALLEL_FROM", 0)
    monkeypatch.setattr(local, "_LEG_WORKERS", 2)


@pytest.mark.parametrize("options", OPTIONS, ids=repr)
def test_parallel_legs_give_the_sequential_results(
    retriever: HybridRetriever, monkeypatch: pytest.MonkeyPatch, options: dict[str, Any]
) -> None:
    sequential = [retriever.invoke(q, **options) for q in QUERIES]
    monkeypatch.setattr(local, "_PARALLEL_FROM", 0)
    monkeypatch.setattr(local, "_LEG_WORKERS", 2)
    threads: set[str] = set()
    search = type(retriever.backend.keyword).search

    def record(self: Any, *args: Any, **kwargs: Any) -> Any:
        threads.add(threading.current_thread().name)
        return search(self, *args, **kwargs)

    monkeypatch.setattr(type(retriever.backend.keyword), "search", record)
    assert [retriever.invoke(q, **options) for q in QUERIES] == sequential
    if options.get("alpha") not in (0.0, 1.0):  # both legs run: the keyword one in the pool
        assert threads == {t for t in threads if t.startswith("langchain-hybrid-keyword")}
        assert threads


@pytest.mark.usefixtures("parallel")
def test_a_keyword_leg_error_reaches_the_caller(
    retriever: HybridRetriever, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any, **__: Any) -> Any:
        msg = "index is gone"
        raise RuntimeError(msg)

    monkeypatch.setattr(type(retriever.backend.keyword), "search", broken)
    with pytest.raises(RuntimeError, match="index is gone"):
        retriever.invoke("parser error")


@pytest.mark.usefixtures("parallel")
def test_a_vector_leg_error_reaches_the_caller(
    retriever: HybridRetriever, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any, **__: Any) -> Any:
        msg = "store is down"
        raise ConnectionError(msg)

    monkeypatch.setattr(retriever.backend.vector, "search", broken)
    with pytest.raises(ConnectionError, match="store is down"):
        retriever.invoke("parser error")


def test_a_small_index_runs_both_legs_in_the_calling_thread(
    retriever: HybridRetriever, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local, "_LEG_WORKERS", 2)
    threads: set[str] = set()
    search = type(retriever.backend.keyword).search

    def record(self: Any, *args: Any, **kwargs: Any) -> Any:
        threads.add(threading.current_thread().name)
        return search(self, *args, **kwargs)

    monkeypatch.setattr(type(retriever.backend.keyword), "search", record)
    retriever.invoke("parser error")
    assert threads == {threading.current_thread().name}
