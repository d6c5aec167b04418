"""The change feed: a mirror kept by applying it equals the store, through replays that split and
join clusters; sequence numbers are commit-ordered under concurrent writers."""

from __future__ import annotations

import random
import threading

from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from services.common.ops import Health
from services.store.api import create_app
from services.store.changes import ChangeKind
from services.store.metrics import StoreMetrics
from services.store.repository import EventRepository
from tests.helpers import DISTRICTS, make_event, random_reports


def _client(repo: EventRepository) -> TestClient:
    registry = CollectorRegistry()
    return TestClient(create_app(repo, Health(), registry, StoreMetrics(registry), max_limit=500, admin_token="t"))


class Mirror:
    """A downstream copy kept only from the feed, as the README tells consumers to."""

    def __init__(self, client: TestClient) -> None:
        self.client, self.events, self.cursor, self.kinds = client, {}, None, set()

    def sync(self) -> None:
        while True:
            r = self.client.get("/events/changes", params={"limit": 37, **({"cursor": self.cursor} if self.cursor
                                                                            else {})})
            assert r.status_code == 200, r.text
            page = r.json()
            for c in page["changes"]:
                self.kinds.add(c["kind"])
                if c["kind"] in ("created", "updated"):
                    if c["event"] is not None:
                        self.events[c["event_id"]] = c["event"]
                else:
                    self.events.pop(c["event_id"], None)
            if page["next_cursor"] == self.cursor or not page["changes"]:
                return
            self.cursor = page["next_cursor"]


def _store_events(client: TestClient) -> dict:
    out, cursor = {}, None
    while True:
        page = client.get("/events", params={"limit": 500, **({"cursor": cursor} if cursor else {})}).json()
        out.update({e["event_id"]: e for e in page["events"]})
        cursor = page["next_cursor"]
        if not cursor:
            return out


def _moved(event, rng):
    """The same report re-extracted with another district and day: it leaves its cluster, and may join another."""
    admin1, admin2, lat, lon = rng.choice(DISTRICTS)
    return event.model_copy(update={"admin1": admin1, "admin2": admin2, "location": admin2, "latitude": lat,
                                    "longitude": lon, "geo_precision": 1,
                                    "event_date": event.event_date.replace(day=rng.randrange(1, 28))})


def test_a_mirror_kept_from_the_feed_equals_the_store_through_splits_and_joins(database_url):
    rng = random.Random(16)
    repo = EventRepository(database_url)
    client = _client(repo)
    mirror = Mirror(client)
    reports = random_reports(rng, 160)
    order = list(reports)
    rng.shuffle(order)
    for start in range(0, len(order), 23):
        repo.upsert_many(order[start:start + 23])
        if start == 46:
            mirror.sync()  # a consumer that reads while the store is being filled
    mirror.sync()
    assert mirror.events == _store_events(client)
    # revisions move reports between clusters (splits), then back (joins), in random batches
    revised = {e.event_id: _moved(e, rng) for e in rng.sample(reports, 50)}
    batch = list(revised.values())
    for start in range(0, len(batch), 9):
        repo.upsert_many(batch[start:start + 9])
    mirror.sync()
    assert mirror.events == _store_events(client)
    originals = [e for e in reports if e.event_id in revised]
    rng.shuffle(originals)
    for start in range(0, len(originals), 7):
        repo.upsert_many(originals[start:start + 7])
        if start == 14:
            mirror.sync()
    # the replay of the whole topic from offset 0 changes nothing, and a rebuild nothing the feed misses
    repo.upsert_many(reports)
    assert client.post("/admin/rebuild", headers={"Authorization": "Bearer t"}).status_code == 200
    mirror.sync()
    assert mirror.events == _store_events(client)
    assert {"created", "updated", "merged"} <= mirror.kinds
    repo.close()


def test_a_join_says_where_the_event_now_lives_and_a_split_creates_it_again(tmp_path):
    repo = EventRepository(f"sqlite:///{tmp_path / 's.db'}")
    near = make_event(2, event_date=make_event(1).event_date, admin1=DISTRICTS[1][0], admin2=DISTRICTS[1][1],
                      latitude=DISTRICTS[1][2], longitude=DISTRICTS[1][3], event_type=make_event(1).event_type,
                      sub_event_type=make_event(1).sub_event_type)
    repo.upsert_many([near])  # e00002 alone
    repo.upsert_many([make_event(1)])  # e00001 joins it: the cluster is now e00001
    entries, cursor = repo.changes.page(0, 100)
    assert [(e.event_id, e.kind, e.into) for e in entries] == [
        ("e00002", ChangeKind.CREATED, None), ("e00002", ChangeKind.MERGED, "e00001"),
        ("e00001", ChangeKind.CREATED, None)]
    assert repo.get("e00002")["event_id"] == "e00001"  # the id it now lives under answers
    repo.upsert_many([_moved(make_event(1), random.Random(1)).model_copy(update={"admin2": "Elsewhere"})])
    later, _ = repo.changes.page(cursor, 100)
    assert {(e.event_id, e.kind) for e in later} == {("e00001", ChangeKind.UPDATED), ("e00002", ChangeKind.CREATED)}
    assert repo.changes.page(repo.changes.head(), 100) == ([], repo.changes.head())
    repo.upsert_many([near])  # unchanged: no entry
    assert repo.changes.page(repo.changes.head(), 100)[0] == []
    repo.close()


def test_sequence_numbers_are_commit_ordered_under_concurrent_writers(database_url):
    """Readers poll while four threads write different buckets: every number is seen, none is
    skipped by a cursor that passed it before it committed."""
    repo = EventRepository(database_url)
    stop = threading.Event()
    seen: list[int] = []

    def read() -> None:
        cursor = 0
        while True:
            final = stop.is_set()
            entries, cursor = repo.changes.page(cursor, 50)
            seen.extend(e.seq for e in entries)
            if final and not entries:
                return

    def write(k: int) -> None:
        for i in range(k, 400, 4):
            repo.upsert_many([make_event(i)])

    reader = threading.Thread(target=read)
    reader.start()
    writers = [threading.Thread(target=write, args=(k,)) for k in range(4)]
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    reader.join()
    assert seen == list(range(1, repo.changes.head() + 1)) and len(seen) >= 400
    repo.close()


def test_the_feed_refuses_cursors_and_limits_it_did_not_offer(tmp_path):
    repo = EventRepository(f"sqlite:///{tmp_path / 's.db'}")
    client = _client(repo)
    repo.upsert_many([make_event(i) for i in range(3)])
    for bad in ("-1", "abc", "1" * 30, "１"):
        assert client.get("/events/changes", params={"cursor": bad}).status_code == 400
    assert client.get("/events/changes", params={"limit": 501}).status_code == 400
    page = client.get("/events/changes", params={"limit": 2}).json()
    assert page["count"] == 2 and page["next_cursor"] == "2"
    rest = client.get("/events/changes", params={"cursor": page["next_cursor"]}).json()
    assert [c["event_id"] for c in rest["changes"]] == ["e00002"] and rest["changes"][0]["event"]["event_id"] == "e00002"
    repo.close()


def test_an_upgraded_store_lists_the_events_it_had_as_created(database_url):
    repo = EventRepository(database_url)
    repo.upsert_many([make_event(i) for i in range(5)])
    with repo.engine.begin() as conn:  # as a store without version 8 left it: no change feed (later versions applied)
        for table in ("event_changes", "change_counter", "webhook_deliveries", "saved_searches"):
            conn.exec_driver_sql(f"DROP TABLE {table}")
        conn.exec_driver_sql("DELETE FROM schema_migrations WHERE version = 8")
    repo.close()
    repo = EventRepository(database_url)
    entries, cursor = repo.changes.page(0, 100)
    assert [(e.event_id, e.kind) for e in entries] == [(f"e{i:05d}", ChangeKind.CREATED) for i in range(5)]
    repo.upsert_many([make_event(9)])
    assert [e.seq for e in repo.changes.page(cursor, 100)[0]] == [6]
    repo.close()
