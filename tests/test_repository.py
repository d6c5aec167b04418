"""The events store on SQLite and PostgreSQL alike (each test runs on both)."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from services.common.contracts import Actor, Event, Source, Story
from services.store import merge
from services.store.repository import MIGRATIONS, EventQuery, EventRepository

DISTRICTS = [("Kunduz", "Dasht-e-Archi", 37.13, 69.17), ("Kunduz", "Imam Sahib", 37.18, 68.92),
             ("Helmand", "Lashkar Gah", 31.59, 64.37), ("Kandahar", "Panjwai", 31.55, 65.45)]


def make_event(i: int, **kw) -> Event:
    admin1, admin2, lat, lon = DISTRICTS[i % len(DISTRICTS)]
    base = dict(
        event_id=f"e{i:05d}", story_id=f"s{i}", event_date=date(2026, 1, 1) + timedelta(days=3 * i),
        date_precision="day",
        event_type="Battles" if i % 3 else "Explosions/Remote violence",
        sub_event_type="Armed clash" if i % 3 else "Remote explosive/landmine/IED",
        actor1=Actor(name="Taliban"), actor2=Actor(name="Military Forces of Afghanistan"), country="AF",
        admin1=admin1, admin2=admin2, location=admin2, latitude=lat, longitude=lon, geo_precision=1,
        fatalities=i % 17, confidence=0.8, extractor="test",
        sources=[Source(story_id=f"s{i}", outlet=f"Outlet {i % 5}", url=f"https://example.org/{i}",
                        published_at=datetime(2026, 3, 2, tzinfo=UTC))],
    )
    return Event(**{**base, **kw})


def file_hash(repo: EventRepository) -> str:
    """The SQLite file's sha256, once its write-ahead log is folded into it."""
    with repo.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return hashlib.sha256(Path(repo.engine.url.database).read_bytes()).hexdigest()


def empty(repo: EventRepository) -> None:
    """A store with nothing in it; the schema stays."""
    with repo.engine.begin() as conn:
        for table in ("events", "reports", "story_links"):
            conn.execute(text(f"DELETE FROM {table}"))


def dump(repo: EventRepository) -> list:
    with repo.engine.connect() as conn:
        return [tuple(r) for table in ("events", "reports", "story_links")
                for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY 1")).all()]


def test_replaying_everything_changes_nothing(database_url):
    repo = EventRepository(database_url)
    events = [make_event(i) for i in range(120)]
    first = repo.upsert_many(events)
    assert (first.inserted, first.updated, first.unchanged) == (120, 0, 0)
    snapshot = dump(repo)
    before = file_hash(repo) if database_url.startswith("sqlite") else None
    for chunk in range(0, 120, 7):  # replay in a different order and batching
        again = repo.upsert_many(list(reversed(events))[chunk:chunk + 7])
        assert again.inserted == again.updated == 0
    assert dump(repo) == snapshot
    if before:
        assert file_hash(repo) == before
    repo.close()


def test_changed_report_is_rewritten(database_url):
    repo = EventRepository(database_url)
    repo.upsert_many([make_event(1)])
    res = repo.upsert_many([make_event(1, fatalities=99)])
    assert res.updated == 1
    assert repo.get("e00001")["fatalities"] == 99
    repo.close()


def test_filters_sorting_and_cursor_pagination(database_url):
    repo = EventRepository(database_url)
    repo.upsert_many([make_event(i) for i in range(60)])
    everything, _ = repo.query(EventQuery(limit=1000))
    kunduz, _ = repo.query(EventQuery(admin1="Kunduz", limit=1000))
    assert kunduz and all(e["admin1"] == "Kunduz" for e in kunduz)
    assert all(e["admin2"] == "Imam Sahib" for e in repo.query(EventQuery(admin2="Imam Sahib", limit=1000))[0])
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
    by_day = repo.stats(EventQuery(admin1="Helmand"), "day")
    assert all(r["events"] >= 1 for r in by_day)
    repo.close()


def test_migrations_are_applied_once(database_url):
    EventRepository(database_url).close()
    repo = EventRepository(database_url)  # second start: nothing to apply, nothing fails
    with repo.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM schema_migrations")).scalar_one() == len(MIGRATIONS)
    repo.close()


def test_upgrading_a_store_re_forms_the_clusters_the_rules_changed(database_url):
    """Version 6 stopped merging reports known only to their province: a store written before it,
    where two such reports formed one event, comes out of the upgrade with two."""
    first, second = (make_event(i, admin2=None, location=None, geo_precision=3, event_date=date(2026, 2, 1))
                     for i in (1, 5))  # Kunduz, same day, different stories
    repo = EventRepository(database_url)
    repo.upsert_many([first, second])
    assert repo.count() == 2
    with repo.engine.begin() as conn:  # as version 5 left it: one cluster, one event
        conn.execute(text("UPDATE reports SET cluster_id = :c"), {"c": first.event_id})
        conn.execute(text("DELETE FROM events WHERE event_id = :e"), {"e": second.event_id})
        conn.execute(text("DELETE FROM schema_migrations WHERE version >= 6"))  # later ones are idempotent
    repo.close()
    repo = EventRepository(database_url)
    assert repo.count() == 2
    assert repo.get(second.event_id)["reports"] == [second.event_id]
    with repo.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM reports WHERE cluster_id IS NULL")).scalar_one() == 0
    repo.close()


def test_republication_credits_its_outlet(database_url):
    from services.common.contracts import Story

    repo = EventRepository(database_url)
    repo.upsert_many([make_event(3)])
    dup = Story(story_id="copy", url="https://mirror.example/copy", canonical_url="https://mirror.example/copy",
                feed_id="m", outlet="Mirror", fetched_at=datetime(2026, 3, 3, tzinfo=UTC), content_hash="h",
                duplicate_of="s3")
    assert repo.link_duplicates([dup]) == 1
    assert repo.link_duplicates([dup]) == 0  # idempotent
    outlets = {s["outlet"] for s in repo.get("e00003")["sources"]}
    assert outlets == {"Outlet 3", "Mirror"}
    repo.close()


def _random_reports(rng, n: int) -> list[Event]:
    """Reports crowded into few places and days, so that many of them are the same event: districts
    that share a town 3 km apart, province-only and country-only places, every date precision,
    civilians and unknown actors, several events per story."""
    places = [("Kunduz", "Dasht-e-Archi", 37.13, 69.17, 1), ("Kunduz", "Archi Bazaar", 37.15, 69.18, 1),
              ("Kunduz", "Imam Sahib", 37.18, 68.92, 1), ("Kunduz", None, 36.73, 68.86, 3),
              ("Helmand", "Lashkar Gah", 31.59, 64.37, 1), ("Helmand", "Lashkar Gah", 31.61, 64.35, 2),
              (None, None, None, None, None)]
    actors = [None, "Taliban", "Islamic State", "Military Forces of Afghanistan", "Civilians (Afghanistan)"]
    out = []
    for i in range(n):
        admin1, admin2, lat, lon, gp = rng.choice(places)
        story = f"s{rng.randrange(n // 2)}"
        a1, a2 = rng.choice(actors), rng.choice(actors)
        out.append(make_event(
            i, story_id=story, event_date=date(2026, 2, 1) + timedelta(days=rng.randrange(400)),
            date_precision=rng.choice(["day"] * 8 + ["week", "month"]),
            event_type=rng.choice(["Battles", "Explosions/Remote violence"]),
            actor1=Actor(name=a1) if a1 else None, actor2=Actor(name=a2) if a2 else None,
            country="AF" if admin1 or rng.random() < 0.5 else None, admin1=admin1, admin2=admin2,
            location=admin2, latitude=lat, longitude=lon, geo_precision=gp, fatalities=rng.randrange(6),
            sources=[Source(story_id=story, outlet=f"Outlet {rng.randrange(4)}", url=f"https://example.org/{story}")]))
    return out


def test_incremental_merging_matches_a_full_rebuild(database_url):
    """Clusters kept up to date batch by batch, with late reports joining clusters and changed
    reports splitting them, are exactly the clusters a rebuild from all the reports gives."""
    import random

    rng = random.Random(11)
    repo = EventRepository(database_url)
    reports = _random_reports(rng, 400)
    # later versions of some reports move them to another day or place, splitting their clusters
    revised = [r.model_copy(update={"event_date": r.event_date + timedelta(days=rng.choice([-9, 7, 20])),
                                    "admin2": None if rng.random() < 0.5 else r.admin2})
               for r in rng.sample(reports, 60)]
    # and some move to another province or event type: their old clusters are in another bucket
    revised += [r.model_copy(update={"admin1": "Kunduz" if r.admin1 != "Kunduz" else "Helmand"}
                             if rng.random() < 0.5 else {"event_type": "Protests"})
                for r in rng.sample(reports, 30)]
    arrivals = reports + revised
    rng.shuffle(arrivals)
    start = 0
    while start < len(arrivals):
        size = rng.choice([1, 5, 40, 120])
        repo.upsert_many(arrivals[start:start + size])
        start += size
    incremental = dump(repo)
    merged = repo.count()
    assert 100 < merged < repo.count_reports() - 50  # the data set really does merge, and not into a few blobs
    repo.rebuild()
    assert dump(repo) == incremental


@pytest.mark.parametrize("place_a,place_b", [
    pytest.param(dict(admin2=""), dict(admin2=None), id="empty-district-is-no-district"),
    pytest.param(dict(admin1="Chukotka", admin2="A", latitude=65.0, longitude=179.99),
                 dict(admin1="Chukotka", admin2="B", latitude=65.0, longitude=-179.995), id="across-the-antimeridian"),
    pytest.param(dict(admin1="North", admin2="A", latitude=88.0, longitude=10.0),
                 dict(admin1="North", admin2="B", latitude=88.01, longitude=11.0), id="near-a-pole"),
])
def test_reports_arriving_apart_merge_as_a_rebuild_would(database_url, place_a, place_b):
    """Edge places the candidate lookup must not miss: each pair is one event by merge.same_event."""
    repo = EventRepository(database_url)
    a = make_event(1, story_id="sa", geo_precision=1, **place_a)
    b = make_event(1, event_id="other", story_id="sb", geo_precision=1, **place_b)
    assert merge.same_event(a.model_dump(mode="json"), b.model_dump(mode="json"))
    repo.upsert_many([a])
    repo.upsert_many([b])
    assert repo.count() == 1
    incremental = dump(repo)
    repo.rebuild()
    assert dump(repo) == incremental


def _held_while(postgres_url: str, lock_sql: str, write) -> tuple[bool, bool]:
    """Whether ``write`` (run in a thread) was still waiting after half a second while another
    connection held a lock, and whether it finished once the lock was released."""
    import threading

    import psycopg

    errors: list[BaseException] = []

    def run() -> None:
        try:
            write()
        except BaseException as exc:  # reported below: a failed write is not a finished one
            errors.append(exc)

    with psycopg.connect(postgres_url) as other:
        other.execute(lock_sql)  # held until `other` commits
        writer = threading.Thread(target=run)
        writer.start()
        writer.join(0.5)
        waited = writer.is_alive()
        other.commit()
        writer.join(10)
    assert not errors, errors
    return waited, not writer.is_alive()


def test_postgresql_writers_of_one_bucket_take_turns_and_of_others_do_not(postgres_url):
    """Another writer (a second store shard or replica) holding a report's bucket makes a write of
    that bucket wait; a write of a bucket in another lock slot goes ahead."""
    from services.store.repository import _WRITER_LOCK, lock_slot

    repo = EventRepository(postgres_url)
    mine, theirs = make_event(1), make_event(2)  # Imam Sahib, Kunduz and Lashkar Gah, Helmand
    slot = lock_slot(merge.bucket(mine.model_dump(mode="json")))
    assert slot != lock_slot(merge.bucket(theirs.model_dump(mode="json")))
    hold = f"SELECT pg_advisory_xact_lock_shared({_WRITER_LOCK}), pg_advisory_xact_lock({_WRITER_LOCK + 1 + slot})"
    assert _held_while(postgres_url, hold, lambda: repo.upsert_many([mine])) == (True, True)
    assert _held_while(postgres_url, hold, lambda: repo.upsert_many([theirs])) == (False, True)
    # a revised report that leaves the held bucket waits for it too: its old cluster is there
    moved = mine.model_copy(update={"admin1": "Helmand", "admin2": "Lashkar Gah"})
    assert lock_slot(merge.bucket(moved.model_dump(mode="json"))) != slot
    assert _held_while(postgres_url, hold, lambda: repo.upsert_many([moved])) == (True, True)
    # a link may touch any bucket: it waits for the writers, which hold the store shared
    dup = Story(story_id="mirror", url="https://mirror.example/1", canonical_url="https://mirror.example/1",
                feed_id="f", outlet="Mirror", fetched_at=datetime(2026, 3, 2, tzinfo=UTC), content_hash="h",
                duplicate_of=mine.story_id)
    assert _held_while(postgres_url, hold, lambda: repo.link_duplicates([dup])) == (True, True)
    assert repo.count_reports() == 2 and repo.get(mine.event_id)["admin1"] == "Helmand"
    assert "Mirror" in {s["outlet"] for s in repo.get(mine.event_id)["sources"]}
    repo.close()


def test_concurrent_writers_give_what_one_writer_gives(postgres_url, tmp_path):
    """Batches written by two PostgreSQL transactions at once, split by lock slot, end as the same
    rows as writing them one at a time (here: in SQLite)."""
    import random

    from prometheus_client import CollectorRegistry

    from services.store.metrics import StoreMetrics
    from services.store.repository import prepare
    from services.store.service import StoreHandler

    rng = random.Random(5)
    reports = _random_reports(rng, 300)
    reports += [r.model_copy(update={"event_type": "Protests", "admin2": None}) for r in rng.sample(reports, 20)]
    rng.shuffle(reports)
    sharded = EventRepository(postgres_url)
    handler = StoreHandler(sharded, None, StoreMetrics(CollectorRegistry()), writers=2)
    single = EventRepository(f"sqlite:///{tmp_path}/single.db")
    for start in range(0, len(reports), 50):
        batch = reports[start:start + 50]
        handler._write_shards([prepare(r.to_bytes()) for r in batch])
        single.upsert_many(batch)
    handler.close()
    assert dump(sharded) == dump(single)
    sharded.close()
    single.close()
