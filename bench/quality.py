"""Quality benchmark: nDCG@10 and Recall@100 on SciFact and NFCorpus (BEIR test splits).

Every system uses all documents, the same precomputed all-MiniLM-L6-v2 vectors
(`<dataset>/embeddings/all-MiniLM-L6-v2/`, nothing is downloaded) and the same depths
(100 candidates per leg, 100 results). Anything tuned is tuned on SciFact `train` /
NFCorpus `dev`, by cross-validation over folds of that split, and only reported on `test`.

Rows:
  * peers, run here at their defaults (`bench/_peers.py`): LlamaIndex
    `QueryFusionRetriever` in each mode, Haystack `DocumentJoiner` in each mode, and
    LangChain's `EnsembleRetriever` 0.5/0.5 with `BM25Retriever`'s default preprocessing
    (`str.split`) and with the same analysis as ours;
  * single legs: each framework's BM25, ours with both analyses, and vector only;
  * `HybridRetriever` at its defaults (English stemming, relative-score fusion, alpha
    0.5), with each other fusion method, with Weaviate's analysis (what the Weaviate
    backend computes), with `alpha="auto"`, with the alpha chosen by cross-validation,
    and with a per-query alpha model fitted on the tuning split.

For the default and the best peer, a paired bootstrap over the test queries gives a 95%
interval for the difference in nDCG@10.

Usage, from the repository root:

    .venv/bin/python bench/quality.py [--data ../shared/data/beir] [--datasets scifact nfcorpus]

It prints the table, writes the "Quality" section of docs/benchmarks.md (between
`<!-- quality:start -->` and `<!-- quality:end -->`), the plots docs/img/alpha_<dataset>.png,
and the raw numbers, with the commit and package versions, to bench/results/quality.json.
`tests/unit_tests/test_benchmarks_page.py` fails when the page and the JSON disagree.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.metadata
import json
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from _peers import DEPTH, haystack_peers, llamaindex_peers
from langchain_classic.retrievers import EnsembleRetriever
from langchain_community.retrievers import BM25Retriever
from langchain_core.retrievers import BaseRetriever

from langchain_hybrid import Analyzer, HybridRetriever
from langchain_hybrid._types import Fusion
from langchain_hybrid.alpha_selection import choose_alpha
from langchain_hybrid.analysis import default_local_analyzer
from langchain_hybrid.evaluation import (
    Grid,
    PrecomputedEmbeddings,
    SweepResult,
    SweepRow,
    compute_metrics,
    load_beir,
    plot_sweep,
    precomputed_vector_store,
    retrieve,
    to_documents,
    tune,
)
from langchain_hybrid.evaluation.metrics import per_query_scores
from langchain_hybrid.evaluation.per_query import query_table, tune_per_query

REPO = Path(__file__).resolve().parents[1]
METRICS = ["ndcg@10", "recall@100"]
K = DEPTH

TUNE_SPLIT = {"scifact": "train", "nfcorpus": "dev"}
OTHER_FUSIONS: list[Fusion] = ["dbsf", "ranked", "zscore", "l2"]
TUNE_FUSIONS: list[Fusion] = ["relative_score", "dbsf"]
START, END = "<!-- quality:start -->", "<!-- quality:end -->"
PACKAGES = [
    "langchain-hybrid",
    "langchain-core",
    "langchain-community",
    "langchain-classic",
    "rank-bm25",
    "tantivy",
    "llama-index-core",
    "llama-index-retrievers-bm25",
    "bm25s",
    "PyStemmer",
    "haystack-ai",
    "ranx",
    "numpy",
]

DEFAULT_ROW = "HybridRetriever, defaults (English stemming, relative_score, alpha 0.5)"


@dataclass
class Row:
    """One system's scores on the test split."""

    system: str
    scores: dict[str, float]
    group: str
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
    tuning: dict[str, Any] = field(default_factory=dict)
    """The alpha sweep on the tuning split (`SweepResult.to_dict()`), for the plot."""
    cross_validation: dict[str, Any] = field(default_factory=dict)
    per_query: dict[str, Any] = field(default_factory=dict)
    """Per fusion: the per-query model's cross-validation and its scores."""
    paired: dict[str, Any] = field(default_factory=dict)
    plot: str = ""
    seconds: float = 0.0


def log(message: str) -> None:
    """Progress on stderr, with the time."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- one dataset


def run_dataset(  # noqa: PLR0915 - one straight list of the systems measured
    name: str, data: Path, img_dir: Path, max_queries: int | None
) -> DatasetResult:
    """Measure every system on one dataset's test split (tuning on its tuning split)."""
    started = time.perf_counter()
    path = data / name
    tune_split = TUNE_SPLIT[name]
    corpus, test_queries, test_qrels = load_beir(path, "test")
    _, tune_queries, tune_qrels = load_beir(path, tune_split)
    test_queries = {q: t for q, t in test_queries.items() if q in test_qrels}
    tune_queries = {q: t for q, t in tune_queries.items() if q in tune_qrels}
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
    rankings: dict[str, dict[str, list[str]]] = {}

    def add(group: str, system: str, ranked: dict[str, list[str]], note: str = "") -> None:
        scores = compute_metrics(test_qrels, ranked, METRICS)
        rankings[system] = ranked
        result.rows.append(Row(system, scores, group, note))
        log(f"{name}: {system}: " + ", ".join(f"{m} {v:.4f}" for m, v in scores.items()))

    def run_retriever(retriever: BaseRetriever, **search_kwargs: Any) -> dict[str, list[str]]:
        return retrieve(retriever, test_queries, search_kwargs=search_kwargs)

    def run_search(search: Callable[[str], list[str]]) -> dict[str, list[str]]:
        return {qid: search(text) for qid, text in test_queries.items()}

    # ------------------------------------------------------------------ peers
    peers = {**llamaindex_peers(documents, embeddings), **haystack_peers(documents, embeddings)}
    for system, search in peers.items():
        group = "single leg" if system.startswith("BM25 alone") else "peer"
        add(group, system, run_search(search))
    english = default_local_analyzer()
    bm25_default = BM25Retriever.from_documents(documents, k=K)
    bm25_ours = BM25Retriever.from_documents(documents, k=K, preprocess_func=english.query_tokens)
    vector_only = store.as_retriever(search_kwargs={"k": K})
    add(
        "single leg",
        "BM25 alone, LangChain `BM25Retriever` (`str.split`)",
        run_retriever(bm25_default),
    )
    add("single leg", "vector only (`InMemoryVectorStore`)", run_retriever(vector_only))
    add(
        "peer",
        "LangChain `EnsembleRetriever` 0.5/0.5, `BM25Retriever` default preprocessing",
        run_retriever(
            EnsembleRetriever(retrievers=[bm25_default, vector_only], weights=[0.5, 0.5])
        ),
    )
    add(
        "peer",
        "LangChain `EnsembleRetriever` 0.5/0.5, `BM25Retriever` with our analysis",
        run_retriever(EnsembleRetriever(retrievers=[bm25_ours, vector_only], weights=[0.5, 0.5])),
        "the same tokens as ours (stemmed, stopwords removed) on both sides",
    )

    # ------------------------------------------------------------------ ours
    hybrid = HybridRetriever.from_vectorstore(store, documents=documents, analyzer=english, k=K)
    weaviate_like = HybridRetriever.from_vectorstore(
        store, documents=documents, analyzer=Analyzer.weaviate(), k=K
    )
    add(
        "single leg",
        "BM25 alone, ours (English stemming, the default)",
        run_retriever(hybrid, alpha=0.0),
    )
    add(
        "single leg",
        "BM25 alone, ours (`Analyzer.weaviate()`)",
        run_retriever(weaviate_like, alpha=0.0),
    )
    add("ours", DEFAULT_ROW, run_retriever(hybrid))
    for fusion in OTHER_FUSIONS:
        add(
            "ours",
            f'HybridRetriever, `fusion="{fusion}"`, alpha 0.5',
            run_retriever(hybrid, fusion=fusion),
        )
    for fusion in ("relative_score", "ranked"):
        add(
            "ours",
            f"HybridRetriever, `Analyzer.weaviate()`, {fusion}, alpha 0.5",
            run_retriever(weaviate_like, fusion=fusion),
            "what the Weaviate backend computes",
        )

    log(f'{name}: alpha="auto" and per-query models ({tune_split}: {len(tune_queries)} queries)')
    test_table = query_table(hybrid, test_queries, test_qrels, grid=Grid(k=K))
    auto = test_table.rankings(
        range(len(test_table.query_ids)), [choose_alpha(e) for e in test_table.evidence]
    )
    add("ours", 'HybridRetriever, `alpha="auto"` (no labels)', auto)

    log(f"{name}: tuning alpha x fusion on {tune_split} by 5-fold cross-validation")
    tuned = tune(
        hybrid, tune_queries, tune_qrels, test_queries, test_qrels,
        grid=Grid(fusions=TUNE_FUSIONS, metrics=METRICS, k=K), tune_split=tune_split,
    )  # fmt: skip
    result.tuning = tuned.tuning.to_dict()
    result.cross_validation = tuned.cross_validation
    chosen = tuned.test_best
    add(
        "ours",
        f"HybridRetriever, alpha and fusion chosen by cross-validation ({chosen.fusion}, "
        f"alpha {chosen.alpha:g})",
        run_retriever(hybrid, **chosen.search_kwargs),
        f"chosen on {tune_split}",
    )
    for fusion in TUNE_FUSIONS:
        fitted = tune_per_query(
            hybrid,
            tune_queries,
            tune_qrels,
            test_queries,
            test_qrels,
            grid=Grid(k=K),
            fusion=fusion,
        )
        result.per_query[fusion] = fitted.to_dict()
        table = test_table if fusion == hybrid.fusion else query_table(
            hybrid, test_queries, test_qrels, grid=Grid(k=K), fusion=fusion
        )  # fmt: skip
        predicted = [fitted.model.predict(e, depth=table.depth) for e in table.evidence]
        add(
            "ours",
            f"HybridRetriever, per-query alpha model (`tune --per-query`), {fusion}",
            table.rankings(range(len(table.query_ids)), predicted),
            f"fitted on {tune_split}",
        )
    result.plot = draw(result, img_dir)
    result.paired = paired(result, rankings, test_qrels)
    result.seconds = time.perf_counter() - started
    return result


def paired(
    result: DatasetResult,
    rankings: Mapping[str, Mapping[str, list[str]]],
    qrels: Mapping[str, Mapping[str, int]],
    *,
    resamples: int = 10_000,
) -> dict[str, Any]:
    """Default minus each peer in nDCG@10: mean and a 95% paired bootstrap interval."""
    ours = per_query_scores(qrels, rankings[DEFAULT_ROW], "ndcg@10")
    queries = list(ours)
    rng = np.random.default_rng(0)
    draws = rng.integers(0, len(queries), size=(resamples, len(queries)))
    comparisons = {}
    for row in result.rows:
        if row.group != "peer":
            continue
        theirs = per_query_scores(qrels, rankings[row.system], "ndcg@10")
        diff = np.array([ours[q] - theirs[q] for q in queries])
        means = diff[draws].mean(axis=1)
        comparisons[row.system] = {
            "difference": float(diff.mean()),
            "low": float(np.quantile(means, 0.025)),
            "high": float(np.quantile(means, 0.975)),
            "wins": int((diff > 0).sum()),
            "losses": int((diff < 0).sum()),
        }
    return comparisons


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
        f"({sweep.num_queries} queries), default analysis",
    )
    return str(plot.relative_to(REPO)) if plot.is_relative_to(REPO) else str(plot)


# ---------------------------------------------------------------------------- reporting


def table_markdown(results: Sequence[DatasetResult]) -> str:
    """The results as one Markdown table, one column pair per dataset."""
    header = "| system |" + "".join(f" {r.name} nDCG@10 | {r.name} R@100 |" for r in results)
    rule = "|---|" + "---:|---:|" * len(results)
    lines = [header, rule]
    for index, row in enumerate(results[0].rows):
        cells = []
        for result in results:
            scores = result.rows[index].scores
            cells.append(f" {scores['ndcg@10']:.4f} | {scores['recall@100']:.3f} |")
        label = generic(row.system)
        lines.append(
            f"| {'**' + label + '**' if row.system == DEFAULT_ROW else label} |" + "".join(cells)
        )
    return "\n".join(lines)


def generic(label: str) -> str:
    """Row labels whose chosen values differ per dataset say so generically."""
    if "chosen by cross-validation (" in label:
        return label.split(" (", 1)[0]
    return label


def verdict_lines(results: Sequence[DatasetResult]) -> list[str]:
    """One line per dataset: where the default stands against the best peer."""
    lines = []
    for result in results:
        by_system = {row.system: row for row in result.rows}
        default = by_system[DEFAULT_ROW].scores["ndcg@10"]
        peers = sorted(
            (row for row in result.rows if row.group == "peer"),
            key=lambda row: row.scores["ndcg@10"],
            reverse=True,
        )
        best = peers[0]
        diff = result.paired[best.system]
        beaten = sum(default > row.scores["ndcg@10"] for row in peers)
        verb = "beats" if default > best.scores["ndcg@10"] else "does not beat"
        lines.append(
            f"{result.name}: the default {verb} "
            f"the best peer ({best.system}, {best.scores['ndcg@10']:.4f}) with {default:.4f}: "
            f"difference {diff['difference']:+.4f}, 95% paired bootstrap interval "
            f"[{diff['low']:+.4f}, {diff['high']:+.4f}], better on {diff['wins']} queries, "
            f"worse on {diff['losses']}; it beats {beaten} of the {len(peers)} peer rows"
        )
    return lines


def tuning_lines(results: Sequence[DatasetResult]) -> list[str]:
    """How cross-validation chose, and what the per-query models did, per dataset."""
    lines = []
    for result in results:
        cv = result.cross_validation
        best = cv["best_mean"]
        winners = ", ".join(f"{w['fusion']} {w['alpha']:g}" for w in cv["fold_winners"])
        lead = (
            "the best mean itself"
            if cv["chosen"] == best
            else f"within one standard error, {cv['standard_error']:.4f}, of the best"
        )
        lines.append(
            f"**{result.name}** ({result.tune_split}, {result.num_tune_queries} queries, "
            f"{cv['folds']} folds): best mean {best['fusion']} alpha {best['alpha']:g} "
            f"({best['scores']['ndcg@10']:.4f}); chosen {cv['chosen']['fusion']} alpha "
            f"{cv['chosen']['alpha']:g}, per-fold nDCG@10 {cv['mean']:.4f} +- {cv['spread']:.4f} "
            f"({lead}); each fold's "
            f"complement would pick: {winners}."
        )
        for fusion, fitted in result.per_query.items():
            validation = fitted["cross_validation"]
            test = fitted["test_scores"]
            lines.append(
                f"  per-query model, {fusion}: held-out folds {validation['mean']:.4f} +- "
                f"{validation['spread']:.4f} vs fixed alpha {validation['fixed_mean']:.4f} "
                f"(model better in {validation['wins']} of {len(validation['fold_scores'])} "
                f"folds, ridge {validation['ridge']:g}); on test: model {test['model']:.4f}, "
                f"cross-validated fixed alpha {fitted['fixed_alpha']:g} {test['fixed']:.4f}, "
                f"alpha 0.5 {test['default']:.4f}, auto {test['auto']:.4f}."
            )
    return lines


def section(results: Sequence[DatasetResult], saved: Mapping[str, Any]) -> str:
    """The Markdown of the "Quality" section, markers included."""
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
    verdicts = "\n".join(f"- {line}" for line in verdict_lines(results))
    tuning = "\n".join(
        f"- {line}" if not line.startswith("  ") else f"    - {line.strip()}"
        for line in tuning_lines(results)
    )
    versions = ", ".join(f"{name} {version}" for name, version in saved["versions"].items())
    return f"""{START}
## Quality

nDCG@10 and Recall@100 on the BEIR test splits ({splits}). Every system sees all
documents, the same precomputed all-MiniLM-L6-v2 vectors and the same depths ({DEPTH}
candidates per leg, {DEPTH} results); the peers run inside the benchmark at their
defaults (`bench/_peers.py`). Everything that is tuned is chosen on the tuning split
only, by 5-fold cross-validation, and then reported on test.

{table_markdown(results)}

Where the default stands (nDCG@10 on test; the interval is over resampled test queries,
so one that contains 0 is a tie):

{verdicts}

The default analysis is English Snowball stemming with Lucene's English query stopwords
(`Analyzer.english()`); Weaviate's analysis, which does not stem, is
`Analyzer.weaviate()` (the rows marked so are what the Weaviate backend computes, see
the parity section). `EnsembleRetriever` "with our analysis" gives LangChain's
`BM25Retriever` the same stemmed tokens, so that row measures the fusion, not the
tokenisation.

Cross-validation (one-standard-error rule: the configuration nearest the default among
those within one standard error of the best mean) and the per-query alpha:

{tuning}

{plots}

Run on commit `{saved["commit"]}` with {versions}. Reproduce (from the repository root,
{saved["seconds"] / 60:.0f} minutes on {saved["machine"]} with 2 cores):

```
{saved["command"]}
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
    """The results as plain text tables on stdout, then the verdicts."""
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
    for line in verdict_lines(results) + tuning_lines(results):
        print(line)


def provenance() -> dict[str, Any]:
    """The commit (and whether the tree had changes), package versions, and the machine."""

    def git(*args: str) -> str:
        return subprocess.run(  # noqa: S603 - fixed git arguments
            ["git", *args],  # noqa: S607 - git from PATH, as a developer runs it
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()

    versions = {package: _version(package) for package in PACKAGES}
    dirty = bool(git("status", "--porcelain", "--", "langchain_hybrid", "bench"))
    return {
        "commit": git("rev-parse", "--short", "HEAD")
        + (" (with uncommitted changes)" if dirty else ""),
        "versions": {"python": platform.python_version(), **versions},
        "machine": platform.machine(),
    }


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
    args = parser.parse_args(argv)

    if args.render_only:
        saved = json.loads(args.json.read_text(encoding="utf-8"))
        loaded = [_from_dict(item) for item in saved["datasets"]]
        for result in loaded:
            if result.tuning:
                result.plot = draw(result, args.img_dir)
        print_table(loaded)
        write_section(args.docs, section(loaded, saved))
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
    saved = {
        "command": command,
        "seconds": seconds,
        **provenance(),
        "datasets": [dataclasses.asdict(r) for r in results],
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(saved, indent=1) + "\n", encoding="utf-8")
    write_section(args.docs, section(results, saved))
    print(f"\nwrote {args.docs}, {args.json} and the plots in {args.img_dir}")
    return 0


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _from_dict(item: dict[str, Any]) -> DatasetResult:
    item = dict(item)
    rows = [Row(**row) for row in item.pop("rows")]
    return DatasetResult(**item, rows=rows)


if __name__ == "__main__":
    sys.exit(main())
