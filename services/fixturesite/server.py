"""A local news site: RSS feeds of several outlets and their article pages, over real HTTP.

Pages carry realistic boilerplate (navigation, a cookie notice, related links, a footer) so that
ingest exercises the real fetch -> decode -> extract path. Feeds answer conditional GETs
(ETag / If-None-Match, Last-Modified / If-Modified-Since) like a well-behaved server.
Content sets: the demo set that ships in ``demo/articles.yaml`` and, for tests, the real seed
articles read at run time from ``../shared/seeds`` (see ``seeds.py``).
"""

from __future__ import annotations

import hashlib
import html
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

DEMO_FILE = Path(__file__).with_name("demo") / "articles.yaml"


class QuietServer(ThreadingHTTPServer):
    """A client that hangs up is no error: with keep-alive a handler waits for the next request, and a
    client that goes away (ingest stopping, a process killed) resets the connection while it reads."""

    daemon_threads = True

    def handle_error(self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):  # reset, broken pipe, aborted
            return
        super().handle_error(request, client_address)


@dataclass
class Article:
    outlet: str
    slug: str
    title: str
    published: datetime
    body: list[str]
    author: str | None = None


@dataclass
class Outlet:
    id: str
    name: str
    language: str = "en"


@dataclass
class ContentSet:
    outlets: list[Outlet]
    articles: list[Article] = field(default_factory=list)

    def for_outlet(self, outlet_id: str) -> list[Article]:
        return sorted((a for a in self.articles if a.outlet == outlet_id), key=lambda a: a.published, reverse=True)


def load_demo(path: Path = DEMO_FILE) -> ContentSet:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    outlets = [Outlet(**o) for o in data["outlets"]]
    articles = [Article(outlet=a["outlet"], slug=a["slug"], title=a["title"],
                        published=datetime.fromisoformat(a["published"].replace("Z", "+00:00")),
                        body=list(a["body"]), author=a.get("author")) for a in data["articles"]]
    return ContentSet(outlets, articles)


def render_page(outlet: Outlet, article: Article, others: list[Article]) -> str:
    e = html.escape
    paragraphs = "\n".join(f"      <p>{e(p)}</p>" for p in article.body)
    related = "\n".join(f'        <li><a href="/{o.outlet}/{o.slug}.html">{e(o.title)}</a></li>' for o in others[:4])
    return f"""<!DOCTYPE html>
<html lang="{outlet.language}">
<head>
  <meta charset="utf-8">
  <title>{e(article.title)} | {e(outlet.name)}</title>
  <meta name="author" content="{e(article.author or outlet.name)}">
  <meta property="og:title" content="{e(article.title)}">
  <meta property="og:site_name" content="{e(outlet.name)}">
  <meta property="article:published_time" content="{article.published.isoformat()}">
</head>
<body>
  <div class="cookie-banner">We use cookies to improve your experience. <a href="/privacy">Learn more</a></div>
  <header>
    <a class="logo" href="/{outlet.id}/">{e(outlet.name)}</a>
    <nav><ul><li><a href="/{outlet.id}/">Home</a></li><li><a href="/{outlet.id}/afghanistan">Afghanistan</a></li>
      <li><a href="/{outlet.id}/world">World</a></li><li><a href="/{outlet.id}/opinion">Opinion</a></li>
      <li><a href="/{outlet.id}/video">Video</a></li></ul></nav>
  </header>
  <main>
    <article>
      <h1>{e(article.title)}</h1>
      <div class="byline">By {e(article.author or outlet.name)} &middot;
        <time datetime="{article.published.isoformat()}">{article.published.strftime('%d %B %Y')}</time></div>
{paragraphs}
    </article>
    <aside class="related">
      <h2>Related stories</h2>
      <ul>
{related}
      </ul>
    </aside>
    <div class="share">Share this story: <a href="#">Facebook</a> <a href="#">X</a> <a href="#">WhatsApp</a></div>
  </main>
  <footer>
    <p>&copy; {article.published.year} {e(outlet.name)}. All rights reserved.</p>
    <ul><li><a href="/about">About us</a></li><li><a href="/contact">Contact</a></li>
      <li><a href="/privacy">Privacy policy</a></li><li><a href="/terms">Terms of use</a></li></ul>
  </footer>
</body>
</html>
"""


def render_feed(base_url: str, outlet: Outlet, articles: list[Article]) -> str:
    e = html.escape
    items = []
    for a in articles:
        link = f"{base_url}/{outlet.id}/{a.slug}.html"
        items.append(f"""    <item>
      <title>{e(a.title)}</title>
      <link>{e(link)}</link>
      <guid isPermaLink="false">{outlet.id}-{a.slug}</guid>
      <pubDate>{format_datetime(a.published)}</pubDate>
      <description>{e(a.body[0])}</description>
    </item>""")
    newest = max((a.published for a in articles), default=None)
    build = f"\n    <lastBuildDate>{format_datetime(newest)}</lastBuildDate>" if newest else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
  <channel>
    <title>{e(outlet.name)}</title>
    <link>{base_url}/{outlet.id}/</link>
    <description>Latest news from {e(outlet.name)}</description>
    <language>{outlet.language}</language>{build}
{chr(10).join(items)}
  </channel>
</rss>
"""


Route = Callable[[BaseHTTPRequestHandler], None]


class FixtureSite:
    """Serves a ContentSet on 127.0.0.1:<free port> from a background thread.

    ``routes`` maps extra paths to handlers, for tests that need a misbehaving server.
    ``hits`` counts requests per path and ``requests`` keeps the request headers, so tests can
    check what ingest sent (validators, User-Agent).
    """

    def __init__(self, content: ContentSet | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.content = content or ContentSet([])
        self.routes: dict[str, Route] = {}
        self.hits: dict[str, int] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args) -> None:  # quiet: tests and `run` print their own progress
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                path = self.path.split("?", 1)[0]
                with site._lock:
                    site.hits[path] = site.hits.get(path, 0) + 1
                    site.requests.append((path, dict(self.headers.items())))
                try:
                    if path in site.routes:
                        site.routes[path](self)
                    else:
                        site._serve_content(self, path)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = QuietServer((host, port), Handler)
        self.thread: threading.Thread | None = None

    @property
    def netloc(self) -> str:
        """``host:port`` of the site: the one entry ingest's allow-list needs to fetch from it."""
        host, port = self.server.socket.getsockname()[:2]
        return f"{host}:{port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.netloc}"

    def feed_url(self, outlet_id: str) -> str:
        return f"{self.base_url}/{outlet_id}/feed.xml"

    def article_url(self, article: Article) -> str:
        return f"{self.base_url}/{article.outlet}/{article.slug}.html"

    def start(self) -> FixtureSite:
        self.thread = threading.Thread(target=self.server.serve_forever, name="fixture-site", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FixtureSite:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- content -------------------------------------------------------------------------------

    def _serve_content(self, h: BaseHTTPRequestHandler, path: str) -> None:
        parts = [p for p in path.split("/") if p]
        outlets = {o.id: o for o in self.content.outlets}
        if len(parts) == 2 and parts[0] in outlets:
            outlet = outlets[parts[0]]
            if parts[1] == "feed.xml":
                articles = self.content.for_outlet(outlet.id)
                body = render_feed(self.base_url, outlet, articles).encode("utf-8")
                newest = max((a.published for a in articles), default=None)
                return send(h, 200, body, "application/rss+xml; charset=utf-8", conditional=True,
                            last_modified=newest)
            for a in self.content.for_outlet(outlet.id):
                if parts[1] == f"{a.slug}.html":
                    others = [o for o in self.content.articles if o is not a]
                    body = render_page(outlet, a, others).encode("utf-8")
                    return send(h, 200, body, "text/html; charset=utf-8", conditional=True,
                                last_modified=a.published)
        send(h, 404, b"<html><body><h1>Not found</h1></body></html>", "text/html; charset=utf-8")


def send(h: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str, *, conditional: bool = False,
         last_modified: datetime | None = None, headers: dict[str, str] | None = None) -> None:
    etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    if conditional and h.headers.get("If-None-Match") == etag:
        h.send_response(304)
        h.send_header("ETag", etag)
        h.send_header("Content-Length", "0")
        h.end_headers()
        return
    h.send_response(status)
    h.send_header("Content-Type", content_type)
    h.send_header("Content-Length", str(len(body)))
    if conditional:
        h.send_header("ETag", etag)
        if last_modified:
            h.send_header("Last-Modified", format_datetime(last_modified, usegmt=True))
    for k, v in (headers or {}).items():
        h.send_header(k, v)
    h.end_headers()
    h.wfile.write(body)
