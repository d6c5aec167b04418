"""GET /events/timeline: events and fatalities per day or ISO week for the /events filters, the
same on SQLite and PostgreSQL, gaps filled with zeros."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from services.common.ops import Health
from services.store.api import create_app
from services.store.metrics import StoreMetrics
from services.store.repository import EventRepository
from tests.helpers import make_event


def _client(database_url: str) -> TestClient:
    repo = EventRepository(database_url)
    # make_event: every third day from 2026-01-01 (a Thursday), fatalities i % 17
    repo.upsert_many([make_event(i) for i in range(6)]
                     + [make_event(6, event_id="e00106", event_date=date(2026, 1, 1), admin1="Helmand")])
    registry = CollectorRegistry()
    return TestClient(create_app(repo, Health(), registry, StoreMetrics(registry)))


def test_days_and_weeks(database_url):
    c = _client(database_url)
    days = c.get("/events/timeline").json()
    assert days["interval"] == "day"
    assert days["buckets"][:4] == [{"start": "2026-01-01", "events": 2, "fatalities": 6},
                                   {"start": "2026-01-02", "events": 0, "fatalities": 0},
                                   {"start": "2026-01-03", "events": 0, "fatalities": 0},
                                   {"start": "2026-01-04", "events": 1, "fatalities": 1}]
    assert len(days["buckets"]) == 16 and days["buckets"][-1]["start"] == "2026-01-16"
    weeks = c.get("/events/timeline", params={"interval": "week"}).json()["buckets"]
    # 2026-01-01 is in the ISO week of Monday 2025-12-29; days 1, 4 | 7, 10 | 13, 16
    assert weeks == [{"start": "2025-12-29", "events": 3, "fatalities": 7},
                     {"start": "2026-01-05", "events": 2, "fatalities": 5},
                     {"start": "2026-01-12", "events": 2, "fatalities": 9}]
    assert sum(b["events"] for b in weeks) == sum(b["events"] for b in days["buckets"]) == 7


def test_filters_apply_and_bad_input_is_400(database_url):
    c = _client(database_url)
    helmand = c.get("/events/timeline", params={"admin1": "Helmand"}).json()["buckets"]
    assert sum(b["events"] for b in helmand) == 2  # make_event(2) and the extra one
    assert c.get("/events/timeline", params={"country": "PK"}).json()["buckets"] == []
    assert c.get("/events/timeline", params={"interval": "month"}).status_code == 400
    assert c.get("/events/timeline", params={"since": "2026-02-01", "until": "2026-01-01"}).status_code == 400
