"""The same retriever on a 3-node Weaviate cluster: replication, shards, node loss.

Real parts only: three Weaviate nodes of the binary the suite builds, on loopback
(`weaviate_cluster` in conftest.py), the SciFact slice of `tests/data` with its
precomputed all-MiniLM-L6-v2 vectors, and `kill -9` (SIGKILL) for a node loss. The
client always talks to node 1; the tests kill node 3 (and node 2), so what is measured is
the cluster's replication, not a client failing over. Loops are bounded by a request
count, never by waiting on the server; timings are reported, not asserted (the
figures with many more requests are in docs/reliability.md, from bench/cluster.py).
"""

from __future__ import annotations

import contextlib
import ipaddress
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from weaviate.classes.config import ConsistencyLevel
from weaviate.classes.init import AdditionalConfig, Timeout

from langchain_hybrid import HybridRetriever
from langchain_hybrid.errors import (
    BackendError,
    ConfigError,
    ConsistencyError,
    SchemaMismatchError,
)
from langchain_hybrid.evaluation import PrecomputedEmbeddings, load_beir, to_documents

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import weaviate
    from langchain_core.documents import Document
    from weaviate_server import WeaviateCluster

pytestmark = pytest.mark.weaviate

DATA = Path(__file__).resolve().parent.parent / "data" / "scifact_slice"
DOCUMENTS = 600  # of the slice's 1,500: enough for 3 shards, quick to ingest three times
QUERIES = 20
LEVELS = ("ONE", "QUORUM", "ALL")
# Short client timeouts keep the failure paths quick: a request that waits on a dead
# replica gives up after this, instead of weaviate-client's 30 s (queries) / 90 s (writes).
FAST_FAIL = AdditionalConfig(timeout=Timeout(init=10, query=8, insert=20))


@pytest.fixture(scope="module")
def scifact() -> tuple[list[Document], list[str], PrecomputedEmbeddings]:
    corpus, queries, _ = load_beir(DATA, "test")
    embeddings = PrecomputedEmbeddings.from_beir(DATA, corpus=corpus, queries=queries)
    documents = to_documents(corpus)[:DOCUMENTS]
    return documents, list(queries.values())[:QUERIES], embeddings


@pytest.fixture
def collection_name(
    weaviate_cluster: WeaviateCluster, cluster_client: weaviate.WeaviateClient
) -> Iterator[str]:
    name = f"Cluster_{time.monotonic_ns()}"
    yield name
    weaviate_cluster.ensure_running()  # a schema change needs a Raft majority
    cluster_client.collections.delete(name)


def _node_object_counts(client: weaviate.WeaviateClient, name: str) -> dict[str, int]:
    """Objects each node holds of the collection, summed over its shard replicas."""
    nodes = client.cluster.nodes(collection=name, output="verbose")
    return {
        node.name: sum(s.object_count for s in node.shards or [] if s.collection == name)
        for node in nodes
    }


def _ids(retriever: HybridRetriever, query: str, **options: Any) -> list[str]:
    return [doc.id or "" for doc in retriever.invoke(query, **options)]


def _replicated(
    client: weaviate.WeaviateClient,
    name: str,
    scifact: tuple[list[Document], list[str], PrecomputedEmbeddings],
    **fields: Any,
) -> HybridRetriever:
    documents, _, embeddings = scifact
    retriever = HybridRetriever.from_weaviate(
        client, name, embeddings, create=True, replication_factor=3, shards=3, k=10, **fields
    )
    # At ALL: a QUORUM write returns once 2 of 3 replicas have it, and a search that
    # runs on the third before it catches up would miss the newest objects.
    retriever.backend.add_documents(documents, consistency_level="ALL")  # type: ignore[call-arg]
    return retriever


def _stored_ids(client: weaviate.WeaviateClient, name: str) -> list[str]:
    """Every stored document id, read through one replica per shard (level ONE)."""
    collection = client.collections.use(name).with_consistency_level(ConsistencyLevel.ONE)
    return [str(obj.properties["doc_id"]) for obj in collection.iterator()]


# ---------------------------------------------------------------------------- the cluster


def _sockets(pid: int) -> list[tuple[str, str, str]]:
    """(local address, remote address, TCP state) of every IPv4/IPv6 socket of a process.

    Read from /proc: the socket inodes among the process's open files, looked up in
    /proc/<pid>/net/{tcp,tcp6,udp,udp6}.
    """
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = fd.readlink().name
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    found = []
    for table in ("tcp", "tcp6", "udp", "udp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] in inodes:
                found.append((_address(fields[1]), _address(fields[2]), fields[3]))
    return found


def _address(hex_address: str) -> str:
    host, port = hex_address.split(":")
    raw = bytes.fromhex(host)
    if len(raw) == 4:  # IPv4, little-endian in /proc
        ip = str(ipaddress.IPv4Address(raw[::-1]))
    else:  # IPv6: four little-endian 32-bit words
        words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
        address = ipaddress.IPv6Address(words)
        ip = str(address.ipv4_mapped or address)
    return f"{ip}:{int(port, 16)}"


_LISTEN = "0A"  # TCP state LISTEN in /proc/net/tcp
_ESTABLISHED = "01"


def test_cluster_forms_on_loopback_only(
    weaviate_cluster: WeaviateCluster, node_client: Callable[..., weaviate.WeaviateClient]
) -> None:
    with node_client() as client:
        nodes = client.cluster.nodes()
        assert sorted(n.name for n in nodes) == ["node1", "node2", "node3"]
        assert {n.status for n in nodes} == {"HEALTHY"}
        for node in weaviate_cluster.nodes:
            env = node._environment()
            assert env["CLUSTER_BIND_ADDR"] == env["CLUSTER_ADVERTISE_ADDR"] == "127.0.0.1"
            assert env["CLUSTER_IN_LOCALHOST"] == "true"
            assert env["RAFT_BOOTSTRAP_EXPECT"] == "3"
            assert node.ports["raft_rpc"] == node.ports["raft"] + 1
            assert node.pid is not None
            sockets = _sockets(node.pid)
            # Every connection a node has, to its peers or to us, is on loopback.
            connected = [remote for _, remote, state in sockets if state == _ESTABLISHED]
            assert connected, sockets
            assert all(remote.startswith("127.") for remote in connected), connected
            # Gossip, Raft, Raft RPC and REST listen on 127.0.0.1 only. Weaviate 1.39.3
            # binds gRPC and the internal data port on every interface (":port" in its
            # source, no setting): those two are the only other listeners.
            wide = {
                int(local.rsplit(":", 1)[1])
                for local, _, state in sockets
                if state == _LISTEN and not local.startswith("127.")
            }
            assert wide <= {node.ports["grpc"], node.ports["data"]}, (wide, node.ports)
            loopback = {
                int(local.rsplit(":", 1)[1])
                for local, _, state in sockets
                if state == _LISTEN and local.startswith("127.")
            }
            for purpose in ("gossip", "raft", "raft_rpc", "http"):
                assert node.ports[purpose] in loopback, (purpose, sockets)


# ---------------------------------------------------------------------------- options


def test_from_weaviate_creates_replicated_sharded_collection(
    cluster_client: weaviate.WeaviateClient, collection_name: str, scifact: Any
) -> None:
    retriever = _replicated(cluster_client, collection_name, scifact)

    config = cluster_client.collections.use(collection_name).config.get()
    assert config.replication_config.factor == 3
    assert config.sharding_config is not None
    assert config.sharding_config.actual_count == 3
    # Factor 3 on 3 nodes: every node holds a copy of all 3 shards.
    nodes = cluster_client.cluster.nodes(collection=collection_name, output="verbose")
    for node in nodes:
        assert len([s for s in node.shards or [] if s.collection == collection_name]) == 3
    assert sorted(_stored_ids(cluster_client, collection_name)) == sorted(
        d.id or "" for d in scifact[0]
    )

    # Every level reads the same results, per call and as a field.
    query = scifact[1][0]
    by_level = {level: _ids(retriever, query, consistency_level=level) for level in LEVELS}
    assert len(set(map(tuple, by_level.values()))) == 1, by_level
    assert len(by_level["ONE"]) == 10
    as_field = HybridRetriever.from_weaviate(
        cluster_client, collection_name, scifact[2], consistency_level="all", k=10
    )
    assert as_field.backend.consistency_level == "ALL"  # type: ignore[attr-defined]
    assert _ids(as_field, query) == by_level["ALL"]


def test_writes_take_a_consistency_level(
    cluster_client: weaviate.WeaviateClient, collection_name: str, scifact: Any
) -> None:
    documents, _, embeddings = scifact
    retriever = HybridRetriever.from_weaviate(
        cluster_client, collection_name, embeddings, replication_factor=3, consistency_level="ALL"
    )
    backend = retriever.backend
    assert (
        backend.add_documents(documents[:50], consistency_level="ONE")
        == [  # type: ignore[call-arg]
            d.id for d in documents[:50]
        ]
    )
    retriever.add_documents(documents[50:100])  # the field: ALL
    # Deletes the documents written at ALL: a delete that reached a replica before a
    # write at ONE did would leave that replica with the document (until repair).
    backend.delete([d.id or "" for d in documents[50:60]], consistency_level="QUORUM")  # type: ignore[call-arg]
    # Writes acknowledged by fewer than all three replicas reach the last one shortly
    # after, and a read at ONE may be served by it, so wait for it.
    deadline = time.monotonic() + 30
    while (count := len(_stored_ids(cluster_client, collection_name))) != 90:
        assert time.monotonic() < deadline, f"{count} documents 30 s after the writes, not 90"
        time.sleep(0.5)


def test_existing_collection_must_match_replication_and_shards(
    cluster_client: weaviate.WeaviateClient, collection_name: str, scifact: Any
) -> None:
    _, _, embeddings = scifact
    HybridRetriever.from_weaviate(
        cluster_client, collection_name, embeddings, replication_factor=3, shards=3
    )
    with pytest.raises(SchemaMismatchError) as mismatch:
        HybridRetriever.from_weaviate(
            cluster_client, collection_name, embeddings, replication_factor=2, shards=2
        )
    message = str(mismatch.value)
    assert "replication factor is 3, expected 2" in message
    assert "it has 3 shards, expected 2" in message
    # Unnamed, they are taken as they are.
    HybridRetriever.from_weaviate(cluster_client, collection_name, embeddings)


def test_bad_cluster_options_are_clear_errors(
    cluster_client: weaviate.WeaviateClient, collection_name: str, scifact: Any
) -> None:
    _, queries, embeddings = scifact
    with pytest.raises(ConfigError, match="replication factor is larger than the number of nodes"):
        HybridRetriever.from_weaviate(
            cluster_client, collection_name, embeddings, replication_factor=5
        )
    with pytest.raises(ConfigError, match=r"consistency_level must be one of \['ONE', 'QUORUM'"):
        HybridRetriever.from_weaviate(
            cluster_client, collection_name, embeddings, consistency_level="TWO"
        )
    with pytest.raises(ConfigError, match="replication_factor must be a positive integer"):
        HybridRetriever.from_weaviate(
            cluster_client, collection_name, embeddings, replication_factor=0
        )
    retriever = HybridRetriever.from_weaviate(cluster_client, collection_name, embeddings)
    with pytest.raises(ConfigError, match="consistency_level must be one of"):
        retriever.invoke(queries[0], consistency_level="MOST")


# ---------------------------------------------------------------------------- node loss


def test_reads_survive_a_killed_node_and_agree_at_all_after_restart(
    weaviate_cluster: WeaviateCluster,
    cluster_client: weaviate.WeaviateClient,
    collection_name: str,
    scifact: Any,
) -> None:
    retriever = _replicated(cluster_client, collection_name, scifact, max_retries=2)
    queries = scifact[1]
    reference = {q: _ids(retriever, q, consistency_level="ALL") for q in queries}

    weaviate_cluster.kill(2)  # kill -9 node3
    answered, errors, different, slowest = 0, 0, 0, 0.0
    for round_ in range(3):  # bounded: 3 rounds x 20 queries x 2 levels
        for level in ("ONE", "QUORUM"):
            for query in queries:
                started = time.monotonic()
                try:
                    found = _ids(retriever, query, consistency_level=level)
                except BackendError as error:
                    print(f"error while the loss is noticed: {error}")  # noqa: T201
                    errors += 1
                    continue
                slowest = max(slowest, time.monotonic() - started)
                answered += 1
                if found != reference[query]:
                    different += 1
                    print(  # noqa: T201
                        f"round {round_} {level}: {len(found)} found, "
                        f"{len(set(found) & set(reference[query]))} in common, "
                        f"took {time.monotonic() - started:.2f} s"
                    )
        if round_ == 0:
            print(f"first round after the kill: slowest request {slowest:.2f} s")  # noqa: T201
    print(f"{answered} answered, {errors} errors, slowest {slowest:.2f} s")  # noqa: T201
    assert different == 0  # same results as before the loss, at ONE and QUORUM
    # Only while the cluster notices the loss, and retried (max_retries=2): a handful.
    assert errors <= 3
    assert answered + errors == 3 * 2 * len(queries)

    weaviate_cluster.start_node(2)
    after = {q: _ids(retriever, q, consistency_level="ALL") for q in queries}
    assert after == reference


def test_ingest_at_quorum_loses_nothing_when_a_node_is_killed(
    weaviate_cluster: WeaviateCluster,
    cluster_client: weaviate.WeaviateClient,
    collection_name: str,
    scifact: Any,
) -> None:
    documents, queries, embeddings = scifact
    retriever = HybridRetriever.from_weaviate(
        cluster_client,
        collection_name,
        embeddings,
        replication_factor=3,
        shards=3,
        consistency_level="QUORUM",
        k=10,
        backend_kwargs={"batch_size": 50},
    )
    batches = [documents[i : i + 100] for i in range(0, len(documents), 100)]
    written: list[str] = []
    for index, batch in enumerate(batches):
        if index == 2:
            weaviate_cluster.kill(2)  # kill -9 node3 between two batches of the ingest
        written += retriever.add_documents(batch)  # an IngestError would fail the test

    expected = [d.id or "" for d in documents]
    assert written == expected
    stored = _stored_ids(cluster_client, collection_name)
    assert len(stored) == len(set(stored)) == len(expected)  # nothing duplicated
    assert set(stored) == set(expected)  # nothing lost

    at_quorum = {q: _ids(retriever, q) for q in queries}
    weaviate_cluster.start_node(2)
    # node3 missed 400 writes; Weaviate's async replication copies them to it (every 2 s
    # here, CLUSTER_TEST_ENV). Wait for that repair, bounded, then compare at ALL.
    deadline = time.monotonic() + 120
    while (counts := _node_object_counts(cluster_client, collection_name))["node3"] < len(expected):
        assert time.monotonic() < deadline, f"node3 not repaired within 120 s: {counts}"
        time.sleep(1)
    print(f"objects per node after the repair: {counts}")  # noqa: T201
    assert counts == dict.fromkeys(["node1", "node2", "node3"], len(expected))
    assert {q: _ids(retriever, q, consistency_level="ALL") for q in queries} == at_quorum


def test_two_nodes_down_quorum_fails_clearly(
    weaviate_cluster: WeaviateCluster,
    node_client: Callable[..., weaviate.WeaviateClient],
    collection_name: str,
    cluster_client: weaviate.WeaviateClient,
    scifact: Any,
) -> None:
    retriever = _replicated(cluster_client, collection_name, scifact)
    query = scifact[1][0]
    reference = _ids(retriever, query, consistency_level="ONE")
    with node_client(additional_config=FAST_FAIL) as client:
        # Set up while the cluster is whole: reading the schema needs a Raft majority.
        strict = HybridRetriever.from_weaviate(
            client, collection_name, scifact[2], consistency_level="QUORUM", k=10
        )
        weaviate_cluster.kill(1)
        weaviate_cluster.kill(2)
        with pytest.raises(ConsistencyError) as failed:
            strict.invoke(query)
        error = failed.value
        message = str(error)
        print(message)  # noqa: T201
        assert (error.level, error.required, error.answered) == ("QUORUM", 2, 1)
        assert "could not meet consistency level QUORUM" in message
        assert "needs 2 of the 3 replicas of each shard, and 1 answered" in message
        assert "node2" in message
        assert "node3" in message
        assert "consistency_level='ONE'" in message
        # ONE still reads the surviving replica.
        assert _ids(strict, query, consistency_level="ONE") == reference

        # Writes: 2 of 3 nodes down leaves the cluster without a Raft leader.
        with pytest.raises(ConsistencyError, match="no Raft leader"):
            strict.add_documents(scifact[0][:3])
