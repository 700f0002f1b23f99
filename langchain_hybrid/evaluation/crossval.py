"""Choosing by cross-validation: a fixed alpha, or a per-query alpha model, from one split.

Picking the configuration with the best mean on the tuning split overfits it: the winner
of a close race is often only luckier on those queries (SciFact: alpha 0.4 wins on
`train`, then loses to 0.5 on `test`). Here the tuning queries are cut into folds; each
configuration gets one score per fold, so its mean comes with a spread, and the choice
follows the one-standard-error rule (Hastie, Tibshirani and Friedman, *The Elements of
Statistical Learning*, 7.10): among the configurations whose mean is within one standard
error of the best one's (the standard error of their per-fold difference), take the one
nearest the default. A configuration is preferred to the default only when the folds
agree that it is better.

The per-query model is cross-validated the same way: each fold's queries are predicted
by a model fitted on the other folds, for several ridge strengths, against the fixed
alpha chosen on those same other folds.

Pure numpy over per-query score tables; retrieval and fusion happen before, in `sweep`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final

import numpy as np

from langchain_hybrid.alpha_selection import FEATURES, AlphaModel
from langchain_hybrid.errors import ConfigError

__all__ = [
    "DEFAULT_FOLDS",
    "DEFAULT_RIDGES",
    "FixedChoice",
    "ModelChoice",
    "best_alphas",
    "choose_fixed",
    "choose_model",
    "folds",
]

DEFAULT_FOLDS: Final = 5
DEFAULT_RIDGES: Final[tuple[float, ...]] = (1.0, 10.0, 100.0, 1000.0)


def folds(num_queries: int, num_folds: int = DEFAULT_FOLDS, *, seed: int = 0) -> list[np.ndarray]:
    """Query positions cut into `num_folds` shuffled folds of (almost) equal size.

    Example:
        >>> [len(f) for f in folds(11, 3)]
        [4, 4, 3]
    """
    if isinstance(num_folds, bool) or not isinstance(num_folds, int) or num_folds < 2:  # noqa: PLR2004
        msg = f"folds must be an integer >= 2, got {num_folds!r}"
        raise ConfigError(msg)
    if num_queries < num_folds:
        msg = f"{num_queries} queries cannot be cut into {num_folds} folds: use fewer folds"
        raise ConfigError(msg)
    order = np.random.default_rng(seed).permutation(num_queries)
    return [np.sort(part) for part in np.array_split(order, num_folds)]


@dataclass(frozen=True)
class FixedChoice:
    """A configuration chosen by cross-validation.

    Attributes:
        index: position of the chosen configuration in the candidates.
        best_index: the configuration with the best mean over folds (may differ).
        fold_scores: per fold, the chosen configuration's mean score.
        mean: mean of `fold_scores`.
        spread: standard deviation of `fold_scores` across folds.
        standard_error: one standard error of the best configuration's lead over the chosen.
        fold_winners: per fold, the configuration the *other* folds would have picked by
            their mean (how stable the choice is).
    """

    index: int
    best_index: int
    fold_scores: list[float]
    mean: float
    spread: float
    standard_error: float
    fold_winners: list[int]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dictionary."""
        return asdict(self)


def choose_fixed(
    per_query: np.ndarray,
    partition: Sequence[np.ndarray],
    *,
    distance_to_default: Sequence[float],
) -> FixedChoice:
    """Pick a configuration (column of `per_query`) by the one-standard-error rule.

    Args:
        per_query: `(queries, configurations)` scores, e.g. nDCG@10 per query and alpha.
        partition: the folds, as query positions (`folds`).
        distance_to_default: per configuration, how far it is from the default (e.g.
            `|alpha - 0.5|`); the nearest one within one standard error wins.

    Example:
        >>> scores = np.array([[0.5, 0.6], [0.7, 0.6], [0.6, 0.62], [0.5, 0.5]])
        >>> choose_fixed(scores, folds(4, 2), distance_to_default=[0.0, 0.1]).index
        0
    """
    table = np.asarray(per_query, dtype=np.float64)
    if table.ndim != 2 or table.shape[1] != len(distance_to_default):  # noqa: PLR2004
        msg = "per_query must have one column per configuration"
        raise ConfigError(msg)
    by_fold = np.stack([table[part].mean(axis=0) for part in partition])  # (folds, configs)
    means = by_fold.mean(axis=0)
    best = int(np.argmax(means))
    lead = by_fold[:, best][:, None] - by_fold  # per fold, how much the best leads each
    se = lead.std(axis=0, ddof=1) / math.sqrt(len(partition))
    eligible = [c for c in range(table.shape[1]) if means[best] - means[c] <= se[c]]
    chosen = min(eligible, key=lambda c: (distance_to_default[c], -means[c]))
    winners = []
    for f in range(len(partition)):
        others = np.delete(by_fold, f, axis=0).mean(axis=0)
        winners.append(int(np.argmax(others)))
    scores = by_fold[:, chosen]
    return FixedChoice(
        index=chosen,
        best_index=best,
        fold_scores=[float(s) for s in scores],
        mean=float(scores.mean()),
        spread=float(scores.std(ddof=1)),
        standard_error=float(se[chosen]),
        fold_winners=winners,
    )


def best_alphas(per_query: np.ndarray, alphas: Sequence[float]) -> np.ndarray:
    """Each query's best alpha: the mean of the alphas that tie for its best score.

    Example:
        >>> best_alphas(np.array([[0.2, 0.9, 0.9], [1.0, 0.0, 0.0]]), [0.0, 0.5, 1.0]).tolist()
        [0.75, 0.0]
    """
    table = np.asarray(per_query, dtype=np.float64)
    grid = np.asarray(alphas, dtype=np.float64)
    top = table.max(axis=1, keepdims=True)
    winners = np.isclose(table, top, rtol=0.0, atol=1e-12)
    best: np.ndarray = (winners * grid).sum(axis=1) / winners.sum(axis=1)
    return best


@dataclass(frozen=True)
class ModelChoice:
    """A per-query alpha model chosen by cross-validation, and how it compares.

    Attributes:
        model: fitted on every tuning query with the chosen ridge strength.
        ridge: the chosen ridge strength.
        fold_scores: per fold, the held-out mean score of the model fitted on the others.
        mean: mean of `fold_scores`.
        spread: their standard deviation.
        fixed_fold_scores: per fold, the held-out score of the best fixed alpha of the
            other folds (the baseline the model must beat).
        fixed_mean: mean of `fixed_fold_scores`.
        by_ridge: ridge strength -> mean held-out score.
        wins: in how many folds the model beat the fixed alpha.
    """

    model: AlphaModel
    ridge: float
    fold_scores: list[float]
    mean: float
    spread: float
    fixed_fold_scores: list[float]
    fixed_mean: float
    by_ridge: dict[str, float]
    wins: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dictionary (the model as its JSON document)."""
        data = asdict(self)
        data["model"] = self.model.to_json()
        return data


def choose_model(
    features: np.ndarray,
    per_query: np.ndarray,
    alphas: Sequence[float],
    partition: Sequence[np.ndarray],
    score_at: Callable[[np.ndarray, np.ndarray], np.ndarray],
    *,
    ridges: Sequence[float] = DEFAULT_RIDGES,
    notes: Mapping[str, Any] | None = None,
) -> ModelChoice:
    """Fit `AlphaModel`s on folds, pick the ridge strength by held-out score, refit on all.

    Args:
        features: `(queries, len(FEATURES))` model inputs (`alpha_selection.features`).
        per_query: `(queries, len(alphas))` scores of each query at each grid alpha.
        alphas: the grid of `per_query`'s columns.
        partition: the folds (`folds`).
        score_at: `score_at(positions, alphas)` -> each listed query's score when fused
            at its own alpha (exact, by re-fusing; not read off the grid).
        ridges: ridge strengths to try.
        notes: provenance saved in the model file.
    """
    x = np.asarray(features, dtype=np.float64)
    table = np.asarray(per_query, dtype=np.float64)
    if x.shape != (table.shape[0], len(FEATURES)):
        msg = f"features must be (queries, {len(FEATURES)}), got {x.shape}"
        raise ConfigError(msg)
    target = best_alphas(table, alphas)
    grid = np.asarray(alphas, dtype=np.float64)
    held_out: dict[float, list[float]] = {ridge: [] for ridge in ridges}
    fixed_scores: list[float] = []
    for f, part in enumerate(partition):
        train = np.concatenate([p for g, p in enumerate(partition) if g != f])
        fixed = grid[int(np.argmax(table[train].mean(axis=0)))]
        fixed_scores.append(float(score_at(part, np.full(len(part), fixed)).mean()))
        for ridge in ridges:
            model = AlphaModel.fit(x[train], target[train], ridge=ridge)
            predicted = np.array([model.predict_features(row) for row in x[part]])
            held_out[ridge].append(float(score_at(part, predicted).mean()))
    means = {ridge: float(np.mean(scores)) for ridge, scores in held_out.items()}
    ridge = max(ridges, key=lambda r: (means[r], r))  # ties: the stronger shrinkage
    scores = held_out[ridge]
    model = AlphaModel.fit(x, target, ridge=ridge, notes=notes)
    return ModelChoice(
        model=model,
        ridge=float(ridge),
        fold_scores=scores,
        mean=float(np.mean(scores)),
        spread=float(np.std(scores, ddof=1)),
        fixed_fold_scores=fixed_scores,
        fixed_mean=float(np.mean(fixed_scores)),
        by_ridge={f"{r:g}": m for r, m in means.items()},
        wins=sum(m > b for m, b in zip(scores, fixed_scores, strict=True)),
    )
