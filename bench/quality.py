"""Quality benchmark: nDCG@10 and Recall@100 on SciFact and NFCorpus (BEIR test splits).

Every system uses all documents and the same precomputed all-MiniLM-L6-v2 vectors
(`<dataset>/embeddings/all-MiniLM-L6-v2/`, nothing is downloaded). Anything tuned is
tuned on SciFact `train` / NFCorpus `dev` and only reported on `test`.

Rows:
  * BM25 alone: our tantivy engine (Weaviate-style analysis), our rank_bm25 engine
    (BM25Okapi, same analysis), and LangChain's `BM25Retriever` (default preprocessing);
  * vector alone (`InMemoryVectorStore.as_retriever`);
  * LangChain's `EnsembleRetriever` over those two, weights 0.5/0.5 (the incumbent), with
    k=100 per retriever (as Recall@100 needs) and k=10 (its better nDCG@10);
  * `HybridRetriever` (tantivy, defaults) with both fusions at alpha 0.5 and at the alpha
    tuned on the tuning split;
  * the best configuration found on the tuning split among keyword analyses (stemming,
    title boost), fetch depths, fusions and alphas, reported on test.

Usage, from the repository root:

    .venv/bin/python bench/quality.py [--data ../shared/data/beir] [--datasets scifact nfcorpus]

It prints the table and whether each target holds, writes the "Quality" section of
docs/benchmarks.md (between `<!-- quality:start -->` and `<!-- quality:end -->`), the
plots docs/img/alpha_<dataset>.png, and the raw numbers to bench/results/quality.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import shlex
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from _weaviate import weaviate_client
from langchain_classic.retrievers import EnsembleRetriever
from langchain_community.retrievers import BM25Retriever
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from langchain_hybrid import Analyzer, HybridRetriever
from langchain_hybrid._types import Fusion, Hit
from langchain_hybrid.evaluation import (
    CorpusDocument,
    Legs,
    PrecomputedEmbeddings,
    SweepResult,
    SweepRow,
    collect_legs,
    compute_metrics,
    evaluate,
    fused_rankings,
    load_beir,
    plot_sweep,
    precomputed_vector_store,
    to_documents,
    tune,
)

REPO = Path(__file__).resolve().parents[1]
METRICS = ["ndcg@10", "recall@100"]
K = 100

TUNE_SPLIT = {"scifact": "train", "nfcorpus": "dev"}
TARGET = {"scifact": 0.74, "nfcorpus": 0.36}
PUBLISHED_FUSION = {"scifact": 0.734, "nfcorpus": 0.356}
"""Best published BM25 + all-MiniLM-L6-v2 fusion (min-max, stemmed BM25, depth 1000)."""

_TIE_EPSILON = 1e-7  # `langchain_hybrid.fusion._TIE_EPSILON`
START, END = "<!-- quality:start -->", "<!-- quality:end -->"


@dataclass(frozen=True)
class KeywordVariant:
    """One way to build the keyword leg, tried in the best-configuration search."""

    label: str
    engine: str = "tantivy"
    stemmer: str | None = None
    title_boost: int = 1
    """How many times the title is indexed (2 = title counted twice, a cheap field boost)."""

    def documents(
        self, corpus: Mapping[str, CorpusDocument], documents: list[Document]
    ) -> list[Document]:
        """The documents the keyword index is built from (the vector store keeps its own)."""
        if self.title_boost == 1:
            return documents
        return [
            Document(
                id=doc_id,
                page_content=" ".join([doc.title] * self.title_boost + [doc.text]).strip(),
                metadata={"title": doc.title},
            )
            for doc_id, doc in corpus.items()
        ]

    def retriever(
        self,
        store: Any,
        corpus: Mapping[str, CorpusDocument],
        documents: list[Document],
    ) -> HybridRetriever:
        """A `HybridRetriever` over the shared vector store with this keyword leg."""
        return HybridRetriever.from_vectorstore(
            store,
            documents=self.documents(corpus, documents),
            keyword_engine=self.engine,
            analyzer=Analyzer(stemmer=self.stemmer),
            k=K,
        )


VARIANTS = [
    KeywordVariant("tantivy, Weaviate-style analysis"),
    KeywordVariant("tantivy, English stemming", stemmer="english"),
    KeywordVariant("tantivy, English stemming, title x2", stemmer="english", title_boost=2),
]
SEARCH_FETCH_KS = [100, 250, 1000]
SEARCH_ALPHAS = [round(i / 20, 2) for i in range(21)]
SEARCH_FUSIONS: list[Fusion] = ["relative_score", "ranked"]


@dataclass
class Row:
    """One system's scores on the test split."""

    system: str
    scores: dict[str, float]
    note: str = ""


@dataclass
class DatasetResult:
    """Everything measured on one dataset."""

    name: str
    tune_split: str
    num_documents: int
    num_test_queries: int
    num_tune_queries: int
    rows: list[Row] = field(default_factory=list)
    targets: dict[str, bool] = field(default_factory=dict)
    best: dict[str, Any] = field(default_factory=dict)
    plot: str = ""
    tuning: dict[str, Any] = field(default_factory=dict)
    """The alpha sweep on the tuning split (`SweepResult.to_dict()`), for the plot."""
    seconds: float = 0.0


def log(message: str) -> None:
    """Progress on stderr, with the time."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- one dataset


def run_dataset(name: str, data: Path, img_dir: Path, max_queries: int | None) -> DatasetResult:
    """Measure every system on one dataset's test split (tuning on its tuning split)."""
    started = time.perf_counter()
    path = data / name
    tune_split = TUNE_SPLIT[name]
    corpus, test_queries, test_qrels = load_beir(path, "test")
    _, tune_queries, tune_qrels = load_beir(path, tune_split)
    if max_queries:
        test_queries = dict(list(test_queries.items())[:max_queries])
        tune_queries = dict(list(tune_queries.items())[:max_queries])
        test_qrels = {q: test_qrels[q] for q in test_queries}
        tune_qrels = {q: tune_qrels[q] for q in tune_queries}
    documents = to_documents(corpus)
    embeddings = PrecomputedEmbeddings.from_beir(path, corpus=corpus)
    store = precomputed_vector_store(documents, embeddings)
    result = DatasetResult(
        name=name,
        tune_split=tune_split,
        num_documents=len(documents),
        num_test_queries=len(test_queries),
        num_tune_queries=len(tune_queries),
    )
    log(f"{name}: {len(documents)} documents, {len(test_queries)} test queries")

    def score(retriever: BaseRetriever, **search_kwargs: Any) -> dict[str, float]:
        return evaluate(
            retriever, test_queries, test_qrels, metrics=METRICS, search_kwargs=search_kwargs
        ).scores

    def add(system: str, scores: dict[str, float], note: str = "") -> None:
        result.rows.append(Row(system, scores, note))
        log(f"{name}: {system}: " + ", ".join(f"{m} {v:.4f}" for m, v in scores.items()))

    # The incumbent: LangChain's own retrievers over the same documents and vectors.
    bm25_langchain = BM25Retriever.from_documents(documents, k=K)
    vector_only = store.as_retriever(search_kwargs={"k": K})
    ensemble = EnsembleRetriever(retrievers=[bm25_langchain, vector_only], weights=[0.5, 0.5])

    hybrid = HybridRetriever.from_vectorstore(store, documents=documents, k=K)
    hybrid_rank_bm25 = HybridRetriever.from_vectorstore(
        store, documents=documents, keyword_engine="rank_bm25", k=K
    )
    add("BM25, tantivy engine (Weaviate-style analysis)", score(hybrid, alpha=0.0))
    add("BM25, rank_bm25 engine (BM25Okapi, same analysis)", score(hybrid_rank_bm25, alpha=0.0))
    add("BM25, LangChain `BM25Retriever` (default preprocessing)", score(bm25_langchain))
    add("vector only (`InMemoryVectorStore`)", score(vector_only))
    add("LangChain `EnsembleRetriever` 0.5/0.5, k=100 per retriever (incumbent)", score(ensemble))
    ensemble_k10 = EnsembleRetriever(
        retrievers=[
            BM25Retriever.from_documents(documents, k=10),
            store.as_retriever(search_kwargs={"k": 10}),
        ],
        weights=[0.5, 0.5],
    )
    add(
        "LangChain `EnsembleRetriever` 0.5/0.5, k=10 per retriever (incumbent)",
        score(ensemble_k10),
        "returns at most 20 documents: its Recall@100 is not comparable",
    )
    for fusion in SEARCH_FUSIONS:
        add(f"HybridRetriever, {fusion}, alpha 0.5", score(hybrid, alpha=0.5, fusion=fusion))

    log(f"{name}: tuning alpha on {tune_split} ({len(tune_queries)} queries)")
    tuned = tune(
        hybrid,
        tune_queries,
        tune_qrels,
        test_queries,
        test_qrels,
        metrics=METRICS,
        k=K,
        tune_split=tune_split,
    )
    for row in tuned.test_rows:
        add(
            f"HybridRetriever, {row.fusion}, tuned alpha {row.alpha:g}",
            row.scores,
            f"alpha chosen on {tune_split}",
        )
    result.tuning = tuned.tuning.to_dict()
    result.plot = draw(result, img_dir)

    best = search_best(corpus, documents, store, tune_queries, tune_qrels)
    retriever = best["variant"].retriever(store, corpus, documents)
    config = best["row"]
    test_scores = score(retriever, alpha=config.alpha, fusion=config.fusion, fetch_k=config.fetch_k)
    description = (
        f"{best['variant'].label}, {config.fusion}, alpha {config.alpha:g}, "
        f"fetch_k {config.fetch_k}"
    )
    add(f"best configuration: {description}", test_scores, f"chosen on {tune_split}")
    result.best = {
        "keyword": dataclasses.asdict(best["variant"]),
        "fusion": config.fusion,
        "alpha": config.alpha,
        "fetch_k": config.fetch_k,
        "tune_scores": config.scores,
        "test_scores": test_scores,
        "search": best["table"],
    }

    result.targets = targets(result, tuned.test_best.scores["ndcg@10"], test_scores["ndcg@10"])
    result.seconds = time.perf_counter() - started
    return result


def draw(result: DatasetResult, img_dir: Path) -> str:
    """Plot the tuning sweep to `img_dir/alpha_<dataset>.png`; returns its repo path."""
    saved = dict(result.tuning)
    sweep = SweepResult(
        **{
            **saved,
            "rows": [SweepRow(**row) for row in saved["rows"]],
            "best": SweepRow(**saved["best"]),
        }
    )
    plot = plot_sweep(
        sweep,
        img_dir / f"alpha_{result.name}.png",
        title=f"{result.name}: nDCG@10 vs alpha, {result.tune_split} "
        f"({sweep.num_queries} queries), tantivy defaults",
    )
    return str(plot.relative_to(REPO)) if plot.is_relative_to(REPO) else str(plot)


def targets(result: DatasetResult, tuned: float, best: float) -> dict[str, bool]:
    """The issue's targets, on the test split's nDCG@10."""
    by_system = {row.system: row.scores["ndcg@10"] for row in result.rows}
    incumbent = max(v for system, v in by_system.items() if "(incumbent)" in system)
    singles = [result.rows[0].scores["ndcg@10"], result.rows[3].scores["ndcg@10"]]
    return {
        "tuned hybrid beats the incumbent": tuned > incumbent,
        "tuned hybrid beats both single legs": tuned > max(singles),
        f"best configuration reaches {TARGET[result.name]}": best >= TARGET[result.name],
    }


def search_best(
    corpus: Mapping[str, CorpusDocument],
    documents: list[Document],
    store: Any,
    queries: Mapping[str, str],
    qrels: Mapping[str, Mapping[str, int]],
) -> dict[str, Any]:
    """Pick keyword variant x fetch_k x fusion x alpha by nDCG@10 on the tuning split.

    Each leg is fetched once per variant, as deep as the deepest fetch_k, through the
    retriever (the vector leg, which no variant changes, only once), and cut to each
    depth. The grid is then scored with `fast_fuse`, a NumPy rendering of
    `langchain_hybrid.fusion.fuse` (several hundred grid points x 800 queries would take
    the pure-Python `fuse` half an hour on two cores). The chosen point is re-scored with
    the library's own `fused_rankings` (and must agree), and run on the test split
    through the retriever itself.
    """
    deepest = max(SEARCH_FETCH_KS)
    base = VARIANTS[0].retriever(store, corpus, documents)
    log(f"search: vector leg, depth {deepest}, {len(queries)} queries")
    vector = collect_legs(base, queries, deepest, legs=("vector",)).vector
    table: list[dict[str, Any]] = []
    best: dict[str, Any] | None = None
    for variant in VARIANTS:
        retriever = base if variant == VARIANTS[0] else variant.retriever(store, corpus, documents)
        log(f"search: keyword leg, {variant.label}")
        keyword = collect_legs(retriever, queries, deepest, legs=("keyword",)).keyword
        for depth in SEARCH_FETCH_KS:
            prepared = {
                query_id: Prepared.of(keyword[query_id][:depth], vector[query_id][:depth])
                for query_id in queries
            }
            for fusion in SEARCH_FUSIONS:
                for alpha in SEARCH_ALPHAS:
                    rankings = {
                        query_id: item.rank(alpha, fusion, K) for query_id, item in prepared.items()
                    }
                    row = SweepRow(alpha, fusion, depth, compute_metrics(qrels, rankings, METRICS))
                    table.append({"keyword": variant.label, **dataclasses.asdict(row)})
                    if best is None or row.scores["ndcg@10"] > best["row"].scores["ndcg@10"]:
                        best = {"variant": variant, "row": row, "keyword": keyword}
        top = max((r for r in table if r["keyword"] == variant.label), key=_ndcg)
        log(
            f"search: {variant.label}: best {top['fusion']}, alpha {top['alpha']}, "
            f"fetch_k {top['fetch_k']}: nDCG@10 {_ndcg(top):.4f}"
        )
    if best is None:
        msg = "the search grid is empty"
        raise RuntimeError(msg)
    row = best["row"]
    legs = Legs(row.fetch_k, _cut(best["keyword"], row.fetch_k), _cut(vector, row.fetch_k))
    library = compute_metrics(
        qrels,
        fused_rankings(legs, alpha=row.alpha, fusion=row.fusion, k=K, rank_constant=60),
        METRICS,
    )
    if abs(library["ndcg@10"] - row.scores["ndcg@10"]) > 1e-9:  # noqa: PLR2004
        log(f"WARNING: fast_fuse and fuse disagree: {row.scores} != {library}")
    return {"variant": best["variant"], "row": row, "table": table}


@dataclass(frozen=True)
class Prepared:
    """One query's two legs as aligned arrays over the union of their documents."""

    ids: np.ndarray
    in_keyword: np.ndarray
    in_vector: np.ndarray
    keyword_raw: np.ndarray
    vector_raw: np.ndarray
    keyword_minmax: np.ndarray
    vector_minmax: np.ndarray
    keyword_rrf: np.ndarray
    vector_rrf: np.ndarray
    id_rank: np.ndarray

    @classmethod
    def of(cls, keyword: Sequence[Hit], vector: Sequence[Hit]) -> Prepared:
        """Align the legs; scores are 0 where a leg did not find a document."""
        ids = list(dict.fromkeys([h.id for h in keyword] + [h.id for h in vector]))
        position = {doc_id: i for i, doc_id in enumerate(ids)}
        arrays: dict[str, np.ndarray] = {}
        for leg, hits in (("keyword", keyword), ("vector", vector)):
            index = np.array([position[h.id] for h in hits], dtype=np.int64)
            raw = np.array([h.score for h in hits], dtype=np.float64)
            found = np.zeros(len(ids), dtype=bool)
            found[index] = True
            full_raw = np.zeros(len(ids))
            full_raw[index] = raw
            minmax = np.zeros(len(ids))
            if len(raw):
                span = raw.max() - raw.min()
                minmax[index] = (raw - raw.min()) / span if span else 1.0
            rrf = np.zeros(len(ids))
            rrf[index] = 1.0 / (np.arange(len(raw)) + 60)
            arrays |= {
                f"in_{leg}": found,
                f"{leg}_raw": full_raw,
                f"{leg}_minmax": minmax,
                f"{leg}_rrf": rrf,
            }
        id_array = np.array(ids, dtype=object)
        return cls(ids=id_array, id_rank=np.argsort(np.argsort(id_array)), **arrays)

    def rank(self, alpha: float, fusion: Fusion, k: int) -> list[str]:
        """The first `k` ids as `fuse` orders them (ties: last leg's raw score, then id)."""
        kind = "minmax" if fusion == "relative_score" else "rrf"
        keyword, vector = getattr(self, f"keyword_{kind}"), getattr(self, f"vector_{kind}")
        if alpha == 0:
            keep, score, tie = self.in_keyword, keyword, self.keyword_raw
        elif alpha == 1:
            keep, score, tie = self.in_vector, vector, self.vector_raw
        else:
            keep = self.in_keyword | self.in_vector
            score = (1 - alpha) * keyword + alpha * vector
            tie = np.where(self.in_vector, self.vector_raw, self.keyword_raw)
        index = np.flatnonzero(keep)
        index = index[np.lexsort((self.id_rank[index], -tie[index], -score[index]))]
        ordered = score[index]
        if np.all(ordered[:-1] - ordered[1:] >= _TIE_EPSILON):
            return list(self.ids[index[:k]])
        # Scores closer than 1e-7 tie, as in `fuse`: bucket them like `_sort_like_weaviate`.
        result: list[int] = []
        start = 0
        while start < len(index) and len(result) < k:
            end = start + 1
            while end < len(index) and ordered[start] - ordered[end] < _TIE_EPSILON:
                end += 1
            bucket = index[start:end]
            result.extend(bucket[np.lexsort((self.id_rank[bucket], -tie[bucket]))])
            start = end
        return list(self.ids[result[:k]])


def _cut(hits: Mapping[str, list[Hit]], depth: int) -> dict[str, list[Hit]]:
    return {query_id: found[:depth] for query_id, found in hits.items()}


def _ndcg(row: Mapping[str, Any]) -> float:
    return float(row["scores"]["ndcg@10"])


# ---------------------------------------------------------------------------- reporting


def table_markdown(results: Sequence[DatasetResult]) -> str:
    """The results as one Markdown table, one column pair per dataset."""
    header = "| system |" + "".join(f" {r.name} nDCG@10 | {r.name} R@100 |" for r in results)
    rule = "|---|" + "---:|---:|" * len(results)
    lines = [header, rule]
    for index, row in enumerate(results[0].rows):
        label = row.system.split(": ")[0] if row.system.startswith("best") else row.system
        label = _generic(label)
        cells = []
        for result in results:
            scores = result.rows[index].scores
            cells.append(f" {scores['ndcg@10']:.3f} | {scores['recall@100']:.3f} |")
        lines.append(f"| {label} |" + "".join(cells))
    return "\n".join(lines)


def _generic(label: str) -> str:
    """Row labels whose alpha differs per dataset say so generically."""
    if ", tuned alpha " in label:
        return label.split(", tuned alpha ", maxsplit=1)[0] + ", tuned alpha"
    return label


def check_lines(results: Sequence[DatasetResult]) -> list[str]:
    """One line per target: HOLDS or MISSED."""
    lines = []
    for result in results:
        for target, holds in result.targets.items():
            lines.append(f"{'HOLDS ' if holds else 'MISSED'}  {result.name}: {target}")
    return lines


def section(results: Sequence[DatasetResult], command: str, seconds: float) -> str:
    """The Markdown of the "Quality" section, markers included."""
    tuned_alphas = "; ".join(
        f"{r.name}: "
        + ", ".join(
            f"{row.system.split(', ')[1]} {row.system.rsplit(' ', 1)[1]}"
            for row in r.rows
            if "tuned alpha" in row.system
        )
        for r in results
    )
    bests = "\n".join(
        f"- **{r.name}**: {r.rows[-1].system.removeprefix('best configuration: ')} "
        f"(nDCG@10 {r.best['tune_scores']['ndcg@10']:.4f} on {r.tune_split}, "
        f"{r.best['test_scores']['ndcg@10']:.4f} on test)"
        for r in results
    )
    variants = "; ".join(v.label for v in VARIANTS)
    checks = "\n".join(f"- {line}" for line in check_lines(results))
    plots = "\n".join(
        f"![{r.name}: nDCG@10 against alpha on {r.tune_split}]({Path(r.plot).relative_to('docs')})"
        if r.plot.startswith("docs/")
        else f"![{r.name}]({r.plot})"
        for r in results
    )
    splits = ", ".join(
        f"{r.name} {r.num_documents:,} documents, {r.num_test_queries} test queries, "
        f"tuned on {r.tune_split} ({r.num_tune_queries} queries)"
        for r in results
    )
    return f"""{START}
## Quality

nDCG@10 and Recall@100 on the BEIR test splits ({splits}). Every system sees all
documents and the same precomputed all-MiniLM-L6-v2 vectors; everything that is tuned
(alpha, and the search for the best configuration) is chosen on the tuning split only
and then reported on test.

{table_markdown(results)}

The incumbent is shown twice: with k=100 per retriever, which Recall@100 needs, and with
k=10, its better nDCG@10 (it then returns at most 20 documents, so its R@100 is not
comparable). `BM25Retriever` uses LangChain's default preprocessing (`str.split`); our
BM25 rows use Weaviate's word tokenization, lowercase and query stopwords.

Tuned alphas (chosen on the tuning split by nDCG@10): {tuned_alphas}.

Best configuration, searched on the tuning split over the keyword leg ({variants}),
fetch_k {SEARCH_FETCH_KS}, both fusions and alpha in steps of 0.05. "title x2" indexes
the title twice in the keyword leg's documents (a cheap title boost; the vector leg keeps
its `title + " " + text` vectors):

{bests}

Targets (goals, not CI assertions; the best published BM25 + all-MiniLM-L6-v2 fusion
results we know are {", ".join(f"{k} {v}" for k, v in PUBLISHED_FUSION.items())}):

{checks}

The Weaviate backend is not measured yet (the backend is being written); this section
will gain its rows through `--weaviate URL`.

{plots}

Reproduce (from the repository root, {seconds / 60:.0f} minutes on
{platform.machine()} with 2 cores):

```
{command}
```
{END}"""


def write_section(path: Path, text: str) -> None:
    """Replace the quality section of `path`, or add it; nothing else is touched."""
    if path.exists():
        current = path.read_text(encoding="utf-8")
        if START in current and END in current:
            before, rest = current.split(START, 1)
            after = rest.split(END, 1)[1]
            path.write_text(before + text + after, encoding="utf-8")
            return
        path.write_text(current.rstrip("\n") + "\n\n" + text + "\n", encoding="utf-8")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# Benchmarks\n\n" + text + "\n", encoding="utf-8")


def print_table(results: Sequence[DatasetResult]) -> None:
    """The results as plain text tables on stdout, then the target checks."""
    width = max(len(row.system) for r in results for row in r.rows)
    for result in results:
        print(f"\n{result.name} (test, {result.num_test_queries} queries; tuned on "
              f"{result.tune_split}, {result.num_tune_queries} queries)")  # fmt: skip
        print(f"{'system'.ljust(width)}  nDCG@10  R@100")
        print(f"{'-' * width}  -------  -----")
        for row in result.rows:
            ndcg, recall = row.scores["ndcg@10"], row.scores["recall@100"]
            print(f"{row.system.ljust(width)}  {ndcg:7.4f}  {recall:5.3f}")
    print()
    for line in check_lines(results):
        print(line)


# ---------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/beir"))
    parser.add_argument(
        "--datasets", nargs="+", choices=sorted(TUNE_SPLIT), default=["scifact", "nfcorpus"]
    )
    parser.add_argument("--docs", type=Path, default=REPO / "docs" / "benchmarks.md")
    parser.add_argument("--img-dir", type=Path, default=REPO / "docs" / "img")
    parser.add_argument("--json", type=Path, default=REPO / "bench" / "results" / "quality.json")
    parser.add_argument(
        "--max-queries",
        type=int,
        default=None,
        help="only the first N queries of each split (a smoke run; writes no docs)",
    )
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="rewrite the docs section from the --json results of an earlier run",
    )
    parser.add_argument(
        "--weaviate",
        metavar="URL",
        nargs="?",
        const="",
        default=None,
        help=(
            "add the Weaviate backend's rows (alpha 0.5 and the tuned alphas) to the results "
            "in --json and rewrite the docs; without URL a native server is started"
        ),
    )
    parser.add_argument("--grpc-port", type=int, default=50051, help="with --weaviate URL")
    args = parser.parse_args(argv)

    if args.weaviate is not None:
        saved = json.loads(args.json.read_text(encoding="utf-8"))
        loaded = [_from_dict(item) for item in saved["datasets"]]
        started = time.perf_counter()
        with weaviate_client(args.weaviate or None, args.grpc_port) as client:
            for result in loaded:
                add_weaviate_rows(result, args.data, client)
        command = saved["command"] + " && .venv/bin/python bench/quality.py --weaviate"
        seconds = saved["seconds"] + time.perf_counter() - started
        saved.update(
            command=command, seconds=seconds, datasets=[dataclasses.asdict(r) for r in loaded]
        )
        args.json.write_text(json.dumps(saved, indent=1) + "\n", encoding="utf-8")
        print_table(loaded)
        write_section(args.docs, section(loaded, command, seconds))
        return 0

    if args.render_only:
        saved = json.loads(args.json.read_text(encoding="utf-8"))
        loaded = [_from_dict(item) for item in saved["datasets"]]
        for result in loaded:
            if result.tuning:
                result.plot = draw(result, args.img_dir)
        print_table(loaded)
        write_section(args.docs, section(loaded, saved["command"], saved["seconds"]))
        print(f"\nwrote {args.docs} from {args.json}")
        return 0
    img_dir = args.img_dir
    if args.max_queries:  # a smoke run must not overwrite the published plots
        img_dir = Path(tempfile.mkdtemp(prefix="quality-smoke-"))
    started = time.perf_counter()
    results = [run_dataset(name, args.data, img_dir, args.max_queries) for name in args.datasets]
    seconds = time.perf_counter() - started
    print_table(results)

    command = ".venv/bin/python bench/quality.py" + "".join(
        f" {shlex.quote(arg)}" for arg in (argv if argv is not None else sys.argv[1:])
    )
    if args.max_queries:
        print("\n(smoke run with --max-queries: docs/benchmarks.md not written)")
        return 0
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "command": command,
                "seconds": seconds,
                "datasets": [dataclasses.asdict(r) for r in results],
            },
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    write_section(args.docs, section(results, command, seconds))
    print(f"\nwrote {args.docs}, {args.json} and the plots in {args.img_dir}")
    return 0


def add_weaviate_rows(result: DatasetResult, data: Path, client: Any) -> None:
    """Measure the Weaviate backend at alpha 0.5 and the tuned alphas; rows go before "best"."""
    corpus, test_queries, test_qrels = load_beir(data / result.name, "test")
    documents = to_documents(corpus)
    embeddings = PrecomputedEmbeddings.from_beir(data / result.name, corpus=corpus)
    name = f"Quality_{result.name.capitalize()}"
    if client.collections.exists(name):
        client.collections.delete(name)
    remote = HybridRetriever.from_weaviate(client, name, embeddings, k=K)
    log(f"{result.name}: loading {len(documents)} documents into Weaviate")
    remote.add_documents(documents)
    tuned = {
        row.system.split(", ")[1]: float(row.system.rsplit(" ", 1)[1])
        for row in result.rows
        if row.system.startswith("HybridRetriever") and "tuned alpha" in row.system
    }
    settings = [(fusion, 0.5, "alpha 0.5") for fusion in SEARCH_FUSIONS] + [
        (fusion, alpha, f"tuned alpha {alpha:g}") for fusion, alpha in tuned.items()
    ]
    rows = []
    try:
        for fusion, alpha, label in settings:
            scores = evaluate(
                remote,
                test_queries,
                test_qrels,
                metrics=METRICS,
                search_kwargs={"alpha": alpha, "fusion": fusion},
            ).scores
            rows.append(Row(f"Weaviate backend, {fusion}, {label}", scores, "Weaviate 1.39.3"))
            log(f"{result.name}: Weaviate {fusion} {label}: {scores}")
    finally:
        client.collections.delete(name)
    kept = [row for row in result.rows if not row.system.startswith("Weaviate backend")]
    result.rows = kept[:-1] + rows + kept[-1:]  # "best configuration" stays last


def _from_dict(item: dict[str, Any]) -> DatasetResult:
    rows = [Row(**row) for row in item.pop("rows")]
    return DatasetResult(**item, rows=rows)


if __name__ == "__main__":
    sys.exit(main())
