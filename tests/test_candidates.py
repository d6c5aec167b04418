"""Candidate windows: every stored report ``merge.same_event`` could match lies inside one."""

from __future__ import annotations

from services.store import merge
from services.store.candidates import window
from tests.helpers import make_event


def _inside(w: dict, r: dict) -> bool:
    """Whether the candidate SQL would select ``r`` for window ``w`` (its conditions, in Python)."""
    lo, hi = (w["lo2"], w["hi2"]) if r["date_precision"] == "day" else (w["lo"], w["hi"])
    place = r["admin2"] == w["d"] or (w["gp"] == 1 and r["geo_precision"] == 1 and w["la"] <= r["latitude"] <= w["lb"]
                                      and w["oa"] <= r["longitude"] <= w["ob"])
    return (r["story_id"] != w["s"] and r["admin1"] == w["a"] and r["event_type"] == w["t"]
            and lo <= r["event_date"] <= hi and place)


def test_date_windows_follow_the_precision():
    day = window(make_event(1, event_date="2026-03-10").model_dump(mode="json"))
    assert (day["lo2"], day["hi2"]) == ("2026-03-09", "2026-03-11")
    assert (day["lo"], day["hi"]) == ("2026-02-23", "2026-03-25")  # the widest tolerance, for coarser reports
    month = window(make_event(1, event_date="2026-03-10", date_precision="month").model_dump(mode="json"))
    assert (month["lo2"], month["hi2"]) == ("2026-02-23", "2026-03-25")


def test_a_window_holds_every_partner_a_few_km_away_even_across_the_antimeridian_and_near_a_pole():
    for (lat, lon), (lat2, lon2) in (((37.13, 69.17), (37.16, 69.20)), ((65.0, 179.99), (65.0, -179.995)),
                                     ((88.0, 10.0), (88.01, 11.0))):
        a = make_event(1, story_id="a", admin2="A", latitude=lat, longitude=lon).model_dump(mode="json")
        b = make_event(1, event_id="b", story_id="b", admin2="B", latitude=lat2, longitude=lon2).model_dump(mode="json")
        assert merge.same_event(a, b) and _inside(window(a), b)


def test_a_window_leaves_out_what_cannot_match():
    a = make_event(1, story_id="a").model_dump(mode="json")
    w = window(a)
    assert not _inside(w, {**a, "event_id": "x"})  # the same story
    assert not _inside(w, {**a, "story_id": "b", "admin2": "B", "latitude": a["latitude"] + 0.2})  # 22 km away
    assert not _inside(w, {**a, "story_id": "b", "event_date": "2026-01-09"})  # 4 days later, day precision
    assert _inside(w, {**a, "story_id": "b"})
