"""A hybrid query as Weaviate's `collection.query.hybrid` arguments, and its results as documents.

Pure: no client, no request. The backend's search is three steps, and this module is the
first and the last of them:

1. `plan_hybrid`: a `HybridQuery` and what the backend knows of the collection
   (`CollectionSpec`, the cached `CollectionInfo`, the server version, its default tenant
   and consistency level) -> a `Plan`: the keyword arguments of `hybrid()` (all but the
   query vector), the tenant and consistency level of the collection handle, or
   "matches nothing" when the filter cannot match (then no request is sent).
2. the backend sends `collection.query.hybrid(**plan.kwargs, vector=...)`, sync or async;
3. `to_documents`: the result objects -> `Document`s with the shared score metadata
   (`langchain_hybrid.results`), read from Weaviate's `explain_score`.

Example:
    >>> from langchain_hybrid._types import HybridQuery
    >>> query = HybridQuery("E1234", k=4, fetch_k=100, alpha=0.5, fusion="ranked", rank_constant=60)
    >>> plan = plan_hybrid(query, CollectionSpec(), CollectionInfo())
    >>> plan.kwargs["query"], plan.kwargs["alpha"], plan.kwargs["limit"]
    ('E1234', 0.5, 4)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from langchain_core.documents import Document
from weaviate.classes.query import MetadataQuery

from langchain_hybrid._types import FusedHit
from langchain_hybrid.backends.weaviate.explain import (
    ExplainedLeg,
    parse_explain_score,
    to_evidence,
)
from langchain_hybrid.backends.weaviate.filters import filter_keys, translate_filter
from langchain_hybrid.backends.weaviate.options import (
    FUSION_TYPES,
    check_query,
    check_server_version,
    consistency_level,
    option_kwargs,
)
from langchain_hybrid.backends.weaviate.schema import CollectionInfo, CollectionSpec
from langchain_hybrid.errors import ConfigError
from langchain_hybrid.fusion import DEFAULT_LEG_DEPTH, leg_weights
from langchain_hybrid.results import to_document

if TYPE_CHECKING:
    from weaviate.classes.config import ConsistencyLevel
    from weaviate.collections.classes.internal import Object

    from langchain_hybrid._types import HybridQuery, LegEvidence, LegName

__all__ = [
    "Plan",
    "needs_refresh",
    "object_id",
    "plan_hybrid",
    "request_level",
    "source_document",
    "to_documents",
]


@dataclass(frozen=True)
class Plan:
    """One validated hybrid call, minus the query vector.

    Attributes:
        kwargs: keyword arguments of `collection.query.hybrid` (without `vector`).
        tenant: the tenant of the collection handle (`None`: no tenant).
        limit: the number of results asked for (`k`, or a deeper `fetch_k`).
        matches_nothing: the filter can match no document: send nothing, return `[]`.
        consistency_level: the level of the collection handle (`None`: the server's).
    """

    kwargs: dict[str, Any]
    tenant: str | None
    limit: int
    matches_nothing: bool = False
    consistency_level: ConsistencyLevel | None = None


def request_level(level: object, default: str | None) -> ConsistencyLevel | None:
    """The consistency level of one request: `level` if given, else the backend's `default`.

    Example:
        >>> request_level(None, "ONE").value
        'ONE'
        >>> request_level(None, None) is None
        True
    """
    chosen = level if level is not None else default
    return None if chosen is None else consistency_level(chosen)


def plan_hybrid(
    query: HybridQuery,
    spec: CollectionSpec,
    info: CollectionInfo,
    *,
    server_version: tuple[int, int, int] | None = None,
    tenant: str | None = None,
    level: str | None = None,
) -> Plan:
    """Validate `query` for Weaviate and build its `hybrid()` arguments (without the vector).

    Args:
        query: the query, as `HybridRetriever` hands it to the backend.
        spec: the collection's schema (text and id properties).
        info: what the collection holds (property types, for the filter).
        server_version: the connected server's version, when known: options it is too
            old for are refused.
        tenant: the backend's tenant, when the query names none.
        level: the backend's consistency level, when the query names none.

    Raises:
        ConfigError: what Weaviate cannot do (see `options.check_query`), an invalid
            option, or `auto_limit` with a `fetch_k` above the server's leg depth.

    Example:
        >>> from langchain_hybrid._types import HybridQuery
        >>> from langchain_hybrid.filters import Comparison
        >>> query = HybridQuery(
        ...     "cat",
        ...     k=2,
        ...     fetch_k=100,
        ...     alpha=1.0,
        ...     fusion="relative_score",
        ...     rank_constant=60,
        ...     filter=Comparison("year", "$eq", 2024),
        ... )
        >>> plan_hybrid(query, CollectionSpec(), CollectionInfo()).matches_nothing
        True
    """
    check_query(query)
    options = dict(query.options or {})
    if server_version is not None:
        for option, value in options.items():
            if value is not None:
                check_server_version(option, server_version)
    kwargs = option_kwargs(options, spec)
    chosen_tenant = options.get("tenant") or tenant
    chosen_level = request_level(options.get("consistency_level"), level)
    # A fetch_k beyond Weaviate's default depth is reached by asking for fetch_k
    # results: each leg then fetches max(100, limit) = fetch_k.
    default_depth = max(DEFAULT_LEG_DEPTH, query.k)
    limit = query.fetch_k if query.fetch_k > default_depth else query.k
    if limit > query.k and "auto_limit" in kwargs:
        msg = (
            "auto_limit cannot be combined with a fetch_k above "
            f"{default_depth} on Weaviate (autocut would see the deeper list)"
        )
        raise ConfigError(msg)
    kwargs.update(
        query=query.text,
        alpha=query.alpha,
        fusion_type=FUSION_TYPES[query.fusion],
        limit=limit,
        return_metadata=MetadataQuery(score=True, explain_score=True),
    )
    if query.filter is not None:
        translated = translate_filter(query.filter, info)
        if translated is False:
            return Plan(
                kwargs, chosen_tenant, limit, matches_nothing=True, consistency_level=chosen_level
            )
        if translated is not True:
            kwargs["filters"] = translated
    return Plan(kwargs, chosen_tenant, limit, consistency_level=chosen_level)


def needs_refresh(query: HybridQuery, info: CollectionInfo) -> bool:
    """Whether the query's filter names keys the cached schema does not know (yet).

    Another writer may have added them since the schema was read: read it again first.

    Example:
        >>> from langchain_hybrid._types import HybridQuery
        >>> from langchain_hybrid.filters import Comparison
        >>> query = HybridQuery(
        ...     "cat",
        ...     k=2,
        ...     fetch_k=100,
        ...     alpha=0.5,
        ...     fusion="ranked",
        ...     rank_constant=60,
        ...     filter=Comparison("year", "$eq", 2024),
        ... )
        >>> needs_refresh(query, CollectionInfo(properties={"year": "int"}))
        False
    """
    return query.filter is not None and not filter_keys(query.filter) <= set(info.properties)


# ---------------------------------------------------------------------------- decoding


def object_id(obj: Object[Any, Any], spec: CollectionSpec) -> str:
    """The document id of a result object: its id property, else its UUID.

    Objects written by other tools (`langchain_weaviate`) have no id property: their ids
    are their UUIDs, the ids those tools returned.
    """
    stored = (obj.properties or {}).get(spec.id_property) if spec.id_property else None
    return stored if isinstance(stored, str) and stored else str(obj.uuid)


def source_document(obj: Object[Any, Any], spec: CollectionSpec) -> Document:
    """The object's text and metadata (without the backend's own properties and `None`s)."""
    properties = dict(obj.properties or {})
    text = properties.pop(spec.text_key, None)
    if spec.id_property:
        properties.pop(spec.id_property, None)
    metadata = {k: v for k, v in properties.items() if v is not None}
    return Document(page_content=text if isinstance(text, str) else "", metadata=metadata)


def _fused_hit(doc_id: str, obj: Object[Any, Any], query: HybridQuery) -> FusedHit:
    """The server's fused score, and each leg's evidence parsed from `explain_score`."""
    explained = parse_explain_score(
        obj.metadata.explain_score, fusion=query.fusion, object_id=str(obj.uuid)
    )
    weights = leg_weights(query.alpha)
    parsed: dict[LegName, ExplainedLeg | None] = {
        "keyword": explained.keyword if explained else None,
        "vector": explained.vector if explained else None,
    }
    legs: dict[LegName, LegEvidence | None] = {
        name: to_evidence(leg, weight=weights[name], fusion=query.fusion)
        if leg is not None
        else None
        for name, leg in parsed.items()
    }
    score = obj.metadata.score
    return FusedHit(
        id=doc_id,
        score=float(score) if score is not None else math.nan,
        keyword=legs["keyword"],
        vector=legs["vector"],
    )


def to_documents(
    objects: Sequence[Object[Any, Any]], query: HybridQuery, spec: CollectionSpec
) -> list[Document]:
    """Result objects of the server's fused query -> at most `query.k` documents, by id once.

    Each document carries the shared score metadata: the fused score, and per leg what
    `explain_score` reports (see `explain.to_evidence`).
    """
    documents: list[Document] = []
    seen: set[str] = set()
    for obj in objects:
        if len(documents) == query.k:
            break
        doc_id = object_id(obj, spec)
        if doc_id in seen:
            continue
        seen.add(doc_id)
        hit = _fused_hit(doc_id, obj, query)
        documents.append(
            to_document(source_document(obj, spec), hit, alpha=query.alpha, fusion=query.fusion)
        )
    return documents
