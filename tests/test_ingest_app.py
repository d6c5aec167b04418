"""The ingest service as `build` assembles it, against the local fixture site and a real broker."""

from __future__ import annotations

import threading

import pytest
from prometheus_client import CollectorRegistry

from services.common.contracts import STORIES_TOPIC
from services.common.ops import Health
from services.fixturesite import FixtureSite, load_demo
from services.ingest import app
from services.ingest.feeds import Feed, dump_feeds
from services.ingest.service import CycleStats
from services.ingest.settings import IngestSettings


@pytest.fixture
def site():
    with FixtureSite(load_demo()) as s:
        yield s


def _feeds(site) -> list[Feed]:
    return [Feed(id=o.id, url=site.feed_url(o.id), outlet=o.name) for o in site.content.outlets]


def _settings(site: FixtureSite, **kw) -> IngestSettings:
    return IngestSettings(ingest_allowed_hosts=(site.netloc,), ingest_total_timeout_s=5, **kw)


def test_run_once_polls_every_feed_and_publishes_acknowledged_stories(kafka_settings, site):
    health = Health()
    ingest = app.build(_settings(site), CollectorRegistry(), health, _feeds(site))
    try:
        stats = ingest.run_once()
        assert stats.feeds_polled == len(site.content.outlets) and stats.stories_published == 7
        assert ingest.totals.stories_published == 7
        acked = sum(o for tp, o in ingest.publisher.acked.items() if tp.topic == STORIES_TOPIC)
        assert acked == 7
        report = health.readiness()
        assert report.ok and {name: view.status for name, view in report.checks.items()} == {"database": "ok"}
    finally:
        ingest.close()


def test_run_polls_until_stopped_and_reports_each_cycle(kafka_settings, site):
    health = Health()
    ingest = app.build(_settings(site), CollectorRegistry(), health, _feeds(site))
    stop = threading.Event()
    cycles: list[CycleStats] = []

    def on_cycle(stats: CycleStats) -> None:
        cycles.append(stats)
        stop.set()

    guard = threading.Timer(60, stop.set)  # a loop that never reports must fail here, not hang the suite
    guard.start()
    try:
        ingest.run(stop, on_cycle=on_cycle)
    finally:
        guard.cancel()
        ingest.close()
    assert len(cycles) == 1 and cycles[0].stories_published == 7
    assert "ingest" in health.liveness()[1]["loops"]  # the loop beats while it runs


def test_feeds_come_from_the_registry_file_by_default(kafka_settings, site, tmp_path):
    path = tmp_path / "feeds.yaml"
    dump_feeds(_feeds(site)[:1], path)
    ingest = app.build(_settings(site, ingest_feeds_file=path), CollectorRegistry(), Health())
    try:
        assert list(ingest.service.feeds) == [site.content.outlets[0].id]
    finally:
        ingest.close()
