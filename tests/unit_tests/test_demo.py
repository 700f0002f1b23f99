"""`langchain-hybrid demo` without the model: corpus and licence, layout, options, errors.

The real model runs in `test_demo_end_to_end.py` and `test_demo_minilm.py`; here a fake
embedding stands in for queries (the corpus uses its shipped vectors), so these tests
need no socket.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding

from langchain_hybrid import cli
from langchain_hybrid.demo import DEMO_QUERIES, DemoQuery, Rankings, load_corpus, rank
from langchain_hybrid.demo import cli as demo_cli
from langchain_hybrid.demo.corpus import CORPUS_LICENSE, license_text, notice_text
from langchain_hybrid.demo.display import (
    format_legend,
    format_query,
    format_table,
    rankings_to_dict,
)
from langchain_hybrid.demo.model import INSTALL_HINT, MiniLMEmbeddings, load_minilm
from langchain_hybrid.demo.search import build_local_retriever

# FIXTURES ===================================================================


def doc(doc_id: str, text: str = "") -> Document:
    return Document(text or f"text of {doc_id}", id=doc_id)


@pytest.fixture
def rankings() -> Rankings:
    """ENOENT as the demo shows it: first for BM25 and hybrid, sixth for vectors."""
    vector = ["errno.ENOLINK", "errno.ENOEXEC", "errno.ENOTSUP", "errno.ENONET", "errno.ENOMSG"]
    return Rankings(
        query="ENOENT",
        alpha=0.5,
        k=3,
        keyword=[doc("errno.ENOENT")],
        vector=[doc(i) for i in [*vector, "errno.ENOENT"]],
        hybrid=[
            doc("errno.ENOENT", "errno.ENOENT (2): No such file or directory."),
            doc("errno.ENOLINK"),
            doc("errno.ENOEXEC"),
        ],
    )


@pytest.fixture
def fake_model(monkeypatch):
    """The query model replaced by a deterministic fake, 384 wide like the shipped vectors."""

    def load(**_: object) -> DeterministicFakeEmbedding:
        return DeterministicFakeEmbedding(size=384)

    monkeypatch.setattr(demo_cli, "load_minilm", load)


def columns(table: str) -> list[list[str]]:
    """The table's cells by column, cut at the header's column starts."""
    header, *rows = table.splitlines()
    starts = [header.index(h) for h in ("keyword (", "vector (", "hybrid (")]
    ends = [*starts[1:], None]
    return [[row[a:b].strip() for row in rows] for a, b in zip(starts, ends, strict=True)]


# TESTS: corpus and licence ==================================================


def test_corpus_loads_with_unique_ids_and_kinds():
    documents = load_corpus()
    assert 500 <= len(documents) <= 2000
    ids = [d.id for d in documents]
    assert len(set(ids)) == len(ids)
    assert all(d.page_content.strip() for d in documents)
    assert {d.metadata["kind"] for d in documents} == {
        "class",
        "errno",
        "exception",
        "function",
        "method",
        "module",
    }
    by_id = {d.id: d.page_content for d in documents}
    for query in DEMO_QUERIES:
        assert query.expected in by_id
    assert "No such file or directory" in by_id["errno.ENOENT"]


def test_corpus_ships_its_licence_and_notice_in_the_package():
    data = resources.files("langchain_hybrid.demo").joinpath("data")
    corpus = data.joinpath("corpus.jsonl").read_bytes()
    assert len(corpus) < 1_000_000
    assert "PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2" in license_text()
    assert "Python Software Foundation" in license_text()
    notice = " ".join(notice_text().split())
    assert "Python Software Foundation License Version 2" in notice
    assert "Summary of changes" in notice  # the PSF licence's clause 3
    assert hashlib.sha256(corpus).hexdigest() in notice
    assert f"`corpus.jsonl` holds {len(load_corpus())} short documents" in notice


def test_every_corpus_line_is_the_documented_json_object():
    data = resources.files("langchain_hybrid.demo").joinpath("data")
    for line in data.joinpath("corpus.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        assert set(row) == {"id", "kind", "module", "text"}
        assert not re.search(r" at 0x[0-9a-f]+", row["text"])  # no run-dependent reprs


def test_corpus_script_is_deterministic(tmp_path):
    script = Path(__file__).resolve().parents[2] / "scripts" / "make_demo_corpus.py"
    outputs = []
    for name in ("first", "second"):
        out = tmp_path / name
        subprocess.run(  # noqa: S603 - fixed arguments
            [sys.executable, str(script), "--any-python", "--skip-vectors", "--out", str(out)],
            check=True,
            capture_output=True,
            timeout=120,
        )
        outputs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert outputs[0] == outputs[1]
    assert set(outputs[0]) == {"corpus.jsonl", "LICENSE", "NOTICE.md"}
    if sys.version_info[:3] == (3, 11, 7):  # the interpreter the shipped corpus was made with
        data = resources.files("langchain_hybrid.demo").joinpath("data")
        assert outputs[0]["corpus.jsonl"] == data.joinpath("corpus.jsonl").read_bytes()


# TESTS: display =============================================================


def test_table_shows_three_columns_with_leg_ranks_and_the_expected_mark(rankings):
    table = format_table(rankings, expected="errno.ENOENT", width=120)
    header = table.splitlines()[0]
    assert header.split() == [
        "keyword",
        "(alpha=0)",
        "vector",
        "(alpha=1)",
        "hybrid",
        "(alpha=0.5)",
    ]
    keyword, vector, hybrid = columns(table)
    assert keyword == ["errno.ENOENT *", "", ""]  # BM25 found one document
    assert vector == ["errno.ENOLINK", "errno.ENOEXEC", "errno.ENOTSUP"]
    assert hybrid == ["errno.ENOENT *  k1 v6", "errno.ENOLINK  k- v1", "errno.ENOEXEC  k- v2"]
    assert [line[:4] for line in table.splitlines()[1:]] == [" 1. ", " 2. ", " 3. "]


def test_table_fits_the_width_and_shortens_long_ids(rankings):
    long_id = "collections.Counter.most_common_with_a_much_longer_name"
    narrow = Rankings(
        query="q",
        alpha=0.25,
        k=1,
        keyword=[doc(long_id)],
        vector=[doc(long_id)],
        hybrid=[doc(long_id)],
    )
    table = format_table(narrow, width=80)
    assert all(len(line) <= 80 for line in table.splitlines())
    keyword, vector, hybrid = columns(table)
    assert keyword[0].endswith("...")
    assert vector == keyword
    assert hybrid[0].endswith("k1 v1")
    assert "hybrid (alpha=0.25)" in table
    assert "*" not in table  # nothing expected, nothing marked


def test_query_block_names_the_query_its_point_and_the_top_text(rankings):
    query = DemoQuery("ENOENT", "exact keywords matter", "errno.ENOENT")
    block = format_query(1, 3, query, rankings, width=100)
    lines = block.splitlines()
    assert lines[0] == 'Query 1/3: "ENOENT"'
    assert lines[1] == "  exact keywords matter"
    assert lines[-1] == "  hybrid #1: errno.ENOENT (2): No such file or directory."
    assert "k- v1" in block


def test_legend_explains_the_marks():
    assert "k<i> v<j>" in format_legend()
    assert "*" in format_legend()
    assert "*" not in format_legend(marks_expected=False)
    assert all(len(line) <= 60 for line in format_legend(width=60).splitlines())


def test_rankings_as_json_have_scores_and_leg_ranks(rankings):
    query = DemoQuery("ENOENT", "exact keywords matter", "errno.ENOENT")
    data = rankings_to_dict(query, rankings)
    assert json.loads(json.dumps(data)) == data
    assert [hit["id"] for hit in data["keyword"]] == ["errno.ENOENT"]
    assert len(data["vector"]) == 3  # k, though the leg was fetched deeper
    assert data["hybrid"][0] == {
        "id": "errno.ENOENT",
        "score": None,  # these documents carry no score metadata
        "keyword_rank": 1,
        "vector_rank": 6,
    }


# TESTS: search ==============================================================


def test_rank_runs_the_three_alphas_on_one_retriever():
    documents = [
        doc("sleep", "time.sleep(seconds): Delay execution for a given number of seconds."),
        doc("enoent", "errno.ENOENT (2): No such file or directory."),
        doc("cpu", "os.cpu_count(): Return the number of CPUs in the system."),
    ]
    retriever = build_local_retriever(documents, DeterministicFakeEmbedding(size=16), k=2)
    rankings = rank(retriever, "ENOENT", alpha=0.3, k=2)
    assert [d.id for d in rankings.keyword] == ["enoent"]
    assert len(rankings.vector) == 3  # the vector leg ranks every document
    assert len(rankings.hybrid) == 2
    assert {d.metadata["alpha"] for d in rankings.hybrid} == {0.3}
    assert rankings.leg_rank("keyword", "enoent") == 1
    assert rankings.leg_rank("keyword", "sleep") is None


# TESTS: model adapter =======================================================


class _FakeEncoder:
    """Encodes a text as [its length, 1], and records the batches it was given."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def encode(self, texts):
        self.batches.append(list(texts))
        return np.array([[float(len(t)), 1.0] for t in texts])


def test_adapter_batches_shortest_first_and_keeps_the_input_order():
    model = _FakeEncoder()
    calls: list[tuple[int, int]] = []
    embeddings = MiniLMEmbeddings(model, batch_size=2, progress=lambda *a: calls.append(a))
    texts = ["ccc", "a", "bbbbb", "dd", "e"]
    vectors = embeddings.embed_documents(texts)
    assert vectors == [[float(len(t)), 1.0] for t in texts]
    assert model.batches == [["a", "e"], ["dd", "ccc"], ["bbbbb"]]
    assert calls == [(2, 5), (4, 5), (5, 5)]
    assert embeddings.embed_query("four") == [4.0, 1.0]


def test_missing_demo_extra_names_the_pip_command(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tokenizers", None)
    with pytest.raises(ImportError, match=re.escape(INSTALL_HINT)):
        load_minilm()
    assert cli.main(["demo", "--query", "x"]) == 1
    err = capsys.readouterr().err
    assert 'pip install "langchain-hybrid[demo]"' in err
    assert "\nlangchain-hybrid demo: error: the demo needs the `demo` extra" in err


# TESTS: command line ========================================================


def test_help_states_the_options_and_the_corpus_licence(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["demo", "--help"])
    assert exit_info.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    for option in (
        "--query",
        "--alpha",
        "--k",
        "--weaviate",
        "--grpc-port",
        "--json",
        "--serve",
        "--port",
    ):
        assert option in out
    assert CORPUS_LICENSE in out
    assert 'pip install "langchain-hybrid[demo]"' in out


@pytest.mark.parametrize(
    "argv",
    [
        ["--alpha", "1.5"],
        ["--alpha", "x"],
        ["--k", "0"],
        ["--grpc-port", "-1"],
        ["--port", "70000"],
        ["--port", "x"],
    ],
)
def test_bad_options_are_usage_errors(capsys, argv):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["demo", *argv])
    assert exit_info.value.code == 2
    assert "expected" in capsys.readouterr().err


def test_json_output_has_the_three_rankings_per_query(capsys, fake_model):
    assert cli.main(["demo", "--json", "--k", "3", "--alpha", "0.4"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""  # --json: no progress messages
    payload = json.loads(captured.out)
    assert payload["command"] == "demo"
    assert payload["corpus"]["license"] == CORPUS_LICENSE
    assert payload["corpus"]["documents"] == len(load_corpus())
    assert [q["query"] for q in payload["queries"]] == [q.text for q in DEMO_QUERIES]
    for query in payload["queries"]:
        assert query["alpha"] == 0.4
        assert len(query["vector"]) == len(query["hybrid"]) == 3
        assert 1 <= len(query["keyword"]) <= 3
    enoent = payload["queries"][0]
    assert enoent["keyword"][0]["id"] == "errno.ENOENT"  # BM25 needs no model


def test_text_output_prints_columns_and_progress_goes_to_stderr(capsys, fake_model):
    assert cli.main(["demo", "--query", "ENOENT", "--query", "sleep", "--k", "2"]) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert out.count("keyword (alpha=0)") == out.count("hybrid (alpha=0.5)") == 2
    assert 'Query 1/2: "ENOENT"' in out
    assert 'Query 2/2: "sleep"' in out
    assert CORPUS_LICENSE in out
    assert " *" not in out  # own queries: nothing is marked as expected
    assert "loading the embedding model" in captured.err
    assert "1234 shipped corpus vectors (only queries are embedded)" in captured.err
    assert "indexing locally" in captured.err


def test_importing_the_package_and_cli_loads_no_model_or_client():
    code = (
        "import sys, langchain_hybrid, langchain_hybrid.cli, langchain_hybrid.demo; "
        "heavy = ('torch', 'sentence_transformers', 'transformers', 'weaviate', 'tokenizers', "
        "'safetensors', 'threadpoolctl', 'http.server'); "
        "print([m for m in heavy if m in sys.modules])"
    )
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "[]"
