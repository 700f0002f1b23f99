"""LangChain's standard vector-store tests, run against `HybridVectorStore`.

Over each wrapped store (InMemoryVectorStore, NumpyVectorStore, Chroma, FAISS) the
wrapper must behave as a LangChain `VectorStore`, and after every standard test the
keyword index must hold exactly what the store holds (the fixture checks it).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from langchain_core.vectorstores import VectorStore
from langchain_tests.integration_tests import VectorStoreIntegrationTests
from stores import EMPTY_STORES, dispose

from langchain_hybrid import HybridVectorStore


class _Standard(VectorStoreIntegrationTests):
    store_name: str

    @pytest.fixture
    def vectorstore(self) -> Iterator[VectorStore]:  # type: ignore[override]
        wrapped = EMPTY_STORES[self.store_name](self.get_embeddings())
        store = HybridVectorStore(wrapped)
        try:
            yield store
            drift = store.check_drift()
            assert drift.in_sync, drift.describe()
        finally:
            dispose(wrapped)


class TestOverInMemoryVectorStore(_Standard):
    store_name = "in_memory"


class TestOverNumpyVectorStore(_Standard):
    store_name = "numpy"


class TestOverChroma(_Standard):
    store_name = "chroma"


class TestOverFAISS(_Standard):
    store_name = "faiss"
