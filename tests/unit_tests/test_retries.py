"""Optional bounded retries of searches that hit an unavailable server."""

from __future__ import annotations

from typing import ClassVar

import pytest
from langchain_core.documents import Document

from langchain_hybrid import HybridRetriever, ServerUnavailableError
from langchain_hybrid._types import HybridQuery


class FlakyBackend:
    """A backend whose first `failures` searches raise ServerUnavailableError."""

    option_names: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def _answer(self) -> list[Document]:
        self.calls += 1
        if self.calls <= self.failures:
            msg = "http://127.0.0.1:1 is unreachable"
            raise ServerUnavailableError(msg)
        return [Document("ok", id="a")]

    def search(self, query: HybridQuery) -> list[Document]:  # noqa: ARG002
        return self._answer()

    async def asearch(self, query: HybridQuery) -> list[Document]:  # noqa: ARG002
        return self._answer()

    def add_documents(self, documents, ids=None):
        raise NotImplementedError

    async def aadd_documents(self, documents, ids=None):
        raise NotImplementedError

    def delete(self, ids):
        raise NotImplementedError

    async def adelete(self, ids):
        raise NotImplementedError


def test_no_retries_by_default():
    backend = FlakyBackend(failures=1)
    with pytest.raises(ServerUnavailableError, match="unreachable"):
        HybridRetriever(backend=backend).invoke("q")
    assert backend.calls == 1


@pytest.mark.parametrize("failures", [1, 3])
def test_retries_until_the_server_answers(failures):
    backend = FlakyBackend(failures=failures)
    retriever = HybridRetriever(backend=backend, max_retries=3, retry_backoff=0.001)
    assert [d.id for d in retriever.invoke("q")] == ["a"]
    assert backend.calls == failures + 1


def test_gives_up_after_max_retries():
    backend = FlakyBackend(failures=5)
    retriever = HybridRetriever(backend=backend, max_retries=2, retry_backoff=0.001)
    with pytest.raises(ServerUnavailableError):
        retriever.invoke("q")
    assert backend.calls == 3


async def test_async_retries():
    backend = FlakyBackend(failures=2)
    retriever = HybridRetriever(backend=backend, max_retries=2, retry_backoff=0.001)
    assert [d.id for d in await retriever.ainvoke("q")] == ["a"]
    assert backend.calls == 3


@pytest.mark.parametrize(("field", "value"), [("max_retries", -1), ("retry_backoff", -0.5)])
def test_invalid_retry_settings(field, value):
    with pytest.raises(ValueError, match=field):
        HybridRetriever(backend=FlakyBackend(0), **{field: value})
