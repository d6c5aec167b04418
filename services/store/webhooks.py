"""Webhook deliveries for saved searches, driven by the change feed.

Guarantees:

* Every change (created or updated) of an event that a saved search matches when the dispatcher
  reads it is POSTed once to the search's webhook, in feed order, through restarts: a search's
  cursor moves past a change only in the transaction that records its delivery's outcome
  (``SearchStore.finish``). Every send of one change carries the same ``X-Wirewatch-Delivery`` id,
  so a receiver that drops ids it has seen processes each change exactly once even across a
  crash between its answer and our record.
* The body is signed: ``X-Wirewatch-Signature: sha256=<hex>`` is the HMAC-SHA256 of the raw body
  under the search's secret; ``X-Wirewatch-Timestamp`` is when it was sent (Unix seconds).
* A failing receiver (connection error, timeout, 408, 429, 5xx) is retried with exponential backoff
  and full jitter, up to ``max_attempts``; any other answer fails at once. Each attempt is logged.
  After ``disable_after`` failed deliveries in a row the search is disabled until re-enabled.
* Targets pass the ingest address guard (``AddressPolicy``) before every attempt: loopback,
  private and metadata addresses are refused unless the operator allows the host; a refused
  target is logged as ``refused`` and counts as a failure. Redirects are not followed.
* The dispatcher is a background thread with a bounded pool: it never blocks the consume loop,
  and an error in one search's round is logged and counted, never fatal.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import random
import socket
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from services.common.addresses import AddressPolicy, default_port

from .changes import ChangeEntry, ChangeKind
from .repository import EventRepository
from .searches import Attempt, DeliveryStatus, SavedSearch, SearchStore, delivery_id

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Wirewatch-Signature"
TIMESTAMP_HEADER = "X-Wirewatch-Timestamp"
DELIVERY_HEADER = "X-Wirewatch-Delivery"
_RETRYABLE = {408, 429}


class RefusedTarget(ValueError):
    """A webhook URL the address guard does not allow (or that is not http(s) with a host)."""

    kind = "refused_target"


def sign(secret: str, body: bytes) -> str:
    """The ``X-Wirewatch-Signature`` value for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def check_target(url: str, policy: AddressPolicy) -> None:
    """Raise ``RefusedTarget`` unless every address ``url``'s host resolves to is allowed."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedTarget(f"webhook_url must be an http(s) URL with a host, not {url!r}")
    try:
        port = parts.port or default_port(parts.scheme)
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (ValueError, OSError, UnicodeError) as exc:
        raise RefusedTarget(f"cannot resolve {parts.hostname}: {exc}") from exc
    refusal = policy.refusal(parts.hostname, port,
                             [ipaddress.ip_address(str(i[4][0]).split("%", 1)[0]) for i in infos])
    if refusal:
        raise RefusedTarget(refusal.replace("WIREWATCH_INGEST_ALLOWED_HOSTS", "WIREWATCH_STORE_WEBHOOK_ALLOWED_HOSTS"))


class WebhookMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.deliveries = Counter("wirewatch_store_webhook_deliveries_total",
                                  "Webhook delivery attempts, by outcome (delivered, retrying, failed)",
                                  ["outcome"], registry=registry)
        self.disabled = Gauge("wirewatch_store_webhook_disabled_searches",
                              "Saved searches disabled after repeated failed deliveries", registry=registry)
        self.latency = Histogram("wirewatch_store_webhook_delivery_duration_seconds",
                                 "Time from a change's first attempt to its delivery", registry=registry,
                                 buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300))
        self.errors = Counter("wirewatch_store_webhook_errors_total",
                              "Dispatcher rounds that failed (database errors, bugs), by kind", ["kind"],
                              registry=registry)
        for outcome in ("delivered", "retrying", "failed"):
            self.deliveries.labels(outcome=outcome)


@dataclass(frozen=True)
class WebhookPolicy:
    """How deliveries are sent, retried and given up on (the ``store_webhook_*`` settings)."""

    allowed: AddressPolicy
    max_attempts: int = 5
    backoff_s: float = 1.0
    max_backoff_s: float = 300.0
    disable_after: int = 5
    timeout_s: float = 10.0


class Sender:
    """Sends one change to one search, with retries; logs every attempt."""

    def __init__(self, searches: SearchStore, policy: WebhookPolicy, metrics: WebhookMetrics,
                 stop: threading.Event) -> None:
        self.searches = searches
        self.policy = policy
        self.metrics = metrics
        self.stop = stop
        self.client = httpx.Client(timeout=policy.timeout_s, follow_redirects=False, trust_env=False)

    def body(self, search: SavedSearch, entry: ChangeEntry, event: str) -> bytes:
        return (f'{{"delivery_id":"{delivery_id(search.search_id, entry.seq)}","search_id":"{search.search_id}",'
                f'"seq":{entry.seq},"kind":"{entry.kind.value}","event":{event}}}').encode()

    def deliver(self, search: SavedSearch, entry: ChangeEntry, event: str) -> Attempt | None:
        """Attempts until one succeeds, the failure is final, or ``max_attempts``; the last attempt
        is returned unrecorded (``SearchStore.finish`` records it with the cursor). None when the
        store stopped between attempts: nothing final is recorded, and the change is sent again
        (same delivery id) after the restart."""
        body, did, t0 = self.body(search, entry, event), delivery_id(search.search_id, entry.seq), time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            status, code, error = self._attempt(search, body, did)
            if status is DeliveryStatus.RETRYING and attempt >= self.policy.max_attempts:
                status = DeliveryStatus.FAILED
            record = Attempt(did, attempt, search.search_id, entry.seq, entry.event_id, status, code, error,
                             datetime.now(UTC).isoformat(timespec="milliseconds"))
            self.metrics.deliveries.labels(outcome="failed" if status is DeliveryStatus.REFUSED
                                           else status.value).inc()
            if status is not DeliveryStatus.RETRYING:
                if status is DeliveryStatus.DELIVERED:
                    self.metrics.latency.observe(time.monotonic() - t0)
                return record
            self.searches.log_attempt(record)
            base = min(self.policy.max_backoff_s, self.policy.backoff_s * 2 ** (attempt - 1))
            if self.stop.wait(base * random.uniform(0.5, 1.0)):  # noqa: S311 - jitter, not a secret
                return None

    def _attempt(self, search: SavedSearch, body: bytes, did: str) -> tuple[DeliveryStatus, int | None, str | None]:
        try:
            check_target(search.webhook_url, self.policy.allowed)
        except RefusedTarget as exc:
            return DeliveryStatus.REFUSED, None, str(exc)
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(search.secret, body),
                   TIMESTAMP_HEADER: str(int(time.time())), DELIVERY_HEADER: did,
                   "User-Agent": "Wirewatch-Webhooks/1"}
        try:
            response = self.client.post(search.webhook_url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return DeliveryStatus.RETRYING, None, f"{type(exc).__name__}: {exc}"[:500]
        if 200 <= response.status_code < 300:
            return DeliveryStatus.DELIVERED, response.status_code, None
        error = f"HTTP {response.status_code}"
        if response.status_code >= 500 or response.status_code in _RETRYABLE:
            return DeliveryStatus.RETRYING, response.status_code, error
        return DeliveryStatus.FAILED, response.status_code, error

    def close(self) -> None:
        self.client.close()


class Dispatcher:
    """Polls the change feed for every enabled saved search and delivers what matches, one search
    per worker of a ``concurrency``-bounded pool (a search's deliveries stay in feed order)."""

    def __init__(self, repo: EventRepository, policy: WebhookPolicy, metrics: WebhookMetrics,
                 concurrency: int = 4, poll_s: float = 1.0, batch: int = 200) -> None:
        self.feed, self.reader, self.searches = repo.changes, repo, repo.searches
        self.policy, self.metrics = policy, metrics
        self.poll_s, self.batch = poll_s, batch
        self.owner = uuid.uuid4().hex
        self.lease_s = max(60.0, policy.timeout_s * policy.max_attempts + policy.max_backoff_s)
        self._stop = threading.Event()
        self.sender = Sender(repo.searches, policy, metrics, self._stop)
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="webhooks")
        self._busy: dict[str, Future] = {}
        self._thread: threading.Thread | None = None

    def start(self) -> Dispatcher:
        self._thread = threading.Thread(target=self._run, name="webhook-dispatcher", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll()
            except Exception as exc:
                log.exception("webhooks: polling saved searches failed")
                self.metrics.errors.labels(kind=type(exc).__name__).inc()
            self._stop.wait(self.poll_s)

    def poll(self) -> None:
        """Start a round for every enabled search that has none running."""
        self.metrics.disabled.set(self.searches.disabled_count())
        self._busy = {sid: f for sid, f in self._busy.items() if not f.done()}
        for search in self.searches.all(enabled_only=True):
            if search.search_id not in self._busy and not self._stop.is_set():
                self._busy[search.search_id] = self._pool.submit(self._guarded_round, search.search_id)

    def _guarded_round(self, search_id: str) -> None:
        try:
            if self.searches.claim(search_id, self.owner, self.lease_s):
                try:
                    self.round(search_id)
                finally:
                    self.searches.release(search_id, self.owner)
        except Exception as exc:
            log.exception("webhooks: a round of search %s failed", search_id)
            self.metrics.errors.labels(kind=type(exc).__name__).inc()

    def round(self, search_id: str) -> int:
        """Deliver the changes after the search's cursor that match it (up to ``batch`` entries);
        how many deliveries were made."""
        search = self.searches.get(search_id)
        if search.disabled:
            return 0
        entries, next_cursor = self.feed.page(search.cursor, self.batch)
        wanted = [e for e in entries if e.kind in (ChangeKind.CREATED, ChangeKind.UPDATED) and e.event]
        matches = self.reader.matching(search.query, [e.event_id for e in wanted])
        sent = 0
        for entry in wanted:
            if self._stop.is_set():
                return sent
            if entry.event_id not in matches:
                continue
            self.searches.skip_to(search_id, entry.seq - 1)
            outcome = self.sender.deliver(search, entry, matches[entry.event_id])
            if outcome is None:
                return sent
            sent += 1
            if self.searches.finish(outcome, self.policy.disable_after):
                log.warning("webhooks: search %s disabled after %d failed deliveries in a row",
                            search_id, self.policy.disable_after)
                self.metrics.disabled.set(self.searches.disabled_count())
                return sent
            if not self.searches.claim(search_id, self.owner, self.lease_s):
                return sent  # the lease was lost (we were too slow): another dispatcher goes on
        if not self._stop.is_set():
            self.searches.skip_to(search_id, next_cursor)
        return sent

    def close(self) -> None:
        """Stop polling; a delivery in flight ends after its current attempt (its outcome is
        recorded, or, if the store stops first, it is sent again on restart)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.sender.close()
