"""Precomputed embeddings: lookup by exact text, fallback for unknown texts, clear errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.vectorstores import InMemoryVectorStore

from langchain_hybrid.errors import ConfigError
from langchain_hybrid.evaluation import (
    DatasetError,
    DatasetNotFoundError,
    PrecomputedEmbeddings,
    UnknownTextError,
    load_beir,
    load_vectors,
    precomputed_vector_store,
    to_documents,
)

SLICE = Path(__file__).resolve().parents[1] / "data" / "scifact_slice"
VECTORS = SLICE / "embeddings" / "all-MiniLM-L6-v2"


# FIXTURES ===================================================================


@pytest.fixture(scope="module")
def dataset():
    return load_beir(SLICE, "test")


@pytest.fixture(scope="module")
def embeddings(dataset):
    return PrecomputedEmbeddings.from_beir(SLICE, corpus=dataset.corpus)


def copy_vectors(tmp_path: Path) -> Path:
    """The slice with its embeddings folder copied, so a test can break the copy."""
    root = tmp_path / "ds"
    root.mkdir()
    for name in ("corpus.jsonl", "queries.jsonl"):
        (root / name).symlink_to(SLICE / name)
    shutil.copytree(VECTORS, root / "embeddings" / "all-MiniLM-L6-v2")
    return root


# TESTS ======================================================================


def test_serves_the_shipped_rows_by_text(dataset, embeddings):
    corpus_ids = (VECTORS / "corpus.ids").read_text().split()
    corpus_matrix = np.load(VECTORS / "corpus.npy")
    query_ids = (VECTORS / "queries.ids").read_text().split()
    query_matrix = np.load(VECTORS / "queries.npy")

    doc = dataset.corpus[corpus_ids[7]]
    assert embeddings.embed_documents([doc.content]) == [corpus_matrix[7].tolist()]
    assert embeddings.embed_query(dataset.queries[query_ids[3]]) == query_matrix[3].tolist()
    assert embeddings.dimension == 384
    assert len(embeddings) == 1800
    assert doc.content in embeddings


def test_unknown_text_falls_back_to_the_live_model(dataset):
    fallback = DeterministicFakeEmbedding(size=384)
    emb = PrecomputedEmbeddings.from_beir(SLICE, corpus=dataset.corpus, fallback=fallback)
    known = next(iter(dataset.queries.values()))

    vectors = emb.embed_documents(["a new text", known, "another"])

    assert vectors[0] == fallback.embed_documents(["a new text"])[0]
    assert vectors[1] == emb.embed_query(known)
    assert vectors[2] == fallback.embed_query("another")
    assert emb.embed_query("what about this?") == fallback.embed_query("what about this?")


def test_unknown_text_without_fallback_names_the_text(embeddings):
    text = "A query nobody embedded, which is rather long so that it gets cut at fifty"
    with pytest.raises(UnknownTextError, match=repr(text[:50])):
        embeddings.embed_query(text)
    with pytest.raises(UnknownTextError, match=r"and 1 more"):
        embeddings.embed_documents([text, "another unknown"])


def test_fallback_with_another_dimension_is_refused(dataset):
    emb = PrecomputedEmbeddings.from_beir(
        SLICE, corpus=dataset.corpus, fallback=DeterministicFakeEmbedding(size=8)
    )
    with pytest.raises(ConfigError, match=r"dimension 8 .* dimension 384"):
        emb.embed_query("unknown")


def test_row_count_mismatch_is_clear(tmp_path):
    root = copy_vectors(tmp_path)
    folder = root / "embeddings" / "all-MiniLM-L6-v2"
    ids = (folder / "corpus.ids").read_text().splitlines()
    (folder / "corpus.ids").write_text("\n".join(ids[:-1]) + "\n")
    with pytest.raises(
        DatasetError, match=r"corpus\.npy has 1500 rows but .*corpus\.ids has 1499 ids"
    ):
        PrecomputedEmbeddings.from_beir(root)


def test_shape_errors_are_clear(tmp_path):
    np.save(tmp_path / "flat.npy", np.zeros(4, dtype=np.float32))
    (tmp_path / "flat.ids").write_text("a\nb\nc\nd\n")
    with pytest.raises(DatasetError, match=r"flat\.npy: expected a 2-D float array .*\(4,\)"):
        load_vectors(tmp_path / "flat.npy", tmp_path / "flat.ids")
    with pytest.raises(ConfigError, match="one row per text: got shape"):
        PrecomputedEmbeddings(["a", "b", "c"], np.zeros((2, 4)))


def test_ids_files_are_checked(tmp_path):
    np.save(tmp_path / "v.npy", np.zeros((3, 2), dtype=np.float32))
    (tmp_path / "v.ids").write_bytes(b"a\r\nb\r\na\r\n")
    with pytest.raises(DatasetError, match=r"v\.ids, line 3: id 'a' repeats line 1"):
        load_vectors(tmp_path / "v.npy", tmp_path / "v.ids")
    (tmp_path / "v.ids").write_bytes(b"a\r\nb\r\nc\r\n")  # CRLF is fine
    ids, matrix = load_vectors(tmp_path / "v.npy", tmp_path / "v.ids")
    assert ids == ["a", "b", "c"]
    assert matrix.shape == (3, 2)

    root = copy_vectors(tmp_path)
    ids_path = root / "embeddings" / "all-MiniLM-L6-v2" / "queries.ids"
    lines = ids_path.read_text().splitlines()
    lines[4] = "not-a-query"
    ids_path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetError, match=r"queries\.ids, line 5: id 'not-a-query' is not in"):
        PrecomputedEmbeddings.from_beir(root)


def test_missing_model_lists_the_models_present():
    with pytest.raises(DatasetNotFoundError, match="models present: all-MiniLM-L6-v2"):
        PrecomputedEmbeddings.from_beir(SLICE, "bge-small")


def test_vector_store_matches_add_documents(dataset, embeddings):
    docs = to_documents(dict(list(dataset.corpus.items())[:200]))
    fast = precomputed_vector_store(docs, embeddings)
    slow = InMemoryVectorStore(embedding=embeddings)
    slow.add_documents(docs, ids=[d.id for d in docs])
    query = next(iter(dataset.queries.values()))

    got = fast.similarity_search_with_score(query, k=20)
    want = slow.similarity_search_with_score(query, k=20)

    assert [d.id for d, _ in got] == [d.id for d, _ in want]
    assert [s for _, s in got] == pytest.approx([s for _, s in want], abs=1e-12)
    assert got[0][0].page_content == want[0][0].page_content


def test_vector_store_uses_the_fallback_and_needs_ids(embeddings):
    fallback = DeterministicFakeEmbedding(size=384)
    emb = PrecomputedEmbeddings(["known"], np.ones((1, 384)), fallback=fallback)
    store = precomputed_vector_store([Document("new text", id="n"), Document("known", id="k")], emb)
    assert np.allclose(store.store["n"]["vector"], fallback.embed_query("new text"))
    assert np.allclose(store.store["k"]["vector"], 1.0)
    with pytest.raises(ConfigError, match="needs an id"):
        precomputed_vector_store([Document("known")], emb)
