"""The default keyword engine: a tantivy (Rust, Lucene-like) inverted index.

Indexed, incremental and persistent: a query reads only the postings of its terms, so
it stays fast as the corpus grows, unlike `rank_bm25`, which scores every document.

Text is analysed in Python by `Analyzer` and handed to tantivy as ready tokens, so the
tokens are exactly the ones the other engines and Weaviate see. Queries are built as
term-query objects, never parsed, so quotes, `AND`, `:` or `*` in user text are plain
text. Scoring is tantivy's BM25 (k1 1.2, b 0.75, idf `ln(1 + (N - n + 0.5)/(n + 0.5))`):
Weaviate's formula times the constant `k1 + 1`, which fusion's min-max normalisation
cancels. Document lengths are stored in tantivy's one-byte length encoding, so long
documents' lengths are approximate (Lucene does the same).
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import weakref
from collections import Counter
from collections.abc import Callable, Sequence
from operator import itemgetter, neg
from pathlib import Path
from typing import Any, Final

import tantivy
from langchain_core.documents import Document

from langchain_hybrid._types import Hit
from langchain_hybrid.analysis import Analyzer, spaced_word_tokens, word_tokenize
from langchain_hybrid.keyword_index.base import document_from_json, document_to_json

__all__ = ["TantivyIndex"]

_SEPARATOR: Final = "\x1f"  # ASCII unit separator: cannot occur in a token we keep
_TOKENIZER: Final = "langchain_hybrid_tokens"
_HEAP_BYTES: Final = 64_000_000
_MAX_TOKEN_BYTES: Final = 65_000  # tantivy rejects longer terms
_first, _second = itemgetter(0), itemgetter(1)


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    # `key` is a small integer per stored version of a document: a fast field maps hits
    # back to ids without loading stored documents, and re-adding an id gets a new key.
    builder.add_unsigned_field("key", stored=False, indexed=True, fast=True)
    builder.add_text_field("tokens", stored=False, tokenizer_name=_TOKENIZER, index_option="freq")
    builder.add_bytes_field("doc", stored=True, indexed=False, fast=False)
    return builder.build()


def _field_analysis(analyzer: Analyzer) -> tuple[Callable[[str], str], tantivy.TextAnalyzer]:
    """How a document's text reaches tantivy: a string to index, and how tantivy splits it.

    Either way tantivy indexes exactly `analyzer.document_tokens(text)`. In general the
    tokens are joined on `_SEPARATOR` and split on it again by a regex. An `Analyzer` with
    the `word` tokenizer (every built-in one) hands over its word tokens joined on spaces
    (`spaced_word_tokens`: no Python string per token), and tantivy splits them with its
    whitespace tokenizer and stems them with the same Snowball filter that
    `Analyzer.document_tokens` calls, in its own indexing thread. SciFact's default
    (stemmed) index builds 3x faster so: the regex tokenizer was most of tantivy's time,
    and Python's work once per token most of the rest.
    """
    text: Callable[[str], str]
    if type(analyzer) is Analyzer and analyzer.tokenizer is word_tokenize:
        builder = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace())
        if analyzer.stemmer is not None:
            builder = builder.filter(tantivy.Filter.stemmer(analyzer.stemmer))
        text = spaced_word_tokens
    else:
        builder = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(f"[^{_SEPARATOR}]+"))

        def text(content: str) -> str:
            return _join(analyzer.document_tokens(content))

    return text, builder.filter(tantivy.Filter.remove_long(_MAX_TOKEN_BYTES)).build()


def _join(tokens: Sequence[str]) -> str:
    joined = _SEPARATOR.join(tokens)
    # One separator per gap: no token held one (the usual case, checked in one C call).
    if joined.count(_SEPARATOR) == len(tokens) - 1 or not tokens:
        return joined
    return _SEPARATOR.join(t.replace(_SEPARATOR, "") for t in tokens)


class TantivyIndex:
    """BM25 keyword index backed by tantivy.

    Example:
        >>> from langchain_core.documents import Document
        >>> index = TantivyIndex()
        >>> index.add([Document("error E1234 in parser"), Document("all good")], ["a", "b"])
        >>> [hit.id for hit in index.search("E1234", k=5)]
        ['a']
    """

    engine_name: Final = "tantivy"

    def __init__(self, analyzer: Analyzer | None = None, *, _directory: Path | None = None) -> None:
        """Create an empty index (or open a working directory written by `load`).

        Args:
            analyzer: how text becomes tokens; Weaviate-compatible by default.
        """
        self.analyzer = analyzer or Analyzer()
        if _directory is None:
            _directory = Path(tempfile.mkdtemp(prefix="langchain-hybrid-tantivy-"))
        self._directory = _directory
        # The working directory is private to this object: remove it when it is collected.
        self._finalizer = weakref.finalize(self, shutil.rmtree, str(_directory), True)
        self._schema = _schema()
        self._index = tantivy.Index(self._schema, path=str(_directory))
        # Registered anew on every open (tantivy stores only the name); both ways index
        # the same terms, so an index written either way can be opened and added to.
        self._field_text, field_analyzer = _field_analysis(self.analyzer)
        self._index.register_tokenizer(_TOKENIZER, field_analyzer)
        self._writer = self._index.writer(heap_size=_HEAP_BYTES, num_threads=1)
        self._lock = threading.RLock()
        self._key_of: dict[str, int] = {}
        # key -> id (None once replaced or deleted): a list, because a query maps each hit
        # back through it and list indexing from C is the cheapest map there is.
        self._ids: list[str | None] = []

    # ------------------------------------------------------------------------ writing

    def add(self, documents: Sequence[Document], ids: Sequence[str]) -> None:
        """Insert or replace documents; visible to searches when this returns."""
        if len(documents) != len(ids):
            msg = f"got {len(documents)} documents but {len(ids)} ids"
            raise ValueError(msg)
        with self._lock:
            # Later duplicates of an id in the same call win, as with repeated calls.
            latest = {doc_id: i for i, doc_id in enumerate(ids)}
            first_key = len(self._ids)
            replaced = [self._key_of[doc_id] for doc_id in latest if doc_id in self._key_of]
            try:
                for key in replaced:
                    self._delete_key(key)
                # One document at a time into the writer, never the whole batch's tokens and
                # payloads at once: a 1M-document add peaked at 4.9 GB that way.
                field_text, add_document = self._field_text, self._writer.add_document
                for key, (doc_id, i) in enumerate(latest.items(), start=first_key):
                    document = documents[i]
                    doc = tantivy.Document()
                    doc.add_unsigned("key", key)
                    doc.add_text("tokens", field_text(document.page_content))
                    doc.add_bytes("doc", document_to_json(document, doc_id).encode())
                    add_document(doc)
                # Known before the commit makes the keys searchable, so no search meets a
                # key it cannot map.
                self._ids.extend(latest)
                self._writer.commit()
            except BaseException:
                # Nothing of a failed call is committed: the replaced documents stay too.
                del self._ids[first_key:]
                self._writer.rollback()
                raise

            def record() -> None:
                for key in replaced:
                    self._ids[key] = None
                for key, doc_id in enumerate(latest, start=first_key):
                    self._key_of[doc_id] = key

            self._show_committed(record)

    def delete(self, ids: Sequence[str]) -> int:
        """Remove documents by id; unknown ids are ignored."""
        with self._lock:
            keys = {self._key_of[i]: i for i in ids if i in self._key_of}
            if not keys:
                return 0
            try:
                for key in keys:
                    self._delete_key(key)
                self._writer.commit()
            except BaseException:
                # Or the pending deletes would ride along with the next add's commit.
                self._writer.rollback()
                raise

            def record() -> None:
                for key, doc_id in keys.items():
                    self._ids[key] = None
                    del self._key_of[doc_id]

            self._show_committed(record)
            return len(keys)

    def _delete_key(self, key: int) -> None:
        self._writer.delete_documents_by_query(tantivy.Query.term_query(self._schema, "key", key))

    def _show_committed(self, record: Callable[[], None]) -> None:
        """Make a commit visible to searches, then `record` it in the key maps.

        A commit cannot be undone, so `record` runs even if the reload fails: the maps
        must match what is on disk, or a later add, delete or `get` of these ids would
        miss the committed documents (the next reload shows them to searches). The
        reload comes first so that a search never meets a key the maps have dropped
        while its replacement is not yet visible.
        """
        try:
            self._index.reload()
        finally:
            record()

    # ------------------------------------------------------------------------ reading

    def search(self, query: str, k: int) -> list[Hit]:
        """The `k` best documents by BM25; documents that match no query term never appear."""
        bm25_query = self._bm25_query(query)
        if bm25_query is None or k <= 0:
            return []
        searcher = self._index.searcher()
        found = searcher.search(bm25_query, limit=k, count=False).hits
        if not found:
            return []
        keys = searcher.fast_field_values("key", list(map(_second, found)))
        doc_ids = list(map(self._ids.__getitem__, keys))  # type: ignore[arg-type]
        ranked = list(zip(map(neg, map(_first, found)), doc_ids, strict=True))
        if None in doc_ids:  # replaced or deleted while we searched
            ranked = [pair for pair in ranked if pair[1] is not None]
        # Best first, equal scores by id, as (-score, id) pairs: tantivy returns hits best
        # first, so this sort only reorders runs of ties, and no step loops in Python (the
        # loop it replaces was a quarter of the keyword leg).
        ranked.sort()
        scores = map(neg, map(_first, ranked))
        return list(map(Hit._make, zip(map(_second, ranked), scores, strict=True)))

    def _bm25_query(self, query: str) -> tantivy.Query | None:
        """The tantivy query that `search` runs for `query` (`None`: no searchable term)."""
        counts = Counter(t.replace(_SEPARATOR, "") for t in self.analyzer.query_tokens(query))
        counts.pop("", None)
        clauses = []
        for term, count in counts.items():
            if len(term.encode()) > _MAX_TOKEN_BYTES:
                continue
            clause = tantivy.Query.term_query(self._schema, "tokens", term)
            # A repeated query term counts once per occurrence, as in Weaviate.
            if count > 1:
                clause = tantivy.Query.boost_query(clause, float(count))
            clauses.append((tantivy.Occur.Should, clause))
        return tantivy.Query.boolean_query(clauses) if clauses else None

    def get(self, ids: Sequence[str]) -> list[Document]:
        """Stored documents by id, in the order given; unknown ids are skipped."""
        keys = [self._key_of[i] for i in ids if i in self._key_of]
        if not keys:
            return []
        searcher = self._index.searcher()
        query = tantivy.Query.term_set_query(self._schema, "key", keys)
        found = searcher.search(query, limit=len(keys), count=False).hits
        by_id: dict[str, Document] = {}
        for _, address in found:
            document = document_from_json(searcher.doc(address)["doc"][0])
            if document.id is not None:
                by_id[document.id] = document
        return [by_id[i] for i in ids if i in by_id]

    def __len__(self) -> int:
        """Number of documents."""
        return len(self._key_of)

    def __contains__(self, doc_id: object) -> bool:
        """Whether a document with this id is indexed."""
        return doc_id in self._key_of

    def ids(self) -> list[str]:
        """The ids of every indexed document, in no particular order."""
        with self._lock:
            return list(self._key_of)

    # ------------------------------------------------------------------------ persistence

    def export_files(self, destination: Path) -> dict[str, Any]:
        """Copy a consistent snapshot of the index files into `destination`.

        Returns the engine's part of the manifest (the id map). Used by `persistence`.
        """
        with self._lock:
            self._writer.commit()
            self._index.reload()
            # Merges rewrite segment files in the background: let them finish and start a
            # fresh writer, so the files we copy form one consistent commit.
            self._writer.wait_merging_threads()
            try:
                for item in self._directory.iterdir():
                    if item.is_file() and not item.name.endswith(".lock"):
                        shutil.copy2(item, destination / item.name)
            finally:
                self._writer = self._index.writer(heap_size=_HEAP_BYTES, num_threads=1)
            return {
                "ids": [[key, doc_id] for key, doc_id in enumerate(self._ids) if doc_id is not None]
            }

    @classmethod
    def import_files(cls, source: Path, state: dict[str, Any], analyzer: Analyzer) -> TantivyIndex:
        """Open a private working copy of files written by `export_files`."""
        working = Path(tempfile.mkdtemp(prefix="langchain-hybrid-tantivy-"))
        for item in source.iterdir():
            if item.is_file():
                shutil.copy2(item, working / item.name)
        index = cls(analyzer, _directory=working)
        pairs = [(int(key), doc_id) for key, doc_id in state["ids"]]
        index._ids = [None] * (max((key for key, _ in pairs), default=-1) + 1)
        for key, doc_id in pairs:
            index._key_of[doc_id] = key
            index._ids[key] = doc_id
        return index
