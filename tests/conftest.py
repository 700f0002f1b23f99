"""Shared by every test directory: `tests/` is importable, and CI fails on skips.

tests/ is not a package; its stdlib-only helpers (the Weaviate server harness, the
concurrency ledger) are imported by name from unit and integration tests alike.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

_TESTS_DIR = str(Path(__file__).resolve().parent)
if _TESTS_DIR not in sys.path:
    sys.path.insert(0, _TESTS_DIR)

from ci import in_ci  # noqa: E402 - importable only once tests/ is on sys.path


class CISkipGuard:
    """Session-wide: in CI, a run in which any test was skipped fails (exit status 1).

    A skipped test in CI is a test that did not run; reporting the run as green would
    hide it. Registered by :func:`pytest_configure` below when ``CI`` is set; it lives
    in the root conftest so that it guards every run, ``pytest tests/unit_tests`` included.
    """

    def __init__(self) -> None:
        """Start with no skips."""
        self.skipped: dict[str, str] = {}

    @staticmethod
    def _reason(report: pytest.TestReport | pytest.CollectReport) -> str:
        longrepr = report.longrepr
        if isinstance(longrepr, tuple) and len(longrepr) == 3:
            return str(longrepr[2]).removeprefix("Skipped: ")
        return str(longrepr)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Record skipped tests (not expected failures, which pytest also reports so)."""
        if report.skipped and not hasattr(report, "wasxfail"):
            self.skipped.setdefault(report.nodeid, self._reason(report))

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """Record modules skipped as a whole."""
        if report.skipped:
            self.skipped.setdefault(report.nodeid, self._reason(report))

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """Turn a passing run with skips into a failing one."""
        if self.skipped and exitstatus in {pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED}:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """List the skipped tests that failed the run."""
        if not self.skipped:
            return
        terminalreporter.section("CI: skipped tests fail the run", sep="=", red=True, bold=True)
        for nodeid, reason in sorted(self.skipped.items()):
            terminalreporter.line(f"SKIPPED {nodeid}: {reason}", red=True)


def pytest_configure(config: pytest.Config) -> None:
    """Install :class:`CISkipGuard` for the whole session when running in CI."""
    if in_ci() and not config.pluginmanager.has_plugin("langchain-hybrid-ci-skip-guard"):
        config.pluginmanager.register(CISkipGuard(), "langchain-hybrid-ci-skip-guard")
