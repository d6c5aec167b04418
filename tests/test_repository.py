"""The events store on SQLite and PostgreSQL alike (each test runs on both)."""

from datetime import UTC, date, datetime

from sqlalchemy import text

from services.common.contracts import Actor, Event, Source
from services.store.repository import EventQuery, EventRepository


def make_event(i: int, **kw) -> Event:
    base = dict(
        event_id=f"e{i:04d}", story_id=f"s{i}", event_date=date(2026, 3, 1 + i % 20), date_precision="day",
        event_type="Battles", sub_event_type="Armed clash", actor1=Actor(name="Taliban"),
        actor2=Actor(name="Military Forces of Afghanistan"), country="AF",
        admin1="Kunduz" if i % 2 else "Helmand", admin2=None, location="x", latitude=36.7, longitude=68.8,
        geo_precision=3, fatalities=i, confidence=0.8, extractor="test",
        sources=[Source(story_id=f"s{i}", outlet="Outlet", url=f"https://example.org/{i}",
                        published_at=datetime(2026, 3, 2, tzinfo=UTC))],
    )
    return Event(**{**base, **kw})


def _dump(repo: EventRepository) -> list:
    with repo.engine.connect() as conn:
        events = conn.execute(text("SELECT * FROM events ORDER BY event_id")).all()
        sources = conn.execute(text("SELECT * FROM event_sources ORDER BY event_id, url")).all()
    return [tuple(r) for r in events] + [tuple(r) for r in sources]


def test_upsert_is_idempotent_in_any_order(database_url):
    repo = EventRepository(database_url)
    events = [make_event(i) for i in range(50)]
    first = repo.upsert_many(events)
    assert (first.inserted, first.updated, first.unchanged) == (50, 0, 0)
    snapshot = _dump(repo)
    again = repo.upsert_many(list(reversed(events)))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 50)
    assert _dump(repo) == snapshot
    repo.close()


def test_changed_event_is_updated(database_url):
    repo = EventRepository(database_url)
    repo.upsert_many([make_event(1)])
    res = repo.upsert_many([make_event(1, fatalities=99)])
    assert res.updated == 1
    assert repo.get("e0001")["fatalities"] == 99
    repo.close()


def test_query_filters(database_url):
    repo = EventRepository(database_url)
    repo.upsert_many([make_event(i) for i in range(40)])
    kunduz = repo.query(EventQuery(admin1="kunduz", limit=1000))
    assert kunduz and all(e["admin1"] == "Kunduz" for e in kunduz)
    day = repo.query(EventQuery(since=date(2026, 3, 5), until=date(2026, 3, 5), limit=1000))
    assert {e["event_date"] for e in day} == {"2026-03-05"}
    assert all(e["sources"][0]["url"].startswith("https://example.org/") for e in day)
    assert repo.query(EventQuery(event_type="Protests")) == []
    assert repo.get("nope") is None
    repo.close()


def test_migrations_are_applied_once(database_url):
    EventRepository(database_url).close()
    repo = EventRepository(database_url)  # second start: nothing to apply, nothing fails
    with repo.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM schema_migrations")).scalar_one() == 1
    repo.close()
