"""Text analysis: Weaviate's `word` tokenization, query-only stopwords, options."""

from __future__ import annotations

import copy
import pickle
import re
import sys

import pytest
import tantivy
from hypothesis import given, settings
from hypothesis import strategies as st

from langchain_hybrid import Analyzer, analysis, word_tokenize
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


# The fast paths of `word_tokenize` and the stem cache: the same tokens as the plain way.


def reference_word_tokenize(text: str) -> list[str]:
    """Weaviate's `word` tokenization the plain way: split, then lowercase each piece."""
    return [token.lower() for token in re.findall(r"[^\W_]+", text)]


def test_lowercasing_the_whole_text_splits_every_character_alike() -> None:
    # Every code point but the two word_tokenize guards against, each on its own: whole-
    # text lowercasing must neither make nor unmake a letter or digit, nor split one.
    text = " ".join(
        chr(c)
        for c in range(sys.maxunicode + 1)
        if not 0xD800 <= c <= 0xDFFF and chr(c) not in ("\u0130", "\u03a3")
    )
    assert re.findall(r"[^\W_]+", text.lower()) == reference_word_tokenize(text)


@pytest.mark.parametrize(
    "text",
    [
        "İstanbul İİ KİLİM",  # "İ" lowercases to "i" and a combining dot (not a letter)
        # Capital sigma lowercases to final or medial sigma by what follows the token.
        "\u039f\u0394\u039f\u03a3'\u0391 \u03a3\u0391\u03a3 \u03c3\u03a3 \u03a3",
        "\u039f\u0394\u039f\u03a3 \u0391\u03a3",
        "".join(chr(c) for c in range(128)),  # every ASCII character
        "Mixed ASCII and Ünïcödé_text, state-of-the-art 4.5e10 naïve",
        "tab\tnew\nline\x0bvt\x1cfs\x1fus\x7fdel",
    ],
)
def test_word_tokenize_equals_the_plain_way(text: str) -> None:
    assert word_tokenize(text) == reference_word_tokenize(text)


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
@settings(max_examples=300, deadline=None)
def test_word_tokenize_equals_the_plain_way_on_any_text(text: str) -> None:
    assert word_tokenize(text) == reference_word_tokenize(text)


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=200))
@settings(max_examples=300, deadline=None)
def test_word_tokenize_equals_the_plain_way_on_ascii(text: str) -> None:
    assert word_tokenize(text) == reference_word_tokenize(text)


def uncached_stems(stemmer: str, tokens: list[str]) -> list[str]:
    """Each token through a fresh tantivy Snowball analyzer: what the cache must return."""
    builder = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace())
    analyze = builder.filter(tantivy.Filter.stemmer(stemmer)).build().analyze
    return [analyze(t)[0] if t.strip() else t for t in tokens]


def test_stem_cache_returns_what_the_stemmer_returns() -> None:
    analyzer = Analyzer.english()
    text = "Running studies ran; the runners were running and studying studies"
    tokens = word_tokenize(text)
    first = analyzer.document_tokens(text)
    assert first == uncached_stems("english", tokens)
    assert analyzer.document_tokens(text) == first  # now from the cache
    assert analyzer.query_tokens(text) == [t for t in first if t not in ("the", "and")]


def test_stem_cache_starts_afresh_past_its_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(analysis, "_MAX_CACHED_STEMS", 3)
    analyzer = Analyzer.english()
    text = "running studies cats dogs houses running"
    for _ in range(3):
        assert analyzer.document_tokens(text) == uncached_stems("english", word_tokenize(text))
    assert len(analyzer._stems[0]) <= 5  # swapped for a fresh one


def test_stem_cache_keeps_whitespace_tokens_as_before() -> None:
    # A custom tokenizer may return tokens holding whitespace: the stem of the first
    # word, and an all-whitespace token unchanged (here "\xa0", not split by tantivy).
    tokens = ["running studies", "\xa0", "cats\tdogs", "\u2003x"]
    analyzer = Analyzer(tokenizer=lambda _text: tokens, stopwords=frozenset(), stemmer="english")
    assert analyzer.document_tokens("ignored") == uncached_stems("english", tokens)
    assert analyzer.document_tokens("ignored") == ["run", "\xa0", "cat", "\u2003x"]


@pytest.mark.parametrize(
    "text",
    [
        "Running STUDIES, state-of-the-art!",
        "Die Häuser \u039f\u0394\u039f\u03a3 İstanbul",
        "",
        "  ;; ",
        "".join(chr(c) for c in range(128)),
    ],
)
def test_spaced_word_tokens_split_back_into_the_word_tokens(text: str) -> None:
    assert analysis.spaced_word_tokens(text).split() == word_tokenize(text)


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
@settings(max_examples=300, deadline=None)
def test_spaced_word_tokens_on_any_text(text: str) -> None:
    spaced = analysis.spaced_word_tokens(text)
    # tantivy's whitespace tokenizer splits on ASCII whitespace only, and that is the
    # only whitespace left: every other character is part of a word token.
    assert [t for t in re.split(r"[ \t\n\r\f]+", spaced) if t] == word_tokenize(text)


def test_analyzer_copies_and_pickles_without_its_stemmer_cache() -> None:
    analyzer = Analyzer.english()
    tokens = analyzer.document_tokens("Running studies")  # fills the stemmer and its cache
    for copied in (copy.deepcopy(analyzer), pickle.loads(pickle.dumps(analyzer))):  # noqa: S301
        assert copied == analyzer
        assert copied.document_tokens("Running studies") == tokens
        assert copied._stems is not analyzer._stems  # its own cache
