"""Cross-validated choices: folds, the one-standard-error rule, and the per-query model.

The score tables are small and written out, so each expected choice can be worked out
by hand from the fold means.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from langchain_hybrid.alpha_selection import FEATURES
from langchain_hybrid.errors import ConfigError
from langchain_hybrid.evaluation.crossval import (
    best_alphas,
    choose_fixed,
    choose_model,
    folds,
)


def test_folds_cover_every_query_once_and_are_reproducible() -> None:
    parts = folds(23, 5, seed=3)
    assert sorted(np.concatenate(parts).tolist()) == list(range(23))
    assert [len(p) for p in parts] == [5, 5, 5, 4, 4]
    assert all((a == b).all() for a, b in zip(parts, folds(23, 5, seed=3), strict=True))


@pytest.mark.parametrize(("n", "k", "message"), [(3, 5, "cannot be cut"), (10, 1, ">= 2")])
def test_folds_refuse_impossible_cuts(n: int, k: int, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        folds(n, k)


def two_folds() -> list[np.ndarray]:
    return [np.array([0, 1]), np.array([2, 3])]


def test_one_standard_error_rule_keeps_the_default_in_a_close_race() -> None:
    # columns: the default (distance 0) and a challenger (distance 0.1)
    scores = np.array([[0.50, 0.70], [0.70, 0.60], [0.60, 0.62], [0.50, 0.40]])
    # fold means: default (0.60, 0.55), challenger (0.65, 0.51): means 0.575 vs 0.58
    choice = choose_fixed(scores, two_folds(), distance_to_default=[0.0, 0.1])
    lead = np.array([0.65 - 0.60, 0.51 - 0.55])  # challenger minus default, per fold
    se = lead.std(ddof=1) / math.sqrt(2)
    assert se >= 0.58 - 0.575  # the challenger's lead is within one standard error
    assert choice.best_index == 1
    assert choice.index == 0
    assert choice.fold_scores == pytest.approx([0.60, 0.55])
    assert choice.mean == pytest.approx(0.575)
    assert choice.spread == pytest.approx(np.std([0.60, 0.55], ddof=1))
    assert choice.standard_error == pytest.approx(se)


def test_a_consistent_winner_replaces_the_default() -> None:
    # the challenger leads by 0.1 in both folds: the standard error of its lead is 0
    scores = np.array([[0.5, 0.6], [0.5, 0.6], [0.4, 0.5], [0.4, 0.5]])
    choice = choose_fixed(scores, two_folds(), distance_to_default=[0.0, 0.1])
    assert choice.index == 1
    assert choice.fold_winners == [1, 1]


def test_best_alphas_average_the_ties() -> None:
    table = np.array([[0.2, 0.9, 0.9], [1.0, 0.0, 0.0], [0.3, 0.3, 0.3]])
    assert best_alphas(table, [0.0, 0.5, 1.0]).tolist() == [0.75, 0.0, 0.5]


def test_choose_model_fits_folds_and_reports_against_the_fixed_alpha() -> None:
    # Queries whose first feature is high are best at alpha 1, the others at alpha 0: a
    # linear model can tell them apart, a fixed alpha cannot.
    rng = np.random.default_rng(0)
    n = 40
    x = rng.normal(size=(n, len(FEATURES)))
    wants_vector = x[:, 0] > 0
    alphas = [0.0, 0.5, 1.0]
    grid = np.where(wants_vector[:, None], [[0.0, 0.5, 1.0]], [[1.0, 0.5, 0.0]])

    def score_at(positions: np.ndarray, chosen: np.ndarray) -> np.ndarray:
        return np.where(wants_vector[positions], chosen, 1.0 - chosen)

    result = choose_model(x, grid, alphas, folds(n, 4), score_at, ridges=[1.0, 100.0])
    assert len(result.fold_scores) == 4
    assert result.mean > result.fixed_mean
    assert result.wins == 4
    assert set(result.by_ridge) == {"1", "100"}
    assert result.ridge == 1.0
    assert result.model.coef[0] > 0
    assert result.to_dict()["model"]["format"] == "langchain-hybrid/alpha-model"
