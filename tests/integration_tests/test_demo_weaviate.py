"""`langchain-hybrid demo --weaviate URL` against the real test server.

The same corpus and model as the local demo, ingested into the `LangchainHybridDemo`
collection (replaced on every run), and the same three columns from alpha 0 / 1 / 0.5.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

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


def test_demo_with_an_unreachable_server_fails_with_a_clear_message():
    # Port 9 (discard): nothing there speaks Weaviate. The demo fails before loading the model.
    result = run_demo("--weaviate", "http://127.0.0.1:9", "--grpc-port", "10")
    assert result.returncode == 1
    assert "langchain-hybrid demo: error: Weaviate server at http://127.0.0.1:9" in result.stderr
    assert "is unreachable" in result.stderr
