"""One metadata filter specification for every backend.

A filter is a dict in the MongoDB-like syntax that Chroma, FAISS, PGVector and others use:

```python
{"source": "a.txt"}  # equality
{"year": {"$gte": 2020, "$lt": 2024}}  # range (several operators: AND)
{"lang": {"$in": ["en", "de"]}}  # membership
{"$or": [{"source": "a.txt"}, {"year": {"$gt": 2022}}]}
{"source": "a.txt", "year": 2024}  # several keys: AND
```

Operators: `$eq $ne $gt $gte $lt $lte $in $nin`, combined with `$and` / `$or`. Keys are
metadata keys. A document that lacks a key matches no condition on that key (not even
`$ne` / `$nin`), and values of different types never compare equal or ordered (no
`1 == True`, no `"2" < 10`): the same answer on every backend.

`parse_filter` validates once and returns a tree that each backend translates:
`matches` for in-process legs, `to_where` for Chroma-style dict filters; the Weaviate
backend translates the same tree to `weaviate.classes.query.Filter`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeAlias

from langchain_core.documents import Document

from langchain_hybrid.errors import ConfigError

__all__ = [
    "COMPARISON_OPERATORS",
    "And",
    "Comparison",
    "FilterNode",
    "FilterSpec",
    "Or",
    "document_filter",
    "matches",
    "parse_filter",
    "to_predicate",
    "to_where",
    "value_kind",
]

Scalar: TypeAlias = str | int | float | bool
Operator = Literal["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin"]

COMPARISON_OPERATORS: Final[tuple[Operator, ...]] = (
    "$eq",
    "$ne",
    "$gt",
    "$gte",
    "$lt",
    "$lte",
    "$in",
    "$nin",
)
_LOGICAL: Final = ("$and", "$or")
_ORDERING: Final = frozenset({"$gt", "$gte", "$lt", "$lte"})
_LISTS: Final = frozenset({"$in", "$nin"})


@dataclass(frozen=True, slots=True)
class Comparison:
    """`metadata[key] <op> value`."""

    key: str
    op: Operator
    value: Scalar | tuple[Scalar, ...]


@dataclass(frozen=True, slots=True)
class And:
    """All children match."""

    children: tuple[FilterNode, ...]


@dataclass(frozen=True, slots=True)
class Or:
    """At least one child matches."""

    children: tuple[FilterNode, ...]


FilterNode: TypeAlias = Comparison | And | Or
FilterSpec: TypeAlias = Mapping[str, Any]
"""A filter in the dict syntax described in this module's docstring."""


def parse_filter(spec: FilterSpec) -> FilterNode:
    """Validate a filter dict and return its tree.

    Raises:
        ConfigError: naming the part of the filter that is wrong and what is allowed.

    Example:
        >>> parse_filter({"year": {"$gte": 2020}})
        Comparison(key='year', op='$gte', value=2020)
    """
    return _parse(spec, "filter")


def _parse(spec: object, path: str) -> FilterNode:
    if not isinstance(spec, Mapping) or not spec:
        msg = (
            f"{path} must be a non-empty dict such as {{'source': 'a.txt'}} or "
            f"{{'year': {{'$gte': 2020}}}}, got {spec!r}"
        )
        raise ConfigError(msg)
    nodes: list[FilterNode] = []
    for key, value in spec.items():
        if not isinstance(key, str) or not key:
            msg = f"{path}: keys must be non-empty strings, got {key!r}"
            raise ConfigError(msg)
        if key in _LOGICAL:
            nodes.append(_parse_logical(key, value, f"{path}.{key}"))
        elif key.startswith("$"):
            msg = (
                f"{path}: unknown logical operator {key!r}; use one of {list(_LOGICAL)} at this "
                f"level, or comparison operators {list(COMPARISON_OPERATORS)} under a key"
            )
            raise ConfigError(msg)
        else:
            nodes.extend(_parse_field(key, value, f"{path}.{key}"))
    return nodes[0] if len(nodes) == 1 else And(tuple(nodes))


def _parse_logical(op: str, value: object, path: str) -> FilterNode:
    if not isinstance(value, Sequence) or isinstance(value, (str, bytes)) or not value:
        msg = f"{path} must be a non-empty list of filters, got {value!r}"
        raise ConfigError(msg)
    children = tuple(_parse(child, f"{path}[{i}]") for i, child in enumerate(value))
    if len(children) == 1:
        return children[0]
    return And(children) if op == "$and" else Or(children)


def _parse_field(key: str, value: object, path: str) -> list[FilterNode]:
    if not isinstance(value, Mapping):
        return [Comparison(key, "$eq", _scalar(value, path))]
    if not value:
        msg = f"{path} must not be an empty dict; use an operator such as {{'$eq': ...}}"
        raise ConfigError(msg)
    comparisons: list[FilterNode] = []
    for op, operand in value.items():
        if op not in COMPARISON_OPERATORS:
            msg = f"{path}: unknown operator {op!r}; allowed: {list(COMPARISON_OPERATORS)}"
            raise ConfigError(msg)
        op_path = f"{path}.{op}"
        if op in _LISTS:
            if not isinstance(operand, Sequence) or isinstance(operand, (str, bytes)):
                msg = f"{op_path} must be a list of values, got {operand!r}"
                raise ConfigError(msg)
            if not operand:
                msg = f"{op_path} must not be empty"
                raise ConfigError(msg)
            values = tuple(_scalar(v, f"{op_path}[{i}]") for i, v in enumerate(operand))
            comparisons.append(Comparison(key, op, values))
        else:
            scalar = _scalar(operand, op_path)
            if op in _ORDERING and isinstance(scalar, bool):
                msg = f"{op_path} needs a number or a string, got {operand!r}"
                raise ConfigError(msg)
            comparisons.append(Comparison(key, op, scalar))
    return comparisons


def _scalar(value: object, path: str) -> Scalar:
    if isinstance(value, float) and not math.isfinite(value):
        msg = f"{path} must be a finite number, got {value!r}"
        raise ConfigError(msg)
    if isinstance(value, (str, int, float, bool)):
        return value
    msg = f"{path} must be a string, number or boolean, got {type(value).__name__} {value!r}"
    raise ConfigError(msg)


# ---------------------------------------------------------------------------- evaluation


def value_kind(value: object) -> str | None:
    """Comparable kind: bools, numbers and strings never compare with each other."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "str"
    return None


def _same(a: object, b: object) -> bool:
    kind = value_kind(a)
    return kind is not None and kind == value_kind(b) and a == b


_ORDER_TESTS: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "$gt": lambda a, b: a > b,
    "$gte": lambda a, b: a >= b,
    "$lt": lambda a, b: a < b,
    "$lte": lambda a, b: a <= b,
}


def _compare(node: Comparison, metadata: Mapping[str, Any]) -> bool:  # noqa: PLR0911 - one per operator
    if node.key not in metadata:
        return False
    actual = metadata[node.key]
    if value_kind(actual) is None:
        return False
    if node.op == "$eq":
        return _same(actual, node.value)
    if node.op == "$ne":
        return value_kind(actual) == value_kind(node.value) and actual != node.value
    if node.op in _LISTS:
        assert isinstance(node.value, tuple)  # guaranteed by _parse_field  # noqa: S101
        found = any(_same(actual, v) for v in node.value)
        return found if node.op == "$in" else not found
    if value_kind(actual) != value_kind(node.value) or value_kind(actual) == "bool":
        return False
    return _ORDER_TESTS[node.op](actual, node.value)


def matches(node: FilterNode, metadata: Mapping[str, Any]) -> bool:
    """Whether a document with this metadata passes the filter.

    Example:
        >>> matches(parse_filter({"year": {"$gte": 2020}}), {"year": 2021})
        True
    """
    if isinstance(node, Comparison):
        return _compare(node, metadata)
    if isinstance(node, And):
        return all(matches(child, metadata) for child in node.children)
    return any(matches(child, metadata) for child in node.children)


def to_predicate(node: FilterNode) -> Callable[[Document], bool]:
    """A `Document -> bool` predicate, the filter form `InMemoryVectorStore` takes.

    Example:
        >>> keep = to_predicate(parse_filter({"source": "a.txt"}))
        >>> keep(Document(page_content="x", metadata={"source": "a.txt"}))
        True
    """

    def predicate(document: Document) -> bool:
        return matches(node, document.metadata)

    return predicate


def document_filter(
    node: FilterNode | None, predicate: Callable[[Document], bool] | None = None
) -> Callable[[Document], bool] | None:
    """One `Document -> bool` check for a filter tree and a callable filter, either optional.

    `None` when neither is set: nothing to check.

    Example:
        >>> keep = document_filter(
        ...     parse_filter({"source": "a.txt"}), lambda d: "x" in d.page_content
        ... )
        >>> keep(Document(page_content="x", metadata={"source": "a.txt"}))
        True
    """
    if node is None:
        return predicate
    in_tree = to_predicate(node)
    if predicate is None:
        return in_tree
    also = predicate

    def both(document: Document) -> bool:
        return in_tree(document) and also(document)

    return both


def to_where(node: FilterNode) -> dict[str, Any]:
    """The explicit dict form (`{"$and": [{"k": {"$eq": v}}, ...]}`) that Chroma requires.

    Example:
        >>> to_where(parse_filter({"a": 1, "b": {"$in": [2, 3]}}))
        {'$and': [{'a': {'$eq': 1}}, {'b': {'$in': [2, 3]}}]}
        >>> to_where(parse_filter({"b": {"$in": [2, "x"]}}))
        {'$or': [{'b': {'$in': [2]}}, {'b': {'$in': ['x']}}]}
    """
    if isinstance(node, Comparison):
        if not isinstance(node.value, tuple):
            return {node.key: {node.op: node.value}}
        # Chroma rejects lists that mix value types: one list per type, combined so
        # that the meaning is unchanged ($in: any list matches; $nin: no list matches).
        by_type: dict[type, list[Scalar]] = {}
        for value in node.value:
            by_type.setdefault(type(value), []).append(value)
        parts = [{node.key: {node.op: values}} for values in by_type.values()]
        if len(parts) == 1:
            return parts[0]
        return {"$or" if node.op == "$in" else "$and": parts}
    op = "$and" if isinstance(node, And) else "$or"
    return {op: [to_where(child) for child in node.children]}
