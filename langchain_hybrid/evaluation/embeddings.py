"""Serve precomputed vectors through LangChain's `Embeddings` interface.

BEIR datasets here ship their embeddings next to the data (see
`shared/data/beir/README.md`):

```
<dataset>/embeddings/<model>/
  corpus.npy   float32 (number of documents, dimension); row i = line i of corpus.jsonl
  corpus.ids   the `_id` of each row, one per line
  queries.npy  the same for queries.jsonl (query `text` only)
  queries.ids
```

`PrecomputedEmbeddings` looks a text up by its exact string (a corpus entry's text is
`(title + " " + text).strip()`, a query's is its `text`) and hands unknown texts to a
wrapped live model, so an evaluation needs no model download. Without a fallback an
unknown text is an `UnknownTextError`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import InMemoryVectorStore

from langchain_hybrid.errors import ConfigError, HybridSearchError
from langchain_hybrid.evaluation.beir import (
    CorpusDocument,
    DatasetError,
    DatasetNotFoundError,
    load_corpus,
    load_queries,
)

if TYPE_CHECKING:
    import numpy.typing as npt
    from langchain_core.documents import Document

__all__ = [
    "DEFAULT_MODEL",
    "PrecomputedEmbeddings",
    "UnknownTextError",
    "load_vectors",
    "precomputed_vector_store",
]

DEFAULT_MODEL = "all-MiniLM-L6-v2"
"""The model whose vectors ship with the BEIR datasets of this project."""


class UnknownTextError(HybridSearchError, LookupError):
    """A text has no precomputed vector and there is no fallback model to embed it."""


def load_vectors(npy_path: str | Path, ids_path: str | Path) -> tuple[list[str], np.ndarray]:
    """Read a `.npy` matrix and its `.ids` file, checking that they line up.

    Args:
        npy_path: a 2-D float array, one row per id.
        ids_path: one id per line (LF or CRLF), in row order.

    Returns:
        The ids and the matrix (`float32`, shape `(len(ids), dimension)`).

    Raises:
        DatasetNotFoundError: a file is missing.
        DatasetError: the array is not 2-D floats, the row and id counts differ, or an
            id is empty or repeated (the message names the file and line).

    Example:
        ```python
        ids, matrix = load_vectors("corpus.npy", "corpus.ids")
        matrix.shape  # (1500, 384)
        ```
    """
    npy_path, ids_path = Path(npy_path), Path(ids_path)
    for path in (npy_path, ids_path):
        if not path.is_file():
            msg = f"{path} does not exist"
            raise DatasetNotFoundError(msg)
    try:
        matrix = np.load(npy_path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        msg = f"{npy_path}: not a readable .npy array ({exc})"
        raise DatasetError(msg) from exc
    if matrix.ndim != 2 or not np.issubdtype(matrix.dtype, np.floating):  # noqa: PLR2004
        msg = (
            f"{npy_path}: expected a 2-D float array (rows x dimension), got shape "
            f"{matrix.shape} of {matrix.dtype}"
        )
        raise DatasetError(msg)
    lines = [line.rstrip("\r") for line in ids_path.read_text(encoding="utf-8").split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()  # trailing blank lines end the file
    ids: list[str] = []
    seen: dict[str, int] = {}
    for line_no, line in enumerate(lines, start=1):
        doc_id = line.strip()
        if not doc_id:
            msg = f"{ids_path}, line {line_no}: empty id"
            raise DatasetError(msg)
        if doc_id in seen:
            msg = f"{ids_path}, line {line_no}: id {doc_id!r} repeats line {seen[doc_id]}"
            raise DatasetError(msg)
        seen[doc_id] = line_no
        ids.append(doc_id)
    if len(ids) != matrix.shape[0]:
        msg = (
            f"{npy_path} has {matrix.shape[0]} rows but {ids_path} has {len(ids)} ids: "
            "row i must be the vector of the id on line i"
        )
        raise DatasetError(msg)
    return ids, matrix.astype(np.float32, copy=False)


class PrecomputedEmbeddings(Embeddings):
    """Embeddings looked up by exact text, with an optional live model for the rest.

    Setup (the vectors shipped with a BEIR dataset):
        ```python
        from langchain_hybrid.evaluation import PrecomputedEmbeddings

        embeddings = PrecomputedEmbeddings.from_beir("../shared/data/beir/scifact")
        embeddings.embed_query("0-dimensional biomaterials show inductive properties.")[:2]
        ```

    With a fallback for texts the files do not cover (a new query, say):
        ```python
        embeddings = PrecomputedEmbeddings.from_beir(path, fallback=live_model)
        ```

    From arrays:
        >>> import numpy as np
        >>> emb = PrecomputedEmbeddings(["a", "b"], np.eye(2, dtype="float32"))
        >>> emb.embed_documents(["b"])
        [[0.0, 1.0]]
    """

    def __init__(
        self,
        texts: Sequence[str],
        vectors: npt.ArrayLike,
        *,
        fallback: Embeddings | None = None,
    ) -> None:
        """Serve `vectors[i]` for `texts[i]`.

        Args:
            texts: the exact texts, one per row of `vectors`. A repeated text keeps its
                first row.
            vectors: a 2-D array, one row per text.
            fallback: a live model for texts not in `texts` (`None`: unknown texts raise
                `UnknownTextError`).

        Raises:
            ConfigError: `vectors` is not 2-D or its row count differs from `len(texts)`.
        """
        matrix = np.asarray(vectors, dtype=np.float32)
        if matrix.ndim != 2 or matrix.shape[0] != len(texts):  # noqa: PLR2004
            msg = (
                f"vectors must be a 2-D array with one row per text: got shape "
                f"{matrix.shape} for {len(texts)} texts"
            )
            raise ConfigError(msg)
        self._matrix = matrix
        self._rows: dict[str, int] = {}
        for row, text in enumerate(texts):
            self._rows.setdefault(text, row)
        self.fallback = fallback
        """The live model for unknown texts, or `None`."""

    @classmethod
    def from_beir(
        cls,
        dataset_dir: str | Path,
        model: str = DEFAULT_MODEL,
        *,
        fallback: Embeddings | None = None,
        corpus: Mapping[str, CorpusDocument] | None = None,
        queries: Mapping[str, str] | None = None,
    ) -> PrecomputedEmbeddings:
        """Load `<dataset_dir>/embeddings/<model>/{corpus,queries}.{npy,ids}`.

        Corpus rows are keyed by `CorpusDocument.content` (`(title + " " + text).strip()`),
        query rows by the query text.

        Args:
            dataset_dir: the BEIR dataset directory.
            model: the subdirectory of `embeddings/` (default `all-MiniLM-L6-v2`).
            fallback: a live model for texts the files do not cover.
            corpus: the already loaded corpus (default: read `corpus.jsonl`).
            queries: the already loaded queries of every split (default: read
                `queries.jsonl`).

        Raises:
            DatasetNotFoundError: a file is missing (the message lists the models present).
            DatasetError: arrays and id files disagree, an id is not in the dataset, or
                the corpus and query vectors have different dimensions.

        Example:
            ```python
            emb = PrecomputedEmbeddings.from_beir("tests/data/scifact_slice")
            len(emb)  # 1800 texts: 1500 documents + 300 queries
            ```
        """
        root = Path(dataset_dir)
        folder = root / "embeddings" / model
        if not folder.is_dir():
            present = sorted(p.name for p in (root / "embeddings").glob("*") if p.is_dir())
            msg = f"no precomputed embeddings for model {model!r}: {folder} does not exist"
            msg += f" (models present: {', '.join(present)})" if present else ""
            raise DatasetNotFoundError(msg)
        corpus = corpus if corpus is not None else load_corpus(root / "corpus.jsonl")
        queries = queries if queries is not None else load_queries(root / "queries.jsonl")
        texts: list[str] = []
        blocks: list[np.ndarray] = []
        sources: list[tuple[str, Mapping[str, str]]] = [
            ("corpus", {doc_id: doc.content for doc_id, doc in corpus.items()}),
            ("queries", queries),
        ]
        for name, text_of in sources:
            ids_path = folder / f"{name}.ids"
            ids, matrix = load_vectors(folder / f"{name}.npy", ids_path)
            for line_no, item_id in enumerate(ids, start=1):
                if item_id not in text_of:
                    msg = f"{ids_path}, line {line_no}: id {item_id!r} is not in {name}.jsonl"
                    raise DatasetError(msg)
                texts.append(text_of[item_id])
            if blocks and blocks[0].shape[1] != matrix.shape[1]:
                msg = (
                    f"{folder}: corpus vectors have dimension {blocks[0].shape[1]} but "
                    f"query vectors {matrix.shape[1]}"
                )
                raise DatasetError(msg)
            blocks.append(matrix)
        return cls(texts, np.concatenate(blocks), fallback=fallback)

    @property
    def dimension(self) -> int:
        """Length of every vector."""
        return int(self._matrix.shape[1])

    def __len__(self) -> int:
        """Number of distinct texts with a precomputed vector."""
        return len(self._rows)

    def __contains__(self, text: object) -> bool:
        """Whether `text` has a precomputed vector."""
        return isinstance(text, str) and text in self._rows

    def vector(self, text: str) -> np.ndarray | None:
        """The precomputed vector of `text` (a read-only `float32` row), or `None`.

        Example:
            >>> import numpy as np
            >>> PrecomputedEmbeddings(["a"], np.ones((1, 2))).vector("a").tolist()
            [1.0, 1.0]
        """
        row = self._rows.get(text)
        if row is None:
            return None
        view: np.ndarray = self._matrix[row]
        view.flags.writeable = False
        return view

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Vectors of `texts`: looked up, and the unknown ones embedded by the fallback.

        Raises:
            UnknownTextError: a text is unknown and there is no fallback.
        """
        found: list[list[float] | None] = []
        missing: list[int] = []
        for position, text in enumerate(texts):
            row = self._rows.get(text)
            if row is None:
                missing.append(position)
                found.append(None)
            else:
                found.append(self._matrix[row].tolist())
        if missing:
            computed = self._fallback_embed([texts[i] for i in missing])
            for position, vector in zip(missing, computed, strict=True):
                found[position] = vector
        return [vector for vector in found if vector is not None]

    def embed_query(self, text: str) -> list[float]:
        """Vector of one query (looked up, else embedded by the fallback's `embed_query`).

        Raises:
            UnknownTextError: the text is unknown and there is no fallback.
        """
        row = self._rows.get(text)
        if row is not None:
            vector: list[float] = self._matrix[row].tolist()
            return vector
        if self.fallback is None:
            raise UnknownTextError(_unknown_message(text))
        return self._checked(self.fallback.embed_query(text), text)

    def _fallback_embed(self, texts: list[str]) -> list[list[float]]:
        if self.fallback is None:
            raise UnknownTextError(_unknown_message(texts[0], len(texts)))
        vectors = self.fallback.embed_documents(texts)
        if len(vectors) != len(texts):
            msg = (
                f"the fallback {type(self.fallback).__name__} returned {len(vectors)} "
                f"vectors for {len(texts)} texts"
            )
            raise ConfigError(msg)
        return [self._checked(vector, text) for vector, text in zip(vectors, texts, strict=True)]

    def _checked(self, vector: list[float], text: str) -> list[float]:
        if len(vector) != self.dimension:
            msg = (
                f"the fallback {type(self.fallback).__name__} returned a vector of "
                f"dimension {len(vector)} for {text[:50]!r}, but the precomputed vectors "
                f"have dimension {self.dimension}: use the model they were made with"
            )
            raise ConfigError(msg)
        return list(vector)


def _unknown_message(text: str, count: int = 1) -> str:
    others = f" (and {count - 1} more)" if count > 1 else ""
    return (
        f"no precomputed vector for the text {text[:50]!r}{others} and no fallback model: "
        "pass fallback=<an Embeddings> to embed texts the .npy files do not cover, or "
        "check that the text is exactly the embedded one ((title + ' ' + text).strip() "
        "for documents, the query text for queries)"
    )


def precomputed_vector_store(
    documents: Sequence[Document], embeddings: PrecomputedEmbeddings
) -> InMemoryVectorStore:
    """An `InMemoryVectorStore` holding `documents` with their precomputed vectors.

    The same store `InMemoryVectorStore.add_documents` would build (cosine similarity
    over the same numbers), without embedding anything: each vector is looked up by the
    document's `page_content` and stored as a `float64` NumPy row instead of a Python
    list, which makes each search about ten times faster. Such a store cannot be
    `dump()`-ed to JSON; it is meant for evaluation.

    Raises:
        ConfigError: a document has no id.
        UnknownTextError: a document's text has no precomputed vector and the embeddings
            have no fallback.

    Example:
        ```python
        emb = PrecomputedEmbeddings.from_beir(path)
        store = precomputed_vector_store(to_documents(corpus), emb)
        ```
    """
    store = InMemoryVectorStore(embedding=embeddings)
    unknown = [doc.page_content for doc in documents if doc.page_content not in embeddings]
    computed = iter(embeddings.embed_documents(unknown)) if unknown else iter(())
    for document in documents:
        if not document.id:
            msg = f"every document needs an id, got none for {document.page_content[:50]!r}"
            raise ConfigError(msg)
        known = embeddings.vector(document.page_content)
        vector = known if known is not None else np.asarray(next(computed))
        store.store[document.id] = {
            "id": document.id,
            "vector": vector.astype(np.float64),
            "text": document.page_content,
            "metadata": document.metadata,
        }
    return store
