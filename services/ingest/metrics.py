"""Prometheus metrics of the ingest service."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# every ``result`` label of wirewatch_ingest_items_total: the published ones and the SkipKind values
ITEM_RESULTS = ("new", "near_duplicate", "duplicate", "unusable")


class IngestMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.polls = Counter("wirewatch_ingest_polls_total", "Feed polls by outcome",
                             ["feed", "outcome"], registry=registry)
        self.fetch_duration = Histogram("wirewatch_ingest_fetch_duration_seconds", "HTTP fetch duration",
                                        ["kind"], registry=registry,
                                        buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
        self.fetch_bytes = Counter("wirewatch_ingest_fetch_bytes_total", "Bytes received", ["kind"],
                                   registry=registry)
        self.items = Counter("wirewatch_ingest_items_total", "Feed items by result",
                             ["feed", "result"], registry=registry)
        self.extraction_failures = Counter("wirewatch_ingest_extraction_failures_total",
                                           "Articles whose page gave no text, by reason", ["reason"],
                                           registry=registry)
        self.bozo = Counter("wirewatch_ingest_feed_bozo_total", "Malformed feeds still used, by reason",
                            ["feed", "reason"], registry=registry)
        self.publish_duration = Histogram("wirewatch_ingest_publish_duration_seconds",
                                          "Time from send to broker acknowledgement of a poll's stories",
                                          registry=registry)
        self.publish_failures = Counter("wirewatch_ingest_publish_failures_total", "Stories not acknowledged",
                                        registry=registry)
        self.parked = Gauge("wirewatch_ingest_feeds_parked", "Feeds parked after permanent errors",
                            registry=registry)
        self.last_success = Gauge("wirewatch_ingest_last_success_timestamp_seconds",
                                  "Unix time of the last successful poll", ["feed"], registry=registry)
        self.cycle_duration = Histogram("wirewatch_ingest_cycle_duration_seconds", "Duration of one poll cycle",
                                        registry=registry, buckets=(0.1, 0.5, 1, 5, 10, 30, 60, 300))

    def start_feeds(self, feed_ids: Iterable[str]) -> None:
        """Every feed's item counters exist, at 0, before its first poll. Prometheus never counts a
        series' first sample as an increase, so a counter that first appeared at the first poll's
        count would leave those items out of every ``rate`` (all of a feed that never changes)."""
        for feed in feed_ids:
            for result in ITEM_RESULTS:
                self.items.labels(feed=feed, result=result)
