"""The harness's replay server: feeds and pages over persistent HTTP/1.1 connections."""

from __future__ import annotations

import http.client
from datetime import UTC, datetime

from bench.harness.replay import ArchiveItem, ReplayServer


def _items() -> list[ArchiveItem]:
    when = datetime(2021, 8, 6, 12, tzinfo=UTC)
    return [ArchiveItem(i, "bbci", f"title {i}", f"text of item {i}", when, f"https://example.org/{i}")
            for i in range(2)]


def test_pages_and_feeds_are_served_on_one_kept_alive_connection():
    with ReplayServer(_items()) as server:
        server.clock.go()
        conn = http.client.HTTPConnection(server.netloc, timeout=5)
        try:
            sockets = []
            for path in ("/a/0.html", "/feed/bbci.xml", "/a/1.html"):
                conn.request("GET", path)
                res = conn.getresponse()
                body = res.read()
                assert res.status == 200 and res.version == 11 and body
                assert not res.will_close  # an HTTP/1.0 server closes after every response
                sockets.append(conn.sock)
            assert sockets[0] is not None and all(s is sockets[0] for s in sockets)
            assert server.requests == 3
        finally:
            conn.close()
