"""The store service as `build` assembles it: its API over the database, readiness, and a clean stop."""

from __future__ import annotations

import threading

import httpx
from prometheus_client import CollectorRegistry

from services.common.ops import Health
from services.store import app
from services.store.settings import StoreSettings


def test_the_api_serves_the_store_and_readiness_checks_its_database(kafka_settings):
    store = app.build(StoreSettings(), CollectorRegistry(), Health())
    try:
        api = store.start_api(0)
        assert httpx.get(f"{api.url}/events").json()["events"] == []
        ready = httpx.get(f"{api.url}/readyz")
        assert ready.status_code == 200 and ready.json()["checks"]["database"]["status"] == "ok"
        stop = threading.Event()
        stop.set()
        store.run(stop)  # a stop set before the first poll returns without consuming
        assert store.loop.stats.consumed == 0
    finally:
        store.close()
    try:
        httpx.get(f"{api.url}/events", timeout=2)
        raise AssertionError("the API still answers after close")
    except httpx.TransportError:
        pass
