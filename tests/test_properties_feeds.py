"""Properties of feed polling over mutated real feeds, through the real ingest path (fetch from a
local site, feedparser, items to stories, dedup, publish to a real broker): no exception escapes
``poll_feed``, every item is accounted for, and each feed is handled within the deadline."""

from __future__ import annotations

import asyncio
import itertools

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from prometheus_client import CollectorRegistry

from services.common.kafka import Publisher, make_producer
from services.fixturesite import FixtureSite, load_demo
from services.fixturesite.server import send
from services.ingest.feeds import Feed
from services.ingest.metrics import IngestMetrics
from services.ingest.service import IngestService
from services.ingest.settings import IngestSettings
from services.ingest.state import IngestState
from tests.conftest import shared_path
from tests.strategies import mutated

PROPERTY = settings(max_examples=40, deadline=4000,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
CONTENT_TYPES = ["application/rss+xml", "application/atom+xml; charset=utf-8", "text/xml; charset=latin-1",
                 "text/html", "application/octet-stream"]


def seed_feeds(tmp_path) -> list:
    root = shared_path("data", "feedparser-tests")
    files = sorted((p for p in root.rglob("*.xml") if p.stat().st_size < 20_000), key=str)[::8]
    with FixtureSite(load_demo()) as demo:  # plus the demo outlets' feeds, as the site renders them
        for outlet in demo.content.outlets:
            path = tmp_path / f"demo-{outlet.id}.xml"
            path.write_bytes(httpx.get(demo.feed_url(outlet.id)).content)
            files.append(path)
    return files


def test_any_feed_body_is_polled_without_an_escaping_error(kafka_settings, tmp_path):
    files = seed_feeds(tmp_path)
    counter = itertools.count()
    published: list[int] = []
    publisher = Publisher(make_producer(kafka_settings, "properties"))
    with FixtureSite() as site:
        served: dict[str, tuple[bytes, str]] = {}
        site.routes["/feed.xml"] = lambda h: send(h, 200, *served["feed"])
        settings_ = IngestSettings(ingest_allowed_hosts=(site.netloc,), ingest_respect_robots=False,
                                   ingest_max_items_per_feed=30, ingest_total_timeout_s=5)

        @PROPERTY
        @given(body=mutated(files))
        def check(body: bytes) -> None:
            n = next(counter)
            served["feed"] = (body, CONTENT_TYPES[n % len(CONTENT_TYPES)])
            feed = Feed(id=f"prop-{n}", url=f"{site.base_url}/feed.xml", outlet="Property")
            state = IngestState(f"sqlite:///{tmp_path / f'ingest-{n}.db'}")

            async def poll():
                service = IngestService(settings_, [feed], publisher, state, IngestMetrics(CollectorRegistry()))
                try:
                    return await service.poll_feed(feed)  # not the guarded call: any error escapes here
                finally:
                    await service.aclose()

            try:
                stats = asyncio.run(poll())
            finally:
                state.close()
            assert stats.feeds_polled == 1
            assert stats.items_seen == stats.stories_published + stats.duplicates_dropped + stats.items_unusable
            published.append(stats.stories_published)

        try:
            check()
        finally:
            publisher.close()
    assert sum(published) > 0  # the mutated feeds did reach the item path, not only the parse errors


@pytest.fixture(autouse=True)
def _quiet_ingest_logs(caplog):
    caplog.set_level("ERROR", logger="services.ingest.service")
