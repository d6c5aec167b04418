import csv
import io
import json
from datetime import date

from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from services.common.contracts import Actor, Event, Evidence
from services.common.ops import Health
from services.store.api import OPENAPI_PATH, create_app, openapi_document
from services.store.export import CSV_COLUMNS
from services.store.metrics import StoreMetrics
from services.store.queries import SORTS, encode_cursor
from services.store.repository import EventRepository
from tests.helpers import make_event


def _events() -> list[Event]:
    """Thirty events, none merged, that differ in every field a filter looks at."""
    out = []
    for i in range(30):
        kw = {}
        if i % 5 == 0:
            kw["actor2"] = Actor(name="Police Forces of Afghanistan")
        if i % 10 == 9:
            kw.update(country="PK", admin1="Khyber Pakhtunkhwa", admin2="Peshawar", location="Peshawar",
                      latitude=34.01, longitude=71.58)
        sentence = (f"Police said {i} insurgents attacked a Checkpoint near the market." if i % 4 == 2
                    else f"Fighting was reported on day {i}.")
        kw["evidence"] = [Evidence(text=sentence, start=0, end=len(sentence))]
        out.append(make_event(i, **kw))
    return out


def _client(database_url: str, token: str | None = None) -> TestClient:
    repo = EventRepository(database_url)
    repo.upsert_many(_events())
    registry = CollectorRegistry()
    health = Health()
    health.add_check("database", repo.count)
    return TestClient(create_app(repo, health, registry, StoreMetrics(registry), max_limit=50, admin_token=token))


def _ids(c: TestClient, **params) -> list[str]:
    r = c.get("/events", params={"limit": 50, **params})
    assert r.status_code == 200, r.text
    return [e["event_id"] for e in r.json()["events"]]


def test_list_get_and_formats(database_url):
    c = _client(database_url)
    body = c.get("/events", params={"admin1": "Kunduz"}).json()
    assert body["count"] > 0 and all(e["admin1"] == "Kunduz" for e in body["events"])
    one = c.get(f"/events/{body['events'][0]['event_id']}").json()
    assert one["sources"][0]["url"].startswith("https://example.org/") and one["evidence"][0]["text"]
    stats = c.get("/stats", params={"by": "admin1"}).json()
    assert {r["admin1"] for r in stats["counts"]} == {"Kunduz", "Helmand", "Kandahar", "Khyber Pakhtunkhwa"}


def test_every_filter_selects_exactly_its_events(database_url):
    c = _client(database_url)
    events = _events()
    cases = {
        (("since", "2026-01-10"), ("until", "2026-02-10")):
            lambda e: date(2026, 1, 10) <= e.event_date <= date(2026, 2, 10),
        (("country", "PK"),): lambda e: e.country == "PK",
        (("admin1", "Kunduz"),): lambda e: e.admin1 == "Kunduz",
        (("admin2", "Imam Sahib"),): lambda e: e.admin2 == "Imam Sahib",
        (("actor", "Police Forces of Afghanistan"),): lambda e: e.actor2.name == "Police Forces of Afghanistan",
        (("event_type", "Explosions/Remote violence"),): lambda e: e.event_type == "Explosions/Remote violence",
        (("sub_event_type", "Armed clash"),): lambda e: e.sub_event_type == "Armed clash",
        (("min_fatalities", 10),): lambda e: e.fatalities >= 10,
        (("bbox", "64,31,66,32"),): lambda e: 31 <= e.latitude <= 32 and 64 <= e.longitude <= 66,
        (("q", "checkpoint"),): lambda e: "checkpoint" in e.evidence[0].text.lower(),
        (("q", "CHECKPOINT near"),): lambda e: "checkpoint near" in e.evidence[0].text.lower(),
        (("admin1", "Kunduz"), ("event_type", "Battles"), ("min_fatalities", 3)):
            lambda e: e.admin1 == "Kunduz" and e.event_type == "Battles" and e.fatalities >= 3,
    }
    for params, wanted in cases.items():
        expected = {e.event_id for e in events if wanted(e)}
        assert 0 < len(expected) < len(events), params  # a filter that selects nothing or all proves nothing
        assert set(_ids(c, **dict(params))) == expected, params
        by_type = c.get("/stats", params={"by": "event_type", **dict(params)}).json()["counts"]
        assert sum(r["events"] for r in by_type) == len(expected), params


def test_formats_by_parameter_and_by_accept(database_url):
    c = _client(database_url)
    ids = _ids(c)
    for kw in ({"params": {"format": "csv"}}, {"headers": {"Accept": "text/csv"}}):
        r = c.get("/events", **kw)
        assert r.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert rows[0].keys() == set(CSV_COLUMNS) and rows[0]["source_urls"].startswith("https://example.org/")
    for kw in ({"params": {"format": "geojson"}}, {"headers": {"Accept": "application/geo+json"}}):
        r = c.get("/events", params={"limit": 50, **kw.get("params", {})}, headers=kw.get("headers"))
        geo = r.json()
        assert r.headers["content-type"].startswith("application/geo+json") and geo["type"] == "FeatureCollection"
        assert [f["id"] for f in geo["features"]] == ids and geo["features"][0]["geometry"]["type"] == "Point"
    # format= wins over Accept; JSON is the default
    r = c.get("/events", params={"format": "json"}, headers={"Accept": "text/csv"})
    assert r.headers["content-type"].startswith("application/json") and r.json()["count"] > 0
    assert c.get("/events", headers={"Accept": "application/json"}).json()["count"] > 0
    paged = c.get("/events", params={"format": "csv", "limit": 5})
    assert paged.headers["X-Next-Cursor"] and len(list(csv.DictReader(io.StringIO(paged.text)))) == 5


def test_cursor_pagination_over_http_for_every_sort(database_url):
    c = _client(database_url)
    for sort in SORTS:
        everything = c.get("/events", params={"limit": 50, "sort": sort}).json()["events"]
        column = SORTS[sort][0]
        keys = [e[column] for e in everything]
        assert keys == sorted(keys, reverse=sort.startswith("-")), sort
        ids, cursor = [], None
        while True:
            body = c.get("/events", params={"limit": 4, "sort": sort, **({"cursor": cursor} if cursor else {})}).json()
            ids += [e["event_id"] for e in body["events"]]
            cursor = body["next_cursor"]
            if not cursor:
                break
        assert ids == [e["event_id"] for e in everything] and len(ids) == 30, sort


def test_bad_parameters_are_400_with_a_message(database_url):
    c = _client(database_url)
    by_fatalities = c.get("/events", params={"limit": 2, "sort": "-fatalities"}).json()["next_cursor"]
    for params, needle in [({"since": "yesterday"}, "since"), ({"since": "2026-03-05", "until": "2026-03-01"}, "since"),
                           ({"limit": 5000}, "limit"), ({"bbox": "1,2,3"}, "bbox"), ({"bbox": "nan,0,1,1"}, "bbox"),
                           ({"sort": "name"}, "sort"), ({"cursor": "garbage"}, "cursor"),
                           ({"cursor": by_fatalities}, "cursor"),  # a cursor of another sort
                           ({"cursor": encode_cursor({"a": 1}, "e1"), "sort": "fatalities"}, "cursor"),
                           ({"cursor": encode_cursor("2026-01-01", "e\x00")}, "cursor"),
                           ({"format": "xml"}, "format"), ({"min_fatalities": -1}, "min_fatalities"),
                           ({"min_fatalities": 2**31}, "min_fatalities"), ({"min_fatalities": 2**70}, "min_fatalities"),
                           ({"admin1": "Kun\x00duz"}, "NUL"), ({"q": "check\x00point"}, "NUL")]:
        r = c.get("/events", params=params)
        assert r.status_code == 400, (params, r.text)
        assert needle in r.json()["detail"], (params, r.text)
    for params in ({"by": "weekday"}, {"min_fatalities": 2**70}, {"actor": "\x00"}):
        assert c.get("/stats", params=params).status_code == 400, params
    assert c.get("/events/e%00").status_code == 400
    assert c.get("/events/unknown").status_code == 404


def test_admin_endpoints_need_the_token(database_url):
    assert _client(database_url).post("/admin/rebuild").status_code == 403
    c = _client(database_url, token="s3cret")
    assert c.post("/admin/rebuild").status_code == 401
    assert c.post("/admin/rebuild", headers={"Authorization": "Bearer wrong"}).status_code == 401
    r = c.post("/admin/rebuild", headers={"Authorization": "Bearer s3cret"})
    assert r.status_code == 200 and r.json()["events_written"] > 0
    assert r.json()["events_written"] == len(_events())  # thirty events, none merged


def test_ops_endpoints_and_page(database_url):
    c = _client(database_url)
    c.get("/events")
    assert c.get("/healthz").json()["ok"] is True
    assert c.get("/readyz").json()["checks"]["database"]["status"] == "ok"
    assert 'wirewatch_store_api_requests_total{route="/events",status="200"}' in c.get("/metrics").text
    page = c.get("/")
    assert page.status_code == 200 and "<svg id=\"map\"" in page.text


def test_checked_in_openapi_document_is_current(tmp_path):
    checked_in = OPENAPI_PATH.read_text(encoding="utf-8")
    assert checked_in == openapi_document(), "services/store/openapi.json is stale: run `wirewatch schemas --write`"
    served = _client(f"sqlite:///{tmp_path / 'api.db'}").get("/openapi.json")
    assert served.status_code == 200 and served.json() == json.loads(checked_in)
