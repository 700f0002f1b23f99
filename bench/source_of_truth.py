"""What the query-time source-of-truth check costs: hybrid p50 with and without it.

Usage:
    python bench/source_of_truth.py [--size 100000] [--queries 300] [--rounds 3]
                                    [--stores numpy,faiss] [--data ../shared/data/beir]

The local backend looks up the keyword leg's hits that the vector leg did not return in
the vector store (one batched `get_by_ids` per query), so that a document the store no
longer holds is never served. This runs the default retriever (tantivy + NumpyVectorStore,
and over FAISS) on the speed benchmark's corpus (`bench/_corpus.py`: real BEIR text, then
synthetic text with its statistics; fake table-lookup embeddings, so the model costs
nothing) twice over the same two legs: `check_keyword_hits=True` (the default) and
`False` (the keyword index's own copies, as before the check existed). Each query runs
on both, in alternating order, `--rounds` times; p50 over all samples. Both must return
the same documents (the legs are in sync), which is checked.

Outputs: a table on stdout, `bench/results/source_of_truth.json`, and the section
`source-of-truth` of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

# One BLAS thread, as every number of bench/speed.py (set before numpy is imported).
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import _workload as workload
import numpy as np
from _corpus import TableEmbeddings
from _publish import provenance, write_section
from langchain_core.documents import Document
from langchain_core.vectorstores import VectorStore

from langchain_hybrid import HybridRetriever, LocalBackend, NumpyVectorStore
from langchain_hybrid.keyword_index import TantivyIndex
from langchain_hybrid.vector_leg import VectorLeg

with warnings.catch_warnings():  # langchain-community warns that it is being sunset
    warnings.simplefilter("ignore")
    from langchain_community.vectorstores import FAISS

ROOT: Final = Path(__file__).resolve().parent.parent
RESULTS: Final = ROOT / "bench" / "results" / "source_of_truth.json"
DIMENSIONS: Final = 384
TARGET: Final = 1.10  # the check may cost at most 10% of hybrid p50


def store_for(kind: str, docs: list[Document], embeddings: TableEmbeddings) -> VectorStore:
    """The vector store of `kind`, holding `docs`."""
    if kind == "numpy":
        store = NumpyVectorStore(embeddings)
        store.add_documents(docs)
        return store
    vectors = embeddings.embed_documents([doc.page_content for doc in docs])
    return FAISS.from_embeddings(
        list(zip([doc.page_content for doc in docs], np.asarray(vectors).tolist(), strict=True)),
        embeddings,
        ids=[doc.id or "" for doc in docs],
    )


def p50_ms(samples: Sequence[float]) -> float:
    """Median in milliseconds."""
    return float(np.percentile(np.asarray(samples) * 1000, 50))


def measure(
    keyword: TantivyIndex, store: VectorStore, queries: list[str], rounds: int
) -> dict[str, Any]:
    """Hybrid latency with and without the check, interleaved query by query."""
    vector = VectorLeg(store)
    checked = HybridRetriever(backend=LocalBackend(keyword, vector), k=10)
    unchecked = HybridRetriever(
        backend=LocalBackend(keyword, vector, check_keyword_hits=False), k=10
    )
    looked_up: list[int] = []
    original = store.get_by_ids

    def counting(ids: Sequence[str], /) -> list[Document]:
        looked_up.append(len(ids))
        return original(ids)

    for query in queries[:20]:  # warm up both; in-sync legs give the same results
        if checked.invoke(query) != unchecked.invoke(query):
            msg = f"the two modes disagree on {query!r}: the legs are out of sync"
            raise RuntimeError(msg)
    samples: dict[str, list[float]] = {"checked": [], "unchecked": []}
    for round_ in range(rounds):
        for i, query in enumerate(queries):
            order = ("checked", "unchecked") if (i + round_) % 2 else ("unchecked", "checked")
            for name in order:
                retriever = checked if name == "checked" else unchecked
                started = time.perf_counter()
                retriever.invoke(query)
                samples[name].append(time.perf_counter() - started)
    store.get_by_ids = counting  # type: ignore[method-assign]
    try:
        for query in queries:
            checked.invoke(query)
    finally:
        del store.get_by_ids
    p50 = {name: p50_ms(values) for name, values in samples.items()}
    return {
        "samples_per_mode": len(samples["checked"]),
        "p50_ms": p50,
        "ratio": p50["checked"] / p50["unchecked"],
        "lookups_per_query": len(looked_up) / len(queries),
        "ids_per_lookup": float(np.mean(looked_up)) if looked_up else 0.0,
    }


def markdown(report: dict[str, Any]) -> str:
    """The docs/benchmarks.md section."""
    lines = [
        "### The source-of-truth check",
        "",
        (
            "The local backend looks up the keyword leg's hits that the vector leg did not "
            "return in the vector store (one batched `get_by_ids` per query), so a document "
            "the store no longer holds is never served. Its cost on the default retriever "
            f"(k 10, 100 per leg), {report['size']:,} documents of the speed benchmark's "
            f"corpus ({report['corpus']}), {report['queries']} queries x {report['rounds']} "
            f"rounds, both modes interleaved (commit `{report['commit']}`, {report['date']}, "
            f"{report['machine']}). Unchecked is how queries ran before the check: the "
            "keyword index's own copies, decoded from tantivy for the top k:"
        ),
        "",
        (
            "| vector store | hybrid p50, checked | unchecked | ratio | lookups / query "
            "| ids per lookup | target (<= 1.10x) |"
        ),
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name, row in report["stores"].items():
        verdict = "met" if row["ratio"] <= TARGET else "**missed**"
        lines.append(
            f"| {name} | {row['p50_ms']['checked']:.2f} ms | {row['p50_ms']['unchecked']:.2f} ms "
            f"| {row['ratio']:.3f}x | {row['lookups_per_query']:.2f} "
            f"| {row['ids_per_lookup']:.1f} | {verdict} |"
        )
    lines += [
        "",
        f"Reproduce: `{report['command']}` (results in `bench/results/source_of_truth.json`).",
    ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; exit 1 if a store misses the target."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3, help="times each query runs")
    parser.add_argument("--stores", default="numpy,faiss", help="numpy and/or faiss")
    workload.add_arguments(parser, queries=300, results=RESULTS)
    args = parser.parse_args(argv)
    argv = argv if argv is not None else sys.argv[1:]

    loaded = workload.load(args, DIMENSIONS)
    corpus, docs, embeddings, queries = (
        loaded.corpus,
        loaded.documents,
        loaded.embeddings,
        loaded.queries,
    )
    started = time.perf_counter()
    keyword = TantivyIndex()
    keyword.add(docs, [doc.id or "" for doc in docs])
    print(f"keyword index: {len(docs):,} documents in {time.perf_counter() - started:.1f} s")

    stores: dict[str, Any] = {}
    for kind in args.stores.split(","):
        store = store_for(kind, docs, embeddings)
        row = measure(keyword, store, queries, args.rounds)
        stores[kind] = row
        print(
            f"{kind:>6}: checked p50 {row['p50_ms']['checked']:.2f} ms, unchecked "
            f"{row['p50_ms']['unchecked']:.2f} ms, ratio {row['ratio']:.3f}x, "
            f"{row['ids_per_lookup']:.1f} ids per lookup"
        )
        del store
    report = {
        "size": args.size,
        "corpus": corpus.label,
        "queries": len(queries),
        "rounds": args.rounds,
        "stores": stores,
        **provenance(),
        "command": "python bench/source_of_truth.py " + " ".join(argv or []),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    if not args.no_docs:
        write_section("source-of-truth", markdown(report))
    return 0 if all(row["ratio"] <= TARGET for row in stores.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
