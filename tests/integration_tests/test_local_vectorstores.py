"""The local backend over real third-party vector stores: FAISS and Chroma (embedded).

What differs from store to store, and is checked on each: the score convention (FAISS
and Chroma return distances, lower is better; the retriever must report similarities,
higher is better), the filter argument each store takes, and deletion of unknown ids.
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import chromadb
import pytest
from chromadb.config import Settings
from langchain_chroma import Chroma
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.vectorstores import VectorStore

from langchain_hybrid import SCORE_KEYS, ConfigError, HybridRetriever, LocalBackend

with warnings.catch_warnings():
    # langchain-community announces its sunset on import; it is a test-only dependency.
    warnings.filterwarnings("ignore", "`langchain-community` is being sunset", DeprecationWarning)
    from langchain_community.vectorstores import FAISS

# FIXTURES =============================================================================

EMBEDDING = DeterministicFakeEmbedding(size=16)

TEXTS = [
    ("parser", "Fix for error E1234 in the parser", {"topic": "bugs", "year": 2024}),
    ("debug", "Parsing failures and how to debug the parser", {"topic": "bugs", "year": 2023}),
    ("e1234", "E1234 E1234 error code reference", {"topic": "bugs", "year": 2019}),
    ("cat", "The cat sat on the mat", {"topic": "pets", "year": 2021}),
    ("dog", "A dog and a cat play in the garden", {"topic": "pets", "year": 2018}),
    ("fish", "Goldfish need clean water and a filter", {"topic": "pets", "year": 2020}),
    ("snow", "Snow falls on the mountains in winter", {"topic": "weather", "year": 2017}),
    ("rain", "Rain and error bars in weather forecasts", {"topic": "weather", "year": 2022}),
    ("sun", "Sunny days follow the rain in spring", {"topic": "weather", "year": 2016}),
    ("tea", "Green tea, black tea and herbal tea", {"topic": "food", "year": 2015}),
    ("bread", "Bread needs flour, water, salt and time", {"topic": "food", "year": 2014}),
]
DOCS = [Document(text, metadata=meta) for _, text, meta in TEXTS]
IDS = [doc_id for doc_id, _, _ in TEXTS]
QUERIES = ["parser error", "cat", "rain water", "E1234", "winter snow mountains"]


def make_faiss(docs: list[Document], ids: list[str]) -> VectorStore:
    return FAISS.from_documents(docs, EMBEDDING, ids=ids)


def make_chroma(space: str | None) -> Callable[[list[Document], list[str]], VectorStore]:
    def factory(docs: list[Document], ids: list[str]) -> VectorStore:
        client = chromadb.EphemeralClient(settings=Settings(anonymized_telemetry=False))
        store = Chroma(
            collection_name=f"test_{uuid.uuid4().hex}",
            embedding_function=EMBEDDING,
            client=client,
            collection_configuration={"hnsw": {"space": space}} if space else None,  # type: ignore[typeddict-item]
        )
        store.add_documents(docs, ids=ids)
        return store

    return factory


STORES: dict[str, Callable[[list[Document], list[str]], VectorStore]] = {
    "faiss-l2": make_faiss,
    "chroma-l2": make_chroma(None),
    "chroma-cosine": make_chroma("cosine"),
}


@pytest.fixture(params=list(STORES))
def store_factory(
    request: pytest.FixtureRequest,
) -> Iterator[Callable[[list[Document], list[str]], VectorStore]]:
    created: list[VectorStore] = []

    def factory(docs: list[Document], ids: list[str]) -> VectorStore:
        store = STORES[request.param](docs, ids)
        created.append(store)
        return store

    try:
        yield factory
    finally:
        for store in created:
            if isinstance(store, Chroma):
                store.delete_collection()


@pytest.fixture
def retriever(store_factory: Callable[[list[Document], list[str]], VectorStore]) -> HybridRetriever:
    store = store_factory(DOCS, IDS)
    return HybridRetriever.from_vectorstore(store, DOCS, ids=IDS)


def local(retriever: HybridRetriever) -> LocalBackend:
    assert isinstance(retriever.backend, LocalBackend)
    return retriever.backend


def ids(documents: list[Document]) -> list[str | None]:
    return [doc.id for doc in documents]


# TESTS ================================================================================


def test_from_documents_explains_how_to_wrap_other_stores() -> None:
    with pytest.raises(ConfigError, match=r"HybridVectorStore\(store\)"):
        HybridRetriever.from_documents(DOCS, EMBEDDING, vectorstore_cls=FAISS)


@pytest.mark.parametrize("query", QUERIES)
def test_alpha_one_is_the_store_ranking(retriever: HybridRetriever, query: str) -> None:
    store = local(retriever).vectorstore
    expected = [doc.id for doc in store.similarity_search(query, k=len(DOCS))]
    found = retriever.invoke(query, alpha=1, k=len(DOCS))
    assert ids(found) == expected


def test_vector_scores_are_higher_is_better(retriever: HybridRetriever) -> None:
    store = local(retriever).vectorstore
    for doc_id, text, _ in TEXTS:
        # The same text embeds to the same vector: distance 0, the best possible score.
        found = retriever.invoke(text, alpha=1, k=len(DOCS))
        assert found[0].id == doc_id
        scores = [doc.metadata["vector_score"] for doc in found]
        assert scores == sorted(scores, reverse=True)
        assert scores[0] > scores[-1]
        distances = {d.id: s for d, s in store.similarity_search_with_score(text, k=3)}
        # The store itself reports a distance: lowest for the exact match.
        assert distances[doc_id] == min(distances.values())
        assert distances[doc_id] == pytest.approx(0.0, abs=1e-4)


def test_hybrid_contract(retriever: HybridRetriever) -> None:
    for query in QUERIES:
        found = retriever.invoke(query, k=5)
        assert len(found) == 5
        for doc in found:
            assert doc.id in IDS
            assert set(SCORE_KEYS) <= set(doc.metadata)
            parts = [doc.metadata["keyword_contribution"], doc.metadata["vector_contribution"]]
            assert doc.metadata["hybrid_score"] == pytest.approx(
                sum(p for p in parts if p is not None)
            )


@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0])
@pytest.mark.parametrize(
    ("spec", "allowed"),
    [
        ({"topic": "weather"}, {"snow", "rain", "sun"}),
        ({"year": {"$gte": 2021}}, {"parser", "debug", "cat", "rain"}),
        ({"topic": {"$in": ["food", "pets"]}}, {"cat", "dog", "fish", "tea", "bread"}),
        ({"$or": [{"topic": "food"}, {"year": 2024}]}, {"tea", "bread", "parser"}),
        ({"topic": "bugs", "year": {"$lt": 2020}}, {"e1234"}),
        ({"year": 2024.0}, {"parser"}),  # int and float are both numbers
        ({"year": {"$in": [2024.0, 2016]}}, {"parser", "sun"}),  # one list, mixed number types
        ({"topic": {"$ne": "bugs"}, "year": {"$gt": 2019.5}}, {"cat", "fish", "rain"}),
    ],
    ids=repr,
)
def test_filters_on_both_legs(
    retriever: HybridRetriever, alpha: float, spec: dict[str, Any], allowed: set[str]
) -> None:
    for query in QUERIES:
        found = retriever.invoke(query, alpha=alpha, filter=spec, k=len(DOCS))
        assert set(ids(found)) <= allowed
        if alpha > 0:  # the vector leg finds every allowed document
            assert set(ids(found)) == allowed


def test_filter_meets_k_with_a_selective_filter(
    store_factory: Callable[[list[Document], list[str]], VectorStore],
) -> None:
    docs = [Document("signal " * 6 + f"loud {i}", metadata={"kind": "loud"}) for i in range(40)]
    docs += [Document(f"signal quiet {i}", metadata={"kind": "quiet"}) for i in range(8)]
    doc_ids = [f"loud{i}" for i in range(40)] + [f"quiet{i}" for i in range(8)]
    store = store_factory(docs, doc_ids)
    retriever = HybridRetriever.from_vectorstore(store, docs, ids=doc_ids, k=5, fetch_k=5)
    for alpha in (0.0, 0.5, 1.0):
        found = retriever.invoke("signal", alpha=alpha, filter={"kind": "quiet"})
        assert len(found) == 5
        assert all(doc.metadata["kind"] == "quiet" for doc in found)


def test_add_and_delete_keep_both_legs_in_sync(retriever: HybridRetriever) -> None:
    backend = local(retriever)
    store = backend.vectorstore
    new = [Document("Zeppelin parser manual", metadata={"topic": "air", "year": 1937})]
    assert retriever.add_documents(new, ids=["zep"]) == ["zep"]
    assert ids(store.get_by_ids(["zep"])) == ["zep"]
    assert "zep" in backend.keyword
    assert ids(retriever.invoke("Zeppelin parser manual", alpha=1, k=1)) == ["zep"]
    assert ids(retriever.invoke("zeppelin", alpha=0)) == ["zep"]
    assert ids(retriever.invoke("zeppelin parser", filter={"topic": "air"})) == ["zep"]

    retriever.delete(["zep", "never-added"])  # unknown ids are ignored (FAISS would raise)
    assert store.get_by_ids(["zep"]) == []
    assert "zep" not in backend.keyword
    for alpha in (0.0, 0.5, 1.0):
        assert "zep" not in ids(retriever.invoke("Zeppelin parser manual", alpha=alpha, k=20))
    assert len(store.get_by_ids(IDS)) == len(IDS)


def test_re_adding_an_id_replaces_it(retriever: HybridRetriever) -> None:
    backend = local(retriever)
    retriever.add_documents([Document("Quokka photos", metadata={"topic": "pets"})], ids=["cat"])
    assert [d.page_content for d in backend.vectorstore.get_by_ids(["cat"])] == ["Quokka photos"]
    assert ids(retriever.invoke("Quokka photos", alpha=1, k=1)) == ["cat"]
    assert ids(retriever.invoke("quokka", alpha=0)) == ["cat"]
    assert "cat" not in ids(retriever.invoke("mat", alpha=0))
    assert len(retriever.invoke("anything at all", alpha=1, k=100)) == len(IDS)


def test_documents_without_metadata(retriever: HybridRetriever) -> None:
    backend = local(retriever)
    retriever.add_documents([Document("Zeppelin"), Document("Xylophone")], ids=["zep", "xyl"])
    assert ids(retriever.invoke("zeppelin", alpha=0)) == ["zep"]
    assert retriever.invoke("Zeppelin", alpha=1, k=1)[0].metadata["vector_rank"] == 1
    retriever.delete(["zep"])
    assert "zep" not in backend.keyword
    assert "zep" not in ids(retriever.invoke("Zeppelin", alpha=1, k=len(IDS) + 2))
    assert ids(retriever.invoke("xylophone", alpha=0)) == ["xyl"]


async def test_async_equals_sync(retriever: HybridRetriever) -> None:
    for query in QUERIES:
        for options in ({}, {"alpha": 1}, {"filter": {"topic": "bugs"}}):
            assert await retriever.ainvoke(query, **options) == retriever.invoke(query, **options)
    assert await retriever.abatch(QUERIES) == retriever.batch(QUERIES)
    await retriever.aadd_documents([Document("Zeppelin", metadata={"v": 1})], ids=["zep"])
    assert ids(await retriever.ainvoke("zeppelin", alpha=0)) == ["zep"]
    await retriever.adelete(["zep"])
    assert await retriever.ainvoke("zeppelin", alpha=0) == []
