"""Replication options of the Weaviate backend that need no server: validation, the
collection arguments, and how a consistency failure is explained.

The behaviour on a real cluster (node loss, repair, two nodes down) is tested in
tests/integration_tests/test_weaviate_cluster.py.
"""

from __future__ import annotations

import pytest
from weaviate.classes.config import ConsistencyLevel
from weaviate.exceptions import WeaviateQueryError

from langchain_hybrid.backends.weaviate.errors import ReplicaHealth, map_weaviate_error
from langchain_hybrid.backends.weaviate.options import consistency_level, option_kwargs
from langchain_hybrid.backends.weaviate.schema import CollectionInfo, CollectionSpec
from langchain_hybrid.errors import BackendError, ConfigError, ConsistencyError


@pytest.mark.parametrize("value", ["one", "Quorum", "ALL", ConsistencyLevel.ALL])
def test_consistency_levels_are_read_in_any_case(value: object) -> None:
    assert consistency_level(value).value in {"ONE", "QUORUM", "ALL"}


@pytest.mark.parametrize("value", ["TWO", "", 2, None])
def test_a_bad_consistency_level_names_the_allowed_ones(value: object) -> None:
    with pytest.raises(ConfigError, match=r"one of \['ONE', 'QUORUM', 'ALL'\]"):
        consistency_level(value)


def test_consistency_level_selects_the_handle_and_is_not_a_hybrid_argument() -> None:
    assert option_kwargs({"consistency_level": "ONE"}, CollectionSpec()) == {
        "query_properties": ["text"]
    }


def test_replication_and_shards_shape_a_new_collection() -> None:
    arguments = CollectionSpec(replication_factor=3, shards=3).create_arguments(multi_tenancy=False)
    assert arguments["replication_config"].factor == 3
    assert arguments["sharding_config"].desiredCount == 3
    plain = CollectionSpec().create_arguments(multi_tenancy=False)
    assert "replication_config" not in plain  # the server's default
    assert "sharding_config" not in plain
    with pytest.raises(ConfigError, match="multi-tenant"):
        CollectionSpec(shards=2).create_arguments(multi_tenancy=True)


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "3"])
def test_replication_factor_and_shards_must_be_positive_integers(bad: object) -> None:
    with pytest.raises(ConfigError, match="replication_factor must be a positive integer"):
        CollectionSpec(replication_factor=bad)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="shards must be a positive integer"):
        CollectionSpec(shards=bad)  # type: ignore[arg-type]


def test_collection_info_keeps_replication_when_properties_are_added() -> None:
    info = CollectionInfo(replication_factor=3, shards=3)
    assert info.with_properties({}).replication_factor == 3


def _health(level: str, live: dict[str, int], down: dict[str, str]) -> ReplicaHealth:
    return ReplicaHealth(level=level, factor=3, shards=3, live_replicas=live, down=down)


def test_replica_counts() -> None:
    one_node_left = _health("QUORUM", {"a": 1, "b": 1, "c": 1}, {"node2": "UNAVAILABLE"})
    assert (one_node_left.required, one_node_left.answered, one_node_left.short) == (2, 1, True)
    assert not _health("ONE", {"a": 1, "b": 1, "c": 1}, {}).short
    # A shard that no reachable node reported has no live replica.
    assert _health("ONE", {"a": 2, "b": 2}, {}).answered == 0
    assert _health("ALL", {"a": 3, "b": 3, "c": 3}, {}).required == 3


def _map(text: str, health: ReplicaHealth | None, operation: str = "hybrid query") -> Exception:
    return map_weaviate_error(
        WeaviateQueryError(text, "GRPC search"),
        server="http://127.0.0.1:8080",
        collection="Docs",
        operation=operation,
        replicas=health,
    )


def test_too_few_replicas_is_a_consistency_error_whatever_weaviate_said() -> None:
    health = _health(
        "QUORUM", {"a": 1, "b": 1, "c": 1}, {"node2": "UNAVAILABLE", "node3": "TIMEOUT"}
    )
    error = _map("Deadline Exceeded", health)
    assert isinstance(error, ConsistencyError)
    assert (error.level, error.required, error.answered) == ("QUORUM", 2, 1)
    message = str(error)
    assert "could not meet consistency level QUORUM" in message
    assert "needs 2 of the 3 replicas of each shard, and 1 answered" in message
    assert "node2 (UNAVAILABLE), node3 (TIMEOUT)" in message
    assert "consistency_level='ONE'" in message
    assert "Deadline Exceeded" in message  # Weaviate's own words are kept


def test_a_write_without_a_raft_leader_says_so() -> None:
    health = _health("QUORUM", {"a": 1, "b": 1, "c": 1}, {"node2": "UNAVAILABLE"})
    error = _map("failed to execute query: leader not found", health, operation="insert")
    assert isinstance(error, ConsistencyError)
    assert "no Raft leader" in str(error)
    assert "idempotent" in str(error)


def test_enough_replicas_leaves_the_usual_mapping() -> None:
    healthy = _health("QUORUM", {"a": 3, "b": 3, "c": 3}, {})
    error = _map("something else broke", healthy)
    assert type(error) is BackendError
    assert "something else broke" in str(error)
