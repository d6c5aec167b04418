"""Merging reports of the same real-world event, on the seed pairs the gold file marks as the same
event, and on pairs that must stay apart."""

from __future__ import annotations

import itertools
import json
import random

from sqlalchemy import text

from services.common.contracts import Actor, Event
from services.store import merge
from services.store.repository import EventRepository
from tests.conftest import shared_path
from tests.helpers import dump, empty, seed_events


def report(eid: str, story: str, day: str, admin2: str | None = "Dasht-e-Archi", **kw) -> dict:
    base = {"event_id": eid, "story_id": story, "event_date": day, "date_precision": "day",
            "event_type": "Battles", "sub_event_type": "Armed clash", "actor1": {"name": "Taliban"},
            "actor2": {"name": "Military Forces of Afghanistan"}, "country": "AF", "admin1": "Kunduz",
            "admin2": admin2, "location": admin2, "latitude": 37.13, "longitude": 69.17, "geo_precision": 1,
            "fatalities": 0, "confidence": 0.8, "sources": [], "claims": [], "evidence": [], "casualties": []}
    return {**base, **kw}


def test_same_day_different_district_stays_apart():
    a = report("a", "s1", "2020-01-28")
    b = report("b", "s2", "2020-01-28", admin2="Imam Sahib", latitude=37.18, longitude=68.92)
    assert not merge.same_event(a, b)


def test_same_place_different_day_stays_apart():
    assert not merge.same_event(report("a", "s1", "2020-01-20"), report("b", "s2", "2020-01-28"))


def test_dates_within_precision_and_same_district_merge():
    assert merge.same_event(report("a", "s1", "2020-01-28"), report("b", "s2", "2020-01-29"))
    assert merge.same_event(report("a", "s1", "2020-01-25", date_precision="week"),
                            report("b", "s2", "2020-01-28"))
    assert not merge.same_event(report("a", "s1", "2020-01-28"), report("b", "s1", "2020-01-28"))  # one story
    assert not merge.same_event(report("a", "s1", "2020-01-28"),
                                report("b", "s2", "2020-01-28", event_type="Protests"))


def test_merged_fatalities_follow_the_acled_rule_and_keep_the_range():
    a = report("a", "s1", "2020-01-28", fatalities=20, sources=[{"url": "u1", "outlet": "A", "story_id": "s1"}])
    b = report("b", "s2", "2020-01-29", fatalities=28, sources=[{"url": "u2", "outlet": "B", "story_id": "s2"}])
    c = report("c", "s3", "2020-01-29", fatalities=0)
    m = merge.merge([b, c, a])
    assert m["fatalities"] == 20 and m["fatalities_range"] == [20, 28]
    assert [s["url"] for s in m["sources"]] == ["u1", "u2"] and m["event_id"] == "a"


def _find(events: list[Event], gold_event: dict) -> Event:
    """The extracted event a gold one describes: same province, district and sub-type."""
    return next(e for e in events if e.admin1 == gold_event["admin1"] and e.admin2 == gold_event["admin2"]
                and e.sub_event_type == gold_event["sub_event_type"])


def test_seed_events_merge_as_the_gold_file_says_in_any_arrival_order(database_url):
    """The seed pairs the gold file marks ``same_event`` become one event each, and nothing else
    merges: the seeds also hold same-day clashes in other districts of one province (Baghlan) and
    reports that know only the province, which must stay apart."""
    gold = json.loads(shared_path("gold", "seed-events.json").read_text(encoding="utf-8"))
    by_story = seed_events()
    all_events = [e for events in by_story.values() for e in events]
    stories = {s["story"]: s for s in gold["stories"]}
    pairs = set()
    for left, right in gold["same_event"]:
        (ls, li), (rs, ri) = left.split("#"), right.split("#")
        pairs.add(frozenset((_find(by_story[ls], stories[ls]["events"][int(li)]).event_id,
                             _find(by_story[rs], stories[rs]["events"][int(ri)]).event_id)))
    assert len(pairs) == len(gold["same_event"]) == 4
    dumps = []
    for seed in range(3):
        order = list(all_events)
        random.Random(seed).shuffle(order)
        repo = EventRepository(database_url)
        empty(repo)  # a clean store for each order
        for i in range(0, len(order), 3):  # arrive in small batches
            repo.upsert_many(order[i:i + 3])
        with repo.engine.connect() as conn:
            merged = [json.loads(p) for (p,) in conn.execute(text("SELECT payload FROM events"))]
        dumps.append(dump(repo))
        assert {frozenset(m["reports"]) for m in merged if len(m["reports"]) > 1} == pairs
        assert sum(len(m["reports"]) for m in merged) == len(all_events)
        for m in merged:
            if len(m["reports"]) > 1:  # every outlet is credited
                assert len({s["story_id"] for s in m["sources"]}) == 2
        repo.close()
    assert all(d == dumps[0] for d in dumps[1:])  # independent of arrival order


def test_the_store_keeps_apart_what_must_not_merge(database_url):
    """Through the repository, not only ``same_event``: each pair below reaches the store in one
    order and then the other, and only the control pair merges."""
    def ev(eid, story, day, admin2, lat, lon, gp=1, admin1="Baghlan",  # noqa: PLR0913 - a table-row builder
           actors=("Taliban", "Military Forces of Afghanistan")):
        return Event(event_id=eid, story_id=story, event_date=day, date_precision="day", event_type="Battles",
                     sub_event_type="Armed clash", actor1=Actor(name=actors[0]),
                     actor2=Actor(name=actors[1]), country="AF", admin1=admin1, admin2=admin2, latitude=lat, longitude=lon, geo_precision=gp,
                     confidence=0.7, extractor="t")

    apart = {
        "same day, another district": (ev("a1", "s1", "2020-01-27", "Baghlan-e-Markazi", 36.21, 68.75),
                                       ev("a2", "s2", "2020-01-27", "Pul-e-Khumri", 35.94, 68.71)),
        "same place, another day": (ev("b1", "s1", "2020-01-20", "Pul-e-Khumri", 35.94, 68.71),
                                    ev("b2", "s2", "2020-01-23", "Pul-e-Khumri", 35.94, 68.71)),
        "both known only to the province": (ev("c1", "s1", "2020-02-10", None, 36.0, 68.5, gp=3),
                                            ev("c2", "s2", "2020-02-10", None, 36.0, 68.5, gp=3)),
        "another province, same day and type": (ev("d1", "s1", "2020-03-01", "Pul-e-Khumri", 35.94, 68.71),
                                                ev("d2", "s2", "2020-03-01", "Kunduz", 36.73, 68.86,
                                                   admin1="Kunduz")),
        "no actor in common": (ev("e1", "s1", "2020-04-01", "Pul-e-Khumri", 35.94, 68.71),
                               ev("e2", "s2", "2020-04-01", "Pul-e-Khumri", 35.94, 68.71,
                                  actors=("Islamic State (Afghanistan)", "Police Forces of Afghanistan"))),
    }
    together = (ev("z1", "s1", "2020-05-01", "Pul-e-Khumri", 35.94, 68.71),
                ev("z2", "s2", "2020-05-02", "Pul-e-Khumri", 35.94, 68.71))
    for first, second in (0, 1), (1, 0):
        repo = EventRepository(database_url)
        empty(repo)
        for pair in (*apart.values(), together):
            repo.upsert_many([pair[first]])
        for pair in (*apart.values(), together):
            repo.upsert_many([pair[second]])
        for why, (a, b) in apart.items():
            assert repo.get(a.event_id)["reports"] == [a.event_id], why
            assert repo.get(b.event_id)["reports"] == [b.event_id], why
        assert repo.get("z2")["reports"] == ["z1", "z2"]
        assert repo.count() == 2 * len(apart) + 1
        repo.close()


def test_events_of_one_story_never_merge(database_url):
    events = seed_events()["000_676fcc2cbcfd88d6"]
    repo = EventRepository(database_url)
    repo.upsert_many(events)
    assert repo.count() == len(events)
    repo.close()


def test_a_late_report_can_join_and_a_changed_one_split_a_cluster(tmp_path):
    def ev(eid, story, day, admin2, lat, lon):
        return Event(event_id=eid, story_id=story, event_date=day, date_precision="day", event_type="Battles",
                     sub_event_type="Armed clash", actor1=Actor(name="Taliban"), country="AF", admin1="Kunduz",
                     admin2=admin2, latitude=lat, longitude=lon, geo_precision=1, confidence=0.7, extractor="t")

    repo = EventRepository(f"sqlite:///{tmp_path / 's.db'}")
    repo.upsert_many([ev("e1", "s1", "2020-01-28", "Dasht-e-Archi", 37.13, 69.17)])
    repo.upsert_many([ev("e2", "s2", "2020-01-29", "Dasht-e-Archi", 37.13, 69.17)])
    assert repo.count() == 1 and repo.get("e2")["reports"] == ["e1", "e2"]
    # a corrected extraction moves e1 to another district: the cluster splits
    repo.upsert_many([ev("e1", "s1", "2020-01-28", "Imam Sahib", 37.18, 68.92)])
    assert repo.count() == 2 and repo.get("e2")["reports"] == ["e2"]
    for a, b in itertools.permutations(["e1", "e2"]):
        assert repo.get(a)["event_id"] != repo.get(b)["event_id"]
    repo.close()


def test_components_equal_the_components_of_every_pair_compared():
    """The sweep compares each precision within its own tolerance only; on crowded, mixed-precision
    reports it must find exactly the clusters that comparing every pair finds."""
    rng = random.Random(11)
    for _ in range(200):
        reports = {}
        for k in range(rng.randrange(2, 50)):
            eid = f"e{k:03d}"
            reports[eid] = report(eid, f"s{rng.randrange(15)}", f"2020-01-{rng.randrange(1, 29):02d}",
                                  admin2=rng.choice(["Dasht-e-Archi", "Imam Sahib", None]),
                                  date_precision=rng.choice(["day", "day", "week", "month"]),
                                  event_type=rng.choice(["Battles", "Protests"]), admin1=rng.choice(["Kunduz", "Takhar"]),
                                  latitude=37.1 + rng.random() * 0.06, longitude=69.1 + rng.random() * 0.06,
                                  geo_precision=rng.choice([1, 2]), actor1={"name": rng.choice(["Taliban", "ISKP"])})
        parent = {i: i for i in reports}

        def find(x, parent=parent):
            while parent[x] != x:
                x = parent[x]
            return x

        for a, b in itertools.combinations(sorted(reports), 2):
            if merge.same_event(reports[a], reports[b]):
                parent[max(find(a), find(b))] = min(find(a), find(b))
        expected: dict[str, list[str]] = {}
        for i in sorted(reports):
            expected.setdefault(find(i), []).append(i)
        assert merge.components(reports) == sorted(expected.values())
