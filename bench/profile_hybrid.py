"""Profile the default hybrid query and the tantivy index's memory on a speed-bench corpus.

Usage:
    python bench/profile_hybrid.py [--size 100000] [--data ../shared/data/beir] [--profile]
                                   [--repeat 7] [--bm25s]
    python bench/profile_hybrid.py --memory [--size 1000000]

The default mode builds `HybridRetriever.from_documents` (tantivy + NumpyVectorStore,
64-dimensional random unit vectors, as in `bench/speed.py`), prints p50 / p95 of the
hybrid query, of each leg alone and of the keyword leg's parts, and with `--profile` a
pyinstrument call tree of 400 queries. `--repeat N` times each query N times and keeps
the fastest, which takes most of a shared machine's noise out of small differences;
`--bm25s` adds bm25s's numba backend on the same tokens, timed the same way (as in
`bench/speed.py`, one numba thread). `--memory` builds only the tantivy index and prints
its peak RSS increase, the anonymous (heap) part of it, and what stays resident afterwards.

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

# One BLAS / numba thread, as every number of bench/speed.py (set before numpy is imported).
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

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
from speed import (
    AnonSampler,
    _bm25s,
    _status_kb,
    peak_rss_mb,
    reset_peak_rss,
    rss_mb,
    summary,
)

import langchain_hybrid
from langchain_hybrid import HybridRetriever
from langchain_hybrid.keyword_index import TantivyIndex

DIM = 64
DEPTH = 100


def percentiles(
    run: Callable[[str], object], queries: Sequence[str], repeat: int = 1
) -> tuple[float, str]:
    """p50 in ms, and "p50 / p95 ms", of `run` over `queries`, each the fastest of `repeat`."""
    samples = []
    for query in queries:
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            run(query)
            best = min(best, time.perf_counter() - t0)
        samples.append(best)
    stats = summary(samples)
    return stats["p50_ms"], f"{stats['p50_ms']:.3f} / {stats['p95_ms']:.3f} ms"


def latency(
    docs: list[Document],
    texts: list[str],
    queries: list[str],
    *,
    profile: bool,
    repeat: int,
    bm25s: bool,
) -> None:
    """Time the hybrid query, its legs and the keyword leg's parts; optionally profile."""
    embeddings = TableEmbeddings(texts, unit_vectors(len(texts), DIM, 0))
    for query in queries:
        embeddings.embed_query(query)  # cached: the fake model costs ~0 per query
    retriever = HybridRetriever.from_documents(docs, embeddings, k=10)
    for query in queries[:20]:
        retriever.invoke(query)
    backend = retriever.backend
    store = backend.vectorstore  # type: ignore[attr-defined]
    legs = {
        "hybrid (alpha 0.5, k 10)": retriever.invoke,
        "keyword leg (tantivy)": lambda q: backend.keyword.search(q, DEPTH),  # type: ignore[attr-defined]
        "vector leg (numpy)": lambda q: store.similarity_search_with_score(q, DEPTH),
        "  with our scoring/filters": lambda q: backend.vector.search(q, DEPTH),  # type: ignore[attr-defined]
    }
    keyword = backend.keyword  # type: ignore[attr-defined]
    if isinstance(keyword, TantivyIndex):
        legs.update(_tantivy_parts(keyword, queries))
    if bm25s:
        bm25s_search = _bm25s(docs, "numba").search
        bm25s_search(queries[0])  # numba compiles on the first query
        legs["bm25s (numba) query"] = bm25s_search
    p50 = {}
    for name, run in legs.items():
        p50[name], text = percentiles(run, queries, repeat)
        print(f"{name:<28} p50 / p95: {text}")
    ratio = p50["hybrid (alpha 0.5, k 10)"] / (
        p50["keyword leg (tantivy)"] + p50["vector leg (numpy)"]
    )
    print(f"hybrid p50 / (keyword leg p50 + vector leg p50): {ratio:.2f}x")
    if profile:
        from pyinstrument import Profiler  # noqa: PLC0415 - only for --profile

        profiler = Profiler(interval=0.0001)
        profiler.start()
        for query in queries * 2:
            retriever.invoke(query)
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False))


def _tantivy_parts(index: TantivyIndex, queries: list[str]) -> dict[str, Callable[[str], object]]:
    """The keyword leg's steps one by one, each fed the previous steps' results.

    tantivy's `Searcher.search` is the floor under the leg; the rest is the Python around
    it (the difference between the leg and the sum of these is ordering and making hits).
    """
    searcher = index._index.searcher()  # noqa: SLF001 - a probe
    prepared = {query: index._bm25_query(query) for query in queries}  # noqa: SLF001
    found = {
        query: [] if q is None else searcher.search(q, DEPTH, count=False).hits
        for query, q in prepared.items()
    }

    def search_call(query: str) -> object:
        bm25_query = prepared[query]
        return [] if bm25_query is None else searcher.search(bm25_query, DEPTH, count=False).hits

    return {
        "  analysis + tantivy query": index._bm25_query,  # noqa: SLF001
        "  tantivy's search call": search_call,
        "  keys of the hits": lambda q: searcher.fast_field_values(
            "key", [address for _, address in found[q]]
        ),
    }


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
    parser.add_argument("--repeat", type=int, default=1, help="fastest of N runs per query")
    parser.add_argument("--bm25s", action="store_true", help="add bm25s (numba) for comparison")
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
        latency(docs, texts, queries, profile=args.profile, repeat=args.repeat, bm25s=args.bm25s)


if __name__ == "__main__":
    main()
