"""Keyword (BM25) engines behind one interface, chosen by name.

| name | engine | use it for |
|---|---|---|
| `"tantivy"` (default) | `TantivyIndex` | any size: indexed, incremental, persistent |
| `"rank_bm25"` | `RankBM25Index` | the scores of LangChain's `BM25Retriever` (small corpora) |
| `"exact"` | `ExactBM25Index` | Weaviate's BM25 with exact lengths: closest local/Weaviate parity |
"""

from __future__ import annotations

from typing import Any, Final

from langchain_hybrid.analysis import Analyzer
from langchain_hybrid.errors import ConfigError
from langchain_hybrid.keyword_index.base import KeywordIndex, SavableKeywordIndex, search_filtered
from langchain_hybrid.keyword_index.exact_engine import ExactBM25Index
from langchain_hybrid.keyword_index.rank_bm25_engine import RankBM25Index
from langchain_hybrid.keyword_index.tantivy_engine import TantivyIndex

__all__ = [
    "ENGINES",
    "ExactBM25Index",
    "KeywordIndex",
    "RankBM25Index",
    "SavableKeywordIndex",
    "TantivyIndex",
    "create_keyword_index",
    "search_filtered",
]

ENGINES: Final[dict[str, type[TantivyIndex | RankBM25Index | ExactBM25Index]]] = {
    "tantivy": TantivyIndex,
    "rank_bm25": RankBM25Index,
    "exact": ExactBM25Index,
}
"""The engines by name: `create_keyword_index` builds them, persistence saves and loads them."""


def create_keyword_index(
    engine: str = "tantivy", analyzer: Analyzer | None = None, **params: Any
) -> KeywordIndex:
    """Create an empty keyword index by engine name.

    Args:
        engine: one of `ENGINES` (`"tantivy"`, `"rank_bm25"`).
        analyzer: text analysis; Weaviate-compatible by default.
        **params: engine options, e.g. `variant="bm25plus", k1=1.2` for `rank_bm25`.

    Example:
        >>> create_keyword_index("rank_bm25", variant="bm25l").variant
        'bm25l'
    """
    if engine not in ENGINES:
        msg = f"keyword engine must be one of {sorted(ENGINES)}, got {engine!r}"
        raise ConfigError(msg)
    try:
        return ENGINES[engine](analyzer, **params)
    except TypeError as exc:
        msg = f"invalid options for keyword engine {engine!r}: {exc}"
        raise ConfigError(msg) from exc
