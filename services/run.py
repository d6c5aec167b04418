"""`wirewatch run`: the whole pipeline in one process, on embedded defaults.

Starts (unless configured otherwise) an embedded Kafka broker, the local fixture news site,
and then ingest, extract and store with the HTTP API, each built by its service's ``app.build``
exactly as `wirewatch ingest|extract|store` builds it. ``--once`` polls every feed once, waits
until extract and store have processed everything that was published (judged by the offsets the
broker acknowledged) and prints a `RunSummary`; without it the pipeline runs until Ctrl-C/SIGTERM,
which stops consuming, finishes the batch in hand, commits and exits 0. If the embedded broker
dies, run stops with a clear message and exit code 3.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kafka import TopicPartition
from prometheus_client import CollectorRegistry

from services.common.broker import BrokerError, EmbeddedBroker
from services.common.contracts import EVENTS_TOPIC, STORIES_TOPIC
from services.common.kafka import BrokerUnavailable, ConsumeLoop, ensure_topics
from services.common.logs import setup_logging
from services.common.net import free_port
from services.common.ops import Health
from services.extract import app as extract_app
from services.extract.settings import ExtractSettings
from services.fixturesite import ContentSet, FixtureSite, load_demo
from services.ingest import app as ingest_app
from services.ingest.feeds import Feed, load_feeds
from services.ingest.service import CycleStats
from services.ingest.settings import IngestSettings
from services.run_summary import RunSummary
from services.store import app as store_app
from services.store.settings import StoreSettings

log = logging.getLogger("wirewatch.run")

EXIT_OK, EXIT_FAILED, EXIT_BROKER_DIED = 0, 1, 3
DEMO_SITE_PORT = 8765
# Tansu makes a group join wait half the session timeout: one process, one short timeout.
_FAST_GROUP = {"kafka_session_timeout_ms": 6000, "kafka_heartbeat_interval_ms": 1000}
_BROKER_REAP_WAIT_S = 1.0
_CLOSE_TIMEOUT_S = 2.0  # a producer flush on close must not hold up the exit


class PipelineFailed(RuntimeError):
    pass


@dataclass
class RunOptions:
    once: bool = False
    feeds_file: Path | None = None  # None: the bundled demo site
    drain_timeout_s: float = 120.0
    content: ContentSet | None = None  # a fixturesite ContentSet to serve instead of the demo set


@dataclass
class _Apps:
    ingest: ingest_app.IngestApp
    extract: extract_app.ExtractApp
    store: store_app.StoreApp


class _Worker(threading.Thread):
    """A daemon thread that keeps the exception its body raised, for the main thread to report once."""

    def __init__(self, name: str, body: Callable[[], None], on_failure: Callable[[str], None]) -> None:
        super().__init__(name=name, daemon=True)
        self._body = body
        self._on_failure = on_failure
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._body()
        except BaseException as exc:  # reported by the main thread, once, without a traceback wall
            self.error = exc
            self._on_failure(self.name)


def say(message: str) -> None:
    print(f"wirewatch: {message}", file=sys.stderr, flush=True)


class Pipeline:
    def __init__(self, options: RunOptions) -> None:
        self.options = options
        self.stop = threading.Event()
        self.fatal: str | None = None
        self._fatal_lock = threading.Lock()
        self.broker: EmbeddedBroker | None = None
        self.site: FixtureSite | None = None
        self.registry = CollectorRegistry()
        self.summary: RunSummary | None = None  # set by a successful --once run
        self._closers: list[Callable[[], None]] = []

    # -- lifecycle -------------------------------------------------------------------------------

    def _broker_died(self, code: int) -> None:
        with self._fatal_lock:  # the watchdog and a failing worker may both get here
            if self.fatal:
                return
            self._record_broker_death(code)
        self.stop.set()

    def _record_broker_death(self, code: int) -> None:
        tail = self.broker.log_tail(600).strip() if self.broker else ""
        self.fatal = f"the embedded Kafka broker exited unexpectedly (exit code {code})" + (
            f"; its last output:\n{tail}" if tail else "")
        logging.getLogger("kafka").disabled = True  # its reconnect loop would bury the message
        # client threads that die with the broker would each print a traceback; one line will do
        threading.excepthook = lambda args: log.debug("%s stopped: %s", args.thread, args.exc_value)

    def _check_broker(self) -> None:
        if self.broker is not None and not self.broker.alive():
            raise RuntimeError("embedded broker is not running")

    def _start_infrastructure(self, ingest: IngestSettings) -> tuple[str, list[Feed]]:
        bootstrap = ingest.kafka_bootstrap
        if not bootstrap:
            self.broker = EmbeddedBroker().start()
            self._closers.append(self.broker.stop)
            bootstrap = self.broker.bootstrap
            say(f"embedded Kafka broker (Tansu) on {bootstrap}")
            self.broker.watch(self._broker_died)
        if self.options.feeds_file:
            return bootstrap, load_feeds(self.options.feeds_file)
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

    def _spawn(self, name: str, body: Callable[[], None]) -> _Worker:
        worker = _Worker(name, body, self._worker_failed)
        worker.start()
        return worker

    def _worker_failed(self, name: str) -> None:
        # A worker can see the broker's death (connection refused) before the watchdog's next
        # poll does, even before the process is reaped; waiting a moment for the exit code keeps
        # the exit status and the message about the real cause.
        deadline = time.monotonic() + _BROKER_REAP_WAIT_S
        while self.broker is not None and not self.fatal:
            code = self.broker.exit_code()
            if code is not None:
                self._broker_died(code)
            elif time.monotonic() > deadline or not self.broker.alive():
                break
            else:
                time.sleep(0.05)
        if not self.fatal:
            log.debug("%s failed", name, exc_info=True)
        self.stop.set()

    def run(self) -> int:
        ingest_s = IngestSettings()
        ingest_s.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            bootstrap, feeds = self._start_infrastructure(ingest_s)
            overrides = {"kafka_bootstrap": bootstrap, **_FAST_GROUP}
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

    def _build(self, ingest_s: IngestSettings, extract_s: ExtractSettings, store_s: StoreSettings,
               feeds: list[Feed], health: Health) -> _Apps:
        # Each app is closed as soon as it is built, so a failure building the next leaks nothing.
        ingest = ingest_app.build(ingest_s, self.registry, health, feeds)
        self._closers.append(lambda: ingest.close(_CLOSE_TIMEOUT_S))
        extract = extract_app.build(extract_s, self.registry, health)
        self._closers.append(lambda: extract.close(_CLOSE_TIMEOUT_S))
        store = store_app.build(store_s, self.registry, health)
        self._closers.append(lambda: store.close(_CLOSE_TIMEOUT_S))
        if self.broker:
            health.add_check("broker", self._check_broker)
        return _Apps(ingest, extract, store)

    def _run(self, ingest_s: IngestSettings, extract_s: ExtractSettings, store_s: StoreSettings,
             feeds: list[Feed]) -> int:
        apps = self._build(ingest_s, extract_s, store_s, feeds, Health(ingest_s.liveness_timeout_s))
        events_before = apps.store.repo.count()
        port = store_s.store_api_port
        if port and not _port_free(store_s.store_api_host, port):
            new = free_port(store_s.store_api_host)
            say(f"port {port} is busy; the API uses {new} instead")
            port = new
        api = apps.store.start_api(port)
        say(f"API on {api.url}  (GET /events, /events/{{id}}, /metrics, /healthz, /readyz)")

        workers = [self._spawn("extract", lambda: apps.extract.run(self.stop)),
                   self._spawn("store", lambda: apps.store.run(self.stop))]
        started = time.monotonic()
        try:
            code = self._once(apps, workers) if self.options.once else self._forever(apps, workers)
        finally:
            self.stop.set()
            for w in workers:
                w.join(timeout=15 if not self.fatal else 3)
        if self.fatal:
            say(f"error: {self.fatal}")
            say("stopped: the pipeline cannot work without its broker; nothing acknowledged was lost "
                "(ingest remembers only what the broker acknowledged)")
            return EXIT_BROKER_DIED
        failures = [w for w in workers if w.error is not None]
        for w in failures:
            say(f"error: {w.name} stopped: {type(w.error).__name__}: {w.error}")
        if failures:
            return EXIT_FAILED
        if self.options.once and code == EXIT_OK:
            self.summary = _summarise(apps, time.monotonic() - started, events_before, api.url)
            say(self.summary.render())
        return code

    def _wait(self, loop: ConsumeLoop, targets: dict[TopicPartition, int], what: str) -> None:
        deadline = time.monotonic() + self.options.drain_timeout_s
        while not loop.caught_up(targets):
            if self.stop.is_set():
                raise PipelineFailed(f"stopped while waiting for {what}")
            if time.monotonic() > deadline:
                raise PipelineFailed(f"{what} did not finish within {self.options.drain_timeout_s:.0f}s")
            time.sleep(0.05)

    def _once(self, apps: _Apps, workers: list[_Worker]) -> int:
        stats = apps.ingest.run_once()
        say(f"ingest: polled {stats.feeds_polled} feeds, published {stats.stories_published} stories "
            f"({stats.near_duplicates} near-duplicates), dropped {stats.duplicates_dropped} already-seen items")
        stories = _on_topic(apps.ingest.publisher.acked, STORIES_TOPIC)
        try:
            self._wait(apps.extract.loop, stories, "extract")
            say(f"extract: processed {apps.extract.loop.stats.consumed} stories")
            self._wait(apps.store.loop, {**_on_topic(apps.extract.publisher.acked, EVENTS_TOPIC), **stories}, "store")
            say(f"store: processed {apps.store.loop.stats.consumed} messages (events, and stories for republications)")
        except PipelineFailed as exc:
            if not self.fatal:
                say(f"error: {exc}")
            return EXIT_FAILED
        return EXIT_OK

    def _forever(self, apps: _Apps, workers: list[_Worker]) -> int:
        def report(stats: CycleStats) -> None:
            if stats.feeds_polled:
                say(f"ingest: polled {stats.feeds_polled} feeds, published {stats.stories_published} stories")

        workers.append(self._spawn("ingest", lambda: apps.ingest.run(self.stop, on_cycle=report)))
        say("running; press Ctrl-C to stop")
        while not self.stop.is_set():
            self.stop.wait(0.5)
        if not self.fatal:
            say("stopping: finishing the batches in hand and committing")
        return EXIT_OK


def _summarise(apps: _Apps, elapsed_s: float, events_before: int, api_url: str) -> RunSummary:
    stored = apps.store.handler.totals
    return RunSummary(
        elapsed_s=elapsed_s, ingest=dataclasses.replace(apps.ingest.totals),
        events_extracted=apps.extract.handler.events_published,
        reports_inserted=stored.inserted, reports_updated=stored.updated, reports_unchanged=stored.unchanged,
        republications_credited=apps.store.handler.links, events_before=events_before,
        events_in_store=apps.store.repo.count(), reports_in_store=apps.store.repo.count_reports(),
        dead_lettered=apps.extract.loop.stats.dead_lettered + apps.store.loop.stats.dead_lettered,
        api_url=api_url)


def _on_topic(offsets: dict[TopicPartition, int], topic: str) -> dict[TopicPartition, int]:
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
