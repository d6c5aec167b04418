"""Loopback ports: the one place that picks a free port for an embedded broker or HTTP server."""

from __future__ import annotations

import socket


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that nothing listened on a moment ago (the OS's pick for port 0).

    Another process may take it before the caller binds it; callers that cannot retry should bind
    port 0 themselves and read the port back."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]
