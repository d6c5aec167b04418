"""Prometheus metrics of the store service."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


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
