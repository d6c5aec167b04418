"""GET /events/{id}: an event's full story (sources first report first, claims, the range of
figures across outlets, evidence with offsets and highlights, the reports merged and why), on
SQLite and PostgreSQL."""

from __future__ import annotations

from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from services.common.ops import Health
from services.store.api import create_app
from services.store.event_view import figures, merge_reasons, passages
from services.store.metrics import StoreMetrics
from services.store.repository import EventRepository
from tests.helpers import make_event, two_outlet_reports


def _client(repo: EventRepository) -> TestClient:
    registry = CollectorRegistry()
    return TestClient(create_app(repo, Health(), registry, StoreMetrics(registry)))


def test_full_story_of_a_merged_event(database_url):
    repo = EventRepository(database_url)
    repo.upsert_many([*two_outlet_reports(), make_event(3)])
    body = _client(repo).get("/events/e00900").json()
    # every source, first report first (TOLOnews published at 07:00, Pajhwok at 09:00)
    assert [s["outlet"] for s in body["sources"]] == ["TOLOnews", "Pajhwok"]
    assert {(c["speaker"], c["organisation"], c["figure"], c["verified"]) for c in body["claims"]} == {
        ("Ahmad Khan", "Ministry of Defence", "5", True), ("Zabihullah Mujahid", "Taliban", "3", False)}
    assert body["figures"] == {"killed": {"min": 3, "max": 5, "by_outlet": {"Pajhwok": [5, 5], "TOLOnews": [3, 3]}}}
    # evidence per story, in story order, with offsets; the casualty phrase is located in its sentence
    first = body["passages"][0]
    assert first["outlet"] == "TOLOnews" and first["url"] == "https://example.org/TOLOnews"
    assert [s["start"] for s in first["sentences"]] == [0, first["sentences"][0]["end"] + 1]
    toll = first["sentences"][1]
    (a, b), = toll["highlights"]
    assert toll["text"][a:b] == "3 soldiers were killed"
    # the reports merged, and why the second joined the first
    lead, joined = body["merged"]
    assert lead["report_id"] == "e00900" and lead["joined_with"] is None
    assert joined["report_id"] == "e00901" and joined["joined_with"] == "e00900" and joined["outlet"] == "TOLOnews"
    assert joined["place"].startswith("same district Dasht-e-Archi")
    assert joined["dates"] == "0 days apart (within 1)"
    assert joined["actors"] == "shared: Military Forces of Afghanistan, Taliban"
    assert body["confidence"] == 0.85 and body["fatalities"] == 3  # the stored fields stay as they were
    # a report's id leads to its event's story too; an unknown id is 404
    assert _client(repo).get("/events/e00901").json()["merged"] == body["merged"]
    assert _client(repo).get("/events/nope").status_code == 404
    repo.close()


def test_a_single_report_explains_itself():
    event = make_event(1).model_dump(mode="json")
    assert merge_reasons([event], {"s1": "Outlet 1"})[0].joined_with is None
    assert figures(event, {}) == {}
    assert passages(event, {}) == []


def test_reasons_follow_the_chain_of_reports():
    a, b = (r.model_dump(mode="json") for r in two_outlet_reports())
    far = {**b, "event_id": "e00999", "story_id": "other", "event_date": "2026-12-30"}
    reasons = merge_reasons([far, b, a], {})
    assert [r.report_id for r in reasons] == ["e00900", "e00901", "e00999"]
    assert reasons[2].joined_with is None and reasons[2].place is None  # no longer the same event: unexplained
