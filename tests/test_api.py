from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from services.common.ops import Health
from services.store.api import create_app
from services.store.metrics import StoreMetrics
from services.store.repository import EventRepository
from tests.test_repository import make_event


def _client(tmp_path):
    repo = EventRepository(f"sqlite:///{tmp_path / 'api.db'}")
    repo.upsert_many([make_event(i) for i in range(10)])
    registry = CollectorRegistry()
    health = Health()
    health.add_check("database", repo.count)
    return TestClient(create_app(repo, health, registry, StoreMetrics(registry), max_limit=50))


def test_list_and_get(tmp_path):
    c = _client(tmp_path)
    r = c.get("/events", params={"admin1": "Kunduz"})
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 5 and all(e["admin1"] == "Kunduz" for e in body["events"])
    one = c.get(f"/events/{body['events'][0]['event_id']}").json()
    assert one["sources"][0]["url"].startswith("https://example.org/")


def test_bad_parameters_are_4xx_with_a_message(tmp_path):
    c = _client(tmp_path)
    assert c.get("/events", params={"since": "yesterday"}).status_code == 422
    r = c.get("/events", params={"since": "2026-03-05", "until": "2026-03-01"})
    assert r.status_code == 400 and "since" in r.json()["detail"]
    assert c.get("/events", params={"limit": 5000}).status_code == 400
    assert c.get("/events/unknown").status_code == 404


def test_ops_endpoints(tmp_path):
    c = _client(tmp_path)
    c.get("/events")
    assert c.get("/healthz").json()["ok"] is True
    assert c.get("/readyz").json()["checks"]["database"] == "ok"
    metrics = c.get("/metrics").text
    assert 'wirewatch_store_api_requests_total{route="/events",status="200"}' in metrics
