"""The demo's built-in queries, one per reason to search hybrid.

Each was checked against the shipped corpus and model (see `test_demo_end_to_end.py`):
the expected document ranks where its `shows` line says it does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["DEMO_QUERIES", "DemoQuery"]


@dataclass(frozen=True)
class DemoQuery:
    """A query, what it shows, and the document it is looking for.

    Attributes:
        text: the query.
        shows: what the query shows, one line.
        expected: id of the document a person would want first (`None`: no answer set).

    Example:
        ```python
        DemoQuery("ENOENT", "exact keywords matter", "errno.ENOENT")
        ```
    """

    text: str
    shows: str
    expected: str | None = None


DEMO_QUERIES: Final = (
    DemoQuery(
        "ENOENT",
        "exact keywords matter: an error code. BM25 matches it exactly; the embedding "
        "model only sees similar-looking codes (ENOLINK, ENOEXEC, ...)",
        "errno.ENOENT",
    ),
    DemoQuery(
        "number of processors",
        "meaning matters: the docs say 'CPUs', not 'processors'. BM25 only matches the "
        "generic word 'number'; the embedding model knows the synonym",
        "os.cpu_count",
    ),
    DemoQuery(
        "add an item to the left end of a deque",
        "both matter: the embedding model ranks deque.append first (the same meaning, but it "
        "adds on the right) and appendleft second; BM25 finds 'left'; the hybrid ranking "
        "keeps appendleft first and append second",
        "collections.deque.appendleft",
    ),
)
"""Keyword, meaning, both: the three queries `langchain-hybrid demo` runs by default."""
