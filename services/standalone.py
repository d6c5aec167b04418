"""One service per process, as the Kubernetes Deployments run them: `wirewatch ingest|extract|store`.

Each process has one Prometheus registry and serves /metrics, /healthz and /readyz (the store
serves them beside its API). SIGTERM/SIGINT only set a flag; the loop then finishes the batch in
hand, flushes the producer, commits and the process exits 0. A broker or database that is
unreachable while a service starts is one error line and exit code 1 (the supervisor restarts it).
"""

from __future__ import annotations

import logging
import signal
import threading

from prometheus_client import CollectorRegistry
from sqlalchemy.exc import OperationalError

from services.common.kafka import BrokerUnavailable, ensure_topics
from services.common.logs import setup_logging
from services.common.ops import Health, HttpServer, ops_app
from services.common.readiness import broker_check as _broker_check
from services.common.settings import CommonSettings

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
    except OperationalError as exc:
        # the database unreachable while the service starts (migrations, feed sync): one clear
        # line and exit 1 for the supervisor to restart it, not a traceback; once running, the
        # services wait outages out themselves
        log.error("%s: database unavailable at start: %s", name, str(exc.orig or exc).splitlines()[0])
        return 1
    raise ValueError(name)


def _prepare(settings: CommonSettings) -> Health:
    setup_logging(settings.log_level)
    ensure_topics(settings)
    health = Health(settings.liveness_timeout_s)
    health.add_check("broker", _broker_check(settings))
    return health


def _ingest(stop: threading.Event, registry: CollectorRegistry, once: bool) -> int:
    from services.ingest import app
    from services.ingest.settings import IngestSettings

    s = IngestSettings()
    health = _prepare(s)
    ingest = app.build(s, registry, health)
    ops = HttpServer(ops_app(health, registry), s.ops_host, s.ops_port, "ops").start()
    log.info("ingest: ops endpoints on %s", ops.url)
    try:
        if once:
            log.info("ingest: %s", ingest.run_once())
        else:
            ingest.run(stop)
    finally:
        ingest.close()
        ops.stop()
    return 0


def _extract(stop: threading.Event, registry: CollectorRegistry) -> int:
    from services.extract import app
    from services.extract.settings import ExtractSettings

    s = ExtractSettings()
    health = _prepare(s)
    extract = app.build(s, registry, health)
    ops = HttpServer(ops_app(health, registry), s.ops_host, s.ops_port, "ops").start()
    log.info("extract: ops endpoints on %s", ops.url)
    try:
        extract.run(stop)
    finally:
        extract.close()
        ops.stop()
    return 0


def _store(stop: threading.Event, registry: CollectorRegistry) -> int:
    from services.store import app
    from services.store.settings import StoreSettings

    s = StoreSettings()
    store = app.build(s, registry, _prepare(s))
    api = store.start_api()
    log.info("store: API and ops endpoints on %s", api.url)
    try:
        store.run(stop)
    finally:
        store.close()
    return 0
