"""The test-wide loopback guard: a non-loopback destination is refused before a packet leaves."""

from __future__ import annotations

import asyncio
import contextlib
import socket

import httpx
import pytest

from tests.loopback_guard import RECORDER, NonLoopbackConnection, fail_on_refusals


@pytest.fixture
def refused():
    """What the guard refused during the test, taken so that the guard's own teardown passes."""
    seen: list[str] = []
    yield seen
    seen.extend(RECORDER.take())


def test_connecting_to_a_private_address_is_refused_and_recorded(refused):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(NonLoopbackConnection):
        sock.connect(("10.255.255.1", 9))
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock, pytest.raises(NonLoopbackConnection):
        sock.connect_ex(("2001:db8::1", 80, 0, 0))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock, pytest.raises(NonLoopbackConnection):
        sock.sendto(b"x", ("192.0.2.1", 53))
    assert len(RECORDER.take()) == 3


def test_a_swallowed_refusal_still_fails_the_test():
    with contextlib.suppress(Exception):  # code under test that hides every error
        httpx.get("http://192.0.2.7:81/", timeout=1)
    with pytest.raises(pytest.fail.Exception, match="192.0.2.7"):
        fail_on_refusals()
    fail_on_refusals()  # taken: nothing left for the guard's own teardown


async def test_asyncio_connections_are_guarded_too(refused):
    with pytest.raises(NonLoopbackConnection):
        await asyncio.open_connection("192.0.2.8", 80)
    assert RECORDER.take()


def test_names_other_than_localhost_are_not_resolved():
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("example.org", 80)
    assert socket.getaddrinfo("localhost", 80, type=socket.SOCK_STREAM)


def test_loopback_connections_work():
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
        with socket.create_connection(("localhost", port), timeout=2):
            pass
    assert RECORDER.take() == []
