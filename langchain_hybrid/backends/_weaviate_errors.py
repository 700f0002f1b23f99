"""weaviate-client exceptions -> this package's tree (`langchain_hybrid.errors`).

The one place where the Weaviate backend translates a weaviate-client exception;
callers always `raise map_weaviate_error(exc, ...) from exc`. The most specific match
wins:

```
weaviate-client exception                             -> langchain_hybrid exception
WeaviateClosedClientError                             -> ServerUnavailableError (connect first)
WeaviateConnectionError, WeaviateGRPCUnavailableError,
WeaviateRetryError, WeaviateTimeoutError,
WeaviateStartUpError                                  -> ServerUnavailableError
AuthenticationFailedError, InsufficientPermissionsError -> BackendError (refused)
WeaviateUnsupportedFeatureError, WeaviateInvalidInputError -> ConfigError
any other WeaviateBaseError, by its message (gRPC status details, fragments of v1.39.3):
    "unavailable" + "failed to connect" / "connection refused" / "connection reset"
                                                      -> ServerUnavailableError
    "tenant not found", "could not find class"        -> CollectionNotFoundError
    "multi-tenancy enabled, but request was without tenant",
    "multi-tenancy disabled, but request was with tenant",
    "does not have named vector", "no such prop",
    "requires inverted index"                         -> ConfigError
    "vector lengths don't match", "dimensions do not match"
                                                      -> SchemaMismatchError
    "tenant" + "not active"                           -> BackendError
    anything else                                     -> BackendError (quoting Weaviate)
```

Objects that Weaviate refuses one by one in a batch insert are not exceptions: they
become an `IngestError` in `_weaviate_schema.insert_objects`, which maps a request that
fails as a whole through this module too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from weaviate.exceptions import (
    AuthenticationFailedError,
    InsufficientPermissionsError,
    WeaviateBaseError,
    WeaviateClosedClientError,
    WeaviateConnectionError,
    WeaviateGRPCUnavailableError,
    WeaviateInvalidInputError,
    WeaviateRetryError,
    WeaviateStartUpError,
    WeaviateTimeoutError,
    WeaviateUnsupportedFeatureError,
)

from langchain_hybrid.errors import (
    BackendError,
    CollectionNotFoundError,
    ConfigError,
    HybridSearchError,
    SchemaMismatchError,
    ServerUnavailableError,
)

__all__ = ["map_weaviate_error", "server_address"]


def server_address(client: object) -> str:
    """`http://host:port (gRPC host:port)` of a client, for messages; best effort."""
    connection = getattr(client, "_connection", None)
    url = getattr(connection, "url", None)
    grpc = getattr(getattr(connection, "_connection_params", None), "grpc", None)
    if url is None:
        return "the Weaviate server"
    if grpc is not None:
        return f"{url} (gRPC {grpc.host}:{grpc.port})"
    return str(url)


_SERVER_ERRORS: Final = (
    WeaviateConnectionError,
    WeaviateGRPCUnavailableError,
    WeaviateRetryError,
    WeaviateTimeoutError,
    WeaviateStartUpError,
)
_UNREACHABLE: Final = ("failed to connect", "connection refused", "connection reset")


@dataclass(frozen=True)
class _Failure:
    """A weaviate-client exception and what the request was, for the message."""

    text: str
    server: str
    collection: str
    tenant: str | None
    operation: str
    vector_size: int | None

    @property
    def where(self) -> str:
        tenant = f", tenant {self.tenant!r}" if self.tenant else ""
        return f"collection {self.collection!r}{tenant}"


def _unreachable(f: _Failure) -> HybridSearchError:
    return ServerUnavailableError(
        f"Weaviate server at {f.server} is unreachable ({f.operation} on {f.where}): {f.text}"
    )


def _dimensions(f: _Failure) -> HybridSearchError:
    sent = f"the query vector has {f.vector_size} dimensions, but " if f.vector_size else ""
    return SchemaMismatchError(
        f"{sent}the vectors of {f.where} have another length: the embedding model must be "
        f"the one the collection was built with (Weaviate: {f.text})"
    )


# Weaviate reports most failures only as text (gRPC status details): the first rule whose
# fragments all occur in the lower-cased message decides. Fragments from v1.39.3.
_MESSAGE_RULES: Final[
    tuple[tuple[tuple[str, ...], Callable[[_Failure], HybridSearchError]], ...]
] = (
    *((("unavailable", marker), _unreachable) for marker in _UNREACHABLE),
    (
        ("tenant not found",),
        lambda f: CollectionNotFoundError(
            f"tenant {f.tenant!r} does not exist in collection {f.collection!r} on {f.server}"
        ),
    ),
    (
        ("could not find class",),
        lambda f: CollectionNotFoundError(
            f"collection {f.collection!r} does not exist on {f.server}"
        ),
    ),
    (
        ("multi-tenancy enabled, but request was without tenant",),
        lambda f: ConfigError(
            f"collection {f.collection!r} is multi-tenant: pass tenant= (to the backend, or "
            "per call)"
        ),
    ),
    (
        ("multi-tenancy disabled, but request was with tenant",),
        lambda f: ConfigError(
            f"collection {f.collection!r} is not multi-tenant: do not pass tenant={f.tenant!r}"
        ),
    ),
    (("vector lengths don't match",), _dimensions),
    (("dimensions do not match",), _dimensions),
    (("does not have named vector",), lambda f: ConfigError(f"target_vector: {f.text}")),
    (
        ("no such prop",),
        lambda f: ConfigError(f"{f.operation} on {f.where} names an unknown property: {f.text}"),
    ),
    (
        ("requires inverted index",),
        lambda f: ConfigError(
            f"{f.operation} on {f.where} names a property BM25 cannot search: {f.text}"
        ),
    ),
    (
        ("tenant", "not active"),
        lambda f: BackendError(f"tenant {f.tenant!r} of {f.collection!r} is not active: {f.text}"),
    ),
)


def map_weaviate_error(
    exc: WeaviateBaseError,
    *,
    server: str,
    collection: str,
    tenant: str | None = None,
    operation: str = "request",
    vector_size: int | None = None,
) -> HybridSearchError:
    """The exception of this package's tree for a weaviate-client exception.

    The most specific match wins (see the table in this module's docstring); anything
    not recognised is a `BackendError` that quotes Weaviate's message. Always raise the
    result `from exc`.

    Args:
        exc: the weaviate-client exception.
        server: the server's address, named in `ServerUnavailableError`.
        collection: the collection the request was for.
        tenant: the tenant of the request, if any.
        operation: what was being done (`"hybrid query"`, `"insert"`, ...).
        vector_size: the length of the vector sent, for dimension mismatches.

    Example:
        >>> from weaviate.exceptions import WeaviateConnectionError
        >>> error = map_weaviate_error(
        ...     WeaviateConnectionError("refused"),
        ...     server="http://127.0.0.1:8080",
        ...     collection="Docs",
        ... )
        >>> type(error).__name__
        'ServerUnavailableError'
    """
    failure = _Failure(str(exc), server, collection, tenant, operation, vector_size)
    if isinstance(exc, WeaviateClosedClientError):
        return ServerUnavailableError(
            f"the Weaviate client for {server} is closed; connect it (client.connect()) "
            f"before the {operation}"
        )
    if isinstance(exc, _SERVER_ERRORS):
        return _unreachable(failure)
    if isinstance(exc, (AuthenticationFailedError, InsufficientPermissionsError)):
        return BackendError(
            f"Weaviate at {server} refused the {operation} on {failure.where}: {failure.text}"
        )
    if isinstance(exc, (WeaviateUnsupportedFeatureError, WeaviateInvalidInputError)):
        return ConfigError(f"{operation} on {failure.where}: {failure.text}")
    lowered = failure.text.lower()
    for fragments, build in _MESSAGE_RULES:
        if all(fragment in lowered for fragment in fragments):
            return build(failure)
    return BackendError(f"Weaviate {operation} on {failure.where} failed: {failure.text}")
