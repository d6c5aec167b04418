"""Several ingest replicas sharing one PostgreSQL state database: every due feed is polled once,
never by two replicas at the same time, and a dead replica's feeds are taken over."""

from __future__ import annotations

import asyncio
import threading
import time

from prometheus_client import CollectorRegistry

from services.common.kafka import Publisher, make_producer
from services.fixturesite import FixtureSite
from services.fixturesite.server import send
from services.ingest.feeds import Feed
from services.ingest.metrics import IngestMetrics
from services.ingest.service import IngestService
from services.ingest.settings import IngestSettings
from services.ingest.state import IngestState

FEED = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        b"<item><title>Item %d</title><guid>item-%d</guid><description>Report number %d.</description></item>"
        b"</channel></rss>")


class Watched:
    """Feed routes that record how many requests each feed has in flight at once."""

    def __init__(self, site: FixtureSite, n: int) -> None:
        self.lock = threading.Lock()
        self.in_flight: dict[str, int] = {}
        self.max_in_flight: dict[str, int] = {}
        self.polls: dict[str, int] = {}
        for i in range(n):
            site.routes[f"/feed{i}.xml"] = self._route(f"feed{i}", FEED % (i, i, i))

    def _route(self, name: str, body: bytes):
        def handler(h) -> None:
            with self.lock:
                self.in_flight[name] = self.in_flight.get(name, 0) + 1
                self.max_in_flight[name] = max(self.max_in_flight.get(name, 0), self.in_flight[name])
                self.polls[name] = self.polls.get(name, 0) + 1
            time.sleep(0.15)  # long enough for another replica to try the same feed meanwhile
            with self.lock:
                self.in_flight[name] -= 1
            send(h, 200, body, "application/rss+xml")

        return handler


def _replica(settings: IngestSettings, feeds) -> IngestService:
    return IngestService(settings, feeds, Publisher(make_producer(settings, "replica")),
                         IngestState(settings.ingest_database_url), IngestMetrics(CollectorRegistry()))


async def test_three_replicas_poll_each_feed_once_and_never_together(kafka_settings, postgres_url):
    n = 24
    with FixtureSite() as site:
        watched = Watched(site, n)
        feeds = [Feed(id=f"feed{i}", url=f"{site.base_url}/feed{i}.xml", outlet="Replica test") for i in range(n)]
        settings = IngestSettings(ingest_database_url=postgres_url, ingest_allowed_hosts=(site.netloc,),
                                  ingest_min_interval_s=3600, ingest_poll_interval_s=3600,
                                  ingest_respect_robots=False, ingest_claim_batch=4)
        replicas = [_replica(settings, feeds) for _ in range(3)]
        for _ in range(3):  # three rounds: the first polls everything, the next find nothing due
            results = await asyncio.gather(*(r.run_cycle() for r in replicas))
        for r in replicas:
            await r.aclose()
    assert watched.polls == {f"feed{i}": 1 for i in range(n)}
    assert max(watched.max_in_flight.values()) == 1
    per_replica = [r.totals.feeds_polled for r in replicas]
    assert sum(per_replica) == n and sum(1 for c in per_replica if c) >= 2, per_replica
    assert sum(r.totals.stories_published for r in replicas) == n
    assert results  # the last round ran and found nothing due
    for r in replicas:
        r.state.close()


async def test_a_dead_replicas_feeds_are_taken_over_when_its_leases_expire(kafka_settings, postgres_url):
    with FixtureSite() as site:
        Watched(site, 4)
        feeds = [Feed(id=f"feed{i}", url=f"{site.base_url}/feed{i}.xml", outlet="Replica test") for i in range(4)]
        settings = IngestSettings(ingest_database_url=postgres_url, ingest_allowed_hosts=(site.netloc,),
                                  ingest_respect_robots=False)
        survivor = _replica(settings, feeds)
        # a replica that took the leases and died before releasing them
        taken = survivor.state.claim_due("dead-replica", lease_s=1.0, limit=10)
        assert len(taken) == 4
        first = await survivor.run_cycle()
        assert first.feeds_polled == 0  # the leases are still live
        await asyncio.sleep(1.2)
        second = await survivor.run_cycle()
        await survivor.aclose()
        survivor.state.close()
    assert second.feeds_polled == 4


async def test_a_restarted_replica_takes_back_its_dead_predecessors_leases_at_once(kafka_settings, postgres_url):
    with FixtureSite() as site:
        Watched(site, 4)
        feeds = [Feed(id=f"feed{i}", url=f"{site.base_url}/feed{i}.xml", outlet="Replica test") for i in range(4)]
        settings = IngestSettings(ingest_database_url=postgres_url, ingest_allowed_hosts=(site.netloc,),
                                  ingest_respect_robots=False, ingest_replica_id="pod-a")
        other = _replica(settings.model_copy(update={"ingest_replica_id": "pod-b"}), feeds)
        assert len(other.state.claim_due("pod-b#live", lease_s=3600, limit=1)) == 1  # a live replica's lease
        # the incarnation of pod-a that kill -9 ended, with an hour left on its leases
        assert len(other.state.claim_due("pod-a#dead", lease_s=3600, limit=10)) == 3
        restarted = _replica(settings, feeds)
        first = await restarted.run_cycle()
        await restarted.aclose()
        await other.aclose()
        restarted.state.close()
        other.state.close()
    assert first.feeds_polled == 3  # not the feed pod-b holds
