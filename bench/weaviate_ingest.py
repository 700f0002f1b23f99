"""Objects/s of `add_documents` into Weaviate against weaviate-client's own batch import.

Usage:
    python bench/weaviate_ingest.py [--size 100000] [--slice 10000] [--batch-size 100]
                                    [--dimensions 64] [--url http://127.0.0.1:8080]
                                    [--profile] [--data ../shared/data/beir]

The speed benchmark's corpus (`bench/_corpus.py`) with precomputed vectors (lookup
embeddings, `TableEmbeddings`: the model costs nothing, so what is measured is the
ingest). Two ways to write the same documents into two new collections of the same
schema (`CollectionSpec`: the text, the id property, self-provided vectors), on one
server:

- ours: `WeaviateBackend.add_documents(documents)`, `batch_size` objects per request,
  progress reported through `progress=`;
- the peer: what the weaviate-client docs recommend, `collection.batch.fixed_size(
  batch_size=...)` (2 concurrent requests, its default) with `batch.add_object(
  properties, uuid, vector)`, the vectors computed first with the same embeddings.

The documents go in slices of `--slice`, each slice written by one system and then by
the other (the first alternating), and each system's time is the sum over its slices:
both collections grow alike, so the index costs of both are alike at every point, and
the load of a shared machine falls on both alike. Both collections must hold every
document afterwards, which is checked. With `--profile` ours is profiled (cProfile, the
top functions printed).

Outputs: a table on stdout, `bench/results/weaviate_ingest.json`, and the section
`weaviate_ingest` of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final

import _workload as workload
import weaviate
from _publish import ROOT, provenance, write_section
from _weaviate import weaviate_client

from langchain_hybrid.backends.weaviate import CollectionSpec, WeaviateBackend, object_uuid

if TYPE_CHECKING:
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings
    from weaviate.collections import Collection

RESULTS: Final = ROOT / "bench" / "results" / "weaviate_ingest.json"
TARGET: Final = 0.8  # ours must reach 0.8x the objects/s of weaviate-client's batch import


def count(client: weaviate.WeaviateClient, name: str) -> int:
    """Objects in a collection (the server's own count)."""
    total = client.collections.use(name).aggregate.over_all(total_count=True).total_count
    return int(total or 0)


def ours(backend: WeaviateBackend, documents: list[Document]) -> float:
    """Seconds for `WeaviateBackend.add_documents` of one slice (one call)."""
    started = time.perf_counter()
    backend.add_documents(documents)
    return time.perf_counter() - started


def peer(
    collection: Collection[Any, Any],
    embeddings: Embeddings,
    documents: list[Document],
    batch_size: int,
) -> float:
    """Seconds for weaviate-client's `batch.fixed_size` import of the same slice."""
    text_key = CollectionSpec().text_key
    started = time.perf_counter()
    vectors = embeddings.embed_documents([d.page_content for d in documents])
    with collection.batch.fixed_size(batch_size=batch_size) as batch:
        for document, vector in zip(documents, vectors, strict=True):
            doc_id = str(document.id)
            batch.add_object(
                properties={text_key: document.page_content, "doc_id": doc_id},
                uuid=object_uuid(doc_id),
                vector=vector,
            )
    elapsed = time.perf_counter() - started
    failed = collection.batch.failed_objects
    if failed:
        msg = f"weaviate-client's batch failed {len(failed)} objects: {failed[0].message}"
        raise RuntimeError(msg)
    return elapsed


def progress(done: int, total: int) -> None:
    """What a user's progress bar would show: here a line per slice, when it is written."""
    if done == total:
        print(f"  ours: {done:,} of {total:,} objects handled", flush=True)


def markdown(report: dict[str, Any]) -> str:
    """The docs/benchmarks.md section."""
    ratio = report["ratio"]
    verdict = "met" if ratio >= TARGET else "**missed**"
    lines = [
        "### Ingest into Weaviate",
        "",
        (
            f"`add_documents` of {report['size']:,} documents of the speed benchmark's corpus "
            f"({report['corpus']}) with precomputed vectors ({report['dimensions']} dimensions, "
            f"lookup embeddings) into a new collection on one native Weaviate "
            f"{report['server']} on loopback, {report['batch_size']} objects per request, "
            f"against weaviate-client {report['client']}'s own `collection.batch.fixed_size("
            f"batch_size={report['batch_size']})` (its default 2 concurrent requests) with the "
            "same vectors, properties, UUIDs and schema. The documents go in calls of "
            f"{report['slice']:,}, each written by one and then by the other (alternating "
            "which goes first), so that both collections grow alike and the load of the "
            f"shared machine falls on both; {report['cores']} cores shared by the client, "
            "the server and other work "
            f"(commit `{report['commit']}`, {report['date']}, {report['machine']}). Both "
            "collections hold every document afterwards (checked)."
        ),
        "",
        "| how | objects/s | seconds | vs weaviate-client | target (>= 0.8x) |",
        "|---|---:|---:|---:|---|",
        (
            f"| weaviate-client `batch.fixed_size` | {report['peer_per_s']:,.0f} | "
            f"{report['peer_s']:.1f} | 1.00x | |"
        ),
        (
            f"| `WeaviateBackend.add_documents` | {report['ours_per_s']:,.0f} | "
            f"{report['ours_s']:.1f} | {ratio:.2f}x | {verdict} |"
        ),
        "",
        (
            "Every slice, seconds: weaviate-client "
            + ", ".join(f"{s:.1f}" for s in report["slices"]["peer"])
            + "; ours "
            + ", ".join(f"{s:.1f}" for s in report["slices"]["ours"])
            + ". The server's indexing (HNSW) is most of the time for both: in a profile "
            "of ours, over 90% is the wait for the server's answers."
        ),
        "",
        (
            "Ours reports progress (`WeaviateBackend(progress=...)`, after every request) "
            "and still lists every document that was not written, with Weaviate's reason "
            "(`IngestError.failed`; `integration_tests/test_weaviate_writes.py`, "
            "`test_weaviate_ingest.py` with requests in flight together, "
            "`test_weaviate_reliability.py::test_server_stopped_during_add_documents`)."
        ),
        "",
        f"Reproduce: `{report['command']}` (results in `bench/results/weaviate_ingest.json`).",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; exit 1 if ours misses the target."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--batch-size", type=int, default=100, help="objects per request")
    parser.add_argument("--dimensions", type=int, default=64, help="vector dimensions")
    parser.add_argument("--slice", type=int, default=10_000, help="documents per call")
    parser.add_argument("--url", default=None, help="a running Weaviate (default: start one)")
    parser.add_argument("--profile", action="store_true", help="profile ours")
    workload.add_arguments(parser, queries=1, results=RESULTS)
    args = parser.parse_args(argv)
    argv = argv if argv is not None else sys.argv[1:]

    loaded = workload.load(args, args.dimensions)
    documents = loaded.documents
    times: dict[str, list[float]] = {"ours": [], "peer": []}
    profile = cProfile.Profile() if args.profile else None
    with weaviate_client(args.url) as client:
        server = str(client.get_meta().get("version", "?"))
        names = {"ours": "IngestBenchOurs", "peer": "IngestBenchPeer"}
        for name in names.values():
            client.collections.delete(name)  # left by an interrupted run
        backend = WeaviateBackend(
            client, names["ours"], loaded.embeddings, batch_size=args.batch_size, progress=progress
        )
        client.collections.create(
            names["peer"], **CollectionSpec().create_arguments(multi_tenancy=False)
        )
        collection = client.collections.use(names["peer"])
        runs: dict[str, Callable[[list[Document]], float]] = {
            "ours": lambda part: ours(backend, part),
            "peer": lambda part: peer(collection, loaded.embeddings, part, args.batch_size),
        }
        for number, start in enumerate(range(0, len(documents), args.slice)):
            part = documents[start : start + args.slice]
            for system in ("peer", "ours") if number % 2 == 0 else ("ours", "peer"):
                if profile is not None and system == "ours":
                    elapsed = profile.runcall(runs[system], part)
                else:
                    elapsed = runs[system](part)
                times[system].append(elapsed)
            print(
                f"{start + len(part):,} documents: weaviate-client "
                f"{len(part) / times['peer'][-1]:,.0f} objects/s, ours "
                f"{len(part) / times['ours'][-1]:,.0f} objects/s",
                flush=True,
            )
        for system, name in names.items():
            written = count(client, name)
            if written != len(documents):
                msg = f"{system}: {written:,} of {len(documents):,} objects written"
                raise RuntimeError(msg)
            client.collections.delete(name)
    if profile is not None:
        stats = pstats.Stats(profile).sort_stats("cumulative")
        stats.print_stats(25)
        stats.sort_stats("tottime").print_stats(15)
    total = {system: sum(t) for system, t in times.items()}
    size = len(documents)
    report = {
        "size": size,
        "corpus": loaded.corpus.label,
        "dimensions": args.dimensions,
        "batch_size": args.batch_size,
        "slice": args.slice,
        "server": server,
        "client": weaviate.__version__,
        "cores": os.cpu_count(),
        "ours_s": total["ours"],
        "peer_s": total["peer"],
        "ours_per_s": size / total["ours"],
        "peer_per_s": size / total["peer"],
        "ratio": total["peer"] / total["ours"],
        "slices": times,
        **provenance(),
        "command": " ".join(["python bench/weaviate_ingest.py", *argv]),
    }
    print(
        f"ours {report['ours_per_s']:,.0f} objects/s, weaviate-client "
        f"{report['peer_per_s']:,.0f} objects/s: {report['ratio']:.2f}x (target {TARGET}x)"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    if not args.no_docs:
        write_section("weaviate_ingest", markdown(report))
    return 0 if report["ratio"] >= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
