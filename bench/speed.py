"""Speed and scale of the local backend, side by side with bm25s, LangChain, LlamaIndex, Haystack.

Usage:
    python bench/speed.py [--sizes 10000,100000,1000000] [--queries 200]
                          [--data ../shared/data/beir] [--quick]

Each system is built and queried at each corpus size in a fresh subprocess, so that peak
memory is the RSS high-water mark of that process (tantivy allocates outside Python),
measured from just before indexing (the corpus itself is already loaded). Sizes run in
increasing order. A system is skipped at a size where its previous size projects (linearly
in the corpus size) a peak RSS over `--max-rss-gb` or a build over `--max-build-seconds`,
and one that scores every document per query in Python (rank_bm25, LlamaIndex's vector
index, Haystack's in-memory store) also where a query would take over 10 s.

Every BM25 leg that can be handed tokens gets the same ones, our default analysis
(`default_local_analyzer()`: word tokens, English Snowball stemming, query stopwords
removed): our engines, bm25s, the do-it-yourself hybrid and LangChain's `BM25Retriever`
(documents through `document_tokens`, queries through `query_tokens`). LlamaIndex and
Haystack tokenize inside their retrievers, at their defaults.

Outputs: a table on stdout, `bench/results/speed.json`, the section between
`<!-- speed:start -->` and `<!-- speed:end -->` of `docs/benchmarks.md`, and the log-log
plot `docs/img/latency_vs_size.png`. Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import platform
import random
import shlex
import statistics
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Final

import faiss
import numpy as np
import numpy.typing as npt
from langchain_core.documents import Document
from langchain_core.vectorstores import InMemoryVectorStore

import langchain_hybrid
from langchain_hybrid import HybridRetriever
from langchain_hybrid.analysis import default_local_analyzer
from langchain_hybrid.keyword_index import RankBM25Index, TantivyIndex
from langchain_hybrid.vectorstore import NumpyVectorStore

with warnings.catch_warnings():  # langchain-community warns that it is being sunset
    warnings.simplefilter("ignore")
    import bm25s
    from langchain_classic.retrievers import EnsembleRetriever
    from langchain_community.retrievers import BM25Retriever
    from langchain_community.vectorstores import FAISS
    from langchain_community.vectorstores.utils import DistanceStrategy

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import (
    CorpusInfo,
    TableEmbeddings,
    default_cache_dir,
    extra_texts,
    load_real,
    pick_queries,
    prepare_corpus,
    read_corpus,
    unit_vectors,
)
from _peers import haystack_pipeline, haystack_store, llamaindex_fusion, llamaindex_legs
from _report import cell, issue17_targets, markdown, plot, targets, write_section

ROOT: Final = Path(__file__).resolve().parent.parent
RESULTS: Final = ROOT / "bench" / "results" / "speed.json"
MARKDOWN: Final = ROOT / "docs" / "benchmarks.md"
PLOT: Final = ROOT / "docs" / "img" / "latency_vs_size.png"
DEFAULT_DATA: Final = ROOT.parent / "shared" / "data" / "beir"

DIM: Final = 64  # vector leg of every hybrid system: random unit vectors, FAISS flat index
DEPTH: Final = 100  # per-leg depth: our fetch_k, bm25s / BM25Retriever / FAISS k
HYBRID_K: Final = 10  # documents every hybrid returns (EnsembleRetriever has no k: all fused)
ALPHA: Final = 0.5  # vector weight of the do-it-yourself hybrid, as our default
REFERENCE_SIZE: Final = 100_000  # targets, add/delete and vector stores are measured here
SINGLE_QUERY_LIMIT_S: Final = 10.0
WARMUP: Final = 10
WRITE_BATCH: Final = 1_000
WRITE_ROUNDS: Final = 3
QPS_SECONDS: Final = 12.0  # rough wall-time budget of one QPS measurement
SCAN_QUERY_SECONDS: Final = 20.0  # query budget of a system that scans every document
# Run first at sizes above the reference size (issue 17's targets are at 100k and 1M).
TARGET_SYSTEMS: Final = ("tantivy", "vector_numpy", "vector_faiss", "hybrid", "hybrid_faiss", "diy")
MB: Final = 1024 * 1024


@dataclass(frozen=True)
class System:
    """A system under test: how it is shown and what it supports."""

    name: str
    label: str
    group: str
    rank_bm25: bool = False  # scans every document per query in Python: skipped at scale
    writes: bool = False  # incremental add_documents / delete
    retriever: bool = False  # a LangChain retriever (invoke / ainvoke)


SYSTEMS: Final[dict[str, System]] = {
    s.name: s
    for s in [
        System("tantivy", "ours: keyword leg, tantivy (default)", "keyword", writes=True),
        System("rank_bm25", "ours: keyword leg, rank_bm25 engine", "keyword", True, True),
        System("bm25s", "bm25s (lucene, numpy backend)", "keyword"),
        System("bm25s_numba", "bm25s (lucene, numba backend)", "keyword"),
        System("vector_numpy", "ours: vector leg alone, NumpyVectorStore (default)", "vector"),
        System("vector_faiss", "vector leg alone, LangChain FAISS flat", "vector"),
        System(
            "hybrid",
            "ours: HybridRetriever, NumpyVectorStore (default)",
            "hybrid",
            False,
            True,
            True,
        ),
        System(
            "hybrid_faiss", "ours: HybridRetriever over FAISS flat", "hybrid", False, True, True
        ),
        System(
            "diy",
            "do-it-yourself: bm25s numba + faiss.IndexFlatIP + min-max fusion in numpy",
            "diy",
        ),
        System(
            "llamaindex",
            "LlamaIndex QueryFusionRetriever (bm25s BM25Retriever + VectorStoreIndex), "
            "relative_score",
            "peer",
            rank_bm25=True,
        ),
        System(
            "haystack",
            "Haystack Pipeline (InMemoryBM25Retriever + InMemoryEmbeddingRetriever + "
            "DocumentJoiner), reciprocal_rank_fusion",
            "peer",
            rank_bm25=True,
        ),
        System("bm25retriever", "LangChain BM25Retriever", "langchain", True, False, True),
        System(
            "ensemble",
            "EnsembleRetriever(BM25Retriever + FAISS flat)",
            "langchain",
            True,
            False,
            True,
        ),
    ]
}

VECTOR_STORES: Final = {
    "numpy": "NumpyVectorStore (ours, default)",
    "faiss": "LangChain FAISS, IndexFlatIP",
    "faiss_raw": "raw faiss.IndexFlatIP.search (floor)",
    "inmemory": "LangChain InMemoryVectorStore",
}
VECTOR_DIMS: Final = (64, 384)


# ----------------------------------------------------------------------------- measuring


def _status_kb(field_name: str) -> int:
    with Path("/proc/self/status").open(encoding="ascii") as status:
        for line in status:
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    return 0


def reset_peak_rss() -> bool:
    """Reset the kernel's RSS high-water mark (Linux >= 4.0); False where unsupported."""
    try:
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
    except OSError:
        return False
    return True


def rss_mb() -> float:
    """Current resident set size."""
    return _status_kb("VmRSS") / 1024


def peak_rss_mb() -> float:
    """Resident set size high-water mark."""
    return _status_kb("VmHWM") / 1024


class AnonSampler:
    """Samples anonymous RSS (heap, not file pages) every 20 ms and keeps the maximum.

    The kernel's high-water mark counts memory-mapped index files too; this separates
    what the process allocated from file pages that the kernel can drop.
    """

    def __init__(self) -> None:
        """Start sampling in a daemon thread."""
        self.peak_kb = _status_kb("RssAnon")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak_kb = max(self.peak_kb, _status_kb("RssAnon"))

    def stop(self) -> float:
        """Stop and return the peak anonymous RSS in MB."""
        self._stop.set()
        self._thread.join()
        self.peak_kb = max(self.peak_kb, _status_kb("RssAnon"))
        return self.peak_kb / 1024


def summary(samples_s: Sequence[float]) -> dict[str, float]:
    """p50 / p95 / mean / max in milliseconds."""
    ms = np.asarray(samples_s) * 1000
    return {
        "n": len(ms),
        "p50_ms": float(np.percentile(ms, 50)),
        "p95_ms": float(np.percentile(ms, 95)),
        "mean_ms": float(ms.mean()),
        "max_ms": float(ms.max()),
    }


def time_queries(
    run: Callable[[str], object], queries: Sequence[str], max_seconds: float, *, scans: bool
) -> dict[str, Any]:
    """Warm up, then time each query; stop early past `max_seconds` (at least 5 queries).

    A system that scores every document (`scans`) is skipped if its first query takes
    over 10 s.
    """
    started = time.perf_counter()
    run(queries[0])
    first = time.perf_counter() - started
    if scans and first > SINGLE_QUERY_LIMIT_S:
        return {"skipped": f"one query took {first:.1f} s (> {SINGLE_QUERY_LIMIT_S:.0f} s)"}
    for query in queries[1:WARMUP]:
        if time.perf_counter() - started > max_seconds / 4:
            break
        run(query)
    samples: list[float] = []
    budget_start = time.perf_counter()
    for query in queries:
        t0 = time.perf_counter()
        run(query)
        samples.append(time.perf_counter() - t0)
        if len(samples) >= 5 and time.perf_counter() - budget_start > max_seconds:  # noqa: PLR2004
            break
    return {"latency": summary(samples), "capped": len(samples) < len(queries)}


def qps_threads(run: Callable[[str], object], queries: Sequence[str], threads: int) -> float:
    """Queries per second with `threads` threads sharing the work."""
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(run, queries[:threads]))  # start the threads
        t0 = time.perf_counter()
        list(pool.map(run, queries))
        return len(queries) / (time.perf_counter() - t0)


def qps_async(arun: Callable[[str], Any], queries: Sequence[str], concurrency: int) -> float:
    """Queries per second with `concurrency` `ainvoke` calls in flight at a time."""

    async def main() -> float:
        pending = iter(queries)

        async def worker() -> None:
            for query in pending:
                await arun(query)

        await asyncio.gather(*(arun(q) for q in queries[: min(concurrency, 8)]))  # warm up
        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return len(queries) / (time.perf_counter() - t0)

    return asyncio.run(main())


# ----------------------------------------------------------------------------- systems


@dataclass
class Built:
    """A built system: its query functions and, where supported, its writers."""

    search: Callable[[str], object]
    asearch: Callable[[str], Any] | None = None
    add: Callable[[list[Any], list[str]], object] | None = None
    delete: Callable[[list[str]], object] | None = None
    directory: Path | None = None
    keep: list[object] = field(default_factory=list)
    jit: bool = False  # the first query compiles code: timed apart, after indexing


def _faiss_store(docs: list[Any], embeddings: TableEmbeddings) -> Any:
    return FAISS.from_documents(
        docs,
        embeddings,
        ids=[d.id for d in docs],
        distance_strategy=DistanceStrategy.MAX_INNER_PRODUCT,  # IndexFlatIP: cosine here
    )


class _Vocabulary(dict[str, int]):
    """Token -> id, a new id for a token on its first lookup (one C call per token)."""

    def __missing__(self, token: str) -> int:
        token_id = self[token] = len(self)
        return token_id


Vector = npt.NDArray[np.float32]
BM25Leg = Callable[[str], tuple[npt.NDArray[np.int64], Vector]]


def _bm25s_leg(docs: list[Any], backend: str) -> BM25Leg:
    """bm25s over our analyzer's tokens, as `leg(query) -> (rows, scores)`.

    The `DEPTH` best documents that match a query term (bm25s pads with zero-score rows).
    """
    analyzer = default_local_analyzer()
    vocab = _Vocabulary()
    # The very tokens our engines index, as bm25s's token ids.
    corpus_ids = [
        list(map(vocab.__getitem__, analyzer.document_tokens(doc.page_content))) for doc in docs
    ]
    retriever = bm25s.BM25(method="lucene", k1=1.2, b=0.75, backend=backend)
    retriever.index((corpus_ids, dict(vocab)), show_progress=False)
    del corpus_ids
    k = min(DEPTH, len(docs))
    nothing = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))

    def leg(query: str) -> tuple[npt.NDArray[np.int64], Vector]:
        tokens = [t for t in analyzer.query_tokens(query) if t in vocab]
        if not tokens:
            return nothing
        found, scores = retriever.retrieve([tokens], k=k, show_progress=False)
        matched = scores[0] > 0
        return found[0][matched], scores[0][matched]

    return leg


def _bm25s(docs: list[Any], backend: str) -> Built:
    leg = _bm25s_leg(docs, backend)
    ids = np.array([d.id for d in docs], dtype=object)

    def search(query: str) -> list[tuple[str, float]]:
        found, scores = leg(query)
        return list(zip(ids[found].tolist(), scores.tolist(), strict=True))

    # numba compiles the scorer on the first retrieval (about 10 s here): done once after
    # indexing, timed apart as "jit_s", and counted in neither indexing nor query time.
    return Built(search, jit=backend == "numba")


def _minmax(scores: Vector) -> Vector:
    """Relative-score normalisation of one leg: `(s - min) / (max - min)`, or 1 if all equal."""
    if scores.size == 0:
        return scores
    low, high = scores.min(), scores.max()
    if high == low:
        return np.ones_like(scores)
    return (scores - low) / (high - low)  # type: ignore[no-any-return]


def _diy(docs: list[Any], embeddings: TableEmbeddings) -> Built:
    """The hybrid a search engineer writes by hand: no LangChain, no Documents.

    bm25s (numba backend) over our tokens and a raw `faiss.IndexFlatIP`, `DEPTH` per leg,
    min-max normalised and summed with weights `1 - ALPHA` and `ALPHA` in numpy; the top
    `HYBRID_K` as (id, score). The same fusion as our default (DESIGN.md section 2).
    """
    keyword_leg = _bm25s_leg(docs, "numba")
    vectors = np.asarray(embeddings.embed_documents([d.page_content for d in docs]), np.float32)
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    del vectors
    ids = np.array([d.id for d in docs], dtype=object)
    k = min(DEPTH, len(docs))

    def search(query: str) -> list[tuple[str, float]]:
        rows, scores = keyword_leg(query)
        vector = np.asarray([embeddings.embed_query(query)], dtype=np.float32)
        similarities, neighbours = index.search(vector, k)
        found = neighbours[0] >= 0
        all_rows = np.concatenate([rows, neighbours[0][found]])
        weighted = np.concatenate(
            [(1 - ALPHA) * _minmax(scores), ALPHA * _minmax(similarities[0][found])]
        )
        unique, where = np.unique(all_rows, return_inverse=True)
        fused = np.bincount(where, weights=weighted)
        best = np.argsort(-fused, kind="stable")[:HYBRID_K]  # ties: lower row first
        return list(zip(ids[unique[best]].tolist(), fused[best].tolist(), strict=True))

    return Built(search, jit=True, keep=[index])


def _peer(name: str, docs: list[Any], embeddings: TableEmbeddings) -> Built:
    """LlamaIndex's and Haystack's hybrid retrieval, `DEPTH` per leg, `HYBRID_K` fused."""
    if name == "llamaindex":
        legs = llamaindex_legs(docs, embeddings, DEPTH)
        fusion = llamaindex_fusion(legs, "relative_score", HYBRID_K)
        return Built(fusion.retrieve, keep=[fusion])
    pipeline = haystack_pipeline(
        haystack_store(docs, embeddings), "reciprocal_rank_fusion", DEPTH, HYBRID_K
    )

    def search(query: str) -> object:
        vector = embeddings.embed_query(query)
        return pipeline.run({"bm25": {"query": query}, "dense": {"query_embedding": vector}})

    return Built(search, keep=[pipeline])


def _keyword_engine(name: str, docs: list[Any], _embeddings: TableEmbeddings) -> Built:
    # The keyword leg as the hybrid builds it: our default analysis.
    engine = TantivyIndex if name == "tantivy" else RankBM25Index
    index = engine(default_local_analyzer())
    index.add(docs, [d.id for d in docs])
    index.search("warm up", 1)  # rank_bm25 builds its model on the first query
    return Built(
        lambda q: index.search(q, DEPTH),
        add=index.add,
        delete=index.delete,
        directory=getattr(index, "_directory", None),
        keep=[index],
    )


def _hybrid(name: str, docs: list[Any], embeddings: TableEmbeddings) -> Built:
    if name == "hybrid":
        retriever = HybridRetriever.from_documents(docs, embeddings, k=HYBRID_K)
    else:
        store = _faiss_store(docs, embeddings)
        retriever = HybridRetriever.from_vectorstore(store, documents=docs, k=HYBRID_K)
    return Built(
        retriever.invoke,
        retriever.ainvoke,
        add=lambda d, i: retriever.add_documents(d, ids=i),
        delete=retriever.delete,
        directory=getattr(retriever.backend.keyword, "_directory", None),  # type: ignore[attr-defined]
        keep=[retriever],
    )


def _langchain(name: str, docs: list[Any], embeddings: TableEmbeddings) -> Built:
    # Our tokens, as for every BM25 leg here: documents with stopwords, queries without
    # (with `preprocess_func` alone, queries would keep their stopwords: 1.29x the tokens).
    analyzer = default_local_analyzer()
    bm25 = BM25Retriever.from_documents(docs, k=DEPTH, preprocess_func=analyzer.document_tokens)
    bm25.preprocess_func = analyzer.query_tokens
    if name == "bm25retriever":
        return Built(bm25.invoke, bm25.ainvoke, keep=[bm25])
    store = _faiss_store(docs, embeddings)
    ensemble = EnsembleRetriever(
        retrievers=[bm25, store.as_retriever(search_kwargs={"k": DEPTH})], weights=[0.5, 0.5]
    )
    return Built(ensemble.invoke, ensemble.ainvoke, keep=[ensemble])


def build(name: str, docs: list[Any], embeddings: TableEmbeddings) -> Built:
    """Index `docs` with system `name` (timed and memory-measured by the caller)."""
    builders: dict[str, Callable[[str, list[Any], TableEmbeddings], Built]] = {
        "tantivy": _keyword_engine,
        "rank_bm25": _keyword_engine,
        "bm25s": lambda _, d, _e: _bm25s(d, "numpy"),
        "bm25s_numba": lambda _, d, _e: _bm25s(d, "numba"),
        "vector_numpy": lambda _, d, e: build_vector_store("numpy", d, e),
        "vector_faiss": lambda _, d, e: build_vector_store("faiss", d, e),
        "hybrid": _hybrid,
        "hybrid_faiss": _hybrid,
        "diy": lambda _, d, e: _diy(d, e),
        "llamaindex": _peer,
        "haystack": _peer,
        "bm25retriever": _langchain,
        "ensemble": _langchain,
    }
    if name not in builders:
        msg = f"unknown system {name!r}"
        raise ValueError(msg)
    return builders[name](name, docs, embeddings)


def build_vector_store(kind: str, docs: list[Any], embeddings: TableEmbeddings) -> Built:
    """A bare vector store (no keyword leg): `similarity_search_with_score(q, k=100)`."""
    k = min(DEPTH, len(docs))
    if kind == "numpy":
        store: Any = NumpyVectorStore(embeddings)
        store.add_documents(docs, ids=[d.id for d in docs])
    elif kind == "inmemory":
        store = InMemoryVectorStore(embeddings)
        # InMemoryVectorStore iterates over the vectors: give it lists, as real models do.
        vectors = embeddings.embed_documents([d.page_content for d in docs])
        store.add_documents(docs, ids=[d.id for d in docs])
        for doc_id, vector in zip([d.id for d in docs], np.asarray(vectors), strict=True):
            store.store[doc_id]["vector"] = vector.tolist()
    elif kind in {"faiss", "faiss_raw"}:
        store = _faiss_store(docs, embeddings)
        if kind == "faiss_raw":
            index = store.index

            def raw(query: str) -> object:
                vector = np.asarray([embeddings.embed_query(query)], dtype=np.float32)
                return index.search(vector, k)

            return Built(raw, keep=[store])
    else:
        msg = f"unknown vector store {kind!r}"
        raise ValueError(msg)
    return Built(lambda q: store.similarity_search_with_score(q, k), keep=[store])


# ----------------------------------------------------------------------------- worker


def _disk_mb(directory: Path | None) -> float | None:
    if directory is None or not directory.exists():
        return None
    return sum(f.stat().st_size for f in directory.rglob("*") if f.is_file()) / MB


def worker(spec: dict[str, Any]) -> dict[str, Any]:  # noqa: PLR0915
    """Build one system on one corpus in this (fresh) process and measure it."""
    logging.getLogger("bm25s").setLevel(logging.ERROR)
    dim, seed = spec.get("dim", DIM), spec["seed"]
    data = Path(spec["data"])
    ids, sources, texts = read_corpus(Path(spec["corpus"]))
    docs = [
        Document(page_content=t, metadata={"source": s}, id=i)
        for i, s, t in zip(ids, sources, texts, strict=True)
    ]
    extra = extra_texts(data, WRITE_BATCH * WRITE_ROUNDS, seed) if spec.get("writes") else []
    table_texts = texts + extra
    embeddings = TableEmbeddings(table_texts, unit_vectors(len(table_texts), dim, seed))
    queries = pick_queries(load_real(data), spec["queries"])
    for query in queries:
        embeddings.embed_query(query)  # the fake model's cache: query embedding costs ~0
    gc.collect()
    exact_peak = reset_peak_rss()
    baseline = rss_mb()
    anon_baseline = _status_kb("RssAnon") / 1024
    sampler = AnonSampler()

    t0 = time.perf_counter()
    if spec["kind"] == "system":
        built = build(spec["system"], docs, embeddings)
    else:
        built = build_vector_store(spec["store"], docs, embeddings)
    index_s = time.perf_counter() - t0
    out: dict[str, Any] = {
        "index_s": index_s,
        "peak_rss_mb": peak_rss_mb() - baseline,
        "peak_anon_mb": sampler.stop() - anon_baseline,
        "rss_after_mb": rss_mb() - baseline,
        "peak_exact": exact_peak,
        "disk_mb": _disk_mb(built.directory),
        "package": str(Path(langchain_hybrid.__file__).parent),
        "commit": _git("rev-parse", "--short", "HEAD"),  # the code this worker imported
    }
    if built.jit:
        t0 = time.perf_counter()
        built.search(queries[0])
        out["jit_s"] = time.perf_counter() - t0
    scans = spec["kind"] == "system" and SYSTEMS[spec["system"]].rank_bm25
    out.update(time_queries(built.search, queries, spec["max_query_seconds"], scans=scans))
    if "latency" not in out:
        return out

    if spec.get("qps"):
        p50_s = out["latency"]["p50_ms"] / 1000
        count = int(min(max(QPS_SECONDS / max(p50_s, 1e-6), 16), 2 * len(queries)))
        batch = [queries[i % len(queries)] for i in range(count)]
        try:
            out["qps"] = {"n": count, "threads8": qps_threads(built.search, batch, 8)}
        except Exception as error:  # noqa: BLE001 - a peer that is not thread-safe
            out["qps_error"] = f"8 threads: {type(error).__name__}: {error}"[:300]
            return out
        if built.asearch is not None:
            async_batch = [queries[i % len(queries)] for i in range(max(count, 64))]
            out["qps"]["async64"] = qps_async(built.asearch, async_batch, 64)
            out["qps"]["n_async"] = len(async_batch)

    if spec.get("writes") and built.add is not None and built.delete is not None:
        rng = random.Random(seed)  # noqa: S311 - a reproducible sample, not a secret
        victims = rng.sample(ids, WRITE_BATCH * WRITE_ROUNDS)
        adds, deletes, after = [], [], []
        for r in range(WRITE_ROUNDS):
            batch_texts = extra[r * WRITE_BATCH : (r + 1) * WRITE_BATCH]
            new_ids = [f"add:{r}:{i}" for i in range(len(batch_texts))]
            new_docs = [
                Document(page_content=t, metadata={"source": "added"}, id=i)
                for t, i in zip(batch_texts, new_ids, strict=True)
            ]
            t0 = time.perf_counter()
            built.add(new_docs, new_ids)
            adds.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            built.search(queries[r])
            after.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            built.delete(victims[r * WRITE_BATCH : (r + 1) * WRITE_BATCH])
            deletes.append(time.perf_counter() - t0)
        out["writes"] = {
            "add_s": adds,
            "delete_s": deletes,
            "query_after_add_s": after,
            "add_median_s": statistics.median(adds),
            "delete_median_s": statistics.median(deletes),
            "query_after_add_median_ms": statistics.median(after) * 1000,
        }
    return out


THREAD_VARIABLES: Final = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMBA_NUM_THREADS",
)


def run_worker(spec: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    """Run `worker(spec)` in a fresh interpreter; its last stdout line is the JSON result.

    `spec["threads"]` > 0 caps the BLAS / OpenMP / numba thread pools of the worker (the
    environment variables must be set before numpy or faiss is imported); 0 leaves the
    libraries' defaults (one thread per core).
    """
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(spec)]
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
    if spec.get("threads"):
        env.update(dict.fromkeys(THREAD_VARIABLES, str(spec["threads"])))
    try:
        done = subprocess.run(  # noqa: S603 - our own script, fixed arguments
            command, capture_output=True, text=True, timeout=timeout_s, check=False, env=env
        )
    except subprocess.TimeoutExpired:
        return {"error": f"worker timed out after {timeout_s:.0f} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return {"error": f"worker exited {done.returncode}: {' | '.join(tail)}"}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


# ----------------------------------------------------------------------------- orchestration


def projection(
    previous: dict[str, Any] | None,
    size: int,
    max_rss_gb: float,
    *,
    scans: bool,
    max_build_s: float = float("inf"),
) -> str | None:
    """Why a system is skipped at `size`, projected linearly from its last measured size.

    Any system whose peak RSS would pass `max_rss_gb` (the machine is shared) or whose
    build would pass `max_build_s`; a system that scores every document per query
    (`scans`) also where a query would pass 10 s.
    """
    if previous is None or "latency" not in previous:
        return None
    factor = size / previous["size"]
    latency_s = previous["latency"]["p50_ms"] / 1000 * factor
    peak_gb = previous["peak_rss_mb"] * factor / 1024
    build_s = previous["index_s"] * factor
    if scans and latency_s > SINGLE_QUERY_LIMIT_S:
        return f"projected {latency_s:.1f} s per query (> {SINGLE_QUERY_LIMIT_S:.0f} s)"
    if build_s > max_build_s:
        return (
            f"projected build {build_s / 60:.0f} min from {previous['size']:,} documents "
            f"(> --max-build-seconds {max_build_s:g})"
        )
    if peak_gb > max_rss_gb:
        detail = f"; projected p50 {latency_s:.1f} s per query" if scans else ""
        return (
            f"projected peak RSS {peak_gb:.0f} GB from {previous['size']:,} documents "
            f"(> --max-rss-gb {max_rss_gb:g} on this shared {_memory_gb():.0f} GB machine)" + detail
        )
    return None


def _memory_gb() -> float:
    with Path("/proc/meminfo").open(encoding="ascii") as info:
        for line in info:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    return 0.0


def _git(*args: str) -> str:
    return subprocess.run(  # noqa: S603
        ["git", "-C", str(ROOT), *args],  # noqa: S607 - git from PATH
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def machine() -> dict[str, Any]:
    """Hardware, load and versions, recorded with the numbers."""
    cpu = "unknown"
    with Path("/proc/cpuinfo").open(encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    versions = {
        package: _version(package)
        for package in [
            "langchain-hybrid",
            "tantivy",
            "bm25s",
            "numba",
            "rank-bm25",
            "faiss-cpu",
            "numpy",
            "langchain-core",
            "langchain-community",
            "langchain-classic",
        ]
    }
    commit = _git("rev-parse", "--short", "HEAD")
    dirty = _git("status", "--porcelain", "--", "langchain_hybrid")
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_mb": round(_memory_gb() * 1024),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "commit": commit,
        "dirty": bool(dirty),
        "package": str(Path(langchain_hybrid.__file__).parent),
        "package_in_repo": Path(langchain_hybrid.__file__).parent.resolve()
        == (ROOT / "langchain_hybrid").resolve(),
        "versions": versions,
    }


def uptime() -> str:
    """The `uptime` line (load averages over 1, 5 and 15 minutes)."""
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()  # noqa: S607


def reference_size(sizes: Sequence[int]) -> int:
    """100k where measured; else the largest size below it (or the smallest size)."""
    below = [s for s in sizes if s <= REFERENCE_SIZE]
    return max(below) if below else min(sizes)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000,1000000", help="corpus sizes")
    parser.add_argument("--queries", type=int, default=200, help="queries per system")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="BEIR directory")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="subset, comma-separated")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--max-query-seconds", type=float, default=60.0, help="query time per system and size"
    )
    parser.add_argument(
        "--max-rss-gb",
        type=float,
        default=12.0,
        help="skip a system whose peak RSS, projected from the previous size, is larger",
    )
    parser.add_argument(
        "--max-build-seconds",
        type=float,
        default=900.0,
        help="skip a system whose build, projected from the previous size, is longer",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="BLAS / OpenMP / numba thread pool size in each worker (0: library default)",
    )
    parser.add_argument(
        "--vector-stores",
        default=",".join(VECTOR_STORES),
        help="vector stores measured alone at the reference size ('' for none)",
    )
    parser.add_argument("--no-vector-stores", action="store_true", help="same as ''")
    parser.add_argument("--cache-dir", type=Path, default=default_cache_dir())
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON results")
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/ files")
    parser.add_argument(
        "--report-only", type=Path, help="re-render docs from a saved JSON; run nothing"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for option, known in (("systems", SYSTEMS), ("vector_stores", VECTOR_STORES)):
        unknown = sorted(set(_names(getattr(args, option))) - set(known))
        if unknown:
            parser.error(f"unknown --{option.replace('_', '-')} {unknown}; known: {list(known)}")
    args.argv = list(sys.argv[1:] if argv is None else argv)
    if args.quick:
        args.sizes, args.queries, args.max_query_seconds = "1000,5000", min(args.queries, 40), 5.0
    return args


def run_systems(
    args: argparse.Namespace,
    corpora: dict[int, CorpusInfo],
    reference: int,
    results: list[dict[str, Any]],
    saved: Callable[[], None],
) -> None:
    """Every system at each size of `corpora`, smallest size first, into `results`.

    `saved()` is called after every row, so that a run stopped early keeps what it did.
    """
    for size in sorted(corpora):
        names = _names(args.systems)
        if size > reference:  # what the targets need first: the slowest builds come last
            names.sort(key=lambda name: name not in TARGET_SYSTEMS)
        for name in names:
            system = SYSTEMS[name]
            row: dict[str, Any] = {"system": name, "size": size}
            previous = next(
                (r for r in reversed(results) if r["system"] == name and "latency" in r), None
            )
            reason = projection(
                previous,
                size,
                args.max_rss_gb,
                scans=system.rank_bm25,
                max_build_s=args.max_build_seconds,
            )
            if reason:
                row["skipped"] = reason
            else:
                seconds = args.max_query_seconds
                spec = {
                    **_base_spec(args),
                    "kind": "system",
                    "system": name,
                    "size": size,
                    "corpus": str(corpora[size].path),
                    "qps": True,
                    "writes": system.writes and size == reference,
                    "max_query_seconds": min(seconds, SCAN_QUERY_SECONDS)
                    if system.rank_bm25
                    else seconds,
                }
                row.update(run_worker(spec, timeout_s=3 * 3600))
            results.append(row)
            saved()
            print(one_line(system, row), flush=True)


def run_vector_stores(
    args: argparse.Namespace,
    corpus: CorpusInfo,
    rows: list[dict[str, Any]],
    saved: Callable[[], None],
) -> None:
    """The vector stores alone at the reference size, in both dimensions.

    With `--threads` set, the two exact stores also run with their libraries' default
    thread pools, to show what those do on this machine.
    """
    stores = _names(args.vector_stores)
    runs = [(store, dim, args.threads) for dim in VECTOR_DIMS for store in stores]
    if args.threads:
        runs += [
            (store, dim, 0)
            for dim in VECTOR_DIMS
            for store in ("numpy", "faiss")
            if store in stores
        ]
    for store, dim, threads in runs:
        seconds = args.max_query_seconds
        spec = {
            **_base_spec(args),
            "threads": threads,
            "kind": "vector_store",
            "store": store,
            "dim": dim,
            "size": corpus.size,
            "corpus": str(corpus.path),
            "max_query_seconds": min(seconds, 20.0) if store == "inmemory" else seconds,
        }
        row = {"store": store, "dim": dim, "threads": threads, "size": corpus.size}
        row.update(run_worker(spec, 3600))
        rows.append(row)
        saved()
        print(
            f"vector store {VECTOR_STORES[store]:<40} {dim:>4}d, threads "
            f"{threads or 'default'}: {cell(row)}",
            flush=True,
        )


def _names(option: str) -> list[str]:
    """The names in a comma-separated option ('' for none)."""
    return [name for name in option.split(",") if name]


def _base_spec(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "threads": args.threads,
        "data": str(args.data),
        "queries": args.queries,
        "seed": args.seed,
        "max_query_seconds": args.max_query_seconds,
    }


def one_line(system: System, row: dict[str, Any]) -> str:
    """A progress line."""
    size = f"{row['size']:>9,}"
    if "skipped" in row or "error" in row:
        return f"{size} {system.label:<52} {row.get('skipped') or row.get('error')}"
    return (
        f"{size} {system.label:<52} p50/p95 {cell(row):<22} index {row['index_s']:.1f} s, "
        f"peak {row['peak_rss_mb']:,.0f} MB"
    )


def publish(report: dict[str, Any], *, docs: bool) -> None:
    """Print the markdown section; write it and the plot into docs/."""
    section = markdown(report)
    print()
    print(section)
    if docs:
        write_section(MARKDOWN, section)
        plot(report, PLOT)
        print(f"wrote {MARKDOWN.relative_to(ROOT)} and {PLOT.relative_to(ROOT)}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark (or one worker, or only the report)."""
    args = parse_args(argv)
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return 0
    if args.report_only:
        publish(json.loads(args.report_only.read_text(encoding="utf-8")), docs=not args.no_docs)
        return 0

    sizes = sorted({int(s) for s in args.sizes.split(",")})
    reference = reference_size(sizes)
    started = datetime.now(timezone.utc)
    load_before = uptime()
    print(f"load before: {load_before}", flush=True)
    machine_before = machine()  # the commit the run started from
    corpora: dict[int, CorpusInfo] = {}
    for size in sizes:
        t0 = time.perf_counter()
        corpora[size] = prepare_corpus(size, args.data, args.cache_dir, args.seed)
        print(f"corpus {size:>9,}: {corpora[size].label} ({time.perf_counter() - t0:.1f} s)")

    report: dict[str, Any] = {
        "command": "python bench/speed.py " + " ".join(shlex.quote(a) for a in args.argv),
        "started": started.isoformat(timespec="seconds"),
        "finished": None,
        "complete": False,
        "load_before": load_before,
        "load_after": None,
        "machine": machine_before,
        "settings": {
            "sizes": sizes,
            "queries": args.queries,
            "reference_size": reference,
            "depth": DEPTH,
            "hybrid_k": HYBRID_K,
            "dim": DIM,
            "warmup": WARMUP,
            "write_batch": WRITE_BATCH,
            "write_rounds": WRITE_ROUNDS,
            "vector_dims": list(VECTOR_DIMS),
            "vector_stores": VECTOR_STORES,
            "max_query_seconds": args.max_query_seconds,
            "scan_query_seconds": SCAN_QUERY_SECONDS,
            "max_rss_gb": args.max_rss_gb,
            "max_build_seconds": args.max_build_seconds,
            "threads": args.threads,
            "seed": args.seed,
        },
        "corpora": [
            {"size": c.size, "n_real": c.n_real, "n_synthetic": c.n_synthetic, "label": c.label}
            for c in corpora.values()
        ],
        "systems": {
            name: {
                "label": SYSTEMS[name].label,
                "group": SYSTEMS[name].group,
                "scans": SYSTEMS[name].rank_bm25,
            }
            for name in _names(args.systems)
        },
        "results": [],
        "vector_stores": [],
    }

    def saved() -> None:
        """Write what is measured so far (a stopped run renders with `--report-only`)."""
        report["finished"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        if not report["complete"]:
            report["load_after"] = uptime()
        report["targets"] = targets(report)
        report["targets_issue17"] = issue17_targets(report)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")

    # Up to the reference size, the vector stores there, then the larger sizes: a run
    # stopped early still has the reference size complete.
    run_systems(
        args,
        {s: c for s, c in corpora.items() if s <= reference},
        reference,
        report["results"],
        saved,
    )
    if not args.no_vector_stores:
        run_vector_stores(args, corpora[reference], report["vector_stores"], saved)
    run_systems(
        args,
        {s: c for s, c in corpora.items() if s > reference},
        reference,
        report["results"],
        saved,
    )
    report["complete"] = True
    report["load_after"] = uptime()
    print(f"load after: {report['load_after']}", flush=True)
    saved()
    print(f"wrote {args.out}")
    publish(report, docs=not args.no_docs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
