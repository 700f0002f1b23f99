"""Errors of the Weaviate backend name their cause: server down, collection, tenant, vectors.

`weaviate_server.stop()` really stops the server; `start()` brings it back on the same
ports and data. weaviate-client retries an unreachable server with exponential backoff
(1 + 2 + 4 + 8 + 16 + 32 s for a query) before it gives up, so the server-down test runs
the sync and the async query concurrently to pay that minute once.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest
import weaviate
import weaviate.exceptions
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding
from weaviate.classes.init import AdditionalConfig, GrpcConfig

from langchain_hybrid import (
    BackendError,
    CollectionNotFoundError,
    ConfigError,
    HybridRetriever,
    HybridSearchError,
    SchemaMismatchError,
    ServerUnavailableError,
)
from langchain_hybrid.backends.weaviate import WeaviateBackend, map_weaviate_error

EMBEDDING = DeterministicFakeEmbedding(size=16)


# ---------------------------------------------------------------------------- mapping


def _weaviate_exception_classes() -> list[type[weaviate.exceptions.WeaviateBaseError]]:
    return [
        cls
        for _, cls in inspect.getmembers(weaviate.exceptions, inspect.isclass)
        if issubclass(cls, weaviate.exceptions.WeaviateBaseError)
    ]


def _instance(cls: type[Exception], message: str) -> Exception:
    # The constructors differ (some need an HTTP response); the mapping reads only the
    # class and str(exc), so the instance is made without calling __init__.
    exc = Exception.__new__(cls)
    exc.args = (message,)
    exc.message = message  # type: ignore[attr-defined] - WeaviateBaseError.__str__ reads it
    return exc


@pytest.mark.parametrize("cls", _weaviate_exception_classes(), ids=lambda c: c.__name__)
def test_every_weaviate_exception_maps_to_ours(cls: type[Exception]) -> None:
    # The backend catches WeaviateBaseError at every call: all of its subclasses.
    mapped = map_weaviate_error(
        _instance(cls, "something failed"),  # type: ignore[arg-type]
        server="http://127.0.0.1:1",
        collection="Docs",
    )
    assert isinstance(mapped, HybridSearchError)


@pytest.mark.parametrize(
    ("cls", "message", "expected", "needle"),
    [
        ("WeaviateConnectionError", "refused", ServerUnavailableError, "127.0.0.1:1"),
        ("WeaviateRetryError", "failed after 3 retries", ServerUnavailableError, "127.0.0.1:1"),
        ("WeaviateTimeoutError", "timed out", ServerUnavailableError, "unreachable"),
        ("WeaviateClosedClientError", "closed", ServerUnavailableError, "closed"),
        (
            "WeaviateQueryError",
            "The request failed after 5 retries. StatusCode.UNAVAILABLE failed to connect",
            ServerUnavailableError,
            "127.0.0.1:1",
        ),
        (
            "WeaviateQueryError",
            "search failed with message could not find class Docs in schema.",
            CollectionNotFoundError,
            "collection 'Docs'",
        ),
        (
            "WeaviateQueryError",
            'object search at index docs: tenant not found: "t3".',
            CollectionNotFoundError,
            "tenant 't3'",
        ),
        (
            "WeaviateQueryError",
            "knn search: 16 vs 8: vector lengths don't match.",
            SchemaMismatchError,
            "8 dimensions",
        ),
        (
            "WeaviateQueryError",
            "class Docs has multi-tenancy enabled, but request was without tenant.",
            ConfigError,
            "multi-tenant",
        ),
        ("WeaviateUnsupportedFeatureError", "needs 1.40", ConfigError, "needs 1.40"),
        ("InsufficientPermissionsError", "forbidden", BackendError, "refused"),
        ("WeaviateQueryError", "something else", BackendError, "something else"),
    ],
)
def test_specific_mappings(cls: str, message: str, expected: type, needle: str) -> None:
    exc = _instance(getattr(weaviate.exceptions, cls), message)
    mapped = map_weaviate_error(
        exc,  # type: ignore[arg-type]
        server="http://127.0.0.1:1",
        collection="Docs",
        tenant="t3",
        vector_size=8,
    )
    assert type(mapped) is expected
    assert needle in str(mapped)


# ---------------------------------------------------------------------------- live errors


@pytest.fixture
def backend(
    weaviate_client: weaviate.WeaviateClient, unique_collection_name: str
) -> WeaviateBackend:
    backend = WeaviateBackend(weaviate_client, unique_collection_name, EMBEDDING)
    backend.add_documents(
        [Document("the first document"), Document("the second document")], ids=["1", "2"]
    )
    return backend


def test_collection_deleted_after_setup(
    backend: WeaviateBackend, weaviate_client: weaviate.WeaviateClient
) -> None:
    weaviate_client.collections.delete(backend.collection_name)
    with pytest.raises(CollectionNotFoundError, match=backend.collection_name):
        HybridRetriever(backend=backend).invoke("document")


def test_query_vector_of_another_length(
    backend: WeaviateBackend, weaviate_client: weaviate.WeaviateClient
) -> None:
    other = WeaviateBackend(
        weaviate_client, backend.collection_name, DeterministicFakeEmbedding(size=8)
    )
    with pytest.raises(SchemaMismatchError, match="query vector has 8 dimensions"):
        HybridRetriever(backend=other).invoke("document")
    # alpha 0 runs no vector search, so no vector is needed (or embedded).
    assert len(HybridRetriever(backend=other, alpha=0.0).invoke("document")) == 2


def test_unknown_query_property(backend: WeaviateBackend) -> None:
    with pytest.raises(ConfigError, match="nope"):
        HybridRetriever(backend=backend).invoke("document", query_properties=["nope"])


# gRPC waits longer and longer between reconnection attempts while a server is down (up
# to 120 s by default), so after a one-minute outage a client may keep failing for a
# while after the server is back. Clients that must recover fast cap that backoff:
FAST_RECONNECT = AdditionalConfig(
    grpc_config=GrpcConfig(
        channel_options=[
            ("grpc.initial_reconnect_backoff_ms", 200),
            ("grpc.max_reconnect_backoff_ms", 1000),
        ]
    )
)


async def test_server_down_and_back(weaviate_server: Any, backend: WeaviateBackend) -> None:
    if not getattr(weaviate_server, "supports_restart", False):
        pytest.skip(f"{weaviate_server!r} cannot be stopped from the tests")
    client = weaviate_server.connect(additional_config=FAST_RECONNECT)
    async_client = weaviate.use_async_with_custom(
        http_host=weaviate_server.http_host,
        http_port=weaviate_server.http_port,
        http_secure=False,
        grpc_host=weaviate_server.grpc_host,
        grpc_port=weaviate_server.grpc_port,
        grpc_secure=False,
        additional_config=FAST_RECONNECT,
    )
    await async_client.connect()
    try:
        sync_backend = WeaviateBackend(client, backend.collection_name, EMBEDDING)
        async_backend = WeaviateBackend(async_client, backend.collection_name, EMBEDDING)
        retriever = HybridRetriever(backend=sync_backend, k=2)
        async_retriever = HybridRetriever(backend=async_backend, k=2)
        expected = [d.id for d in retriever.invoke("document")]
        assert [d.id for d in await async_retriever.ainvoke("document")] == expected

        weaviate_server.stop()
        try:
            sync_down, async_down = await asyncio.gather(
                asyncio.to_thread(_raised, retriever.invoke, "document"),
                _araised(async_retriever.ainvoke("document")),
            )
            delete_down = _raised(sync_backend.delete, ["1"])
            setup_down = _raised(WeaviateBackend, client, "Other", EMBEDDING)
        finally:
            weaviate_server.start()
        for error in (sync_down, async_down, delete_down, setup_down):
            assert isinstance(error, ServerUnavailableError), repr(error)
            assert f"{weaviate_server.http_host}:{weaviate_server.http_port}" in str(error)
            assert isinstance(error.__cause__, weaviate.exceptions.WeaviateBaseError)
        assert f"gRPC {weaviate_server.grpc_host}:{weaviate_server.grpc_port}" in str(sync_down)

        # The same retrievers work again once the server is back (same ports, same data).
        assert [d.id for d in retriever.invoke("document")] == expected
        assert [d.id for d in await async_retriever.ainvoke("document")] == expected
    finally:
        await async_client.close()
        client.close()


def _raised(function: Any, *args: Any) -> BaseException | None:
    try:
        function(*args)
    except Exception as exc:  # noqa: BLE001 - returned for the assertions
        return exc
    return None


async def _araised(awaitable: Any) -> BaseException | None:
    try:
        await awaitable
    except Exception as exc:  # noqa: BLE001 - returned for the assertions
        return exc
    return None
