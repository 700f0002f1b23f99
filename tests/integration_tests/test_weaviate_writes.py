"""WeaviateBackend writes against a real Weaviate: schema, ingest, delete, tenants."""

from __future__ import annotations

from typing import Any

import pytest
import weaviate
from fakes import EMBEDDING, ShortVectorFor
from langchain_core.documents import Document
from weaviate.classes.config import Configure, DataType, Property, Tokenization

from langchain_hybrid import (
    CollectionNotFoundError,
    ConfigError,
    HybridRetriever,
    IngestError,
    SchemaMismatchError,
)
from langchain_hybrid.backends.weaviate import WeaviateBackend, object_uuid


def _count(client: weaviate.WeaviateClient, name: str, tenant: str | None = None) -> int:
    collection = client.collections.use(name)
    if tenant:
        collection = collection.with_tenant(tenant)
    total = collection.aggregate.over_all(total_count=True).total_count
    assert total is not None
    return total


def _docs(*texts: str, **metadata: Any) -> list[Document]:
    return [Document(text, metadata=dict(metadata)) for text in texts]


# ---------------------------------------------------------------------------- schema


def test_creates_the_collection_with_the_documented_schema(
    weaviate_client: weaviate.WeaviateClient, unique_collection_name: str
) -> None:
    WeaviateBackend(weaviate_client, unique_collection_name, EMBEDDING)
    config = weaviate_client.collections.use(unique_collection_name).config.get()
    props = {p.name: p for p in config.properties}
    assert props["text"].data_type == DataType.TEXT
    assert props["text"].tokenization == Tokenization.WORD
    assert props["text"].index_searchable
    assert props["doc_id"].tokenization == Tokenization.FIELD
    assert not props["doc_id"].index_searchable
    inverted = config.inverted_index_config
    assert (inverted.bm25.k1, inverted.bm25.b) == pytest.approx((1.2, 0.75))
    assert inverted.stopwords.preset.value == "en"
    assert inverted.index_null_state
    assert config.vector_config is not None
    assert {v.vectorizer.vectorizer.value for v in config.vector_config.values()} == {"none"}
    assert not config.multi_tenancy_config.enabled


def test_missing_collection_without_create(
    weaviate_client: weaviate.WeaviateClient, unique_collection_name: str
) -> None:
    with pytest.raises(CollectionNotFoundError, match=unique_collection_name):
        WeaviateBackend(weaviate_client, unique_collection_name, EMBEDDING, create=False)
    assert not weaviate_client.collections.exists(unique_collection_name)


def test_refuses_a_mismatching_collection(
    weaviate_client: weaviate.WeaviateClient, unique_collection_name: str
) -> None:
    weaviate_client.collections.create(
        unique_collection_name,
        properties=[
            Property(name="text", data_type=DataType.TEXT, tokenization=Tokenization.LOWERCASE),
            Property(name="doc_id", data_type=DataType.INT),
        ],
        vector_config=Configure.Vectors.self_provided(),
        inverted_index_config=Configure.inverted_index(bm25_k1=1.5, bm25_b=0.75),
    )
    with pytest.raises(SchemaMismatchError) as caught:
        WeaviateBackend(weaviate_client, unique_collection_name, EMBEDDING)
    message = str(caught.value)
    assert "tokenization 'lowercase', expected 'word'" in message
    assert "id property 'doc_id' is 'int'" in message
    assert "BM25 k1 is 1.5, expected 1.2" in message
    with pytest.raises(SchemaMismatchError, match="text property 'body' is missing"):
        WeaviateBackend(weaviate_client, unique_collection_name, EMBEDDING, text_key="body")
    # Matching arguments, or no verification, make it usable.
    backend = WeaviateBackend(
        weaviate_client,
        unique_collection_name,
        EMBEDDING,
        id_property=None,
        tokenization="lowercase",
        bm25_k1=1.5,
    )
    backend.add_documents(_docs("hello world"), ids=["0b4f6c9e-0000-4000-8000-000000000001"])
    found = HybridRetriever(backend=backend).invoke("hello")
    assert [d.id for d in found] == ["0b4f6c9e-0000-4000-8000-000000000001"]


def test_existing_matching_collection_is_reused(
    weaviate_client: weaviate.WeaviateClient, unique_collection_name: str
) -> None:
    first = WeaviateBackend(weaviate_client, unique_collection_name, EMBEDDING)
    first.add_documents(_docs("one"), ids=["1"])
    second = WeaviateBackend(weaviate_client, unique_collection_name, EMBEDDING, create=False)
    assert [d.id for d in HybridRetriever(backend=second).invoke("one")] == ["1"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"text_key": "Text"}, "text_key"),
        ({"id_property": "id"}, "id_property"),
        ({"id_property": "text"}, "must differ"),
        ({"tokenization": "stem"}, "tokenization"),
        ({"bm25_b": 1.5}, "bm25_b"),
        ({"stopwords_preset": "fr"}, "stopwords_preset"),
        ({"batch_size": 0}, "batch_size"),
        ({"tenant": ""}, "tenant"),
    ],
)
def test_invalid_arguments(
    weaviate_client: weaviate.WeaviateClient,
    unique_collection_name: str,
    arguments: dict[str, Any],
    message: str,
) -> None:
    with pytest.raises(ConfigError, match=message):
        WeaviateBackend(weaviate_client, unique_collection_name, EMBEDDING, **arguments)


def test_client_must_be_a_v4_client(unique_collection_name: str) -> None:
    with pytest.raises(ConfigError, match="WeaviateClient"):
        WeaviateBackend(object(), unique_collection_name, EMBEDDING)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- ingest


def test_add_search_delete(
    weaviate_client: weaviate.WeaviateClient, unique_collection_name: str
) -> None:
    backend = WeaviateBackend(weaviate_client, unique_collection_name, EMBEDDING)
    retriever = HybridRetriever(backend=backend, k=10)
    assert retriever.add_documents(_docs("alpha beta", "gamma"), ids=["a", "b"]) == ["a", "b"]
    assert _count(weaviate_client, unique_collection_name) == 2
    retriever.delete(["a", "never-written"])
    assert _count(weaviate_client, unique_collection_name) == 1
    assert [d.id for d in retriever.invoke("alpha")] == ["b"]
    retriever.delete([])
    # Ids from Document.id, else new UUIDs (used as object UUIDs as they are).
    ids = retriever.add_documents([Document("x", id="from-doc"), Document("y")])
    assert ids[0] == "from-doc"
    assert object_uuid(ids[1]) == ids[1]
    assert {d.id for d in retriever.invoke("x y")} == {"b", *ids}


def test_reingest_is_idempotent(
    weaviate_client: weaviate.WeaviateClient, unique_collection_name: str
) -> None:
    backend = WeaviateBackend(weaviate_client, unique_collection_name, EMBEDDING)
    docs = [Document(f"document number {i}", metadata={"n": i}) for i in range(25)]
    ids = [f"doc-{i}" for i in range(25)]
    backend.batch_size = 10  # three requests
    backend.add_documents(docs, ids=ids)
    backend.add_documents(docs, ids=ids)
    assert _count(weaviate_client, unique_collection_name) == 25
    # Replacing a document replaces all of it (metadata too), under the same id.
    backend.add_documents([Document("replaced", metadata={"other": True})], ids=["doc-3"])
    assert _count(weaviate_client, unique_collection_name) == 25
    found = HybridRetriever(backend=backend, alpha=0.0).invoke("replaced")
    assert [(d.id, d.page_content) for d in found] == [("doc-3", "replaced")]
    assert "n" not in found[0].metadata
    assert found[0].metadata["other"] is True
    # The same id twice in one call is refused before anything is written.
    with pytest.raises(ConfigError, match=r"\['dup'\] appear more than once"):
        backend.add_documents(_docs("first", "second"), ids=["dup", "dup"])
    assert _count(weaviate_client, unique_collection_name) == 25


def test_failed_objects_are_listed_and_the_rest_written(
    weaviate_client: weaviate.WeaviateClient, unique_collection_name: str
) -> None:
    backend = WeaviateBackend(weaviate_client, unique_collection_name, ShortVectorFor("BAD"))
    backend.add_documents(_docs("seed document", year=2020), ids=["seed"])
    documents = [
        Document("good one", metadata={"year": 2021}),
        Document("BAD vector length", metadata={"year": 2022}),
        Document("a string year", metadata={"year": "2023"}),  # property is INT
        Document("bad key", metadata={"Source": "x"}),  # Weaviate would rename it
        Document("reserved key", metadata={"id": "x"}),
        Document("a dict value", metadata={"nested": {"a": 1}}),
        Document("good two", metadata={"year": 2024}),
    ]
    ids = ["g1", "vec", "type", "key", "reserved", "dict", "g2"]
    with pytest.raises(IngestError) as caught:
        backend.add_documents(documents, ids=ids)
    error = caught.value
    assert error.failed_ids == ["vec", "type", "key", "reserved", "dict"]
    assert "vector" in error.failed["vec"]
    assert "property is 'int'" in error.failed["type"]
    assert "Source" in error.failed["key"]
    assert "'id'" in error.failed["reserved"]
    assert "dict" in error.failed["dict"]
    assert "5 of 7 documents were not written" in str(error)
    # No silent loss, and no silent extra: exactly the good ones were written.
    assert _count(weaviate_client, unique_collection_name) == 3
    found = HybridRetriever(backend=backend, alpha=0.0, k=10).invoke("good")
    assert {d.id for d in found} == {"g1", "g2"}


def test_a_request_where_every_object_fails(
    weaviate_client: weaviate.WeaviateClient, unique_collection_name: str
) -> None:
    backend = WeaviateBackend(weaviate_client, unique_collection_name, ShortVectorFor("BAD"))
    backend.add_documents(_docs("seed"), ids=["seed"])
    with pytest.raises(IngestError) as caught:
        backend.add_documents(_docs("BAD 1", "BAD 2", "BAD 3"), ids=["b1", "b2", "b3"])
    assert caught.value.failed_ids == ["b1", "b2", "b3"]
    assert all("dimensions" in reason for reason in caught.value.failed.values())
    assert _count(weaviate_client, unique_collection_name) == 1


def test_metadata_types(
    weaviate_client: weaviate.WeaviateClient, unique_collection_name: str
) -> None:
    backend = WeaviateBackend(weaviate_client, unique_collection_name, EMBEDDING)
    backend.add_documents(
        [
            Document("one", metadata={"i": 1, "f": 1, "s": "x", "b": True, "l": [1, 2], "n": None}),
            Document("two", metadata={"i": 2, "f": 2.5, "s": "y", "b": False, "l": []}),
        ],
        ids=["one", "two"],
    )
    config = weaviate_client.collections.use(unique_collection_name).config.get()
    types = {p.name: p.data_type for p in config.properties}
    assert types["i"] == DataType.INT
    assert types["f"] == DataType.NUMBER  # ints and floats together
    assert types["s"] == DataType.TEXT
    assert types["b"] == DataType.BOOL
    assert types["l"] == DataType.INT_ARRAY
    assert "n" not in types
    found = {d.id: d.metadata for d in HybridRetriever(backend=backend, k=5).invoke("one two")}
    assert (found["one"]["i"], found["one"]["f"], found["one"]["l"]) == (1, 1.0, [1, 2])
    assert "n" not in found["one"]


def test_writes_on_an_async_only_backend_need_the_async_methods(
    weaviate_server: Any, unique_collection_name: str
) -> None:
    client = weaviate.use_async_with_custom(
        http_host=weaviate_server.http_host,
        http_port=weaviate_server.http_port,
        http_secure=False,
        grpc_host=weaviate_server.grpc_host,
        grpc_port=weaviate_server.grpc_port,
        grpc_secure=False,
    )
    backend = WeaviateBackend(client, unique_collection_name, EMBEDDING)
    with pytest.raises(ConfigError, match="aadd_documents"):
        backend.add_documents(_docs("x"))


async def test_async_writes(weaviate_server: Any, unique_collection_name: str) -> None:
    client = weaviate.use_async_with_custom(
        http_host=weaviate_server.http_host,
        http_port=weaviate_server.http_port,
        http_secure=False,
        grpc_host=weaviate_server.grpc_host,
        grpc_port=weaviate_server.grpc_port,
        grpc_secure=False,
    )
    await client.connect()
    try:
        backend = WeaviateBackend(client, unique_collection_name, ShortVectorFor("BAD"))
        retriever = HybridRetriever(backend=backend, k=10)
        assert await retriever.aadd_documents(_docs("async one", "async two"), ids=["1", "2"]) == [
            "1",
            "2",
        ]
        await retriever.aadd_documents(_docs("async one"), ids=["1"])  # idempotent
        assert {d.id for d in await retriever.ainvoke("async")} == {"1", "2"}
        with pytest.raises(IngestError) as caught:
            await retriever.aadd_documents(_docs("BAD", "fine"), ids=["bad", "3"])
        assert caught.value.failed_ids == ["bad"]
        await retriever.adelete(["1", "unknown"])
        assert {d.id for d in await retriever.ainvoke("async fine")} == {"2", "3"}
    finally:
        await client.close()


# ---------------------------------------------------------------------------- tenants


def test_tenants(weaviate_client: weaviate.WeaviateClient, unique_collection_name: str) -> None:
    t1 = WeaviateBackend(weaviate_client, unique_collection_name, EMBEDDING, tenant="t1")
    t2 = WeaviateBackend(weaviate_client, unique_collection_name, EMBEDDING, tenant="t2")
    assert (
        weaviate_client.collections.use(unique_collection_name)
        .config.get()
        .multi_tenancy_config.enabled
    )
    t1.add_documents(_docs("tenant one document"), ids=["one"])
    t2.add_documents(_docs("tenant two document"), ids=["two"])
    assert _count(weaviate_client, unique_collection_name, "t1") == 1
    retriever = HybridRetriever(backend=t1, k=5)
    assert [d.id for d in retriever.invoke("document")] == ["one"]
    assert [d.id for d in retriever.invoke("document", tenant="t2")] == ["two"]
    assert [d.id for d in retriever.invoke("document", filter={"lang": "en"})] == []
    with pytest.raises(CollectionNotFoundError, match="tenant 't3'"):
        retriever.invoke("document", tenant="t3")
    with pytest.raises(CollectionNotFoundError, match="tenant 't9'"):
        WeaviateBackend(
            weaviate_client, unique_collection_name, EMBEDDING, tenant="t9", create=False
        )
    # Without a tenant, a multi-tenant collection needs one per call, and for writes.
    no_tenant = WeaviateBackend(weaviate_client, unique_collection_name, EMBEDDING)
    assert [d.id for d in HybridRetriever(backend=no_tenant).invoke("document", tenant="t2")] == [
        "two"
    ]
    with pytest.raises(ConfigError, match="multi-tenant"):
        HybridRetriever(backend=no_tenant).invoke("document")
    with pytest.raises(ConfigError, match="multi-tenant"):
        no_tenant.add_documents(_docs("x"))
    t1.delete(["one"])
    assert _count(weaviate_client, unique_collection_name, "t1") == 0
    assert _count(weaviate_client, unique_collection_name, "t2") == 1


def test_tenant_on_a_single_tenant_collection(
    weaviate_client: weaviate.WeaviateClient, unique_collection_name: str
) -> None:
    backend = WeaviateBackend(weaviate_client, unique_collection_name, EMBEDDING)
    with pytest.raises(ConfigError, match="not multi-tenant"):
        HybridRetriever(backend=backend).invoke("x", tenant="t1")
    with pytest.raises(SchemaMismatchError, match="not multi-tenant"):
        WeaviateBackend(weaviate_client, unique_collection_name, EMBEDDING, tenant="t1")
