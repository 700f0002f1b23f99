"""The vector store is the source of truth: `HybridVectorStore`, `index()`, drift, reconcile.

Every test runs over real stores (InMemoryVectorStore, NumpyVectorStore, embedded Chroma,
FAISS) with fake embeddings: what matters is which documents each leg holds, not the
embedding model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from langchain_classic.indexes import SQLRecordManager
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.indexing import InMemoryRecordManager, RecordManager, index
from langchain_core.runnables import ConfigurableField
from langchain_core.vectorstores import InMemoryVectorStore, VectorStore
from stores import EMPTY_STORES, chroma, dispose

from langchain_hybrid import (
    ConfigError,
    HybridRetriever,
    HybridVectorStore,
    IndexDriftError,
    LocalBackend,
    NumpyVectorStore,
    register_id_lister,
)
from langchain_hybrid.keyword_index import TantivyIndex

EMBEDDING = DeterministicFakeEmbedding(size=16)

DOCS = [
    Document("Fix for error E1234 in the parser", id="parser", metadata={"topic": "bugs"}),
    Document("The cat sat on the mat", id="cat", metadata={"topic": "pets"}),
    Document("Snow falls on the mountains in winter", id="snow", metadata={"topic": "weather"}),
    Document("Green tea, black tea and herbal tea", id="tea", metadata={"topic": "food"}),
]


@pytest.fixture(params=list(EMPTY_STORES))
def empty_store(request: pytest.FixtureRequest) -> Iterator[VectorStore]:
    store = EMPTY_STORES[request.param](EMBEDDING)
    yield store
    dispose(store)


@pytest.fixture
def populated(empty_store: VectorStore) -> VectorStore:
    empty_store.add_documents(DOCS, ids=[doc.id for doc in DOCS])
    return empty_store


def found_ids(retriever: HybridRetriever, query: str, **options: Any) -> list[str | None]:
    return [doc.id for doc in retriever.invoke(query, **options)]


# TESTS: writes through the wrapper ====================================================


def test_writes_reach_both_legs(empty_store: VectorStore) -> None:
    store = HybridVectorStore(empty_store)
    assert store.add_documents(DOCS) == ["parser", "cat", "snow", "tea"]
    assert store.add_texts(["error E5678 in the lexer"], [{"topic": "bugs"}], ids=["lexer"])
    retriever = store.as_retriever(alpha=0.0, k=10)
    assert found_ids(retriever, "E5678") == ["lexer"]
    # An upsert by id replaces the document in both legs.
    store.add_documents([Document("E9999 replaces the lexer", id="lexer")])
    assert found_ids(retriever, "E5678") == []
    assert found_ids(retriever, "E9999") == ["lexer"]
    store.delete(["lexer", "never-added"])
    assert found_ids(retriever, "E9999") == []
    assert store.get_by_ids(["lexer"]) == []
    assert store.check_drift().in_sync


async def test_async_writes_reach_both_legs(empty_store: VectorStore) -> None:
    store = HybridVectorStore(empty_store)
    await store.aadd_documents(DOCS)
    await store.aadd_texts(["error E5678"], ids=["e"])
    retriever = store.as_retriever(alpha=0.0)
    assert [doc.id for doc in await retriever.ainvoke("E5678")] == ["e"]
    await store.adelete(["e"])
    assert await retriever.ainvoke("E5678") == []
    assert store.check_drift().in_sync


def test_writes_refuse_what_would_be_a_guess() -> None:
    store = HybridVectorStore(NumpyVectorStore(EMBEDDING))
    with pytest.raises(ConfigError, match=r"\['a'\] appear more than once"):
        store.add_texts(["one", "two"], ids=["a", "a"])
    with pytest.raises(ConfigError, match="ids=None is refused"):
        store.delete()
    with pytest.raises(ConfigError, match="not a single string"):
        store.delete("abc")  # type: ignore[arg-type]
    assert len(store.keyword_index) == 0
    assert len(store.vectorstore) == 0  # type: ignore[arg-type]


def test_as_retriever_is_the_hybrid_retriever() -> None:
    store = HybridVectorStore.from_texts(["error E1234", "cat"], EMBEDDING, ids=["e", "c"])
    retriever = store.as_retriever(alpha=0.3, search_kwargs={"k": 1})
    assert isinstance(retriever, HybridRetriever)
    assert retriever.backend is store.backend
    assert (retriever.alpha, retriever.k) == (0.3, 1)
    assert retriever.tags == ["HybridVectorStore", "NumpyVectorStore", "DeterministicFakeEmbedding"]
    assert HybridRetriever.from_vectorstore(store).backend is store.backend
    with pytest.raises(ConfigError, match="always runs hybrid search"):
        store.as_retriever(search_type="mmr")
    with pytest.raises(ConfigError, match="already a HybridVectorStore"):
        HybridVectorStore(store)


def test_vector_reads_are_the_wrapped_stores(populated: VectorStore) -> None:
    store = HybridVectorStore(populated)
    assert store.similarity_search("cat", k=2) == populated.similarity_search("cat", k=2)
    assert store.get_by_ids(["tea"]) == populated.get_by_ids(["tea"])
    assert store.embeddings is populated.embeddings


# TESTS: LangChain's indexing API ======================================================


def sqlite_record_manager(tmp_path: Path) -> RecordManager:
    manager = SQLRecordManager("test", db_url=f"sqlite:///{tmp_path / 'records.db'}")
    manager.create_schema()
    return manager


def memory_record_manager(tmp_path: Path) -> RecordManager:
    manager = InMemoryRecordManager("test")
    manager.create_schema()
    return manager


RECORD_MANAGERS = {"sqlite": sqlite_record_manager, "memory": memory_record_manager}
INDEX_OPTIONS: dict[str, Any] = {"source_id_key": "source", "key_encoder": "sha256"}


def chunks(source: str, *texts: str) -> list[Document]:
    return [Document(text, metadata={"source": source}) for text in texts]


@pytest.mark.parametrize("manager", list(RECORD_MANAGERS))
@pytest.mark.parametrize("cleanup", [None, "incremental", "full", "scoped_full"])
def test_index_keeps_both_legs_in_sync(
    empty_store: VectorStore, tmp_path: Path, manager: str, cleanup: Any
) -> None:
    record_manager = RECORD_MANAGERS[manager](tmp_path)
    store = HybridVectorStore(empty_store)
    retriever = store.as_retriever(alpha=0.0, k=10)
    a_v1 = chunks("a.md", "zebra crossing rules", "shared chunk about roads")
    b = chunks("b.md", "penguin colonies in winter")
    first = index(a_v1 + b, record_manager, store, cleanup=cleanup, **INDEX_OPTIONS)
    assert first["num_added"] == 3
    assert found_ids(retriever, "zebra") != []

    # a.md changes: its zebra chunk is replaced by an okapi chunk.
    a_v2 = chunks("a.md", "okapi sightings reported", "shared chunk about roads")
    docs = a_v2 + b if cleanup == "full" else a_v2
    second = index(docs, record_manager, store, cleanup=cleanup, **INDEX_OPTIONS)
    assert second["num_added"] == 1

    assert store.check_drift().in_sync  # whatever the store holds, the keyword leg holds
    okapi = retriever.invoke("okapi")
    assert [doc.page_content for doc in okapi] == ["okapi sightings reported"]
    assert okapi[0].metadata["keyword_rank"] == 1
    zebra = [doc.page_content for doc in retriever.invoke("zebra", alpha=0.5)]
    if cleanup is None:  # no cleanup keeps the old chunk, in the store and so in BM25
        assert zebra[:1] == ["zebra crossing rules"]
    else:
        assert "zebra crossing rules" not in zebra
        assert second["num_deleted"] == 1
    assert found_ids(retriever, "penguin") != []  # b.md is untouched in every mode


async def test_aindex_keeps_both_legs_in_sync(tmp_path: Path) -> None:
    from langchain_core.indexing import aindex  # noqa: PLC0415

    record_manager = InMemoryRecordManager("test")
    await record_manager.acreate_schema()
    store = HybridVectorStore(InMemoryVectorStore(EMBEDDING))
    for texts in (("zebra", "road"), ("okapi", "road")):
        await aindex(chunks("a", *texts), record_manager, store, cleanup="full", **INDEX_OPTIONS)
    assert store.check_drift().in_sync
    retriever = store.as_retriever(alpha=0.0)
    assert [doc.page_content for doc in await retriever.ainvoke("okapi zebra")] == ["okapi"]


# TESTS: writes that bypass the wrapper ================================================


def test_a_document_deleted_from_the_store_is_never_served(populated: VectorStore) -> None:
    store = HybridVectorStore(populated)
    retriever = store.as_retriever(k=10)
    assert "parser" in found_ids(retriever, "E1234 parser", alpha=0.0)
    populated.delete(["parser"])  # behind the wrapper's back
    for alpha in (0.0, 0.5, 1.0):
        assert "parser" not in found_ids(retriever, "E1234 parser", alpha=alpha)
    drift = store.check_drift()
    assert (drift.stale, drift.missing, drift.changed) == (("parser",), (), ())
    report = store.reconcile()
    assert (report.removed, report.added, report.updated) == (("parser",), (), ())
    assert "parser" not in store.keyword_index
    assert store.check_drift().in_sync


def test_a_document_added_to_the_store_is_found_by_bm25_after_reconcile(
    populated: VectorStore,
) -> None:
    store = HybridVectorStore(populated)
    retriever = store.as_retriever(alpha=0.0)
    populated.add_documents([Document("okapi sightings", id="okapi")], ids=["okapi"])
    assert found_ids(retriever, "okapi") == []  # BM25 has not seen it yet
    assert store.check_drift().missing == ("okapi",)
    report = store.reconcile()
    assert report.added == ("okapi",)
    assert str(report).endswith("1 added, 0 updated, 0 removed, 4 unchanged")
    assert found_ids(retriever, "okapi") == ["okapi"]


def test_returned_documents_are_the_stores_copies(populated: VectorStore) -> None:
    store = HybridVectorStore(populated)
    retriever = store.as_retriever(alpha=0.0)
    # Changed behind the wrapper's back: same id, new text and metadata.
    populated.delete(["cat"])
    populated.add_documents(
        [Document("The cat sat on the sofa", id="cat", metadata={"topic": "retracted"})],
        ids=["cat"],
    )
    (found,) = retriever.invoke("cat mat")
    assert found.page_content == "The cat sat on the sofa"
    assert found.metadata["topic"] == "retracted"
    # The filter is checked on the store's metadata, not on the keyword index's copy.
    assert retriever.invoke("cat mat", filter={"topic": "pets"}) == []
    assert store.check_drift().changed == ("cat",)
    assert store.reconcile().updated == ("cat",)
    assert found_ids(retriever, "sofa") == ["cat"]


class CountingStore(InMemoryVectorStore):
    """Counts `get_by_ids` calls and the ids asked for."""

    calls: list[list[str]]

    def get_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        self.calls.append(list(ids))
        return super().get_by_ids(ids)


def test_one_batched_lookup_per_query_for_keyword_only_hits() -> None:
    counting = CountingStore(EMBEDDING)
    counting.calls = []
    texts = [f"parser error number {i}" for i in range(30)]
    store = HybridVectorStore(counting)
    store.add_texts(texts, ids=[str(i) for i in range(30)])
    retriever = store.as_retriever(k=5, fetch_k=20)
    counting.calls.clear()
    retriever.invoke("parser error")
    assert len(counting.calls) == 1
    assert len(counting.calls[0]) <= 20  # only candidates the vector leg did not return
    counting.calls.clear()
    retriever.invoke("parser error", alpha=1.0)  # no keyword leg: nothing to check
    assert counting.calls == []


def test_a_store_without_get_by_ids_must_opt_out() -> None:
    class NoGet(VectorStore):
        def add_texts(self, *args: Any, **kwargs: Any) -> list[str]:
            raise NotImplementedError

        def similarity_search(self, *_: Any, **__: Any) -> list[Document]:
            return []

        @classmethod
        def from_texts(cls, *args: Any, **kwargs: Any) -> NoGet:
            raise NotImplementedError

        def _select_relevance_score_fn(self) -> Callable[[float], float]:
            return float

    with pytest.raises(ConfigError, match="NoGet does not implement get_by_ids"):
        HybridVectorStore(NoGet(), documents=[])
    with pytest.raises(ConfigError, match="NoGet cannot list its documents"):
        HybridRetriever.from_vectorstore(NoGet())
    index = TantivyIndex()
    index.add([Document("E1234")], ["e"])
    from langchain_hybrid.vector_leg import VectorLeg  # noqa: PLC0415

    backend = LocalBackend(index, VectorLeg(NoGet()), check_keyword_hits=False)
    assert found_ids(HybridRetriever(backend=backend, alpha=0.0), "E1234") == ["e"]


# TESTS: attaching to a populated store ================================================


def test_the_keyword_index_is_built_from_a_populated_store(populated: VectorStore) -> None:
    retriever = HybridRetriever.from_vectorstore(populated, alpha=0.0)
    assert found_ids(retriever, "E1234") == ["parser"]
    store = HybridVectorStore(populated, batch_size=1)
    assert sorted(store.keyword_index.ids()) == sorted(doc.id or "" for doc in DOCS)


def test_attaching_streams_in_batches_with_progress(
    capsys: pytest.CaptureFixture[str],
) -> None:
    counting = CountingStore(EMBEDDING)
    counting.calls = []
    counting.add_documents([Document(f"text {i}", id=str(i)) for i in range(25)])
    HybridVectorStore(counting, batch_size=10, show_progress=True)
    assert [len(call) for call in counting.calls] == [10, 10, 5]
    assert "reading CountingStore: 25/25 documents" in capsys.readouterr().err


class Opaque(VectorStore):
    """A store with get_by_ids but no way (known to us) to list its ids."""

    def __init__(self) -> None:
        self.inner = InMemoryVectorStore(EMBEDDING)

    def add_documents(self, documents: list[Document], **kwargs: Any) -> list[str]:
        return self.inner.add_documents(documents, **kwargs)

    def get_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        return self.inner.get_by_ids(ids)

    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
        return self.inner.similarity_search(query, k, **kwargs)

    @classmethod
    def from_texts(cls, *args: Any, **kwargs: Any) -> Opaque:
        raise NotImplementedError

    def _select_relevance_score_fn(self) -> Callable[[float], float]:
        return float


def test_a_store_that_cannot_list_is_told_what_to_pass() -> None:
    populated = Opaque()
    populated.add_documents(DOCS)
    with pytest.raises(ConfigError, match=r"Opaque cannot list its documents.*documents="):
        HybridVectorStore(populated)
    # documents= works for it: the ids are checked, the store's copies indexed.
    store = HybridVectorStore(populated, documents=[Document("stale text", id="cat")])
    assert [doc.page_content for doc in store.keyword_index.get(["cat"])] == [DOCS[1].page_content]
    register_id_lister(Opaque, lambda s: list(s.inner.store))
    assert len(HybridVectorStore(populated).keyword_index) == len(DOCS)


def test_documents_must_be_the_stores(populated: VectorStore) -> None:
    copy_under_new_id = Document(DOCS[0].page_content, id="parser-copy")
    with pytest.raises(ConfigError, match=r"1 of the documents= ids are not in .*parser-copy"):
        HybridRetriever.from_vectorstore(populated, [*DOCS, copy_under_new_id])
    with pytest.raises(ConfigError, match="same id more than once"):
        HybridRetriever.from_vectorstore(populated, [DOCS[0], DOCS[0]])


# TESTS: saved index over a store that changed =========================================


def test_a_saved_index_over_a_changed_store_is_detected(tmp_path: Path) -> None:
    directory = tmp_path / "chroma"
    first = chroma(EMBEDDING, directory)
    store = HybridVectorStore(first)
    store.add_documents(DOCS)
    store.save_keyword_index(tmp_path / "kw")
    first.delete(["parser"])  # Chroma persists it; the keyword index was saved before

    restarted = chroma(EMBEDDING, directory)  # a new process would open the same files
    with pytest.raises(IndexDriftError, match="1 in the keyword index but no longer") as caught:
        HybridVectorStore(restarted, keyword_index=tmp_path / "kw")
    assert caught.value.drift.stale == ("parser",)
    assert 'on_drift="reconcile"' in str(caught.value)

    repaired = HybridVectorStore(restarted, keyword_index=tmp_path / "kw", on_drift="reconcile")
    assert "parser" not in repaired.keyword_index
    assert found_ids(repaired.as_retriever(alpha=0.0), "E1234") == []
    repaired.save_keyword_index(tmp_path / "kw")
    again = HybridVectorStore(restarted, keyword_index=tmp_path / "kw")  # in step: accepted
    assert len(again.keyword_index) == len(DOCS) - 1


def test_a_saved_index_over_an_empty_store_is_refused(tmp_path: Path) -> None:
    HybridVectorStore.from_texts(["a", "b"], EMBEDDING, ids=["1", "2"]).save_keyword_index(tmp_path)
    with pytest.raises(IndexDriftError, match="2 in the keyword index but no longer"):
        HybridRetriever.from_vectorstore(NumpyVectorStore(EMBEDDING), keyword_index=tmp_path)
    ignored = HybridRetriever.from_vectorstore(
        NumpyVectorStore(EMBEDDING), keyword_index=tmp_path, on_drift="ignore", alpha=0.0
    )
    assert ignored.invoke("a") == []  # unchecked, yet nothing the store lacks is served


def test_a_given_index_object_is_checked_too() -> None:
    index = TantivyIndex()
    index.add([Document("old")], ["old"])
    store = NumpyVectorStore(EMBEDDING)
    store.add_documents([Document("new", id="new")])
    with pytest.raises(IndexDriftError, match="1 in the store but not in the keyword index"):
        HybridVectorStore(store, keyword_index=index)
    retriever = HybridRetriever.from_vectorstore(store, keyword_index=index, on_drift="reconcile")
    assert index.ids() == ["new"]
    assert found_ids(retriever, "new", alpha=0.0) == ["new"]


# TESTS: option precedence =============================================================


def test_search_kwargs_set_fields_and_contradictions_are_errors() -> None:
    store = HybridVectorStore.from_texts([f"doc {i}" for i in range(8)], EMBEDDING)
    retriever = store.as_retriever(search_kwargs={"k": 2, "alpha": 0.2})
    assert (retriever.k, retriever.alpha, retriever.search_kwargs) == (2, 0.2, {})
    assert len(retriever.invoke("doc")) == 2
    assert len(retriever.invoke("doc", k=3)) == 3  # per call beats everything
    with pytest.raises(ConfigError, match=r"k=5 and search_kwargs=\{'k': 2\} disagree"):
        store.as_retriever(k=5, search_kwargs={"k": 2})
    assert store.as_retriever(k=2, search_kwargs={"k": 2}).k == 2  # agreeing is fine


def test_configurable_fields_beat_search_kwargs() -> None:
    store = HybridVectorStore.from_texts([f"doc {i}" for i in range(8)], EMBEDDING)
    retriever = store.as_retriever(search_kwargs={"k": 2}).configurable_fields(
        k=ConfigurableField(id="k"), search_kwargs=ConfigurableField(id="search_kwargs")
    )
    assert len(retriever.invoke("doc")) == 2
    assert len(retriever.invoke("doc", config={"configurable": {"k": 5}})) == 5
    configured = {"configurable": {"search_kwargs": {"k": 3}}}
    assert len(retriever.invoke("doc", config=configured)) == 3


def test_search_kwargs_changed_later_yield_to_explicit_fields() -> None:
    store = HybridVectorStore.from_texts([f"doc {i}" for i in range(8)], EMBEDDING)
    explicit = store.as_retriever(k=5)
    explicit.search_kwargs["k"] = 2
    assert len(explicit.invoke("doc")) == 5
    default = store.as_retriever()
    default.search_kwargs["k"] = 2
    assert len(default.invoke("doc")) == 2


def test_progress_is_shown_by_default_only_for_large_stores(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from langchain_hybrid.attach import LARGE_STORE, progress_printer  # noqa: PLC0415

    default = progress_printer("reading", show=None)
    assert default is not None
    default(10, 10)
    default(LARGE_STORE, LARGE_STORE)
    assert capsys.readouterr().err == f"reading: {LARGE_STORE}/{LARGE_STORE} documents\n"
    assert progress_printer("reading", show=False) is None
