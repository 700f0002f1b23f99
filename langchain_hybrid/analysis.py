"""Text analysis: text -> tokens, the same way for every keyword engine.

`Analyzer()` (also spelt `Analyzer.weaviate()`) reproduces Weaviate's `word` tokenization
with the `en` stopword preset (weaviate `entities/tokenizer/tokenizer.go`, `analyze.go`):
split on every character that is not a Unicode letter or digit, lowercase each piece, and
drop stopwords from the query only. `Analyzer.english()` adds English Snowball stemming
on top, and is what the local retriever uses when no analyzer is given
(`default_local_analyzer`); `Analyzer.for_language(...)` picks another language's stemmer.
Doing the analysis here, in Python, rather than inside an engine, is what makes every
engine (and Weaviate) see the same tokens.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final

import tantivy

from langchain_hybrid.stopwords import EN_STOPWORDS

__all__ = ["STEMMERS", "Analyzer", "default_local_analyzer", "word_tokenize"]

# `[^\W_]` is "a letter or a digit": `\w` is letters, digits and the underscore.
_WORD: Final = re.compile(r"[^\W_]+")

STEMMERS: Final[tuple[str, ...]] = (
    "arabic",
    "danish",
    "dutch",
    "english",
    "finnish",
    "french",
    "german",
    "greek",
    "hungarian",
    "italian",
    "norwegian",
    "portuguese",
    "romanian",
    "russian",
    "spanish",
    "swedish",
    "tamil",
    "turkish",
)
"""Snowball stemmers available through tantivy's analyzer (rust-stemmers)."""


def word_tokenize(text: str) -> list[str]:
    """Weaviate's `word` tokenization: letter/digit runs, each lowercased.

    Example:
        >>> word_tokenize("Error E1234: 'foo_bar' (AND) failed!")
        ['error', 'e1234', 'foo', 'bar', 'and', 'failed']
    """
    return [token.lower() for token in _WORD.findall(text)]


@dataclass(frozen=True)
class Analyzer:
    """Turns document and query text into tokens for BM25.

    `Analyzer()` is Weaviate-compatible (`Analyzer.weaviate()` says so explicitly).
    `Analyzer.english()` adds Snowball stemming, which improves BM25 on English text (the
    quality benchmark's "BM25 alone" rows, docs/benchmarks.md) but no longer matches what
    Weaviate computes, so local and Weaviate rankings differ. The local retriever uses
    `Analyzer.english()` when given no analyzer; for text in another language use
    `Analyzer.for_language(name)`, and `Analyzer.weaviate()` to rank exactly as Weaviate.

    Example:
        >>> Analyzer().query_tokens("What is the cause of E1234?")
        ['what', 'cause', 'e1234']
        >>> Analyzer.english().document_tokens("Running studies")
        ['run', 'studi']
        >>> Analyzer(tokenizer=str.split).query_tokens("Keep CASE")
        ['Keep', 'CASE']
    """

    tokenizer: Callable[[str], list[str]] = word_tokenize
    """Splits text into tokens. Weaviate's `word` tokenization by default."""
    stopwords: frozenset[str] = field(default=EN_STOPWORDS)
    """Removed from queries only (documents keep every token, as in Weaviate)."""
    stemmer: str | None = None
    """Snowball stemmer language (see `STEMMERS`), or `None` for no stemming."""

    def __post_init__(self) -> None:
        """Validate the stemmer name early, with the list of allowed names."""
        if self.stemmer is not None and self.stemmer not in STEMMERS:
            msg = f"stemmer must be one of {list(STEMMERS)} or None, got {self.stemmer!r}"
            raise ValueError(msg)
        tokenizer: object = self.tokenizer
        if not callable(tokenizer):
            msg = f"tokenizer must be a callable str -> list[str], got {self.tokenizer!r}"
            raise ValueError(msg)
        object.__setattr__(self, "stopwords", frozenset(self.stopwords))

    @classmethod
    def english(cls) -> Analyzer:
        """Word tokens, `en` stopwords and English Snowball stemming (not Weaviate-compatible).

        Example:
            >>> Analyzer.english().query_tokens("The studies were running")
            ['studi', 'were', 'run']
        """
        return cls(stemmer="english")

    @classmethod
    def weaviate(cls) -> Analyzer:
        """Exactly the tokens Weaviate's BM25 sees (`word` tokenization, `en` query stopwords).

        The same as `Analyzer()`; use it for rankings that match the Weaviate backend.

        Example:
            >>> Analyzer.weaviate().is_weaviate_compatible
            True
        """
        return cls()

    @classmethod
    def for_language(cls, language: str) -> Analyzer:
        """Word tokens and the Snowball stemmer of `language` (one of `STEMMERS`).

        English also removes the `en` query stopwords; other languages remove none (no
        list ships for them: pass `stopwords=` to `Analyzer(...)` to add one).

        Example:
            >>> Analyzer.for_language("german").document_tokens("Die Häuser")
            ['die', 'haus']
        """
        if language not in STEMMERS:
            msg = f"language must be one of {list(STEMMERS)}, got {language!r}"
            raise ValueError(msg)
        if language == "english":
            return cls.english()
        return cls(stopwords=frozenset(), stemmer=language)

    @property
    def is_weaviate_compatible(self) -> bool:
        """Whether these tokens are the ones Weaviate's `word` tokenization produces."""
        return (
            self.tokenizer is word_tokenize
            and self.stopwords == EN_STOPWORDS
            and self.stemmer is None
        )

    def document_tokens(self, text: str) -> list[str]:
        """Tokens of a document (stopwords kept)."""
        return self._stem(self._tokenize(text))

    def query_tokens(self, text: str) -> list[str]:
        """Tokens of a query (stopwords removed, duplicates kept: they boost the term)."""
        return self._stem([t for t in self._tokenize(text) if t not in self.stopwords])

    def to_config(self) -> dict[str, Any]:
        """A JSON-safe description, saved with an index so it is reopened the same way."""
        name = getattr(self.tokenizer, "__qualname__", repr(self.tokenizer))
        module = getattr(self.tokenizer, "__module__", "")
        return {
            "tokenizer": f"{module}.{name}" if module else name,
            "stopwords": sorted(self.stopwords),
            "stemmer": self.stemmer,
        }

    def _tokenize(self, text: str) -> list[str]:
        tokens: list[object] = list(self.tokenizer(text))
        if not all(isinstance(t, str) for t in tokens):
            msg = f"the tokenizer must return strings, got {tokens[:5]!r}"
            raise ValueError(msg)
        return [t for t in tokens if isinstance(t, str) and t]

    def _stem(self, tokens: Iterable[str]) -> list[str]:
        tokens = list(tokens)
        if self.stemmer is None or not tokens:
            return tokens
        # The stemmer sees one token at a time: joining on spaces would split tokens
        # that a custom tokenizer allowed to contain whitespace.
        if any(_has_space(t) for t in tokens):
            return [self._stem_analyzer.analyze(t)[0] if t.strip() else t for t in tokens]
        return self._stem_analyzer.analyze(" ".join(tokens))

    @cached_property
    def _stem_analyzer(self) -> tantivy.TextAnalyzer:
        builder = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace())
        return builder.filter(tantivy.Filter.stemmer(self.stemmer or "english")).build()


def default_local_analyzer() -> Analyzer:
    """The analyzer of a local keyword index built without one: `Analyzer.english()`.

    English stemming is the default because it ranks better on English text than
    Weaviate's unstemmed tokens (docs/benchmarks.md, quality section); it is one argument
    away from Weaviate's analysis (`analyzer=Analyzer.weaviate()`).
    """
    # A new instance each time: the stemmer it caches is not shared between indexes.
    return Analyzer.english()


def _has_space(token: str) -> bool:
    return any(ch.isspace() for ch in token)
