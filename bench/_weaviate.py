"""A Weaviate client for the benchmarks: a given server, or a native one started here."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import weaviate

ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def weaviate_client(url: str | None, grpc_port: int = 50051) -> Iterator[weaviate.WeaviateClient]:
    """Connect to `url`, or start the test suite's native Weaviate when `url` is None."""
    if url:
        parsed = urlparse(url)
        client = weaviate.connect_to_custom(
            http_host=parsed.hostname or "127.0.0.1",
            http_port=parsed.port or 8080,
            http_secure=parsed.scheme == "https",
            grpc_host=parsed.hostname or "127.0.0.1",
            grpc_port=grpc_port,
            grpc_secure=parsed.scheme == "https",
        )
        try:
            yield client
        finally:
            client.close()
        return
    sys.path.insert(0, str(ROOT / "tests"))
    from weaviate_server import WeaviateServer  # noqa: PLC0415 - lives with the tests

    with WeaviateServer() as server:
        client = weaviate.connect_to_custom(
            http_host=server.http_host,
            http_port=server.http_port,
            http_secure=False,
            grpc_host=server.http_host,
            grpc_port=server.grpc_port,
            grpc_secure=False,
        )
        try:
            yield client
        finally:
            client.close()
