"""Tests of the Weaviate test harness itself, against a real server (no mocks)."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import weaviate
from weaviate.classes.config import Configure, DataType, Property
from weaviate.classes.init import Auth
from weaviate.classes.query import MetadataQuery
from weaviate.exceptions import WeaviateConnectionError
from weaviate_server import DEFAULT_VERSION, WeaviateServer

if TYPE_CHECKING:
    from conftest import WeaviateHandle
    from weaviate.collections import Collection

pytestmark = pytest.mark.weaviate

DOCS = [
    ("the cat sat on the mat", [1.0, 0.0, 0.0]),
    ("dogs chase cats in the park", [0.0, 1.0, 0.0]),
    ("stock markets fell sharply today", [0.0, 0.0, 1.0]),
]


def _create(client: weaviate.WeaviateClient, name: str) -> Collection:
    collection = client.collections.create(
        name,
        vector_config=Configure.Vectors.self_provided(),
        properties=[Property(name="text", data_type=DataType.TEXT)],
    )
    for text, vector in DOCS:
        collection.data.insert({"text": text}, vector=vector)
    return collection


def test_server_is_ready(weaviate_server: WeaviateHandle) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(weaviate_server.url + "/v1/.well-known/ready", timeout=5) as response:
        assert response.status == 200
    with weaviate_server.connect() as client:
        assert client.is_ready()
        if weaviate_server.kind != "external":
            assert client.get_meta()["version"] == DEFAULT_VERSION


def test_hybrid_query_with_own_vectors(
    weaviate_client: weaviate.WeaviateClient, unique_collection_name: str
) -> None:
    collection = _create(weaviate_client, unique_collection_name)

    result = collection.query.hybrid(
        query="cat mat",
        vector=[1.0, 0.0, 0.0],
        alpha=0.5,
        limit=3,
        return_metadata=MetadataQuery(score=True, explain_score=True),
    )

    texts = [obj.properties["text"] for obj in result.objects]
    assert texts[0] == "the cat sat on the mat"
    assert set(texts) <= {text for text, _ in DOCS}
    top = result.objects[0].metadata
    assert top.score is not None
    assert top.score > 0
    assert top.explain_score  # the fusion explanation is returned


def test_stop_then_restart_keeps_data(
    weaviate_server: WeaviateHandle, unique_collection_name: str
) -> None:
    with weaviate_server.connect() as client:
        _create(client, unique_collection_name)

    client = weaviate_server.connect()
    try:
        weaviate_server.stop()
        # REST calls fail at once; gRPC queries would first retry for about a minute.
        assert not client.is_ready()
        with pytest.raises(WeaviateConnectionError):
            client.collections.list_all()
    finally:
        client.close()

    weaviate_server.start()
    with weaviate_server.connect() as client:
        collection = client.collections.get(unique_collection_name)
        texts = {obj.properties["text"] for obj in collection.query.fetch_objects().objects}
        assert texts == {text for text, _ in DOCS}
        result = collection.query.hybrid(query="stock markets", vector=[0.0, 0.0, 1.0], alpha=0.5)
        assert result.objects[0].properties["text"] == "stock markets fell sharply today"


def test_api_key_authentication(weaviate_binary: Path) -> None:
    with WeaviateServer(binary=weaviate_binary, api_keys=["test-secret"]) as server:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with pytest.raises(urllib.error.HTTPError) as anonymous:
            opener.open(server.url + "/v1/schema", timeout=5)
        assert anonymous.value.code == 401
        anonymous.value.close()

        with weaviate.connect_to_local(
            host=server.http_host,
            port=server.http_port,
            grpc_port=server.grpc_port,
            auth_credentials=Auth.api_key("test-secret"),
        ) as client:
            assert client.is_ready()
            assert client.collections.list_all() == {}


def test_docker_compose_pins_the_same_version() -> None:
    compose = (Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text()
    assert f"semitechnologies/weaviate:{DEFAULT_VERSION}\n" in compose
