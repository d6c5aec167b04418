"""GET /map/boundaries: Natural Earth country outlines from the installed package, simplified and
served from memory (gzip when asked), or a clear 503 when the data cannot be read."""

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
    monkeypatch.setattr(boundaries, "_CACHE", boundaries._Cached())
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
    monkeypatch.setattr(boundaries, "_CACHE", boundaries._Cached())
    monkeypatch.setattr(boundaries, "_FILE", "no-such-file.zip")
    registry = CollectorRegistry()
    r = TestClient(create_app(None, Health(), registry, StoreMetrics(registry))).get("/map/boundaries")
    assert r.status_code == 503 and "could not be read" in r.json()["detail"]
