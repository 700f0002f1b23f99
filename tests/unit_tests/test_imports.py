"""The public surface: `__all__` of the package and of the Weaviate backend, pinned.

A name added or removed here is an API change: update the list on purpose.
"""

from __future__ import annotations

import importlib

import pytest

import langchain_hybrid

EXPECTED_ALL = [
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
    "SCORE_KEYS",
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

EXPECTED_WEAVIATE_ALL = [
    "CollectionSpec",
    "MIN_SERVER_VERSIONS",
    "WEAVIATE_OPTIONS",
    "WeaviateBackend",
    "backend_from_weaviate_vectorstore",
    "check_server_version",
    "is_weaviate_vectorstore",
    "map_weaviate_error",
    "object_uuid",
    "translate_filter",
]


def test_public_names_are_pinned() -> None:
    assert sorted(langchain_hybrid.__all__) == EXPECTED_ALL
    assert len(set(langchain_hybrid.__all__)) == len(langchain_hybrid.__all__)


@pytest.mark.parametrize("name", EXPECTED_ALL)
def test_every_public_name_resolves(name: str) -> None:
    # WeaviateBackend is loaded on first use (module __getattr__): this loads it too.
    assert getattr(langchain_hybrid, name) is not None


def test_the_weaviate_backend_exports_only_public_names() -> None:
    package = importlib.import_module("langchain_hybrid.backends.weaviate")
    assert sorted(package.__all__) == EXPECTED_WEAVIATE_ALL
    assert all(not name.startswith("_") for name in package.__all__)
    assert langchain_hybrid.WeaviateBackend is package.WeaviateBackend
