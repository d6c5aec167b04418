"""Prometheus metrics of the extract service."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from services.common.metrics import for_registry


class ExtractMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.stories = Counter("wirewatch_extract_stories_total", "Stories consumed, by result", ["result"],
                               registry=registry)
        self.events = Counter("wirewatch_extract_events_total", "Events published, by event type",
                              ["event_type"], registry=registry)
        self.duration = Histogram("wirewatch_extract_duration_seconds", "Extraction time per story",
                                  registry=registry, buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5))
        self.unsupported_language = Counter(
            "wirewatch_extract_unsupported_language_total",
            "Stories in a language the extractor does not read (no events), by language", ["language"],
            registry=registry)
        self.discarded = Counter(
            "wirewatch_extract_discarded_total",
            "Figures or dates discarded from stories (too large to be a casualty count, out of range), by reason",
            ["reason"], registry=registry)
        self.dead_lettered = Counter("wirewatch_extract_deadletter_total", "Stories dead-lettered, by reason",
                                     ["reason"], registry=registry)
        self.consumer_lag = for_registry(registry).consumer_lag  # the consume loop keeps it
        self.commit_failures = for_registry(registry).commit_failures  # and counts these
