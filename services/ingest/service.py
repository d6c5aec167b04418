"""The ingest loop: claim due feeds, poll them concurrently, fetch new articles, dedup, publish.

A story is remembered as seen only after the broker acknowledged it, and a feed's validators
are stored only after all of its stories were acknowledged: a crash anywhere re-polls and
re-publishes (the story id is deterministic, so downstream stays idempotent), never skips.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from services.common.contracts import Story
from services.common.kafka import Publisher
from services.common.language import detect_language

from . import dedup, schedule
from .article import NoArticleText, bound_text, decode_html, extract_article
from .feeds import Feed
from .fetch import Fetcher, FetchError
from .items import Candidate, NewItem, entry_time, html_to_text
from .metrics import IngestMetrics
from .publish import Delivery, StoryPublisher
from .reader import FeedRead, FeedReader, ReadKind, Validators
from .robots import RobotsCache
from .settings import IngestSettings
from .state import FeedState, FeedValidators, IngestState, PollFailed, PollSucceeded
from .stats import CycleStats
from .urls import story_id_for

log = logging.getLogger(__name__)

__all__ = ["CycleStats", "IngestService"]  # CycleStats lives in .stats; callers import it from here too


class IngestService:
    def __init__(self, settings: IngestSettings, feeds: list[Feed], publisher: Publisher, state: IngestState,
                 metrics: IngestMetrics, health=None, fetcher: Fetcher | None = None) -> None:
        self.settings = settings
        self.feeds = {f.id: f for f in feeds}
        self.publisher = publisher
        self.state = state
        self.metrics = metrics
        self.health = health
        self.fetcher = fetcher or Fetcher.for_settings(settings)
        self.robots = RobotsCache(self.fetcher, settings.ingest_user_agent) if settings.ingest_respect_robots else None
        # the replica's name plus this incarnation: a restart can tell its predecessor's leases
        replica = settings.ingest_replica_id or socket.gethostname()
        self.owner = f"{replica}#{uuid.uuid4().hex[:8]}"
        self._global = asyncio.Semaphore(settings.ingest_concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self.stories = StoryPublisher(settings, publisher, state, metrics)
        self.reader = FeedReader(settings, state, metrics, self._limited_get)
        self._stop: threading.Event | None = None  # set by ``run``: a stop leaves new items for later
        self.totals = CycleStats()
        state.sync_feeds(feeds)
        metrics.start_feeds(self.feeds)
        if freed := state.release_predecessors(replica, self.owner):
            log.warning("took back %d feed lease(s) a dead predecessor of replica %s held", len(freed), replica)
        self._refresh_parked_gauge()

    async def aclose(self) -> None:
        await self.fetcher.aclose()

    # -- scheduling ------------------------------------------------------------------------------

    async def run_cycle(self, force: bool = False) -> CycleStats:
        """Poll every due feed once (every feed, with ``force``) and wait for all of them.

        Feeds are claimed in batches, so that replicas started together share the work, and a
        replica that dies mid-cycle strands at most one batch until its leases expire."""
        remaining = list(self.feeds)
        stats = CycleStats()
        while remaining:
            claimed = await self._claim(remaining, self.settings.ingest_claim_batch, force)
            if not claimed:
                break
            done = set(claimed)
            remaining = [f for f in remaining if f not in done]
            stats.add(await self._poll_batch(claimed))
        return stats

    async def _claim(self, feed_ids: list[str], limit: int, force: bool = False) -> list[str]:
        return await asyncio.to_thread(self.state.claim_due, self.owner, self._lease_s(), limit, None, feed_ids,
                                       force)

    async def _poll_batch(self, claimed: list[str]) -> CycleStats:
        """Poll the feeds claimed together, concurrently; their summed counts, added to ``totals``."""
        started = time.monotonic()
        polls = [asyncio.ensure_future(self._poll_guarded(self.feeds[f])) for f in claimed]
        await asyncio.gather(*polls)
        return self._cycle_done(started, polls)

    def _cycle_done(self, started: float, polls: list[asyncio.Task]) -> CycleStats:
        stats = CycleStats()
        for poll in polls:
            stats.add(poll.result())
        self.totals.add(stats)
        self.metrics.cycle_duration.observe(time.monotonic() - started)
        self._refresh_parked_gauge()
        return stats

    async def run(self, stop: threading.Event, tick_s: float = 1.0,
                  on_cycle: Callable[[CycleStats], None] | None = None) -> None:
        """Poll feeds until ``stop`` is set, each as soon as it is due and not being polled already.

        The feeds claimed together are one cycle, reported to ``on_cycle`` when all of them are
        done; but each feed is polled on its own, so a feed done and due again is claimed at once,
        while another feed is still fetching a burst of articles: no feed's poll waits for another's;
        and a feed whose own burst is still being fetched is read again within its poll when due
        (``_deliver``), so its next items do not wait for that burst either.
        At most ``ingest_claim_batch`` feeds are in flight in one replica (replicas still share the
        work). A stop is seen within 0.1 s between polls and within one article fetch during one:
        the items not yet fetched are left for the next start; ``run`` returns once every poll in
        flight ended. Between claims it waits until the earliest feed no lease holds is due
        (``schedule.idle_s``), or a poll ends."""
        self._stop = stop
        polling: dict[str, asyncio.Task] = {}  # feed id -> its poll in flight
        cycles: list[tuple[float, list[asyncio.Task]]] = []  # (started, polls) of each cycle not yet reported
        try:
            while not stop.is_set():
                if self.health:
                    self.health.beat("ingest")
                polling = {f: t for f, t in polling.items() if not t.done()}
                for cycle in [c for c in cycles if all(t.done() for t in c[1])]:
                    cycles.remove(cycle)
                    stats = self._cycle_done(*cycle)
                    if on_cycle is not None:
                        on_cycle(stats)
                idle = [f for f in self.feeds if f not in polling]
                room = self.settings.ingest_claim_batch - len(polling)
                claimed = await self._claim(idle, room) if idle and room > 0 else []
                if claimed:
                    polls = [asyncio.ensure_future(self._poll_guarded(self.feeds[f])) for f in claimed]
                    polling.update(zip(claimed, polls, strict=True))
                    cycles.append((time.monotonic(), polls))
                # with no room, the next claim waits for a poll to end (below), not for a feed to be due
                due = await asyncio.to_thread(self.state.next_due_at, idle, time.time()) if room > len(claimed) else None
                deadline = time.monotonic() + schedule.idle_s(due, time.time(), tick_s)
                while not stop.is_set() and time.monotonic() < deadline and not any(t.done() for t in polling.values()):
                    await asyncio.sleep(min(0.05, tick_s))
        finally:
            await asyncio.gather(*polling.values(), return_exceptions=True)
            for cycle in cycles:
                if all(not t.cancelled() and t.exception() is None for t in cycle[1]):
                    stats = self._cycle_done(*cycle)
                    if on_cycle is not None:
                        on_cycle(stats)

    def _refresh_parked_gauge(self) -> None:
        self.metrics.parked.set(sum(1 for f in self.state.all_feeds() if f.parked_reason and f.feed_id in self.feeds))

    def _host_semaphore(self, url: str) -> asyncio.Semaphore:
        host = urlsplit(url).hostname or ""
        if host not in self._hosts:
            self._hosts[host] = asyncio.Semaphore(self.settings.ingest_per_host_concurrency)
        return self._hosts[host]

    async def _limited_get(self, url: str, max_bytes: int, headers=None, accept=(200,)):
        async with self._global, self._host_semaphore(url):
            return await self.fetcher.get(url, max_bytes=max_bytes, headers=headers, accept_status=accept)

    async def _article_get(self, url: str):
        """The article page, or None when the service began stopping while it waited for its turn."""
        async with self._global, self._host_semaphore(url):
            if self._stopping():
                return None
            return await self.fetcher.get(url, max_bytes=self.settings.ingest_max_page_bytes, accept_status=(200,))

    # -- one feed --------------------------------------------------------------------------------

    async def _poll_guarded(self, feed: Feed) -> CycleStats:
        try:
            return await self.poll_feed(feed)
        except Exception as exc:  # a bug on one feed must not stop the others; it is logged and counted
            log.exception("feed %s: unexpected error", feed.id)
            self.metrics.polls.labels(feed=feed.id, outcome="internal_error").inc()
            st = self.state.feed(feed.id)
            self._failed(feed, st, f"internal error: {type(exc).__name__}: {exc}")
            return CycleStats(feeds_polled=1, feeds_failed=1)

    async def poll_feed(self, feed: Feed) -> CycleStats:
        """Read the feed and publish its new items (``_deliver``: reading it again whenever it is due
        meanwhile), then schedule the next poll and give the lease back."""
        st = self.state.feed(feed.id)
        stats = CycleStats(feeds_polled=1)
        url = st.url if st and st.url else feed.url
        known = Validators(st.etag, st.last_modified, st.body_hash) if st else Validators()
        read = await self.reader.read(feed, url, known, stats)
        if read.kind is not ReadKind.CHANGED:
            self._not_changed(feed, st, read, stats)
            return stats
        last, published, interrupted = await self._deliver(feed, st, url, read, stats)
        if not published:
            stats.feeds_failed = 1
            self._failed(feed, st, "publish failed")
            return stats
        if interrupted:  # the rest of the items stay new: no validators kept, due again at once
            self.state.release(feed.id, self.owner, PollSucceeded(
                polled_at=time.time(), interval_s=(st.interval_s if st else None) or feed.interval_s
                or self.settings.ingest_poll_interval_s, next_poll_at=time.time(), validators=None, moved_to=None))
            return stats
        assert last.res is not None
        self._succeeded(feed, st, last.res, last.started, changed=True, new_url=last.res.permanent_redirect_to,
                        body_hash=last.body_hash, ttl_s=last.ttl_s)
        return stats

    def _not_changed(self, feed: Feed, st: FeedState | None, read: FeedRead, stats: CycleStats) -> None:
        """Schedule a poll whose read found no new body: failed, not modified, unchanged or unparseable."""
        if read.kind is ReadKind.FETCH_FAILED:
            assert read.error is not None
            park = "gone (HTTP 410)" if read.error.status == 410 else None
            self._failed(feed, st, str(read.error), retry_after_s=read.error.retry_after_s, park=park)
            stats.feeds_failed = 1
        elif read.kind is ReadKind.UNPARSEABLE:
            failures = (st.parse_failures if st else 0) + 1
            park = f"{failures} consecutive parse failures: {read.message}" \
                if failures >= schedule.PARK_AFTER_PARSE_FAILURES else None
            self._failed(feed, st, read.message, park=park, parse_failures=failures)
            stats.feeds_failed = 1
        else:
            assert read.res is not None
            self._succeeded(feed, st, read.res, read.started, changed=False, new_url=read.res.permanent_redirect_to)

    async def _deliver(self, feed: Feed, st: FeedState | None, url: str, read: FeedRead,
                       stats: CycleStats) -> tuple[FeedRead, bool, bool]:
        """Build and publish the new items of ``read`` and, while that goes on, read the feed again
        each time it is due (an interval after the last read began) and deliver what is new then
        too, leaving out the items still in flight: a burst of article fetches no longer holds the
        feed's next poll. The lease is held throughout; no read starts once a delivery failed, the
        service is stopping, or half the lease has gone. Returns the last read with a changed
        body (whose validators the next poll asks with), whether every delivery was published
        and whether a stop left items unbuilt."""
        interval = (st.interval_s if st else None) or feed.interval_s or self.settings.ingest_poll_interval_s
        reads_until = time.monotonic() + self._lease_s() / 2
        deliveries: list[tuple[FeedRead, asyncio.Task]] = []
        last, next_at = read, read.started + schedule.jitter(interval)

        def start(r: FeedRead) -> None:
            deliveries.append((r, asyncio.ensure_future(self._build_and_publish(feed, r.items, stats))))

        start(read)
        while pending := [t for _, t in deliveries if not t.done()]:
            await asyncio.wait(pending, timeout=None if next_at == float("inf") else max(0.0, next_at - time.time()))
            failed = any(t.done() and (t.cancelled() or t.exception() is not None or not t.result().published)
                         for _, t in deliveries)
            if failed or self._stopping() or time.monotonic() > reads_until:
                next_at = float("inf")  # no more reads: wait for the deliveries in flight
            elif time.time() >= next_at and any(not t.done() for _, t in deliveries):
                in_flight = frozenset(i.canonical_url for r, t in deliveries if not t.done() for i in r.items)
                again = await self.reader.read(feed, url, Validators.of(last), stats, in_flight)
                next_at = again.started + schedule.jitter(interval)
                if again.kind is ReadKind.CHANGED:
                    last = again
                    start(again)
        outcomes = [(r, t.result()) for r, t in deliveries]  # a build error escapes here, as before
        for _, done in outcomes:
            if done.published:
                self.metrics.polls.labels(feed=feed.id, outcome="new" if done.built else "no_new_items").inc()
        published = all(done.published for _, done in outcomes)
        interrupted = self._stopping() and any(done.built < len(r.items) for r, done in outcomes)
        return last, published, interrupted

    def _lease_s(self) -> float:
        return self.settings.ingest_total_timeout_s * 4 + 60

    async def _build_and_publish(self, feed: Feed, items: list[NewItem], stats: CycleStats) -> Delivery:
        """Build the items' stories concurrently and publish them in feed order as soon as they are
        built: each publish, once it holds its turn, takes the next story in feed order and every
        story after it already built, at most ``ingest_publish_chunk``, so a story waits neither for
        its page's last article nor for a chunk to fill, while stories built during a wait for the
        broker go out together. Returns whether every publish was acknowledged and how many stories
        were built. After a failed publish the rest is cancelled and stays new."""
        tasks = [asyncio.ensure_future(self._build_story(feed, i.entry, i.link, i.canonical_url)) for i in items]
        chunk, built, start = self.settings.ingest_publish_chunk, 0, 0

        def take() -> list[Candidate]:
            nonlocal start, built
            end = start + 1
            while end < len(tasks) and end - start < chunk and tasks[end].done():
                end += 1
            stories = [c for c in (t.result() for t in tasks[start:end]) if c is not None]
            start = end
            built += len(stories)
            stats.feed_text_fallbacks += sum(1 for c in stories if c.story.text_source == "feed")
            return stories

        try:
            while start < len(tasks):
                await tasks[start]
                if await self.stories.publish(feed, take, stats) is None:
                    return Delivery(published=False, built=built)
            return Delivery(published=True, built=built)
        finally:
            for t in tasks:
                t.cancel()  # only those not done: after a failure, or an error building one story
            await asyncio.gather(*tasks, return_exceptions=True)

    def _stopping(self) -> bool:
        return self._stop is not None and self._stop.is_set()

    async def _build_story(self, feed: Feed, entry, link: str | None, canon: str) -> Candidate | None:
        """The story of one new item, or None when the service is stopping (the item stays new)."""
        if self._stopping():
            return None
        first_seen = datetime.now(UTC)  # the item is new in its feed: the end-to-end latency starts here
        title = html_to_text(entry.get("title", ""))
        summary = html_to_text(entry.get("summary", ""))
        feed_time = entry_time(entry)
        text, source, author, page_time, language = "", "feed", None, None, None
        t0 = time.monotonic()
        try:
            if link is None:
                raise NoArticleText("no_link", "the item has no link")
            if self.robots is not None and not await self.robots.allowed(link):
                raise NoArticleText("robots", "robots.txt disallows fetching it")
            res = await self._article_get(link)
            if res is None:
                return None
            self.metrics.fetch_duration.labels(kind="article").observe(res.elapsed_s)
            self.metrics.fetch_bytes.labels(kind="article").inc(len(res.body))
            html = decode_html(res.body, res.headers.get("content-type"))
            art = await asyncio.to_thread(extract_article, html, res.url)
            text, source, author, page_time, language = art.text, "article", art.author, art.published_at, art.language
            title = title or art.title
        except FetchError as exc:
            self.metrics.fetch_duration.labels(kind="article").observe(time.monotonic() - t0)
            self.metrics.extraction_failures.labels(reason=f"fetch_{exc.kind}").inc()
            log.warning("feed %s: article %s not fetched (%s); publishing the feed's text", feed.id, link, exc)
        except NoArticleText as exc:
            self.metrics.extraction_failures.labels(reason=exc.reason).inc()
            log.debug("feed %s: no article text at %s (%s); publishing the feed's text", feed.id, link, exc)
        if source == "feed":
            text = summary
            language = detect_language(f"{title}. {summary}") or feed.language
        bounded = bound_text(text, self.settings.story_max_text_chars)  # a story must fit in one message
        text = bounded.text
        body_for_hash = text or f"{title}\n{summary}"
        normalised = dedup.normalise_text(body_for_hash)  # one pass serves the hash and the fingerprint
        guid = entry.get("id")
        story = Story(
            story_id=story_id_for(canon),
            url=link or canon,
            canonical_url=canon,
            feed_id=feed.id,
            outlet=feed.outlet,
            title=title,
            text=text,
            summary=summary,
            author=author,
            language=language or feed.language,
            published_at=feed_time or page_time,
            fetched_at=datetime.now(UTC),
            first_seen_at=first_seen,
            guid=guid,
            text_source=source,
            text_truncated=bounded.truncated,
            text_original_chars=bounded.original_chars,
            content_hash=dedup.content_hash(body_for_hash, normalised),
        )
        return Candidate(story=story, guid_key=f"{feed.id}:{guid}" if guid else None,
                          fingerprint=dedup.fingerprint(body_for_hash, normalised))

    def _succeeded(self, feed: Feed, st: FeedState | None, res, started: float, *, changed: bool,
                   new_url: str | None = None, body_hash: str | None = None, ttl_s: float | None = None) -> None:
        """Schedule the next poll from how the feed behaved and the server's hints, ``interval`` after
        this poll ``started`` (so a poll that spent long fetching a burst of articles is followed at
        once, not a whole interval later: items published meanwhile wait at most one interval, give
        or take the jitter); give the lease back."""
        s = self.settings
        now = time.time()
        hint = schedule.max_age_s(res.headers.get("cache-control"))
        if ttl_s:
            hint = max(hint or 0, ttl_s)
        interval = schedule.next_interval(st.interval_s if st else None, feed.interval_s or s.ingest_poll_interval_s,
                                          changed, minimum=s.ingest_min_interval_s, maximum=s.ingest_max_interval_s,
                                          server_hint_s=hint)
        self.metrics.last_success.labels(feed=feed.id).set(now)
        validators = FeedValidators(res.headers.get("etag"), res.headers.get("last-modified"), body_hash) \
            if res.status == 200 else None
        if new_url:
            log.info("feed %s moved permanently to %s", feed.id, new_url)
        self.state.release(feed.id, self.owner, PollSucceeded(
            polled_at=now, interval_s=interval, next_poll_at=started + schedule.jitter(interval),
            validators=validators, moved_to=new_url))

    def _failed(self, feed: Feed, st: FeedState | None, error: str, *, retry_after_s: float | None = None,
                park: str | None = None, parse_failures: int | None = None) -> None:
        """Back off (or park the feed, to be retried rarely) and give the lease back."""
        s = self.settings
        now = time.time()
        errors = (st.consecutive_errors if st else 0) + 1
        if park:
            log.warning("feed %s parked: %s", feed.id, park)
            delay = schedule.PARKED_RETRY_S
        else:
            base = feed.interval_s or s.ingest_poll_interval_s
            delay = schedule.backoff(errors, max(base / 4, s.ingest_min_interval_s), s.ingest_max_interval_s,
                                     retry_after_s)
        self.state.release(feed.id, self.owner, PollFailed(
            polled_at=now, next_poll_at=now + delay, consecutive_errors=errors, error=error,
            parked_reason=park or (st.parked_reason if st else None), parse_failures=parse_failures))
