"""A replay of the rss-archive: one RSS feed per outlet publishing the archive's items in time order
on a virtual clock, and an article page per item.

Guarantees: an item is in its feed from the moment the virtual clock passes its publication time
(``appeared_at`` says when that was in real time), newest first, at most ``window`` items per feed;
its link points at this server, whose page carries the item's title and text as HTML, so ingest's
fetch and trafilatura path runs. Everything is served from memory on 127.0.0.1, over HTTP/1.1 with
persistent connections (every response has a Content-Length), as real news sites serve.
"""

from __future__ import annotations

import gzip
import html
import json
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from services.fixturesite import QuietServer

ARCHIVE = Path(__file__).resolve().parents[3] / "shared" / "data" / "rss-archive" / "bbc-cnn-guardian-2021.jsonl.gz"
OUTLETS = {"bbci": "BBC", "cnn": "CNN", "theguardian": "The Guardian"}
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class ArchiveItem:
    index: int  # position in time order: the page is /a/<index>.html
    feed: str  # outlet id, one of OUTLETS
    title: str
    text: str  # the description, as plain paragraphs
    published: datetime
    original_link: str


def _feed_of(source: str) -> str:
    return next((k for k in OUTLETS if k in source), "other")


def _paragraphs(description: str) -> str:
    parts = re.split(r"</p>\s*<p>|<p>|</p>", description)
    clean = [html.unescape(_TAG.sub("", p)).strip() for p in parts]
    return "\n\n".join(p for p in clean if p and not p.startswith("Continue reading"))


def load_items(limit: int | None = None, start: str | None = None, match: str | None = None,
               path: Path = ARCHIVE) -> list[ArchiveItem]:
    """The archive's items in publication order (ties by link), from ``start`` (ISO date), at most
    ``limit``; with ``match``, only those whose title or description the regular expression finds."""
    rows = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            rows.append((datetime.fromisoformat(row["date_published"]), row["link"], row))
    rows.sort(key=lambda r: (r[0], r[1]))
    if start:
        rows = [r for r in rows if r[0].date().isoformat() >= start]
    if match:
        pattern = re.compile(match)
        rows = [r for r in rows if pattern.search(r[2]["title"]) or pattern.search(r[2].get("description") or "")]
    rows = rows[:limit] if limit else rows
    return [ArchiveItem(i, _feed_of(r["source"]), r["title"], _paragraphs(r.get("description") or ""), t, link)
            for i, (t, link, r) in enumerate(rows)]


class VirtualClock:
    """Archive time running ``speed`` times faster than real time from ``start``, once ``go()`` is
    called; ``speed=None`` means every item is published at once."""

    def __init__(self, start: datetime, speed: float | None) -> None:
        self.start, self.speed = start, speed
        self.t0: float | None = None

    def go(self) -> None:
        self.t0 = time.time()

    def real_time_of(self, moment: datetime) -> float:
        """The wall-clock time at which archive time reaches ``moment``."""
        if self.t0 is None:
            return float("inf")
        if self.speed is None:
            return self.t0
        return self.t0 + max(0.0, (moment - self.start).total_seconds()) / self.speed

    def visible(self, moment: datetime) -> bool:
        return time.time() >= self.real_time_of(moment)


class ReplayServer:
    """The feeds ``/feed/<outlet>.xml``, the pages ``/a/<index>.html`` and an allow-all robots.txt."""

    def __init__(self, items: list[ArchiveItem], speed: float | None = None, window: int = 200,
                 port: int = 0) -> None:
        self.items = items
        self.port = port
        self.window = window
        self.clock = VirtualClock(items[0].published if items else datetime.now(), speed)
        self.by_feed: dict[str, list[ArchiveItem]] = {}
        for item in items:
            self.by_feed.setdefault(item.feed, []).append(item)
        self.requests = 0
        self._httpd: ThreadingHTTPServer | None = None

    @property
    def netloc(self) -> str:
        assert self._httpd is not None
        return f"127.0.0.1:{self._httpd.server_address[1]}"

    def feed_url(self, feed: str) -> str:
        return f"http://{self.netloc}/feed/{feed}.xml"

    def page_url(self, item: ArchiveItem) -> str:
        return f"http://{self.netloc}/a/{item.index}.html"

    def appeared_at(self, item: ArchiveItem) -> float:
        return self.clock.real_time_of(item.published)

    def all_visible(self) -> bool:
        return bool(self.items) and self.clock.visible(self.items[-1].published)

    def render_feed(self, feed: str) -> bytes:
        shown = [i for i in self.by_feed.get(feed, []) if self.clock.visible(i.published)][-self.window:]
        entries = "".join(
            f"<item><title>{html.escape(i.title)}</title><link>{self.page_url(i)}</link>"
            f"<guid isPermaLink=\"false\">{html.escape(i.original_link)}</guid>"
            f"<description>{html.escape(i.text)}</description>"
            f"<pubDate>{format_datetime(i.published)}</pubDate></item>" for i in reversed(shown))
        return (f"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>{OUTLETS.get(feed)}"
                f"</title><link>http://{self.netloc}/</link><description>replay</description>{entries}"
                "</channel></rss>").encode()

    def render_page(self, item: ArchiveItem) -> bytes:
        body = "".join(f"<p>{html.escape(p)}</p>" for p in item.text.split("\n\n"))
        return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(item.title)}"
                f"</title><meta property=\"article:published_time\" content=\"{item.published.isoformat()}\">"
                f"</head><body><nav><a href=\"/\">Home</a></nav><article><h1>{html.escape(item.title)}</h1>"
                f"{body}</article><footer>Replay of {OUTLETS.get(item.feed)}</footer></body></html>").encode()

    def _route(self, path: str) -> tuple[int, bytes, str]:
        if path == "/robots.txt":
            return 200, b"User-agent: *\nAllow: /\n", "text/plain"
        if m := re.fullmatch(r"/feed/(\w+)\.xml", path):
            return 200, self.render_feed(m.group(1)), "application/rss+xml; charset=utf-8"
        if (m := re.fullmatch(r"/a/(\d+)\.html", path)) and int(m.group(1)) < len(self.items):
            item = self.items[int(m.group(1))]
            if self.clock.visible(item.published):
                return 200, self.render_page(item), "text/html; charset=utf-8"
        return 404, b"not found", "text/plain"

    def start(self) -> ReplayServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real news sites serve: a client reuses its connections

            def log_message(self, *_args) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                server.requests += 1
                status, body, ctype = server._route(self.path.split("?", 1)[0])
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._httpd = QuietServer(("127.0.0.1", self.port), Handler)  # a killed ingest's reset is no error
        threading.Thread(target=self._httpd.serve_forever, name="replay", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
