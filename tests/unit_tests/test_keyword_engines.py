"""Keyword engines: one contract run on every engine, then parity with reference formulas.

The contract class is parametrised over the engine names of `create_keyword_index`, so a
new engine only has to be added to `ENGINES` to be held to the same behaviour.
"""

from __future__ import annotations

import datetime as dt
import math
import random

import numpy as np
import pytest
import rank_bm25
from langchain_core.documents import Document

from langchain_hybrid import (
    Analyzer,
    ConfigError,
    KeywordIndex,
    RankBM25Index,
    TantivyIndex,
    create_keyword_index,
)
from langchain_hybrid.keyword_index import search_filtered

# FIXTURES =============================================================================

ENGINES = ["tantivy", "rank_bm25", "exact"]

CORPUS = {
    "parser": Document("Fix for error E1234 in the parser", metadata={"year": 2024}),
    "cat": Document("The cat sat on the mat", metadata={"year": 2021}),
    "debug": Document("Parsing failures and how to debug the parser", metadata={"year": 2023}),
    "syntax": Document('title: foo (bar) AND "baz" or qux*', metadata={"year": 2020}),
    "emoji": Document("Release party 🎉 tonight, 東京", metadata={"year": 2022}),
    "e1234": Document("E1234 E1234 E1234 error", metadata={"year": 2019}),
    "dog": Document("A dog and a cat", metadata={"year": 2018}),
    "snow": Document("Snow falls on the mountains in winter", metadata={"year": 2017}),
}


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def make_index(engine: str, analyzer: Analyzer | None = None, **params: object) -> KeywordIndex:
    index = create_keyword_index(engine, analyzer, **params)
    index.add(list(CORPUS.values()), list(CORPUS))
    return index


def ids(hits: list) -> list[str]:
    return [hit.id for hit in hits]


def tokens_of(doc_id: str, analyzer: Analyzer) -> set[str]:
    return set(analyzer.document_tokens(CORPUS[doc_id].page_content))


# TESTS: the contract every engine meets ===============================================


class TestKeywordIndexContract:
    @pytest.fixture
    def index(self, engine: str) -> KeywordIndex:
        return make_index(engine)

    def test_is_a_keyword_index(self, index: KeywordIndex) -> None:
        assert isinstance(index, KeywordIndex)
        assert len(index) == len(CORPUS)
        assert "parser" in index
        assert "nope" not in index

    def test_search_returns_matches_best_first(self, index: KeywordIndex) -> None:
        hits = index.search("E1234 error", k=10)
        assert set(ids(hits)) == {"parser", "e1234"}
        # "e1234" repeats the rarer term three times in a shorter document.
        assert ids(hits)[0] == "e1234"
        scores = [hit.score for hit in hits]
        assert scores == sorted(scores, reverse=True)
        assert all(score > 0 for score in scores)

    def test_only_documents_that_match_a_query_term(self, index: KeywordIndex) -> None:
        analyzer = index.analyzer
        for query in ["parser", "cat mat", "winter party", "E1234", "foo unknownword"]:
            query_tokens = set(analyzer.query_tokens(query))
            found = ids(index.search(query, k=100))
            expected = {i for i in CORPUS if tokens_of(i, analyzer) & query_tokens}
            assert set(found) == expected, query

    def test_no_match_returns_empty(self, index: KeywordIndex) -> None:
        assert index.search("xylophone zeppelin", k=5) == []

    def test_k(self, index: KeywordIndex) -> None:
        assert len(index.search("parser", k=1)) == 1
        everything = index.search("parser cat E1234 snow", k=1000)
        assert len(everything) == 6  # k larger than the corpus: every match, once
        assert len(set(ids(everything))) == len(everything)
        assert index.search("parser", k=0) == []

    @pytest.mark.parametrize("query", ["", "   ", "\n\t", "the and of", "to be or not to be"])
    def test_empty_whitespace_or_stopword_query(self, index: KeywordIndex, query: str) -> None:
        assert index.search(query, k=5) == []

    def test_get(self, index: KeywordIndex) -> None:
        documents = index.get(["cat", "missing", "parser"])
        assert [doc.id for doc in documents] == ["cat", "parser"]
        assert documents[0].page_content == CORPUS["cat"].page_content
        assert documents[0].metadata == {"year": 2021}
        assert index.get([]) == []

    def test_stored_documents_are_copies(self, engine: str) -> None:
        doc = Document("mutable parser", metadata={"tags": ["a"]})
        index = create_keyword_index(engine)
        index.add([doc], ["m"])
        doc.metadata["tags"].append("b")
        doc.metadata["new"] = 1
        assert index.get(["m"])[0].metadata == {"tags": ["a"]}
        assert doc.id is None  # the caller's document is not given an id either

    def test_delete(self, index: KeywordIndex) -> None:
        assert index.delete(["parser", "missing", "parser"]) == 1
        assert "parser" not in index
        assert len(index) == len(CORPUS) - 1
        assert index.get(["parser"]) == []
        assert set(ids(index.search("E1234 parser", k=10))) == {"e1234", "debug"}
        assert index.delete(["missing"]) == 0
        assert index.delete([]) == 0

    def test_delete_everything(self, index: KeywordIndex) -> None:
        assert index.delete(list(CORPUS)) == len(CORPUS)
        assert len(index) == 0
        assert index.search("parser", k=5) == []

    def test_upsert_replaces_the_document(self, index: KeywordIndex) -> None:
        index.add([Document("completely new words: zeppelin", metadata={"v": 2})], ["cat"])
        assert len(index) == len(CORPUS)
        assert "cat" not in ids(index.search("mat", k=10))
        assert ids(index.search("zeppelin", k=10)) == ["cat"]
        assert index.get(["cat"])[0].metadata == {"v": 2}
        # "cat" is still found through the other document that has the word.
        assert ids(index.search("cat", k=10)) == ["dog"]

    def test_repeated_id_in_one_add_last_wins(self, engine: str) -> None:
        index = create_keyword_index(engine)
        index.add([Document("first zeppelin"), Document("second xylophone")], ["x", "x"])
        assert len(index) == 1
        assert index.search("zeppelin", k=5) == []
        assert ids(index.search("xylophone", k=5)) == ["x"]

    def test_add_with_wrong_number_of_ids(self, engine: str) -> None:
        index = create_keyword_index(engine)
        with pytest.raises(ValueError, match="2 documents but 1 ids"):
            index.add([Document("a"), Document("b")], ["a"])

    def test_metadata_must_be_json(self, engine: str) -> None:
        index = create_keyword_index(engine)
        with pytest.raises(ConfigError, match="JSON-serialisable"):
            index.add([Document("x", metadata={"obj": object()})], ["x"])
        index.add([Document("y", metadata={"day": dt.date(2024, 1, 2), "s": {1}})], ["y"])
        assert index.get(["y"])[0].metadata == {"day": "2024-01-02", "s": [1]}

    def test_failed_add_changes_nothing(self, index: KeywordIndex) -> None:
        before = {q: ids(index.search(q, k=10)) for q in ("cat", "mat", "zeppelin", "parser")}
        batch = [Document("zeppelin replaces the cat"), Document("x", metadata={"o": object()})]
        with pytest.raises(ConfigError, match="JSON-serialisable"):
            index.add(batch, ["cat", "new"])  # fails on the second document, after the first
        assert len(index) == len(CORPUS)
        assert "new" not in index
        assert {q: ids(index.search(q, k=10)) for q in before} == before
        assert index.get(["cat"])[0].page_content == CORPUS["cat"].page_content

    def test_incremental_add_and_search(self, engine: str) -> None:
        index = create_keyword_index(engine)
        assert index.search("parser", k=5) == []
        index.add([CORPUS["parser"]], ["parser"])
        assert ids(index.search("parser", k=5)) == ["parser"]
        index.add([CORPUS["debug"]], ["debug"])
        assert set(ids(index.search("parser", k=5))) == {"parser", "debug"}

    # -------------------------------------------------------------- query syntax is text

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ('"unbalanced quote parser', {"parser", "debug"}),
            ("(parser", {"parser", "debug"}),
            ("parser)", {"parser", "debug"}),
            ("parser AND", {"parser", "debug"}),
            ("AND OR NOT foo", {"syntax"}),  # operators are words (here stopwords)
            ("title:foo", {"syntax"}),
            ("year:2024", set()),  # not a field query: tokens "year" and "2024" match nothing
            ("qux*", {"syntax"}),
            ("par*", set()),  # no wildcard expansion
            ("*", set()),
            ("-parser", {"parser", "debug"}),  # no negation
            ("+mat +zeppelin", {"cat"}),  # no required clauses
            ("snow~2", {"snow"}),
            ("snow^10 cat", {"snow", "cat", "dog"}),
            ("[a TO z]", set()),
            ("parser\\", {"parser", "debug"}),
            ("🎉", set()),  # not a letter or digit: no token with the default analyzer
            ("🎉 party", {"emoji"}),
            ("東京", {"emoji"}),
            ("{!lucene}parser", {"parser", "debug"}),
        ],
    )
    def test_query_syntax_is_plain_text(
        self, index: KeywordIndex, query: str, expected: set[str]
    ) -> None:
        assert set(ids(index.search(query, k=10))) == expected

    def test_syntax_tokens_match_literally_with_a_custom_tokenizer(self, engine: str) -> None:
        analyzer = Analyzer(tokenizer=str.split, stopwords=frozenset())
        index = create_keyword_index(engine, analyzer)
        texts = {
            "field": "title:foo plain",
            "star": "qux* plain",
            "quote": '"baz" plain',
            "heart": "I ❤ tantivy",
            "and": "AND OR plain",
        }
        index.add([Document(t) for t in texts.values()], list(texts))
        assert ids(index.search("title:foo", k=5)) == ["field"]
        assert index.search("foo", k=5) == []  # "title:foo" is one literal token
        assert ids(index.search("qux*", k=5)) == ["star"]
        assert index.search("qux", k=5) == []
        assert ids(index.search('"baz"', k=5)) == ["quote"]
        assert ids(index.search("❤", k=5)) == ["heart"]
        assert ids(index.search("AND", k=5)) == ["and"]
        assert set(ids(index.search("plain", k=5))) == {"field", "star", "quote", "and"}

    def test_100k_character_queries(self, index: KeywordIndex) -> None:
        repeated = "parser " * (100_000 // len("parser "))
        assert len(repeated) > 99_000
        assert set(ids(index.search(repeated, k=10))) == {"parser", "debug"}

        rng = random.Random(1234)  # noqa: S311 - test data, not cryptography
        alphabet = 'ab(): "*ANDOR-+~^[]{}\\/🎉 \t\n東京'
        junk = "".join(rng.choice(alphabet) for _ in range(100_000)) + " winter"
        found = set(ids(index.search(junk, k=10)))
        assert "snow" in found
        query_tokens = set(index.analyzer.query_tokens(junk))
        assert all(tokens_of(doc_id, index.analyzer) & query_tokens for doc_id in found)

    def test_100k_character_single_token(self, engine: str) -> None:
        analyzer = Analyzer(tokenizer=str.split, stopwords=frozenset())
        index = create_keyword_index(engine, analyzer)
        index.add([Document("x" * 100_000 + " short"), Document("short")], ["huge", "small"])
        assert set(ids(index.search("short", k=5))) == {"huge", "small"}
        assert index.search("y" * 100_000, k=5) == []

    # -------------------------------------------------------------------- small corpora

    @pytest.mark.parametrize(
        ("texts", "query"),
        [
            (["parser"], "parser"),  # one document
            (["parser", "parser"], "parser"),  # identical documents
            (["cat dog", "cat fish", "cat bird"], "cat"),  # term in every document
            (["cat dog", "cat fish", "cat bird", "owl"], "cat dog"),  # term in most documents
            (["apple x", "banana y"], "apple"),  # term in exactly half the documents
            (["apple x", "apple y", "kiwi", "lime"], "apple lime"),
        ],
        ids=["one-doc", "identical-docs", "term-in-all", "term-in-most", "term-in-half", "mixed"],
    )
    def test_small_corpora_no_negative_scores_no_strays(
        self, engine: str, texts: list[str], query: str
    ) -> None:
        index = create_keyword_index(engine)
        doc_ids = [f"d{i}" for i in range(len(texts))]
        index.add([Document(t) for t in texts], doc_ids)
        hits = index.search(query, k=10)
        query_tokens = set(query.split())
        matching = {i for i, t in zip(doc_ids, texts, strict=True) if set(t.split()) & query_tokens}
        assert set(ids(hits)) == matching
        negative = {hit.id: hit.score for hit in hits if hit.score < 0}
        assert negative == {}, f"{engine} returned negative BM25 scores on {texts}"

    # --------------------------------------------------------------------- filtered search

    def test_search_filtered_over_fetches_until_k(self, engine: str) -> None:
        index = create_keyword_index(engine)
        # 190 "loud" documents outrank the 10 quiet ones for "signal".
        texts = [("signal " * 5 + f"loud{i}", "loud") for i in range(190)]
        texts += [(f"signal quiet{i} " + "filler " * 20, "quiet") for i in range(10)]
        index.add(
            [Document(t, metadata={"kind": kind}) for t, kind in texts],
            [f"{kind}{i}" for i, (_, kind) in enumerate(texts)],
        )
        assert all(hit.id.startswith("loud") for hit in index.search("signal", k=190))

        def quiet(document: Document) -> bool:
            return document.metadata["kind"] == "quiet"

        hits = search_filtered(index, "signal", 5, quiet)
        assert len(hits) == 5
        assert all(hit.id.startswith("quiet") for hit in hits)
        assert len(search_filtered(index, "signal", 50, quiet)) == 10  # all that exist
        assert len(search_filtered(index, "signal", 7, None)) == 7


# TESTS: engine options ================================================================


def test_create_keyword_index_by_name() -> None:
    assert isinstance(create_keyword_index(), TantivyIndex)
    assert isinstance(create_keyword_index("tantivy"), TantivyIndex)
    rank = create_keyword_index("rank_bm25", variant="bm25plus", k1=1.2)
    assert isinstance(rank, RankBM25Index)
    assert rank.variant == "bm25plus"
    assert rank.params == {"k1": 1.2, "b": 0.75, "delta": 1.0}


def test_unknown_engine_names_the_allowed_ones() -> None:
    with pytest.raises(
        ConfigError, match=r"must be one of \['exact', 'rank_bm25', 'tantivy'\], got 'bm25s'"
    ):
        create_keyword_index("bm25s")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"variant": "bm25x"}, r"variant must be one of \['bm25l', 'bm25plus', 'okapi'\]"),
        ({"k1": -1.0}, r"k1 must be a non-negative number"),
        ({"b": "0.75"}, r"b must be a non-negative number"),
        ({"k1": True}, r"k1 must be a non-negative number"),
        ({"variant": "okapi", "delta": 0.5}, r"okapi takes \['epsilon'\]"),
    ],
)
def test_rank_bm25_bad_options(params: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        create_keyword_index("rank_bm25", **params)


def test_tantivy_has_no_options() -> None:
    with pytest.raises(ConfigError, match="invalid options for keyword engine 'tantivy'"):
        create_keyword_index("tantivy", k1=2.0)


@pytest.mark.parametrize("variant", ["okapi", "bm25l", "bm25plus"])
def test_rank_bm25_variants_match_their_reference(variant: str) -> None:
    texts = parity_corpus()
    analyzer = Analyzer(tokenizer=str.split, stopwords=frozenset())
    index = create_keyword_index("rank_bm25", analyzer, variant=variant)
    index.add([Document(t) for t in texts], [str(i) for i in range(len(texts))])
    reference = RankBM25Index.VARIANTS[variant]([t.split() for t in texts])
    for query in PARITY_QUERIES:
        expected = reference.get_scores(query.split())
        for hit in index.search(query, k=len(texts)):
            assert hit.score == pytest.approx(expected[int(hit.id)], rel=1e-9, abs=1e-12)


# TESTS: parity with reference formulas ================================================

PARITY_QUERIES = ["w0", "w1 w5", "w11 w0 w0", "w3 w7 w9 w10", "w2 w2 w2 w6", "w4 w8"]


def parity_corpus(n_docs: int = 60, seed: int = 7, vocab_size: int = 80) -> list[str]:
    """Random documents of 1 to 39 tokens over a Zipf-like vocabulary `w0`, `w1`, ...

    The commonest words ("w0" to "w4") are in more than half the documents, which
    exercises rank_bm25's negative-idf floor, while the average idf stays positive.
    """
    rng = np.random.default_rng(seed)
    vocab = [f"w{i}" for i in range(vocab_size)]
    weights = 1 / np.arange(1, vocab_size + 1)
    lengths = rng.integers(1, 40, size=n_docs)
    return [" ".join(rng.choice(vocab, size=int(n), p=weights / weights.sum())) for n in lengths]


def test_rank_bm25_okapi_equals_bm25okapi() -> None:
    texts = parity_corpus()
    analyzer = Analyzer(tokenizer=str.split, stopwords=frozenset())
    index = create_keyword_index("rank_bm25", analyzer, variant="okapi", k1=1.5, b=0.75)
    index.add([Document(t) for t in texts], [str(i) for i in range(len(texts))])
    reference = rank_bm25.BM25Okapi([t.split() for t in texts], k1=1.5, b=0.75)
    # "w0" is in more than half the documents: its idf is the floor 0.25 * mean idf.
    assert sum("w0" in t.split() for t in texts) > len(texts) / 2
    assert reference.average_idf > 0
    assert reference.idf["w0"] == 0.25 * reference.average_idf
    for query in PARITY_QUERIES:
        expected = reference.get_scores(query.split())
        hits = index.search(query, k=len(texts))
        matching = [i for i, t in enumerate(texts) if set(t.split()) & set(query.split())]
        assert sorted(int(h) for h in ids(hits)) == matching
        for hit in hits:
            assert hit.score == pytest.approx(expected[int(hit.id)], rel=1e-9, abs=1e-12)


def test_rank_bm25_okapi_parity_survives_incremental_updates() -> None:
    texts = parity_corpus(n_docs=80, seed=11)
    analyzer = Analyzer(tokenizer=str.split, stopwords=frozenset())
    index = create_keyword_index("rank_bm25", analyzer)
    index.add([Document(t) for t in texts[:50]], [str(i) for i in range(50)])
    index.delete([str(i) for i in range(0, 50, 3)])
    index.add([Document(t) for t in texts[50:]], [str(i) for i in range(50, 80)])
    index.add([Document(texts[79])], ["1"])  # replace document 1 with the text of 79
    current = {int(i): texts[int(i)] for i in (str(n) for n in range(80)) if i in index}
    current[1] = texts[79]
    order = sorted(current)
    reference = rank_bm25.BM25Okapi([current[i].split() for i in order])
    for query in PARITY_QUERIES:
        expected = dict(zip(order, reference.get_scores(query.split()), strict=True))
        for hit in index.search(query, k=100):
            assert hit.score == pytest.approx(expected[int(hit.id)], rel=1e-9, abs=1e-12)


def weaviate_bm25(texts: list[str], query: str, k1: float = 1.2, b: float = 0.75) -> np.ndarray:
    """Weaviate's BM25 (DESIGN.md section 3), computed independently with numpy.

    `idf = ln(1 + (N - n + 0.5)/(n + 0.5))`, per query token (repeats count)
    `idf * f / (f + k1 * (1 - b + b * len / avglen))`.
    """
    docs = [t.split() for t in texts]
    lengths = np.array([len(d) for d in docs], dtype=np.float64)
    n_docs = len(docs)
    scores = np.zeros(n_docs)
    for term in query.split():
        freq = np.array([d.count(term) for d in docs], dtype=np.float64)
        n_t = float(np.count_nonzero(freq))
        idf = math.log(1 + (n_docs - n_t + 0.5) / (n_t + 0.5))
        scores += idf * freq / (freq + k1 * (1 - b + b * lengths / lengths.mean()))
    return scores


class _FailsOnce:
    """Wraps a tantivy object so that one method raises on its next call, once."""

    def __init__(self, wrapped: object, method: str) -> None:
        self._wrapped, self._method, self.failed = wrapped, method, False

    def __getattr__(self, name: str) -> object:
        attribute = getattr(self._wrapped, name)
        if name != self._method or self.failed:
            return attribute

        def fail(*args: object, **kwargs: object) -> None:
            self.failed = True
            msg = f"simulated {name} failure"
            raise OSError(msg)

        return fail


def tantivy_failing_once(part: str, method: str) -> TantivyIndex:
    """The test corpus in a tantivy index whose `part` (`_index`, `_writer`) fails `method` once."""
    index = make_index("tantivy")
    assert isinstance(index, TantivyIndex)
    setattr(index, part, _FailsOnce(getattr(index, part), method))
    return index


def test_tantivy_keeps_a_commit_whose_reload_failed() -> None:
    # Once committed, documents are on disk whatever the reader does: their keys must stay
    # taken, or the next add would reuse them and searches would return the wrong ids.
    index = tantivy_failing_once("_index", "reload")
    with pytest.raises(OSError, match="simulated reload failure"):
        index.add([Document("zeppelin over the harbour")], ["zeppelin"])
    assert "zeppelin" in index
    index.add([Document("a submarine in the harbour")], ["submarine"])
    assert ids(index.search("zeppelin", k=5)) == ["zeppelin"]
    assert ids(index.search("submarine", k=5)) == ["submarine"]
    assert set(ids(index.search("harbour", k=5))) == {"zeppelin", "submarine"}
    assert [d.page_content for d in index.get(["zeppelin"])] == ["zeppelin over the harbour"]


def test_tantivy_failed_delete_changes_nothing_later() -> None:
    # A delete whose commit fails is rolled back, not left pending for the next commit.
    index = tantivy_failing_once("_writer", "commit")
    with pytest.raises(OSError, match="simulated commit failure"):
        index.delete(["cat"])
    assert "cat" in index
    index.add([Document("a zeppelin")], ["zeppelin"])
    assert set(ids(index.search("cat", k=5))) == {"cat", "dog"}
    assert index.delete(["cat"]) == 1
    assert ids(index.search("cat", k=5)) == ["dog"]


# tantivy keeps scores in float32: a relative error of a few ulps (eps = 1.2e-7).
F32_RTOL = 2e-6


def test_tantivy_equals_weaviate_bm25_times_k1_plus_1() -> None:
    texts = parity_corpus()
    assert max(len(t.split()) for t in texts) < 40  # lengths tantivy encodes exactly
    index = create_keyword_index("tantivy")
    index.add([Document(t) for t in texts], [str(i) for i in range(len(texts))])
    for query in PARITY_QUERIES:
        expected = weaviate_bm25(texts, query) * (1.2 + 1)
        hits = index.search(query, k=len(texts))
        assert sorted(int(i) for i in ids(hits)) == [int(i) for i in np.flatnonzero(expected)]
        got = np.array([hit.score for hit in hits])
        want = np.array([expected[int(hit.id)] for hit in hits])
        np.testing.assert_allclose(got, want, rtol=F32_RTOL)


def test_tantivy_length_encoding_is_exact_below_41_tokens() -> None:
    # One "x" plus filler: tantivy's one-byte fieldnorm stores 0..40 exactly; 41 is
    # stored as 40, 43 as 42 and 100 as 96 (Lucene's SmallFloat buckets).
    lengths = [1, 10, 39, 40, 41, 43, 100]
    texts = ["x" + " y" * (n - 1) for n in lengths]
    index = create_keyword_index("tantivy")
    index.add([Document(t) for t in texts], [str(n) for n in lengths])
    scores = {int(hit.id): hit.score for hit in index.search("x", k=10)}
    n_docs = len(lengths)
    idf = math.log(1 + (n_docs - n_docs + 0.5) / (n_docs + 0.5))
    avg = sum(lengths) / n_docs

    def expected(encoded: int) -> float:
        return (1.2 + 1) * idf * 1 / (1 + 1.2 * (1 - 0.75 + 0.75 * encoded / avg))

    stored_as = {1: 1, 10: 10, 39: 39, 40: 40, 41: 40, 43: 42, 100: 96}
    for length, encoded in stored_as.items():
        assert scores[length] == pytest.approx(expected(encoded), rel=F32_RTOL)
        if encoded != length:
            assert scores[length] != pytest.approx(expected(length), rel=1e-3)


def test_tantivy_default_analysis_matches_weaviate_tokens() -> None:
    texts = ["Error E1234: the Parser!", "parser-error in the PARSER", "cat"]
    index = create_keyword_index("tantivy")
    index.add([Document(t) for t in texts], ["0", "1", "2"])
    analysed = [" ".join(Analyzer().document_tokens(t)) for t in texts]
    query = "The PARSER error?"
    expected = weaviate_bm25(analysed, " ".join(Analyzer().query_tokens(query))) * 2.2
    hits = index.search(query, k=5)
    assert {hit.id: hit.score for hit in hits} == pytest.approx(
        {str(i): float(s) for i, s in enumerate(expected) if s > 0}, rel=F32_RTOL
    )


def test_exact_engine_is_weaviates_formula_with_exact_lengths() -> None:
    # Documents far longer than 40 tokens, where tantivy's length encoding is approximate.
    texts = [
        "alpha " * 3 + "filler " * 97,
        "alpha beta " + "filler " * 150,
        "beta " * 2 + "other " * 60,
        "gamma " * 45,
    ]
    index = create_keyword_index("exact")
    index.add([Document(t) for t in texts], ["a", "b", "c", "d"])
    lengths = [len(t.split()) for t in texts]
    average = sum(lengths) / len(lengths)

    def expected(doc: int, terms: list[str]) -> float:
        total = 0.0
        for term in terms:
            tf = texts[doc].split().count(term)
            n = sum(term in t.split() for t in texts)
            if tf:
                idf = math.log(1 + (len(texts) - n + 0.5) / (n + 0.5))
                total += idf * tf / (tf + 1.2 * (1 - 0.75 + 0.75 * lengths[doc] / average))
        return total

    hits = {h.id: h.score for h in index.search("alpha beta", k=10)}
    assert hits == pytest.approx(
        {
            "a": expected(0, ["alpha", "beta"]),
            "b": expected(1, ["alpha", "beta"]),
            "c": expected(2, ["alpha", "beta"]),
        }
    )
    # A delete changes the statistics at once (Weaviate's N, n and average length).
    index.delete(["d"])
    texts.pop()
    lengths.pop()
    average = sum(lengths) / len(lengths)
    assert index.search("alpha", k=1)[0].score == pytest.approx(expected(0, ["alpha"]))


class _SameAnalyzer(Analyzer):
    """`Analyzer` by another class: tantivy then takes the general (separator) path."""


@pytest.mark.parametrize("stemmer", [None, "english"])
def test_tantivy_fast_word_path_indexes_the_same_terms(stemmer: str | None) -> None:
    # The word tokenizer's tokens reach tantivy joined on spaces (whitespace tokenizer);
    # any other analyzer's joined on a separator (regex tokenizer). Same scores either way.
    texts = [
        *(doc.page_content for doc in CORPUS.values()),
        "Running studies: the runners ran, RUNNING 4.5e10 naïve ΟΔΟΣ İstanbul",
        "tab\tnew\nline x" + "y" * 70_000,  # one token over tantivy's length limit
        "",
    ]
    docs = [Document(text) for text in texts]
    doc_ids = [str(i) for i in range(len(texts))]
    fast = TantivyIndex(Analyzer(stemmer=stemmer))
    general = TantivyIndex(_SameAnalyzer(stemmer=stemmer))
    for index in (fast, general):
        index.add(docs, doc_ids)
    queries = ["running studies", "parser error E1234", "naïve οδος i̇stanbul", "x" + "y" * 70_000]
    for query in [*queries, *texts[:-2]]:
        assert fast.search(query, 20) == general.search(query, 20)
    assert len(fast.search("running parser", 5)) >= 2  # sanity: queries find something
