"""The write path on SQLite and PostgreSQL alike (each test runs on both): idempotent,
order-independent upserts, clusters kept as a rebuild would form them, near-duplicate links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.common.contracts import Story
from services.store import merge
from services.store.repository import EventRepository
from tests.helpers import dump, file_hash, make_event, random_reports


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


def test_republication_credits_its_outlet(database_url):

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


def test_incremental_merging_matches_a_full_rebuild(database_url):
    """Clusters kept up to date batch by batch, with late reports joining clusters and changed
    reports splitting them, are exactly the clusters a rebuild from all the reports gives."""
    import random

    rng = random.Random(11)
    repo = EventRepository(database_url)
    reports = random_reports(rng, 400)
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


def test_concurrent_writers_give_what_one_writer_gives(postgres_url, tmp_path):
    """Batches written by two PostgreSQL transactions at once, split by lock slot, end as the same
    rows as writing them one at a time (here: in SQLite)."""
    import random

    from prometheus_client import CollectorRegistry

    from services.store.metrics import StoreMetrics
    from services.store.prepare import prepare
    from services.store.service import StoreHandler

    rng = random.Random(5)
    reports = random_reports(rng, 300)
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
