"""`batch` / `abatch`: one pass for many queries, each result exactly what `invoke` gives."""

from __future__ import annotations

import random
from typing import Any, ClassVar
from uuid import UUID

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.vectorstores import InMemoryVectorStore

from langchain_hybrid import ConfigError, HybridRetriever, HybridVectorStore, NumpyVectorStore

rng = random.Random(7)  # noqa: S311 - test data
VOCAB = [f"w{i}" for i in range(60)] + ["parser", "error", "e1234", "cat"]
DOCS = [
    Document(" ".join(rng.choices(VOCAB, k=8)), id=f"d{i}", metadata={"n": i % 5})
    for i in range(300)
]
QUERIES = [" ".join(rng.choices(VOCAB, k=3)) for _ in range(25)] + ["zzz nothing", "the"]
OPTIONS: list[dict[str, Any]] = [
    {},
    {"alpha": 0.0},
    {"alpha": 1.0},
    {"alpha": 0.3, "fusion": "ranked", "k": 7},
    {"fetch_k": 5, "k": 5},
    {"filter": {"n": {"$gte": 3}}},
]


class CountingEmbedding(DeterministicFakeEmbedding):
    """Counts how the model is called."""

    calls: ClassVar[list[tuple[str, int]]] = []  # reset by each test

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls.append(("documents", len(texts)))
        return super().embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        self.calls.append(("query", 1))
        return super().embed_query(text)


@pytest.fixture(params=["tantivy", "exact"])
def retriever(request: pytest.FixtureRequest) -> HybridRetriever:
    return HybridRetriever.from_documents(
        DOCS, CountingEmbedding(size=16), keyword_engine=request.param, k=10
    )


@pytest.mark.parametrize("options", OPTIONS, ids=repr)
def test_batch_equals_invoke(retriever: HybridRetriever, options: dict[str, Any]) -> None:
    assert retriever.batch(QUERIES, **options) == [retriever.invoke(q, **options) for q in QUERIES]


@pytest.mark.parametrize("options", OPTIONS, ids=repr)
async def test_abatch_equals_invoke(retriever: HybridRetriever, options: dict[str, Any]) -> None:
    expected = [retriever.invoke(q, **options) for q in QUERIES]
    assert await retriever.abatch(QUERIES, **options) == expected


def test_batch_over_another_store_equals_invoke() -> None:
    store = HybridVectorStore(InMemoryVectorStore(DeterministicFakeEmbedding(size=16)))
    store.add_documents(DOCS)
    retriever = store.as_retriever(k=10)
    assert retriever.batch(QUERIES) == [retriever.invoke(q) for q in QUERIES]


def test_the_queries_are_embedded_in_one_call(retriever: HybridRetriever) -> None:
    CountingEmbedding.calls = []
    retriever.batch(QUERIES)
    assert CountingEmbedding.calls == [("documents", len(QUERIES))]
    CountingEmbedding.calls = []
    retriever.batch(QUERIES, alpha=0.0)  # no vector leg: no embedding at all
    assert CountingEmbedding.calls == []


def test_a_model_with_embed_queries_is_called_once() -> None:
    class Asymmetric(DeterministicFakeEmbedding):
        batches: ClassVar[list[list[str]]] = []

        def embed_queries(self, texts: list[str]) -> list[list[float]]:
            self.batches.append(texts)
            return [self.embed_query(text) for text in texts]

    retriever = HybridRetriever.from_documents(DOCS, Asymmetric(size=16))
    assert retriever.batch(QUERIES[:5]) == [retriever.invoke(q) for q in QUERIES[:5]]
    assert Asymmetric.batches == [QUERIES[:5]]


def test_a_bad_query_fails_alone_with_return_exceptions(retriever: HybridRetriever) -> None:
    inputs: list[Any] = ["parser", 42, "cat"]
    results = retriever.batch(inputs, return_exceptions=True)
    assert results[0] == retriever.invoke("parser")
    assert isinstance(results[1], ConfigError)
    assert results[2] == retriever.invoke("cat")
    with pytest.raises(ConfigError, match="query must be a string"):
        retriever.batch(inputs)
    with pytest.raises(ConfigError, match="alpha"):
        retriever.batch(["a", "b"], alpha=2)


class Recorder(BaseCallbackHandler):
    def __init__(self) -> None:
        self.started: list[str] = []
        self.ended: list[int] = []
        self.errors: list[str] = []

    # LangChain's signatures: the arguments not used here are part of them.
    def on_retriever_start(self, serialized: Any, query: str, **kwargs: Any) -> None:  # noqa: ARG002
        self.started.append(query)

    def on_retriever_end(self, documents: Any, *, run_id: UUID, **kwargs: Any) -> None:  # noqa: ARG002
        self.ended.append(len(documents))

    def on_retriever_error(self, error: BaseException, **kwargs: Any) -> None:  # noqa: ARG002
        self.errors.append(type(error).__name__)


async def test_each_query_is_its_own_callback_run(retriever: HybridRetriever) -> None:
    recorder = Recorder()
    retriever.batch(["parser", "cat", 42], {"callbacks": [recorder]}, return_exceptions=True)  # type: ignore[list-item]
    assert recorder.started == ["parser", "cat", 42]
    assert recorder.ended == [10, 10]
    assert recorder.errors == ["ConfigError"]
    recorder = Recorder()
    await retriever.abatch(["parser", "cat"], {"callbacks": [recorder]})
    assert (recorder.started, recorder.ended) == (["parser", "cat"], [10, 10])


def test_numpy_store_batch_search_equals_single_search() -> None:
    store = NumpyVectorStore(DeterministicFakeEmbedding(size=16))
    store.add_documents(DOCS)
    vectors = [store.embedding.embed_query(q) for q in QUERIES]
    many = store.similarity_search_with_score_by_vectors(vectors, k=20)
    assert many == [store.similarity_search_with_score_by_vector(v, k=20) for v in vectors]
