"""The ingest service assembled once, for `wirewatch run` and `wirewatch ingest` alike.

`build` wires settings, metrics and health to the feed registry, the ingest database, the story
publisher and the polling loop; `IngestApp` runs it once or until stopped and closes what it opened.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

from prometheus_client import CollectorRegistry

from services.common.kafka import Publisher, make_producer
from services.common.metrics import export_build_info
from services.common.ops import Health

from .feeds import Feed, load_feeds
from .metrics import IngestMetrics
from .service import CycleStats, IngestService
from .settings import IngestSettings
from .state import IngestState


class IngestApp:
    """One ingest service: its state database, its publisher and the polling loop over its feeds."""

    def __init__(self, service: IngestService, publisher: Publisher, state: IngestState) -> None:
        self.service = service
        self.publisher = publisher
        self.state = state

    @property
    def totals(self) -> CycleStats:
        return self.service.totals

    def run_once(self) -> CycleStats:
        """Poll every feed once, schedule or not; return when every story is acknowledged or failed."""
        return asyncio.run(self._once())

    def run(self, stop: threading.Event, on_cycle: Callable[[CycleStats], None] | None = None) -> None:
        """Poll due feeds until ``stop`` is set; the cycle in hand finishes first, so nothing is half-published."""
        asyncio.run(self._forever(stop, on_cycle))

    async def _once(self) -> CycleStats:
        try:
            return await self.service.run_cycle(force=True)
        finally:
            await self.service.aclose()

    async def _forever(self, stop: threading.Event, on_cycle: Callable[[CycleStats], None] | None) -> None:
        try:
            await self.service.run(stop, on_cycle=on_cycle)
        finally:
            await self.service.aclose()

    def close(self, publish_timeout_s: float = 10.0) -> None:
        self.publisher.close(publish_timeout_s)
        self.state.close()


def build(settings: IngestSettings, registry: CollectorRegistry, health: Health,
          feeds: list[Feed] | None = None) -> IngestApp:
    """The ingest service over ``feeds`` (default: the registry file the settings name)."""
    export_build_info(registry, settings.build_commit)
    state = IngestState(settings.ingest_database_url or settings.sqlite_url("ingest"))
    health.add_check("database", state.check)
    publisher = Publisher(make_producer(settings, "ingest"))
    feeds = load_feeds(settings.ingest_feeds_file) if feeds is None else feeds
    service = IngestService(settings, feeds, publisher, state, IngestMetrics(registry), health)
    return IngestApp(service, publisher, state)
