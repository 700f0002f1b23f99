"""Plot a sweep: the metric against alpha, one curve per fusion method.

Uses matplotlib with the non-interactive Agg backend (no display needed); it comes with
the `eval` extra.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from langchain_hybrid.evaluation.sweep import SweepResult

__all__ = ["plot_sweep"]

_FUSION_LABELS = {"relative_score": "relative score fusion", "ranked": "ranked fusion (RRF)"}


def plot_sweep(result: SweepResult, path: str | Path, *, title: str | None = None) -> Path:
    """Write a PNG of `result.metric` against alpha.

    One curve per fusion method (and per fetch depth when the sweep tried several); the
    keyword-only and vector-only baselines are horizontal lines, and the best point is
    marked.

    Args:
        result: a `sweep` result.
        path: the PNG to write (its directory is created).
        title: the plot title (default: the metric and the number of queries).

    Returns:
        The path written.

    Example:
        ```python
        plot_sweep(sweep(retriever, queries, qrels), "alpha.png", title="SciFact train")
        ```
    """
    try:
        import matplotlib as mpl  # noqa: PLC0415 - optional dependency

        mpl.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError as exc:
        msg = 'plots need matplotlib: pip install "langchain-hybrid[eval]"'
        raise ImportError(msg) from exc

    metric = result.metric
    depths = sorted({row.fetch_k for row in result.rows})
    figure, axes = plt.subplots(figsize=(7, 4.5), dpi=120)
    try:
        for fusion in dict.fromkeys(row.fusion for row in result.rows):
            for depth in depths:
                rows = sorted(
                    (r for r in result.rows if r.fusion == fusion and r.fetch_k == depth),
                    key=lambda r: r.alpha,
                )
                if not rows:
                    continue
                label = _FUSION_LABELS.get(fusion, fusion)
                if len(depths) > 1:
                    label += f", fetch_k {depth}"
                axes.plot(
                    [r.alpha for r in rows],
                    [r.scores[metric] for r in rows],
                    marker="o",
                    markersize=3,
                    label=label,
                )
        axes.axhline(
            result.keyword_only[metric], color="grey", linestyle="--", label="keyword only (BM25)"
        )
        axes.axhline(result.vector_only[metric], color="black", linestyle=":", label="vector only")
        best = result.best
        axes.plot(
            [best.alpha],
            [best.scores[metric]],
            marker="*",
            markersize=12,
            color="red",
            linestyle="none",
            label=f"best: alpha {best.alpha:g}, {best.fusion} ({best.scores[metric]:.3f})",
        )
        axes.set_xlabel("alpha (weight of the vector leg: 0 = keyword only, 1 = vector only)")
        axes.set_ylabel(metric)
        axes.set_xlim(-0.02, 1.02)
        axes.grid(visible=True, alpha=0.3)
        axes.set_title(title or f"{metric} against alpha ({result.num_queries} queries)")
        axes.legend(fontsize="small", loc="best")
        figure.tight_layout()
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(out, format="png")
    finally:
        plt.close(figure)
    return out
