"""The unit suite's isolation (see `conftest.py`): no network, but asyncio still works."""

from __future__ import annotations

import asyncio
import socket

import pytest
import pytest_socket


def test_inet_sockets_are_blocked() -> None:
    # pytest-socket warns, then raises; the warning is an error elsewhere in this suite.
    with (
        pytest.warns(UserWarning, match="tried to use socket.socket"),
        pytest.raises(pytest_socket.SocketBlockedError),
    ):
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with (
        pytest.warns(UserWarning, match="tried to use socket.getaddrinfo"),
        pytest.raises(pytest_socket.SocketBlockedError),
    ):
        socket.getaddrinfo("localhost", 80)


async def test_the_event_loop_still_works() -> None:
    loop = asyncio.get_running_loop()
    assert await loop.run_in_executor(None, lambda: 6 * 7) == 42
    left, right = socket.socketpair()  # what the loop uses to wake itself: Unix sockets
    with left, right:
        left.sendall(b"x")
        assert right.recv(1) == b"x"
