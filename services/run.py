"""`wirewatch run`: the whole pipeline in one process, on embedded defaults.

Starts (unless configured otherwise) an embedded Kafka broker, the local fixture news site,
and then ingest, extract and store with the HTTP API. ``--once`` polls every feed once,
waits until extract and store have processed everything that was published (judged by the
offsets the broker acknowledged) and prints a summary; without it the pipeline runs until
Ctrl-C/SIGTERM, which stops consuming, finishes the batch in hand, commits and exits 0.
If the embedded broker dies, run stops with a clear message and exit code 3.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client import CollectorRegistry

from services.common.broker import BrokerError, EmbeddedBroker, free_port
from services.common.contracts import EVENTS_TOPIC, STORIES_TOPIC
from services.common.kafka import BrokerUnavailable, Publisher, ensure_topics, make_consumer, make_producer
from services.common.logs import setup_logging
from services.common.ops import Health, HttpServer
from services.extract.metrics import ExtractMetrics
from services.extract.service import load_extractor
from services.extract.service import make_loop as make_extract_loop
from services.extract.settings import ExtractSettings
from services.fixturesite import FixtureSite, load_demo
from services.ingest.feeds import Feed, load_feeds
from services.ingest.metrics import IngestMetrics
from services.ingest.service import IngestService
from services.ingest.settings import IngestSettings
from services.ingest.state import IngestState
from services.store.api import create_app
from services.store.metrics import StoreMetrics
from services.store.repository import EventRepository
from services.store.service import STORE_TOPICS
from services.store.service import make_loop as make_store_loop
from services.store.settings import StoreSettings

log = logging.getLogger("wirewatch.run")

EXIT_OK, EXIT_FAILED, EXIT_BROKER_DIED = 0, 1, 3
DEMO_SITE_PORT = 8765


class PipelineFailed(RuntimeError):
    pass


@dataclass
class RunOptions:
    once: bool = False
    feeds_file: Path | None = None  # None: the bundled demo site
    drain_timeout_s: float = 120.0
    content: object | None = None  # a fixturesite ContentSet to serve instead of the demo set


@dataclass
class _Worker:
    name: str
    thread: threading.Thread
    error: list[BaseException] = field(default_factory=list)


def say(message: str) -> None:
    print(f"wirewatch: {message}", file=sys.stderr, flush=True)


class Pipeline:
    def __init__(self, options: RunOptions) -> None:
        self.options = options
        self.stop = threading.Event()
        self.fatal: str | None = None
        self.broker: EmbeddedBroker | None = None
        self.site: FixtureSite | None = None
        self.api: HttpServer | None = None
        self.registry = CollectorRegistry()
        self._closers: list = []

    # -- lifecycle -------------------------------------------------------------------------------

    def _broker_died(self, code: int) -> None:
        tail = self.broker.log_tail(600).strip() if self.broker else ""
        self.fatal = f"the embedded Kafka broker exited unexpectedly (exit code {code})" + (
            f"; its last output:\n{tail}" if tail else "")
        logging.getLogger("kafka").disabled = True  # its reconnect loop would bury the message
        # client threads that die with the broker would each print a traceback; one line will do
        threading.excepthook = lambda args: log.debug("%s stopped: %s", args.thread, args.exc_value)
        self.stop.set()

    def _start_infrastructure(self, ingest: IngestSettings) -> tuple[str, list[Feed]]:
        bootstrap = ingest.kafka_bootstrap
        if not bootstrap:
            self.broker = EmbeddedBroker().start()
            self._closers.append(self.broker.stop)
            bootstrap = self.broker.bootstrap
            say(f"embedded Kafka broker (Tansu) on {bootstrap}")
            self.broker.watch(self._broker_died)
        if self.options.feeds_file:
            feeds = load_feeds(self.options.feeds_file)
        else:
            content = self.options.content or load_demo()
            # A stable port keeps article URLs (and so story ids) the same from one run to the next.
            port = DEMO_SITE_PORT if _port_free("127.0.0.1", DEMO_SITE_PORT) else 0
            self.site = FixtureSite(content, port=port).start()
            self._closers.append(self.site.stop)
            feeds = [Feed(id=o.id, url=self.site.feed_url(o.id), outlet=o.name, language=o.language)
                     for o in content.outlets]
            say(f"fixture news site with {len(content.articles)} articles from {len(feeds)} outlets "
                f"on {self.site.base_url}")
        return bootstrap, feeds

    def _spawn(self, name: str, target) -> _Worker:
        worker = _Worker(name, threading.Thread(name=name, daemon=True, target=lambda: None))

        def body() -> None:
            try:
                target()
            except BaseException as exc:  # reported by the main thread, once, without a traceback wall
                worker.error.append(exc)
                if not self.fatal:
                    log.debug("%s failed", name, exc_info=True)
                self.stop.set()

        worker.thread = threading.Thread(name=name, daemon=True, target=body)
        worker.thread.start()
        return worker

    def run(self) -> int:
        common = dict(kafka_session_timeout_ms=6000, kafka_heartbeat_interval_ms=1000)
        ingest_s = IngestSettings()
        data_dir = ingest_s.data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            bootstrap, feeds = self._start_infrastructure(ingest_s)
            overrides = {"kafka_bootstrap": bootstrap, **common}
            ingest_s = ingest_s.model_copy(update={**overrides, "ingest_allowed_hosts": (
                *ingest_s.ingest_allowed_hosts, *([self.site.netloc] if self.site else []))})
            extract_s = ExtractSettings().model_copy(update=overrides)
            store_s = StoreSettings().model_copy(update=overrides)
            ensure_topics(ingest_s)
            return self._run(ingest_s, extract_s, store_s, feeds)
        except (BrokerError, BrokerUnavailable) as exc:
            say(f"error: {exc}")
            return EXIT_FAILED
        finally:
            for close in reversed(self._closers):
                try:
                    close()
                except Exception:
                    log.debug("close failed", exc_info=True)

    def _run(self, ingest_s: IngestSettings, extract_s: ExtractSettings, store_s: StoreSettings,
             feeds: list[Feed]) -> int:
        health = Health(ingest_s.liveness_timeout_s)
        registry = self.registry
        i_metrics, e_metrics, s_metrics = IngestMetrics(registry), ExtractMetrics(registry), StoreMetrics(registry)

        state = IngestState(ingest_s.ingest_database_url or ingest_s.sqlite_url("ingest"))
        repo = EventRepository(store_s.store_database_url or store_s.sqlite_url("store"))
        self._closers += [state.close, repo.close]
        events_before = repo.count()

        ingest_pub = Publisher(make_producer(ingest_s, "ingest"))
        extract_pub = Publisher(make_producer(extract_s, "extract"))
        store_pub = Publisher(make_producer(store_s, "store"))
        self._closers += [functools.partial(p.close, 2) for p in (ingest_pub, extract_pub, store_pub)]
        extract_loop, extract_handler = make_extract_loop(
            make_consumer(extract_s, "extract", extract_s.extract_group_id, [STORIES_TOPIC]), extract_pub,
            load_extractor(extract_s.extract_extractor), e_metrics, health, extract_s.max_attempts,
            extract_s.extract_story_timeout_s)
        store_loop, store_handler = make_store_loop(
            make_consumer(store_s, "store", store_s.store_group_id, list(STORE_TOPICS)), store_pub, repo, s_metrics,
            health, store_s.max_attempts, store_s.store_write_retry_s, store_s.store_writers)
        self._closers += [extract_loop.close, store_handler.close, store_loop.close]  # closed in reverse
        health.add_check("database", lambda: repo.count())
        if self.broker:
            health.add_check("broker", lambda: None if self.broker.alive() else (_ for _ in ()).throw(
                RuntimeError("embedded broker is not running")))

        port = store_s.store_api_port
        if port and not _port_free(store_s.store_api_host, port):
            new = free_port(store_s.store_api_host)
            say(f"port {port} is busy; the API uses {new} instead")
            port = new
        self.api = HttpServer(create_app(repo, health, registry, s_metrics, store_s.store_api_max_limit,
                                         store_s.admin_token()),
                              store_s.store_api_host, port, name="api").start()
        self._closers.insert(0, self.api.stop)
        say(f"API on {self.api.url}  (GET /events, /events/{{id}}, /metrics, /healthz, /readyz)")

        workers = [
            self._spawn("extract", lambda: extract_loop.run(self.stop)),
            self._spawn("store", lambda: store_loop.run(self.stop)),
        ]
        service = IngestService(ingest_s, feeds, ingest_pub, state, i_metrics, health)
        started = time.monotonic()
        try:
            if self.options.once:
                code = self._once(service, extract_loop, extract_pub, store_loop, workers)
            else:
                code = self._forever(service, workers)
        finally:
            self.stop.set()
            for w in workers:
                w.thread.join(timeout=15 if not self.fatal else 3)
        if self.fatal:
            say(f"error: {self.fatal}")
            say("stopped: the pipeline cannot work without its broker; nothing acknowledged was lost "
                "(ingest remembers only what the broker acknowledged)")
            return EXIT_BROKER_DIED
        failures = [(w.name, w.error[0]) for w in workers if w.error]
        if failures:
            for name, exc in failures:
                say(f"error: {name} stopped: {type(exc).__name__}: {exc}")
            return EXIT_FAILED
        if self.options.once and code == EXIT_OK:
            t = service.totals
            stored = store_handler.totals
            events_after = repo.count()
            lines = [
                f"done in {time.monotonic() - started:.1f}s",
                f"  feeds polled        {t.feeds_polled} ({t.feeds_failed} failed, "
                f"{t.feeds_not_modified + t.feeds_unchanged} unchanged since the last run)",
                f"  stories published   {t.stories_published} ({t.near_duplicates} marked as near-duplicates, "
                f"{t.feed_text_fallbacks} from feed text only)",
                f"  duplicates dropped  {t.duplicates_dropped} (already published)",
                f"  events extracted    {extract_handler.events_published}",
                f"  reports stored      {stored.inserted} new, {stored.updated} updated, {stored.unchanged} "
                f"unchanged ({store_handler.links} republications credited)",
                f"  events in store     {events_after} after merging reports of the same event "
                f"({repo.count_reports()} reports)",
                f"  dead-lettered       {extract_loop.stats.dead_lettered + store_loop.stats.dead_lettered}",
                f"  API                 {self.api.url} (up while running; "
                f"`wirewatch store` serves the same data)",
            ]
            if t.stories_published == 0 and events_after == events_before:
                lines.append("  nothing new: no stories published and the store is unchanged")
            say("\n".join(lines))
        return code

    def _wait(self, loop, targets: dict, what: str) -> None:
        deadline = time.monotonic() + self.options.drain_timeout_s
        while not loop.caught_up(targets):
            if self.stop.is_set():
                raise PipelineFailed(f"stopped while waiting for {what}")
            if time.monotonic() > deadline:
                raise PipelineFailed(f"{what} did not finish within {self.options.drain_timeout_s:.0f}s")
            time.sleep(0.05)

    def _once(self, service: IngestService, extract_loop, extract_pub: Publisher, store_loop, workers) -> int:
        stats = asyncio.run(self._ingest_once(service))
        say(f"ingest: polled {stats.feeds_polled} feeds, published {stats.stories_published} stories "
            f"({stats.near_duplicates} near-duplicates), dropped {stats.duplicates_dropped} already-seen items")
        try:
            self._wait(extract_loop, _on_topic(service.publisher.acked, STORIES_TOPIC), "extract")
            say(f"extract: processed {extract_loop.stats.consumed} stories")
            self._wait(store_loop, {**_on_topic(extract_pub.acked, EVENTS_TOPIC),
                                    **_on_topic(service.publisher.acked, STORIES_TOPIC)}, "store")
            say(f"store: processed {store_loop.stats.consumed} messages (events, and stories for republications)")
        except PipelineFailed as exc:
            if not self.fatal:
                say(f"error: {exc}")
            return EXIT_FAILED
        return EXIT_OK

    async def _ingest_once(self, service: IngestService):
        try:
            return await service.run_cycle(force=True)
        finally:
            await service.aclose()

    def _forever(self, service: IngestService, workers) -> int:
        def ingest_thread() -> None:
            async def main() -> None:
                try:
                    while not self.stop.is_set():
                        health_beat = service.health
                        if health_beat:
                            health_beat.beat("ingest")
                        stats = await service.run_cycle()
                        if stats.feeds_polled:
                            say(f"ingest: polled {stats.feeds_polled} feeds, published {stats.stories_published} "
                                f"stories")
                        for _ in range(10):
                            if self.stop.is_set():
                                break
                            await asyncio.sleep(0.1)
                finally:
                    await service.aclose()

            asyncio.run(main())

        workers.append(self._spawn("ingest", ingest_thread))
        say("running; press Ctrl-C to stop")
        while not self.stop.is_set():
            self.stop.wait(0.5)
        if not self.fatal:
            say("stopping: finishing the batches in hand and committing")
        return EXIT_OK


def _on_topic(offsets: dict, topic: str) -> dict:
    return {tp: o for tp, o in offsets.items() if tp.topic == topic}


def _port_free(host: str, port: int) -> bool:
    import socket

    with socket.socket() as s:
        try:
            s.bind((host, port))
            return True
        except OSError:
            return False


def run(options: RunOptions) -> int:
    setup_logging(IngestSettings().log_level)
    pipeline = Pipeline(options)

    def _on_signal(signum, _frame) -> None:
        # only set a flag: every loop checks it, drains its batch, commits and returns
        pipeline.stop.set()

    previous = {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        code = pipeline.run()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if code == EXIT_BROKER_DIED:
        # Worker threads may sit in a producer flush that can never complete now; the interpreter
        # would join them at exit. Everything durable is already durable, so leave at once.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code
