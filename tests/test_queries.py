"""Reads on SQLite and PostgreSQL alike (each test runs on both): every filter, both sorts, cursor
pagination, grouped counts, and refused queries."""

from __future__ import annotations

from datetime import date

import pytest

from services.store.queries import BadQuery, EventQuery, decode_cursor, encode_cursor
from services.store.repository import EventRepository
from tests.helpers import make_event


def test_filters_sorting_and_cursor_pagination(database_url):
    repo = EventRepository(database_url)
    repo.upsert_many([make_event(i) for i in range(60)])
    everything, _ = repo.query(EventQuery(limit=1000))
    kunduz, _ = repo.query(EventQuery(admin1="Kunduz", limit=1000))
    assert kunduz and all(e["admin1"] == "Kunduz" for e in kunduz)
    assert len(kunduz) == 30  # i % 4 in (0, 1): half of the sixty
    imam_sahib = repo.query(EventQuery(admin2="Imam Sahib", limit=1000))[0]
    assert all(e["admin2"] == "Imam Sahib" for e in imam_sahib)
    assert len(imam_sahib) == 15  # an empty answer passed the line above
    day, _ = repo.query(EventQuery(since=date(2026, 1, 10), until=date(2026, 1, 10), limit=1000))
    assert day and {e["event_date"] for e in day} == {"2026-01-10"}
    deadly, _ = repo.query(EventQuery(min_fatalities=10, sort="-fatalities", limit=1000))
    assert deadly and all(e["fatalities"] >= 10 for e in deadly)
    assert [e["fatalities"] for e in deadly] == sorted((e["fatalities"] for e in deadly), reverse=True)
    boxed, _ = repo.query(EventQuery(bbox=(64.0, 31.0, 66.0, 32.0), limit=1000))
    assert boxed and {e["admin1"] for e in boxed} <= {"Helmand", "Kandahar"}
    ied, _ = repo.query(EventQuery(event_type="Explosions/Remote violence", actor="Taliban", limit=1000))
    assert ied and all(e["event_type"] == "Explosions/Remote violence" for e in ied)
    # walking the cursor visits every event exactly once, in order
    seen, cursor = [], None
    while True:
        page, cursor = repo.query(EventQuery(limit=7, cursor=cursor))
        seen += [e["event_id"] for e in page]
        if not cursor:
            break
    assert seen == [e["event_id"] for e in everything] and len(set(seen)) == len(seen)
    repo.close()


def test_stats(database_url):
    repo = EventRepository(database_url)
    repo.upsert_many([make_event(i) for i in range(40)])
    by_province = {r["admin1"]: r["events"] for r in repo.stats(EventQuery(), "admin1")}
    assert sum(by_province.values()) == repo.count() and set(by_province) == {"Kunduz", "Helmand", "Kandahar"}
    assert by_province == {"Kunduz": 20, "Helmand": 10, "Kandahar": 10}
    by_day = repo.stats(EventQuery(admin1="Helmand"), "day")
    helmand = [make_event(i) for i in range(40) if i % 4 == 2]  # no two on one day, so none merged
    assert by_day == [{"day": e.event_date.isoformat(), "events": 1, "fatalities": e.fatalities} for e in helmand]
    by_type = {r["event_type"]: (r["events"], r["fatalities"]) for r in repo.stats(EventQuery(), "event_type")}
    assert by_type == {"Battles": (26, sum(i % 17 for i in range(40) if i % 3)),
                       "Explosions/Remote violence": (14, sum(i % 17 for i in range(40) if not i % 3))}
    repo.close()


def test_unknown_sorts_groupings_and_cursors_are_bad_queries(database_url):
    repo = EventRepository(database_url)
    repo.upsert_many([make_event(i) for i in range(3)])
    with pytest.raises(BadQuery, match="sort must be one of"):
        repo.query(EventQuery(sort="actor1"))
    with pytest.raises(BadQuery, match="by must be one of"):
        repo.stats(EventQuery(), "actor1")
    with pytest.raises(BadQuery, match="cursor is not one this API issued"):
        repo.query(EventQuery(cursor="not-a-cursor"))
    # a date cursor is refused for a fatalities sort: it would compare text with integers
    with pytest.raises(BadQuery, match="sort=-fatalities"):
        repo.query(EventQuery(sort="-fatalities", cursor=encode_cursor("2026-01-01", "e00001")))
    repo.close()


def test_cursors_round_trip_and_refuse_what_they_did_not_make():
    assert decode_cursor(encode_cursor("2026-01-10", "e00003")) == ("2026-01-10", "e00003")
    assert decode_cursor(encode_cursor(17, "e00003")) == (17, "e00003")
    for forged in (encode_cursor("x", "e" * 129), encode_cursor("x", "a\x00b"), "%%%"):
        with pytest.raises(BadQuery):
            decode_cursor(forged)


def test_get_finds_an_event_by_any_of_its_reports(database_url):
    repo = EventRepository(database_url)
    first = make_event(1, story_id="a")
    second = make_event(1, event_id="e99999", story_id="b")  # same day and place: one event
    repo.upsert_many([first, second])
    assert repo.get("e99999")["event_id"] == "e00001"
    assert repo.get("e00001")["reports"] == ["e00001", "e99999"]
    assert repo.get("nothing") is None
    repo.close()
