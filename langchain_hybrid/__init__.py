"""Hybrid (BM25 + vector) search for LangChain, locally or on Weaviate, with one `alpha`.

Example:
    ```python
    from langchain_hybrid import HybridRetriever, HybridVectorStore

    retriever = HybridRetriever.from_documents(docs, embeddings, alpha=0.5, k=4)
    retriever.invoke("error E1234 in the parser")

    # or, over the vector store a pipeline already writes to:
    retriever = HybridVectorStore(vectorstore).as_retriever(alpha=0.5)
    ```
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langchain_hybrid._types import FusedHit, Fusion, Hit, HybridQuery, LegEvidence
from langchain_hybrid.analysis import Analyzer, word_tokenize
from langchain_hybrid.backends.base import HybridBackend
from langchain_hybrid.backends.local import LocalBackend
from langchain_hybrid.errors import (
    BackendError,
    CollectionNotFoundError,
    ConfigError,
    HybridSearchError,
    IndexDriftError,
    IndexFormatError,
    IngestError,
    SchemaMismatchError,
    ServerUnavailableError,
)
from langchain_hybrid.fusion import fuse, min_max_normalize, rank_normalize
from langchain_hybrid.hybrid_store import HybridVectorStore
from langchain_hybrid.keyword_index import (
    ExactBM25Index,
    KeywordIndex,
    RankBM25Index,
    TantivyIndex,
    create_keyword_index,
)
from langchain_hybrid.persistence import load_keyword_index, save_keyword_index
from langchain_hybrid.results import SCORE_KEYS
from langchain_hybrid.retriever import HybridRetriever
from langchain_hybrid.store_contents import register_id_lister
from langchain_hybrid.sync import Drift, ReconcileReport
from langchain_hybrid.vector_leg import VectorLeg
from langchain_hybrid.vectorstore import NumpyVectorStore

if TYPE_CHECKING:
    from langchain_hybrid.backends.weaviate import WeaviateBackend

__all__ = [
    "SCORE_KEYS",
    "Analyzer",
    "BackendError",
    "CollectionNotFoundError",
    "ConfigError",
    "Drift",
    "ExactBM25Index",
    "FusedHit",
    "Fusion",
    "Hit",
    "HybridBackend",
    "HybridQuery",
    "HybridRetriever",
    "HybridSearchError",
    "HybridVectorStore",
    "IndexDriftError",
    "IndexFormatError",
    "IngestError",
    "KeywordIndex",
    "LegEvidence",
    "LocalBackend",
    "NumpyVectorStore",
    "RankBM25Index",
    "ReconcileReport",
    "SchemaMismatchError",
    "ServerUnavailableError",
    "TantivyIndex",
    "VectorLeg",
    "WeaviateBackend",
    "create_keyword_index",
    "fuse",
    "load_keyword_index",
    "min_max_normalize",
    "rank_normalize",
    "register_id_lister",
    "save_keyword_index",
    "word_tokenize",
]


def __getattr__(name: str) -> Any:
    # The Weaviate backend imports weaviate-client, which takes seconds: load it on use.
    if name == "WeaviateBackend":
        from langchain_hybrid.backends.weaviate import WeaviateBackend  # noqa: PLC0415

        return WeaviateBackend
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
