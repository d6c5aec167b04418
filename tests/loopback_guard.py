"""A pytest plugin: no test opens a connection to anything but loopback, even one that would be refused.

Installed for the whole session (``pytest_plugins`` in conftest): Python-level ``connect``,
``connect_ex`` and ``sendto`` on every socket refuse a non-loopback destination by raising
``NonLoopbackConnection`` before any packet leaves, and the test that tried fails at teardown even
if the code under test swallowed the exception. Name lookups of anything but ``localhost`` and IP
literals answer "no such name" at once, as on an offline machine, so no DNS query leaves either.
Child processes (the broker, ``wirewatch`` subprocesses) are outside its reach.
"""

from __future__ import annotations

import ipaddress
import socket
import threading

import pytest

_LOOPBACK_NAMES = ("localhost", "localhost.", "ip6-localhost", "ip6-loopback")


class NonLoopbackConnection(AssertionError):
    """A test tried to reach a non-loopback address (not an OSError, so it is not taken for a network failure)."""


class _Recorder:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: list[str] = []

    def add(self, what: str) -> None:
        with self._lock:
            self._seen.append(what)

    def take(self) -> list[str]:
        """Every refused destination since the last call, and forget them."""
        with self._lock:
            seen, self._seen = self._seen, []
        return seen


RECORDER = _Recorder()
_originals: dict[str, object] = {}


def is_loopback_name(host: object) -> bool:
    if not isinstance(host, str):
        return host is None
    if host.lower() in _LOOPBACK_NAMES or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback or _mapped_loopback(host)
    except ValueError:
        return False


def _mapped_loopback(host: str) -> bool:
    ip = ipaddress.ip_address(host.split("%", 1)[0])
    return isinstance(ip, ipaddress.IPv6Address) and bool(ip.ipv4_mapped) and ip.ipv4_mapped.is_loopback


def _is_ip_literal(host: object) -> bool:
    try:
        ipaddress.ip_address(str(host).split("%", 1)[0])
        return True
    except ValueError:
        return False


def _check(sock: socket.socket, address: object) -> None:
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return  # unix sockets and the like never leave the machine
    host = address[0] if isinstance(address, tuple) and address else address
    if not is_loopback_name(host):
        RECORDER.add(f"{host!r} ({address!r})")
        raise NonLoopbackConnection(f"test tried to connect to non-loopback {address!r}")


def _guarded_connect(self, address):
    _check(self, address)
    return _originals["connect"](self, address)


def _guarded_connect_ex(self, address):
    _check(self, address)
    return _originals["connect_ex"](self, address)


def _guarded_sendto(self, data, *args):
    _check(self, args[-1])
    return _originals["sendto"](self, data, *args)


def _guarded_getaddrinfo(host, *args, **kwargs):
    if host is not None and not is_loopback_name(host) and not _is_ip_literal(host):
        raise socket.gaierror(socket.EAI_NONAME, f"loopback guard: {host!r} is not resolved in tests")
    return _originals["getaddrinfo"](host, *args, **kwargs)


def install() -> None:
    if _originals:
        return
    for name, guarded in (("connect", _guarded_connect), ("connect_ex", _guarded_connect_ex),
                          ("sendto", _guarded_sendto)):
        _originals[name] = getattr(socket.socket, name)
        setattr(socket.socket, name, guarded)
    _originals["getaddrinfo"] = socket.getaddrinfo
    socket.getaddrinfo = _guarded_getaddrinfo


def uninstall() -> None:
    for name in ("connect", "connect_ex", "sendto"):
        if name in _originals:
            setattr(socket.socket, name, _originals.pop(name))
    if "getaddrinfo" in _originals:
        socket.getaddrinfo = _originals.pop("getaddrinfo")


def pytest_configure(config) -> None:
    install()


def pytest_unconfigure(config) -> None:
    uninstall()


def fail_on_refusals() -> None:
    """Fail the current test if anything was refused since the last call."""
    refused = RECORDER.take()
    if refused:
        pytest.fail(f"the test tried to reach non-loopback addresses: {', '.join(refused[:5])}")


@pytest.fixture(autouse=True)
def _loopback_only():
    """Fails the test that tried to reach a non-loopback address, whatever the code did with the error."""
    RECORDER.take()
    yield
    fail_on_refusals()
