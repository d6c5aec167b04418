"""The extract service assembled once, for `wirewatch run` and `wirewatch extract` alike."""

from __future__ import annotations

import threading

from prometheus_client import CollectorRegistry

from services.common.contracts import STORIES_TOPIC
from services.common.kafka import ConsumeLoop, Publisher, make_consumer, make_producer
from services.common.metrics import export_build_info
from services.common.ops import Health

from .metrics import ExtractMetrics
from .service import ExtractHandler, load_extractor, make_loop
from .settings import ExtractSettings


class ExtractApp:
    """Stories in, events out: the consume loop, its handler and the events publisher."""

    def __init__(self, loop: ConsumeLoop, handler: ExtractHandler, publisher: Publisher) -> None:
        self.loop = loop
        self.handler = handler
        self.publisher = publisher

    def run(self, stop: threading.Event) -> None:
        """Consume until ``stop`` is set; the batch in hand is published and committed first."""
        self.loop.run(stop)

    def close(self, publish_timeout_s: float = 10.0) -> None:
        self.loop.close()
        self.publisher.close(publish_timeout_s)


def build(settings: ExtractSettings, registry: CollectorRegistry, health: Health) -> ExtractApp:
    export_build_info(registry, settings.build_commit)
    publisher = Publisher(make_producer(settings, "extract"))
    consumer = make_consumer(settings, "extract", settings.extract_group_id, [STORIES_TOPIC])
    loop, handler = make_loop(consumer, publisher, load_extractor(settings.extract_extractor),
                              ExtractMetrics(registry), health, settings.max_attempts,
                              settings.extract_story_timeout_s, settings.extract_warm_at_start)
    return ExtractApp(loop, handler, publisher)
