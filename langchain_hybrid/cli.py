"""The `langchain-hybrid` command: evaluate and tune the hybrid retriever on BEIR data.

```
langchain-hybrid eval --dataset scifact --split test --alpha 0.5 --fusion relative_score
langchain-hybrid tune --dataset scifact --tune-split train --test-split test --plot alpha.png
```

Both read a BEIR-format dataset directory (`--data`/`--dataset`) and its precomputed
embeddings, so no model is downloaded. Tables go to stdout, the progress bar to stderr
(only on a terminal, never with `--json`), and `--json` prints one JSON document.

Subcommands live in `SUBCOMMANDS`; another module adds one with `register`:

```python
from langchain_hybrid.cli import Subcommand, register


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8000)


def run(args: argparse.Namespace) -> int:
    print("serving on", args.port)
    return 0


register(Subcommand("demo", "run the demo", add_arguments, run))
```

This is the only module of the package that prints.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TextIO, cast

from langchain_hybrid._argtypes import positive_int, unit_interval
from langchain_hybrid._types import Fusion
from langchain_hybrid.analysis import STEMMERS, Analyzer
from langchain_hybrid.demo import cli as demo_cli
from langchain_hybrid.errors import HybridSearchError
from langchain_hybrid.fusion import FUSION_METHODS
from langchain_hybrid.keyword_index import ENGINES
from langchain_hybrid.retriever import HybridRetriever

if TYPE_CHECKING:
    from collections.abc import Mapping

    from langchain_hybrid.evaluation import CorpusDocument, Grid, SweepResult, TuneResult
    from langchain_hybrid.evaluation.per_query import PerQueryResult

__all__ = ["SUBCOMMANDS", "Subcommand", "build_parser", "main", "register"]

DEFAULT_DATA: Final = Path("..") / "shared" / "data" / "beir"
PROG: Final = "langchain-hybrid"


@dataclass(frozen=True)
class Subcommand:
    """One `langchain-hybrid <name>` subcommand.

    Attributes:
        name: the word typed after `langchain-hybrid`.
        help: one line for `langchain-hybrid --help`.
        add_arguments: adds the subcommand's options to its parser.
        run: runs it with the parsed arguments; returns the exit status.
    """

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


SUBCOMMANDS: dict[str, Subcommand] = {}
"""Registered subcommands by name, in registration order."""


def register(subcommand: Subcommand) -> Subcommand:
    """Add a subcommand (replacing one of the same name) and return it.

    Example:
        ```python
        register(Subcommand("demo", "run the demo", add_arguments, run))
        ```
    """
    SUBCOMMANDS[subcommand.name] = subcommand
    return subcommand


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Hybrid (BM25 + vector) retrieval for LangChain: evaluate and tune alpha.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for subcommand in SUBCOMMANDS.values():
        sub = commands.add_parser(
            subcommand.name, help=subcommand.help, description=subcommand.help
        )
        subcommand.add_arguments(sub)
        sub.set_defaults(handler=subcommand.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 error, 2 bad usage).

    Example:
        ```python
        main(["eval", "--dataset", "scifact", "--split", "test", "--json"])
        ```
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = cast("Callable[[argparse.Namespace], int]", args.handler)
    try:
        return handler(args)
    except (HybridSearchError, FileNotFoundError, ImportError) as exc:
        print(f"{PROG} {args.command}: error: {exc}", file=sys.stderr)
        return 1


# ---------------------------------------------------------------------------- shared options


def _add_dataset_arguments(parser: argparse.ArgumentParser) -> None:
    data = parser.add_argument_group("data")
    data.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help="directory holding the BEIR datasets (default: %(default)s, relative to the "
        "current directory)",
    )
    data.add_argument(
        "--dataset", required=True, help="dataset directory name under --data, e.g. scifact"
    )
    data.add_argument(
        "--model",
        default="all-MiniLM-L6-v2",
        help="precomputed embeddings to use: <dataset>/embeddings/<model>/ (default: %(default)s)",
    )
    data.add_argument(
        "--max-queries",
        type=positive_int,
        default=None,
        metavar="N",
        help="use only the first N judged queries of each split (a quick look)",
    )
    index = parser.add_argument_group("keyword index")
    index.add_argument(
        "--engine",
        choices=sorted(ENGINES),
        default="tantivy",
        help="BM25 engine (default: %(default)s)",
    )
    index.add_argument(
        "--stemmer",
        choices=[*STEMMERS, "none"],
        default=None,
        help="Snowball stemmer for the keyword leg (default: english, the local default; "
        "none: Weaviate's analysis)",
    )
    search = parser.add_argument_group("search")
    search.add_argument(
        "--k",
        type=positive_int,
        default=100,
        help="documents retrieved per query (default: %(default)s, for Recall@100)",
    )
    search.add_argument(
        "--metrics",
        type=_csv,
        default=None,
        help="comma-separated metrics (default: ndcg@10,recall@100,mrr@10)",
    )
    output = parser.add_argument_group("output")
    output.add_argument("--json", action="store_true", help="print one JSON document")


@dataclass(frozen=True)
class _Loaded:
    retriever: HybridRetriever
    dataset_dir: Path
    num_documents: int


def _load_retriever(args: argparse.Namespace, corpus: Mapping[str, CorpusDocument]) -> _Loaded:
    from langchain_hybrid.evaluation import (  # noqa: PLC0415 - the `eval` extra
        PrecomputedEmbeddings,
        precomputed_vector_store,
        to_documents,
    )

    dataset_dir = Path(args.data) / args.dataset
    documents = to_documents(corpus)
    embeddings = PrecomputedEmbeddings.from_beir(dataset_dir, args.model, corpus=corpus)
    store = precomputed_vector_store(documents, embeddings)
    analyzer = (
        Analyzer.weaviate()
        if args.stemmer == "none"
        else Analyzer.for_language(args.stemmer or "english")
    )
    retriever = HybridRetriever.from_vectorstore(
        store, documents=documents, keyword_engine=args.engine, analyzer=analyzer, k=args.k
    )
    return _Loaded(retriever=retriever, dataset_dir=dataset_dir, num_documents=len(documents))


def _first(mapping: dict[str, Any], limit: int | None) -> dict[str, Any]:
    return dict(list(mapping.items())[:limit]) if limit else mapping


# ---------------------------------------------------------------------------- eval


def _eval_arguments(parser: argparse.ArgumentParser) -> None:
    _add_dataset_arguments(parser)
    parser.add_argument("--split", default="test", help="qrels split (default: %(default)s)")
    parser.add_argument(
        "--alpha",
        type=unit_interval,
        default=0.5,
        help="vector weight: 0 keyword only, 1 vector only (default: %(default)s)",
    )
    parser.add_argument(
        "--fusion",
        choices=FUSION_METHODS,
        default="relative_score",
        help="fusion method (default: %(default)s)",
    )
    parser.add_argument(
        "--fetch-k",
        type=positive_int,
        default=None,
        help="depth of each leg before fusion (default: max(100, k))",
    )


def _run_eval(args: argparse.Namespace) -> int:
    from langchain_hybrid.evaluation import METRICS, evaluate, load_beir  # noqa: PLC0415

    dataset_dir = Path(args.data) / args.dataset
    corpus, queries, qrels = load_beir(dataset_dir, args.split)
    queries = _first(queries, args.max_queries)
    qrels = {qid: qrels[qid] for qid in queries}
    loaded = _load_retriever(args, corpus)
    options: dict[str, Any] = {"alpha": args.alpha, "fusion": args.fusion, "k": args.k}
    if args.fetch_k is not None:
        options["fetch_k"] = args.fetch_k
    metrics = args.metrics or list(METRICS)
    with _progress(args, f"eval {args.dataset}/{args.split}") as progress:
        result = evaluate(
            loaded.retriever,
            queries,
            qrels,
            metrics=metrics,
            search_kwargs=options,
            progress=progress,
        )
    setting = {**options, "engine": args.engine, "stemmer": args.stemmer}
    if args.json:
        _print_json(
            {
                "command": "eval",
                "dataset": args.dataset,
                "split": args.split,
                "num_queries": result.num_queries,
                "num_documents": loaded.num_documents,
                "settings": setting,
                "scores": result.scores,
            }
        )
        return 0
    print(
        f"{args.dataset}, split {args.split}: {result.num_queries} queries, "
        f"{loaded.num_documents} documents"
    )
    print(
        "settings: "
        + ", ".join(f"{key}={value}" for key, value in setting.items() if value is not None)
    )
    print()
    print(
        _table(
            ["metric", "value"], [[name, f"{value:.4f}"] for name, value in result.scores.items()]
        )
    )
    return 0


# ---------------------------------------------------------------------------- tune


def _tune_arguments(parser: argparse.ArgumentParser) -> None:
    _add_dataset_arguments(parser)
    parser.add_argument(
        "--tune-split",
        required=True,
        help="split whose judgments choose the configuration (e.g. train, dev)",
    )
    parser.add_argument(
        "--test-split",
        default="test",
        help="split the chosen configuration is reported on (default: %(default)s)",
    )
    parser.add_argument(
        "--alphas",
        type=_alpha_csv,
        default=None,
        help="comma-separated alphas to try (default: 0,0.1,...,1)",
    )
    parser.add_argument(
        "--fusions",
        nargs="+",
        choices=FUSION_METHODS,
        default=list(FUSION_METHODS),
        help="fusion methods to try (default: all)",
    )
    parser.add_argument(
        "--fetch-k",
        type=positive_int,
        nargs="+",
        default=None,
        help="per-leg depths to try (default: max(100, k))",
    )
    parser.add_argument(
        "--metric",
        default="ndcg@10",
        help="metric that picks the best configuration (default: %(default)s)",
    )
    parser.add_argument(
        "--plot", type=Path, default=None, help="write a PNG of the metric against alpha"
    )
    parser.add_argument(
        "--folds",
        type=_folds,
        default=5,
        help="cross-validation folds of the tuning split that choose the configuration "
        "(one-standard-error rule); 0 picks the best mean instead (default: %(default)s)",
    )
    parser.add_argument(
        "--per-query",
        type=Path,
        default=None,
        metavar="MODEL.json",
        help="also fit a per-query alpha model for the first of --fusions and save it here "
        "(use it with HybridRetriever(alpha_model=MODEL.json))",
    )


def _run_tune(args: argparse.Namespace) -> int:
    from langchain_hybrid.evaluation import (  # noqa: PLC0415 - the `eval` extra
        DEFAULT_ALPHAS,
        METRICS,
        Grid,
        load_beir,
        plot_sweep,
        tune,
    )

    if args.tune_split == args.test_split:
        msg = f"--tune-split and --test-split are both {args.tune_split!r}: tune on another split"
        raise HybridSearchError(msg)
    grid = Grid(
        alphas=args.alphas or DEFAULT_ALPHAS,
        fusions=cast("list[Fusion]", args.fusions),
        fetch_ks=args.fetch_k,
        metric=args.metric,
        metrics=args.metrics or METRICS,
        k=args.k,
    )
    dataset_dir = Path(args.data) / args.dataset
    corpus, test_queries, test_qrels = load_beir(dataset_dir, args.test_split)
    _, tune_queries, tune_qrels = load_beir(dataset_dir, args.tune_split)
    tune_queries = _first(tune_queries, args.max_queries)
    test_queries = _first(test_queries, args.max_queries)
    tune_qrels = {qid: tune_qrels[qid] for qid in tune_queries}
    test_qrels = {qid: test_qrels[qid] for qid in test_queries}
    loaded = _load_retriever(args, corpus)
    with _progress(args, f"tune {args.dataset}") as progress:
        result = tune(
            loaded.retriever,
            tune_queries,
            tune_qrels,
            test_queries,
            test_qrels,
            grid=grid,
            tune_split=args.tune_split,
            test_split=args.test_split,
            progress=progress,
            cv_folds=args.folds or None,
        )
    per_query = (
        _fit_per_query(
            args, loaded.retriever, grid, (tune_queries, tune_qrels), (test_queries, test_qrels)
        )
        if args.per_query is not None
        else None
    )
    tuning = result.tuning
    plot_path = None
    if args.plot is not None:
        plot_path = plot_sweep(
            tuning,
            args.plot,
            title=f"{args.dataset}: {tuning.metric} against alpha, {args.tune_split} split "
            f"({tuning.num_queries} queries)",
        )
    note = (
        f"configuration chosen on split {args.tune_split!r} ({tuning.num_queries} queries) "
        f"by {tuning.metric}; reported on split {args.test_split!r} "
        f"({result.num_test_queries} queries)"
    )
    if args.json:
        _print_json(
            {
                "command": "tune",
                "dataset": args.dataset,
                "note": note,
                "num_documents": loaded.num_documents,
                "settings": {"engine": args.engine, "stemmer": args.stemmer, "k": args.k},
                "plot": str(plot_path) if plot_path else None,
                **result.to_dict(),
                "per_query": (
                    {**per_query.to_dict(), "saved_to": str(args.per_query)} if per_query else None
                ),
            }
        )
    else:
        _print_tune(args, result, loaded.num_documents, note)
        if per_query is not None:
            _print_per_query(per_query, args)
        if plot_path is not None:
            print(f"\nplot: {plot_path}")
    return 0


def _print_tune(
    args: argparse.Namespace, result: TuneResult, num_documents: int, note: str
) -> None:
    """The text report of `tune`: the sweep table, the choice, and the test split's scores."""
    tuning = result.tuning
    print(
        f"{args.dataset}: {num_documents} documents; engine {args.engine}, "
        f"stemmer {args.stemmer or 'none'}"
    )
    print(f"\nSweep on {args.tune_split} ({tuning.num_queries} queries), {tuning.metric}:")
    print(_sweep_table(tuning))
    best = tuning.best
    print(
        f"\nBest mean on {args.tune_split}: alpha {best.alpha:g}, fusion {best.fusion}, "
        f"fetch_k {best.fetch_k} ({tuning.metric} {best.scores[tuning.metric]:.4f})"
    )
    cv = result.cross_validation
    if cv:
        chosen = cv["chosen"]
        print(
            f"Chosen by {cv['folds']}-fold cross-validation: alpha {chosen['alpha']:g}, fusion "
            f"{chosen['fusion']}, fetch_k {chosen['fetch_k']} ({tuning.metric} per fold "
            f"{cv['mean']:.4f} +- {cv['spread']:.4f}; the nearest to the defaults within one "
            f"standard error, {cv['standard_error']:.4f}, of the best mean)"
        )
    print(f"\nOn {args.test_split} ({note}):")
    names = list(result.test_best.scores)
    rows = [
        ["keyword only (alpha 0)", *_values(result.test_keyword_only, names)],
        ["vector only (alpha 1)", *_values(result.test_vector_only, names)],
    ]
    for row in result.test_rows:
        label = f"{row.fusion}, alpha {row.alpha:g}, fetch_k {row.fetch_k}"
        if row is result.test_best:
            label += f" (chosen on {args.tune_split})"
        rows.append([label, *_values(row.scores, names)])
    print(_table(["configuration", *names], rows))


def _fit_per_query(
    args: argparse.Namespace,
    retriever: HybridRetriever,
    grid: Grid,
    tune_split: tuple[Mapping[str, str], Mapping[str, Mapping[str, int]]],
    test_split: tuple[Mapping[str, str], Mapping[str, Mapping[str, int]]],
) -> PerQueryResult:
    """`tune --per-query`: fit, cross-validate and save the per-query alpha model."""
    from langchain_hybrid.evaluation.per_query import tune_per_query  # noqa: PLC0415

    with _progress(args, f"per-query {args.dataset}") as progress:
        result = tune_per_query(
            retriever,
            *tune_split,
            *test_split,
            grid=grid,
            fusion=grid.fusions[0],
            cv_folds=args.folds or 5,
            notes={"dataset": args.dataset, "tune_split": args.tune_split},
            progress=progress,
        )
    result.model.save(args.per_query)
    return result


def _print_per_query(result: PerQueryResult, args: argparse.Namespace) -> None:
    validation = result.cross_validation
    folds = len(validation["fold_scores"])
    print(
        f"\nPer-query alpha model ({result.fusion}), saved to {args.per_query}: on held-out "
        f"folds of {args.tune_split} {validation['mean']:.4f} +- {validation['spread']:.4f} "
        f"vs a fixed alpha {validation['fixed_mean']:.4f} (better in {validation['wins']} of "
        f"{folds} folds; ridge {validation['ridge']:g})"
    )
    rows = [
        [name, f"{result.tune_scores[key]:.4f}", f"{result.test_scores[key]:.4f}"]
        for name, key in (
            ("the retriever's alpha (default)", "default"),
            (f"fixed alpha {result.fixed_alpha:g} (cross-validated)", "fixed"),
            ('alpha="auto" (no labels)', "auto"),
            ("per-query model", "model"),
        )
    ]
    print(_table(["alpha", args.tune_split, args.test_split], rows))


# ---------------------------------------------------------------------------- output


def _sweep_table(result: SweepResult) -> str:
    """Rows: alpha; columns: fusion (and fetch_k when several); cells: the metric."""
    columns = list(dict.fromkeys((row.fusion, row.fetch_k) for row in result.rows))
    several_depths = len({depth for _, depth in columns}) > 1
    headers = ["alpha"] + [
        f"{fusion} (fetch_k {depth})" if several_depths else fusion for fusion, depth in columns
    ]
    cells = {(row.alpha, row.fusion, row.fetch_k): row for row in result.rows}
    body = []
    for alpha in sorted({row.alpha for row in result.rows}):
        line = [f"{alpha:g}"]
        for fusion, depth in columns:
            row = cells.get((alpha, fusion, depth))
            value = f"{row.scores[result.metric]:.4f}" if row else "-"
            if row is result.best:
                value += " *"
            line.append(value)
        body.append(line)
    body.append(
        ["keyword only", f"{result.keyword_only[result.metric]:.4f}"] + [""] * (len(columns) - 1)
    )
    body.append(
        ["vector only", f"{result.vector_only[result.metric]:.4f}"] + [""] * (len(columns) - 1)
    )
    return _table(headers, body)


def _values(scores: dict[str, float], names: Sequence[str]) -> list[str]:
    return [f"{scores[name]:.4f}" for name in names]


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain aligned text table: first column left-aligned, the others right-aligned."""
    widths = [
        max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)
    ]

    def line(cells: Sequence[str]) -> str:
        parts = [
            str(cell).ljust(width) if i == 0 else str(cell).rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=False))
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def _print_json(payload: dict[str, Any]) -> None:
    print(json.dumps(payload, indent=2))


@contextmanager
def _progress(
    args: argparse.Namespace, description: str, stream: TextIO | None = None
) -> Iterator[Callable[[int, int], None]]:
    """A `progress(done, total)` callback drawing a tqdm bar on stderr when it is a terminal."""
    stream = stream or sys.stderr
    if args.json or not stream.isatty():
        yield _no_progress
        return
    from tqdm import tqdm  # noqa: PLC0415 - only for interactive runs

    bar = tqdm(desc=description, file=stream, unit="call", leave=False)

    def update(done: int, total: int) -> None:
        if bar.total != total:
            bar.reset(total=total)
        bar.n = done
        bar.refresh()

    try:
        yield update
    finally:
        bar.close()


def _no_progress(done: int, total: int) -> None:  # noqa: ARG001 - same signature as the bar
    return


# ---------------------------------------------------------------------------- argument types


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _folds(text: str) -> int:
    value = int(text) if text.strip().lstrip("-").isdigit() else -1
    if value == 0 or value >= 2:  # noqa: PLR2004 - two folds is the least that compares
        return value
    msg = f"expected 0 (no cross-validation) or a number of folds >= 2, got {text!r}"
    raise argparse.ArgumentTypeError(msg)


def _alpha_csv(text: str) -> list[float]:
    try:
        return [unit_interval(part) for part in _csv(text)]
    except argparse.ArgumentTypeError:
        msg = f"expected comma-separated numbers from 0 to 1, e.g. 0,0.25,0.5, got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None


register(Subcommand("eval", "score one configuration on a BEIR split", _eval_arguments, _run_eval))
register(
    Subcommand(
        "tune",
        "sweep alpha x fusion on one split, report the best on another",
        _tune_arguments,
        _run_tune,
    )
)
register(Subcommand("demo", demo_cli.HELP, demo_cli.add_arguments, demo_cli.run))


if __name__ == "__main__":
    sys.exit(main())
