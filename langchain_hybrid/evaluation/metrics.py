"""IR metrics through ranx: a thin adapter, no metric is written here.

[ranx](https://github.com/AmenRa/ranx) computes the metrics the way `trec_eval` does
(nDCG with linear gains, as BEIR reports it). This module only validates metric names,
turns ranked id lists into a ranx `Run`, and returns plain floats. ranx is imported
lazily (it takes seconds and compiles with Numba on first use); it comes with the `eval`
extra: `pip install "langchain-hybrid[eval]"`.
"""

from __future__ import annotations

import importlib
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import ModuleType
from typing import Final

import numpy as np

from langchain_hybrid.errors import ConfigError

__all__ = [
    "METRICS",
    "METRIC_FAMILIES",
    "compute_metrics",
    "per_query_scores",
    "to_run",
    "validate_metrics",
]

METRICS: Final[tuple[str, ...]] = ("ndcg@10", "recall@100", "mrr@10")
"""The default metrics: BEIR's headline nDCG@10, plus Recall@100 and MRR@10."""

METRIC_FAMILIES: Final[tuple[str, ...]] = ("ndcg", "recall", "mrr", "precision", "map", "hit_rate")
"""Metric names accepted, each optionally with a cutoff: `ndcg@10`, `recall@100`, `map`."""

_NAME: Final = re.compile(r"^(?P<family>[a-z_]+)(?:@(?P<cutoff>[0-9]+))?$")


def validate_metrics(metrics: str | Sequence[str]) -> list[str]:
    """Check metric names and return them as a list (a single name is accepted too).

    Raises:
        ConfigError: an unknown name; the message lists the allowed ones.

    Example:
        >>> validate_metrics("ndcg@10")
        ['ndcg@10']
        >>> validate_metrics(["recall@100", "mrr"])
        ['recall@100', 'mrr']
    """
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    if not names:
        msg = f"give at least one metric, e.g. {list(METRICS)}"
        raise ConfigError(msg)
    for name in names:
        match = _NAME.match(name) if isinstance(name, str) else None
        cutoff = match and match.group("cutoff")
        if (
            match is None
            or match.group("family") not in METRIC_FAMILIES
            or (cutoff is not None and int(cutoff) < 1)
        ):
            allowed = ", ".join(f"{family}@K" for family in METRIC_FAMILIES)
            msg = (
                f"unknown metric {name!r}; allowed: {allowed} (K a positive cutoff, or no "
                f"@K for the whole ranking), e.g. {', '.join(METRICS)}"
            )
            raise ConfigError(msg)
    return names


def to_run(rankings: Mapping[str, Sequence[str]]) -> dict[str, dict[str, float]]:
    """Ranked id lists as a ranx run: scores `n, n - 1, ..., 1` keep the exact order.

    The retriever's own scores are not used: they can tie, and ranx would break the tie
    differently from the retriever. A repeated id keeps its first (best) position.

    Example:
        >>> to_run({"q1": ["d3", "d1", "d3"]})
        {'q1': {'d3': 2.0, 'd1': 1.0}}
    """
    run: dict[str, dict[str, float]] = {}
    for query_id, ranked in rankings.items():
        unique = list(dict.fromkeys(ranked))
        run[query_id] = {doc_id: float(len(unique) - i) for i, doc_id in enumerate(unique)}
    return run


def compute_metrics(
    qrels: Mapping[str, Mapping[str, int]],
    rankings: Mapping[str, Sequence[str]],
    metrics: str | Sequence[str] = METRICS,
) -> dict[str, float]:
    """Mean of each metric over the judged queries.

    Every query in `qrels` counts: one missing from `rankings` (or with no results)
    scores 0. Queries in `rankings` but not in `qrels` are ignored.

    Args:
        qrels: query id -> document id -> graded relevance.
        rankings: query id -> document ids, best first.
        metrics: ranx metric names (see `METRIC_FAMILIES`), default `METRICS`.

    Returns:
        Metric name -> mean value, in the order given.

    Raises:
        ConfigError: an unknown metric name, or no judged query.
        ImportError: ranx is not installed.

    Example:
        ```python
        compute_metrics({"q1": {"d1": 1}}, {"q1": ["d2", "d1"]}, ["mrr@10"])
        # {'mrr@10': 0.5}
        ```
    """
    names = validate_metrics(metrics)
    if not qrels:
        msg = "qrels is empty: there is no judged query to evaluate"
        raise ConfigError(msg)
    ranx = _ranx()
    judged = {qid: {doc: int(rel) for doc, rel in docs.items()} for qid, docs in qrels.items()}
    run = to_run({qid: rankings.get(qid, ()) for qid in judged})
    empty = [qid for qid, docs in run.items() if not docs]
    for qid in empty:  # ranx cannot hold an empty ranking: leave it out, make_comparable scores 0
        del run[qid]
    if not run:
        return dict.fromkeys(names, 0.0)
    with _quiet_numba():
        result = ranx.evaluate(
            ranx.Qrels(judged),
            ranx.Run(run),
            names,
            make_comparable=True,
            save_results_in_run=False,
        )
    if not isinstance(result, dict):  # ranx returns a bare float for a single metric
        return {names[0]: float(result)}
    return {name: float(result[name]) for name in names}


def per_query_scores(
    qrels: Mapping[str, Mapping[str, int]],
    rankings: Mapping[str, Sequence[str]],
    metric: str,
) -> dict[str, float]:
    """One metric for each judged query (in `qrels` order); their mean is `compute_metrics`'s.

    A judged query missing from `rankings` (or with no results) scores 0.

    Example:
        ```python
        per_query_scores({"q1": {"d1": 1}, "q2": {"d3": 1}}, {"q1": ["d2", "d1"]}, "mrr@10")
        # {'q1': 0.5, 'q2': 0.0}
        ```
    """
    (name,) = validate_metrics(metric)
    if not qrels:
        msg = "qrels is empty: there is no judged query to evaluate"
        raise ConfigError(msg)
    ranx = _ranx()
    judged = {qid: {doc: int(rel) for doc, rel in docs.items()} for qid, docs in qrels.items()}
    run = to_run({qid: rankings.get(qid, ()) for qid in judged})
    present = {qid: docs for qid, docs in run.items() if docs}
    scores = dict.fromkeys(judged, 0.0)
    if not present:
        return scores
    kept = ranx.Qrels({qid: judged[qid] for qid in present})
    with _quiet_numba():
        values = ranx.evaluate(kept, ranx.Run(present), name, return_mean=False)
    # ranx orders queries by id, whatever order they were given in.
    for qid, value in zip(sorted(present), np.atleast_1d(values), strict=True):
        scores[qid] = float(value)
    return scores


def _ranx() -> ModuleType:
    """Import ranx, without the warnings its import raises on Python 3.11+."""
    try:
        with warnings.catch_warnings():
            # ranx 0.3's report.py has invalid escape sequences in LaTeX strings; compiled
            # without a bytecode cache, they warn at every import.
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", SyntaxWarning)
            return importlib.import_module("ranx")  # optional dependency, loaded on first use
    except ImportError as exc:
        msg = 'metrics need ranx: pip install "langchain-hybrid[eval]"'
        raise ImportError(msg) from exc


@contextmanager
def _quiet_numba() -> Iterator[None]:
    """Silence Numba's compile-time warnings (type-safety notes about ranx's kernels)."""
    numba_warning: type[Warning] = importlib.import_module("numba.core.errors").NumbaWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", numba_warning)
        yield
