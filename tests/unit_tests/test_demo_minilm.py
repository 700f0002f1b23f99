"""The demo's torch-free all-MiniLM-L6-v2 against vectors sentence-transformers computed.

The reference is `tests/data/scifact_slice/embeddings/all-MiniLM-L6-v2/`: rows of the
precomputed BEIR SciFact arrays, made by sentence-transformers (PyTorch) from the same
weights (see that folder's MODEL.txt). Every query and a spread of documents (long ones
included, so truncation at 256 tokens is exercised) must come out at cosine >= 0.999.
"""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from langchain_hybrid.demo import model as demo_model
from langchain_hybrid.demo.minilm import gelu, layer_norm, mean_pool
from langchain_hybrid.demo.model import (
    INSTALL_HINT,
    MiniLMEmbeddings,
    WeightSource,
    find_model_files,
    load_minilm,
)

SLICE = Path(__file__).resolve().parents[1] / "data" / "scifact_slice"
REFERENCE = SLICE / "embeddings" / "all-MiniLM-L6-v2"
MIN_COSINE = 0.999
needs_demo_extra = pytest.mark.skipif(
    importlib.util.find_spec("tokenizers") is None, reason="needs the `demo` extra"
)

# FIXTURES ===================================================================


@pytest.fixture(scope="module")
def embeddings() -> MiniLMEmbeddings:
    return load_minilm()


def read_jsonl(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def cosines(ours: list[list[float]], reference: np.ndarray) -> np.ndarray:
    mine = np.asarray(ours, dtype=np.float64)
    return (mine * reference).sum(axis=1) / np.linalg.norm(mine, axis=1)


# TESTS: the array functions, as formulas ====================================


def test_gelu_is_the_erf_formula():
    xs = np.linspace(-6, 6, 241, dtype=np.float32)
    exact = [0.5 * x * (1 + math.erf(x / math.sqrt(2))) for x in xs.tolist()]
    assert np.max(np.abs(gelu(xs) - np.asarray(exact))) < 1e-6


def test_layer_norm_centres_scales_and_applies_weight_and_bias():
    x = np.array([[1.0, 2.0, 3.0, 6.0]], dtype=np.float32)
    weight = np.array([1.0, 2.0, 1.0, 1.0], dtype=np.float32)
    bias = np.array([0.0, 0.0, 0.0, 1.0], dtype=np.float32)
    mean, std = 3.0, math.sqrt((4 + 1 + 0 + 9) / 4)
    expected = [(1 - mean) / std, 2 * (2 - mean) / std, 0.0, (6 - mean) / std + 1]
    assert np.allclose(layer_norm(x, weight, bias, 1e-12)[0], expected, atol=1e-6)


def test_mean_pool_ignores_padding_and_returns_unit_vectors():
    hidden = np.array([[[1.0, 0.0], [0.0, 1.0], [50.0, 50.0]]], dtype=np.float32)
    pooled = mean_pool(hidden, np.array([[1, 1, 0]]))
    assert np.allclose(pooled, [[1 / math.sqrt(2), 1 / math.sqrt(2)]])


# TESTS: the model against sentence-transformers' vectors ====================


@needs_demo_extra
def test_every_scifact_query_matches_the_reference_vectors(embeddings):
    queries = read_jsonl(SLICE / "queries.jsonl")
    assert [q["_id"] for q in queries] == (REFERENCE / "queries.ids").read_text().split()
    reference = np.load(REFERENCE / "queries.npy")
    found = cosines(embeddings.embed_documents([q["text"] for q in queries]), reference)
    assert len(found) == 300
    assert found.min() >= MIN_COSINE, [queries[i]["_id"] for i in np.flatnonzero(found < 0.999)]


@needs_demo_extra
def test_scifact_documents_short_and_long_match_the_reference_vectors(embeddings):
    documents = read_jsonl(SLICE / "corpus.jsonl")
    assert [d["_id"] for d in documents] == (REFERENCE / "corpus.ids").read_text().split()
    texts = [f"{d['title']} {d['text']}" for d in documents]
    by_length = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    # Every 50th by length: the shortest, the longest, and most truncated at 256 tokens.
    sample = [*by_length[::50], by_length[-1]]
    reference = np.load(REFERENCE / "corpus.npy")[sample]
    found = cosines(embeddings.embed_documents([texts[i] for i in sample]), reference)
    assert len(found) == 31
    assert found.min() >= MIN_COSINE


@needs_demo_extra
def test_query_and_document_paths_agree(embeddings):
    text = "Vitamin D deficiency is associated with multiple sclerosis."
    query = np.asarray(embeddings.embed_query(text))
    (document,) = np.asarray(embeddings.embed_documents([text]))
    assert np.isclose(np.linalg.norm(query), 1.0, atol=1e-5)
    assert np.allclose(query, document, atol=1e-6)


@needs_demo_extra
def test_the_model_runs_without_torch_or_a_hub():
    code = (
        "import sys\n"
        "from langchain_hybrid.demo.model import load_minilm\n"
        "vector = load_minilm().embed_query('remove a directory')\n"
        "heavy = ('torch', 'sentence_transformers', 'transformers', 'huggingface_hub')\n"
        "print(len(vector), [m for m in heavy if m in sys.modules])\n"
    )
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    assert result.stdout.split("\n")[0] == "384 []"


# TESTS: where the files come from ===========================================


@needs_demo_extra
def test_a_file_that_is_not_the_upstream_one_is_refused(tmp_path):
    folder = find_model_files()
    (tmp_path / "model.safetensors").write_bytes((folder / "model.safetensors").read_bytes()[:-1])
    (tmp_path / "tokenizer.json").write_bytes((folder / "tokenizer.json").read_bytes())
    with pytest.raises(ValueError, match=r"model\.safetensors is not the all-MiniLM-L6-v2 file"):
        load_minilm(folder=tmp_path)


def test_no_package_with_the_weights_names_the_pip_command(monkeypatch):
    missing = WeightSource("no-such-dist", "no_such_package_for_the_demo", "model", "test")
    monkeypatch.setattr(demo_model, "WEIGHT_SOURCES", (missing,))
    with pytest.raises(ImportError, match="no-such-dist") as raised:
        find_model_files(demo_model.WEIGHT_SOURCES)
    assert INSTALL_HINT in str(raised.value)


@needs_demo_extra
def test_the_weights_package_is_found_without_being_imported():
    code = (
        "import sys\n"
        "from langchain_hybrid.demo.model import WEIGHT_SOURCES, find_model_files\n"
        "imported = [s.package for s in WEIGHT_SOURCES if s.package in sys.modules]\n"
        "print(find_model_files().name, imported)\n"
    )
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip().endswith("[]")
