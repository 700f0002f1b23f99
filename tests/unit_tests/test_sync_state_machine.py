"""Stateful property test: whatever way a pipeline writes, the keyword leg follows the store.

Hypothesis interleaves writes through `HybridVectorStore`, LangChain `index()` runs with
a record manager, writes straight to the wrapped store (behind the wrapper's back),
saving the keyword index, loading it again unchecked (a restart over a store that may
have changed), `reconcile()` and queries, over InMemoryVectorStore, NumpyVectorStore and
Chroma. After every step no query returns an id the store lacks, or text other than the
store's; after `reconcile()` the keyword leg finds every document the store holds.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.indexing import InMemoryRecordManager, index
from stores import EMPTY_STORES, dispose

from langchain_hybrid import HybridRetriever, HybridVectorStore
from langchain_hybrid.store_contents import get_documents, list_store_ids

EMBEDDING = DeterministicFakeEmbedding(size=8)
VOCAB = ["zebra", "okapi", "penguin", "parser", "error", "e1234", "winter", "tea"]
WORDS = st.lists(st.sampled_from(VOCAB), min_size=1, max_size=4)
IDS = st.integers(min_value=0, max_value=9).map(lambda n: f"d{n}")
SOME_IDS = st.lists(IDS, max_size=3, unique=True)


class KeywordLegFollowsTheStore(RuleBasedStateMachine):
    store_name = "numpy"

    def __init__(self) -> None:
        super().__init__()
        self.wrapped = EMPTY_STORES[self.store_name](EMBEDDING)
        self.hybrid = HybridVectorStore(self.wrapped)
        self.records = InMemoryRecordManager("state-machine")
        self.records.create_schema()
        self.folder = Path(tempfile.mkdtemp())
        self.saved = False

    def teardown(self) -> None:
        dispose(self.wrapped)
        shutil.rmtree(self.folder, ignore_errors=True)

    def retriever(self, **fields: Any) -> HybridRetriever:
        return self.hybrid.as_retriever(k=50, **fields)

    def store_documents(self) -> dict[str, Document]:
        ids = list_store_ids(self.wrapped)
        return {doc.id or "": doc for doc in get_documents(self.wrapped, ids)}

    # ------------------------------------------------------------------------ writes

    @rule(doc_id=IDS, words=WORDS)
    def add_through_the_hybrid_store(self, doc_id: str, words: list[str]) -> None:
        self.hybrid.add_documents([Document(" ".join(words))], ids=[doc_id])

    @rule(ids=SOME_IDS)
    def delete_through_the_hybrid_store(self, ids: list[str]) -> None:
        self.hybrid.delete(ids)

    @rule(source=st.sampled_from(["a.md", "b.md"]), chunks=st.lists(WORDS, max_size=3))
    def index_a_source(self, source: str, chunks: list[list[str]]) -> None:
        docs = [Document(" ".join(words), metadata={"source": source}) for words in chunks]
        index(
            docs,
            self.records,
            self.hybrid,
            cleanup="incremental",
            source_id_key="source",
            key_encoder="sha256",
        )

    @rule(doc_id=IDS, words=WORDS)
    def add_to_the_store_directly(self, doc_id: str, words: list[str]) -> None:
        self.wrapped.add_documents([Document(" ".join(words), id=doc_id)], ids=[doc_id])

    @rule(ids=SOME_IDS.filter(bool))  # Chroma refuses an empty delete
    def delete_from_the_store_directly(self, ids: list[str]) -> None:
        self.wrapped.delete(ids)

    @rule()
    def save(self) -> None:
        self.hybrid.save_keyword_index(self.folder)
        self.saved = True

    @precondition(lambda self: self.saved)
    @rule()
    def restart_with_the_saved_index_unchecked(self) -> None:
        self.hybrid = HybridVectorStore(self.wrapped, keyword_index=self.folder, on_drift="ignore")

    @rule()
    def reconcile(self) -> None:
        self.hybrid.reconcile()
        assert self.hybrid.check_drift().in_sync
        retriever = self.retriever(alpha=0.0)
        for doc_id, document in self.store_documents().items():
            found = [doc.id for doc in retriever.invoke(document.page_content)]
            assert doc_id in found, f"{doc_id} ({document.page_content!r}) not found by BM25"

    # ------------------------------------------------------------------------ reads

    @rule(words=WORDS, alpha=st.sampled_from([0.0, 0.5, 1.0]))
    def query(self, words: list[str], alpha: float) -> None:
        self.check_results(" ".join(words), alpha)

    @invariant()
    def nothing_the_store_lacks_is_served(self) -> None:
        self.check_results(" ".join(VOCAB), 0.0)

    def check_results(self, query: str, alpha: float) -> None:
        truth = self.store_documents()
        for document in self.retriever(alpha=alpha).invoke(query):
            assert document.id in truth, f"{document.id} is served but not in the store"
            assert document.page_content == truth[document.id].page_content


@pytest.mark.parametrize("store_name", ["in_memory", "numpy", "chroma"])
def test_the_keyword_leg_follows_the_store(store_name: str) -> None:
    machine = type(
        f"KeywordLegFollows_{store_name}", (KeywordLegFollowsTheStore,), {"store_name": store_name}
    )
    runner = machine.TestCase
    runner.settings = settings(
        max_examples=30,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    runner().runTest()
