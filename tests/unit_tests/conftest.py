"""Unit tests run in isolation: no network (LangChain's standard-tests convention).

Inet sockets are blocked for every test in this directory before its fixtures are set
up; Unix sockets stay allowed because asyncio's event loop needs `socket.socketpair`.
`pytest-socket` restores sockets after each test (its `pytest_runtest_teardown`).
"""

from __future__ import annotations

import pytest
import pytest_socket


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("enable_socket") is None:
        pytest_socket.disable_socket(allow_unix_socket=True)
