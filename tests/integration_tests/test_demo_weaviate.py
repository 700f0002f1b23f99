"""`langchain-hybrid demo --weaviate URL` against the real test server.

The same corpus and model as the local demo, ingested into the `LangchainHybridDemo`
collection (replaced on every run), and the same three columns from alpha 0 / 1 / 0.5.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import urllib.parse
import urllib.request

import pytest
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding

from langchain_hybrid.backends.weaviate import WeaviateBackend
from langchain_hybrid.demo import DEMO_QUERIES, load_corpus
from langchain_hybrid.demo.server import DEMO_COLLECTION

if importlib.util.find_spec("tokenizers") is None:
    pytest.skip("needs the `demo` extra", allow_module_level=True)


def run_demo(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-m", "langchain_hybrid.cli", "demo", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=540,
        check=False,
    )


@pytest.fixture
def demo_collection(weaviate_server):
    """Delete the demo collection after the test, as the demo leaves it for the user."""
    yield DEMO_COLLECTION
    weaviate_server.ensure_running()
    with weaviate_server.connect() as client:
        client.collections.delete(DEMO_COLLECTION)


def test_demo_on_weaviate_prints_the_three_rankings(weaviate_server, demo_collection):
    env = dict(os.environ)
    if weaviate_server.api_key:
        env["WEAVIATE_API_KEY"] = weaviate_server.api_key
    with weaviate_server.connect() as client:
        # A leftover collection with other vectors: the demo must replace it, not fail on it.
        stale = WeaviateBackend(client, demo_collection, DeterministicFakeEmbedding(size=8))
        stale.add_documents([Document("stale")], ids=["stale"])
    argv = ("--weaviate", weaviate_server.url, "--grpc-port", str(weaviate_server.grpc_port))
    result = run_demo(*argv, "--json", env=env)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["backend"] == f"Weaviate at {weaviate_server.url}"
    assert [q["query"] for q in payload["queries"]] == [q.text for q in DEMO_QUERIES]
    by_query = {
        q["query"]: {leg: [hit["id"] for hit in q[leg]] for leg in ("keyword", "vector", "hybrid")}
        for q in payload["queries"]
    }
    enoent = by_query["ENOENT"]
    assert enoent["keyword"][0] == enoent["hybrid"][0] == "errno.ENOENT"
    processors = by_query["number of processors"]
    assert processors["vector"][0] == "os.cpu_count"
    assert "os.cpu_count" in processors["hybrid"]
    deque = by_query["add an item to the left end of a deque"]
    assert deque["hybrid"][0] == "collections.deque.appendleft"
    with weaviate_server.connect() as client:
        collection = client.collections.use(demo_collection)
        total = collection.aggregate.over_all(total_count=True).total_count
    assert total == len(load_corpus())


def test_the_web_page_serves_the_weaviate_rankings(weaviate_server, demo_collection):
    env = dict(os.environ)
    if weaviate_server.api_key:
        env["WEAVIATE_API_KEY"] = weaviate_server.api_key
    argv = ["--weaviate", weaviate_server.url, "--grpc-port", str(weaviate_server.grpc_port)]
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [sys.executable, "-m", "langchain_hybrid.cli", "demo", "--serve", "--port", "0", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("serving the demo on http://127.0.0.1:"), line
        base = line.split()[4]
        with urllib.request.urlopen(f"{base}api/info", timeout=60) as response:  # noqa: S310
            assert json.loads(response.read())["backend"] == f"Weaviate at {weaviate_server.url}"
        params = urllib.parse.urlencode({"q": "ENOENT", "alpha": 0.5, "k": 5})
        with urllib.request.urlopen(f"{base}api/search?{params}", timeout=60) as response:  # noqa: S310
            payload = json.loads(response.read())
    finally:
        process.send_signal(signal.SIGINT)
        try:
            _, stderr = process.communicate(timeout=60)
        finally:
            process.kill()
    assert process.returncode == 0, stderr
    assert f"sending {len(load_corpus())} documents: done" in stderr
    assert payload["keyword"][0]["id"] == payload["hybrid"][0]["id"] == "errno.ENOENT"
    assert payload["hybrid"][0]["keyword_rank"] == 1
    assert payload["hybrid"][0]["vector_rank"] is not None


def test_demo_with_an_unreachable_server_fails_with_a_clear_message():
    # Port 9 (discard): nothing there speaks Weaviate. The demo fails before loading the model.
    result = run_demo("--weaviate", "http://127.0.0.1:9", "--grpc-port", "10")
    assert result.returncode == 1
    assert "langchain-hybrid demo: error: Weaviate server at http://127.0.0.1:9" in result.stderr
    assert "is unreachable" in result.stderr
