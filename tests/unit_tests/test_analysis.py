"""Text analysis: Weaviate's `word` tokenization, query-only stopwords, options."""

from __future__ import annotations

import pytest

from langchain_hybrid import Analyzer, word_tokenize
from langchain_hybrid.stopwords import EN_STOPWORDS

# The Lucene/Weaviate `en` preset, as listed in DESIGN.md section 3.
# fmt: off
LUCENE_EN = [
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is",
    "it", "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there",
    "these", "they", "this", "to", "was", "will", "with",
]
# fmt: on


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Hello, World!", ["hello", "world"]),
        ("Error E1234: 'foo_bar' (AND) failed!", ["error", "e1234", "foo", "bar", "and", "failed"]),
        ("state-of-the-art", ["state", "of", "the", "art"]),
        ("snake_case_name", ["snake", "case", "name"]),
        ("Straße ÜBER café", ["straße", "über", "café"]),
        ("東京タワー and Москва", ["東京タワー", "and", "москва"]),
        ("digits ١٢٣ and 4.5e10", ["digits", "١٢٣", "and", "4", "5e10"]),
        ("emoji 🎉 between👍words", ["emoji", "between", "words"]),
        ('a:b*c"d"(e)', ["a", "b", "c", "d", "e"]),
        ("   \t\n ", []),
        ("", []),
    ],
)
def test_word_tokenize(text: str, tokens: list[str]) -> None:
    assert word_tokenize(text) == tokens


def test_stopword_list_is_lucene_en() -> None:
    assert len(LUCENE_EN) == 33
    assert frozenset(LUCENE_EN) == EN_STOPWORDS


def test_stopwords_removed_from_queries_only() -> None:
    analyzer = Analyzer()
    text = "The cause of THE error is in the parser"
    assert analyzer.document_tokens(text) == [
        "the", "cause", "of", "the", "error", "is", "in", "the", "parser",
    ]  # fmt: skip
    assert analyzer.query_tokens(text) == ["cause", "error", "parser"]


def test_query_keeps_repeated_terms() -> None:
    assert Analyzer().query_tokens("error error parser") == ["error", "error", "parser"]


def test_stopword_only_query_is_empty() -> None:
    assert Analyzer().query_tokens("to be or not to be") == []


def test_custom_stopwords() -> None:
    analyzer = Analyzer(stopwords=frozenset({"error"}))
    assert analyzer.query_tokens("the error parser") == ["the", "parser"]
    assert Analyzer(stopwords=frozenset()).query_tokens("the parser") == ["the", "parser"]
    # Any iterable is frozen, so the analyzer stays hashable and immutable.
    assert Analyzer(stopwords={"x"}).stopwords == frozenset({"x"})  # type: ignore[arg-type]


def test_default_has_no_stemming() -> None:
    assert Analyzer().document_tokens("running studies") == ["running", "studies"]
    assert Analyzer().is_weaviate_compatible


def test_english_stemming() -> None:
    analyzer = Analyzer.english()
    assert analyzer.stemmer == "english"
    assert analyzer.document_tokens("Running studies") == ["run", "studi"]
    # Stopwords are removed before stemming, still from the query only.
    assert analyzer.query_tokens("The studies were running") == ["studi", "were", "run"]
    assert analyzer.document_tokens("the studies") == ["the", "studi"]
    assert not analyzer.is_weaviate_compatible


def test_other_stemmer_language() -> None:
    assert Analyzer(stemmer="german").document_tokens("Häuser") == ["haus"]


def test_unknown_stemmer_names_the_allowed_ones() -> None:
    with pytest.raises(
        ValueError, match=r"stemmer must be one of \[.*'english'.*\] or None, got 'klingon'"
    ):
        Analyzer(stemmer="klingon")


def test_custom_tokenizer_is_used_as_is() -> None:
    # No lowercasing is added to a custom tokenizer: it is the whole preprocessing.
    analyzer = Analyzer(tokenizer=str.split, stopwords=frozenset())
    assert analyzer.document_tokens("Keep CASE, and punctuation!") == [
        "Keep", "CASE,", "and", "punctuation!",
    ]  # fmt: skip
    assert not analyzer.is_weaviate_compatible


def test_custom_tokenizer_with_stemming_keeps_multi_word_tokens() -> None:
    def phrases(text: str) -> list[str]:
        return [part.strip() for part in text.split(",")]

    analyzer = Analyzer(tokenizer=phrases, stopwords=frozenset(), stemmer="english")
    tokens = analyzer.document_tokens("running studies, cats")
    assert len(tokens) == 2
    assert tokens[1] == "cat"


def test_custom_tokenizer_empty_tokens_are_dropped() -> None:
    analyzer = Analyzer(tokenizer=lambda text: text.split(" "), stopwords=frozenset())
    assert analyzer.document_tokens("a  b ") == ["a", "b"]


@pytest.mark.parametrize("bad_output", [[1, 2], ["ok", None], [b"bytes"], [["nested"]]], ids=repr)
def test_tokenizer_returning_non_strings_is_a_value_error(bad_output: list[object]) -> None:
    analyzer = Analyzer(tokenizer=lambda _text: bad_output)  # type: ignore[arg-type,return-value]
    with pytest.raises(ValueError, match="tokenizer must return strings"):
        analyzer.document_tokens("anything")
    with pytest.raises(ValueError, match="tokenizer must return strings"):
        analyzer.query_tokens("anything")


def test_non_callable_tokenizer_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="tokenizer must be a callable"):
        Analyzer(tokenizer="whitespace")  # type: ignore[arg-type]


def test_to_config_describes_the_analyzer() -> None:
    config = Analyzer.english().to_config()
    assert config == {
        "tokenizer": "langchain_hybrid.analysis.word_tokenize",
        "stopwords": sorted(EN_STOPWORDS),
        "stemmer": "english",
    }
    assert Analyzer(tokenizer=str.split).to_config()["tokenizer"] == "str.split"
