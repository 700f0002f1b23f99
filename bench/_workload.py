"""The speed benchmark's workload, for the focused benchmarks that reuse it.

Arguments (`--size`, `--queries`, `--data`, ...) and what they load: the corpus of
`bench/_corpus.py` as documents with ids, lookup embeddings over it, and real queries.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from _corpus import (
    CorpusInfo,
    TableEmbeddings,
    default_cache_dir,
    load_real,
    pick_queries,
    prepare_corpus,
    read_corpus,
    unit_vectors,
)
from _publish import ROOT
from langchain_core.documents import Document

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "beir"


@dataclass(frozen=True)
class Workload:
    """Documents, their lookup embeddings, and the queries to run."""

    corpus: CorpusInfo
    documents: list[Document]
    embeddings: TableEmbeddings
    queries: list[str]


def add_arguments(parser: argparse.ArgumentParser, *, queries: int, results: Path) -> None:
    """The options every focused benchmark takes."""
    parser.add_argument("--size", type=int, default=100_000, help="corpus size")
    parser.add_argument("--queries", type=int, default=queries, help="distinct queries")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="BEIR directory")
    parser.add_argument("--cache-dir", type=Path, default=default_cache_dir())
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=results, help="JSON results")
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/benchmarks.md")


def load(args: argparse.Namespace, dimensions: int) -> Workload:
    """The corpus of `args.size` documents (cached), embedded in `dimensions` dimensions."""
    corpus = prepare_corpus(args.size, args.data, args.cache_dir, args.seed)
    ids, _, texts = read_corpus(corpus.path)
    documents = [Document(text, id=doc_id) for doc_id, text in zip(ids, texts, strict=True)]
    embeddings = TableEmbeddings(texts, unit_vectors(len(texts), dimensions, args.seed))
    return Workload(corpus, documents, embeddings, pick_queries(load_real(args.data), args.queries))
