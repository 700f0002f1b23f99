"""Queries per second of `batch` against a loop of `invoke`, on the default retriever.

Usage:
    python bench/batch.py [--size 100000] [--queries 600] [--batch-sizes 16,64,600]
                          [--data ../shared/data/beir]

The default retriever (tantivy + NumpyVectorStore, k 10, 100 per leg) over the speed
benchmark's corpus (`bench/_corpus.py`) with lookup embeddings (`TableEmbeddings`: the
model costs nothing, so what is measured is the retriever). Every query runs through a
loop of `invoke` and through `batch` in chunks of each batch size; the batched results
must equal the invoked ones, which is checked. One BLAS thread, as in bench/speed.py.

Outputs: a table on stdout, `bench/results/batch.json`, and the section `batch` of
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from typing import Any, Final

# One BLAS thread, as every number of bench/speed.py (set before numpy is imported).
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import _workload as workload
from _publish import ROOT, provenance, write_section

from langchain_hybrid import HybridRetriever

RESULTS: Final = ROOT / "bench" / "results" / "batch.json"
DIMENSIONS: Final = 64  # as bench/speed.py
TARGET: Final = 3.0  # batch must answer at least 3x the queries/s of an invoke loop


def qps(run: Any, queries: list[str], batch_size: int | None) -> tuple[float, list[Any]]:
    """Queries per second over all `queries` (a loop of `run` if `batch_size` is None)."""
    started = time.perf_counter()
    if batch_size is None:
        results = [run(query) for query in queries]
    else:
        results = []
        for start in range(0, len(queries), batch_size):
            results.extend(run(queries[start : start + batch_size]))
    return len(queries) / (time.perf_counter() - started), results


def markdown(report: dict[str, Any]) -> str:
    """The docs/benchmarks.md section."""
    lines = [
        "### Batch queries",
        "",
        (
            f"`retriever.batch(queries)` against a loop of `invoke`, default retriever (k 10, "
            f"100 per leg), {report['size']:,} documents of the speed benchmark's corpus "
            f"({report['corpus']}), {report['queries']} queries, lookup embeddings "
            f"({DIMENSIONS} dimensions), one BLAS thread, {report['cores']} cores "
            f"(commit `{report['commit']}`, {report['date']}, {report['machine']}). The "
            "batched results equal the invoked ones (checked by the benchmark and by "
            "`tests/unit_tests/test_batch.py`)."
        ),
        "",
        "| how | queries/s | vs invoke loop | target (>= 3x) |",
        "|---|---:|---:|---|",
        f"| loop of `invoke` | {report['invoke_qps']:.0f} | 1.00x | |",
    ]
    for size, row in report["batch"].items():
        verdict = "met" if row["ratio"] >= TARGET else "**missed**"
        lines.append(
            f"| `batch`, {size} per call | {row['qps']:.0f} | {row['ratio']:.2f}x | {verdict} |"
        )
    lines += ["", f"Reproduce: `{report['command']}` (results in `bench/results/batch.json`)."]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; exit 1 if the largest batch misses the target."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--batch-sizes", default="16,64,600", help="comma-separated")
    workload.add_arguments(parser, queries=600, results=RESULTS)
    args = parser.parse_args(argv)
    argv = argv if argv is not None else sys.argv[1:]

    loaded = workload.load(args, DIMENSIONS)
    corpus, docs, embeddings, queries = (
        loaded.corpus,
        loaded.documents,
        loaded.embeddings,
        loaded.queries,
    )
    retriever = HybridRetriever.from_documents(docs, embeddings, k=10)
    retriever.batch(queries[:50])  # warm up
    invoke_qps, expected = qps(retriever.invoke, queries, None)
    print(f"invoke loop: {invoke_qps:.0f} queries/s")
    batch: dict[str, Any] = {}
    for size in (int(s) for s in args.batch_sizes.split(",")):
        rate, found = qps(retriever.batch, queries, size)
        if found != expected:
            msg = f"batch of {size} differs from invoke: a bug, not a measurement"
            raise RuntimeError(msg)
        batch[str(size)] = {"qps": rate, "ratio": rate / invoke_qps}
        print(f"batch of {size}: {rate:.0f} queries/s ({rate / invoke_qps:.2f}x)")
    report = {
        "size": args.size,
        "corpus": corpus.label,
        "queries": len(queries),
        "cores": os.cpu_count(),
        "invoke_qps": invoke_qps,
        "batch": batch,
        **provenance(),
        "command": " ".join(["python bench/batch.py", *argv]),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    if not args.no_docs:
        write_section("batch", markdown(report))
    best = max(row["ratio"] for row in batch.values())
    return 0 if best >= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
