"""robots.txt per origin through the real fetcher, against a local server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from services.ingest.fetch import Fetcher
from services.ingest.robots import RobotsCache


class _Robots:
    """A loopback origin whose /robots.txt answers with ``status`` and ``body``; counts requests."""

    def __init__(self) -> None:
        self.status = 200
        self.body = b""
        self.requests = 0
        robots = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                robots.requests += 1
                self.send_response(robots.status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(robots.body)))
                self.end_headers()
                self.wfile.write(robots.body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.netloc = f"127.0.0.1:{self.server.server_address[1]}"
        self.origin = f"http://{self.netloc}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def origin() -> Iterator[_Robots]:
    robots = _Robots()
    yield robots
    robots.server.shutdown()
    robots.server.server_close()


@pytest.fixture
async def cache(origin):
    fetcher = Fetcher(user_agent="wirewatch-test", allowed_hosts=(origin.netloc,), total_timeout_s=5)
    yield RobotsCache(fetcher, "wirewatch-test")
    await fetcher.aclose()


async def test_rules_are_followed_for_our_user_agent(origin, cache):
    origin.body = b"User-agent: wirewatch-test\nDisallow: /private/\n\nUser-agent: *\nDisallow: /\n"
    assert await cache.allowed(f"{origin.origin}/news/1.html")
    assert not await cache.allowed(f"{origin.origin}/private/1.html")


async def test_robots_txt_is_fetched_once_per_origin(origin, cache):
    origin.body = b"User-agent: *\nDisallow: /x/\n"
    for i in range(5):
        await cache.allowed(f"{origin.origin}/news/{i}.html")
    assert origin.requests == 1


async def test_a_missing_robots_txt_allows_everything(origin, cache):
    origin.status = 404
    assert await cache.allowed(f"{origin.origin}/anything.html")


async def test_a_server_error_disallows_everything_for_a_while(origin, cache):
    origin.status = 503
    assert not await cache.allowed(f"{origin.origin}/news/1.html")
    origin.status, origin.body = 200, b""
    assert not await cache.allowed(f"{origin.origin}/news/1.html")  # still cached: not asked again yet
    assert origin.requests == 1


async def test_an_unreachable_origin_disallows(cache):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: connection refused
        assert not await cache.allowed(f"http://127.0.0.1:{port}/news/1.html")
