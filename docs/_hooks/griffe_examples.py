# ruff: noqa: INP001 - loaded by path from mkdocs.yml, not a package
"""Griffe extension for the API reference: read `Example:` sections as examples.

The package's docstrings use Google style's singular `Example:` heading. Griffe only
treats the plural `Examples:` as an examples section (it renders `Example:` as an
admonition, where `>>>` lines are plain Markdown text), so doctest examples would come
out as prose. This renames the heading before griffe parses the docstring.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_HEADING = re.compile(r"^(\s*)Example:\s*$", re.MULTILINE)


class ExampleSections(griffe.Extension):
    """Rewrite `Example:` headings to `Examples:` in every loaded docstring."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:  # noqa: ARG002
        """Called once per loaded object."""
        if obj.docstring is not None:
            obj.docstring.value = _HEADING.sub(r"\1Examples:", obj.docstring.value)
