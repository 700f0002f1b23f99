"""Every `>>>` example in the package's docstrings runs and prints what it says.

The API reference pages are generated from these docstrings, so this is the docs'
examples test for them (README and docs/ pages: tests/integration_tests/test_docs_examples.py).
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from types import ModuleType

import pytest

import langchain_hybrid

# The Weaviate backend's modules import weaviate-client, which is installed; the demo's
# model module imports sentence-transformers only inside functions, so all are importable.
MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(langchain_hybrid.__path__, prefix="langchain_hybrid.")
)


def examples(module: ModuleType) -> list[doctest.DocTest]:
    finder = doctest.DocTestFinder(exclude_empty=True)
    return [test for test in finder.find(module) if test.examples]


def test_the_package_has_examples() -> None:
    found = sum(len(examples(importlib.import_module(name))) for name in MODULES)
    assert found >= 30  # a floor, so that a broken finder cannot pass silently


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in examples(module):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
