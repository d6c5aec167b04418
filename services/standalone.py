"""One service per process, as the Kubernetes Deployments run them: `wirewatch ingest|extract|store`.

Each process has one Prometheus registry and serves /metrics, /healthz and /readyz (the store
serves them beside its API). SIGTERM/SIGINT only set a flag; the loop then finishes the batch in
hand, flushes the producer, commits and the process exits 0.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading

from prometheus_client import CollectorRegistry

from services.common.contracts import STORIES_TOPIC
from services.common.kafka import (
    BrokerUnavailable,
    Publisher,
    ensure_topics,
    make_consumer,
    make_producer,
)
from services.common.logs import setup_logging
from services.common.ops import Health, HttpServer, ops_app
from services.common.readiness import broker_check as _broker_check

log = logging.getLogger("wirewatch")


def _install_stop() -> threading.Event:
    stop = threading.Event()

    def _on_signal(signum, _frame) -> None:
        log.info("signal %s: stopping after the batch in hand", signal.Signals(signum).name)
        stop.set()

    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, _on_signal)
    return stop


def run_service(name: str, once: bool = False) -> int:
    stop = _install_stop()
    registry = CollectorRegistry()
    try:
        if name == "ingest":
            return _ingest(stop, registry, once)
        if name == "extract":
            return _extract(stop, registry)
        if name == "store":
            return _store(stop, registry)
    except BrokerUnavailable as exc:
        log.error("%s", exc)
        return 1
    raise ValueError(name)


def _ingest(stop, registry, once: bool) -> int:
    from services.ingest.feeds import load_feeds
    from services.ingest.metrics import IngestMetrics
    from services.ingest.service import IngestService
    from services.ingest.settings import IngestSettings
    from services.ingest.state import IngestState

    s = IngestSettings()
    setup_logging(s.log_level)
    ensure_topics(s)
    health = Health(s.liveness_timeout_s)
    state = IngestState(s.ingest_database_url or s.sqlite_url("ingest"))
    health.add_check("database", lambda: state.counts())
    health.add_check("broker", _broker_check(s))
    ops = HttpServer(ops_app(health, registry), s.ops_host, s.ops_port, "ops").start()
    log.info("ingest: ops endpoints on %s", ops.url)
    publisher = Publisher(make_producer(s, "ingest"))
    service = IngestService(s, load_feeds(s.ingest_feeds_file), publisher, state, IngestMetrics(registry), health)

    async def main() -> None:
        try:
            if once:
                stats = await service.run_cycle(force=True)
                log.info("ingest: %s", stats)
            else:
                await service.run(stop)
        finally:
            await service.aclose()

    try:
        asyncio.run(main())
    finally:
        publisher.close()
        ops.stop()
        state.close()
    return 0


def _extract(stop, registry) -> int:
    from services.extract.metrics import ExtractMetrics
    from services.extract.service import load_extractor, make_loop
    from services.extract.settings import ExtractSettings

    s = ExtractSettings()
    setup_logging(s.log_level)
    ensure_topics(s)
    health = Health(s.liveness_timeout_s)
    health.add_check("broker", _broker_check(s))
    ops = HttpServer(ops_app(health, registry), s.ops_host, s.ops_port, "ops").start()
    log.info("extract: ops endpoints on %s", ops.url)
    publisher = Publisher(make_producer(s, "extract"))
    loop, _ = make_loop(make_consumer(s, "extract", s.extract_group_id, [STORIES_TOPIC]), publisher,
                        load_extractor(s.extract_extractor), ExtractMetrics(registry), health, s.max_attempts,
                        s.extract_story_timeout_s)
    try:
        loop.run(stop)
    finally:
        loop.close()
        publisher.close()
        ops.stop()
    return 0


def _store(stop, registry) -> int:
    from services.store.api import create_app
    from services.store.metrics import StoreMetrics
    from services.store.repository import EventRepository
    from services.store.service import STORE_TOPICS, make_loop
    from services.store.settings import StoreSettings

    s = StoreSettings()
    setup_logging(s.log_level)
    ensure_topics(s)
    health = Health(s.liveness_timeout_s)
    repo = EventRepository(s.store_database_url or s.sqlite_url("store"))
    health.add_check("database", lambda: repo.count())
    health.add_check("broker", _broker_check(s))
    metrics = StoreMetrics(registry)
    api = HttpServer(create_app(repo, health, registry, metrics, s.store_api_max_limit, s.admin_token()), s.store_api_host,
                     s.store_api_port, "api").start()
    log.info("store: API and ops endpoints on %s", api.url)
    publisher = Publisher(make_producer(s, "store"))
    loop, handler = make_loop(make_consumer(s, "store", s.store_group_id, list(STORE_TOPICS)), publisher, repo,
                              metrics, health, s.max_attempts, s.store_write_retry_s, s.store_writers)
    try:
        loop.run(stop)
    finally:
        loop.close()
        handler.close()
        publisher.close()
        api.stop()
        repo.close()
    return 0
