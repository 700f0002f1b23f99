"""Load on the local backend: concurrent queries while documents are added and deleted.

Every written id is new (deleted ids are never re-added), so "a deleted document" is
unambiguous: each delete records the moment it returned, each query the moment it
started, and a query that started after a delete returned must not return that document.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding
from ledger import Ledger

from langchain_hybrid import SCORE_KEYS, HybridRetriever

ENGINES = ["tantivy", "rank_bm25", "exact"]
BASE = 60
THREADS = 8
QUERIES = 2_000
ASYNC_QUERIES = 200
QUERY_TEXTS = ["common topic", "common word 3", "topic 1 extra", "word"]
ALPHAS = [0.0, 0.5, 1.0]
BASE_IDS = [f"base{i}" for i in range(BASE)]


def make_retriever(engine: str) -> HybridRetriever:
    docs = [Document(f"common word {i % 7} topic {i % 5}") for i in range(BASE)]
    return HybridRetriever.from_documents(
        docs,
        DeterministicFakeEmbedding(size=16),
        ids=BASE_IDS,
        keyword_engine=engine,
        k=40,
        fetch_k=200,
    )


def writer_round(n: int) -> tuple[list[Document], list[str], list[str]]:
    """Documents to add in round `n`, their ids, and the ids to delete afterwards."""
    ids = [f"w{n}-{j}" for j in range(3)]
    docs = [Document(f"common word {n % 7} topic extra {j}") for j in range(3)]
    return docs, ids, ids[:2] if n % 2 else [ids[0]]


def check_final(retriever: HybridRetriever, ledger: Ledger) -> None:
    backend = retriever.backend
    keyword, store = backend.keyword, backend.vectorstore  # type: ignore[attr-defined]
    every_id = sorted(ledger.live | set(ledger.deleted_at))
    assert sorted(d.id for d in keyword.get(every_id)) == sorted(ledger.live)
    assert sorted(d.id for d in store.get_by_ids(every_id)) == sorted(ledger.live)
    assert len(keyword) == len(store) == len(ledger.live)
    assert ledger.deleted_at  # the writer did delete documents
    # A query deep enough to see every document sees exactly the live ones.
    found = retriever.invoke("common", alpha=0.0, k=10_000, fetch_k=10_000)
    assert {d.id for d in found} == ledger.live


@pytest.mark.timeout(120)
@pytest.mark.parametrize("engine", ENGINES)
def test_threads_query_while_a_writer_adds_and_deletes(engine: str) -> None:
    retriever = make_retriever(engine)
    ledger = Ledger(BASE_IDS)
    done = threading.Event()
    violations: list[tuple[str, set[str]]] = []
    counter = itertools.count()

    def writer() -> int:
        rounds = 0
        while not done.is_set() and rounds < 400:  # bounded even if the readers stall
            docs, ids, to_delete = writer_round(rounds)
            retriever.add_documents(docs, ids=ids)
            ledger.added(ids)
            retriever.delete(to_delete)
            ledger.deleted(to_delete)
            rounds += 1
        return rounds

    def reader(seed: int) -> int:
        rng = random.Random(seed)  # noqa: S311 - picks test queries, not secrets
        answered = 0
        while next(counter) < QUERIES:
            start = time.monotonic()
            found = retriever.invoke(rng.choice(QUERY_TEXTS), alpha=rng.choice(ALPHAS))
            assert len(found) <= 40
            assert all(set(SCORE_KEYS) <= set(d.metadata) for d in found)
            stale = {d.id for d in found if d.id is not None} & ledger.gone_before(start)
            if stale:
                violations.append((f"query {answered} of thread {seed}", stale))
            answered += 1
        return answered

    with ThreadPoolExecutor(THREADS + 1) as pool:
        writing = pool.submit(writer)
        readers = [pool.submit(reader, seed) for seed in range(THREADS)]
        answered = sum(r.result(timeout=100) for r in readers)  # re-raises any exception
        done.set()
        rounds = writing.result(timeout=30)

    assert answered == QUERIES
    assert rounds > 0
    assert violations == []
    check_final(retriever, ledger)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("engine", ENGINES)
async def test_concurrent_ainvoke_while_writing(engine: str) -> None:
    retriever = make_retriever(engine)
    ledger = Ledger(BASE_IDS)
    violations: list[set[str]] = []

    async def query(i: int) -> int:
        await asyncio.sleep(i * 0.002)  # spread the starts over the writer's rounds
        start = time.monotonic()
        found = await retriever.ainvoke(QUERY_TEXTS[i % 4], alpha=ALPHAS[i % 3])
        stale = {d.id for d in found if d.id is not None} & ledger.gone_before(start)
        if stale:
            violations.append(stale)
        assert all(set(SCORE_KEYS) <= set(d.metadata) for d in found)
        return len(found)

    async def write() -> int:
        for n in range(40):
            docs, ids, to_delete = writer_round(n)
            await retriever.aadd_documents(docs, ids=ids)
            ledger.added(ids)
            await retriever.adelete(to_delete)
            ledger.deleted(to_delete)
        return 40

    sizes, rounds = await asyncio.wait_for(
        asyncio.gather(asyncio.gather(*(query(i) for i in range(ASYNC_QUERIES))), write()),
        timeout=100,
    )
    assert len(sizes) == ASYNC_QUERIES
    assert all(size > 0 for size in sizes)
    assert rounds == 40
    assert violations == []
    check_final(retriever, ledger)
