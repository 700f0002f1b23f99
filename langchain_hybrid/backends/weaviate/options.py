"""Validation of what a Weaviate hybrid query may ask for, before anything is sent.

- `check_query`: refuses what `collection.query.hybrid` cannot do (callable filters,
  another ranked-fusion constant, a `fetch_k` below the server's leg depth).
- `option_kwargs`: validates the pass-through per-call options (`WEAVIATE_OPTIONS`) and
  returns the `hybrid()` keyword arguments they set.
- `check_server_version`: refuses an option the connected server is too old for.

Every failure is a `ConfigError` naming the option, its value and what is allowed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from weaviate.classes.config import ConsistencyLevel
from weaviate.classes.query import BM25Operator, HybridFusion
from weaviate.collections.classes.grpc import BM25OperatorOptions

from langchain_hybrid.backends.weaviate.schema import CollectionSpec
from langchain_hybrid.checks import positive_int
from langchain_hybrid.errors import BackendError, ConfigError
from langchain_hybrid.fusion import DEFAULT_LEG_DEPTH, DEFAULT_RANK_CONSTANT

if TYPE_CHECKING:
    from langchain_hybrid._types import HybridQuery

__all__ = [
    "CONSISTENCY_LEVELS",
    "FUSION_TYPES",
    "MIN_SERVER_VERSIONS",
    "WEAVIATE_OPTIONS",
    "check_query",
    "check_server_version",
    "consistency_level",
    "int_at_least",
    "option_kwargs",
    "parse_version",
]

MIN_SERVER_VERSIONS: Final[Mapping[str, tuple[int, int, int]]] = {
    # BM25 / hybrid search operators (and/or + minimumOrTokensMatch) came with 1.31.0.
    # `BM25Operator.and_cross()` is checked by weaviate-client itself.
    "bm25_operator": (1, 31, 0),
}
"""The oldest Weaviate version that understands each option (older servers: `ConfigError`)."""


FUSION_TYPES: Final = {
    "relative_score": HybridFusion.RELATIVE_SCORE,
    "ranked": HybridFusion.RANKED,
}
"""Fusion method -> the `fusion_type` that `hybrid()` takes."""

_PROPERTY_NAME: Final = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
_QUERY_PROPERTY: Final = re.compile(_PROPERTY_NAME.pattern + r"(\^\d+(\.\d+)?)?")


# ---------------------------------------------------------------------------- server version


def parse_version(text: str) -> tuple[int, int, int]:
    """`(major, minor, patch)` of a server version such as `"1.39.3"` (`BackendError` if none).

    Example:
        >>> parse_version("v1.31")
        (1, 31, 0)
    """
    match = re.match(r"v?(\d+)\.(\d+)(?:\.(\d+))?", text.strip())
    if match is None:
        msg = f"cannot read the Weaviate server version {text!r}"
        raise BackendError(msg)
    return int(match[1]), int(match[2]), int(match[3] or 0)


def check_server_version(option: str, server_version: tuple[int, int, int]) -> None:
    """Raise `ConfigError` if `option` needs a newer server than `server_version`.

    Example:
        >>> check_server_version("bm25_operator", (1, 30, 2))
        Traceback (most recent call last):
        ...
        langchain_hybrid.errors.ConfigError: bm25_operator needs Weaviate >= 1.31.0; ...
    """
    needed = MIN_SERVER_VERSIONS.get(option)
    if needed is not None and server_version < needed:
        have = ".".join(map(str, server_version))
        want = ".".join(map(str, needed))
        msg = f"{option} needs Weaviate >= {want}; the connected server is {have}"
        raise ConfigError(msg)


# ---------------------------------------------------------------------------- option values


def _names(value: object, option: str, pattern: re.Pattern[str]) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        msg = f"{option} must be a non-empty list of property names, got {value!r}"
        raise ConfigError(msg)
    names = list(value)
    bad = [n for n in names if not isinstance(n, str) or not pattern.fullmatch(n)]
    if bad:
        msg = f"{option}: invalid property name(s) {bad!r} (format: name or name^boost)"
        raise ConfigError(msg)
    return names


def _bm25_operator(value: object) -> BM25OperatorOptions:
    """`"and"`, `"or"`, `{"operator": "or", "minimum_should_match": 2}`, or the client's own."""
    if isinstance(value, BM25OperatorOptions):
        return value
    spec: Mapping[str, Any] = {"operator": value} if isinstance(value, str) else {}
    if isinstance(value, Mapping):
        spec = value
    operator = spec.get("operator")
    extra = set(spec) - {"operator", "minimum_should_match"}
    if operator not in {"and", "or"} or extra:
        msg = (
            "bm25_operator must be 'and', 'or', {'operator': 'or', 'minimum_should_match': n} "
            f"or a weaviate BM25Operator, got {value!r}"
        )
        raise ConfigError(msg)
    if operator == "and":
        if "minimum_should_match" in spec:
            msg = "bm25_operator: minimum_should_match only applies to operator 'or'"
            raise ConfigError(msg)
        return BM25Operator.and_()
    minimum = spec.get("minimum_should_match", 1)
    return BM25Operator.or_(
        minimum_match=positive_int("bm25_operator: minimum_should_match", minimum)
    )


def int_at_least(option: str, value: object, *, minimum: int) -> int:
    """`value` if it is an integer (not a bool) `>= minimum`, else `ConfigError`.

    Example:
        >>> int_at_least("offset", 0, minimum=0)
        0
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        msg = f"{option} must be an integer >= {minimum}, got {value!r}"
        raise ConfigError(msg)
    return value


def _distance(value: object) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
    ):
        msg = f"max_vector_distance must be a finite number >= 0, got {value!r}"
        raise ConfigError(msg)
    return float(value)


def _name(option: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        msg = f"{option} must be a non-empty string, got {value!r}"
        raise ConfigError(msg)
    return value


CONSISTENCY_LEVELS: Final = ("ONE", "QUORUM", "ALL")
"""Weaviate's consistency levels: one replica, a majority of them, or every replica."""


def consistency_level(value: object) -> ConsistencyLevel:
    """The client's `ConsistencyLevel` for `"ONE"`, `"QUORUM"` or `"ALL"` (any case).

    Example:
        >>> consistency_level("quorum").value
        'QUORUM'
    """
    if isinstance(value, ConsistencyLevel):
        return value
    name = value.upper() if isinstance(value, str) else None
    if name not in CONSISTENCY_LEVELS:
        msg = (
            f"consistency_level must be one of {list(CONSISTENCY_LEVELS)} (or None: the "
            f"server's default, QUORUM), got {value!r}"
        )
        raise ConfigError(msg)
    return ConsistencyLevel(name)


def _return_properties(value: object, spec: CollectionSpec) -> list[str]:
    names = _names(value, "return_properties", _PROPERTY_NAME)
    required = [spec.text_key] + ([spec.id_property] if spec.id_property else [])
    return list(dict.fromkeys([*required, *names]))


# Option -> validator returning the value `hybrid()` takes (the tenant and the
# consistency level select the collection handle instead: validated, not passed).
_OPTIONS: Final[dict[str, Callable[[object, CollectionSpec], Any]]] = {
    "query_properties": lambda v, _: _names(v, "query_properties", _QUERY_PROPERTY),
    "return_properties": _return_properties,
    "bm25_operator": lambda v, _: _bm25_operator(v),
    "max_vector_distance": lambda v, _: _distance(v),
    "target_vector": lambda v, _: _name("target_vector", v),
    "auto_limit": lambda v, _: int_at_least("auto_limit", v, minimum=1),
    "offset": lambda v, _: int_at_least("offset", v, minimum=0),
    "tenant": lambda v, _: _name("tenant", v),
    "consistency_level": lambda v, _: consistency_level(v),
}
_HANDLE_OPTIONS: Final = frozenset({"tenant", "consistency_level"})

WEAVIATE_OPTIONS: Final = frozenset(_OPTIONS)
"""Per-call options passed through to `collection.query.hybrid` (validated first)."""


def option_kwargs(options: Mapping[str, Any], spec: CollectionSpec) -> dict[str, Any]:
    """Validate the per-call options; return the `hybrid()` keyword arguments they set.

    BM25 searches `text_key` only unless `query_properties` says otherwise: by default
    Weaviate would search every text property, metadata included, which the local
    backend never does. `None` values are ignored.

    Example:
        >>> option_kwargs({"offset": 5, "tenant": "t1"}, CollectionSpec())
        {'query_properties': ['text'], 'offset': 5}
    """
    kwargs: dict[str, Any] = {"query_properties": [spec.text_key]}
    for name, value in options.items():
        if value is None:
            continue
        validate = _OPTIONS.get(name)
        if validate is None:
            msg = f"unknown Weaviate option {name!r}; allowed: {sorted(_OPTIONS)}"
            raise ConfigError(msg)
        checked = validate(value, spec)
        if name not in _HANDLE_OPTIONS:
            kwargs[name] = checked
    return kwargs


# ---------------------------------------------------------------------------- the query


def check_query(query: HybridQuery) -> None:
    """Refuse what Weaviate's hybrid query cannot do, before anything is sent."""
    if query.predicate is not None:
        msg = (
            "callable filters run in Python and work only with the local backend; on "
            "Weaviate use a filter dict such as {'year': {'$gte': 2020}}"
        )
        raise ConfigError(msg)
    if query.rank_constant != DEFAULT_RANK_CONSTANT:
        msg = (
            f"rank_constant={query.rank_constant} is not possible on Weaviate, whose ranked "
            f"fusion uses {DEFAULT_RANK_CONSTANT} (hard-coded in the server)"
        )
        raise ConfigError(msg)
    if query.fetch_k < max(DEFAULT_LEG_DEPTH, query.k):
        msg = (
            f"fetch_k={query.fetch_k} is not possible on Weaviate: each leg fetches "
            f"max({DEFAULT_LEG_DEPTH}, k) results (the server's QUERY_HYBRID_MAXIMUM_RESULTS). "
            "Leave fetch_k unset, or set it higher to fetch deeper"
        )
        raise ConfigError(msg)
    if query.fusion not in FUSION_TYPES:
        msg = f"fusion must be one of {list(FUSION_TYPES)}, got {query.fusion!r}"
        raise ConfigError(msg)
