"""Run retrievers over labelled queries: `evaluate` one, `sweep` alpha x fusion, `tune`.

Everything here returns data and prints nothing; progress is reported through an
optional `progress(done, total)` callback (the command line turns it into a bar).

How the sweep stays fast: the two legs of a hybrid query do not depend on alpha or on
the fusion method. For `HybridRetriever` on the local backend, `sweep` therefore asks
the retriever for each leg once per query and fetch depth (`alpha=0` and `alpha=1`, with
ranked fusion, which keeps each leg's order and raw scores in the result metadata), then
re-fuses those lists with `langchain_hybrid.fusion.fuse` for every grid point, exactly as
the backend would. The test suite checks that this gives the same rankings as calling
the retriever. Other backends are called once per query and grid point.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Final

import numpy as np
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from langchain_hybrid._types import Fusion, Hit, LegName
from langchain_hybrid.backends.local import LocalBackend
from langchain_hybrid.errors import ConfigError
from langchain_hybrid.evaluation.crossval import DEFAULT_FOLDS, FixedChoice, choose_fixed, folds
from langchain_hybrid.evaluation.grid import Config, Grid
from langchain_hybrid.evaluation.metrics import (
    METRICS,
    compute_metrics,
    per_query_scores,
    validate_metrics,
)
from langchain_hybrid.fusion import DEFAULT_LEG_DEPTH, fuse, legs_for, validate_alpha
from langchain_hybrid.retriever import HybridRetriever

__all__ = [
    "EvaluationResult",
    "Legs",
    "Progress",
    "SweepResult",
    "SweepRow",
    "TuneResult",
    "collect_legs",
    "evaluate",
    "fused_rankings",
    "retrieve",
    "sweep",
    "tune",
]

Progress = Callable[[int, int], object]
"""Called as `progress(done, total)` after each batch of retrieval calls."""

_BATCH: Final = 32


@dataclass(frozen=True)
class EvaluationResult:
    """Scores of one retriever on one set of labelled queries.

    Attributes:
        scores: metric name -> mean over the judged queries.
        rankings: query id -> retrieved document ids, best first.
        num_queries: how many judged queries were scored.
    """

    scores: dict[str, float]
    rankings: dict[str, list[str]]
    num_queries: int


@dataclass(frozen=True)
class SweepRow:
    """One grid point of a sweep and its scores.

    Attributes:
        alpha: weight of the vector leg.
        fusion: fusion method.
        fetch_k: depth of each leg before fusion (`max(fetch_k, k)`, as the retriever uses).
        scores: metric name -> mean value.
    """

    alpha: float
    fusion: Fusion
    fetch_k: int
    scores: dict[str, float]

    @property
    def search_kwargs(self) -> dict[str, Any]:
        """This configuration as per-call options: `retriever.invoke(q, **row.search_kwargs)`."""
        return {"alpha": self.alpha, "fusion": self.fusion, "fetch_k": self.fetch_k}


@dataclass(frozen=True)
class SweepResult:
    """The table of a sweep and its best configuration.

    Attributes:
        rows: one row per grid point, in grid order (fetch_k, then fusion, then alpha).
        metric: the metric `best` maximises.
        best: the row with the highest `metric` (the first one on ties).
        keyword_only: scores of the keyword leg alone (alpha 0).
        vector_only: scores of the vector leg alone (alpha 1).
        num_queries: how many judged queries were scored.
        k: documents retrieved per query.
        per_query: per row, the metric of each query (left out of `to_dict`).
    """

    rows: list[SweepRow]
    metric: str
    best: SweepRow
    keyword_only: dict[str, float]
    vector_only: dict[str, float]
    num_queries: int
    k: int
    per_query: list[list[float]] = field(default_factory=list, repr=False)
    """Per row, `metric` of each judged query (in query order): what cross-validation reads."""

    def best_for(self, fusion: Fusion) -> SweepRow:
        """The best row of one fusion method.

        Example:
            ```python
            result.best_for("ranked").alpha
            ```
        """
        rows = [row for row in self.rows if row.fusion == fusion]
        if not rows:
            msg = f"the sweep has no row for fusion {fusion!r}"
            raise ConfigError(msg)
        return _best(rows, self.metric)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dictionary (without the per-query table)."""
        data = asdict(self)
        del data["per_query"]
        return data


@dataclass(frozen=True)
class TuneResult:
    """A configuration chosen on one split and reported on another.

    Attributes:
        tuning: the sweep on the tuning split (the configuration is chosen here only).
        test_rows: on the test split, the configuration of each fusion method chosen
            on the tuning split (plus the overall choice, if it is not one of them).
        test_best: on the test split, the configuration chosen overall.
        test_keyword_only: the keyword leg alone on the test split.
        test_vector_only: the vector leg alone on the test split.
        num_test_queries: how many judged test queries were scored.
        tune_split: name of the tuning split, for reports.
        test_split: name of the test split, for reports.
        cross_validation: how the configuration was chosen (`tune`'s `cv_folds`): the
            chosen and the best-mean configuration, the chosen one's score per fold, their
            mean, spread (standard deviation) and standard error, and what each fold's
            complement would have picked. Empty when chosen by the best mean.
    """

    tuning: SweepResult
    test_rows: list[SweepRow]
    test_best: SweepRow
    test_keyword_only: dict[str, float]
    test_vector_only: dict[str, float]
    num_test_queries: int
    tune_split: str = "tune"
    test_split: str = "test"
    cross_validation: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dictionary."""
        data = asdict(self)
        data["tuning"] = self.tuning.to_dict()
        return data


@dataclass(frozen=True)
class Legs:
    """Each leg's ranked hits per query, at one fetch depth.

    Attributes:
        depth: how many hits each leg was asked for.
        keyword: query id -> keyword hits (raw BM25 scores), best first.
        vector: query id -> vector hits (similarities), best first.
    """

    depth: int
    keyword: dict[str, list[Hit]] = field(default_factory=dict)
    vector: dict[str, list[Hit]] = field(default_factory=dict)


# ---------------------------------------------------------------------------- evaluate


def retrieve(
    retriever: BaseRetriever,
    queries: Mapping[str, str],
    *,
    search_kwargs: Mapping[str, Any] | None = None,
    id_key: str | None = None,
    progress: Progress | None = None,
) -> dict[str, list[str]]:
    """Run a retriever over queries and return the retrieved ids, best first.

    Args:
        retriever: any LangChain retriever; it is called with `retriever.batch`.
        queries: query id -> query text.
        search_kwargs: per-call options passed to every call (e.g. `{"k": 100}`; a
            retriever that takes no per-call options ignores them, so configure its
            depth on the retriever itself).
        id_key: read document ids from `metadata[id_key]` instead of `Document.id`.
        progress: called as `progress(done, total)` after each batch.

    Raises:
        ConfigError: a returned document has no id.

    Example:
        ```python
        retrieve(retriever, {"q1": "what causes E1234?"}, search_kwargs={"k": 100})
        # {'q1': ['d7', 'd2', ...]}
        ```
    """
    kwargs = dict(search_kwargs or {})
    items = list(queries.items())
    rankings: dict[str, list[str]] = {}
    for start in range(0, len(items), _BATCH):
        chunk = items[start : start + _BATCH]
        results = retriever.batch([text for _, text in chunk], **kwargs)
        for (query_id, _), documents in zip(chunk, results, strict=True):
            rankings[query_id] = [_doc_id(doc, id_key) for doc in documents]
        if progress is not None:
            progress(len(rankings), len(items))
    return rankings


def evaluate(
    retriever: BaseRetriever,
    queries: Mapping[str, str],
    qrels: Mapping[str, Mapping[str, int]],
    *,
    metrics: str | Sequence[str] = METRICS,
    search_kwargs: Mapping[str, Any] | None = None,
    id_key: str | None = None,
    progress: Progress | None = None,
) -> EvaluationResult:
    """Score a retriever on labelled queries.

    Only queries that are judged in `qrels` are run. Make the retriever return enough
    documents for the metrics (100 for Recall@100): `HybridRetriever` takes
    `search_kwargs={"k": 100}`; others are configured when built.

    Args:
        retriever: any LangChain retriever.
        queries: query id -> text (e.g. `load_beir(...).queries`).
        qrels: query id -> document id -> graded relevance.
        metrics: metric names (default nDCG@10, Recall@100, MRR@10).
        search_kwargs: per-call options for every call.
        id_key: read document ids from this metadata key instead of `Document.id`.
        progress: called as `progress(done, total)`.

    Raises:
        ConfigError: an unknown metric, no judged query, or a document without id.

    Example:
        ```python
        corpus, queries, qrels = load_beir("../shared/data/beir/scifact", "test")
        result = evaluate(retriever, queries, qrels, search_kwargs={"k": 100})
        result.scores  # {'ndcg@10': 0.71, 'recall@100': 0.95, 'mrr@10': 0.68}
        ```
    """
    names = validate_metrics(metrics)
    judged = _judged_queries(queries, qrels)
    rankings = retrieve(
        retriever, judged, search_kwargs=search_kwargs, id_key=id_key, progress=progress
    )
    scores = compute_metrics(_restrict(qrels, judged), rankings, names)
    return EvaluationResult(scores=scores, rankings=rankings, num_queries=len(judged))


# ---------------------------------------------------------------------------- legs


def collect_legs(
    retriever: HybridRetriever,
    queries: Mapping[str, str],
    depth: int,
    *,
    legs: Sequence[LegName] = ("keyword", "vector"),
    progress: Progress | None = None,
) -> Legs:
    """Each leg's hits for every query, `depth` deep, through the retriever.

    The keyword leg is `retriever.invoke(q, alpha=0, fusion="ranked", k=depth,
    fetch_k=depth)` (the vector leg is then not run), the vector leg the same with
    `alpha=1`; the leg order and raw scores are read back from the score metadata.

    Args:
        retriever: a `HybridRetriever` (any backend that fills the score metadata).
        queries: query id -> text.
        depth: hits per leg.
        legs: which legs to collect (a leg left out stays empty in the result; combine
            results with `dataclasses.replace` to reuse one leg with several indexes).
        progress: called as `progress(done, total)`.

    Example:
        ```python
        legs = collect_legs(retriever, {"q1": "E1234"}, depth=100)
        legs.keyword["q1"][0]  # Hit(id='d7', score=12.3)
        ```
    """
    unknown = [leg for leg in legs if leg not in ("keyword", "vector")]
    if unknown or not legs:
        msg = f"legs must be a non-empty subset of ['keyword', 'vector'], got {list(legs)}"
        raise ConfigError(msg)
    items = list(queries.items())
    result = Legs(depth=depth)
    plan = [
        (alpha, leg, target)
        for alpha, leg, target in ((0.0, "keyword", result.keyword), (1.0, "vector", result.vector))
        if leg in legs
    ]
    total = len(plan) * len(items)
    done = 0
    for alpha, leg, target in plan:
        for start in range(0, len(items), _BATCH):
            chunk = items[start : start + _BATCH]
            results = retriever.batch(
                [text for _, text in chunk],
                alpha=alpha,
                fusion="ranked",
                k=depth,
                fetch_k=depth,
            )
            for (query_id, _), documents in zip(chunk, results, strict=True):
                target[query_id] = _leg_hits(documents, leg)
            done += len(chunk)
            if progress is not None:
                progress(done, total)
    return result


def fused_rankings(
    legs: Legs,
    *,
    alpha: float,
    fusion: Fusion,
    k: int,
    rank_constant: int,
) -> dict[str, list[str]]:
    """The ids `HybridRetriever` would return for each query, fused from stored legs.

    Mirrors the local backend: a leg with weight 0 is not used at all (alpha 0 or 1),
    the two lists are fused with `fuse`, and the first `k` are kept.

    Example:
        ```python
        fused_rankings(legs, alpha=0.5, fusion="relative_score", k=100, rank_constant=60)
        ```
    """
    alpha = validate_alpha(alpha)
    rankings: dict[str, list[str]] = {}
    run = legs_for(alpha)
    for query_id in dict.fromkeys([*legs.keyword, *legs.vector]):
        fused = fuse(
            _stored(legs.keyword, query_id, "keyword") if run.keyword else None,
            _stored(legs.vector, query_id, "vector") if run.vector else None,
            alpha=alpha,
            method=fusion,
            rank_constant=rank_constant,
            limit=k,
        )
        rankings[query_id] = [hit.id for hit in fused]
    return rankings


# ---------------------------------------------------------------------------- sweep


def sweep(
    retriever: HybridRetriever,
    queries: Mapping[str, str],
    qrels: Mapping[str, Mapping[str, int]],
    *,
    grid: Grid | None = None,
    reuse_legs: bool | None = None,
    progress: Progress | None = None,
) -> SweepResult:
    """Score every alpha x fusion (x fetch depth) combination on labelled queries.

    Args:
        retriever: a `HybridRetriever` (its other settings, e.g. a filter, apply).
        queries: query id -> text; only judged queries are run.
        qrels: query id -> document id -> graded relevance.
        grid: the configurations and metrics (default `Grid()`: alphas 0, 0.1, ..., 1,
            every fusion, the retriever's own depth, nDCG@10 picks the best).
        reuse_legs: fetch each leg once per query and re-fuse (default: on for the
            local backend, where it is exact); `False` calls the retriever per grid point.
        progress: called as `progress(done, total)`.

    Returns:
        The table, the best row by `grid.metric`, and the single-leg baselines.

    Raises:
        ConfigError: no judged query (an invalid grid fails when the `Grid` is built).

    Example:
        ```python
        result = sweep(retriever, queries, qrels, grid=Grid(fusions=["relative_score"]))
        result.best.alpha, result.best.scores["ndcg@10"]  # (0.4, 0.72)
        ```
    """
    grid = grid or Grid()
    plan = _Plan.of(grid, retriever)
    judged = _judged_queries(queries, qrels)
    rows, keyword_only, vector_only, tables = _score(
        retriever, judged, _restrict(qrels, judged), plan, reuse_legs=reuse_legs, progress=progress
    )
    return SweepResult(
        rows=rows,
        metric=grid.metric,
        best=_best(rows, grid.metric),
        keyword_only=keyword_only,
        vector_only=vector_only,
        num_queries=len(judged),
        k=grid.k,
        per_query=[[table[qid] for qid in judged] for table in tables],
    )


def tune(
    retriever: HybridRetriever,
    tune_queries: Mapping[str, str],
    tune_qrels: Mapping[str, Mapping[str, int]],
    test_queries: Mapping[str, str],
    test_qrels: Mapping[str, Mapping[str, int]],
    *,
    grid: Grid | None = None,
    tune_split: str = "tune",
    test_split: str = "test",
    reuse_legs: bool | None = None,
    progress: Progress | None = None,
    cv_folds: int | None = DEFAULT_FOLDS,
    seed: int = 0,
) -> TuneResult:
    """Choose the configuration on one split by cross-validation, then score it on another.

    The tuning queries are cut into `cv_folds` folds; every configuration gets one mean
    per fold, and the choice follows the one-standard-error rule
    (`langchain_hybrid.evaluation.crossval.choose_fixed`): among the configurations within
    one standard error of the best mean, the one nearest the retriever's own settings
    (its fusion and fetch depth first, then the alpha nearest its alpha) wins. So a
    configuration replaces the default only when the folds agree it is better; a close
    race on one split (SciFact `train` preferred alpha 0.4, which lost to 0.5 on `test`)
    keeps the default. `cv_folds=None` picks the best mean instead.

    The test split is never used to choose anything: it only scores the chosen
    configuration of each fusion method and the two single-leg baselines.

    Args:
        retriever: a `HybridRetriever`.
        tune_queries: queries of the tuning split (e.g. `train`, `dev`).
        tune_qrels: judgments of the tuning split.
        test_queries: queries of the reporting split.
        test_qrels: judgments of the reporting split.
        grid: see `sweep`.
        tune_split: name of the tuning split, carried into the result for reports.
        test_split: name of the test split, carried into the result for reports.
        reuse_legs: see `sweep`.
        progress: called as `progress(done, total)` during each of the two phases.
        cv_folds: number of folds (at least 2), or `None` for the best mean.
        seed: shuffles the queries into folds.

    Example:
        ```python
        train = load_beir(path, "train")
        test = load_beir(path, "test")
        result = tune(retriever, train.queries, train.qrels, test.queries, test.qrels)
        result.test_best.scores["ndcg@10"], result.cross_validation["spread"]
        ```
    """
    grid = grid or Grid()
    tuning = sweep(
        retriever, tune_queries, tune_qrels, grid=grid, reuse_legs=reuse_legs, progress=progress
    )
    if cv_folds is None:
        chosen = [tuning.best_for(fusion) for fusion in grid.fusions]
        overall = tuning.best
        validation: dict[str, Any] = {}
    else:
        chosen, overall, validation = _cross_validated_choice(
            tuning, retriever, grid, cv_folds=cv_folds, seed=seed
        )
    configs = list(dict.fromkeys((row.alpha, row.fusion, row.fetch_k) for row in chosen))
    plan = _Plan(grid=grid, configs=configs, depths=sorted({depth for *_, depth in configs}))
    judged = _judged_queries(test_queries, test_qrels)
    test_rows, keyword_only, vector_only, _ = _score(
        retriever,
        judged,
        _restrict(test_qrels, judged),
        plan,
        reuse_legs=reuse_legs,
        progress=progress,
    )
    best_key = (overall.alpha, overall.fusion, overall.fetch_k)
    test_best = next(r for r in test_rows if (r.alpha, r.fusion, r.fetch_k) == best_key)
    return TuneResult(
        tuning=tuning,
        test_rows=test_rows,
        test_best=test_best,
        test_keyword_only=keyword_only,
        test_vector_only=vector_only,
        num_test_queries=len(judged),
        tune_split=tune_split,
        test_split=test_split,
        cross_validation=validation,
    )


# ---------------------------------------------------------------------------- internals

_Scored = tuple[list[SweepRow], dict[str, float], dict[str, float], list[dict[str, float]]]
"""Rows, keyword-only and vector-only scores, and per grid point the metric of each query."""


@dataclass(frozen=True)
class _Plan:
    """A grid resolved against one retriever: its configurations and the leg depths."""

    grid: Grid
    configs: list[Config]
    depths: list[int]

    @classmethod
    def of(cls, grid: Grid, retriever: HybridRetriever) -> _Plan:
        default_depth = retriever.fetch_k or DEFAULT_LEG_DEPTH
        return cls(grid, grid.configs(default_depth), grid.depths(default_depth))


def _cross_validated_choice(
    tuning: SweepResult, retriever: HybridRetriever, grid: Grid, *, cv_folds: int, seed: int
) -> tuple[list[SweepRow], SweepRow, dict[str, Any]]:
    """The best row of each fusion and overall by the one-standard-error rule, and its report."""
    partition = folds(tuning.num_queries, cv_folds, seed=seed)
    default_depth = max(retriever.fetch_k or DEFAULT_LEG_DEPTH, grid.k)
    reference = retriever.alpha if isinstance(retriever.alpha, float) else 0.5

    def pick(rows: list[int]) -> tuple[SweepRow, FixedChoice]:
        table = np.array([tuning.per_query[i] for i in rows]).T
        distance = [
            abs(tuning.rows[i].alpha - reference)
            + 10.0 * (tuning.rows[i].fusion != retriever.fusion)
            + 10.0 * (tuning.rows[i].fetch_k != default_depth)
            for i in rows
        ]
        choice = choose_fixed(table, partition, distance_to_default=distance)
        return tuning.rows[rows[choice.index]], choice

    chosen = [
        pick([i for i, r in enumerate(tuning.rows) if r.fusion == fusion])[0]
        for fusion in grid.fusions
    ]
    overall, choice = pick(list(range(len(tuning.rows))))
    if overall not in chosen:
        chosen.append(overall)
    validation = {
        "folds": cv_folds,
        "seed": seed,
        "chosen": asdict(overall),
        "best_mean": asdict(tuning.rows[choice.best_index]),
        "fold_scores": choice.fold_scores,
        "mean": choice.mean,
        "spread": choice.spread,
        "standard_error": choice.standard_error,
        "fold_winners": [
            {"alpha": tuning.rows[w].alpha, "fusion": tuning.rows[w].fusion,
             "fetch_k": tuning.rows[w].fetch_k}
            for w in choice.fold_winners
        ],
    }  # fmt: skip
    return chosen, overall, validation


def _score(
    retriever: HybridRetriever,
    queries: Mapping[str, str],
    qrels: Mapping[str, Mapping[str, int]],
    plan: _Plan,
    *,
    reuse_legs: bool | None,
    progress: Progress | None,
) -> _Scored:
    """Rows for every configuration of the plan, plus the keyword-only and vector-only scores."""
    if reuse_legs is None:
        reuse_legs = isinstance(retriever.backend, LocalBackend)
    if reuse_legs:
        return _score_with_legs(retriever, queries, qrels, plan, progress)
    return _score_direct(retriever, queries, qrels, plan, progress)


def _score_with_legs(
    retriever: HybridRetriever,
    queries: Mapping[str, str],
    qrels: Mapping[str, Mapping[str, int]],
    plan: _Plan,
    progress: Progress | None,
) -> _Scored:
    legs_by_depth: dict[int, Legs] = {}
    for index, depth in enumerate(plan.depths):

        def report(done: int, total: int, offset: int = index * 2 * len(queries)) -> None:
            if progress is not None:
                progress(offset + done, len(plan.depths) * total)

        legs_by_depth[depth] = collect_legs(retriever, queries, depth, progress=report)

    tables: list[dict[str, float]] = []

    def scores(legs: Legs, alpha: float, fusion: Fusion, *, keep: bool) -> dict[str, float]:
        rankings = fused_rankings(
            legs, alpha=alpha, fusion=fusion, k=plan.grid.k, rank_constant=retriever.rank_constant
        )
        if keep:
            tables.append(per_query_scores(qrels, rankings, plan.grid.metric))
        return compute_metrics(qrels, rankings, list(plan.grid.metrics))

    rows = [
        SweepRow(
            alpha=alpha,
            fusion=fusion,
            fetch_k=depth,
            scores=scores(legs_by_depth[depth], alpha, fusion, keep=True),
        )
        for alpha, fusion, depth in plan.configs
    ]
    first = legs_by_depth[plan.depths[0]]
    return (
        rows,
        scores(first, 0.0, "relative_score", keep=False),
        scores(first, 1.0, "relative_score", keep=False),
        tables,
    )


def _score_direct(
    retriever: HybridRetriever,
    queries: Mapping[str, str],
    qrels: Mapping[str, Mapping[str, int]],
    plan: _Plan,
    progress: Progress | None,
) -> _Scored:
    depth = plan.depths[0]
    baselines: list[Config] = [(0.0, "relative_score", depth), (1.0, "relative_score", depth)]
    configs = [*plan.configs, *baselines]
    total = len(configs) * len(queries)
    scores: list[dict[str, float]] = []
    tables: list[dict[str, float]] = []
    for index, (alpha, fusion, fetch_k) in enumerate(configs):

        def report(done: int, _total: int, offset: int = index * len(queries)) -> None:
            if progress is not None:
                progress(offset + done, total)

        options = {"alpha": alpha, "fusion": fusion, "fetch_k": fetch_k, "k": plan.grid.k}
        rankings = retrieve(retriever, queries, search_kwargs=options, progress=report)
        scores.append(compute_metrics(qrels, rankings, list(plan.grid.metrics)))
        if index < len(plan.configs):
            tables.append(per_query_scores(qrels, rankings, plan.grid.metric))
    rows = [
        SweepRow(alpha=alpha, fusion=fusion, fetch_k=fetch_k, scores=row_scores)
        for (alpha, fusion, fetch_k), row_scores in zip(plan.configs, scores, strict=False)
    ]
    return rows, scores[-2], scores[-1], tables


def _best(rows: Sequence[SweepRow], metric: str) -> SweepRow:
    best = rows[0]
    for row in rows[1:]:
        value = row.scores[metric]
        if not math.isnan(value) and value > best.scores[metric]:
            best = row
    return best


def _stored(hits: Mapping[str, list[Hit]], query_id: str, leg: str) -> list[Hit]:
    if query_id not in hits:
        msg = f"the stored legs have no {leg} hits for query {query_id!r}: collect that leg too"
        raise ConfigError(msg)
    return hits[query_id]


def _leg_hits(documents: Sequence[Document], leg: str) -> list[Hit]:
    """A leg's hits, in its own order, from an `alpha` 0 or 1 result's score metadata."""
    ranked: list[tuple[int, Hit]] = []
    for document in documents:
        rank = document.metadata.get(f"{leg}_rank")
        score = document.metadata.get(f"{leg}_score")
        if document.id is None or rank is None or score is None:
            msg = (
                f"a {leg}-only result has no {leg}_rank/{leg}_score metadata or no id; "
                "use reuse_legs=False for this retriever"
            )
            raise ConfigError(msg)
        ranked.append((int(rank), Hit(document.id, float(score))))
    ranked.sort(key=lambda item: item[0])
    return [hit for _, hit in ranked]


def _doc_id(document: Document, id_key: str | None) -> str:
    value = document.metadata.get(id_key) if id_key is not None else document.id
    if value is None or value == "":
        where = f"metadata[{id_key!r}]" if id_key is not None else "Document.id"
        msg = (
            f"the retriever returned a document without {where} "
            f"({document.page_content[:50]!r}): evaluation matches results to judgments "
            "by id; index documents with ids or pass id_key=<metadata key>"
        )
        raise ConfigError(msg)
    return str(value)


def _judged_queries(
    queries: Mapping[str, str], qrels: Mapping[str, Mapping[str, int]]
) -> dict[str, str]:
    """The queries that have judgments, in `queries` order; every judged query needs text."""
    missing = [qid for qid in qrels if qid not in queries]
    if missing:
        msg = f"{len(missing)} judged queries have no text, e.g. {missing[:5]}"
        raise ConfigError(msg)
    judged = {qid: text for qid, text in queries.items() if qid in qrels}
    if not judged:
        msg = "no query has judgments: check that queries and qrels come from the same split"
        raise ConfigError(msg)
    return judged


def _restrict(
    qrels: Mapping[str, Mapping[str, int]], queries: Mapping[str, str]
) -> dict[str, dict[str, int]]:
    return {qid: dict(qrels[qid]) for qid in queries}
