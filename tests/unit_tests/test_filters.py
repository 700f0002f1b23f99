"""The backend-neutral filter: parsing errors, semantics, and the Chroma `where` form."""

from __future__ import annotations

import math
from typing import Any

import pytest
from langchain_core.documents import Document

from langchain_hybrid import ConfigError
from langchain_hybrid.filters import (
    And,
    Comparison,
    Or,
    matches,
    parse_filter,
    to_predicate,
    to_where,
)

# TESTS: parsing errors ================================================================


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({}, r"filter must be a non-empty dict"),
        ([{"a": 1}], r"filter must be a non-empty dict"),
        ("source = 'a'", r"filter must be a non-empty dict"),
        (None, r"filter must be a non-empty dict"),
        ({"": 1}, r"keys must be non-empty strings"),
        ({1: 1}, r"keys must be non-empty strings, got 1"),
        ({"$not": {"a": 1}}, r"unknown logical operator '\$not'"),
        ({"a": {"$regex": "x.*"}}, r"filter\.a: unknown operator '\$regex'; allowed: \['\$eq'"),
        ({"a": {}}, r"filter\.a must not be an empty dict"),
        ({"a": {"$in": "abc"}}, r"filter\.a\.\$in must be a list of values"),
        ({"a": {"$nin": 3}}, r"filter\.a\.\$nin must be a list of values"),
        ({"a": {"$in": []}}, r"filter\.a\.\$in must not be empty"),
        ({"a": {"$in": [1, [2]]}}, r"filter\.a\.\$in\[1\] must be a string, number or boolean"),
        ({"a": [1, 2]}, r"filter\.a must be a string, number or boolean, got list"),
        ({"a": None}, r"filter\.a must be a string, number or boolean, got NoneType"),
        ({"a": {"$eq": {"b": 1}}}, r"filter\.a\.\$eq must be a string, number or boolean"),
        ({"a": math.nan}, r"filter\.a must be a finite number, got nan"),
        ({"a": {"$lt": math.inf}}, r"filter\.a\.\$lt must be a finite number"),
        ({"a": {"$gt": True}}, r"filter\.a\.\$gt needs a number or a string, got True"),
        ({"$and": []}, r"filter\.\$and must be a non-empty list of filters"),
        ({"$or": {"a": 1}}, r"filter\.\$or must be a non-empty list of filters"),
        ({"$and": "a"}, r"filter\.\$and must be a non-empty list of filters"),
        ({"$or": [{"a": 1}, {}]}, r"filter\.\$or\[1\] must be a non-empty dict"),
        ({"$and": [{"a": {"$bad": 1}}]}, r"filter\.\$and\[0\]\.a: unknown operator '\$bad'"),
    ],
    ids=repr,
)
def test_parse_errors_name_the_problem(spec: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_filter(spec)


def test_parse_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown operator"):
        parse_filter({"a": {"$like": "x"}})


# TESTS: parsed trees ==================================================================


def test_parse_equality_shorthand() -> None:
    assert parse_filter({"source": "a.txt"}) == Comparison("source", "$eq", "a.txt")


def test_parse_several_keys_and_operators_is_and() -> None:
    tree = parse_filter({"source": "a.txt", "year": {"$gte": 2020, "$lt": 2024}})
    assert tree == And(
        (
            Comparison("source", "$eq", "a.txt"),
            Comparison("year", "$gte", 2020),
            Comparison("year", "$lt", 2024),
        )
    )


def test_parse_logical() -> None:
    tree = parse_filter({"$or": [{"a": 1}, {"$and": [{"b": {"$in": [2, 3]}}, {"c": "x"}]}]})
    assert tree == Or(
        (
            Comparison("a", "$eq", 1),
            And((Comparison("b", "$in", (2, 3)), Comparison("c", "$eq", "x"))),
        )
    )
    # A one-element logical list is just its child.
    assert parse_filter({"$and": [{"a": 1}]}) == Comparison("a", "$eq", 1)


# TESTS: semantics =====================================================================

META = {"source": "a.txt", "year": 2021, "score": 0.5, "draft": False, "lang": "en"}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"source": "a.txt"}, True),
        ({"source": "b.txt"}, False),
        ({"source": {"$ne": "b.txt"}}, True),
        ({"year": {"$gte": 2021}}, True),
        ({"year": {"$gt": 2021}}, False),
        ({"year": {"$gte": 2020, "$lt": 2022}}, True),
        ({"year": {"$gte": 2020, "$lt": 2021}}, False),
        ({"year": 2021.0}, True),  # int and float are both numbers
        ({"score": {"$lte": 0.5}}, True),
        ({"lang": {"$gt": "de"}}, True),  # strings order lexicographically
        ({"lang": {"$in": ["de", "en"]}}, True),
        ({"lang": {"$in": ["de", "fr"]}}, False),
        ({"lang": {"$nin": ["de", "fr"]}}, True),
        ({"lang": {"$nin": ["en"]}}, False),
        ({"draft": False}, True),
        ({"draft": {"$ne": True}}, True),
        ({"source": "a.txt", "year": 2021}, True),  # several keys: AND
        ({"source": "a.txt", "year": 2020}, False),
        ({"$and": [{"source": "a.txt"}, {"lang": "en"}]}, True),
        ({"$and": [{"source": "a.txt"}, {"lang": "de"}]}, False),
        ({"$or": [{"source": "b.txt"}, {"lang": "en"}]}, True),
        ({"$or": [{"source": "b.txt"}, {"lang": "de"}]}, False),
    ],
    ids=repr,
)
def test_semantics(spec: dict[str, Any], expected: bool) -> None:  # noqa: FBT001
    assert matches(parse_filter(spec), META) is expected


@pytest.mark.parametrize(
    "spec",
    [
        {"missing": "x"},
        {"missing": {"$ne": "x"}},  # a missing key matches no condition, not even $ne
        {"missing": {"$nin": ["x"]}},
        {"missing": {"$lt": 10}},
    ],
    ids=repr,
)
def test_missing_key_never_matches(spec: dict[str, Any]) -> None:
    assert not matches(parse_filter(spec), META)


@pytest.mark.parametrize(
    "spec",
    [
        {"year": "2021"},  # string vs number
        {"year": {"$in": ["2021"]}},
        {"year": {"$lt": "3000"}},
        {"draft": 0},  # no 0 == False
        {"year": {"$ne": "x"}},  # $ne across types is not a match either
        {"lang": {"$gt": 1}},
    ],
    ids=repr,
)
def test_type_mismatch_never_matches(spec: dict[str, Any]) -> None:
    assert not matches(parse_filter(spec), META)


def test_bool_and_int_do_not_compare() -> None:
    assert not matches(parse_filter({"flag": True}), {"flag": 1})
    assert not matches(parse_filter({"flag": 1}), {"flag": True})
    assert matches(parse_filter({"flag": True}), {"flag": True})


@pytest.mark.parametrize("value", [None, [1, 2], {"x": 1}])
def test_non_scalar_metadata_never_matches(value: object) -> None:
    assert not matches(parse_filter({"k": {"$ne": "x"}}), {"k": value})


def test_to_predicate_reads_document_metadata() -> None:
    keep = to_predicate(parse_filter({"year": {"$gte": 2020}}))
    assert keep(Document("x", metadata={"year": 2024}))
    assert not keep(Document("x", metadata={"year": 2019}))
    assert not keep(Document("x"))


# TESTS: to_where ======================================================================


@pytest.mark.parametrize(
    ("spec", "where"),
    [
        ({"a": 1}, {"a": {"$eq": 1}}),
        ({"a": {"$in": [2, 3]}}, {"a": {"$in": [2, 3]}}),
        ({"a": 1, "b": {"$nin": ["x"]}}, {"$and": [{"a": {"$eq": 1}}, {"b": {"$nin": ["x"]}}]}),
        ({"a": {"$gte": 1, "$lt": 5}}, {"$and": [{"a": {"$gte": 1}}, {"a": {"$lt": 5}}]}),
        (
            {"$or": [{"a": "x"}, {"b": {"$ne": False}}]},
            {"$or": [{"a": {"$eq": "x"}}, {"b": {"$ne": False}}]},
        ),
        (
            {"$or": [{"a": 1}, {"$and": [{"b": 2}, {"c": 3}]}]},
            {"$or": [{"a": {"$eq": 1}}, {"$and": [{"b": {"$eq": 2}}, {"c": {"$eq": 3}}]}]},
        ),
    ],
    ids=repr,
)
def test_to_where(spec: dict[str, Any], where: dict[str, Any]) -> None:
    assert to_where(parse_filter(spec)) == where
