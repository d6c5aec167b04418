"""The extract consumer: stories -> extractor -> events, committed only after the events are acknowledged."""

from __future__ import annotations

import importlib
import logging
import time

from services.common.contracts import EVENTS_TOPIC, Story
from services.common.kafka import ConsumeLoop, PoisonMessage, Publisher

from .extractor import Extractor, RuleExtractor
from .metrics import ExtractMetrics

log = logging.getLogger(__name__)


def load_extractor(spec: str) -> Extractor:
    if spec == "rules":
        return RuleExtractor()
    module, _, factory = spec.partition(":")
    if not factory:
        raise ValueError(f"extractor must be 'rules' or 'module:factory', got {spec!r}")
    return getattr(importlib.import_module(module), factory)()


class ExtractHandler:
    def __init__(self, extractor: Extractor, publisher: Publisher, metrics: ExtractMetrics) -> None:
        self.extractor = extractor
        self.publisher = publisher
        self.metrics = metrics
        self.events_published = 0

    def __call__(self, record) -> None:
        if not record.value:
            raise PoisonMessage("empty message")
        story = Story.from_bytes(record.value)
        if story.duplicate_of:
            # the original's events stand for it; the store credits this outlet through duplicate_of
            self.metrics.stories.labels(result="duplicate_skipped").inc()
            return
        t0 = time.perf_counter()
        events = self.extractor.extract(story)
        self.metrics.duration.observe(time.perf_counter() - t0)
        for event in events:
            self.publisher.send(EVENTS_TOPIC, event.event_id, event.to_bytes())
            self.metrics.events.labels(event_type=event.event_type).inc()
        self.events_published += len(events)
        self.metrics.stories.labels(result="with_events" if events else "no_events").inc()


def make_loop(consumer, publisher: Publisher, extractor: Extractor, metrics: ExtractMetrics, health,
              max_attempts: int) -> tuple[ConsumeLoop, ExtractHandler]:
    handler = ExtractHandler(extractor, publisher, metrics)
    loop = ConsumeLoop(stage="extract", consumer=consumer, publisher=publisher, handle=handler,
                       on_progress=(lambda: health.beat("extract")) if health else None,
                       max_attempts=max_attempts, metrics=metrics)
    return loop, handler
