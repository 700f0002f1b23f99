"""Ingest with requests in flight at once: progress, and every failed object still reported.

`add_documents` sends its first request alone, then `concurrent_requests` at a time
(bench/weaviate_ingest.py measures the speed). These tests check, on a real server, that
nothing about the outcome depends on it: objects refused in any of the requests sent
together are each listed with Weaviate's reason, all others are written, and progress is
reported after every group of requests, sync and async. The server stopping during a
concurrent ingest is `test_weaviate_reliability.py::test_server_stopped_during_add_documents`.
"""

from __future__ import annotations

import numpy as np
import pytest
import weaviate
from fakes import EMBEDDING, ShortVectorFor
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from langchain_hybrid import ConfigError, IngestError
from langchain_hybrid.backends.weaviate import WeaviateBackend, object_uuid


def count(client: weaviate.WeaviateClient, name: str) -> int:
    total = client.collections.use(name).aggregate.over_all(total_count=True).total_count
    assert total is not None
    return total


def documents(size: int, bad: set[int]) -> tuple[list[Document], list[str]]:
    ids = [f"doc-{i:02d}" for i in range(size)]
    docs = [
        Document(f"{'BAD ' if i in bad else ''}document {i} about parsers", metadata={"n": i})
        for i in range(size)
    ]
    return docs, ids


BAD = {4, 11, 12, 22}  # in the first request, and in requests sent together later


def seeded(backend: WeaviateBackend) -> WeaviateBackend:
    """One document first: the vector length is then fixed, and shorter ones are refused.

    (In a collection's very first batch, Weaviate 1.39 stores an object whose vector
    does not fit the index it is building and reports it failed: seeded, it refuses it.)
    """
    backend.add_documents([Document("seed")], ids=["seed"])
    return backend


def check(error: IngestError, ids: list[str], progress: list[tuple[int, int]]) -> None:
    assert error.failed_ids == [ids[i] for i in sorted(BAD)]
    assert all("vector" in reason for reason in error.failed.values())
    # After every request (5 objects each), in whatever order the requests finished.
    assert progress == [(5, 25), (10, 25), (15, 25), (20, 25), (25, 25)]


def test_concurrent_requests_report_every_refused_object(
    weaviate_client: weaviate.WeaviateClient, unique_collection_name: str
) -> None:
    progress: list[tuple[int, int]] = []
    backend = WeaviateBackend(
        weaviate_client,
        unique_collection_name,
        ShortVectorFor("BAD"),
        batch_size=5,
        concurrent_requests=3,
        progress=lambda done, total: progress.append((done, total)),
    )
    seeded(backend)
    progress.clear()
    docs, ids = documents(25, BAD)
    with pytest.raises(IngestError) as caught:
        backend.add_documents(docs, ids=ids)
    check(caught.value, ids, progress)
    assert count(weaviate_client, unique_collection_name) == 1 + 25 - len(BAD)
    # Re-adding the good ones is idempotent, whatever request they were in.
    good = [i for i in range(25) if i not in BAD]
    backend.add_documents([docs[i] for i in good], ids=[ids[i] for i in good])
    assert count(weaviate_client, unique_collection_name) == 1 + 25 - len(BAD)


async def test_concurrent_async_requests_report_every_refused_object(
    async_client: weaviate.WeaviateAsyncClient,
    weaviate_client: weaviate.WeaviateClient,
    unique_collection_name: str,
) -> None:
    progress: list[tuple[int, int]] = []
    backend = WeaviateBackend(
        async_client,
        unique_collection_name,
        ShortVectorFor("BAD"),
        batch_size=5,
        concurrent_requests=3,
        progress=lambda done, total: progress.append((done, total)),
    )
    await backend.aadd_documents([Document("seed")], ids=["seed"])
    progress.clear()
    docs, ids = documents(25, BAD)
    with pytest.raises(IngestError) as caught:
        await backend.aadd_documents(docs, ids=ids)
    check(caught.value, ids, progress)
    assert count(weaviate_client, unique_collection_name) == 1 + 25 - len(BAD)


def test_one_request_at_a_time_gives_the_same_outcome(
    weaviate_client: weaviate.WeaviateClient, unique_collection_name: str
) -> None:
    progress: list[tuple[int, int]] = []
    backend = WeaviateBackend(
        weaviate_client,
        unique_collection_name,
        ShortVectorFor("BAD"),
        batch_size=5,
        concurrent_requests=1,
        progress=lambda done, total: progress.append((done, total)),
    )
    seeded(backend)
    progress.clear()
    docs, ids = documents(25, BAD)
    with pytest.raises(IngestError) as caught:
        backend.add_documents(docs, ids=ids)
    assert caught.value.failed_ids == [ids[i] for i in sorted(BAD)]
    assert progress == [(5, 25), (10, 25), (15, 25), (20, 25), (25, 25)]
    assert count(weaviate_client, unique_collection_name) == 1 + 25 - len(BAD)


def test_concurrent_requests_must_be_a_positive_integer(
    weaviate_client: weaviate.WeaviateClient, unique_collection_name: str
) -> None:
    for bad in (0, True, 1.5):
        with pytest.raises(ConfigError, match="concurrent_requests"):
            WeaviateBackend(
                weaviate_client, unique_collection_name, EMBEDDING, concurrent_requests=bad
            )


class ArrayEmbeddings(Embeddings):
    """Returns one float32 ndarray for a batch, as many embedding libraries do."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return np.asarray(EMBEDDING.embed_documents(texts), dtype=np.float32)  # type: ignore[return-value]

    def embed_query(self, text: str) -> list[float]:
        return EMBEDDING.embed_query(text)


def test_an_ndarray_of_vectors_is_stored_as_given(
    weaviate_client: weaviate.WeaviateClient, unique_collection_name: str
) -> None:
    backend = WeaviateBackend(weaviate_client, unique_collection_name, ArrayEmbeddings())
    docs, ids = documents(7, set())
    assert backend.add_documents(docs, ids=ids) == ids
    stored = weaviate_client.collections.use(unique_collection_name).query.fetch_object_by_id(
        object_uuid(ids[3]), include_vector=True
    )
    assert stored is not None
    expected = np.asarray(EMBEDDING.embed_documents([docs[3].page_content])[0], dtype=np.float32)
    assert np.array_equal(np.asarray(stored.vector["default"], dtype=np.float32), expected)
