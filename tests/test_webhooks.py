"""Webhook deliveries: one signed delivery per matching event change through a store restart (the
real store service on the real broker), retries with backoff, a dead receiver disabled, and the
address guard on every attempt."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time

import httpx
import pytest
from kafka import KafkaProducer
from prometheus_client import CollectorRegistry

from services.common.addresses import AddressPolicy
from services.common.contracts import EVENTS_TOPIC
from services.common.ops import Health
from services.store import app
from services.store.queries import EventQuery
from services.store.repository import EventRepository
from services.store.searches import DeliveryStatus
from services.store.settings import StoreSettings
from services.store.webhooks import Dispatcher, WebhookMetrics, WebhookPolicy, sign
from tests.helpers import WebhookReceiver, make_event

SECRET = "a-receiver-secret-of-some-length"
ADMIN = {"Authorization": "Bearer admin-token"}


@pytest.fixture
def receiver():
    r = WebhookReceiver()
    yield r
    r.close()


def _verified(headers: dict, body: bytes) -> dict:
    """What a receiver does: recompute the HMAC over the raw body and compare in constant time."""
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["x-wirewatch-signature"], expected)
    assert abs(int(headers["x-wirewatch-timestamp"]) - time.time()) < 120
    payload = json.loads(body)
    assert headers["x-wirewatch-delivery"] == payload["delivery_id"]
    return payload


def _produce(settings, events) -> None:
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, enable_idempotence=True, acks="all")
    for e in events:
        producer.send(EVENTS_TOPIC, key=e.event_id.encode(), value=e.to_bytes())
    producer.flush()
    producer.close()


def _running_store():
    store = app.build(StoreSettings(), CollectorRegistry(), Health())
    api = store.start_api(0)
    stop = threading.Event()
    thread = threading.Thread(target=store.run, args=(stop,))
    thread.start()

    def shut() -> None:
        stop.set()
        thread.join(30)
        store.close()

    return store, api, shut


def test_one_signed_delivery_per_matching_event_change_through_a_restart(kafka_settings, monkeypatch, receiver):
    monkeypatch.setenv("WIREWATCH_STORE_ADMIN_TOKEN", "admin-token")
    monkeypatch.setenv("WIREWATCH_STORE_WEBHOOK_ALLOWED_HOSTS", receiver.host)
    monkeypatch.setenv("WIREWATCH_STORE_WEBHOOK_POLL_S", "0.1")
    store, api, shut = _running_store()
    try:
        r = httpx.post(f"{api.url}/searches", params={"admin1": "Kunduz"}, headers=ADMIN,
                       json={"name": "Kunduz", "webhook_url": receiver.url, "secret": SECRET})
        assert r.status_code == 201, r.text
        search_id = r.json()["search_id"]
        _produce(kafka_settings, [make_event(i) for i in range(8)])  # 0, 1, 4, 5 are in Kunduz
        receiver.wait_for(4)
    finally:
        shut()
    first = [_verified(h, b) for h, b in receiver.requests]
    assert sorted(p["event"]["event_id"] for p in first) == ["e00000", "e00001", "e00004", "e00005"]
    assert {p["kind"] for p in first} == {"created"} and {p["event"]["admin1"] for p in first} == {"Kunduz"}

    store, api, shut = _running_store()  # a new store service on the same database and group
    try:
        _produce(kafka_settings, [make_event(i) for i in range(8, 12)] + [make_event(1, fatalities=40)])
        receiver.wait_for(7)
        time.sleep(1.0)  # time for any duplicate to arrive
        log = httpx.get(f"{api.url}/searches/{search_id}/deliveries", headers=ADMIN).json()["deliveries"]
    finally:
        shut()
    payloads = [_verified(h, b) for h, b in receiver.requests]
    assert len(payloads) == 7
    assert len({p["delivery_id"] for p in payloads}) == 7
    later = sorted((p["event"]["event_id"], p["kind"]) for p in payloads[4:])
    assert later == [("e00001", "updated"), ("e00008", "created"), ("e00009", "created")]
    assert [p["event"]["fatalities"] for p in payloads[4:] if p["kind"] == "updated"] == [40]
    assert [a["status"] for a in log] == ["delivered"] * 7


def _repo_with_search(database_url, url: str):
    repo = EventRepository(database_url)
    search = repo.searches.create("Kunduz", EventQuery(admin1="Kunduz"), url, SECRET)
    return repo, search


class _Waits:
    """Stands in for the dispatcher's stop event: records the backoff delays asked for."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def wait(self, s: float) -> bool:
        self.delays.append(s)
        return False

    def is_set(self) -> bool:
        return False


def test_a_failing_receiver_is_retried_with_backoff_then_disabled_and_can_be_re_enabled(database_url):
    receiver = WebhookReceiver([500])
    try:
        repo, search = _repo_with_search(database_url, receiver.url)
        registry = CollectorRegistry()
        policy = WebhookPolicy(AddressPolicy.from_entries([receiver.host]), max_attempts=3, backoff_s=0.01,
                               disable_after=2)
        dispatcher = Dispatcher(repo, policy, WebhookMetrics(registry))
        waits = _Waits()
        dispatcher.sender.stop = waits  # type: ignore[assignment]
        repo.upsert_many([make_event(i) for i in (0, 1, 4)])
        assert dispatcher.round(search.search_id) == 2  # the third is not tried: the search is disabled
        assert len(receiver.requests) == 6
        assert [0.005 <= d <= 0.01 for d in waits.delays[::2]] == [True, True]  # first retry: 0.5-1 x 0.01 s
        assert [0.01 <= d <= 0.02 for d in waits.delays[1::2]] == [True, True]  # second: doubled
        attempts = repo.searches.deliveries(search.search_id)
        assert [(a.attempt, a.status, a.http_status) for a in attempts] == [
            (3, DeliveryStatus.FAILED, 500), (2, DeliveryStatus.RETRYING, 500), (1, DeliveryStatus.RETRYING, 500)] * 2
        assert repo.searches.get(search.search_id).disabled
        dispatcher.poll()
        value = registry.get_sample_value
        assert value("wirewatch_store_webhook_disabled_searches") == 1
        assert value("wirewatch_store_webhook_deliveries_total", {"outcome": "retrying"}) == 4
        assert value("wirewatch_store_webhook_deliveries_total", {"outcome": "failed"}) == 2
        assert dispatcher.round(search.search_id) == 0 and len(receiver.requests) == 6  # disabled: not called
        receiver.statuses = [200]
        repo.searches.enable(search.search_id)
        assert dispatcher.round(search.search_id) == 1  # resumes after the two failed ones
        payload = _verified(*receiver.requests[-1])
        assert payload["event"]["event_id"] == "e00004"
        assert value("wirewatch_store_webhook_deliveries_total", {"outcome": "delivered"}) == 1
        dispatcher.close()
        repo.close()
    finally:
        receiver.close()


def test_the_address_guard_refuses_a_private_target_on_every_attempt(tmp_path, receiver):
    repo, search = _repo_with_search(f"sqlite:///{tmp_path / 's.db'}", receiver.url)
    registry = CollectorRegistry()
    dispatcher = Dispatcher(repo, WebhookPolicy(AddressPolicy(), max_attempts=3, disable_after=1),
                            WebhookMetrics(registry))
    repo.upsert_many([make_event(0)])
    assert dispatcher.round(search.search_id) == 1
    assert receiver.requests == []  # never sent
    [attempt] = repo.searches.deliveries(search.search_id)
    assert attempt.status is DeliveryStatus.REFUSED and "WIREWATCH_STORE_WEBHOOK_ALLOWED_HOSTS" in attempt.error
    assert repo.searches.get(search.search_id).disabled
    dispatcher.close()
    repo.close()


def test_the_signature_is_the_hmac_of_the_raw_body():
    body = b'{"a":1}'
    assert sign("k", body) == "sha256=" + hmac.new(b"k", body, hashlib.sha256).hexdigest()
    assert sign("k", body) != sign("k", b'{"a": 1}') != sign("j", body)
