"""Checks for the numbers a user passes in, each raising `ConfigError` that says what was wrong.

`bool` is an `int` in Python, so `k=True` would pass a plain `isinstance` test: every check
here refuses it.
"""

from __future__ import annotations

from langchain_hybrid.errors import ConfigError

__all__ = ["non_negative_number", "positive_int"]


def positive_int(name: str, value: object, *, what: str = "a positive integer") -> int:
    """`value` if it is an integer (not a bool) of at least 1, else `ConfigError`.

    Example:
        >>> positive_int("k", 5)
        5
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        msg = f"{name} must be {what}, got {value!r}"
        raise ConfigError(msg)
    return value


def non_negative_number(name: str, value: object) -> float:
    """`value` as a float if it is a number (not a bool) of at least 0, else `ConfigError`.

    Example:
        >>> non_negative_number("k1", 1.2)
        1.2
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        msg = f"{name} must be a non-negative number, got {value!r}"
        raise ConfigError(msg)
    return float(value)
