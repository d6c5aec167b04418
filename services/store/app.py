"""The store service assembled once, for `wirewatch run` and `wirewatch store` alike: the consume
loop that merges reports into events, the HTTP API over the same database, and the webhook
dispatcher for saved searches (a background worker beside the loop, ``webhooks.Dispatcher``)."""

from __future__ import annotations

import threading

from prometheus_client import CollectorRegistry

from services.common.addresses import AddressPolicy
from services.common.kafka import ConsumeLoop, Publisher, make_consumer, make_producer
from services.common.metrics import export_build_info
from services.common.ops import Health, HttpServer

from .api import create_app
from .boundaries import warm_up
from .live import LiveLimits
from .metrics import StoreMetrics
from .repository import EventRepository
from .service import STORE_TOPICS, StoreHandler, make_loop
from .settings import StoreSettings
from .webhooks import Dispatcher, WebhookMetrics, WebhookPolicy


class StoreApp:
    """Events and stories in, merged events out through the API. ``start_api`` serves it;
    ``run`` consumes until stopped; ``close`` writes what is in hand, then closes in reverse order."""

    def __init__(self, settings: StoreSettings, registry: CollectorRegistry, health: Health,
                 repo: EventRepository, metrics: StoreMetrics, loop: ConsumeLoop, handler: StoreHandler,
                 publisher: Publisher) -> None:
        self.settings = settings
        self.registry = registry
        self.health = health
        self.repo = repo
        self.metrics = metrics
        self.loop = loop
        self.handler = handler
        self.publisher = publisher
        self.dispatcher: Dispatcher | None = None  # the webhook worker, started by ``build``
        self.api: HttpServer | None = None

    def start_api(self, port: int | None = None) -> HttpServer:
        """Serve the API (and /metrics, /healthz, /readyz) on the settings' host, on ``port`` if given."""
        s = self.settings
        live = LiveLimits(max_streams=s.store_live_max_streams, poll_ms=s.store_live_poll_ms)
        app = create_app(self.repo, self.health, self.registry, self.metrics, s.store_api_max_limit, s.admin_token(),
                         AddressPolicy.from_entries(s.store_webhook_allowed_hosts), live)
        warm_up()  # the map's outlines, built while nobody waits for them
        self.api = HttpServer(app, s.store_api_host, s.store_api_port if port is None else port, name="api").start()
        return self.api

    def run(self, stop: threading.Event) -> None:
        """Consume until ``stop`` is set; the batch in hand is written and committed first."""
        self.loop.run(stop)

    def close(self, publish_timeout_s: float = 10.0) -> None:
        if self.dispatcher is not None:
            self.dispatcher.close()
        self.loop.close()
        self.handler.close()
        self.publisher.close(publish_timeout_s)
        if self.api is not None:
            self.api.stop()
        self.repo.close()


def build(settings: StoreSettings, registry: CollectorRegistry, health: Health) -> StoreApp:
    export_build_info(registry, settings.build_commit)
    repo = EventRepository(settings.store_database_url or settings.sqlite_url("store"))

    def check_database() -> None:
        repo.count()

    health.add_check("database", check_database)
    metrics = StoreMetrics(registry)
    publisher = Publisher(make_producer(settings, "store"))
    consumer = make_consumer(settings, "store", settings.store_group_id, list(STORE_TOPICS))
    loop, handler = make_loop(consumer, publisher, repo, metrics, health, settings.max_attempts,
                              settings.store_write_retry_s, settings.store_writers)
    store = StoreApp(settings, registry, health, repo, metrics, loop, handler, publisher)
    store.dispatcher = Dispatcher(repo, webhook_policy(settings), WebhookMetrics(registry),
                                  settings.store_webhook_concurrency, settings.store_webhook_poll_s).start()
    return store


def webhook_policy(settings: StoreSettings) -> WebhookPolicy:
    return WebhookPolicy(AddressPolicy.from_entries(settings.store_webhook_allowed_hosts),
                         settings.store_webhook_max_attempts, settings.store_webhook_backoff_s,
                         disable_after=settings.store_webhook_disable_after, timeout_s=settings.store_webhook_timeout_s)
