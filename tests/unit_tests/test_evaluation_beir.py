"""The BEIR loader: the real SciFact slice, CRLF qrels, graded relevance, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from langchain_hybrid.errors import HybridSearchError
from langchain_hybrid.evaluation import (
    CorpusDocument,
    DatasetError,
    DatasetNotFoundError,
    available_splits,
    load_beir,
    load_corpus,
    load_qrels,
    load_queries,
    to_documents,
)

SLICE = Path(__file__).resolve().parents[1] / "data" / "scifact_slice"


# FIXTURES ===================================================================


def write_dataset(
    root: Path,
    *,
    corpus: list[object] | None = None,
    queries: list[object] | None = None,
    qrels: dict[str, str] | None = None,
) -> Path:
    """A tiny BEIR dataset; list items that are strings are written as raw lines."""
    corpus = corpus or [
        {"_id": "d1", "title": "Cats", "text": "Cats purr.", "metadata": {}},
        {"_id": "d2", "title": "", "text": "Dogs bark.", "metadata": {}},
        {"_id": "d3", "title": "Birds", "text": "Birds sing.", "metadata": {}},
    ]
    queries = queries or [
        {"_id": "q1", "text": "do cats purr", "metadata": {"d1": "the answer"}},
        {"_id": "q2", "text": "barking dogs", "metadata": {}},
        {"_id": "q3", "text": "train only", "metadata": {}},
    ]
    qrels = qrels or {
        "test": "query-id\tcorpus-id\tscore\r\nq1\td1\t2\r\nq1\td3\t1\r\nq2\td2\t1\r\n"
    }
    root.mkdir(parents=True, exist_ok=True)
    for name, records in (("corpus.jsonl", corpus), ("queries.jsonl", queries)):
        lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
        (root / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "qrels").mkdir(exist_ok=True)
    for split, text in qrels.items():
        (root / "qrels" / f"{split}.tsv").write_bytes(text.encode("utf-8"))
    return root


# TESTS ======================================================================


def test_loads_the_real_slice_with_crlf_qrels():
    raw = (SLICE / "qrels" / "test.tsv").read_bytes()
    assert b"\r\n" in raw  # the slice keeps BEIR's CRLF line endings

    corpus, queries, qrels = load_beir(SLICE, "test")

    assert len(corpus) == 1500
    assert len(queries) == 300
    assert sum(len(judged) for judged in qrels.values()) == 339
    assert set(queries) == set(qrels)
    assert qrels["1"] == {"31715818": 1}
    for query_id, judged in qrels.items():
        assert "\r" not in query_id
        assert all("\r" not in doc_id for doc_id in judged)
        assert all(isinstance(score, int) for score in judged.values())
    assert queries["1"] == "0-dimensional biomaterials show inductive properties."
    assert corpus["5836"].title.startswith("Induction of myelodysplasia")


def test_unpacks_like_beirs_loader_and_keeps_attributes():
    dataset = load_beir(SLICE, "test")
    corpus, queries, qrels = dataset
    assert corpus is dataset.corpus
    assert queries is dataset.queries
    assert qrels is dataset.qrels


def test_graded_relevance_and_split_filtering(tmp_path):
    root = write_dataset(
        tmp_path / "ds",
        qrels={
            "test": "query-id\tcorpus-id\tscore\r\nq1\td1\t2\r\nq1\td3\t1\r\nq2\td2\t0\r\n",
            "train": "q3\td2\t1\n",  # LF, no header
        },
    )

    corpus, queries, qrels = load_beir(root, "test")

    assert qrels == {"q1": {"d1": 2, "d3": 1}, "q2": {"d2": 0}}
    assert queries == {"q1": "do cats purr", "q2": "barking dogs"}  # no train query, no metadata
    assert corpus["d2"] == CorpusDocument(title="", text="Dogs bark.")
    assert load_beir(root, "train").queries == {"q3": "train only"}
    assert available_splits(root) == ["test", "train"]


def test_to_documents_uses_the_embedded_text():
    docs = to_documents({"a": CorpusDocument("T", "Body."), "b": CorpusDocument("", " x ")})
    assert [(d.id, d.page_content) for d in docs] == [("a", "T Body."), ("b", "x")]
    assert docs[0].metadata == {"title": "T"}


def test_missing_directory_and_files(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="does not exist"):
        load_beir(tmp_path / "nope", "test")
    root = write_dataset(tmp_path / "ds")
    with pytest.raises(
        DatasetNotFoundError, match=r"dev\.tsv does not exist.*splits present: test"
    ):
        load_beir(root, "dev")
    (root / "queries.jsonl").unlink()
    with pytest.raises(DatasetNotFoundError, match=r"queries\.jsonl does not exist"):
        load_beir(root, "test")
    # one hierarchy: a missing file is also a FileNotFoundError and a HybridSearchError
    assert issubclass(DatasetNotFoundError, FileNotFoundError)
    assert issubclass(DatasetNotFoundError, HybridSearchError)


def test_malformed_json_line_names_file_and_line(tmp_path):
    root = write_dataset(
        tmp_path / "ds",
        corpus=[
            {"_id": "d1", "title": "", "text": "ok"},
            '{"_id": "d2", "text": "broken"',
        ],
    )
    with pytest.raises(DatasetError, match=r"corpus\.jsonl, line 2: not valid JSON"):
        load_corpus(root / "corpus.jsonl")


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"title": "x", "text": "y"}, "line 1: missing field '_id'"),
        ({"_id": 7, "text": "y"}, "line 1: field '_id' must be a string"),
        ({"_id": "d", "title": "t"}, "line 1: missing field 'text'"),
        ('["a list"]', "line 1: expected a JSON object"),
    ],
)
def test_bad_corpus_records(tmp_path, record, message):
    root = write_dataset(tmp_path / "ds", corpus=[record])
    with pytest.raises(DatasetError, match=message):
        load_corpus(root / "corpus.jsonl")


def test_duplicate_ids(tmp_path):
    doc = {"_id": "d1", "title": "", "text": "x"}
    root = write_dataset(tmp_path / "ds", corpus=[doc, doc])
    with pytest.raises(DatasetError, match="line 2: duplicate document id 'd1'"):
        load_corpus(root / "corpus.jsonl")
    query = {"_id": "q1", "text": "x"}
    root = write_dataset(tmp_path / "ds2", queries=[query, query])
    with pytest.raises(DatasetError, match="line 2: duplicate query id 'q1'"):
        load_queries(root / "queries.jsonl")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("query-id\tcorpus-id\tscore\r\nq1\td1\r\n", r"line 2: expected 3 tab-separated fields"),
        ("q1 d1 1\n", r"line 1: expected 3 tab-separated fields"),
        (
            "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\thigh\n",
            r"line 3: score must be an integer",
        ),
        ("q1\td1\t1\nq1\td1\t2\n", r"line 2: query 'q1' judges 'd1' twice"),
        ("q1\t\t1\n", r"line 1: empty query id or corpus id"),
    ],
)
def test_bad_qrels_lines_name_the_line(tmp_path, text, message):
    path = tmp_path / "bad.tsv"
    path.write_bytes(text.encode())
    with pytest.raises(DatasetError, match=message) as info:
        load_qrels(path)
    assert "bad.tsv" in str(info.value)


def test_split_with_no_judgments(tmp_path):
    root = write_dataset(
        tmp_path / "ds", qrels={"test": "q1\td1\t1\n", "dev": "query-id\tcorpus-id\tscore\r\n\r\n"}
    )
    with pytest.raises(DatasetError, match=r"dev\.tsv: this split has no judgments"):
        load_beir(root, "dev")


def test_judgments_must_point_at_known_ids(tmp_path):
    root = write_dataset(tmp_path / "ds", qrels={"test": "q1\td1\t1\nq9\td1\t1\n"})
    with pytest.raises(DatasetError, match=r"test\.tsv, line 2: query id 'q9' is not in"):
        load_beir(root, "test")
    root = write_dataset(tmp_path / "ds2", qrels={"test": "q1\td1\t1\nq2\td404\t1\n"})
    with pytest.raises(DatasetError, match=r"test\.tsv, line 2: corpus id 'd404' is not in"):
        load_beir(root, "test")


def test_query_metadata_is_never_read(tmp_path):
    root = write_dataset(
        tmp_path / "ds",
        queries=[
            {"_id": "q1", "text": "do cats purr", "metadata": {"d1": [{"sentences": [0]}]}},
            {"_id": "q2", "text": "barking dogs", "metadata": "not even a dict"},
            {"_id": "q3", "text": "x"},
        ],
    )
    queries = load_queries(root / "queries.jsonl")
    assert queries == {"q1": "do cats purr", "q2": "barking dogs", "q3": "x"}
