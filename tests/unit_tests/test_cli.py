"""The `langchain-hybrid` command on the SciFact slice: tables, --json, the PNG plot, errors."""

from __future__ import annotations

import argparse
import io
import json
import re
import shutil
from pathlib import Path

import pytest
from PIL import Image

from langchain_hybrid import cli
from langchain_hybrid.alpha_selection import AlphaModel

DATA = Path(__file__).resolve().parents[1] / "data"
SLICE = DATA / "scifact_slice"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# FIXTURES ===================================================================


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """The slice plus a `train` split: the judgments of its last 20 test queries."""
    root = tmp_path_factory.mktemp("beir")
    target = root / "scifact_slice"
    target.mkdir()
    for name in ("corpus.jsonl", "queries.jsonl", "embeddings"):
        (target / name).symlink_to(SLICE / name)
    shutil.copytree(SLICE / "qrels", target / "qrels")
    lines = (SLICE / "qrels" / "test.tsv").read_bytes().split(b"\r\n")
    judgments = [line for line in lines[1:] if line]
    last_queries = list(dict.fromkeys(line.split(b"\t")[0] for line in judgments))[-20:]
    train = [line for line in judgments if line.split(b"\t")[0] in last_queries]
    (target / "qrels" / "train.tsv").write_bytes(b"\r\n".join([lines[0], *train, b""]))
    return root


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = cli.main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# TESTS ======================================================================


def test_eval_json_parses(capsys, data_dir):
    status, out, err = run(
        capsys,
        *("eval", "--data", str(data_dir), "--dataset", "scifact_slice"),
        *("--split", "test", "--alpha", "0.5", "--fusion", "relative_score"),
        *("--max-queries", "20", "--json"),
    )
    assert status == 0, err
    payload = json.loads(out)
    assert payload["command"] == "eval"
    assert payload["num_queries"] == 20
    assert payload["num_documents"] == 1500
    assert payload["settings"]["alpha"] == 0.5
    assert set(payload["scores"]) == {"ndcg@10", "recall@100", "mrr@10"}
    assert all(0.0 < value <= 1.0 for value in payload["scores"].values())
    assert err == ""  # no progress bar with --json


def test_eval_table_with_stemming_and_rank_bm25(capsys, data_dir):
    status, out, _ = run(
        capsys,
        *("eval", "--data", str(data_dir), "--dataset", "scifact_slice", "--max-queries", "10"),
        *("--engine", "rank_bm25", "--stemmer", "english", "--fusion", "ranked", "--alpha", "0.3"),
        *("--metrics", "ndcg@10,recall@100"),
    )
    assert status == 0
    assert "scifact_slice, split test: 10 queries, 1500 documents" in out
    assert "engine=rank_bm25" in out
    assert "stemmer=english" in out
    lines = out.splitlines()
    assert any(line.startswith("ndcg@10") for line in lines)
    assert any(line.startswith("recall@100") for line in lines)
    assert not any(line.startswith("mrr@10") for line in lines)


def test_tune_json_and_plot(capsys, data_dir, tmp_path):
    plot = tmp_path / "plots" / "alpha.png"
    status, out, err = run(
        capsys,
        *("tune", "--data", str(data_dir), "--dataset", "scifact_slice"),
        *("--tune-split", "train", "--test-split", "test", "--max-queries", "20"),
        *("--alphas", "0,0.25,0.5,0.75,1", "--plot", str(plot), "--json"),
    )
    assert status == 0, err
    payload = json.loads(out)
    assert payload["tune_split"] == "train"
    assert payload["test_split"] == "test"
    assert "chosen on split 'train'" in payload["note"]
    assert "reported on split 'test'" in payload["note"]
    assert len(payload["tuning"]["rows"]) == 5 * 5  # five alphas, every fusion method
    assert payload["tuning"]["num_queries"] == 20
    assert payload["num_test_queries"] == 20
    assert payload["test_best"]["alpha"] == payload["cross_validation"]["chosen"]["alpha"]
    assert len(payload["cross_validation"]["fold_scores"]) == 5
    assert payload["per_query"] is None
    assert payload["plot"] == str(plot)

    assert plot.read_bytes()[:8] == PNG_SIGNATURE
    with Image.open(plot) as image:
        image.verify()
    with Image.open(plot) as image:
        assert image.format == "PNG"
        width, height = image.size
    assert width >= 400
    assert height >= 300


def test_tune_table_says_where_it_tuned(capsys, data_dir):
    status, out, _ = run(
        capsys,
        *("tune", "--data", str(data_dir), "--dataset", "scifact_slice"),
        *("--tune-split", "train", "--max-queries", "15", "--alphas", "0,0.5,1"),
        *("--fusions", "relative_score"),
    )
    assert status == 0
    assert "Sweep on train (15 queries), ndcg@10:" in out
    assert "Best mean on train: alpha" in out
    assert "Chosen by 5-fold cross-validation: alpha" in out
    assert "configuration chosen on split 'train' (15 queries)" in out
    assert "reported on split 'test' (15 queries)" in out
    assert "keyword only (alpha 0)" in out
    assert "(chosen on train)" in out


def test_tune_per_query_saves_a_json_model_the_retriever_reads(capsys, data_dir, tmp_path):
    model_path = tmp_path / "alpha-model.json"
    status, out, err = run(
        capsys,
        *("tune", "--data", str(data_dir), "--dataset", "scifact_slice"),
        *("--tune-split", "train", "--max-queries", "20", "--alphas", "0,0.5,1"),
        *("--fusions", "relative_score", "--folds", "4", "--per-query", str(model_path)),
    )
    assert status == 0, err
    assert f"Per-query alpha model (relative_score), saved to {model_path}" in out
    assert "better in" in out
    assert 'alpha="auto" (no labels)' in out
    payload = json.loads(model_path.read_text(encoding="utf-8"))
    assert payload["format"] == "langchain-hybrid/alpha-model"
    assert payload["notes"]["dataset"] == "scifact_slice"
    assert AlphaModel.load(model_path).coef == tuple(payload["coef"])


def test_tune_folds_must_be_zero_or_at_least_two(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["tune", "--dataset", "x", "--tune-split", "train", "--folds", "1"])
    assert exit_info.value.code == 2
    assert "number of folds >= 2" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["eval", "--dataset", "missing"], "missing does not exist"),
        (["eval", "--dataset", "scifact_slice", "--split", "dev"], "splits present: test, train"),
        (["eval", "--dataset", "scifact_slice", "--metrics", "bleu"], "unknown metric 'bleu'"),
        (["eval", "--dataset", "scifact_slice", "--model", "bge"], "models present"),
        (["tune", "--dataset", "scifact_slice", "--tune-split", "test"], "both 'test'"),
        (
            ["tune", "--dataset", "scifact_slice", "--tune-split", "train", "--metric", "x"],
            "unknown",
        ),
    ],
)
def test_errors_are_one_clear_line(capsys, data_dir, argv, message):
    status, out, err = run(capsys, *argv[:1], "--data", str(data_dir), *argv[1:])
    assert status == 1
    assert out == ""
    assert err.startswith(f"langchain-hybrid {argv[0]}: error: ")
    assert err.count("\n") == 1
    assert re.search(message, err)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["eval", "--dataset", "x", "--k", "0"], "expected a positive integer"),
        (["eval", "--dataset", "x", "--alpha", "1.5"], "expected a number from 0 to 1, got '1.5'"),
        (["eval", "--dataset", "x", "--alpha", "nan"], "expected a number from 0 to 1, got 'nan'"),
        (
            ["tune", "--dataset", "x", "--tune-split", "train", "--alphas", "0,2"],
            "expected comma-separated numbers from 0 to 1, e.g. 0,0.25,0.5, got '0,2'",
        ),
        (["demo", "--alpha", "-0.1"], "expected a number from 0 to 1, got '-0.1'"),
    ],
)
def test_bad_usage_exits_2_before_any_work(capsys, argv, message):
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_data_defaults_to_shared_beside_the_checkout():
    args = cli.build_parser().parse_args(["eval", "--dataset", "scifact"])
    assert args.data == Path("../shared/data/beir")


def test_one_more_subcommand_can_be_registered(monkeypatch, capsys):
    monkeypatch.setattr(cli, "SUBCOMMANDS", dict(cli.SUBCOMMANDS))

    def add_arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--port", type=int, default=8000)

    def run_demo(args: argparse.Namespace) -> int:
        print(f"demo on {args.port}")  # noqa: T201 - a subcommand writes to stdout
        return 0

    cli.register(cli.Subcommand("demo", "run the demo", add_arguments, run_demo))

    assert list(cli.SUBCOMMANDS) == ["eval", "tune", "demo"]
    assert cli.main(["demo", "--port", "9"]) == 0
    assert capsys.readouterr().out == "demo on 9\n"


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal_and_never_with_json():
    terminal = FakeTerminal()
    with cli._progress(argparse.Namespace(json=False), "eval", terminal) as progress:
        progress(5, 10)
        progress(10, 10)
    assert "eval" in terminal.getvalue()

    for stream, as_json in ((FakeTerminal(), True), (io.StringIO(), False)):
        with cli._progress(argparse.Namespace(json=as_json), "eval", stream) as progress:
            progress(1, 2)
        assert stream.getvalue() == ""
