"""LangChain's standard retriever suite, run in-process on the local backend.

Like core's `tests/unit_tests/vectorstores/test_in_memory.py`, the standard
*integration* suite runs as a unit test because the local backend needs no service.
"""

from __future__ import annotations

from typing import Any

from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_tests.integration_tests import RetrieversIntegrationTests

from langchain_hybrid import HybridRetriever, LocalBackend, NumpyVectorStore, VectorLeg
from langchain_hybrid.keyword_index import create_keyword_index

TEXTS = [
    "Fix for error E1234 in the parser",
    "Parsing failures and how to debug the parser",
    "A lexer splits text into tokens before the parser runs",
    "The cat sat on the mat",
    "Snow falls on the mountains in winter",
]


def local_backend() -> LocalBackend:
    backend = LocalBackend(
        create_keyword_index("tantivy"),
        VectorLeg(NumpyVectorStore(DeterministicFakeEmbedding(size=16))),
    )
    backend.add_documents([Document(text) for text in TEXTS], ids=[f"d{i}" for i in range(5)])
    return backend


class TestHybridRetrieverStandard(RetrieversIntegrationTests):
    @property
    def retriever_constructor(self) -> type[HybridRetriever]:
        return HybridRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"backend": local_backend(), "alpha": 0.5}

    @property
    def retriever_query_example(self) -> str:
        return "parser error"
