"""The demo's shipped corpus vectors: they belong to the corpus, and the live model agrees.

`scripts/make_demo_corpus.py` embeds the corpus once; at run time only queries are
embedded. These tests check that the shipped rows are what the live model computes today
(a spread of documents, cosine >= 0.9999), that stale vectors are refused with the command
that rebuilds them, and how `ShippedEmbeddings` splits table rows from live calls.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from importlib import resources

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings

from langchain_hybrid.demo import load_corpus
from langchain_hybrid.demo import vectors as demo_vectors
from langchain_hybrid.demo.model import MODEL_NAME, TOKENIZER_SHA256, WEIGHTS_SHA256, load_minilm
from langchain_hybrid.demo.vectors import ShippedEmbeddings, load_vectors

needs_demo_extra = pytest.mark.skipif(
    importlib.util.find_spec("tokenizers") is None, reason="needs the `demo` extra"
)

# FIXTURES ===================================================================


class _RecordingEmbeddings(Embeddings):
    """Embeds a text as [len(text), 0, 0] and records every call."""

    def __init__(self) -> None:
        self.documents: list[list[str]] = []
        self.queries: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.documents.append(list(texts))
        return [[float(len(t)), 0.0, 0.0] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        self.queries.append(text)
        return [float(len(text)), 1.0, 0.0]


# TESTS: the shipped files ===================================================


def test_shipped_vectors_belong_to_the_shipped_corpus_and_model():
    vectors, manifest = load_vectors()
    corpus = resources.files("langchain_hybrid.demo").joinpath("data/corpus.jsonl").read_bytes()
    assert vectors.shape == (len(load_corpus()), 384) == (1234, 384)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert manifest["corpus_sha256"] == hashlib.sha256(corpus).hexdigest()
    assert manifest["model"] == MODEL_NAME
    assert manifest["weights_sha256"] == WEIGHTS_SHA256
    assert manifest["tokenizer_sha256"] == TOKENIZER_SHA256
    assert manifest["max_tokens"] == 256


@needs_demo_extra
def test_the_live_model_reproduces_the_shipped_vectors():
    documents = load_corpus()
    vectors, _ = load_vectors()
    by_length = sorted(range(len(documents)), key=lambda i: len(documents[i].page_content))
    sample = [*by_length[::25], by_length[-1]]  # shortest to longest, 51 documents
    live = np.asarray(load_minilm().embed_documents([documents[i].page_content for i in sample]))
    cosines = (live * vectors[sample]).sum(axis=1)
    assert len(sample) == 51
    assert cosines.min() >= 0.9999


def test_stale_vectors_are_refused_with_the_rebuild_command(monkeypatch):
    real = demo_vectors._data

    def edited(name: str) -> bytes:
        data = real(name)
        return (
            data + b'{"id": "new", "kind": "module", "module": "new", "text": "new"}\n'
            if (name == "corpus.jsonl")
            else data
        )

    monkeypatch.setattr(demo_vectors, "_data", edited)
    with pytest.raises(ValueError, match="stale") as raised:
        load_vectors()
    message = str(raised.value)
    assert "corpus.jsonl changed since they were made" in message
    assert "shape (1234, 384) does not match the corpus" in message
    assert "python scripts/make_demo_corpus.py" in message


def test_the_manifest_is_plain_json_next_to_the_vectors():
    data = resources.files("langchain_hybrid.demo").joinpath("data")
    manifest = json.loads(data.joinpath("vectors.json").read_text(encoding="utf-8"))
    assert manifest["made_by"] == "scripts/make_demo_corpus.py"
    assert manifest["dtype"] == "float32"
    # allow_pickle=False: a .npy file that needs pickle is refused, never executed.
    with data.joinpath("vectors.npy").open("rb") as file:
        assert np.load(file, allow_pickle=False).shape == (1234, 384)


# TESTS: ShippedEmbeddings =====================================================


def test_known_texts_come_from_the_table_and_only_new_ones_are_embedded():
    live = _RecordingEmbeddings()
    table = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=np.float32)
    embeddings = ShippedEmbeddings(["alpha", "beta"], table, live)
    result = embeddings.embed_documents(["beta", "new text", "alpha", "new text"])
    assert result == [[0.0, 1.0, 0.0], [8.0, 0.0, 0.0], [1.0, 0.0, 0.0], [8.0, 0.0, 0.0]]
    assert live.documents == [["new text", "new text"]]
    assert embeddings.embed_documents(["alpha"]) == [[1.0, 0.0, 0.0]]
    assert live.documents == [["new text", "new text"]]  # no call for table rows


def test_queries_always_use_the_live_model_and_repeats_are_remembered():
    live = _RecordingEmbeddings()
    embeddings = ShippedEmbeddings(["alpha"], np.ones((1, 3), dtype=np.float32), live)
    assert embeddings.embed_query("alpha") == [5.0, 1.0, 0.0]  # not the table row
    assert embeddings.embed_query("alpha") == [5.0, 1.0, 0.0]
    assert live.queries == ["alpha"]
    for i in range(demo_vectors.QUERY_CACHE):
        embeddings.embed_query(f"q{i}")
    embeddings.embed_query("alpha")  # pushed out by 256 newer queries: embedded again
    assert live.queries.count("alpha") == 2


def test_texts_and_rows_must_pair_up():
    with pytest.raises(ValueError, match="2 texts but 1 vectors"):
        ShippedEmbeddings(["a", "b"], np.ones((1, 3), dtype=np.float32), _RecordingEmbeddings())
