"""Fusion the Weaviate server lacks: run both legs natively, then fuse in Python.

Weaviate fuses only with `relativeScoreFusion` and `rankedFusion`. For any other method
(`dbsf`, `zscore`, `l2`), and for a per-query alpha, which needs both legs' scores before
the weight is known, each leg runs on the server as its own hybrid query: `alpha=0` is
Weaviate's BM25 leg alone and `alpha=1` its vector leg alone, each with the same filter,
tenant, query properties and operator as the fused query would have, `fetch_k` deep.
Under relative-score fusion Weaviate's `explain_score` reports each leg's raw score, so
the two lists come back as `(id, raw score)` hits and `langchain_hybrid.fusion.fuse`
combines them exactly as the local backend does.

Costs: two round trips instead of one, and each leg returns `fetch_k` objects instead of
`k`. `auto_limit` (autocut) needs the server's fused list, so it is refused here.

Pure, like `plan`: `leg_kwargs` plans the legs' `hybrid()` calls, the backend sends them,
and `fuse_objects` / `fused_documents` decode what comes back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from langchain_core.documents import Document
from weaviate.classes.query import HybridFusion

from langchain_hybrid._types import FusedHit, Hit, HybridQuery, LegName
from langchain_hybrid.alpha_selection import AlphaEvidence, select_alpha
from langchain_hybrid.analysis import Analyzer
from langchain_hybrid.backends.weaviate.explain import parse_explain_score
from langchain_hybrid.backends.weaviate.plan import source_document
from langchain_hybrid.errors import ConfigError
from langchain_hybrid.fusion import DEFAULT_RANK_CONSTANT, WEAVIATE_FUSIONS, fuse, legs_for
from langchain_hybrid.results import to_document

if TYPE_CHECKING:
    from weaviate.collections.classes.internal import Object

    from langchain_hybrid.backends.weaviate.plan import Plan
    from langchain_hybrid.backends.weaviate.schema import CollectionSpec

__all__ = [
    "LEG_ALPHAS",
    "Fused",
    "fuse_objects",
    "fused_documents",
    "leg_hits",
    "leg_kwargs",
    "needs_client_fusion",
    "server_query",
]

_WEAVIATE_ANALYSIS: Final = Analyzer.weaviate()

LEG_ALPHAS: Final[dict[LegName, float]] = {"keyword": 0.0, "vector": 1.0}
"""The alpha of the hybrid query that runs one leg alone on the server."""


def needs_client_fusion(query: HybridQuery) -> bool:
    """Whether this query must be fused in Python.

    Either its fusion method is one the server lacks, or its alpha is chosen per query,
    which needs both legs' scores before the weight is known.
    """
    return query.fusion not in WEAVIATE_FUSIONS or query.alpha_selector is not None


def server_query(query: HybridQuery) -> HybridQuery:
    """The query as the server-side planner validates it: relative-score fusion, constant 60.

    Both are what the legs are asked with; the real method and constant apply in Python.
    """
    return dataclasses.replace(query, fusion="relative_score", rank_constant=DEFAULT_RANK_CONSTANT)


def leg_kwargs(plan: Plan, query: HybridQuery) -> dict[LegName, dict[str, Any]]:
    """The `hybrid()` arguments of each leg that runs (both, unless alpha is 0 or 1)."""
    if "auto_limit" in plan.kwargs:
        msg = (
            f"auto_limit cannot be combined with fusion={query.fusion!r} on Weaviate: the "
            "server does not fuse this method, so it has no fused list to cut"
        )
        raise ConfigError(msg)
    runs = legs_for(query.alpha)
    wanted: list[LegName] = [leg for leg in ("keyword", "vector") if getattr(runs, leg)]
    return {
        leg: {
            **plan.kwargs,
            "alpha": LEG_ALPHAS[leg],
            "fusion_type": HybridFusion.RELATIVE_SCORE,
            "limit": query.fetch_k,
        }
        for leg in wanted
    }


def leg_hits(
    objects: Sequence[Object[Any, Any]], leg: LegName, doc_id: Callable[[Object[Any, Any]], str]
) -> list[Hit]:
    """One leg's `(id, raw score)` hits, best first, read from `explain_score`.

    An object whose explanation does not parse (a future server format) keeps its place
    with the server's own score, so the leg's order is never lost.
    """
    hits: list[Hit] = []
    for obj in objects:
        explained = parse_explain_score(
            obj.metadata.explain_score, fusion="relative_score", object_id=str(obj.uuid)
        )
        part = getattr(explained, leg) if explained is not None else None
        raw = part.raw_score if part is not None else None
        if raw is None:
            raw = float(obj.metadata.score or 0.0)
        hits.append(Hit(doc_id(obj), float(raw)))
    return hits


@dataclass(frozen=True)
class Fused:
    """The fused hits with their objects, and the alpha (and its evidence) they used."""

    hits: list[tuple[FusedHit, Object[Any, Any]]]
    alpha: float
    evidence: AlphaEvidence | None


def fuse_objects(
    query: HybridQuery,
    legs: Mapping[LegName, Sequence[Object[Any, Any]]],
    doc_id: Callable[[Object[Any, Any]], str],
) -> Fused:
    """Fuse the legs' objects with `query.fusion`; the best `query.k`, each with its object.

    A per-query alpha reads the query's terms as Weaviate's `word` tokenization with the
    `en` stopwords sees them (`Analyzer.weaviate()`), the analysis of the server's BM25.
    """
    objects: dict[str, Object[Any, Any]] = {}
    hits: dict[LegName, list[Hit]] = {}
    for leg, found in legs.items():
        hits[leg] = leg_hits(found, leg, doc_id)
        for obj in found:
            objects.setdefault(doc_id(obj), obj)
    alpha, evidence = select_alpha(
        query, _WEAVIATE_ANALYSIS.query_tokens, hits.get("keyword"), hits.get("vector")
    )
    runs = legs_for(alpha)
    fused = fuse(
        hits.get("keyword") if runs.keyword else None,
        hits.get("vector") if runs.vector else None,
        alpha=alpha,
        method=query.fusion,
        rank_constant=query.rank_constant,
        limit=query.k,
    )
    return Fused([(hit, objects[hit.id]) for hit in fused], alpha, evidence)


def fused_documents(fused: Fused, query: HybridQuery, spec: CollectionSpec) -> list[Document]:
    """The fused hits as documents, with the alpha (and its evidence) that fused them."""
    return [
        to_document(
            source_document(obj, spec),
            hit,
            alpha=fused.alpha,
            fusion=query.fusion,
            evidence=fused.evidence,
        )
        for hit, obj in fused.hits
    ]
