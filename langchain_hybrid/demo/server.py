"""Run the demo on a Weaviate server: connect, and (re)load the corpus into a collection.

weaviate-client is imported on use, so the local demo never pays for it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from langchain_hybrid.errors import ConfigError
from langchain_hybrid.retriever import HybridRetriever

if TYPE_CHECKING:
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings
    from weaviate import WeaviateClient

__all__ = ["DEMO_COLLECTION", "INGEST_BATCH", "build_weaviate_retriever", "connect"]

DEMO_COLLECTION: Final = "LangchainHybridDemo"
"""The collection the demo replaces on each run (it holds nothing else)."""
INGEST_BATCH: Final = 250
"""Documents per `add_documents` call, so that the ingestion can report progress."""


def connect(url: str, *, grpc_port: int = 50051) -> WeaviateClient:
    """A connected client for `http(s)://host:port`; `WEAVIATE_API_KEY` is sent if set.

    Raises:
        ConfigError: the URL has no host.
        ServerUnavailableError: nothing answers there.

    Example:
        ```python
        with connect("http://127.0.0.1:8080") as client:
            print(client.get_meta()["version"])
        ```
    """
    import weaviate  # noqa: PLC0415 - seconds to import; only for --weaviate
    from weaviate.classes.init import Auth  # noqa: PLC0415
    from weaviate.exceptions import WeaviateBaseError  # noqa: PLC0415

    from langchain_hybrid.backends.weaviate.errors import map_weaviate_error  # noqa: PLC0415

    parsed = urlsplit(url if "://" in url else f"http://{url}")
    if not parsed.hostname:
        msg = f"--weaviate must be a URL such as http://127.0.0.1:8080, got {url!r}"
        raise ConfigError(msg)
    secure = parsed.scheme == "https"
    api_key = os.environ.get("WEAVIATE_API_KEY")
    try:
        return weaviate.connect_to_custom(
            http_host=parsed.hostname,
            http_port=parsed.port or (443 if secure else 8080),
            http_secure=secure,
            grpc_host=parsed.hostname,
            grpc_port=grpc_port,
            grpc_secure=secure,
            auth_credentials=Auth.api_key(api_key) if api_key else None,
        )
    except WeaviateBaseError as exc:
        server = f"{url} (gRPC port {grpc_port})"
        raise map_weaviate_error(
            exc, server=server, collection=DEMO_COLLECTION, operation="connect"
        ) from exc


def build_weaviate_retriever(
    client: WeaviateClient,
    documents: Sequence[Document],
    embeddings: Embeddings,
    *,
    collection: str = DEMO_COLLECTION,
    k: int = 5,
    progress: Callable[[int, int], None] | None = None,
) -> HybridRetriever:
    """Replace `collection` with the documents and their vectors; return its retriever.

    Documents are sent `INGEST_BATCH` at a time, calling `progress(done, total)` after each.

    Example:
        ```python
        with connect("http://127.0.0.1:8080") as client:
            retriever = build_weaviate_retriever(client, load_corpus(), load_minilm())
            retriever.invoke("ENOENT")
        ```
    """
    from weaviate.exceptions import WeaviateBaseError  # noqa: PLC0415

    from langchain_hybrid.backends.weaviate.errors import (  # noqa: PLC0415
        map_weaviate_error,
        server_address,
    )

    try:
        # A fresh collection every run: an older demo corpus or model must not linger.
        client.collections.delete(collection)
    except WeaviateBaseError as exc:
        raise map_weaviate_error(
            exc, server=server_address(client), collection=collection, operation="delete"
        ) from exc
    retriever = HybridRetriever.from_weaviate(client, collection, embeddings, k=k)
    for start in range(0, len(documents), INGEST_BATCH):
        retriever.add_documents(list(documents[start : start + INGEST_BATCH]))
        if progress is not None:
            progress(min(start + INGEST_BATCH, len(documents)), len(documents))
    return retriever
