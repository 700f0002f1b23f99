"""`HybridRetriever` on the local backend: legs, contract, options, writes, async, threads.

Both keyword engines run under every behavioural test. The vector leg is a real store
(the default `NumpyVectorStore`, and `InMemoryVectorStore` where the store matters) over
`DeterministicFakeEmbedding`: the embedding model does not matter here, only that the
vector ranking is fixed and known through the store itself.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.vectorstores import InMemoryVectorStore, VectorStore

from langchain_hybrid import (
    SCORE_KEYS,
    Analyzer,
    BackendError,
    ConfigError,
    HybridRetriever,
    LocalBackend,
    NumpyVectorStore,
    create_keyword_index,
    word_tokenize,
)

# FIXTURES =============================================================================

ENGINES = ["tantivy", "rank_bm25", "exact"]
STORES = [NumpyVectorStore, InMemoryVectorStore]
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
    ("lex", "A lexer splits text into tokens before the parser runs", {"topic": "bugs"}),
    ("tea", "Green tea, black tea and herbal tea", {"topic": "food", "year": 2015}),
    ("bread", "Bread needs flour, water, salt and time", {"topic": "food", "year": 2014}),
]
DOCS = [Document(text, metadata=meta) for _, text, meta in TEXTS]
IDS = [doc_id for doc_id, _, _ in TEXTS]
QUERIES = ["parser error", "cat", "rain water", "E1234", "the tea", "winter snow mountains"]


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=STORES, ids=lambda cls: cls.__name__)
def store_cls(request: pytest.FixtureRequest) -> type[VectorStore]:
    return request.param  # type: ignore[no-any-return]


def make_retriever(
    engine: str = "tantivy", store_cls: type[VectorStore] = NumpyVectorStore, **fields: Any
) -> HybridRetriever:
    return HybridRetriever.from_documents(
        DOCS, EMBEDDING, ids=IDS, keyword_engine=engine, vectorstore_cls=store_cls, **fields
    )


@pytest.fixture
def retriever(engine: str) -> HybridRetriever:
    return make_retriever(engine)


def local(retriever: HybridRetriever) -> LocalBackend:
    assert isinstance(retriever.backend, LocalBackend)
    return retriever.backend


def ids(documents: list[Document]) -> list[str | None]:
    return [doc.id for doc in documents]


# TESTS: alpha 0 and 1 are exactly one leg =============================================


@pytest.mark.parametrize("query", QUERIES)
def test_alpha_zero_is_the_keyword_ranking(retriever: HybridRetriever, query: str) -> None:
    keyword = local(retriever).keyword.search(query, k=10)
    assert keyword  # every query matches something, so the comparison is not vacuous
    found = retriever.invoke(query, alpha=0, k=10)
    assert ids(found) == [hit.id for hit in keyword]
    for doc, hit in zip(found, keyword, strict=True):
        assert doc.metadata["keyword_score"] == hit.score
        assert doc.metadata["vector_score"] is None
        assert doc.metadata["vector_rank"] is None


@pytest.mark.parametrize("query", QUERIES)
def test_alpha_one_is_the_vector_ranking(
    engine: str, store_cls: type[VectorStore], query: str
) -> None:
    retriever = make_retriever(engine, store_cls)
    store = local(retriever).vectorstore
    assert type(store) is store_cls
    expected = store.similarity_search_with_score(query, k=10)
    found = retriever.invoke(query, alpha=1, k=10)
    assert ids(found) == [doc.id for doc, _ in expected]
    for doc, (_, score) in zip(found, expected, strict=True):
        assert doc.metadata["vector_score"] == pytest.approx(score)
        assert doc.metadata["keyword_score"] is None


def test_alpha_zero_does_not_run_the_vector_leg() -> None:
    class NoQueries(DeterministicFakeEmbedding):
        def embed_query(self, text: str) -> list[float]:
            msg = f"the vector leg ran for {text!r}"
            raise AssertionError(msg)

    retriever = HybridRetriever.from_documents(DOCS, NoQueries(size=8), ids=IDS)
    assert retriever.invoke("parser", alpha=0)
    with pytest.raises(AssertionError, match="the vector leg ran"):
        retriever.invoke("parser", alpha=0.5)


def test_alpha_one_does_not_run_the_keyword_leg(engine: str) -> None:
    def tokenizer(text: str) -> list[str]:
        if "FORBIDDEN" in text:
            msg = "the keyword leg ran"
            raise AssertionError(msg)
        return word_tokenize(text)

    retriever = HybridRetriever.from_documents(
        DOCS, EMBEDDING, ids=IDS, keyword_engine=engine, analyzer=Analyzer(tokenizer=tokenizer)
    )
    assert len(retriever.invoke("FORBIDDEN parser", alpha=1)) == 4
    with pytest.raises(AssertionError, match="the keyword leg ran"):
        retriever.invoke("FORBIDDEN parser", alpha=0.5)


# TESTS: the result contract ===========================================================


@pytest.mark.parametrize("alpha", [0.0, 0.3, 0.5, 1.0])
@pytest.mark.parametrize("fusion", ["relative_score", "ranked"])
def test_metadata_contract(retriever: HybridRetriever, alpha: float, fusion: str) -> None:
    for query in QUERIES:
        found = retriever.invoke(query, alpha=alpha, fusion=fusion, k=6)
        assert found
        scores = [doc.metadata["hybrid_score"] for doc in found]
        assert all(a >= b - 1e-7 for a, b in itertools.pairwise(scores))
        for doc in found:
            meta = doc.metadata
            assert doc.id in IDS
            assert set(SCORE_KEYS) <= set(meta)
            assert (meta["alpha"], meta["fusion"]) == (alpha, fusion)
            # The document's own metadata is kept.
            assert meta["topic"] == dict(zip(IDS, DOCS, strict=True))[doc.id].metadata["topic"]
            parts = [meta["keyword_contribution"], meta["vector_contribution"]]
            assert meta["hybrid_score"] == pytest.approx(sum(p for p in parts if p is not None))
            for leg in ("keyword", "vector"):
                found_by_leg = meta[f"{leg}_score"] is not None
                assert (meta[f"{leg}_rank"] is not None) is found_by_leg
                assert (meta[f"{leg}_contribution"] is not None) is found_by_leg
                if found_by_leg:
                    assert isinstance(meta[f"{leg}_rank"], int)
                    assert meta[f"{leg}_rank"] >= 1
            if alpha == 0:
                assert meta["vector_score"] is None
            if alpha == 1:
                assert meta["keyword_score"] is None


def test_hybrid_score_is_the_formula_over_both_legs(retriever: HybridRetriever) -> None:
    alpha, query = 0.4, "parser error water"
    backend = local(retriever)
    keyword = {h.id: h.score for h in backend.keyword.search(query, k=100)}
    vector = {
        str(doc.id): score
        for doc, score in backend.vectorstore.similarity_search_with_score(query, k=100)
    }

    def norm(scores: dict[str, float], doc_id: str) -> float:
        low, high = min(scores.values()), max(scores.values())
        return (scores[doc_id] - low) / (high - low) if doc_id in scores else 0.0

    found = retriever.invoke(query, alpha=alpha, k=len(DOCS))
    assert len(found) == len(DOCS)  # the vector leg finds every document
    for doc in found:
        expected = (1 - alpha) * norm(keyword, str(doc.id)) + alpha * norm(vector, str(doc.id))
        assert doc.metadata["hybrid_score"] == pytest.approx(expected)

    ranked = retriever.invoke(query, alpha=alpha, k=len(DOCS), fusion="ranked")
    keyword_order, vector_order = list(keyword), list(vector)
    for doc in ranked:
        expected = alpha / (vector_order.index(doc.id) + 60)
        if doc.id in keyword:
            expected += (1 - alpha) / (keyword_order.index(doc.id) + 60)
        assert doc.metadata["hybrid_score"] == pytest.approx(expected)


def test_source_documents_are_not_mutated(retriever: HybridRetriever) -> None:
    retriever.invoke("parser error")
    stored = local(retriever).vectorstore.get_by_ids(IDS)
    assert all("hybrid_score" not in doc.metadata for doc in stored)
    assert all("hybrid_score" not in doc.metadata for doc in local(retriever).keyword.get(IDS))
    assert all("hybrid_score" not in doc.metadata for doc in DOCS)


# TESTS: options =======================================================================


def test_defaults() -> None:
    retriever = make_retriever()
    assert (retriever.alpha, retriever.k, retriever.fusion) == (0.5, 4, "relative_score")
    assert retriever._build_query("q", {}).fetch_k == 100  # Weaviate's max(100, k)
    assert retriever._build_query("q", {"k": 150}).fetch_k == 150
    assert retriever._build_query("q", {"fetch_k": 7}).fetch_k == 7
    assert len(retriever.invoke("parser")) == 4


def test_per_call_overrides(retriever: HybridRetriever) -> None:
    assert len(retriever.invoke("parser", k=2)) == 2
    assert len(retriever.invoke("parser", k=100)) == len(DOCS)
    assert {d.metadata["alpha"] for d in retriever.invoke("parser", alpha=0.2)} == {0.2}
    ranked = retriever.invoke("parser", fusion="ranked", rank_constant=10, alpha=0)
    assert ranked[0].metadata["fusion"] == "ranked"
    assert ranked[0].metadata["hybrid_score"] == pytest.approx(1 / (0 + 10))
    filtered = retriever.invoke("parser error", filter={"topic": "weather"}, k=10)
    assert filtered
    assert {d.metadata["topic"] for d in filtered} == {"weather"}
    # The fields themselves are unchanged by per-call options.
    assert (retriever.k, retriever.alpha, retriever.filter) == (4, 0.5, None)


def test_fetch_k_limits_each_leg(retriever: HybridRetriever) -> None:
    found = retriever.invoke("parser error water", k=1, fetch_k=1)
    assert len(found) == 1
    meta = found[0].metadata
    assert meta["keyword_rank"] in {1, None}
    assert meta["vector_rank"] in {1, None}
    deep = retriever.invoke("parser error water", k=3, fetch_k=3, alpha=1)
    assert [d.metadata["vector_rank"] for d in deep] == [1, 2, 3]
    # min-max over a 3-deep leg: the third document normalises to 0.
    assert deep[-1].metadata["hybrid_score"] == 0.0


def test_search_kwargs_are_defaults_under_per_call_options(engine: str) -> None:
    retriever = make_retriever(engine, search_kwargs={"k": 2, "alpha": 0.0})
    found = retriever.invoke("parser error")
    assert len(found) == 2
    assert {d.metadata["alpha"] for d in found} == {0.0}
    assert len(retriever.invoke("parser error", k=3)) == 3
    # search_kwargs override the fields, per-call options override search_kwargs.
    assert retriever.invoke("parser", alpha=1)[0].metadata["alpha"] == 1.0
    filtered = make_retriever(engine, search_kwargs={"filter": {"topic": "pets"}})
    assert {d.metadata["topic"] for d in filtered.invoke("cat water")} == {"pets"}


def test_constructor_fields(engine: str) -> None:
    retriever = make_retriever(engine, k=2, alpha=0.0, fusion="ranked", filter={"year": 2023})
    found = retriever.invoke("parser")
    assert ids(found) == ["debug"]
    assert found[0].metadata["fusion"] == "ranked"


# TESTS: invalid arguments =============================================================

INVALID = [
    ({"alpha": -0.1}, "alpha"),
    ({"alpha": 1.1}, "alpha"),
    ({"alpha": math.nan}, "alpha"),
    ({"alpha": "x"}, "alpha"),
    ({"alpha": True}, "alpha"),
    ({"k": 0}, "k must be a positive integer"),
    ({"k": -1}, "k must be a positive integer"),
    ({"k": 1.5}, "k"),
    ({"k": True}, "k must be a positive integer"),
    ({"fetch_k": 0}, "fetch_k must be a positive integer"),
    ({"fetch_k": True}, "fetch_k must be a positive integer"),
    ({"fusion": "foo"}, r"fusion[\s\S]*'relative_score'[\s\S]*'ranked'"),
    ({"rank_constant": 0}, "rank_constant must be a positive integer"),
    ({"filter": {"year": {"$like": 2}}}, r"unknown operator '\$like'"),
    ({"filter": {}}, "filter must be a non-empty dict"),
    ({"filter": "year > 2020"}, "filter"),
]


@pytest.mark.parametrize(("kwargs", "message"), INVALID, ids=repr)
def test_invalid_per_call_options(
    retriever: HybridRetriever, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        retriever.invoke("parser", **kwargs)


@pytest.mark.parametrize(("kwargs", "message"), INVALID, ids=repr)
def test_invalid_constructor_fields(kwargs: dict[str, Any], message: str) -> None:
    # Pydantic reports type errors in its own words; the message must still name the field.
    (field,) = kwargs
    backend = local(make_retriever())
    with pytest.raises(ValueError, match=rf"(?m)^{field}\b|{message}"):
        HybridRetriever(backend=backend, **kwargs)


@pytest.mark.parametrize(("kwargs", "message"), INVALID, ids=repr)
def test_invalid_search_kwargs(kwargs: dict[str, Any], message: str) -> None:
    backend = local(make_retriever())
    with pytest.raises(ValueError, match=message):
        HybridRetriever(backend=backend, search_kwargs=kwargs)


def test_unknown_per_call_option(retriever: HybridRetriever) -> None:
    with pytest.raises(ConfigError, match=r"unknown search option\(s\) \['alhpa'\]; allowed: "):
        retriever.invoke("parser", alhpa=0.3)


def test_unknown_constructor_argument() -> None:
    # A typo must not be silently ignored: alpha would stay 0.5.
    backend = local(make_retriever())
    with pytest.raises(ValueError, match="alhpa"):
        HybridRetriever(backend=backend, alhpa=0.0)


def test_query_must_be_a_string(retriever: HybridRetriever) -> None:
    with pytest.raises(ConfigError, match="query must be a string, got int"):
        retriever.invoke(42)  # type: ignore[arg-type]


# TESTS: filters =======================================================================


def filter_corpus() -> tuple[list[Document], list[str]]:
    """40 documents: the 30 "loud" ones outrank the 10 "quiet" ones for "signal"."""
    docs = [Document("signal " * 6 + f"loud {i}", metadata={"kind": "loud"}) for i in range(30)]
    docs += [
        Document(f"signal quiet {i} " + "padding " * 20, metadata={"kind": "quiet", "n": i})
        for i in range(10)
    ]
    return docs, [f"loud{i}" for i in range(30)] + [f"quiet{i}" for i in range(10)]


@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0])
def test_filter_applies_to_both_legs_and_k_is_met(
    engine: str, store_cls: type[VectorStore], alpha: float
) -> None:
    docs, doc_ids = filter_corpus()
    retriever = HybridRetriever.from_documents(
        docs,
        EMBEDDING,
        ids=doc_ids,
        keyword_engine=engine,
        vectorstore_cls=store_cls,
        k=6,
        fetch_k=6,
    )
    unfiltered = retriever.invoke("signal", alpha=0)
    assert all(d.metadata["kind"] == "loud" for d in unfiltered)  # the filter has work to do
    found = retriever.invoke("signal", alpha=alpha, filter={"kind": "quiet"})
    assert len(found) == 6
    assert all(d.metadata["kind"] == "quiet" for d in found)
    if alpha < 1:
        assert all(d.metadata["keyword_rank"] is not None for d in found)


def test_filter_with_fewer_matches_than_k_returns_only_matches(engine: str) -> None:
    docs, doc_ids = filter_corpus()
    retriever = HybridRetriever.from_documents(docs, EMBEDDING, ids=doc_ids, keyword_engine=engine)
    found = retriever.invoke("signal", k=20, filter={"n": {"$gte": 7}})
    assert sorted(ids(found)) == ["quiet7", "quiet8", "quiet9"]
    assert retriever.invoke("signal", filter={"kind": "nobody"}) == []


def test_filtered_out_documents_never_appear(retriever: HybridRetriever) -> None:
    spec = {"$or": [{"topic": "pets"}, {"year": {"$lt": 2017}}]}
    for query in QUERIES:
        for alpha in (0.0, 0.5, 1.0):
            for doc in retriever.invoke(query, alpha=alpha, filter=spec, k=20):
                meta = doc.metadata
                assert meta["topic"] == "pets" or meta.get("year", 9999) < 2017


def test_callable_filter(engine: str, store_cls: type[VectorStore]) -> None:
    retriever = make_retriever(engine, store_cls)

    def recent(document: Document) -> bool:
        return document.metadata.get("year", 0) >= 2022

    for alpha in (0.0, 0.5, 1.0):
        found = retriever.invoke("parser error rain", alpha=alpha, filter=recent, k=20)
        assert sorted(ids(found)) == ["debug", "parser", "rain"]


# TESTS: writes keep both legs in sync =================================================


def test_add_and_delete_keep_both_legs_in_sync(engine: str, store_cls: type[VectorStore]) -> None:
    retriever = make_retriever(engine, store_cls)
    backend = local(retriever)
    new = [Document("Zeppelin parser manual", metadata={"topic": "air"}), Document("Xylophone")]
    assert retriever.add_documents(new, ids=["zep", "xyl"]) == ["zep", "xyl"]
    assert ids(backend.vectorstore.get_by_ids(["zep", "xyl"])) == ["zep", "xyl"]
    assert ids(backend.keyword.get(["zep", "xyl"])) == ["zep", "xyl"]
    assert retriever.invoke("zeppelin", alpha=0)[0].id == "zep"
    assert "zep" in ids(retriever.invoke("Zeppelin parser manual", alpha=1, k=1))

    retriever.delete(["zep", "not-there"])
    assert backend.vectorstore.get_by_ids(["zep"]) == []
    assert "zep" not in backend.keyword
    assert backend.keyword.get(["zep"]) == []
    for alpha in (0.0, 0.5, 1.0):
        assert "zep" not in ids(retriever.invoke("Zeppelin parser manual", alpha=alpha, k=20))
    assert len(backend.keyword) == len(DOCS) + 1


def test_re_adding_an_id_replaces_it_in_both_legs(
    engine: str, store_cls: type[VectorStore]
) -> None:
    retriever = make_retriever(engine, store_cls)
    backend = local(retriever)
    retriever.add_documents([Document("Quokka photos", metadata={"v": 2})], ids=["cat"])
    assert backend.vectorstore.get_by_ids(["cat"])[0].page_content == "Quokka photos"
    assert backend.keyword.get(["cat"])[0].metadata == {"v": 2}
    assert ids(retriever.invoke("quokka", alpha=0)) == ["cat"]
    assert "cat" not in ids(retriever.invoke("mat", alpha=0))
    assert len(backend.keyword) == len(DOCS)


def test_ids_default_to_document_id_then_uuid(retriever: HybridRetriever) -> None:
    backend = local(retriever)
    assigned = retriever.add_documents([Document("has id", id="mine"), Document("no id")])
    assert assigned[0] == "mine"
    assert len(assigned[1]) == 36  # a UUID4
    assert ids(backend.vectorstore.get_by_ids(assigned)) == assigned
    assert ids(backend.keyword.get(assigned)) == assigned


@pytest.mark.parametrize(
    ("documents", "doc_ids", "message"),
    [
        ([Document("a"), Document("b")], ["only-one"], "one id per document"),
        ([Document("a")], "a", "one id per document"),
        ([Document("a")], [""], "non-empty strings"),
        ([Document("a")], [7], "non-empty strings"),
    ],
)
def test_add_documents_bad_ids(
    retriever: HybridRetriever, documents: list[Document], doc_ids: Any, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        retriever.add_documents(documents, ids=doc_ids)
    assert len(local(retriever).keyword) == len(DOCS)


def test_delete_needs_a_list(retriever: HybridRetriever) -> None:
    with pytest.raises(ConfigError, match=r"not a single string: use \['cat'\]"):
        retriever.delete("cat")  # type: ignore[arg-type]
    assert "cat" in local(retriever).keyword


def test_failed_vector_write_restores_the_keyword_index(engine: str) -> None:
    class RefusesPoison(DeterministicFakeEmbedding):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            if any("POISON" in text for text in texts):
                msg = "embedding service down"
                raise RuntimeError(msg)
            return super().embed_documents(texts)

    retriever = HybridRetriever.from_documents(
        DOCS, RefusesPoison(size=8), ids=IDS, keyword_engine=engine
    )
    backend = local(retriever)
    with pytest.raises(BackendError, match="embedding service down"):
        retriever.add_documents([Document("POISON parser"), Document("new")], ids=["cat", "n"])
    assert backend.keyword.get(["cat"])[0].page_content == "The cat sat on the mat"
    assert "n" not in backend.keyword
    assert ids(retriever.invoke("mat", alpha=0)) == ["cat"]
    assert retriever.invoke("poison", alpha=0) == []


async def test_async_writes(retriever: HybridRetriever) -> None:
    backend = local(retriever)
    assert await retriever.aadd_documents([Document("Zeppelin")], ids=["zep"]) == ["zep"]
    assert ids(backend.vectorstore.get_by_ids(["zep"])) == ["zep"]
    assert "zep" in backend.keyword
    assert ids(await retriever.ainvoke("zeppelin", alpha=0)) == ["zep"]
    await retriever.adelete(["zep"])
    assert backend.vectorstore.get_by_ids(["zep"]) == []
    assert "zep" not in backend.keyword
    assert await retriever.ainvoke("zeppelin", alpha=0) == []


# TESTS: constructors ==================================================================


def test_from_documents_options() -> None:
    retriever = HybridRetriever.from_documents(
        DOCS,
        EMBEDDING,
        ids=IDS,
        keyword_engine="rank_bm25",
        keyword_params={"variant": "bm25plus"},
        analyzer=Analyzer.english(),
        alpha=0.0,
        k=2,
    )
    keyword = local(retriever).keyword
    assert keyword.variant == "bm25plus"  # type: ignore[attr-defined]
    # Snowball stems both "failure" and "failures" to "failur": the singular now matches.
    assert ids(retriever.invoke("failures")) == ["debug"]
    assert ids(retriever.invoke("failure")) == ["debug"]
    # English stemming is also the default; Weaviate's analysis does not stem.
    assert ids(make_retriever("rank_bm25", alpha=0.0).invoke("failure")) == ["debug"]
    weaviate_like = make_retriever("rank_bm25", analyzer=Analyzer.weaviate(), alpha=0.0)
    assert weaviate_like.invoke("failure") == []


def test_from_documents_bad_engine() -> None:
    with pytest.raises(ConfigError, match="keyword engine must be one of"):
        HybridRetriever.from_documents(DOCS, EMBEDDING, keyword_engine="lucene")


def store_with_docs() -> InMemoryVectorStore:
    store = InMemoryVectorStore(EMBEDDING)
    store.add_documents(DOCS, ids=IDS)
    return store


def test_from_vectorstore_with_documents(engine: str) -> None:
    store = store_with_docs()
    documents = store.get_by_ids(IDS)
    retriever = HybridRetriever.from_vectorstore(store, documents, keyword_engine=engine)
    reference = make_retriever(engine, InMemoryVectorStore)
    for query in QUERIES:
        assert retriever.invoke(query) == reference.invoke(query)
    # The store is used as it is: no document was added twice.
    assert len(store.store) == len(DOCS)


def test_from_vectorstore_with_explicit_ids() -> None:
    store = store_with_docs()
    retriever = HybridRetriever.from_vectorstore(store, DOCS, ids=IDS, alpha=0)
    assert ids(retriever.invoke("E1234")) == ["e1234", "parser"]


def test_from_vectorstore_with_a_saved_index(engine: str, tmp_path: Path) -> None:
    original = make_retriever(engine)
    original.save_keyword_index(tmp_path / "kw")
    reopened = HybridRetriever.from_vectorstore(
        local(original).vectorstore, keyword_index=tmp_path / "kw"
    )
    reopened_str = HybridRetriever.from_vectorstore(
        local(original).vectorstore, keyword_index=str(tmp_path / "kw")
    )
    for query in QUERIES:
        expected = original.invoke(query, k=8)
        assert reopened.invoke(query, k=8) == expected
        assert reopened_str.invoke(query, k=8) == expected


def test_from_vectorstore_with_an_index_object(engine: str) -> None:
    index = create_keyword_index(engine)
    index.add(DOCS, IDS)
    retriever = HybridRetriever.from_vectorstore(store_with_docs(), keyword_index=index)
    assert local(retriever).keyword is index
    assert ids(retriever.invoke("E1234", alpha=0)) == ["e1234", "parser"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"documents": DOCS, "keyword_index": "somewhere"}, "not both"),
        ({"on_drift": "fix"}, "on_drift must be one of"),
        ({"documents": DOCS}, "have no id"),
        ({"documents": DOCS, "ids": IDS[:3]}, "one id per document"),
    ],
)
def test_from_vectorstore_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        HybridRetriever.from_vectorstore(store_with_docs(), **kwargs)


# TESTS: async and batch ===============================================================


async def test_ainvoke_equals_invoke(retriever: HybridRetriever) -> None:
    for query in QUERIES:
        for options in ({}, {"alpha": 0}, {"alpha": 1}, {"fusion": "ranked", "k": 7}):
            assert await retriever.ainvoke(query, **options) == retriever.invoke(query, **options)
    spec = {"topic": "bugs"}
    assert await retriever.ainvoke("parser", filter=spec) == retriever.invoke("parser", filter=spec)


async def test_abatch_equals_batch(retriever: HybridRetriever) -> None:
    sync = retriever.batch(QUERIES)
    assert await retriever.abatch(QUERIES) == sync
    assert [ids(found) for found in sync] == [ids(retriever.invoke(q)) for q in QUERIES]


async def test_ainvoke_invalid_option(retriever: HybridRetriever) -> None:
    with pytest.raises(ConfigError, match="alpha"):
        await retriever.ainvoke("parser", alpha=2)


def big_rank_bm25_retriever() -> tuple[HybridRetriever, str]:
    """10,000 documents on the rank_bm25 engine, whose search is a Python loop."""
    rng = random.Random(0)  # noqa: S311 - test data, not cryptography
    vocab = [f"w{i}" for i in range(3000)]
    docs = [Document(" ".join(rng.choices(vocab, k=12)), id=str(i)) for i in range(10_000)]
    store = InMemoryVectorStore(EMBEDDING)
    store.add_documents(docs)
    retriever = HybridRetriever.from_vectorstore(store, keyword_engine="rank_bm25", alpha=0.0)
    return retriever, " ".join(vocab[:60])


async def test_ainvoke_does_not_block_the_event_loop() -> None:
    retriever, query = big_rank_bm25_retriever()
    retriever.invoke(query)  # build the BM25 model once, outside the measurement

    async def count_ticks(work: Any) -> tuple[int, float]:
        ticks = 0
        done = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0.001)

        async def run() -> None:
            await asyncio.sleep(0)  # let the ticker start
            await work()
            done.set()

        start = time.perf_counter()
        await asyncio.gather(ticker(), run())
        return ticks, time.perf_counter() - start

    async def blocking() -> None:
        retriever.invoke(query)

    async def non_blocking() -> None:
        await retriever.ainvoke(query)

    blocked_ticks, blocked_seconds = await count_ticks(blocking)
    free_ticks, free_seconds = await count_ticks(non_blocking)
    # The control shows the measurement works: a blocking call starves the ticker.
    assert blocked_seconds > 0.02
    assert blocked_ticks <= 2
    assert free_seconds > 0.02
    assert free_ticks >= 5, f"{free_ticks} ticks in {free_seconds:.3f}s"


async def test_ainvoke_runs_concurrently(retriever: HybridRetriever) -> None:
    results = await asyncio.gather(*(retriever.ainvoke(q) for q in QUERIES))
    assert results == [retriever.invoke(q) for q in QUERIES]


# TESTS: threads =======================================================================


def test_concurrent_readers_and_a_writer(engine: str, store_cls: type[VectorStore]) -> None:
    retriever = make_retriever(engine, store_cls, k=30)
    deleted: set[str] = set()
    deleted_lock = threading.Lock()
    stop = threading.Event()
    reads = [0]

    def reader() -> None:
        while not stop.is_set():
            with deleted_lock:
                gone = set(deleted)
            for alpha in (0.0, 0.5):
                found = retriever.invoke("parser error new", alpha=alpha)
                leaked = gone & set(ids(found))  # type: ignore[arg-type]
                assert not leaked, f"deleted documents returned: {leaked}"
            reads[0] += 1

    def writer() -> None:
        try:
            for i in range(12):
                retriever.add_documents([Document(f"parser error new {i}")], ids=[f"new{i}"])
                if i % 2:
                    retriever.delete([f"new{i - 1}"])
                    with deleted_lock:
                        deleted.add(f"new{i - 1}")
                time.sleep(0.01)  # let the readers interleave with every write
        finally:
            stop.set()

    with ThreadPoolExecutor(max_workers=4) as pool:
        readers = [pool.submit(reader) for _ in range(3)]
        pool.submit(writer).result()
        for future in readers:
            future.result()  # re-raises any reader's exception

    assert reads[0] >= 12
    backend = local(retriever)
    kept = [f"new{i}" for i in range(1, 12, 2)]
    assert ids(backend.vectorstore.get_by_ids(kept)) == kept
    assert ids(backend.keyword.get(kept)) == kept
    assert backend.vectorstore.get_by_ids(sorted(deleted)) == []
    assert backend.keyword.get(sorted(deleted)) == []
    assert set(ids(retriever.invoke("parser error new", alpha=0))) >= set(kept)
