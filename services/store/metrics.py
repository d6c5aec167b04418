"""Prometheus metrics of the store service."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from services.common.metrics import for_registry

# first seen in a feed -> stored: seconds when the pipeline keeps up, hours when a backlog drains;
# fine below 10 s, where the target (2 s beyond the poll interval) is judged from these buckets
END_TO_END_BUCKETS = (0.25, 0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 7.5, 10, 15, 20, 30, 60, 120, 300, 600, 1800, 3600,
                      2 * 3600, 6 * 3600, 24 * 3600)


class StoreMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.events = Counter("wirewatch_store_events_total", "Events consumed, by write result", ["result"],
                              registry=registry)
        self.write_duration = Histogram("wirewatch_store_write_duration_seconds", "Time to write one batch",
                                        registry=registry, buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5))
        self.write_retries = Counter("wirewatch_store_write_retries_total",
                                     "Batch writes retried because the database was unreachable", registry=registry)
        self.dead_lettered = Counter("wirewatch_store_deadletter_total", "Events dead-lettered, by reason",
                                     ["reason"], registry=registry)
        self.api_requests = Counter("wirewatch_store_api_requests_total", "API requests", ["route", "status"],
                                    registry=registry)
        self.api_duration = Histogram("wirewatch_store_api_request_duration_seconds", "API request duration",
                                      ["route"], registry=registry,
                                      buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))
        self.consumer_lag = for_registry(registry).consumer_lag  # the consume loop keeps it
        self.commit_failures = for_registry(registry).commit_failures  # and counts these
        self.newest_event = Gauge("wirewatch_store_newest_event_timestamp_seconds",
                                  "Unix time this store last inserted or updated an event (its start time "
                                  "until it has: a store that never writes still ages)", registry=registry)
        self.newest_event.set(time.time())
        self.end_to_end = Histogram("wirewatch_end_to_end_latency_seconds",
                                    "From a feed item first seen by ingest to its event first stored",
                                    registry=registry, buckets=END_TO_END_BUCKETS)
