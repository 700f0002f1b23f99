"""Argument types shared by the command-line parsers (`cli.py`, `demo/cli.py`)."""

from __future__ import annotations

import argparse

__all__ = ["positive_int", "unit_interval"]


def positive_int(text: str) -> int:
    """An integer of at least 1, or an argparse error naming the bad value.

    Example:
        >>> positive_int("5")
        5
    """
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        msg = f"expected a positive integer, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def unit_interval(text: str) -> float:
    """A number from 0 to 1 (an alpha), or an argparse error naming the bad value.

    Example:
        >>> unit_interval("0.25")
        0.25
    """
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        msg = f"expected a number from 0 to 1, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value
