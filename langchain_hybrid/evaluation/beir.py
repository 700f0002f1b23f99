"""Read a BEIR-format dataset: `corpus.jsonl`, `queries.jsonl` and `qrels/<split>.tsv`.

The layout is the one `beir.datasets.data_loader.GenericDataLoader` reads:

```
<dataset>/
  corpus.jsonl      {"_id", "title", "text", "metadata"} per line
  queries.jsonl     {"_id", "text", "metadata"} per line (all splits together)
  qrels/<split>.tsv header `query-id<TAB>corpus-id<TAB>score`, one judgment per line
```

Only the query `text` is read: query `metadata` can hold the answers (SciFact keeps its
evidence annotations there), so it is never loaded. Qrels files may have CRLF line
endings (the official BEIR files do). Every problem is reported as a `DatasetError`
naming the file and, for content errors, the line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from langchain_core.documents import Document

from langchain_hybrid.errors import HybridSearchError

__all__ = [
    "BeirDataset",
    "CorpusDocument",
    "DatasetError",
    "DatasetNotFoundError",
    "Qrels",
    "available_splits",
    "load_beir",
    "load_corpus",
    "load_qrels",
    "load_queries",
    "to_documents",
]

Qrels = dict[str, dict[str, int]]
"""Relevance judgments: query id -> document id -> graded relevance (an int)."""


class DatasetError(HybridSearchError, ValueError):
    """A dataset file is malformed or inconsistent; the message names the file and line."""


class DatasetNotFoundError(DatasetError, FileNotFoundError):
    """A dataset file or directory does not exist; the message names the path."""


@dataclass(frozen=True, slots=True)
class CorpusDocument:
    """One corpus entry.

    Attributes:
        title: the document title (may be empty).
        text: the document body.
    """

    title: str
    text: str

    @property
    def content(self) -> str:
        """`(title + " " + text).strip()`: the text BEIR models embed and BM25 indexes.

        Example:
            >>> CorpusDocument("Title", "Body.").content
            'Title Body.'
        """
        return f"{self.title} {self.text}".strip()


class BeirDataset(NamedTuple):
    """A dataset split: the corpus, the queries of the split and their judgments.

    It unpacks like BEIR's loader: `corpus, queries, qrels = load_beir(path, "test")`.

    Attributes:
        corpus: document id -> `CorpusDocument`, in file order.
        queries: query id -> query text, only the queries judged in this split.
        qrels: query id -> document id -> graded relevance.
    """

    corpus: dict[str, CorpusDocument]
    queries: dict[str, str]
    qrels: Qrels


def load_beir(data_dir: str | Path, split: str = "test") -> BeirDataset:
    """Load a BEIR dataset directory for one split.

    Args:
        data_dir: the dataset directory (the one holding `corpus.jsonl`).
        split: the qrels split to load (`qrels/<split>.tsv`), e.g. `"test"`, `"dev"`.

    Returns:
        The corpus, the queries judged in `split` (text only), and their judgments.

    Raises:
        DatasetNotFoundError: a file is missing (the message lists the splits present).
        DatasetError: a malformed line, duplicate id, unknown id, or a split with no
            judgments (the message names the file and the line).

    Example:
        ```python
        corpus, queries, qrels = load_beir("../shared/data/beir/scifact", "test")
        len(corpus), len(queries)  # (5183, 300)
        ```
    """
    root = _existing_dir(data_dir)
    qrels_path = root / "qrels" / f"{split}.tsv"
    if not qrels_path.is_file():
        splits = available_splits(root)
        msg = f"no judgments file for split {split!r}: {qrels_path} does not exist"
        msg += f" (splits present: {', '.join(splits)})" if splits else " (no qrels/*.tsv at all)"
        raise DatasetNotFoundError(msg)
    corpus = load_corpus(root / "corpus.jsonl")
    qrels = load_qrels(qrels_path)
    queries_path = root / "queries.jsonl"
    all_queries = load_queries(queries_path)
    _check_ids(qrels, qrels_path, corpus, all_queries, queries_path)
    queries = {qid: all_queries[qid] for qid in qrels}
    return BeirDataset(corpus=corpus, queries=queries, qrels=qrels)


def available_splits(data_dir: str | Path) -> list[str]:
    """The splits that have a `qrels/<split>.tsv` file, sorted.

    Example:
        ```python
        available_splits("../shared/data/beir/nfcorpus")  # ['dev', 'test', 'train']
        ```
    """
    qrels_dir = Path(data_dir) / "qrels"
    if not qrels_dir.is_dir():
        return []
    return sorted(path.stem for path in qrels_dir.glob("*.tsv"))


def load_corpus(path: str | Path) -> dict[str, CorpusDocument]:
    """Read `corpus.jsonl`: one `{"_id", "title", "text"}` object per line.

    `title` may be missing (it is then empty); `metadata` is ignored.

    Example:
        ```python
        corpus = load_corpus("tests/data/scifact_slice/corpus.jsonl")
        corpus["5836"].title  # 'Induction of myelodysplasia by myeloid-derived suppressor cells.'
        ```
    """
    corpus: dict[str, CorpusDocument] = {}
    for where, record in _json_lines(Path(path)):
        doc_id = _string_field(record, "_id", where)
        if doc_id in corpus:
            msg = f"{where}: duplicate document id {doc_id!r}"
            raise DatasetError(msg)
        title = _string_field(record, "title", where, default="")
        corpus[doc_id] = CorpusDocument(title=title, text=_string_field(record, "text", where))
    if not corpus:
        msg = f"{path}: the corpus is empty"
        raise DatasetError(msg)
    return corpus


def load_queries(path: str | Path) -> dict[str, str]:
    """Read `queries.jsonl` (every split): query id -> query `text`.

    Query `metadata` is never read: in some datasets it holds the answers.

    Example:
        ```python
        queries = load_queries("tests/data/scifact_slice/queries.jsonl")
        queries["1"]  # '0-dimensional biomaterials show inductive properties.'
        ```
    """
    queries: dict[str, str] = {}
    for where, record in _json_lines(Path(path)):
        query_id = _string_field(record, "_id", where)
        if query_id in queries:
            msg = f"{where}: duplicate query id {query_id!r}"
            raise DatasetError(msg)
        queries[query_id] = _string_field(record, "text", where)
    return queries


def load_qrels(path: str | Path) -> Qrels:
    """Read a qrels TSV: `query-id<TAB>corpus-id<TAB>score`, with or without a header.

    Line endings may be LF or CRLF. Scores are integers (graded relevance is kept).

    Raises:
        DatasetNotFoundError: the file does not exist.
        DatasetError: a line without three tab-separated fields, a score that is not an
            integer, a repeated judgment, or no judgments at all.

    Example:
        ```python
        qrels = load_qrels("tests/data/scifact_slice/qrels/test.tsv")
        qrels["1"]  # {'31715818': 1}
        ```
    """
    path = Path(path)
    qrels: Qrels = {}
    for line_no, line in _lines(path):
        fields = line.split("\t")
        if line_no == 1 and fields[:2] == ["query-id", "corpus-id"]:
            continue  # the BEIR header
        if len(fields) != 3:  # noqa: PLR2004 - the format has three columns
            msg = (
                f"{path}, line {line_no}: expected 3 tab-separated fields "
                f"(query-id, corpus-id, score), got {len(fields)}: {line[:80]!r}"
            )
            raise DatasetError(msg)
        query_id, doc_id, raw_score = (field.strip() for field in fields)
        if not query_id or not doc_id:
            msg = f"{path}, line {line_no}: empty query id or corpus id: {line[:80]!r}"
            raise DatasetError(msg)
        try:
            score = int(raw_score)
        except ValueError:
            msg = f"{path}, line {line_no}: score must be an integer, got {raw_score!r}"
            raise DatasetError(msg) from None
        judged = qrels.setdefault(query_id, {})
        if doc_id in judged:
            msg = f"{path}, line {line_no}: query {query_id!r} judges {doc_id!r} twice"
            raise DatasetError(msg)
        judged[doc_id] = score
    if not qrels:
        msg = f"{path}: this split has no judgments (the file holds no judgment line)"
        raise DatasetError(msg)
    return qrels


def to_documents(corpus: Mapping[str, CorpusDocument]) -> list[Document]:
    """Corpus entries as LangChain documents: `page_content` is `CorpusDocument.content`.

    The title is also kept in `metadata["title"]`; `Document.id` is the corpus id.

    Example:
        >>> docs = to_documents({"d1": CorpusDocument("A title", "Some text.")})
        >>> docs[0].id, docs[0].page_content
        ('d1', 'A title Some text.')
    """
    return [
        Document(id=doc_id, page_content=doc.content, metadata={"title": doc.title})
        for doc_id, doc in corpus.items()
    ]


# ---------------------------------------------------------------------------- helpers


def _existing_dir(data_dir: str | Path) -> Path:
    root = Path(data_dir)
    if not root.is_dir():
        msg = (
            f"dataset directory {root} does not exist "
            "(expected corpus.jsonl, queries.jsonl and qrels/ in it)"
        )
        raise DatasetNotFoundError(msg)
    return root


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Non-blank lines with their 1-based numbers, without the line ending (LF or CRLF)."""
    if not path.is_file():
        msg = f"{path} does not exist"
        raise DatasetNotFoundError(msg)
    with path.open(encoding="utf-8", newline="") as handle:
        for line_no, raw in enumerate(handle, start=1):
            line = raw.rstrip("\r\n")
            if line.strip():
                yield line_no, line


def _json_lines(path: Path) -> Iterator[tuple[str, Mapping[str, object]]]:
    """Each line parsed as a JSON object, with a `file, line N` location for errors."""
    for line_no, line in _lines(path):
        where = f"{path}, line {line_no}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            msg = f"{where}: not valid JSON ({exc.msg} at column {exc.colno})"
            raise DatasetError(msg) from None
        if not isinstance(record, dict):
            msg = f"{where}: expected a JSON object, got {type(record).__name__}"
            raise DatasetError(msg)
        yield where, record


def _string_field(
    record: Mapping[str, object], name: str, where: str, default: str | None = None
) -> str:
    value = record.get(name, default)
    if value is None:
        msg = f"{where}: missing field {name!r}"
        raise DatasetError(msg)
    if not isinstance(value, str):
        msg = f"{where}: field {name!r} must be a string, got {type(value).__name__}"
        raise DatasetError(msg)
    return value


def _check_ids(
    qrels: Qrels,
    qrels_path: Path,
    corpus: Mapping[str, CorpusDocument],
    queries: Mapping[str, str],
    queries_path: Path,
) -> None:
    """Every judged query must be in `queries.jsonl` and every judged document in the corpus."""
    for query_id, judged in qrels.items():
        if query_id not in queries:
            line = _line_of(qrels_path, query_id, column=0)
            msg = f"{qrels_path}, line {line}: query id {query_id!r} is not in {queries_path}"
            raise DatasetError(msg)
        for doc_id in judged:
            if doc_id not in corpus:
                line = _line_of(qrels_path, doc_id, column=1)
                msg = (
                    f"{qrels_path}, line {line}: corpus id {doc_id!r} is not in "
                    f"{qrels_path.parent.parent / 'corpus.jsonl'}"
                )
                raise DatasetError(msg)


def _line_of(path: Path, value: str, column: int) -> int:
    """The first line whose `column` holds `value` (only called to word an error)."""
    for line_no, line in _lines(path):
        fields = line.split("\t")
        if len(fields) > column and fields[column].strip() == value:
            return line_no
    return 0
