"""Stopword lists.

`EN_STOPWORDS` is Lucene's English list, the one Weaviate's `en` stopword preset uses
(weaviate `adapters/repos/db/inverted/stopwords/presets.go`). Weaviate removes stopwords
from the query only; documents are indexed with every token, and so are ours.
"""

from __future__ import annotations

__all__ = ["EN_STOPWORDS"]

# fmt: off
EN_STOPWORDS: frozenset[str] = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is",
    "it", "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there",
    "these", "they", "this", "to", "was", "will", "with",
})
# fmt: on
