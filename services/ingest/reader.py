"""Reading one feed once: fetch it (with the validators of the read before), tell an unchanged
body from a changed one, parse it and pick the entries not published before.

Guarantees: ``FeedReader.read`` writes nothing to the state (it only asks what was seen) and
never raises for a feed's own faults: a fetch error or an unusable body is a ``FeedRead`` of that
kind, for the caller to schedule. Every entry among the first ``ingest_max_items_per_feed`` of a
changed body is either returned as new, in feed order and each link once, or counted (a
duplicate, or unusable and logged), or, when its canonical URL is in ``in_flight`` (taken by an
earlier read whose stories are still being built), left out uncounted: that read counts it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum

import feedparser

from .feeds import Feed
from .fetch import FetchError, FetchResult, HttpStatusError
from .items import DUPLICATE, NewItem, SkipKind, SkippedItem, identify
from .metrics import IngestMetrics
from .prescan import prescan
from .settings import IngestSettings
from .state import IngestState
from .stats import CycleStats

log = logging.getLogger("services.ingest.service")  # the service's logger, as before the split

Get = Callable[..., Awaitable[FetchResult]]


class ReadKind(Enum):
    CHANGED = "changed"  # a new body, parsed: ``items`` are its new entries (maybe none)
    NOT_MODIFIED = "not_modified"  # HTTP 304
    UNCHANGED = "unchanged"  # the same body as the read before (a server that ignores validators)
    FETCH_FAILED = "fetch_failed"  # ``error`` says why
    UNPARSEABLE = "unparseable"  # no entries and a parse error: ``message`` says which


@dataclass
class FeedRead:
    """One read of a feed: what came back and, for a changed body, its new entries."""

    kind: ReadKind
    started: float  # wall-clock time the read began: the next read is due an interval after it
    res: FetchResult | None = None
    items: list[NewItem] = field(default_factory=list)
    body_hash: str | None = None
    ttl_s: float | None = None  # the feed's RSS <ttl>, in seconds
    error: FetchError | None = None
    message: str = ""


@dataclass(frozen=True)
class Validators:
    """What a read asks "changed since?" with: the last response's validators and body hash."""

    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None

    def headers(self) -> dict[str, str]:
        out = {}
        if self.etag:
            out["If-None-Match"] = self.etag
        if self.last_modified:
            out["If-Modified-Since"] = self.last_modified
        return out

    @classmethod
    def of(cls, read: FeedRead) -> Validators:
        """The validators the response of ``read`` (a changed body) gives the next read."""
        headers = read.res.headers if read.res is not None else {}
        return cls(headers.get("etag"), headers.get("last-modified"), read.body_hash)


class FeedReader:
    def __init__(self, settings: IngestSettings, state: IngestState, metrics: IngestMetrics, get: Get) -> None:
        self.settings = settings
        self.state = state
        self.metrics = metrics
        self.get = get  # the service's rate-limited fetch

    async def read(self, feed: Feed, url: str, known: Validators, stats: CycleStats,
                   in_flight: frozenset[str] = frozenset()) -> FeedRead:
        """Read the feed at ``url`` once; ``stats`` gets its counts (``feeds_not_modified`` and the
        like, items seen and skipped), the polls metric its outcome unless the body changed (the
        caller counts that one once the new items were published)."""
        started, t0 = time.time(), time.monotonic()
        try:
            res = await self.get(url, self.settings.ingest_max_feed_bytes, known.headers(), accept=(200, 304))
        except FetchError as exc:
            self.metrics.fetch_duration.labels(kind="feed").observe(time.monotonic() - t0)
            outcome = exc.kind if not isinstance(exc, HttpStatusError) else f"http_{exc.status}"
            self.metrics.polls.labels(feed=feed.id, outcome=_bounded_outcome(outcome)).inc()
            log.warning("feed %s: %s", feed.id, exc)
            return FeedRead(ReadKind.FETCH_FAILED, started, error=exc)
        self.metrics.fetch_duration.labels(kind="feed").observe(res.elapsed_s)
        self.metrics.fetch_bytes.labels(kind="feed").inc(len(res.body))
        if res.status == 304:
            self.metrics.polls.labels(feed=feed.id, outcome="not_modified").inc()
            stats.feeds_not_modified += 1
            return FeedRead(ReadKind.NOT_MODIFIED, started, res)
        body_hash = hashlib.sha256(res.body).hexdigest()
        if known.body_hash == body_hash:
            # Many servers ignore validators; an identical body costs a hash, not a parse.
            self.metrics.polls.labels(feed=feed.id, outcome="unchanged").inc()
            stats.feeds_unchanged += 1
            return FeedRead(ReadKind.UNCHANGED, started, res)
        body = await self._without_published(feed, url, res.body, stats, in_flight)
        ctype = res.headers.get("content-type", "") if body is res.body else "application/rss+xml; charset=utf-8"
        parsed = await asyncio.to_thread(feedparser.parse, body, response_headers={"content-type": ctype})
        entries = parsed.get("entries") or []
        if parsed.get("bozo"):
            reason = type(parsed.get("bozo_exception")).__name__
            self.metrics.bozo.labels(feed=feed.id, reason=reason).inc()
            if not entries:
                self.metrics.polls.labels(feed=feed.id, outcome="parse_error").inc()
                msg = f"unparseable feed: {reason}: {parsed.get('bozo_exception')}"
                log.warning("feed %s: %s", feed.id, msg)
                return FeedRead(ReadKind.UNPARSEABLE, started, res, message=msg)
            log.info("feed %s: malformed but usable (%s)", feed.id, reason)
        items = await self._new_items(feed, entries[: self.settings.ingest_max_items_per_feed], stats, in_flight)
        ttl = parsed.get("feed", {}).get("ttl")
        ttl_s = float(ttl) * 60 if isinstance(ttl, str) and ttl.strip().isdigit() else None
        return FeedRead(ReadKind.CHANGED, started, res, items, body_hash, ttl_s)

    async def _without_published(self, feed: Feed, url: str, body: bytes, stats: CycleStats,
                                 in_flight: frozenset[str]) -> bytes:
        """The feed body without the RSS items whose link was published before (counted as the
        duplicates they are) or is in flight (not counted), so that feedparser reads only the rest;
        the body itself when ``prescan`` cannot say (not plain RSS 2.0) or nothing is left out."""
        scan = await asyncio.to_thread(prescan, body, url, self.settings.ingest_max_items_per_feed)
        if scan is None:
            return body
        canon = scan.canonical_links()
        seen_urls, _ = await asyncio.to_thread(self.state.seen_many, list(canon.values()), [])
        drop = {i for i, c in canon.items() if c in seen_urls}
        stats.items_seen += len(drop)
        stats.duplicates_dropped += len(drop)
        self.metrics.items.labels(feed=feed.id, result=SkipKind.DUPLICATE.value).inc(len(drop))
        drop |= {i for i, c in canon.items() if c in in_flight}
        return await asyncio.to_thread(scan.without, drop) if drop or scan.total > len(scan.items) else body

    async def _new_items(self, feed: Feed, entries: list, stats: CycleStats,
                         in_flight: frozenset[str]) -> list[NewItem]:
        """The entries not published before nor in flight, in feed order, each link once (the page's
        seen lookups in one database call); every other one but those in flight is counted, and
        logged when unusable."""
        items = [identify(feed, entry) for entry in entries]
        items = [i for i in items if not (isinstance(i, NewItem) and i.canonical_url in in_flight)]
        fresh = [i for i in items if isinstance(i, NewItem)]
        seen_urls, seen_guids = await asyncio.to_thread(
            self.state.seen_many, [i.canonical_url for i in fresh], [i.guid_key for i in fresh if i.guid_key])
        new: dict[str, NewItem] = {}  # by canonical URL, in feed order
        stats.items_seen += len(items)
        for item in items:
            cand: NewItem | SkippedItem = item
            if isinstance(item, NewItem) and (item.canonical_url in seen_urls or item.canonical_url in new
                                              or item.guid_key in seen_guids):
                cand = DUPLICATE  # published before, or the same link earlier in this page
            if isinstance(cand, NewItem):
                new[cand.canonical_url] = cand
                continue
            self.metrics.items.labels(feed=feed.id, result=cand.kind.value).inc()
            if cand.kind is SkipKind.DUPLICATE:
                stats.duplicates_dropped += 1
            else:
                stats.items_unusable += 1
                log.info("feed %s: item skipped: %s", feed.id, cand.reason)
        return list(new.values())


_OUTCOMES = {"timeout", "too_large", "too_many_redirects", "blocked_address", "connect", "bad_url", "http_304",
             "http_404", "http_410", "http_429", "http_500", "http_502", "http_503", "http_403", "http_401"}


def _bounded_outcome(outcome: str) -> str:
    if outcome in _OUTCOMES:
        return outcome
    return "http_other" if outcome.startswith("http_") else "error"
