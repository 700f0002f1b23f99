"""Per-query alpha on labelled queries: fit `AlphaModel`, and score `alpha="auto"`.

`tune_per_query` fetches both legs once per query (as `sweep` does), computes each
query's evidence exactly as the local backend does at query time
(`alpha_selection.gather_evidence` with the index's analyzer), scores every query at
every grid alpha, and then

- cross-validates the model over folds of the tuning split (ridge strength chosen on
  held-out folds, against the fixed alpha the same folds would choose);
- fits the final model on every tuning query;
- on the test split, scores the model, the fixed alpha chosen by cross-validation, the
  retriever's own alpha, and the label-free rule (`alpha="auto"`), all on the same legs.

Scores at a query's own alpha are exact (the legs are fused again at that alpha), not
read off the grid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from langchain_hybrid._types import Fusion
from langchain_hybrid.alpha_selection import (
    AlphaEvidence,
    AlphaModel,
    choose_alpha,
    features,
    gather_evidence,
)
from langchain_hybrid.backends.local import LocalBackend
from langchain_hybrid.errors import ConfigError
from langchain_hybrid.evaluation.crossval import (
    DEFAULT_FOLDS,
    DEFAULT_RIDGES,
    choose_fixed,
    choose_model,
    folds,
)
from langchain_hybrid.evaluation.grid import DEFAULT_K, Grid
from langchain_hybrid.evaluation.metrics import per_query_scores
from langchain_hybrid.evaluation.sweep import Legs, Progress, collect_legs
from langchain_hybrid.fusion import DEFAULT_LEG_DEPTH, fuse
from langchain_hybrid.retriever import HybridRetriever

__all__ = ["PerQueryResult", "QueryTable", "query_table", "tune_per_query"]


@dataclass(frozen=True)
class QueryTable:
    """One split's legs, evidence and per-alpha scores, ready to fuse at any alpha.

    Attributes:
        query_ids: the judged queries, in order.
        evidence: each query's `AlphaEvidence`.
        features: `(queries, len(FEATURES))` model inputs.
        grid: `(queries, len(alphas))` metric of each query at each grid alpha.
        alphas: the grid.
        depth: the legs' depth.
    """

    query_ids: list[str]
    evidence: list[AlphaEvidence]
    features: np.ndarray
    grid: np.ndarray
    alphas: list[float]
    depth: int
    legs: Legs = field(repr=False)
    qrels: Mapping[str, Mapping[str, int]] = field(repr=False)
    fusion: Fusion = "relative_score"
    rank_constant: int = 60
    k: int = DEFAULT_K
    metric: str = "ndcg@10"

    def rankings(
        self, positions: Sequence[int] | np.ndarray, alphas: Sequence[float] | np.ndarray
    ) -> dict[str, list[str]]:
        """The ids returned for the listed queries, each fused at its own alpha."""
        result: dict[str, list[str]] = {}
        for position, alpha in zip(positions, alphas, strict=True):
            query_id = self.query_ids[int(position)]
            value = float(alpha)
            fused = fuse(
                self.legs.keyword[query_id] if value < 1 else None,
                self.legs.vector[query_id] if value > 0 else None,
                alpha=value,
                method=self.fusion,
                rank_constant=self.rank_constant,
                limit=self.k,
            )
            result[query_id] = [hit.id for hit in fused]
        return result

    def score_at(self, positions: np.ndarray, alphas: np.ndarray) -> np.ndarray:
        """The metric of each listed query when fused at its own alpha."""
        chosen = [self.query_ids[int(p)] for p in positions]
        qrels = {query_id: self.qrels[query_id] for query_id in chosen}
        scores = per_query_scores(qrels, self.rankings(positions, alphas), self.metric)
        return np.array([scores[query_id] for query_id in chosen])

    def mean_at(self, alphas: Sequence[float]) -> float:
        """Mean metric over every query, each fused at its alpha in `alphas`."""
        positions = np.arange(len(self.query_ids))
        return float(self.score_at(positions, np.asarray(alphas, dtype=np.float64)).mean())


def query_table(
    retriever: HybridRetriever,
    queries: Mapping[str, str],
    qrels: Mapping[str, Mapping[str, int]],
    *,
    grid: Grid | None = None,
    fusion: Fusion | None = None,
    progress: Progress | None = None,
) -> QueryTable:
    """Collect one split's legs and evidence, and score every query at every grid alpha.

    Of the `grid` (default `Grid()`), its alphas, metric and `k` apply; `fusion` (default
    the retriever's) is the one method the table fuses with.

    Raises:
        ConfigError: the retriever is not on the local backend (the evidence needs its
            keyword index's analyzer), or a query has no judgments.
    """
    backend = retriever.backend
    if not isinstance(backend, LocalBackend):
        msg = "per-query alpha is fitted on the local backend (it needs the index's analyzer)"
        raise ConfigError(msg)
    judged = {qid: text for qid, text in queries.items() if qid in qrels}
    if not judged:
        msg = "no query has judgments: check that queries and qrels come from the same split"
        raise ConfigError(msg)
    grid = grid or Grid()
    grid_alphas = list(grid.alphas)
    depth = max(retriever.fetch_k or DEFAULT_LEG_DEPTH, grid.k)
    legs = collect_legs(retriever, judged, depth, progress=progress)
    analyzer = backend.keyword.analyzer
    ids = list(judged)
    evidence = [
        gather_evidence(
            judged[qid], analyzer.query_tokens(judged[qid]), legs.keyword[qid], legs.vector[qid]
        )
        for qid in ids
    ]
    table = QueryTable(
        query_ids=ids,
        evidence=evidence,
        features=np.array([features(e, depth) for e in evidence], dtype=np.float64),
        grid=np.zeros((len(ids), len(grid_alphas))),
        alphas=grid_alphas,
        depth=depth,
        legs=legs,
        qrels={qid: qrels[qid] for qid in ids},
        fusion=fusion or retriever.fusion,
        rank_constant=retriever.rank_constant,
        k=grid.k,
        metric=grid.metric,
    )
    positions = np.arange(len(ids))
    for column, alpha in enumerate(grid_alphas):
        table.grid[:, column] = table.score_at(positions, np.full(len(ids), alpha))
    return table


@dataclass(frozen=True)
class PerQueryResult:
    """A per-query alpha model chosen on one split and reported on another.

    Attributes:
        model: the fitted model (save it with `model.save(path)`).
        cross_validation: `ModelChoice.to_dict()` without the model: per fold, the model's
            and the fixed alpha's held-out scores, their means and spread, the ridge.
        fixed_alpha: the fixed alpha cross-validation chooses on the tuning split.
        tune_scores: on the tuning split, mean metric of: `default` (the retriever's
            alpha), `fixed`, `auto` (`choose_alpha`), `model` (fitted on all of it).
        test_scores: the same on the test split (nothing is chosen there).
        fusion: the fusion method the model was fitted for.
        num_tune_queries: judged tuning queries.
        num_test_queries: judged test queries.
    """

    model: AlphaModel
    cross_validation: dict[str, Any]
    fixed_alpha: float
    tune_scores: dict[str, float]
    test_scores: dict[str, float]
    fusion: Fusion
    num_tune_queries: int
    num_test_queries: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dictionary (the model as its JSON document)."""
        data = asdict(self)
        data["model"] = self.model.to_json()
        return data


def tune_per_query(
    retriever: HybridRetriever,
    tune_queries: Mapping[str, str],
    tune_qrels: Mapping[str, Mapping[str, int]],
    test_queries: Mapping[str, str],
    test_qrels: Mapping[str, Mapping[str, int]],
    *,
    grid: Grid | None = None,
    fusion: Fusion | None = None,
    cv_folds: int = DEFAULT_FOLDS,
    ridges: Sequence[float] = DEFAULT_RIDGES,
    seed: int = 0,
    notes: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
) -> PerQueryResult:
    """Fit a per-query alpha model on the tuning split; report it on the test split.

    Of the `grid` (default `Grid()`), its alphas, metric and `k` apply; the model is
    fitted for one `fusion` (default the retriever's).

    Example:
        ```python
        result = tune_per_query(retriever, train.queries, train.qrels, test.queries, test.qrels)
        result.model.save("alpha-model.json")
        HybridRetriever.from_documents(docs, embeddings, alpha_model="alpha-model.json")
        ```
    """
    grid = grid or Grid()
    tune = query_table(
        retriever, tune_queries, tune_qrels, grid=grid, fusion=fusion, progress=progress
    )
    partition = folds(len(tune.query_ids), cv_folds, seed=seed)
    reference = retriever.alpha if isinstance(retriever.alpha, float) else 0.5
    fixed = choose_fixed(
        tune.grid, partition, distance_to_default=[abs(a - reference) for a in tune.alphas]
    )
    fixed_alpha = tune.alphas[fixed.index]
    choice = choose_model(
        tune.features,
        tune.grid,
        tune.alphas,
        partition,
        tune.score_at,
        ridges=ridges,
        notes={
            **dict(notes or {}),
            "fusion": tune.fusion,
            "depth": tune.depth,
            "metric": grid.metric,
            "tuning_queries": len(tune.query_ids),
        },
    )
    test = query_table(
        retriever, test_queries, test_qrels, grid=grid, fusion=fusion, progress=progress
    )

    def scores(table: QueryTable) -> dict[str, float]:
        n = len(table.query_ids)
        return {
            "default": table.mean_at([reference] * n),
            "fixed": table.mean_at([fixed_alpha] * n),
            "auto": table.mean_at([choose_alpha(e) for e in table.evidence]),
            "model": table.mean_at(
                [choice.model.predict(e, depth=table.depth) for e in table.evidence]
            ),
        }

    validation = choice.to_dict()
    del validation["model"]
    validation["fixed"] = fixed.to_dict()
    return PerQueryResult(
        model=choice.model,
        cross_validation=validation,
        fixed_alpha=fixed_alpha,
        tune_scores=scores(tune),
        test_scores=scores(test),
        fusion=tune.fusion,
        num_tune_queries=len(tune.query_ids),
        num_test_queries=len(test.query_ids),
    )
