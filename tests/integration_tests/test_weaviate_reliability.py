"""Weaviate reliability against a real server: a stop mid-ingest, API keys, load.

Server stops during queries are covered in `test_weaviate_errors.py`; here the server is
stopped between two insert requests of one `add_documents` call.
"""

from __future__ import annotations

import itertools
import logging
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import weaviate
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding
from ledger import Ledger
from weaviate.classes.init import AdditionalConfig, Auth, GrpcConfig, Timeout
from weaviate_server import WeaviateServer

from langchain_hybrid import (
    CollectionNotFoundError,
    HybridRetriever,
    IngestError,
)
from langchain_hybrid.backends.weaviate import WeaviateBackend

EMBEDDING = DeterministicFakeEmbedding(size=16)
# Short timeouts and a capped gRPC reconnect backoff, so a stopped server fails fast and
# a restarted one is used again at once.
FAST = AdditionalConfig(
    timeout=Timeout(init=2, query=5, insert=5),
    grpc_config=GrpcConfig(
        channel_options=[
            ("grpc.initial_reconnect_backoff_ms", 200),
            ("grpc.max_reconnect_backoff_ms", 1000),
        ]
    ),
)


def count(client: weaviate.WeaviateClient, name: str) -> int:
    total = client.collections.get(name).aggregate.over_all(total_count=True).total_count
    assert total is not None
    return total


# ------------------------------------------------------------------------ stop mid-ingest


class _StopAfterFirstInsert:
    """A collection whose `data.insert_many` stops the server after its first request."""

    def __init__(self, collection: Any, server: Any) -> None:
        self._collection = collection
        self._server = server
        self.requests = 0
        self.data = self

    def insert_many(self, objects: list[Any]) -> Any:
        result = self._collection.data.insert_many(objects)
        self.requests += 1
        if self.requests == 1:
            self._server.stop()
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._collection, name)


@pytest.mark.timeout(240)
def test_server_stopped_during_add_documents(
    weaviate_server: Any, unique_collection_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not getattr(weaviate_server, "supports_restart", False):
        pytest.skip(f"{weaviate_server!r} cannot be stopped from the tests")
    client = weaviate_server.connect(additional_config=FAST)
    try:
        backend = WeaviateBackend(client, unique_collection_name, EMBEDDING, batch_size=2)
        retriever = HybridRetriever(backend=backend, k=10)
        ids = [f"doc-{i}" for i in range(6)]
        docs = [Document(f"document number {i} about parsers", metadata={"n": i}) for i in ids]
        real_collection = backend._collection
        proxies: list[_StopAfterFirstInsert] = []

        def stopping_collection(*args: Any) -> _StopAfterFirstInsert:
            proxies.append(_StopAfterFirstInsert(real_collection(*args), weaviate_server))
            return proxies[-1]

        monkeypatch.setattr(backend, "_collection", stopping_collection)
        try:
            with pytest.raises(IngestError) as raised:
                retriever.add_documents(docs, ids=ids)
        finally:
            weaviate_server.start()
        monkeypatch.undo()

        # The first request (2 objects) was written; the error lists the 4 others, in order.
        error = raised.value
        assert error.failed_ids == ids[2:]
        assert all(reason.startswith("not written: ") for reason in error.failed.values())
        assert isinstance(error.__cause__, weaviate.exceptions.WeaviateBaseError)
        assert proxies[0].requests == 1
        assert count(client, backend.collection_name) == 2

        # The same call again, on the same retriever, completes the set: no duplicates.
        assert retriever.add_documents(docs, ids=ids) == ids
        assert count(client, backend.collection_name) == len(ids)
        found = retriever.invoke("document parsers", alpha=0.0)
        assert sorted(d.id for d in found) == sorted(ids)
        assert retriever.add_documents(docs, ids=ids) == ids  # idempotent
        assert count(client, backend.collection_name) == len(ids)
    finally:
        client.close()


# ------------------------------------------------------------------------ API keys

SECRET = "secret-key-123"  # noqa: S105 - a test server's key


@pytest.fixture
def secured_server(weaviate_binary: Any) -> Any:
    server = WeaviateServer(binary=weaviate_binary, api_keys=[SECRET], api_users=["u"])
    try:
        server.start()
        yield server
    finally:
        server.close()


def test_api_key_never_leaks(secured_server: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    def connect(**kwargs: Any) -> weaviate.WeaviateClient:
        return weaviate.connect_to_custom(
            http_host=secured_server.http_host,
            http_port=secured_server.http_port,
            http_secure=False,
            grpc_host=secured_server.http_host,
            grpc_port=secured_server.grpc_port,
            grpc_secure=False,
            additional_config=FAST,
            **kwargs,
        )

    client = connect(auth_credentials=Auth.api_key(SECRET))
    try:
        retriever = HybridRetriever.from_weaviate(client, "Secured", EMBEDDING, k=2)
        retriever.add_documents([Document("error E1234 in the parser")], ids=["a"])
        assert [d.id for d in retriever.invoke("E1234", alpha=0.0)] == ["a"]

        errors: list[BaseException] = []
        with pytest.raises(CollectionNotFoundError) as missing:
            HybridRetriever.from_weaviate(client, "Missing", EMBEDDING, create=False)
        errors.append(missing.value)
        client.collections.delete("Secured")
        with pytest.raises(CollectionNotFoundError) as deleted:
            retriever.invoke("E1234")
        errors.append(deleted.value)

        texts = [repr(retriever), repr(retriever.backend), str(retriever.backend.__dict__)]
        for error in errors:
            texts += [str(error), repr(error)]
        texts.append(caplog.text)
        assert all(SECRET not in text for text in texts)
        assert "Missing" in str(missing.value)
    finally:
        client.close()

    # Without the key the server refuses; the refusal does not echo a key either.
    with pytest.raises(weaviate.exceptions.WeaviateBaseError) as refused:
        connect(auth_credentials=Auth.api_key("wrong-key"))
    assert SECRET not in str(refused.value)


# ------------------------------------------------------------------------ load

THREADS = 4
QUERIES = 300


@pytest.mark.timeout(180)
def test_queries_while_a_writer_adds_and_deletes(
    weaviate_server: Any, unique_collection_name: str
) -> None:
    client = weaviate_server.connect(additional_config=FAST)
    try:
        backend = WeaviateBackend(client, unique_collection_name, EMBEDDING)
        retriever = HybridRetriever(backend=backend, k=50)
        base = [f"base{i}" for i in range(30)]
        retriever.add_documents([Document(f"common word {i % 5}") for i in range(30)], ids=base)
        ledger = Ledger(base)
        done = threading.Event()
        counter = itertools.count()
        violations: list[set[str]] = []

        def writer() -> int:
            rounds = 0
            while not done.is_set() and rounds < 60:
                ids = [f"w{rounds}-{j}" for j in range(2)]
                retriever.add_documents([Document(f"common topic {rounds}")] * 2, ids=ids)
                ledger.added(ids)
                retriever.delete(ids[:1])
                ledger.deleted(ids[:1])
                rounds += 1
            return rounds

        def reader(seed: int) -> int:
            rng = random.Random(seed)  # noqa: S311 - picks test queries, not secrets
            answered = 0
            while next(counter) < QUERIES:
                start = time.monotonic()
                found = retriever.invoke("common topic word", alpha=rng.choice([0.0, 0.5, 1.0]))
                stale = {d.id for d in found if d.id is not None} & ledger.gone_before(start)
                if stale:
                    violations.append(stale)
                answered += 1
            return answered

        with ThreadPoolExecutor(THREADS + 1) as pool:
            writing = pool.submit(writer)
            answered = sum(
                r.result(timeout=150) for r in [pool.submit(reader, s) for s in range(THREADS)]
            )
            done.set()
            rounds = writing.result(timeout=60)

        assert answered == QUERIES
        assert rounds > 0
        assert violations == []
        assert count(client, backend.collection_name) == len(ledger.live)
        found = retriever.invoke("common", alpha=0.0, k=1000, fetch_k=1000)
        assert {d.id for d in found} == ledger.live
    finally:
        client.close()
