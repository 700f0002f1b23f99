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
    "could not find enough weaviate nodes for replication" -> ConfigError
    anything else                                     -> BackendError (quoting Weaviate)
```

On a replicated collection the backend also passes the health of the replicas
(`ReplicaHealth`, read from the cluster's node status after the failure). When fewer
replicas of some shard are on healthy nodes than the consistency level needs, the error is
a `ConsistencyError` naming the level, the replicas needed and answered, the nodes that
are down and what to do, whatever Weaviate's own message was (often only a deadline).

Objects that Weaviate refuses one by one in a batch insert are not exceptions: they
become an `IngestError` in `schema.insert_objects`, which maps a request that
fails as a whole through this module too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

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

if TYPE_CHECKING:
    from weaviate.collections.classes.cluster import Node

from langchain_hybrid.errors import (
    BackendError,
    CollectionNotFoundError,
    ConfigError,
    ConsistencyError,
    HybridSearchError,
    SchemaMismatchError,
    ServerUnavailableError,
)

__all__ = [
    "ReplicaHealth",
    "is_replication_failure",
    "map_weaviate_error",
    "replica_health",
    "required_replicas",
    "server_address",
]


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


# Fragments of v1.39.3's messages when a cluster cannot serve a request at its level:
# too few replicas answered, or no Raft leader (most nodes down) to order the write.
_REPLICATION_FAILURES: Final = (
    "cannot achieve consistency level",
    "cannot reach enough replicas",
    "not enough replicas",
    "leader not found",
    "can not resolve nodes",
)


def is_replication_failure(text: str) -> bool:
    """Whether a Weaviate message says the cluster could not serve the request's level.

    Example:
        >>> is_replication_failure("failed to execute query: leader not found")
        True
    """
    lowered = text.lower()
    return any(fragment in lowered for fragment in _REPLICATION_FAILURES)


def required_replicas(level: str, factor: int) -> int:
    """Replicas of each shard that a consistency level needs, with `factor` copies.

    Example:
        >>> [required_replicas(level, 3) for level in ("ONE", "QUORUM", "ALL")]
        [1, 2, 3]
    """
    return {"ONE": 1, "QUORUM": factor // 2 + 1}.get(level, factor)


@dataclass(frozen=True)
class ReplicaHealth:
    """Which replicas of a collection were reachable when a request failed.

    Attributes:
        level: consistency level of the request (`"ONE"`, `"QUORUM"`, `"ALL"`).
        factor: the collection's replication factor.
        shards: the collection's shard count.
        live_replicas: shard name -> replicas of it on nodes that answered the status
            request (shards with none are missing: unreachable nodes report nothing).
        down: name -> status of every node that is not `HEALTHY`.
    """

    level: str
    factor: int
    shards: int
    live_replicas: Mapping[str, int] = field(default_factory=dict)
    down: Mapping[str, str] = field(default_factory=dict)

    @property
    def required(self) -> int:
        """Replicas of each shard the level needs."""
        return required_replicas(self.level, self.factor)

    @property
    def answered(self) -> int:
        """Reachable replicas of the worst-off shard."""
        counts: Sequence[int] = list(self.live_replicas.values())
        if len(counts) < self.shards:
            return 0
        return min(counts, default=0)

    @property
    def short(self) -> bool:
        """Whether too few replicas are reachable for the level."""
        return self.answered < self.required


_UNREACHABLE_NODE: Final = frozenset({"UNAVAILABLE", "TIMEOUT"})  # node statuses


def replica_health(
    nodes: Sequence[Node[Any, Any]], collection: str, *, level: str, factor: int, shards: int
) -> ReplicaHealth:
    """The replicas of `collection` on the nodes that answered `client.cluster.nodes`.

    A reachable node serves its replicas even when it is not `HEALTHY` (e.g. it has no
    Raft leader); an `UNAVAILABLE` or `TIMEOUT` node serves none.

    Example:
        >>> replica_health([], "Docs", level="QUORUM", factor=3, shards=1).short
        True
    """
    live: dict[str, int] = {}
    down: dict[str, str] = {}
    for node in nodes:
        if node.status != "HEALTHY":
            down[node.name] = node.status
        if node.status in _UNREACHABLE_NODE:
            continue
        for shard in node.shards or []:
            if shard.collection == collection:
                live[shard.name] = live.get(shard.name, 0) + 1
    return ReplicaHealth(level=level, factor=factor, shards=shards, live_replicas=live, down=down)


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


def _consistency(f: _Failure, health: ReplicaHealth) -> ConsistencyError:
    down = ", ".join(f"{name} ({status})" for name, status in sorted(health.down.items()))
    writes = f.operation in {"insert", "delete"}
    if writes and "leader not found" in f.text.lower():
        advice = (
            "Most nodes are down, so the cluster has no Raft leader and accepts no writes at "
            "any level; bring nodes back until a majority runs, then write again (re-adding "
            "the same ids is idempotent)"
        )
    elif writes:
        advice = (
            "Bring the nodes back (they catch up by themselves), or write with "
            "consistency_level='ONE'; re-adding the same ids is idempotent"
        )
    else:
        advice = (
            "Bring the nodes back (they catch up by themselves), or search with "
            "consistency_level='ONE', which reads any live replica (possibly stale)"
        )
    return ConsistencyError(
        f"{f.operation} on {f.where} could not meet consistency level {health.level}: it needs "
        f"{health.required} of the {health.factor} replicas of each shard, and "
        f"{health.answered} answered (nodes not healthy: {down or 'none'}). {advice}. "
        f"Weaviate said: {f.text}",
        level=health.level,
        required=health.required,
        answered=health.answered,
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
        ("could not find enough weaviate nodes for replication",),
        lambda f: ConfigError(
            f"{f.operation} on {f.where}: the replication factor is larger than the number of "
            f"nodes; lower replication_factor, or add nodes (Weaviate: {f.text})"
        ),
    ),
    (
        ("tenant", "not active"),
        lambda f: BackendError(f"tenant {f.tenant!r} of {f.collection!r} is not active: {f.text}"),
    ),
)


def _by_type(exc: WeaviateBaseError, f: _Failure) -> HybridSearchError | None:
    """The error for the exception classes that say enough by themselves."""
    if isinstance(exc, _SERVER_ERRORS):
        return _unreachable(f)
    if isinstance(exc, (AuthenticationFailedError, InsufficientPermissionsError)):
        return BackendError(
            f"Weaviate at {f.server} refused the {f.operation} on {f.where}: {f.text}"
        )
    if isinstance(exc, (WeaviateUnsupportedFeatureError, WeaviateInvalidInputError)):
        return ConfigError(f"{f.operation} on {f.where}: {f.text}")
    return None


def map_weaviate_error(
    exc: WeaviateBaseError,
    *,
    server: str,
    collection: str,
    tenant: str | None = None,
    operation: str = "request",
    vector_size: int | None = None,
    replicas: ReplicaHealth | None = None,
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
        replicas: the health of the collection's replicas, for a replicated collection.

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
    if replicas is not None and replicas.short:
        # Whatever Weaviate said (often only a deadline): too few replicas were up.
        return _consistency(failure, replicas)
    by_type = _by_type(exc, failure)
    if by_type is not None:
        return by_type
    lowered = failure.text.lower()
    for fragments, build in _MESSAGE_RULES:
        if all(fragment in lowered for fragment in fragments):
            return build(failure)
    return BackendError(f"Weaviate {operation} on {failure.where} failed: {failure.text}")
