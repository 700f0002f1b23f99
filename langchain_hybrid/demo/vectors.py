"""The demo corpus's shipped vectors, and an `Embeddings` that serves them.

Embedding the 1,234 documents took 20-30 s on a 2-core machine at every start; they
never change between runs, so `scripts/make_demo_corpus.py` embeds them once with the
same model and ships them in `data/vectors.npy` (float32, row i = line i of
`corpus.jsonl`), described by `data/vectors.json`. At run time only queries are embedded.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections import OrderedDict
from collections.abc import Sequence
from importlib import resources
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from langchain_core.embeddings import Embeddings

from langchain_hybrid.errors import ConfigError

__all__ = ["VECTORS_FILE", "VECTORS_MANIFEST", "ShippedEmbeddings", "load_vectors"]

VECTORS_FILE: Final = "vectors.npy"
VECTORS_MANIFEST: Final = "vectors.json"
QUERY_CACHE: Final = 256
_PACKAGE: Final = "langchain_hybrid.demo"
_REBUILD: Final = "rebuild them with `python scripts/make_demo_corpus.py`"


def _data(name: str) -> bytes:
    # Through importlib.resources, so the files are found inside a wheel or a zip too.
    return resources.files(_PACKAGE).joinpath("data").joinpath(name).read_bytes()


def load_vectors() -> tuple[npt.NDArray[np.float32], dict[str, Any]]:
    """The shipped vectors, `(documents, 384)`, and their manifest.

    Raises:
        ConfigError: the vectors do not belong to the shipped corpus (the manifest's
            corpus sha256 or the row count differs), so they would be silently wrong.

    Example:
        ```python
        vectors, manifest = load_vectors()
        vectors.shape, manifest["model"]  # (1234, 384), 'sentence-transformers/all-MiniLM-L6-v2'
        ```
    """
    manifest = json.loads(_data(VECTORS_MANIFEST))
    corpus = _data("corpus.jsonl")
    vectors = np.load(io.BytesIO(_data(VECTORS_FILE)), allow_pickle=False)
    problems = []
    if hashlib.sha256(corpus).hexdigest() != manifest["corpus_sha256"]:
        problems.append("corpus.jsonl changed since they were made")
    if vectors.shape != (corpus.count(b"\n"), manifest["dimensions"]):
        problems.append(f"shape {vectors.shape} does not match the corpus")
    if problems:
        msg = f"the demo's shipped vectors are stale ({'; '.join(problems)}): {_REBUILD}"
        raise ConfigError(msg)
    return vectors.astype(np.float32, copy=False), manifest


class ShippedEmbeddings(Embeddings):
    """Shipped vectors for known document texts; the live model for everything else.

    Example:
        ```python
        vectors, _ = load_vectors()
        texts = [d.page_content for d in load_corpus()]
        embeddings = ShippedEmbeddings(texts, vectors, load_minilm())
        embeddings.embed_documents(texts[:2])  # from the table, no model call
        ```
    """

    def __init__(
        self, texts: Sequence[str], vectors: npt.NDArray[np.float32], live: Embeddings
    ) -> None:
        """Map each of `texts` to its row of `vectors`; `live` embeds queries and new texts."""
        if len(texts) != len(vectors):
            msg = f"{len(texts)} texts but {len(vectors)} vectors"
            raise ValueError(msg)
        self.rows = {text: i for i, text in enumerate(texts)}
        self.vectors = vectors
        self.live = live
        # The web page asks for the same query once per leg and per slider move.
        self._queries: OrderedDict[str, list[float]] = OrderedDict()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Rows of the table; texts not in it are embedded by the live model, in one call."""
        missing = [t for t in texts if t not in self.rows]
        fresh = (
            dict(zip(missing, self.live.embed_documents(missing), strict=True)) if missing else {}
        )
        return [fresh[t] if t in fresh else self.vectors[self.rows[t]].tolist() for t in texts]

    def embed_query(self, text: str) -> list[float]:
        """The live model (queries are what the user types); the last 256 are remembered."""
        if text in self._queries:
            self._queries.move_to_end(text)
            return self._queries[text]
        vector = self.live.embed_query(text)
        self._queries[text] = vector
        if len(self._queries) > QUERY_CACHE:
            self._queries.popitem(last=False)
        return vector
