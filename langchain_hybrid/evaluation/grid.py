"""The search grid of a sweep or a tuning run, validated once where it is built.

`sweep`, `tune` and the command line all take the same settings (alphas, fusions, leg
depths, the metrics, `k`); a `Grid` holds them, so each is named, defaulted and checked
in one place, and the code that runs the grid receives values that are already valid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from langchain_hybrid._types import Fusion
from langchain_hybrid.checks import positive_int
from langchain_hybrid.errors import ConfigError
from langchain_hybrid.evaluation.metrics import METRICS, validate_metrics
from langchain_hybrid.fusion import FUSION_METHODS, validate_alpha

__all__ = ["DEFAULT_ALPHAS", "DEFAULT_K", "Config", "Grid"]

DEFAULT_ALPHAS: Final[tuple[float, ...]] = tuple(i / 10 for i in range(11))
"""0.0, 0.1, ..., 1.0."""

DEFAULT_K: Final = 100
"""Documents retrieved per query: enough for Recall@100."""

Config = tuple[float, Fusion, int]
"""One grid point: (alpha, fusion, leg depth)."""


@dataclass(frozen=True)
class Grid:
    """Which configurations to score, and how to score them.

    Every field is validated and de-duplicated (order kept) when the grid is built, so a
    bad value fails before any query runs.

    Attributes:
        alphas: vector weights to try (default 0, 0.1, ..., 1).
        fusions: fusion methods to try (default all of `FUSION_METHODS`).
        fetch_ks: per-leg depths to try; `None` means the retriever's own. The depth used
            is `max(fetch_k, k)`, as the retriever does.
        metric: the metric that picks the best configuration (always among `metrics`).
        metrics: the metrics reported for each configuration.
        k: documents retrieved per query (100 for Recall@100).

    Example:
        ```python
        grid = Grid(alphas=[0.3, 0.5, 0.7], fusions=["relative_score", "dbsf"])
        result = sweep(retriever, queries, qrels, grid=grid)
        ```
    """

    alphas: Sequence[float] = DEFAULT_ALPHAS
    fusions: Sequence[Fusion] = FUSION_METHODS
    fetch_ks: Sequence[int] | None = None
    metric: str = "ndcg@10"
    metrics: Sequence[str] = METRICS
    k: int = DEFAULT_K

    def __post_init__(self) -> None:
        """Validate every field and store it normalised."""
        positive_int("k", self.k)
        try:
            alphas = tuple(dict.fromkeys(validate_alpha(a) for a in self.alphas))
        except ValueError as exc:
            raise ConfigError(str(exc)) from exc
        if not alphas:
            msg = "alphas is empty: give at least one alpha in [0, 1]"
            raise ConfigError(msg)
        fusions = tuple(dict.fromkeys(self.fusions))
        if not fusions or any(f not in FUSION_METHODS for f in fusions):
            msg = (
                f"fusions must be a non-empty list of {list(FUSION_METHODS)}, "
                f"got {list(self.fusions)}"
            )
            raise ConfigError(msg)
        fetch_ks = None
        if self.fetch_ks is not None:
            for depth in self.fetch_ks:
                positive_int("fetch_ks", depth, what="positive integers")
            if not self.fetch_ks:
                msg = "fetch_ks is empty: give at least one depth, or None for the retriever's own"
                raise ConfigError(msg)
            fetch_ks = tuple(self.fetch_ks)
        metrics = tuple(dict.fromkeys(validate_metrics([*self.metrics, self.metric])))
        # Frozen: the normalised values are set once, here, and never again.
        object.__setattr__(self, "alphas", alphas)
        object.__setattr__(self, "fusions", fusions)
        object.__setattr__(self, "fetch_ks", fetch_ks)
        object.__setattr__(self, "metrics", metrics)

    def depths(self, default_depth: int) -> list[int]:
        """The distinct leg depths, `max(fetch_k, k)` each; `default_depth` when unset."""
        chosen = self.fetch_ks if self.fetch_ks is not None else (default_depth,)
        return list(dict.fromkeys(max(depth, self.k) for depth in chosen))

    def configs(self, default_depth: int) -> list[Config]:
        """Every grid point, ordered by depth, then fusion, then alpha."""
        return [
            (alpha, fusion, depth)
            for depth in self.depths(default_depth)
            for fusion in self.fusions
            for alpha in self.alphas
        ]
