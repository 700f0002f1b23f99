"""The backend-neutral filter tree -> `weaviate.classes.query.Filter`, with the local semantics.

`translate_filter` gives a Weaviate filter the answers `langchain_hybrid.filters.matches`
gives in process: values of another type than the property never match (no `1 == True`,
no `"2" < 10`), a condition on a key the collection lacks matches nothing, and `$ne` /
`$nin` skip documents without the key where the collection indexes null state. Parts
decided without the server fold into `True` / `False` (matches everything / nothing).

Pure: it only builds `Filter` objects, from the filter and the cached `CollectionInfo`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from weaviate.classes.query import Filter

from langchain_hybrid.backends.weaviate.schema import CollectionInfo
from langchain_hybrid.filters import And, Comparison, FilterNode, value_kind

if TYPE_CHECKING:
    from weaviate.collections.classes.filters import FilterReturn

__all__ = ["filter_keys", "translate_filter"]

# Weaviate data type -> the comparable kind of `langchain_hybrid.filters` it stores.
_PROPERTY_KINDS: Final = {"text": "str", "int": "number", "number": "number", "boolean": "bool"}
_ORDERING: Final = {
    "$gt": "greater_than",
    "$gte": "greater_or_equal",
    "$lt": "less_than",
    "$lte": "less_or_equal",
}
_Translated: TypeAlias = "FilterReturn | bool"


def _cast(value: Any, data_type: str) -> Any:
    """The value as the property type wants it; `None` if no such value can be stored."""
    if data_type == "int":
        if isinstance(value, float):
            return int(value) if value.is_integer() else None
        return value
    if data_type == "number":
        return float(value)
    return value


def _all(children: list[_Translated]) -> _Translated:
    if any(c is False for c in children):
        return False
    rest = [c for c in children if c is not True]
    if not rest:
        return True
    return rest[0] if len(rest) == 1 else Filter.all_of(rest)  # type: ignore[arg-type]


def _any(children: list[_Translated]) -> _Translated:
    if any(c is True for c in children):
        return True
    rest = [c for c in children if c is not False]
    if not rest:
        return False
    return rest[0] if len(rest) == 1 else Filter.any_of(rest)  # type: ignore[arg-type]


def _comparison(node: Comparison, info: CollectionInfo) -> _Translated:  # noqa: PLR0911 - one per case
    data_type = info.properties.get(node.key)
    kind = _PROPERTY_KINDS.get(data_type or "")
    if data_type is None or kind is None:
        # Locally a missing key, a list or any other type matches no condition at all.
        return False
    prop = Filter.by_property(node.key)
    has_key: _Translated = prop.is_none(False) if info.index_null_state else True
    values = node.value if isinstance(node.value, tuple) else (node.value,)
    fitting = [v for v in values if value_kind(v) == kind]
    casts = [c for c in (_cast(v, data_type) for v in fitting) if c is not None]
    if node.op == "$eq":
        return prop.equal(casts[0]) if casts else False
    if node.op == "$ne":
        if not fitting:
            return False  # different types never compare, not even as "not equal"
        return _all([prop.not_equal(casts[0]), has_key]) if casts else has_key
    if node.op == "$in":
        return prop.contains_any(casts) if casts else False
    if node.op == "$nin":
        return _all([prop.contains_none(casts), has_key]) if casts else has_key
    if not fitting or kind == "bool":
        return False
    value = fitting[0]
    if data_type == "int" and isinstance(value, float) and not value.is_integer():
        # Integers above 2020.5 are those above 2020; below it, those below 2021.
        if node.op in {"$gt", "$gte"}:
            return prop.greater_than(math.floor(value))
        return prop.less_than(math.ceil(value))
    method = getattr(prop, _ORDERING[node.op])
    translated: FilterReturn = method(_cast(value, data_type))
    return translated


def translate_filter(node: FilterNode, info: CollectionInfo) -> _Translated:
    """Translate the backend-neutral filter to a Weaviate `Filter` with the local semantics.

    `True` / `False` mean "matches everything" / "matches nothing": a condition on a key
    the collection lacks, on a list, or with a value of another type matches nothing,
    exactly as `langchain_hybrid.filters.matches` decides locally. `$ne` and `$nin` also
    require the key to be present (`is_none(False)`), where the collection indexes null
    state (collections this backend creates do).

    Example:
        >>> info = CollectionInfo(properties={"year": "int"}, index_null_state=True)
        >>> translate_filter(Comparison("year", "$gte", 2020), info)  # doctest: +ELLIPSIS
        _FilterValue(...)
        >>> translate_filter(Comparison("missing", "$eq", 1), info)
        False
    """
    if isinstance(node, Comparison):
        return _comparison(node, info)
    children = [translate_filter(child, info) for child in node.children]
    return _all(children) if isinstance(node, And) else _any(children)


def filter_keys(node: FilterNode) -> set[str]:
    """The metadata keys a filter names.

    Example:
        >>> sorted(filter_keys(And((Comparison("a", "$eq", 1), Comparison("b", "$gt", 2)))))
        ['a', 'b']
    """
    if isinstance(node, Comparison):
        return {node.key}
    return set().union(*(filter_keys(child) for child in node.children))
