"""The fixture news site: feeds and pages over real HTTP, and quiet when a client hangs up."""

from __future__ import annotations

import socket
import struct
import time

import httpx

from services.fixturesite import FixtureSite, load_demo


def test_serves_each_outlets_feed_and_its_articles():
    with FixtureSite(load_demo()) as site:
        outlet = site.content.outlets[0]
        feed = httpx.get(site.feed_url(outlet.id))
        assert feed.status_code == 200 and "<rss" in feed.text
        article = site.content.for_outlet(outlet.id)[0]
        page = httpx.get(site.article_url(article))
        assert page.status_code == 200 and article.body[0][:40] in page.text


def test_a_client_resetting_a_kept_alive_connection_prints_no_traceback(capsys):
    with FixtureSite(load_demo()) as site:
        host, port = site.netloc.split(":")
        outlet = site.content.outlets[0]
        with socket.create_connection((host, int(port))) as conn:
            conn.sendall(f"GET /{outlet.id}/feed.xml HTTP/1.1\r\nHost: {site.netloc}\r\n\r\n".encode())
            assert conn.recv(65536).startswith(b"HTTP/1.1 200")
            # the handler now waits for the connection's next request: close with a reset (linger 0)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        time.sleep(0.5)  # the handler thread reads the reset
        assert httpx.get(site.feed_url(outlet.id)).status_code == 200  # still serving
    assert "Traceback" not in capsys.readouterr().err
