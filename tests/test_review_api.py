"""The review endpoints over a real store (SQLite and PostgreSQL): the admin token, confirm, reject,
correct, undo, the audit log, and review status in the filters and exports."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from services.common.ops import Health
from services.store.api import create_app
from services.store.metrics import StoreMetrics
from services.store.repository import EventRepository
from tests.helpers import make_event

TOKEN = "s3cret-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _client(database_url: str, token: str | None = TOKEN) -> TestClient:
    repo = EventRepository(database_url)
    repo.upsert_many([make_event(i) for i in range(6, 10)])
    registry = CollectorRegistry()
    return TestClient(create_app(repo, Health(), registry, StoreMetrics(registry), max_limit=50, admin_token=token))


def _body(action: str, **fields) -> dict:
    body: dict = {"action": action, "reason": "two outlets say so", "reviewer": "ana"}
    if fields:
        body["fields"] = fields
    return body


def _ids(c: TestClient, **params) -> list[str]:
    r = c.get("/events", params=params)
    assert r.status_code == 200, r.text
    return [e["event_id"] for e in r.json()["events"]]


@pytest.mark.parametrize("token, headers, status", [
    (None, AUTH, 403),  # no token configured: review is disabled
    (TOKEN, {}, 401),
    (TOKEN, {"Authorization": "Bearer wrong"}, 401),
    (TOKEN, {"Authorization": TOKEN + "x"}, 401),
])
def test_reviews_need_the_admin_token(tmp_path, token, headers, status):
    c = _client(f"sqlite:///{tmp_path / 'api.db'}", token)
    r = c.post("/events/e00006/review", json={"action": "bogus"}, headers=headers)  # refused before the body
    assert r.status_code == status and "token" in r.json()["detail"].lower()
    assert c.delete("/events/e00006/review/x", params={"reviewer": "a", "reason": "b"},
                    headers=headers).status_code == status
    assert c.get("/events/e00006").json()["review_status"] == "unreviewed"
    assert c.get("/audit").json()["entries"] == []
    assert f'route="/events/{{event_id}}/review",status="{status}"' in c.get("/metrics").text


def test_confirm_reject_correct_undo_and_audit(database_url):
    c = _client(database_url)
    assert c.post("/events/e00006/review", json=_body("confirm"), headers=AUTH).status_code == 201
    rejected = c.post("/events/e00007/review", json=_body("reject"), headers=AUTH)
    assert rejected.status_code == 201 and rejected.json()["event"]["review_status"] == "rejected"
    r = c.post("/events/e00008/review", json=_body("correct", fatalities=30, actor1="Islamic State",
                                                       event_date="2026-01-20"), headers=AUTH)
    assert r.status_code == 201, r.text
    corrected = c.get("/events/e00008").json()
    assert (corrected["fatalities"], corrected["actor1"]["name"], corrected["event_date"]) == (30, "Islamic State",
                                                                                               "2026-01-20")
    assert corrected["review"]["extracted"] == {"actor1": "Taliban", "event_date": "2026-01-25", "fatalities": 8}
    assert corrected["review"]["reason"] == "two outlets say so" and corrected["review"]["status"] == "corrected"
    assert _ids(c) == ["e00009", "e00008", "e00006"]
    assert _ids(c, review_status="rejected") == ["e00007"]
    assert _ids(c, review_status="rejected,confirmed") == ["e00007", "e00006"]
    assert _ids(c, reviewed="true") == ["e00008", "e00006"] and _ids(c, reviewed="false") == ["e00009"]
    assert _ids(c, actor="Islamic State") == ["e00008"] and _ids(c, reviewed="true", review_status="unreviewed") == []
    assert _ids(c, reviewed="true", review_status="rejected,unreviewed") == ["e00007"]
    assert c.get("/events", params={"review_status": "maybe"}).status_code == 400
    rows = list(csv.DictReader(io.StringIO(c.get("/events", params={"format": "csv"}).text)))
    assert {r["event_id"]: r["review_status"] for r in rows} == {
        "e00006": "confirmed", "e00008": "corrected", "e00009": "unreviewed"}
    features = c.get("/events", params={"format": "geojson", "review_status": "rejected"}).json()["features"]
    assert [f["properties"]["review_status"] for f in features] == ["rejected"]
    assert sum(r["events"] for r in c.get("/stats").json()["counts"]) == 3

    undo = c.delete(f"/events/e00008/review/{r.json()['review_id']}", params={"reviewer": "bo", "reason": "wrong"},
                    headers=AUTH)
    assert undo.status_code == 200 and undo.json()["event"]["fatalities"] == 8
    assert c.delete(f"/events/e00008/review/{r.json()['review_id']}", params={"reviewer": "bo", "reason": "again"},
                    headers=AUTH).status_code == 409
    audit = c.get("/audit", params={"limit": 2}).json()
    assert [e["action"] for e in audit["entries"]] == ["review.undo", "review.correct"]
    assert audit["entries"][0]["actor"] == "bo" and audit["entries"][0]["before"]["fatalities"] == 30
    rest = c.get("/audit", params={"limit": 2, "cursor": audit["next_cursor"]}).json()
    assert [e["action"] for e in rest["entries"]] == ["review.reject", "review.confirm"] and rest["next_cursor"] is None
    assert [e["event_id"] for e in c.get("/audit", params={"event_id": "e00007"}).json()["entries"]] == ["e00007"]


@pytest.mark.parametrize("path, body, status, detail", [
    ("/events/nope/review", _body("confirm"), 404, "no event nope"),
    ("/events/e00006/review", _body("correct"), 400, "at least one field"),
    ("/events/e00006/review", _body("correct", sub_event_type="Peaceful protest"), 400, "is not one of"),
    ("/events/e00006/review", {"action": "confirm", "reviewer": "ana"}, 400, "reason"),
    ("/events/" + "x" * 200 + "/review", _body("confirm"), 400, "too long"),
])
def test_a_bad_review_is_a_clear_error(tmp_path, path, body, status, detail):
    c = _client(f"sqlite:///{tmp_path / 'api.db'}")
    r = c.post(path, json=body, headers=AUTH)
    assert r.status_code == status and detail in r.json()["detail"], r.text
    assert c.get("/audit").json()["entries"] == []
    assert c.get("/audit", params={"cursor": "garbage"}).status_code == 400
    assert c.delete("/events/e00006/review/none", params={"reviewer": "bo", "reason": "x"},
                    headers=AUTH).status_code == 404
