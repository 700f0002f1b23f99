"""Pure formatting of the demo's output: three ranking columns side by side, or JSON.

Nothing here prints, reads a file or loads a model; `langchain_hybrid.demo.cli` prints
what these functions return.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any, Final

from langchain_hybrid.demo.queries import DemoQuery
from langchain_hybrid.demo.search import LEG_DEPTH, Rankings

__all__ = ["format_legend", "format_query", "format_table", "rankings_to_dict"]

MIN_COLUMN: Final = 24
_RANK_WIDTH: Final = 4  # "10. "
_GAP: Final = "  "


def _leg_rank(rank: int | None) -> str:
    return "-" if rank is None else str(rank)


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 3, 0)] + "..."


def format_table(rankings: Rankings, *, expected: str | None = None, width: int = 120) -> str:
    """The keyword, vector and hybrid columns, `rankings.k` rows, fitted to `width`.

    Each hybrid cell ends with `k<i> v<j>`, the document's rank in the keyword and
    vector columns (`-`: not in that leg's top `LEG_DEPTH`); `*` marks `expected`.

    Example:
        ```python
        print(format_table(rankings, expected="errno.ENOENT", width=100))
        ```
        ```
            keyword (alpha=0)      vector (alpha=1)       hybrid (alpha=0.5)
         1. errno.ENOENT *         errno.ENOLINK          errno.ENOENT *  k1 v6
        ```
    """
    column = max(MIN_COLUMN, (width - _RANK_WIDTH - 2 * len(_GAP)) // 3)
    headers = [
        "keyword (alpha=0)",
        "vector (alpha=1)",
        f"hybrid (alpha={rankings.alpha:g})",
    ]

    def name(doc_id: str | None) -> str:
        return f"{doc_id} *" if expected is not None and doc_id == expected else str(doc_id)

    lines = [" " * _RANK_WIDTH + _GAP.join(h.ljust(column) for h in headers).rstrip()]
    for row in range(rankings.k):
        cells = [
            _fit(name(ranking[row].id), column) if row < len(ranking) else ""
            for ranking in (rankings.keyword, rankings.vector)
        ]
        if row < len(rankings.hybrid):
            doc_id = rankings.hybrid[row].id
            ranks = (
                f"  k{_leg_rank(rankings.leg_rank('keyword', doc_id))}"
                f" v{_leg_rank(rankings.leg_rank('vector', doc_id))}"
            )
            cells.append(_fit(name(doc_id), column - len(ranks)) + ranks)
        else:
            cells.append("")
        if not any(cells):
            break
        prefix = f"{row + 1:>2}. "
        lines.append(prefix + _GAP.join(cell.ljust(column) for cell in cells).rstrip())
    return "\n".join(lines)


def format_query(
    number: int,
    total: int,
    query: DemoQuery,
    rankings: Rankings,
    *,
    width: int = 120,
) -> str:
    """One query's block: the query, what it shows, the columns, the top hybrid text.

    Example:
        ```python
        print(format_query(1, 3, DEMO_QUERIES[0], rankings))
        ```
    """
    wrap = max(width - 4, 40)
    lines = [f'Query {number}/{total}: "{query.text}"']
    if query.shows:
        lines += textwrap.wrap(query.shows, wrap, initial_indent="  ", subsequent_indent="  ")
    lines += ["", format_table(rankings, expected=query.expected, width=width)]
    if rankings.hybrid:
        top = rankings.hybrid[0]
        text = textwrap.wrap(
            top.page_content, wrap, initial_indent="  hybrid #1: ", subsequent_indent="    "
        )
        lines += ["", *text]
    return "\n".join(lines)


def format_legend(*, marks_expected: bool = True, width: int = 120) -> str:
    """What `k<i> v<j>` and `*` mean, for under the tables, wrapped to `width`.

    Example:
        ```python
        print(format_legend())
        ```
    """
    legend = (
        f"k<i> v<j>: the hybrid result's rank in the keyword and the vector ranking "
        f"('-': not in that leg's top {LEG_DEPTH})."
    )
    if marks_expected:
        legend += " *: the document the query is looking for."
    return textwrap.fill(legend, max(width, 40))


def _hits(documents: Sequence[Any], score_key: str) -> list[dict[str, Any]]:
    return [{"id": doc.id, "score": doc.metadata.get(score_key)} for doc in documents]


def rankings_to_dict(query: DemoQuery, rankings: Rankings) -> dict[str, Any]:
    """One query's rankings as plain JSON-ready data (`k` results per column).

    Example:
        ```python
        rankings_to_dict(DEMO_QUERIES[0], rankings)["hybrid"][0]
        # {"id": "errno.ENOENT", "score": 1.0, "keyword_rank": 1, "vector_rank": 6}
        ```
    """
    k = rankings.k
    return {
        "query": query.text,
        "shows": query.shows or None,
        "expected": query.expected,
        "alpha": rankings.alpha,
        "keyword": _hits(rankings.keyword[:k], "keyword_score"),
        "vector": _hits(rankings.vector[:k], "vector_score"),
        "hybrid": [
            {
                **hit,
                "keyword_rank": rankings.leg_rank("keyword", hit["id"]),
                "vector_rank": rankings.leg_rank("vector", hit["id"]),
            }
            for hit in _hits(rankings.hybrid, "hybrid_score")
        ],
    }
