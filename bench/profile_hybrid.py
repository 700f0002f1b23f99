"""Profile the default hybrid query and the tantivy index's memory on a speed-bench corpus.

Usage:
    python bench/profile_hybrid.py [--size 100000] [--data ../shared/data/beir] [--profile]
    python bench/profile_hybrid.py --memory [--size 1000000]

The default mode builds `HybridRetriever.from_documents` (tantivy + NumpyVectorStore,
64-dimensional random unit vectors, as in `bench/speed.py`), prints p50 / p95 of the
hybrid query and of each leg alone, and with `--profile` a pyinstrument call tree of 400
queries. `--memory` builds only the tantivy index and prints its peak RSS increase, the
anonymous (heap) part of it, and what stays resident afterwards.

To compare with an older commit, run this file from the current tree against the old
package: `git worktree add /tmp/before <commit>` then
`PYTHONPATH=/tmp/before python bench/profile_hybrid.py`.
"""

from __future__ import annotations

import argparse
import gc
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

# One BLAS thread, as every number of bench/speed.py (set before numpy is imported).
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
from _corpus import (
    TableEmbeddings,
    default_cache_dir,
    load_real,
    pick_queries,
    prepare_corpus,
    read_corpus,
    unit_vectors,
)
from langchain_core.documents import Document
from speed import AnonSampler, _status_kb, peak_rss_mb, reset_peak_rss, rss_mb

import langchain_hybrid
from langchain_hybrid import HybridRetriever
from langchain_hybrid.keyword_index import TantivyIndex

DIM = 64
DEPTH = 100


def percentiles(run: Callable[[str], object], queries: Sequence[str]) -> str:
    """p50 / p95 of `run` over `queries`, in ms."""
    samples = []
    for query in queries:
        t0 = time.perf_counter()
        run(query)
        samples.append(time.perf_counter() - t0)
    p50, p95 = np.percentile(np.asarray(samples) * 1000, [50, 95])
    return f"{p50:.2f} / {p95:.2f} ms"


def latency(docs: list[Document], texts: list[str], queries: list[str], *, profile: bool) -> None:
    """Time the hybrid query and its legs; optionally print a pyinstrument profile."""
    embeddings = TableEmbeddings(texts, unit_vectors(len(texts), DIM, 0))
    for query in queries:
        embeddings.embed_query(query)  # cached: the fake model costs ~0 per query
    retriever = HybridRetriever.from_documents(docs, embeddings, k=10)
    for query in queries[:20]:
        retriever.invoke(query)
    backend = retriever.backend
    legs = {
        "hybrid (alpha 0.5, k 10)": retriever.invoke,
        "keyword leg (tantivy)": lambda q: backend.keyword.search(q, DEPTH),  # type: ignore[attr-defined]
        "vector leg (numpy)": lambda q: backend.vector.search(q, DEPTH),  # type: ignore[attr-defined]
    }
    keyword = backend.keyword  # type: ignore[attr-defined]
    if isinstance(keyword, TantivyIndex):
        legs["  tantivy's search call"] = _tantivy_call(keyword, queries)
    for name, run in legs.items():
        print(f"{name:<26} p50 / p95: {percentiles(run, queries)}")
    if profile:
        from pyinstrument import Profiler  # noqa: PLC0415 - only for --profile

        profiler = Profiler(interval=0.0001)
        profiler.start()
        for query in queries * 2:
            retriever.invoke(query)
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False))


def _tantivy_call(index: TantivyIndex, queries: list[str]) -> Callable[[str], object]:
    """Only tantivy's `Searcher.search` of the keyword leg, its query built beforehand.

    The floor under the keyword leg: what remains is the Python around it (analysis,
    term queries, mapping tantivy's keys to ids, ordering ties by id).
    """
    searcher = index._index.searcher()  # noqa: SLF001 - a probe
    prepared = {query: index._bm25_query(query) for query in queries}  # noqa: SLF001

    def search_call(query: str) -> object:
        bm25_query = prepared[query]
        return [] if bm25_query is None else searcher.search(bm25_query, DEPTH, count=False).hits

    return search_call


def memory(docs: list[Document], ids: list[str]) -> None:
    """Peak and remaining memory of building a tantivy index of `docs`."""
    gc.collect()
    exact = reset_peak_rss()
    base, anon_base = rss_mb(), _status_kb("RssAnon") / 1024
    sampler = AnonSampler()
    t0 = time.perf_counter()
    index = TantivyIndex()
    index.add(docs, ids)
    seconds = time.perf_counter() - t0
    print(
        f"tantivy index of {len(docs):,} documents: {seconds:.1f} s, "
        f"peak RSS +{peak_rss_mb() - base:,.0f} MB{'' if exact else ' (not reset)'}, "
        f"peak anonymous +{sampler.stop() - anon_base:,.0f} MB, "
        f"after +{rss_mb() - base:,.0f} MB"
    )


def main() -> None:
    """Parse arguments and run one mode."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--data", type=Path, default=Path("../shared/data/beir"))
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile")
    parser.add_argument("--memory", action="store_true", help="tantivy index memory only")
    args = parser.parse_args()

    print(f"package: {Path(langchain_hybrid.__file__).parent}")
    corpus = prepare_corpus(args.size, args.data, default_cache_dir(), seed=0)
    ids, sources, texts = read_corpus(corpus.path)
    docs = [
        Document(page_content=t, metadata={"source": s}, id=i)
        for i, s, t in zip(ids, sources, texts, strict=True)
    ]
    if args.memory:
        memory(docs, ids)
    else:
        queries = pick_queries(load_real(args.data), args.queries)
        latency(docs, texts, queries, profile=args.profile)


if __name__ == "__main__":
    main()
