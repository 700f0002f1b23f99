"""WeaviateBackend searches against a real Weaviate: parity with direct client calls.

For a fixed query, alpha and fusion the retriever must return exactly the objects, in
the order, of `collection.query.hybrid` called directly with the same arguments; alpha
0 / 1 must equal pure BM25 / pure vector search; the explain text must be parsed on the
pinned server; and the options must reach the server.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import weaviate
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_tests.integration_tests import RetrieversIntegrationTests
from weaviate.classes.query import BM25Operator, Filter, HybridFusion, MetadataQuery

from langchain_hybrid import ConfigError, HybridRetriever
from langchain_hybrid.backends.weaviate import WeaviateBackend, check_server_version, object_uuid
from langchain_hybrid.filters import matches, parse_filter
from langchain_hybrid.results import SCORE_KEYS

EMBEDDING = DeterministicFakeEmbedding(size=16)

CORPUS = [
    ("e1234", "Fix for error E1234 in the parser module", {"year": 2024, "source": "a.txt"}),
    ("cat", "The cat sat on the mat near the parser", {"year": 2021, "source": "b.txt"}),
    ("debug", "Parsing failures and how to debug a parser", {"year": 2023, "lang": "en"}),
    ("dog", "A dog barks at the cat", {"year": 2020, "source": "A.TXT", "draft": True}),
    ("errors", "Error codes: E1234, E42 and other errors", {"year": 2022, "draft": False}),
    ("food", "Cat food and dog food reviews", {"source": "b/a.txt", "score": 2.5}),
    ("tags", "Tags and labels for the parser error", {"year": 2019, "tags": ["x", "y"]}),
    ("quiet", "Nothing to see here at all", {"score": 7.25, "lang": "de"}),
    ("parser2", "Parser parser parser error", {"year": 2024, "source": "c.txt", "score": 1.0}),
    ("weather", "Sunny weather with a chance of rain", {"year": 2018}),
]
QUERIES = ["parser error", "cat", "E1234 debug"]


@pytest.fixture(scope="module")
def _corpus_collection(weaviate_server: Any) -> Iterator[str]:
    """One collection with `CORPUS` for the whole module: these tests only read it."""
    name = f"Test_backend_{uuid.uuid4().hex}"
    with weaviate_server.connect() as client:
        backend = WeaviateBackend(client, name, EMBEDDING)
        backend.add_documents(
            [Document(text, metadata=meta) for _, text, meta in CORPUS],
            ids=[i for i, _, _ in CORPUS],
        )
    try:
        yield name
    finally:
        weaviate_server.ensure_running()
        with weaviate_server.connect() as client:
            client.collections.delete(name)


@pytest.fixture
def backend(weaviate_client: weaviate.WeaviateClient, _corpus_collection: str) -> WeaviateBackend:
    return WeaviateBackend(weaviate_client, _corpus_collection, EMBEDDING, create=False)


def _collection(backend: WeaviateBackend) -> Any:
    assert backend.client is not None
    return backend.client.collections.use(backend.collection_name)


def _direct_ids(objects: Any) -> list[str]:
    return [str(o.uuid) for o in objects]


def _ids_as_uuids(documents: list[Document]) -> list[str]:
    return [object_uuid(d.id or "") for d in documents]


# ---------------------------------------------------------------------------- parity


@pytest.mark.parametrize("fusion", ["relative_score", "ranked"])
@pytest.mark.parametrize("alpha", [0.0, 0.25, 0.5, 0.75, 1.0])
@pytest.mark.parametrize("query", QUERIES)
def test_same_ids_and_order_as_a_direct_hybrid_call(
    backend: WeaviateBackend, query: str, alpha: float, fusion: str
) -> None:
    retriever = HybridRetriever(backend=backend, alpha=alpha, fusion=fusion, k=6)
    found = retriever.invoke(query)
    direct = _collection(backend).query.hybrid(
        query=query,
        vector=EMBEDDING.embed_query(query),
        alpha=alpha,
        fusion_type=HybridFusion.RANKED if fusion == "ranked" else HybridFusion.RELATIVE_SCORE,
        limit=6,
        query_properties=["text"],
        return_metadata=MetadataQuery(score=True),
    )
    assert _ids_as_uuids(found) == _direct_ids(direct.objects)
    assert [d.metadata["hybrid_score"] for d in found] == pytest.approx(
        [o.metadata.score for o in direct.objects]
    )
    for document in found:
        assert set(SCORE_KEYS) <= set(document.metadata)
        assert document.metadata["alpha"] == alpha
        assert document.metadata["fusion"] == fusion


def test_alpha_0_is_pure_bm25(backend: WeaviateBackend) -> None:
    for query in QUERIES:
        found = HybridRetriever(backend=backend, alpha=0.0, k=10).invoke(query)
        bm25 = _collection(backend).query.bm25(
            query=query,
            query_properties=["text"],
            limit=10,
            return_metadata=MetadataQuery(score=True),
        )
        assert _ids_as_uuids(found) == _direct_ids(bm25.objects)
        assert [d.metadata["keyword_score"] for d in found] == pytest.approx(
            [o.metadata.score for o in bm25.objects], rel=1e-6
        )
        assert all(d.metadata["vector_score"] is None for d in found)


def test_alpha_1_is_pure_vector_search(backend: WeaviateBackend) -> None:
    for query in QUERIES:
        found = HybridRetriever(backend=backend, alpha=1.0, k=10).invoke(query)
        near = _collection(backend).query.near_vector(
            near_vector=EMBEDDING.embed_query(query),
            limit=10,
            return_metadata=MetadataQuery(distance=True),
        )
        assert _ids_as_uuids(found) == _direct_ids(near.objects)
        # The vector leg's raw score is the similarity 1 - distance.
        assert [d.metadata["vector_score"] for d in found] == pytest.approx(
            [1 - o.metadata.distance for o in near.objects], abs=1e-6
        )
        assert all(d.metadata["keyword_score"] is None for d in found)


def test_explain_score_is_parsed(backend: WeaviateBackend) -> None:
    relative = HybridRetriever(backend=backend, alpha=0.5, k=10).invoke("parser error")
    both = [d for d in relative if d.metadata["keyword_contribution"] is not None]
    assert both, "some documents must be found by the keyword leg"
    for doc in relative:
        meta = doc.metadata
        assert meta["vector_score"] is not None  # every document is in the vector leg
        assert meta["vector_rank"] is None  # not reported under relative-score fusion
        parts = [meta["keyword_contribution"] or 0.0, meta["vector_contribution"]]
        assert sum(parts) == pytest.approx(meta["hybrid_score"], abs=1e-6)
    top = max(both, key=lambda d: d.metadata["keyword_score"])
    assert top.metadata["keyword_contribution"] == pytest.approx(0.5)  # the leg's max -> 1

    ranked = HybridRetriever(backend=backend, alpha=0.5, k=10, fusion="ranked").invoke(
        "parser error"
    )
    vector_ranks = sorted(d.metadata["vector_rank"] for d in ranked)
    assert vector_ranks == list(range(1, 11))  # every document, ranks 1..10
    keyword_ranks = sorted(
        d.metadata["keyword_rank"] for d in ranked if d.metadata["keyword_rank"] is not None
    )
    assert keyword_ranks == list(range(1, len(keyword_ranks) + 1))
    for doc in ranked:
        assert doc.metadata["keyword_score"] is None
        assert doc.metadata["vector_score"] is None  # raw scores: not in the ranked text
        assert doc.metadata["vector_contribution"] == pytest.approx(
            0.5 / (doc.metadata["vector_rank"] - 1 + 60), rel=1e-6
        )


def test_documents_carry_id_text_and_metadata(backend: WeaviateBackend) -> None:
    found = HybridRetriever(backend=backend, k=10).invoke("dog")
    by_id = {d.id: d for d in found}
    assert by_id["dog"].page_content == "A dog barks at the cat"
    meta = by_id["dog"].metadata
    assert (meta["year"], meta["source"], meta["draft"]) == (2020, "A.TXT", True)
    assert isinstance(meta["year"], int)  # typed INT property, not auto-schema's float
    assert "text" not in meta
    assert "doc_id" not in meta
    assert by_id["tags"].metadata["tags"] == ["x", "y"]
    assert "year" not in by_id["food"].metadata  # absent, not None


def test_per_call_k_and_limit(backend: WeaviateBackend) -> None:
    retriever = HybridRetriever(backend=backend, k=3)
    assert len(retriever.invoke("parser")) == 3
    assert len(retriever.invoke("parser", k=1)) == 1
    assert len(retriever.invoke("parser", k=50)) == len(CORPUS)


# ---------------------------------------------------------------------------- options


def test_query_properties_default_to_the_text_property(backend: WeaviateBackend) -> None:
    # "a.txt" is only in metadata (source); Weaviate's default would search it too.
    found = HybridRetriever(backend=backend, alpha=0.0, k=10).invoke("a.txt")
    assert found == []
    found = HybridRetriever(backend=backend, alpha=0.0, k=10).invoke(
        "a.txt", query_properties=["text", "source"]
    )
    # metadata text is tokenised `field`: the whole value must match
    assert [d.id for d in found] == ["e1234"]


def test_query_properties_boost(backend: WeaviateBackend) -> None:
    query = "parser error"
    plain = HybridRetriever(backend=backend, alpha=0.0, k=10).invoke(query)
    boosted = HybridRetriever(backend=backend, alpha=0.0, k=10).invoke(
        query, query_properties=["text^3"]
    )
    assert [d.id for d in plain] == [d.id for d in boosted]
    assert boosted[0].metadata["keyword_score"] == pytest.approx(
        3 * plain[0].metadata["keyword_score"], rel=1e-5
    )


def test_bm25_operator(backend: WeaviateBackend) -> None:
    retriever = HybridRetriever(backend=backend, alpha=0.0, k=10)
    either = {d.id for d in retriever.invoke("cat dog", bm25_operator="or")}
    both = {d.id for d in retriever.invoke("cat dog", bm25_operator="and")}
    assert both == {"dog", "food"}
    assert both < either
    two = retriever.invoke(
        "cat dog barks", bm25_operator={"operator": "or", "minimum_should_match": 2}
    )
    assert {d.id for d in two} == {"dog", "food"}
    direct = _collection(backend).query.bm25(
        query="cat dog barks",
        query_properties=["text"],
        operator=BM25Operator.or_(minimum_match=2),
        limit=10,
    )
    assert [object_uuid(d.id or "") for d in two] == _direct_ids(direct.objects)


def test_max_vector_distance_also_filters_keyword_hits(backend: WeaviateBackend) -> None:
    retriever = HybridRetriever(backend=backend, alpha=0.5, k=10)
    everything = retriever.invoke("parser")
    cut = retriever.invoke("parser", max_vector_distance=1.0)
    assert all(1 - d.metadata["vector_score"] <= 1.0 + 1e-6 for d in cut)
    assert {d.id for d in cut} < {d.id for d in everything}
    # Weaviate drops keyword hits whose vector is beyond the distance (weaviate#10350).
    assert all(d.metadata["vector_score"] is not None for d in cut)


def test_offset_and_auto_limit(backend: WeaviateBackend) -> None:
    retriever = HybridRetriever(backend=backend, alpha=0.5, k=4)
    first = retriever.invoke("parser error", k=6)
    assert [d.id for d in retriever.invoke("parser error", offset=2)] == [d.id for d in first][2:6]
    direct = _collection(backend).query.hybrid(
        query="parser error",
        vector=EMBEDDING.embed_query("parser error"),
        alpha=0.5,
        limit=4,
        auto_limit=1,
        query_properties=["text"],
    )
    cut = retriever.invoke("parser error", auto_limit=1)
    assert _ids_as_uuids(cut) == _direct_ids(direct.objects)


def test_return_properties_keeps_text_and_id(backend: WeaviateBackend) -> None:
    found = HybridRetriever(backend=backend, k=10).invoke("dog", return_properties=["year"])
    by_id = {d.id: d for d in found}
    assert by_id["dog"].page_content == "A dog barks at the cat"
    assert "source" not in by_id["dog"].metadata
    assert by_id["dog"].metadata["year"] == 2020


def test_target_vector_is_passed_through(backend: WeaviateBackend) -> None:
    retriever = HybridRetriever(backend=backend, k=3)
    assert len(retriever.invoke("cat", target_vector="default")) == 3
    with pytest.raises(ConfigError, match="nope"):
        retriever.invoke("cat", target_vector="nope")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"query_properties": "text"}, "query_properties"),
        ({"query_properties": ["te xt"]}, "query_properties"),
        ({"bm25_operator": "xor"}, "bm25_operator"),
        ({"bm25_operator": {"operator": "or", "minimum_should_match": 0}}, "minimum_should_match"),
        ({"max_vector_distance": -1}, "max_vector_distance"),
        ({"auto_limit": 0}, "auto_limit"),
        ({"offset": -1}, "offset"),
        ({"tenant": ""}, "tenant"),
        ({"fetch_k": 50}, "fetch_k"),
        ({"rank_constant": 61, "fusion": "ranked"}, "rank_constant"),
        ({"filter": lambda _doc: True}, "local backend"),
    ],
)
def test_invalid_options_are_config_errors(
    backend: WeaviateBackend, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        HybridRetriever(backend=backend).invoke("cat", **options)


def test_deeper_fetch_k_matches_a_deeper_direct_call(backend: WeaviateBackend) -> None:
    found = HybridRetriever(backend=backend, k=3, fetch_k=150).invoke("parser")
    direct = _collection(backend).query.hybrid(
        query="parser",
        vector=EMBEDDING.embed_query("parser"),
        alpha=0.5,
        limit=150,
        query_properties=["text"],
    )
    assert _ids_as_uuids(found) == _direct_ids(direct.objects)[:3]
    with pytest.raises(ConfigError, match="auto_limit"):
        HybridRetriever(backend=backend, fetch_k=150).invoke("parser", auto_limit=1)


def test_version_gated_options(backend: WeaviateBackend) -> None:
    assert backend.server_version is not None
    assert backend.server_version >= (1, 31, 0)
    check_server_version("bm25_operator", backend.server_version)
    with pytest.raises(ConfigError, match=r"bm25_operator needs Weaviate >= 1\.31\.0.*1\.30\.9"):
        check_server_version("bm25_operator", (1, 30, 9))
    check_server_version("offset", (1, 27, 0))  # no minimum beyond the client's own


# ---------------------------------------------------------------------------- filters

FILTERS: list[dict[str, Any]] = [
    {"source": "a.txt"},  # exact, case-sensitive (not "A.TXT", not "b/a.txt")
    {"year": 2024},
    {"year": 2024.0},  # an integral float matches the int
    {"year": {"$gt": 2020.5}},  # a fractional bound on an int property
    {"year": {"$lte": 2020.5}},
    {"year": {"$gte": 2020, "$lt": 2023}},
    {"year": {"$ne": 2024}},  # documents without "year" do not match
    {"year": {"$nin": [2024, 2019]}},
    {"year": {"$in": [2024, "2021", 2019]}},  # other-typed values never match
    {"year": "2024"},  # a string never equals an int
    {"year": True},
    {"draft": True},
    {"draft": {"$ne": True}},
    {"score": {"$gt": 2}},  # NUMBER property, int bound
    {"score": 1},
    {"lang": {"$in": ["en", "fr"]}},
    {"tags": "x"},  # list metadata never matches, as locally
    {"missing": 1},
    {"missing": {"$ne": 1}},
    {"$or": [{"missing": 1}, {"lang": "de"}]},
    {"$or": [{"source": "b.txt"}, {"year": {"$gte": 2024}}]},
    {"$and": [{"year": {"$gte": 2020}}, {"$or": [{"draft": False}, {"lang": "en"}]}]},
    {"source": {"$gt": "a"}},  # string ordering
]


@pytest.mark.parametrize("spec", FILTERS, ids=[str(f) for f in FILTERS])
def test_filters_match_the_local_semantics(backend: WeaviateBackend, spec: dict[str, Any]) -> None:
    node = parse_filter(spec)
    expected = {doc_id for doc_id, _, meta in CORPUS if matches(node, meta)}
    # alpha 1: the vector leg returns every document that passes the filter.
    found = HybridRetriever(backend=backend, alpha=1.0, k=len(CORPUS)).invoke("parser", filter=spec)
    assert {d.id for d in found} == expected
    # the keyword leg honours the same filter
    keyword = HybridRetriever(backend=backend, alpha=0.0, k=len(CORPUS)).invoke(
        "parser error cat", filter=spec
    )
    assert {d.id for d in keyword} <= expected


def test_filter_parity_with_a_direct_call(backend: WeaviateBackend) -> None:
    spec = {"year": {"$gte": 2021}}
    found = HybridRetriever(backend=backend, k=10, filter=spec).invoke("parser error")
    direct = _collection(backend).query.hybrid(
        query="parser error",
        vector=EMBEDDING.embed_query("parser error"),
        alpha=0.5,
        limit=10,
        query_properties=["text"],
        filters=Filter.by_property("year").greater_or_equal(2021),
    )
    assert _ids_as_uuids(found) == _direct_ids(direct.objects)


# ---------------------------------------------------------------------------- async


async def test_async_client_gives_the_same_results(
    backend: WeaviateBackend, async_client: weaviate.WeaviateAsyncClient
) -> None:
    # Built on the async client alone: the sync path cannot be used by accident.
    async_backend = WeaviateBackend(async_client, backend.collection_name, EMBEDDING)
    retriever = HybridRetriever(backend=async_backend, k=5)
    sync_retriever = HybridRetriever(backend=backend, k=5)
    for query in QUERIES:
        got = await retriever.ainvoke(query, filter={"year": {"$gte": 2020}})
        want = sync_retriever.invoke(query, filter={"year": {"$gte": 2020}})
        assert [(d.id, d.metadata) for d in got] == [(d.id, d.metadata) for d in want]
    batched = await retriever.abatch(QUERIES)
    assert [[d.id for d in docs] for docs in batched] == [
        [d.id for d in sync_retriever.invoke(q)] for q in QUERIES
    ]
    with pytest.raises(ConfigError, match="WeaviateAsyncClient"):
        retriever.invoke("cat")


async def test_sync_client_async_methods_run_in_a_thread(backend: WeaviateBackend) -> None:
    retriever = HybridRetriever(backend=backend, k=3)
    got = await retriever.ainvoke("cat")
    assert [d.id for d in got] == [d.id for d in retriever.invoke("cat")]


# ---------------------------------------------------------------------------- standard suite


class TestWeaviateRetrieverStandard(RetrieversIntegrationTests):
    """LangChain's standard retriever tests, on a Weaviate backend with the corpus above."""

    @pytest.fixture(autouse=True)
    def _weaviate_backend(self, backend: WeaviateBackend) -> None:
        self.backend = backend

    @property
    def retriever_constructor(self) -> type[HybridRetriever]:
        return HybridRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"backend": self.backend}

    @property
    def retriever_query_example(self) -> str:
        return "parser error"
