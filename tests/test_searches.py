"""Saved searches through the API: admin only, exactly an /events query, webhook targets guarded,
disabled ones shown, deletable and re-enabled."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from services.common.addresses import AddressPolicy
from services.common.ops import Health
from services.store.api import create_app
from services.store.metrics import StoreMetrics
from services.store.queries import EventQuery
from services.store.repository import EventRepository
from services.store.searches import Attempt, DeliveryStatus, filters_from_json, filters_to_json
from tests.helpers import make_event

ADMIN = {"Authorization": "Bearer admin-token"}
HOOK = "http://127.0.0.1:9/hook"
BODY = {"name": "Kunduz clashes", "webhook_url": HOOK}


def _client(repo: EventRepository, token: str | None = "admin-token", allowed=("127.0.0.1:9",)) -> TestClient:
    registry = CollectorRegistry()
    return TestClient(create_app(repo, Health(), registry, StoreMetrics(registry), admin_token=token,
                                 webhook_hosts=AddressPolicy.from_entries(list(allowed))))


@pytest.fixture
def repo(database_url):
    r = EventRepository(database_url)
    r.upsert_many([make_event(i) for i in range(12)])
    yield r
    r.close()


def test_managing_searches_needs_the_admin_token(repo):
    c = _client(repo)
    assert c.post("/searches", json=BODY).status_code == 401
    assert c.get("/searches", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert c.delete("/searches/x").status_code == 401
    assert _client(repo, token=None).get("/searches", headers=ADMIN).status_code == 403


def test_create_list_disable_enable_and_delete(repo):
    c = _client(repo)
    r = c.post("/searches", params={"admin1": "Kunduz", "min_fatalities": 2}, json=BODY, headers=ADMIN)
    assert r.status_code == 201, r.text
    made = r.json()
    assert len(made["secret"]) == 64  # none given: one generated, shown once
    assert made["filters"] == {"admin1": "Kunduz", "min_fatalities": 2} and made["disabled"] is False
    [listed] = c.get("/searches", headers=ADMIN).json()["searches"]
    assert "secret" not in listed and listed["search_id"] == made["search_id"]
    sid = made["search_id"]
    attempt = Attempt("d", 1, sid, repo.changes.head() + 1, "e00000", DeliveryStatus.FAILED, 500, "HTTP 500", "2026-12-02T00:00:00Z")
    assert repo.searches.finish(attempt, disable_after=1)
    assert c.get("/searches", headers=ADMIN).json()["searches"][0]["disabled"] is True
    log = c.get(f"/searches/{sid}/deliveries", headers=ADMIN).json()["deliveries"]
    assert [(d["status"], d["http_status"]) for d in log] == [("failed", 500)]
    enabled = c.post(f"/searches/{sid}/enable", headers=ADMIN).json()
    assert enabled["disabled"] is False and enabled["consecutive_failures"] == 0
    assert c.delete(f"/searches/{sid}", headers=ADMIN).status_code == 204
    assert c.delete(f"/searches/{sid}", headers=ADMIN).status_code == 404
    assert c.get(f"/searches/{sid}/deliveries", headers=ADMIN).status_code == 404
    assert c.get("/searches", headers=ADMIN).json()["searches"] == []


def test_bad_searches_are_refused_like_bad_event_queries(repo):
    c = _client(repo)
    assert c.post("/searches", params={"since": "2026-02-01", "until": "2026-01-01"}, json=BODY,
                  headers=ADMIN).status_code == 400
    assert c.post("/searches", params={"bbox": "1,2"}, json=BODY, headers=ADMIN).status_code == 400
    assert c.post("/searches", json={"name": "", "webhook_url": HOOK}, headers=ADMIN).status_code == 400
    assert c.post("/searches", json={**BODY, "secret": "short"}, headers=ADMIN).status_code == 400


@pytest.mark.parametrize("url", ["http://127.0.0.1:8/hook", "http://10.0.0.1/hook", "http://localhost:9/x",
                                 "http://169.254.169.254/latest/meta-data/", "ftp://127.0.0.1:9/", "not a url"])
def test_webhook_targets_go_through_the_address_guard(repo, url):
    r = _client(repo).post("/searches", json={**BODY, "webhook_url": url}, headers=ADMIN)
    assert r.status_code == 400 and "webhook_url refused" in r.json()["detail"]


def test_an_operator_allows_a_private_host_but_never_a_metadata_address(repo):
    c = _client(repo, allowed=("127.0.0.1:9", "169.254.169.254"))
    assert c.post("/searches", json=BODY, headers=ADMIN).status_code == 201
    assert c.post("/searches", json={**BODY, "webhook_url": "http://169.254.169.254/"},
                  headers=ADMIN).status_code == 400


@pytest.mark.parametrize("params", [{"admin1": "Kunduz"}, {"country": "AF", "min_fatalities": 5},
                                    {"bbox": "64,31,66,32"}, {"since": "2026-01-10", "until": "2026-01-25"},
                                    {"actor": "Taliban", "event_type": "Battles"}])
def test_a_saved_search_matches_exactly_what_events_lists(repo, params):
    c = _client(repo)
    made = c.post("/searches", params=params, json=BODY, headers=ADMIN).json()
    query = repo.searches.get(made["search_id"]).query
    listed = {e["event_id"] for e in c.get("/events", params={**params, "limit": 100}).json()["events"]}
    all_ids = [f"e{i:05d}" for i in range(12)]
    assert set(repo.matching(query, all_ids)) == listed and listed


def test_filters_survive_their_json():
    q = EventQuery(since=date(2026, 1, 1), bbox=(1.0, 2.0, 3.0, 4.0), q="checkpoint", min_fatalities=0)
    assert filters_from_json(filters_to_json(q)) == q
