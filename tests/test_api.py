import csv
import io

from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from services.common.ops import Health
from services.store.api import OPENAPI_PATH, create_app, openapi_document
from services.store.metrics import StoreMetrics
from services.store.repository import EventRepository
from tests.test_repository import make_event


def _client(tmp_path, token=None):
    repo = EventRepository(f"sqlite:///{tmp_path / 'api.db'}")
    repo.upsert_many([make_event(i) for i in range(30)])
    registry = CollectorRegistry()
    health = Health()
    health.add_check("database", repo.count)
    return TestClient(create_app(repo, health, registry, StoreMetrics(registry), max_limit=50, admin_token=token))


def test_list_get_and_formats(tmp_path):
    c = _client(tmp_path)
    body = c.get("/events", params={"admin1": "Kunduz"}).json()
    assert body["count"] > 0 and all(e["admin1"] == "Kunduz" for e in body["events"])
    one = c.get(f"/events/{body['events'][0]['event_id']}").json()
    assert one["sources"][0]["url"].startswith("https://example.org/") and "evidence" in one
    rows = list(csv.DictReader(io.StringIO(c.get("/events", params={"format": "csv"}).text)))
    assert rows and rows[0]["source_urls"].startswith("https://example.org/")
    geo = c.get("/events", headers={"Accept": "application/geo+json"}).json()
    assert geo["type"] == "FeatureCollection" and geo["features"][0]["geometry"]["type"] == "Point"
    stats = c.get("/stats", params={"by": "admin1"}).json()
    assert {r["admin1"] for r in stats["counts"]} == {"Kunduz", "Helmand", "Kandahar"}


def test_cursor_pagination_over_http(tmp_path):
    c = _client(tmp_path)
    ids, cursor = [], None
    while True:
        body = c.get("/events", params={"limit": 4, **({"cursor": cursor} if cursor else {})}).json()
        ids += [e["event_id"] for e in body["events"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(ids) == len(set(ids)) == c.get("/events", params={"limit": 50}).json()["count"]


def test_bad_parameters_are_400_with_a_message(tmp_path):
    c = _client(tmp_path)
    for params, needle in [({"since": "yesterday"}, "since"), ({"since": "2026-03-05", "until": "2026-03-01"}, "since"),
                           ({"limit": 5000}, "limit"), ({"bbox": "1,2,3"}, "bbox"), ({"sort": "name"}, "sort"),
                           ({"cursor": "garbage"}, "cursor"), ({"format": "xml"}, "format"),
                           ({"min_fatalities": -1}, "min_fatalities")]:
        r = c.get("/events", params=params)
        assert r.status_code == 400, (params, r.text)
        assert needle in r.json()["detail"]
    assert c.get("/stats", params={"by": "weekday"}).status_code == 400
    assert c.get("/events/unknown").status_code == 404


def test_admin_endpoints_need_the_token(tmp_path):
    assert _client(tmp_path).post("/admin/rebuild").status_code == 403
    c = _client(tmp_path / "b", token="s3cret") if (tmp_path / "b").mkdir() is None else None
    assert c.post("/admin/rebuild").status_code == 401
    assert c.post("/admin/rebuild", headers={"Authorization": "Bearer wrong"}).status_code == 401
    r = c.post("/admin/rebuild", headers={"Authorization": "Bearer s3cret"})
    assert r.status_code == 200 and r.json()["events_written"] > 0


def test_ops_endpoints_and_page(tmp_path):
    c = _client(tmp_path)
    c.get("/events")
    assert c.get("/healthz").json()["ok"] is True
    assert c.get("/readyz").json()["checks"]["database"] == "ok"
    assert 'wirewatch_store_api_requests_total{route="/events",status="200"}' in c.get("/metrics").text
    page = c.get("/")
    assert page.status_code == 200 and "<svg id=\"map\"" in page.text


def test_checked_in_openapi_document_is_current():
    assert OPENAPI_PATH.read_text(encoding="utf-8") == openapi_document(), \
        "services/store/openapi.json is stale: run `wirewatch schemas --write`"
