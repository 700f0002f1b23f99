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
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any, Final

import tantivy

from langchain_hybrid.stopwords import EN_STOPWORDS

__all__ = ["STEMMERS", "Analyzer", "default_local_analyzer", "spaced_word_tokens", "word_tokenize"]

# `[^\W_]` is "a letter or a digit": `\w` is letters, digits and the underscore.
_WORD: Final = re.compile(r"[^\W_]+")
# Distinct tokens whose stem an analyzer remembers (about 25 MB of strings at the limit); past
# it the memory starts afresh. The tokens of a corpus are Zipf-distributed, so a few
# thousand distinct tokens are most of its tokens.
_MAX_CACHED_STEMS: Final = 200_000

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


# Lowercasing the whole text and then splitting gives the same tokens as splitting and
# lowercasing each piece, one C call each instead of one per token, for every character
# but two (checked over all of Unicode by tests/unit_tests/test_analysis.py): "İ" lowercases
# to "i" plus a combining dot, which is not a letter, so the token would split; and "Σ"
# lowercases to final or medial sigma by what follows it, which is outside the token.
_CONTEXT_CASED: Final = ("\u0130", "\u03a3")
# ASCII text: letters lowercased and every other character but digits made a space, then
# `str.split()`, in two C passes (CPython caches an ASCII-only translation table);
# 2.4x faster than the regex, and the same tokens.
_ASCII_WORDS: Final = str.maketrans(
    {chr(c): chr(c).lower() if chr(c).isalnum() else " " for c in range(128)}
)


def word_tokenize(text: str) -> list[str]:
    """Weaviate's `word` tokenization: letter/digit runs, each lowercased.

    Example:
        >>> word_tokenize("Error E1234: 'foo_bar' (AND) failed!")
        ['error', 'e1234', 'foo', 'bar', 'and', 'failed']
    """
    if text.isascii():
        return text.translate(_ASCII_WORDS).split()
    if _CONTEXT_CASED[0] in text or _CONTEXT_CASED[1] in text:
        return [token.lower() for token in _WORD.findall(text)]
    return _WORD.findall(text.lower())


def spaced_word_tokens(text: str) -> str:
    """`word_tokenize(text)` joined on spaces, built in the fewest passes over the text.

    Word tokens hold no whitespace, so splitting this string on whitespace gives
    `word_tokenize(text)` back; for ASCII text it is one `str.translate` (runs of spaces
    are left in: a whitespace split skips them). What an engine that splits on spaces
    itself indexes, without a Python string per token.

    Example:
        >>> spaced_word_tokens("Error E1234: 'foo_bar'").split()
        ['error', 'e1234', 'foo', 'bar']
    """
    if text.isascii():
        return text.translate(_ASCII_WORDS)
    return " ".join(word_tokenize(text))


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

    def __getstate__(self) -> dict[str, Any]:
        """The fields only: the stemmer and its cache (tantivy objects) are made anew."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore the fields of a pickled or copied analyzer."""
        for name, value in state.items():
            object.__setattr__(self, name, value)

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
        if self.tokenizer is word_tokenize:  # non-empty strings by construction
            return word_tokenize(text)
        tokens: list[object] = list(self.tokenizer(text))
        if not all(isinstance(t, str) for t in tokens):
            msg = f"the tokenizer must return strings, got {tokens[:5]!r}"
            raise ValueError(msg)
        return [t for t in tokens if t]  # type: ignore[misc]

    def _stem(self, tokens: list[str]) -> list[str]:
        if self.stemmer is None or not tokens:
            return tokens
        # Each distinct token is stemmed once per analyzer and remembered: a corpus has
        # far fewer distinct tokens than tokens (SciFact: 1.17M tokens, 36k distinct), so
        # most tokens cost one dict lookup, in C.
        holder = self._stems
        stems = holder[0]
        found = list(map(stems.__getitem__, tokens))
        if len(stems) > _MAX_CACHED_STEMS:
            # Start afresh by swapping, not clearing: a thread still reading the full
            # dict keeps finding (or adding) what it needs there.
            holder[0] = _Stems(stems.analyze)
        return found

    @cached_property
    def _stem_analyzer(self) -> tantivy.TextAnalyzer:
        builder = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace())
        return builder.filter(tantivy.Filter.stemmer(self.stemmer or "english")).build()

    @cached_property
    def _stems(self) -> list[_Stems]:
        """`[token -> stem]`, in a one-item list so that a full dict can be swapped."""
        return [_Stems(self._stem_analyzer.analyze)]


class _Stems(dict[str, str]):
    """Token -> Snowball stem, computed (and kept) on a token's first lookup."""

    __slots__ = ("analyze",)

    def __init__(self, analyze: Callable[[str], list[str]]) -> None:
        super().__init__()
        self.analyze = analyze

    def __missing__(self, token: str) -> str:
        # tantivy's whitespace tokenizer splits a token holding (ASCII) whitespace, which
        # only a custom tokenizer makes: such a token gets the stem of its first word,
        # and one that is all whitespace stays as it is.
        stems = self.analyze(token)
        stem = self[token] = stems[0] if stems and not token.isspace() else token
        return stem


def default_local_analyzer() -> Analyzer:
    """The analyzer of a local keyword index built without one: `Analyzer.english()`.

    English stemming is the default because it ranks better on English text than
    Weaviate's unstemmed tokens (docs/benchmarks.md, quality section); it is one argument
    away from Weaviate's analysis (`analyzer=Analyzer.weaviate()`).
    """
    # A new instance each time: the stemmer it caches is not shared between indexes.
    return Analyzer.english()
