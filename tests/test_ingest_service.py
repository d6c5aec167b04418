"""The ingest loop against the local fixture site and a real broker."""

from __future__ import annotations

import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaTimeoutError
from prometheus_client import CollectorRegistry

from services.common.contracts import STORIES_TOPIC, Story
from services.common.kafka import Publisher, make_producer
from services.fixturesite import FixtureSite, load_demo
from services.fixturesite.server import send
from services.ingest import reader as ingest_reader
from services.ingest.feeds import Feed
from services.ingest.items import SkipKind
from services.ingest.metrics import ITEM_RESULTS, IngestMetrics
from services.ingest.service import IngestService
from services.ingest.settings import IngestSettings
from services.ingest.state import IngestState


@pytest.fixture
def site():
    with FixtureSite(load_demo()) as s:
        yield s


def _service(settings: IngestSettings, feeds, state=None, registry=None):
    state = state or IngestState(settings.sqlite_url("ingest"))
    registry = registry or CollectorRegistry()
    pub = Publisher(make_producer(settings, "ingest-test"))
    return IngestService(settings, feeds, pub, state, IngestMetrics(registry)), registry


def _settings(site: FixtureSite, **kw) -> IngestSettings:
    return IngestSettings(ingest_allowed_hosts=(site.netloc,), ingest_total_timeout_s=5,
                          ingest_read_timeout_s=2, **kw)


def _feeds(site) -> list[Feed]:
    return [Feed(id=o.id, url=site.feed_url(o.id), outlet=o.name) for o in site.content.outlets]


def _published(settings) -> list[Story]:
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False)
    tps = [TopicPartition(STORIES_TOPIC, p) for p in range(settings.kafka_partitions)]
    consumer.assign(tps)
    consumer.seek_to_beginning()
    out = []
    for _ in range(5):
        for records in consumer.poll(1000).values():
            out += [Story.from_bytes(r.value) for r in records]
    consumer.close()
    return out


async def test_publishes_every_article_once_and_marks_the_republication(kafka_settings, site):
    settings = _settings(site)
    svc, _ = _service(settings, _feeds(site))
    stats = await svc.run_cycle(force=True)
    await svc.aclose()
    assert stats.stories_published == 7 and stats.near_duplicates == 1
    stories = _published(settings)
    assert len(stories) == 7
    dupes = [s for s in stories if s.duplicate_of]
    assert len(dupes) == 1
    original = next(s for s in stories if s.story_id == dupes[0].duplicate_of)
    assert {original.outlet, dupes[0].outlet} == {"Northern Wire", "Kabul Daily Monitor"}
    for s in stories:
        assert s.text_source == "article" and "cookies" not in s.text and "All rights reserved" not in s.text
        assert s.published_at is not None and s.language == "en"
        # the end-to-end latency starts when the item is first seen, before its page is fetched
        assert s.first_seen_at is not None and s.first_seen_at <= s.fetched_at


async def test_item_counters_start_at_zero_so_the_first_poll_counts_in_a_rate(kafka_settings, site):
    settings = _settings(site)
    svc, registry = _service(settings, _feeds(site))
    value = registry.get_sample_value
    assert {r: value("wirewatch_ingest_items_total", {"feed": "northern-wire", "result": r})
            for r in ITEM_RESULTS} == dict.fromkeys(ITEM_RESULTS, 0.0)  # before any poll
    stats = await svc.run_cycle(force=True)
    await svc.aclose()
    assert stats.stories_published == 7
    assert sum(value("wirewatch_ingest_items_total", {"feed": f.id, "result": "new"}) or 0
               for f in _feeds(site)) == 6  # and the seventh is the near duplicate
    assert {kind.value for kind in SkipKind} <= set(ITEM_RESULTS)


async def test_unchanged_feed_sends_validators_and_is_not_parsed(kafka_settings, site, monkeypatch):
    settings = _settings(site)
    svc, registry = _service(settings, _feeds(site))
    await svc.run_cycle(force=True)
    parsed = []
    real = ingest_reader.feedparser.parse
    monkeypatch.setattr(ingest_reader.feedparser, "parse", lambda *a, **k: parsed.append(1) or real(*a, **k))
    stats = await svc.run_cycle(force=True)
    await svc.aclose()
    assert parsed == [] and stats.feeds_not_modified == 3 and stats.stories_published == 0
    feed_requests = [h for path, h in site.requests if path.endswith("feed.xml")]
    assert all("If-None-Match" in h for h in feed_requests[-3:])
    assert registry.get_sample_value("wirewatch_ingest_polls_total",
                                     {"feed": "northern-wire", "outcome": "not_modified"}) == 1


async def test_identical_body_without_validators_is_not_parsed(kafka_settings, monkeypatch):
    body = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
            b'<item><title>a</title><link>http://127.0.0.1:1/a</link></item></channel></rss>')
    with FixtureSite() as site:
        site.routes["/plain.xml"] = lambda h: send(h, 200, body, "application/rss+xml")  # no ETag
        settings = _settings(site)
        svc, _ = _service(settings, [Feed(id="plain", url=f"{site.base_url}/plain.xml", outlet="P")])
        await svc.run_cycle(force=True)
        monkeypatch.setattr(ingest_reader.feedparser, "parse", lambda *a, **k: pytest.fail("parsed again"))
        stats = await svc.run_cycle(force=True)
        await svc.aclose()
    assert stats.feeds_unchanged == 1


class _RefusingPublisher(Publisher):
    """The real publisher, with the broker refusing every send while ``refuse`` is set."""

    refuse = True

    def send(self, topic: str, key: str, value: bytes) -> None:
        if self.refuse:
            raise KafkaTimeoutError("the broker refused the send (test)")
        super().send(topic, key, value)


async def test_a_refused_publish_leaves_the_items_new_and_the_feed_read_again(kafka_settings, site):
    settings = _settings(site)
    pub = _RefusingPublisher(make_producer(settings, "ingest-test"))
    svc = IngestService(settings, _feeds(site), pub, IngestState(settings.sqlite_url("ingest")),
                        IngestMetrics(CollectorRegistry()))
    refused = await svc.run_cycle(force=True)
    pub.refuse = False
    again = await svc.run_cycle(force=True)  # no validators were kept: the bodies are read again
    await svc.aclose()
    assert refused.stories_published == 0 and refused.feeds_failed == 3
    assert again.stories_published == 7 and again.feeds_not_modified == 0
    assert len(_published(settings)) == 7


async def test_a_restart_does_not_republish(kafka_settings, site):
    settings = _settings(site)
    svc, _ = _service(settings, _feeds(site))
    await svc.run_cycle(force=True)
    await svc.aclose()
    svc.state.close()
    site.routes.clear()
    # a new process: fresh service, same database; feeds answer 200 again (validators forgotten)
    state = IngestState(settings.sqlite_url("ingest"))
    with state.engine.begin() as conn:
        from sqlalchemy import text

        conn.execute(text("UPDATE feeds SET etag = NULL, last_modified = NULL, body_hash = NULL"))
    svc2, _ = _service(settings, _feeds(site), state=state)
    stats = await svc2.run_cycle(force=True)
    await svc2.aclose()
    assert stats.stories_published == 0 and stats.duplicates_dropped == 7
    assert len(_published(settings)) == 7


async def test_broken_feed_and_failing_article_do_not_stop_the_others(kafka_settings, site):
    site.routes["/broken.xml"] = lambda h: send(h, 200, b"<html><body>not a feed", "text/html")
    site.routes["/gone.xml"] = lambda h: send(h, 410, b"gone", "text/plain")
    article = site.content.articles[0]
    site.routes[f"/{article.outlet}/{article.slug}.html"] = lambda h: send(h, 500, b"oops", "text/plain")
    feeds = _feeds(site) + [Feed(id="broken", url=f"{site.base_url}/broken.xml", outlet="B"),
                            Feed(id="gone", url=f"{site.base_url}/gone.xml", outlet="G")]
    settings = _settings(site)
    svc, registry = _service(settings, feeds)
    stats = await svc.run_cycle(force=True)
    await svc.aclose()
    assert stats.feeds_failed == 2 and stats.stories_published == 7
    broken, gone = svc.state.feed("broken"), svc.state.feed("gone")
    assert "unparseable feed" in broken.last_error
    assert gone.parked_reason and "410" in gone.parked_reason
    fallback = [s for s in _published(settings) if s.text_source == "feed"]
    assert len(fallback) == 1 and fallback[0].text  # published from the feed's own summary
    assert registry.get_sample_value("wirewatch_ingest_extraction_failures_total",
                                     {"reason": "fetch_http_status"}) == 1


async def test_429_with_retry_after_delays_that_feed_only(kafka_settings, site):
    site.routes["/busy.xml"] = lambda h: send(h, 429, b"slow down", "text/plain", headers={"Retry-After": "3600"})
    feeds = _feeds(site) + [Feed(id="busy", url=f"{site.base_url}/busy.xml", outlet="Busy")]
    settings = _settings(site, ingest_min_interval_s=1, ingest_poll_interval_s=60)
    svc, registry = _service(settings, feeds)
    import time as _time

    await svc.run_cycle(force=True)
    await svc.aclose()
    now = _time.time()
    busy = svc.state.feed("busy")
    assert busy.next_poll_at - now >= 3500  # the server's Retry-After, not our short backoff
    others = [svc.state.feed(f.id) for f in _feeds(site)]
    assert all(o.next_poll_at - now < 120 for o in others)
    assert registry.get_sample_value("wirewatch_ingest_polls_total", {"feed": "busy", "outcome": "http_429"}) == 1
    # a regular (not forced) cycle leaves the busy feed alone
    hits = site.hits.get("/busy.xml", 0)
    svc2, _ = _service(settings, feeds, state=svc.state)
    await svc2.run_cycle()
    await svc2.aclose()
    assert site.hits.get("/busy.xml", 0) == hits


async def test_robots_txt_is_honoured_for_article_pages(kafka_settings, site):
    site.routes["/robots.txt"] = lambda h: send(h, 200, b"User-agent: *\nDisallow: /hindukush-herald/\n",
                                               "text/plain")
    settings = _settings(site)
    svc, registry = _service(settings, _feeds(site))
    await svc.run_cycle(force=True)
    await svc.aclose()
    herald = [s for s in _published(settings) if s.outlet == "Hindukush Herald"]
    assert herald and all(s.text_source == "feed" for s in herald)
    assert not any(path.startswith("/hindukush-herald/") and path.endswith(".html") for path, _ in site.requests)
    assert registry.get_sample_value("wirewatch_ingest_extraction_failures_total", {"reason": "robots"}) == len(herald)
    assert site.hits["/robots.txt"] == 1  # cached per origin


async def test_repeated_parse_failures_park_the_feed_with_a_reason(kafka_settings, capsys):
    with FixtureSite() as site:
        site.routes["/junk.xml"] = lambda h: send(h, 200, b"<html>no feed here", "text/html")
        feeds = [Feed(id="junk", url=f"{site.base_url}/junk.xml", outlet="Junk")]
        settings = _settings(site)
        svc, registry = _service(settings, feeds)
        from services.ingest.schedule import PARK_AFTER_PARSE_FAILURES

        for i in range(PARK_AFTER_PARSE_FAILURES):
            # a new body each time, so that the unchanged-body shortcut does not hide the failures
            site.routes["/junk.xml"] = (lambda n: lambda h: send(h, 200, b"<html>no feed %d" % n, "text/html"))(i)
            await svc.run_cycle(force=True)
        await svc.aclose()
    st = svc.state.feed("junk")
    assert st.parked_reason and "consecutive parse failures" in st.parked_reason
    assert st.next_poll_at - __import__("time").time() > 3600 * 12  # retried rarely, not never
    assert registry.get_sample_value("wirewatch_ingest_feeds_parked") == 1
    from services.ingest.cli import list_feeds

    feeds_file = settings.data_dir / "feeds.yaml"
    from services.ingest.feeds import dump_feeds

    dump_feeds(feeds, feeds_file)
    list_feeds(feeds_file)
    out = capsys.readouterr().out
    assert "parked" in out and "consecutive parse failures" in out


async def test_a_permanent_redirect_updates_the_stored_feed_url(kafka_settings):
    with FixtureSite() as site:
        body = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
                b"<item><title>x</title><guid>g1</guid><description>d</description></item></channel></rss>")
        site.routes["/old.xml"] = lambda h: send(h, 301, b"", "text/plain", headers={"Location": "/new.xml"})
        site.routes["/new.xml"] = lambda h: send(h, 200, body, "application/rss+xml")
        settings = _settings(site)
        svc, _ = _service(settings, [Feed(id="moved", url=f"{site.base_url}/old.xml", outlet="M")])
        await svc.run_cycle(force=True)
        await svc.run_cycle(force=True)
        await svc.aclose()
        assert svc.state.feed("moved").url == f"{site.base_url}/new.xml"
        assert site.hits["/old.xml"] == 1 and site.hits["/new.xml"] == 2


async def test_brotli_and_gzip_bodies_are_decoded(kafka_settings):
    import gzip as _gzip

    import brotli

    from services.ingest.fetch import Fetcher

    with FixtureSite() as site:
        site.routes["/br"] = lambda h: send(h, 200, brotli.compress(b"hello br"), "text/plain",
                                           headers={"Content-Encoding": "br"})
        site.routes["/gz"] = lambda h: send(h, 200, _gzip.compress(b"hello gz"), "text/plain",
                                           headers={"Content-Encoding": "gzip"})
        f = Fetcher(user_agent="t", allowed_hosts=(site.netloc,))
        assert (await f.get(f"{site.base_url}/br", max_bytes=100)).body == b"hello br"
        assert (await f.get(f"{site.base_url}/gz", max_bytes=100)).body == b"hello gz"
        await f.aclose()


async def test_a_stop_during_a_cycle_leaves_the_unfetched_items_for_the_next_start(kafka_settings, site):
    import threading

    settings = _settings(site, ingest_per_host_concurrency=1, ingest_concurrency=1)
    svc, _ = _service(settings, _feeds(site))
    stop, real = threading.Event(), svc.fetcher.get

    async def fetch_then_stop(url, *args, **kwargs):
        res = await real(url, *args, **kwargs)
        if "feed.xml" not in url and "robots.txt" not in url:
            stop.set()  # SIGTERM arrives while the first article is fetched
        return res

    svc.fetcher.get = fetch_then_stop
    await svc.run(stop)  # returns within one article fetch, not after the whole cycle
    first = {s.story_id for s in _published(settings)}
    assert 0 < len(first) < 7
    svc.state.close()
    # the next start polls the feeds again at once and publishes every item the stop left
    svc2, _ = _service(settings, _feeds(site))
    await svc2.run_cycle()
    await svc2.aclose()
    assert len({s.story_id for s in _published(settings)}) == 7


def _hold_the_third_article(svc, until_seen: int, tries: int) -> list[int]:
    """Make the fetch of the feed's third article wait (0.1 s a try) until ``until_seen`` stories are
    acknowledged; the list gets how many were when it went on."""
    import asyncio

    real, article_fetches, seen_at_last = svc.fetcher.get, [], []

    async def third_waits(url, *args, **kwargs):
        if "feed.xml" not in url and "robots.txt" not in url:
            article_fetches.append(url)
            if len(article_fetches) == 3:
                for _ in range(tries):
                    if svc.state.counts()["seen_urls"] >= until_seen:
                        break
                    await asyncio.sleep(0.1)
                seen_at_last.append(svc.state.counts()["seen_urls"])
        return await real(url, *args, **kwargs)

    svc.fetcher.get = third_waits
    return seen_at_last


async def test_a_chunk_of_a_feed_is_published_before_the_rest_of_its_pages_are_fetched(kafka_settings, site):
    settings = _settings(site, ingest_per_host_concurrency=1, ingest_publish_chunk=1)
    feed = next(f for f in _feeds(site) if f.id == "hindukush-herald")  # three articles
    svc, _ = _service(settings, [feed])
    # the page's last article: the first must be acknowledged by now
    seen_at_last = _hold_the_third_article(svc, until_seen=1, tries=100)
    stats = await svc.run_cycle(force=True)
    await svc.aclose()
    assert stats.stories_published == 3 and seen_at_last and seen_at_last[0] >= 1
    assert len({s.story_id for s in _published(settings)}) == 3


async def test_a_built_story_is_published_without_waiting_for_its_chunk_to_fill(kafka_settings, site):
    settings = _settings(site, ingest_per_host_concurrency=1)  # the default chunk (16) holds the whole page
    feed = next(f for f in _feeds(site) if f.id == "hindukush-herald")  # three articles
    svc, _ = _service(settings, [feed])
    # the page's last article: the first two must be out by now
    seen_at_last = _hold_the_third_article(svc, until_seen=2, tries=50)
    stats = await svc.run_cycle(force=True)
    await svc.aclose()
    assert stats.stories_published == 3 and seen_at_last == [2]
    assert len({s.story_id for s in _published(settings)}) == 3


async def test_feedparser_reads_only_the_items_not_published_before(kafka_settings, monkeypatch):
    parsed_entries: list[int] = []
    real_parse = ingest_reader.feedparser.parse

    def counting_parse(*args, **kwargs):
        out = real_parse(*args, **kwargs)
        parsed_entries.append(len(out.entries))
        return out

    monkeypatch.setattr(ingest_reader.feedparser, "parse", counting_parse)
    with FixtureSite() as site:
        items = [f"<item><title>story {n}</title><link>{site.base_url}/a{n}.html</link>"
                 f"<description>text {n}</description></item>" for n in range(3)]
        shown = {"n": 2}

        def feed(h):
            body = "".join(reversed(items[:shown["n"]]))  # newest first
            send(h, 200, f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{body}</channel></rss>'
                 .encode(), "application/rss+xml")

        site.routes["/grow.xml"] = feed
        settings = _settings(site)
        svc, registry = _service(settings, [Feed(id="grow", url=f"{site.base_url}/grow.xml", outlet="G")])
        first = await svc.run_cycle(force=True)
        shown["n"] = 3
        second = await svc.run_cycle(force=True)
        await svc.aclose()
    assert parsed_entries == [2, 1]  # the second parse saw only the new item
    assert (first.stories_published, second.stories_published) == (2, 1)
    assert (second.items_seen, second.duplicates_dropped) == (3, 2)  # counted as before: seen, and duplicates
    assert registry.get_sample_value("wirewatch_ingest_items_total", {"feed": "grow", "result": "duplicate"}) == 2


async def test_a_link_twice_in_one_page_is_fetched_once(kafka_settings):
    link = "http://{netloc}/a.html"
    with FixtureSite() as site:
        item = f"<item><title>a</title><link>{link.format(netloc=site.netloc)}</link></item>"
        body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{item}{item}</channel></rss>'
        site.routes["/twice.xml"] = lambda h: send(h, 200, body.encode(), "application/rss+xml")
        settings = _settings(site)
        svc, registry = _service(settings, [Feed(id="twice", url=f"{site.base_url}/twice.xml", outlet="T")])
        stats = await svc.run_cycle(force=True)
        await svc.aclose()
    assert (stats.items_seen, stats.stories_published, stats.duplicates_dropped) == (2, 1, 1)
    assert registry.get_sample_value("wirewatch_ingest_items_total", {"feed": "twice", "result": "duplicate"}) == 1


async def test_the_next_cycle_starts_when_a_feed_is_due_not_after_a_fixed_tick(kafka_settings, site):
    import threading
    import time

    # every feed is due again as soon as it is released
    settings = _settings(site, ingest_poll_interval_s=0.0, ingest_min_interval_s=0.0, ingest_max_interval_s=0.0)
    svc, _ = _service(settings, _feeds(site))
    stop, cycles = threading.Event(), []

    def on_cycle(stats) -> None:
        cycles.append((time.monotonic(), stats.feeds_polled))
        if sum(polled for _, polled in cycles) >= 3 * len(_feeds(site)):
            stop.set()

    t0 = time.monotonic()
    await svc.run(stop, tick_s=5.0, on_cycle=on_cycle)
    await svc.aclose()
    assert max(polled for _, polled in cycles) == len(_feeds(site))  # the first claim takes every feed: one cycle
    assert sum(polled for _, polled in cycles) >= 3 * len(_feeds(site))
    assert cycles[-1][0] - t0 < 4.0  # a fixed 5 s tick between cycles: 10 s


async def test_a_feed_is_polled_again_while_its_own_or_another_feeds_articles_are_fetched(kafka_settings, site):
    import asyncio
    import threading

    from services.common.language import detect_language

    detect_language("warm the model")  # its first load (seconds on a loaded machine) is not what is measured
    settings = _settings(site, ingest_poll_interval_s=0.2, ingest_min_interval_s=0.2, ingest_max_interval_s=0.2)
    feeds = _feeds(site)
    slow_feed = next(f for f in feeds if f.id == "hindukush-herald")
    svc, registry = _service(settings, feeds)
    stop, real = threading.Event(), svc.fetcher.get
    slow_article = asyncio.Event()

    async def one_slow_article(url, *args, **kwargs):
        if "hindukush" in url and "feed.xml" not in url and "robots.txt" not in url and not slow_article.is_set():
            slow_article.set()
            await asyncio.sleep(3.0)  # one feed's article takes 3 s: every feed's polls go on meanwhile
            stop.set()
        return await real(url, *args, **kwargs)

    svc.fetcher.get = one_slow_article
    await svc.run(stop, tick_s=0.2)
    await svc.aclose()
    polls = {f.id: sum(registry.get_sample_value("wirewatch_ingest_polls_total", {"feed": f.id, "outcome": o}) or 0
                       for o in ("new", "no_new_items", "unchanged", "not_modified")) for f in feeds}
    assert slow_article.is_set()
    # every 0.2 s for 3 s; the slow feed's own next polls waited for its article before: polled once
    assert polls[slow_feed.id] >= 5 and all(n >= 5 for n in polls.values()), polls
    stories = _published(settings)
    assert len(stories) == len({s.story_id for s in stories}) == 7  # none doubled by the polls in between


async def test_a_page_too_short_to_be_an_article_is_counted_not_warned(kafka_settings, caplog):
    import logging

    with FixtureSite() as site:
        item = f"<item><title>a</title><link>{site.base_url}/short.html</link><description>lead</description></item>"
        body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{item}</channel></rss>'
        site.routes["/short.xml"] = lambda h: send(h, 200, body.encode(), "application/rss+xml")
        site.routes["/short.html"] = lambda h: send(h, 200, b"<html><body><p>Too short.</p></body></html>",
                                                    "text/html")
        settings = _settings(site)
        svc, registry = _service(settings, [Feed(id="short", url=f"{site.base_url}/short.xml", outlet="S")])
        with caplog.at_level(logging.WARNING, logger="services.ingest"):
            stats = await svc.run_cycle(force=True)
        await svc.aclose()
    assert stats.stories_published == 1 and stats.feed_text_fallbacks == 1
    assert registry.get_sample_value("wirewatch_ingest_extraction_failures_total", {"reason": "too_short"}) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("services.ingest")]
