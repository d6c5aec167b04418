"""Plausibility of the curated gazetteer data/afghanistan.yaml: coordinates inside the country, every district
near its own province's capital, no two districts of a province on one point, no province without districts."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

DATA = Path(__file__).resolve().parents[1] / "services" / "extract" / "data" / "afghanistan.yaml"

# Afghanistan's bounding box, with a little room at the edges
LAT = (29.3, 38.5)
LON = (60.5, 75.0)
# Province coordinates are those of the capital. The farthest district seat from its capital is Delaram, in
# the north-east corner of Nimroz, about 200 km from Zaranj on the Iranian border; the next are Pur Chaman
# (Farah) and Baghran (Helmand) at 175-185 km. A district much farther than that from its capital has the
# wrong coordinates or sits in the wrong province.
MAX_KM = 210
FAR_ON_PURPOSE: dict[tuple[str, str], str] = {}  # (province, district) -> why; none needed today


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p = math.pi / 180
    a = math.sin((lat2 - lat1) * p / 2) ** 2 + math.cos(lat1 * p) * math.cos(lat2 * p) * \
        math.sin((lon2 - lon1) * p / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(a))


@pytest.fixture(scope="module")
def provinces() -> list[dict]:
    return yaml.safe_load(DATA.read_text(encoding="utf-8"))["provinces"]


def test_all_34_provinces_have_districts(provinces):
    assert len(provinces) == 34
    assert [p["name"] for p in provinces if not p.get("districts")] == []


def test_coordinates_lie_inside_afghanistan(provinces):
    outside = [(p["name"], d["name"], d["lat"], d["lon"]) for p in provinces for d in [p, *p["districts"]]
               if not (LAT[0] <= d["lat"] <= LAT[1] and LON[0] <= d["lon"] <= LON[1])]
    assert outside == []


def test_every_district_lies_near_its_province(provinces):
    far = [(p["name"], d["name"], round(_km(p["lat"], p["lon"], d["lat"], d["lon"])))
           for p in provinces for d in p["districts"]
           if _km(p["lat"], p["lon"], d["lat"], d["lon"]) > MAX_KM and (p["name"], d["name"]) not in FAR_ON_PURPOSE]
    assert far == []


def test_no_two_districts_of_a_province_share_coordinates(provinces):
    shared = []
    for p in provinces:
        seen: dict[tuple[float, float], str] = {}
        for d in p["districts"]:
            point = (d["lat"], d["lon"])
            if point in seen:
                shared.append((p["name"], seen[point], d["name"]))
            seen[point] = d["name"]
    assert shared == []
