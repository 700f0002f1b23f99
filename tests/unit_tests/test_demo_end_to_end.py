"""`langchain-hybrid demo` end to end: the real model from the installed package, offline.

The demo runs in a subprocess whose sockets may only reach loopback, with an empty
Hugging Face cache and without the offline variables set, so a download attempt fails the
test, and which fails if PyTorch was imported. The assertions are the claims the demo
prints about its three built-in queries.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest

# find_spec, not importorskip: nothing of the model is loaded in the test process.
if importlib.util.find_spec("tokenizers") is None:
    pytest.skip("needs the `demo` extra", allow_module_level=True)

# Loopback only; then the CLI, exactly as `langchain-hybrid` runs it.
_GUARDED_CLI = (
    "import sys, pytest_socket; "
    "pytest_socket.socket_allow_hosts(['127.0.0.1', '::1', 'localhost'], allow_unix_socket=True); "
    "from langchain_hybrid.cli import main; status = main(sys.argv[1:]); "
    "assert 'torch' not in sys.modules, 'PyTorch was imported'; sys.exit(status)"
)
_WIDTH = 200  # wide enough that no id is shortened


def run_guarded(tmp_path, *argv: str, code: str = _GUARDED_CLI) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"} and not k.startswith("WEAVIATE")
    }
    env |= {"COLUMNS": str(_WIDTH), "HF_HOME": str(tmp_path / "hf-home")}
    return subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", code, *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=540,
        check=False,
    )


def parse(out: str) -> dict[str, dict[str, list[str]]]:
    """Query text -> column name -> cells, from the printed tables."""
    tables: dict[str, dict[str, list[str]]] = {}
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if not line.startswith("Query "):
            continue
        query = line.split(": ", 1)[1].strip('"')
        header = next(h for h in lines[i:] if h.lstrip().startswith("keyword (alpha=0)"))
        start = lines.index(header, i)
        starts = [header.index(name) for name in ("keyword (", "vector (", "hybrid (")]
        rows = []
        for row in lines[start + 1 :]:
            if not row[:4].strip().rstrip(".").isdigit():
                break
            rows.append(row)
        tables[query] = {
            name: [row[a:b].strip() for row in rows]
            for name, a, b in zip(
                ("keyword", "vector", "hybrid"), starts, [*starts[1:], None], strict=True
            )
        }
    return tables


def ids(cells: list[str]) -> list[str]:
    return [cell.split()[0] if cell else "" for cell in cells]


@pytest.fixture(scope="module")
def demo_output(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("demo")
    result = run_guarded(tmp_path, "demo")
    assert result.returncode == 0, result.stderr
    return result


def test_the_loopback_guard_blocks_other_hosts(tmp_path):
    code = (
        "import socket, pytest_socket; "
        "pytest_socket.socket_allow_hosts(['127.0.0.1'], allow_unix_socket=True); "
        "socket.create_connection(('192.0.2.1', 443), timeout=1)"
    )
    result = run_guarded(tmp_path, code=code)
    assert result.returncode != 0
    assert "SocketConnectBlockedError" in result.stderr


def test_demo_prints_three_rankings_for_each_built_in_query(demo_output):
    tables = parse(demo_output.stdout)
    assert list(tables) == [
        "ENOENT",
        "number of processors",
        "add an item to the left end of a deque",
    ]
    for columns in tables.values():
        assert len(columns["vector"]) == len(columns["hybrid"]) == 5
    assert "Python Software Foundation License Version 2" in demo_output.stdout
    assert "loading the embedding model" in demo_output.stderr
    assert "1234 shipped corpus vectors (only queries are embedded)" in demo_output.stderr
    assert "embedding 1234 documents" not in demo_output.stderr


def test_keyword_query_exact_code_tops_keyword_and_hybrid(demo_output):
    columns = parse(demo_output.stdout)["ENOENT"]
    assert ids(columns["keyword"])[0] == "errno.ENOENT"
    assert ids(columns["hybrid"])[0] == "errno.ENOENT"
    assert columns["hybrid"][0].endswith("k1 v6")
    assert ids(columns["vector"])[0] != "errno.ENOENT"  # what the query shows


def test_meaning_query_synonym_is_found_by_vector_and_hybrid(demo_output):
    columns = parse(demo_output.stdout)["number of processors"]
    assert ids(columns["vector"])[0] == "os.cpu_count"
    assert ids(columns["hybrid"])[0] == "os.cpu_count"
    assert "os.cpu_count" not in ids(columns["keyword"])


def test_combined_query_keeps_the_keyword_win_and_the_vector_neighbour(demo_output):
    columns = parse(demo_output.stdout)["add an item to the left end of a deque"]
    expected = "collections.deque.appendleft"
    assert ids(columns["vector"])[:2] == ["collections.deque.append", expected]
    assert ids(columns["keyword"])[0] == expected
    assert ids(columns["hybrid"])[:2] == [expected, "collections.deque.append"]
    assert columns["hybrid"][0].endswith("k1 v2")
