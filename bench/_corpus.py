"""Corpora, queries and fake embeddings for the speed benchmark (no network, deterministic).

Documents: the first 8,816 are real (BEIR SciFact 5,183 + NFCorpus 3,633, `title + text`);
beyond that they are synthetic, with the real corpus's statistics. A synthetic document
picks a real document as its topic (uniformly) and takes its length; 90% of its tokens
are random tokens of the topic document and 10% are drawn from the whole corpus's word
frequencies. Over the corpus the words are thus Zipf-distributed exactly as in the real
text, and they stay bursty: a topical word such as "cancer" is in about as many documents
as in the real corpus (20% vs 17%; independent draws would put it in 47%, which makes
every posting list too long). With the Good-Turing probability of an unseen word
(hapaxes / tokens of the real corpus, 0.8%), a token is instead drawn from a Zipf(s=1.1)
tail of made-up words, so that the vocabulary keeps growing with the corpus as real text
does (114k distinct words at 100k documents, from the real corpus's 47k). Synthetic
document `i` is the same whatever the corpus size, so every corpus is a prefix of the
larger ones.

Queries are real: the test queries of SciFact and NFCorpus, shuffled.

`TableEmbeddings` maps a text to a fixed random unit vector (a table lookup for indexed
texts, a seeded draw for queries), so embedding costs almost nothing and the same for
every system: the vector leg measured is the store's search, not a model.
"""

from __future__ import annotations

import json
import random
import tempfile
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
from langchain_core.embeddings import Embeddings

from langchain_hybrid.analysis import word_tokenize

DATASETS: Final = ("scifact", "nfcorpus")
CACHE_VERSION: Final = 2
_CHUNK: Final = 10_000  # synthetic documents are generated in chunks of this many
_TAIL_EXPONENT: Final = 1.1
_BACKGROUND: Final = 0.1  # share of tokens drawn from the whole corpus rather than the topic
_TAIL_MAX_RANK: Final = 50_000_000
_CONSONANTS: Final = "bcdfghjklmnprstvz"
_VOWELS: Final = "aeiou"
_SYLLABLES: Final = tuple(c + v for c in _CONSONANTS for v in _VOWELS)

Vectors = npt.NDArray[np.float32]


@dataclass(frozen=True)
class RealData:
    """The real BEIR documents and test queries."""

    ids: list[str]
    texts: list[str]
    sources: list[str]
    queries: list[str]


def load_real(data_dir: Path) -> RealData:
    """Read the BEIR corpora (in file order) and their test queries (shuffled, seed 0)."""
    ids, texts, sources, queries = [], [], [], []
    for name in DATASETS:
        folder = data_dir / name
        with (folder / "corpus.jsonl").open(encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                text = f"{record['title']} {record['text']}".strip()
                ids.append(f"{name}:{record['_id']}")
                texts.append(" ".join(text.split()))  # one line per document in the cache
                sources.append(name)
        with (folder / "qrels" / "test.tsv").open(encoding="utf-8") as qrels:
            test_ids = {line.split("\t")[0] for line in qrels.read().splitlines()[1:] if line}
        with (folder / "queries.jsonl").open(encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                if record["_id"] in test_ids:
                    queries.append(record["text"])  # text only: never the metadata
    random.Random(0).shuffle(queries)  # noqa: S311 - a fixed order, not a secret
    return RealData(ids, texts, sources, queries)


def pick_queries(real: RealData, count: int) -> list[str]:
    """`count` real test queries (repeated in order if more are asked for than exist)."""
    return [real.queries[i % len(real.queries)] for i in range(count)]


class SyntheticText:
    """Generates synthetic documents from the real corpus's statistics (see module doc)."""

    def __init__(self, real: RealData) -> None:
        """Fit word frequencies, the unseen-word probability and the topic documents."""
        tokenized = [word_tokenize(text) for text in real.texts]
        counts: Counter[str] = Counter(t for tokens in tokenized for t in tokens)
        words = sorted(counts, key=lambda w: (-counts[w], w))
        rank = {w: i for i, w in enumerate(words)}
        frequencies = np.array([counts[w] for w in words], dtype=np.float64)
        self.words = np.array(words, dtype=object)
        self.cumulative = np.cumsum(frequencies) / frequencies.sum()
        hapaxes = sum(1 for c in counts.values() if c == 1)
        self.unseen_probability = hapaxes / frequencies.sum()
        # Every real document, as word ranks in one flat array: the topics.
        self.lengths = np.array([len(tokens) for tokens in tokenized], dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.lengths)[:-1]])
        self.flat = np.array([rank[t] for tokens in tokenized for t in tokens], dtype=np.int64)
        self._tail_words: dict[int, str] = {}

    def _tail_word(self, rank: int) -> str:
        word = self._tail_words.get(rank)
        if word is None:
            syllables = []
            value = rank
            while True:
                value, digit = divmod(value, len(_SYLLABLES))
                syllables.append(_SYLLABLES[digit])
                if value == 0:
                    break
            word = "".join(syllables) + "q"  # made-up: words ending in q are rare in English
            self._tail_words[rank] = word
        return word

    def chunk(self, index: int, seed: int) -> list[str]:
        """Synthetic documents `index * 10,000` to `(index + 1) * 10,000 - 1`."""
        rng = np.random.default_rng([seed, index])
        topics = rng.integers(len(self.lengths), size=_CHUNK)
        lengths = self.lengths[topics]
        total = int(lengths.sum())
        doc_of_token = np.repeat(np.arange(_CHUNK), lengths)
        # Topic tokens: a random token of the topic document (keeps words bursty).
        picks = (rng.random(total) * lengths[doc_of_token]).astype(np.int64)
        ranks = self.flat[self.offsets[topics][doc_of_token] + picks]
        draw = rng.random(total)
        background = draw < _BACKGROUND
        ranks[background] = np.searchsorted(
            self.cumulative, rng.random(int(background.sum())), side="right"
        )
        tokens = self.words[ranks]
        unseen = np.flatnonzero(draw > 1 - self.unseen_probability)
        tail = rng.zipf(_TAIL_EXPONENT, size=len(unseen))
        tokens[unseen] = [self._tail_word(int(r) % _TAIL_MAX_RANK) for r in tail]
        ends = np.cumsum(lengths)
        starts = ends - lengths
        return [" ".join(tokens[a:b].tolist()) for a, b in zip(starts, ends, strict=True)]

    def documents(self, start: int, count: int, seed: int) -> Iterator[str]:
        """Synthetic documents `start .. start + count - 1`."""
        first, last = start // _CHUNK, (start + count - 1) // _CHUNK
        for index in range(first, last + 1):
            texts = self.chunk(index, seed)
            lo = max(start - index * _CHUNK, 0)
            hi = min(start + count - index * _CHUNK, _CHUNK)
            yield from texts[lo:hi]


@dataclass(frozen=True)
class CorpusInfo:
    """What a corpus of a given size is made of."""

    size: int
    n_real: int
    path: Path

    @property
    def n_synthetic(self) -> int:
        """Number of synthetic documents."""
        return self.size - self.n_real

    @property
    def label(self) -> str:
        """Human-readable provenance, used in every table."""
        if self.n_synthetic == 0:
            return "real (BEIR)"
        if self.n_real / self.size >= 0.5:  # noqa: PLR2004
            return f"mostly real ({self.n_real:,} BEIR + {self.n_synthetic:,} synthetic)"
        return f"synthetic Zipf ({self.n_synthetic:,} + {self.n_real:,} BEIR)"


def default_cache_dir() -> Path:
    """Where generated corpora are cached between runs (outside the repository)."""
    return Path(tempfile.gettempdir()) / "langchain-hybrid-bench"


def prepare_corpus(size: int, data_dir: Path, cache_dir: Path, seed: int) -> CorpusInfo:
    """Write (once) the corpus of `size` documents as `id<TAB>source<TAB>text` lines."""
    real = load_real(data_dir)
    n_real = min(size, len(real.texts))
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"corpus-v{CACHE_VERSION}-seed{seed}-{size}.tsv"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as out:
            for i in range(n_real):
                out.write(f"{real.ids[i]}\t{real.sources[i]}\t{real.texts[i]}\n")
            if size > n_real:
                generator = SyntheticText(real)
                for i, text in enumerate(generator.documents(0, size - n_real, seed)):
                    out.write(f"syn:{i}\tsynthetic\t{text}\n")
        tmp.replace(path)
    return CorpusInfo(size, n_real, path)


def read_corpus(path: Path) -> tuple[list[str], list[str], list[str]]:
    """Ids, sources and texts of a cached corpus."""
    ids, sources, texts = [], [], []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            doc_id, source, text = line.rstrip("\n").split("\t", 2)
            ids.append(doc_id)
            sources.append(source)
            texts.append(text)
    return ids, sources, texts


def extra_texts(data_dir: Path, count: int, seed: int) -> list[str]:
    """Synthetic documents that are in no corpus (for the add_documents measurement)."""
    generator = SyntheticText(load_real(data_dir))
    return list(generator.documents(0, count, seed + 1_000_003))


def unit_vectors(count: int, dim: int, seed: int) -> Vectors:
    """`count` random unit vectors of `dim` dimensions (float32)."""
    rng = np.random.default_rng([seed, dim, count])
    vectors = rng.standard_normal((count, dim), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


class TableEmbeddings(Embeddings):
    """Fake embeddings: each indexed text maps to a fixed random unit vector.

    `embed_documents` looks texts up in a table (an ndarray comes back, which every store
    here accepts, so no Python lists of floats are built); any other text, a query for
    instance, gets a unit vector drawn from a generator seeded by the text's CRC-32.
    """

    def __init__(self, texts: Sequence[str], vectors: Vectors) -> None:
        """Map `texts[i]` to `vectors[i]`."""
        self.vectors = vectors
        self.dim = int(vectors.shape[1])
        self.row = {text: i for i, text in enumerate(texts)}
        self._cache: dict[str, list[float]] = {}

    def _random(self, text: str) -> npt.NDArray[np.float32]:
        rng = np.random.default_rng(zlib.crc32(text.encode()))
        vector = rng.standard_normal(self.dim, dtype=np.float32)
        vector /= np.linalg.norm(vector)
        return vector

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Vectors of indexed texts (as one float32 ndarray)."""
        rows = [self.row.get(t, -1) for t in texts]
        out = self.vectors[np.array(rows, dtype=np.int64)] if rows else self.vectors[:0]
        for i, row in enumerate(rows):
            if row < 0:
                out[i] = self._random(texts[i])
        return out  # type: ignore[return-value]  # an ndarray: the stores accept it

    def embed_query(self, text: str) -> list[float]:
        """A fixed random unit vector for `text` (cached)."""
        vector = self._cache.get(text)
        if vector is None:
            vector = self._random(text).tolist()
            self._cache[text] = vector
        return vector
