"""GET /map/boundaries: Natural Earth country outlines from the installed package, simplified and
served from memory (gzip when asked), or a clear 503 when the data cannot be read; GET
/map/provinces: Natural Earth admin-1 lines from their installed package, for a bounded bbox only."""

from __future__ import annotations

import gzip
import json

import pytest
import shapely
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from services.common.ops import Health
from services.store import boundaries
from services.store.api import create_app
from services.store.metrics import StoreMetrics


@pytest.fixture(scope="module")
def countries() -> list[dict]:
    return boundaries.load_countries()


def _api() -> TestClient:
    registry = CollectorRegistry()
    return TestClient(create_app(None, Health(), registry, StoreMetrics(registry)))


def test_countries_are_outlined_and_simplified(countries):
    by_iso = {c["iso"]: c for c in countries if c["iso"]}
    assert len(by_iso) > 190 and {"AF", "PK", "IR", "SY", "UA", "ML"} <= set(by_iso)
    afghanistan = shapely.polygons(by_iso["AF"]["rings"][0])
    assert afghanistan.contains(shapely.points(69.17, 34.53))  # Kabul
    assert not afghanistan.contains(shapely.points(71.58, 34.01))  # Peshawar, across the border
    points = sum(len(r) for c in countries for r in c["rings"])
    assert 20_000 < points < 120_000, points  # the 1:10m source has ~550,000
    assert all(round(x, 2) == x for c in countries[:20] for r in c["rings"] for x, _ in r)


def test_route_serves_json_and_gzip(monkeypatch):
    body = json.dumps({"countries": [{"iso": "AF", "name": "Afghanistan", "rings": [[[60, 29], [75, 29], [75, 38],
                                                                                      [60, 29]]]}]})
    monkeypatch.setattr(boundaries, "_CACHE", boundaries._Once(boundaries.country_body))
    monkeypatch.setattr(boundaries, "load_countries", lambda: json.loads(body)["countries"])
    registry = CollectorRegistry()
    c = TestClient(create_app(None, Health(), registry, StoreMetrics(registry)))
    plain = c.get("/map/boundaries", headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and plain.json()["countries"][0]["iso"] == "AF"
    assert "max-age" in plain.headers["cache-control"]
    zipped = c.get("/map/boundaries", headers={"Accept-Encoding": "gzip"})  # httpx decodes it
    assert zipped.headers["content-encoding"] == "gzip" and zipped.json() == plain.json()
    assert int(zipped.headers["content-length"]) == len(gzip.compress(plain.content, 6))


def test_missing_data_is_a_503_not_a_crash(monkeypatch):
    monkeypatch.setattr(boundaries, "_CACHE", boundaries._Once(boundaries.country_body))
    monkeypatch.setattr(boundaries, "_FILE", "no-such-file.zip")
    registry = CollectorRegistry()
    r = TestClient(create_app(None, Health(), registry, StoreMetrics(registry))).get("/map/boundaries")
    assert r.status_code == 503 and "could not be read" in r.json()["detail"]


AFGHANISTAN = "60.5,29.3,75.0,38.5"


def test_provinces_are_served_for_a_bbox(countries):
    c = _api()
    r = c.get("/map/provinces", params={"bbox": AFGHANISTAN}, headers={"Accept-Encoding": "identity"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["count"] == len(body["lines"]) > 100 and "admin-1" in body["source"]
    afghanistan = shapely.polygons(next(x for x in countries if x["iso"] == "AF")["rings"][0])
    points = shapely.points([p for line in body["lines"] for p in line])
    inside = int(shapely.contains(afghanistan, points).sum())
    assert inside > 500, inside  # the 34 provinces' lines, inside the country
    # Helmand and Kandahar meet west of Kandahar city: a line crosses 31.0-32.0 N near 64.5-65.5 E
    assert any(64.5 < x < 65.5 and 31.0 < y < 32.0 for line in body["lines"] for x, y in line)
    for line in body["lines"]:  # every line returned crosses the bbox
        xs, ys = [p[0] for p in line], [p[1] for p in line]
        assert min(xs) <= 75.0 and max(xs) >= 60.5 and min(ys) <= 38.5 and max(ys) >= 29.3
        assert all(round(v, 3) == v for v in xs[:5])
    assert c.get("/map/provinces", params={"bbox": "-40,10,-30,20"}).json()["lines"] == []  # mid-Atlantic
    # the densest region at the largest bbox stays small enough for a page (Europe, 30 x 30 degrees)
    europe = c.get("/map/provinces", params={"bbox": "0,30,30,60"}, headers={"Accept-Encoding": "gzip"})
    assert europe.status_code == 200 and europe.headers["content-encoding"] == "gzip"
    assert len(europe.content) < 1_000_000 and int(europe.headers["content-length"]) < 300_000


@pytest.mark.parametrize("bbox, words", [
    ("1,2,3", "four numbers"),
    ("a,b,c,d", "four numbers"),
    ("75,29,60,38", "min_lon < max_lon"),
    ("60,29,75,200", "within -90..90"),
    ("nan,29,75,38", "min_lon < max_lon"),
    ("0,0,40,20", "at most 30 degrees"),
])
def test_a_bad_or_too_large_bbox_is_a_400(bbox, words):
    r = _api().get("/map/provinces", params={"bbox": bbox})
    assert r.status_code == 400 and words in r.json()["detail"], r.text


def test_missing_province_data_is_a_503_not_a_crash(monkeypatch):
    monkeypatch.setattr(boundaries, "_PROVINCES", boundaries._Once(boundaries.load_provinces))
    monkeypatch.setattr(boundaries, "_PROVINCE_FILE", "no/such/lines")
    r = _api().get("/map/provinces", params={"bbox": AFGHANISTAN})
    assert r.status_code == 503 and "admin-1 lines could not be read" in r.json()["detail"]


def test_the_province_lines_hold_about_what_they_serve():
    """Each line is kept at its own size: orjson's output keeps a 4 KiB buffer per line (174 MB for
    the 44k lines) unless copied, which pushed the store's RSS past its pod's memory limit."""
    import tracemalloc

    tracemalloc.start()
    try:
        lines = boundaries.load_provinces()
        held, _peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    served = sum(len(line) for line in lines.lines) + lines.bounds.nbytes
    assert held < 3 * served + 8 * 2**20, (held, served)
